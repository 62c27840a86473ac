// hello: printf's formats, puts, putchar, and writes to stderr.
#include <inttypes.h>
#include <stdio.h>

int main(void) {
    printf("Hello, WASI!\n");
    printf("ints: %d %i %u %x %X %o %5d|%-5d|%05d\n", -42, 7, 3000000000u, 0xbeef, 0xcafe,
           8, 12, 34, 56);
    printf("wide: %" PRId64 " %" PRIu64 " %" PRIx64 "\n", INT64_MIN, UINT64_MAX,
           (uint64_t)0x0123456789abcdefULL);
    printf("floats: %f %.3f %e %g %g %a\n", 3.14159, -2.5, 6.02214076e23, 1e-5, 100.0, 1.0);
    printf("strings: [%s] [%10s] [%-10s] [%.3s] %c%c\n", "wasm", "right", "left", "truncate",
           'o', 'k');
    printf("pointer-free %%: 100%%\n");
    puts("puts adds a newline");
    for (const char *p = "putchar\n"; *p; p++) putchar(*p);
    fprintf(stderr, "to stderr: %d\n", 2);
    return 0;
}
