// The main module of the dylink tests: a wasi-libc program that exports everything
// (-Wl,--export-all), so that side modules resolve their symbols against it.
#include <stdio.h>

int main_counter = 0;
// Constructors of libraries record their order here.
int ctor_log[8];
int ctor_count = 0;

int main_twice(int x) { return 2 * x; }
int main_add(int a, int b) { return a + b; }
void main_record_ctor(int id) {
    if (ctor_count < 8) ctor_log[ctor_count++] = id;
}
// Function pointers as the main module sees them.
int (*main_twice_ptr(void))(int) { return main_twice; }
int main_call_ptr(int (*f)(int), int x) { return f(x); }
// Defined here strongly; a library defines it weakly: the first definition wins.
int overridden(void) { return 100; }

int main(void) {
    printf("main: %d\n", main_twice(21));
    return 0;
}
