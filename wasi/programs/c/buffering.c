// buffering: stdout fully buffered with output larger than the buffer, lines without
// newline, a setvbuf change, interleaving with unbuffered stderr: everything written
// before the program ends must come out, in order per stream.
#include <stdio.h>
#include <string.h>

int main(void) {
    static char buf[1024];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    for (int i = 0; i < 500; i++) {
        printf("line %03d: %s\n", i, "some text to fill the buffer more than once");
        if (i % 100 == 0) fprintf(stderr, "progress %d\n", i);
    }
    fputs("partial line without newline... ", stdout);
    fwrite("and a binary-safe \0 write", 1, 26, stdout);
    fprintf(stderr, "done\n");
    return 0;
}
