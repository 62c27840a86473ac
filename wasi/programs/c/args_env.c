// args_env: prints argc/argv and the environment (as given, in order), and looks
// variables up with getenv.
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=[%s]\n", i, argv[i]);
    int n = 0;
    for (char **e = environ; *e; e++, n++) printf("env[%d]=[%s]\n", n, *e);
    printf("environ has %d entries\n", n);
    const char *names[] = {"GREETING", "EMPTY", "UNSET", "PATH"};
    for (int i = 0; i < 4; i++) {
        const char *v = getenv(names[i]);
        printf("getenv(%s)=%s%s%s\n", names[i], v ? "[" : "", v ? v : "(null)", v ? "]" : "");
    }
    return 0;
}
