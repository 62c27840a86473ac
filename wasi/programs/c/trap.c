// trap: a trap five calls deep (an out-of-bounds store, an integer division by zero or
// an explicit trap, by argument), after output on both streams.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int zero = 0;

__attribute__((noinline)) static int leaf(const char *kind, int x) {
    if (strcmp(kind, "oob") == 0) {
        volatile int *p = (volatile int *)0xfffffff0u;
        *p = x;
        return 0;
    }
    if (strcmp(kind, "div") == 0) return x / zero;
    __builtin_trap();
}

__attribute__((noinline)) static int level(const char *kind, int depth, int x) {
    if (depth == 0) return leaf(kind, x);
    return level(kind, depth - 1, x * 3 + 1) + 1;
}

int main(int argc, char **argv) {
    const char *kind = argc > 1 ? argv[1] : "unreachable";
    printf("stdout before the trap is flushed: yes\n");
    fflush(stdout);
    fprintf(stderr, "trapping: %s\n", kind);
    printf("this line stays in the buffer and is lost\n");
    int r = level(kind, 5, argc);
    printf("not reached: %d\n", r);
    return 0;
}
