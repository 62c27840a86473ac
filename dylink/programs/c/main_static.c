// The benchmark's statically linked program: main.c's definitions with libbench.c
// linked in (see build.sh).
#include "main.c"
