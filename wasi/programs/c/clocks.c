// clocks: the realtime and monotonic clocks, their resolutions, sleeping (poll_oneoff
// with a clock subscription) and sched_yield. Prints only facts that hold on any host.
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    struct timespec res, a, b, wall;
    printf("realtime res ok: %d\n", clock_getres(CLOCK_REALTIME, &res) == 0 && ns(res) > 0);
    printf("monotonic res ok: %d\n",
           clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(res) > 0 && ns(res) <= 1000000);
    clock_gettime(CLOCK_REALTIME, &wall);
    printf("realtime after 2024: %d\n", wall.tv_sec > 1704067200);
    printf("time() agrees: %d\n", (long long)time(NULL) - wall.tv_sec <= 1);
    clock_gettime(CLOCK_MONOTONIC, &a);
    int steps_ok = 1;
    for (int i = 0; i < 1000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (ns(b) < ns(a)) steps_ok = 0;
        a = b;
    }
    printf("monotonic never goes back: %d\n", steps_ok);
    struct timespec nap = {0, 20 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &a);
    int slept = nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("nanosleep 20ms: %d, elapsed >= 20ms: %d\n", slept, ns(b) - ns(a) >= 20000000);
    clock_gettime(CLOCK_MONOTONIC, &a);
    usleep(5000);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("usleep 5ms elapsed >= 5ms: %d\n", ns(b) - ns(a) >= 5000000);
    printf("sched_yield: %d\n", sched_yield());
    struct tm tm;
    time_t epoch = 86400 * 365;
    gmtime_r(&epoch, &tm);
    printf("gmtime(365 days) = %04d-%02d-%02d\n", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday);
    return 0;
}
