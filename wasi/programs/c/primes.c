// primes: a sieve of Eratosthenes up to the imported global `env.LIMIT`, timed with the
// sightglass convention (`bench.start` / `bench.end` around the sieve). A WASI program
// with a parameter that a host can bind before compilation (a preimport), so that the
// limit becomes a constant in the machine code, while the WASI functions stay host calls.
//
// wasm-ld imports the undefined global symbol LIMIT from module `env` (build.sh allows
// exactly it to stay undefined); C has no syntax for a wasm global, hence the assembly.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__asm__(".globaltype LIMIT, i32, immutable\n");

static inline int limit(void) {
    int value;
    __asm__("global.get LIMIT\n\tlocal.set %0" : "=r"(value));
    return value;
}

__attribute__((import_module("bench"), import_name("start"))) void bench_start(void);
__attribute__((import_module("bench"), import_name("end"))) void bench_end(void);

int main(void) {
    int n = limit();
    if (n < 2) {
        fprintf(stderr, "primes: LIMIT must be at least 2, is %d\n", n);
        return 1;
    }
    unsigned char *composite = calloc((size_t)n + 1, 1);
    if (!composite) return 1;
    bench_start();
    for (long i = 2; i * i <= n; i++)
        if (!composite[i])
            for (long j = i * i; j <= n; j += i) composite[j] = 1;
    bench_end();
    long count = 0, sum = 0;
    int last[5] = {0};
    for (int i = 2; i <= n; i++)
        if (!composite[i]) {
            count++;
            sum += i;
            memmove(last, last + 1, 4 * sizeof last[0]);
            last[4] = i;
        }
    printf("%ld primes up to %d, sum %ld, largest:", count, n, sum);
    for (int i = 0; i < 5; i++)
        if (last[i]) printf(" %d", last[i]);
    printf("\n");
    free(composite);
    return 0;
}
