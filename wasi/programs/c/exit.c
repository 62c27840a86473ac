// exit: ends in the way its first argument says, after an atexit handler and buffered
// output: "return N" returns N from main, "exit N" calls exit(N), "_exit N" calls _Exit(N)
// (no atexit handlers, no flush), "abort" calls abort().
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void goodbye(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv) {
    atexit(goodbye);
    const char *how = argc > 1 ? argv[1] : "return";
    int code = argc > 2 ? atoi(argv[2]) : 0;
    printf("ending by %s %d (buffered, no newline flush)", how, code);
    if (strcmp(how, "exit") == 0) exit(code);
    if (strcmp(how, "_exit") == 0) _Exit(code);
    if (strcmp(how, "abort") == 0) abort();
    printf("\n");
    return code;
}
