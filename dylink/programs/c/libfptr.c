// Function pointers across modules: taking the address of a main-module function, of
// an exported library function and of a static one, and calling through pointers.
extern int main_twice(int);

int lib_square(int x) { return x * x; }
static int lib_inc(int x) { return x + 1; }

int (*lib_twice_ptr(void))(int) { return main_twice; }
int (*lib_square_ptr(void))(int) { return lib_square; }
int (*lib_inc_ptr(void))(int) { return lib_inc; }
int lib_apply(int (*f)(int), int x) { return f(x); }
