// A second library taking the address of the first one's function: the pointers must
// be equal.
extern int lib_square(int);
int (*user_square_ptr(void))(int) { return lib_square; }
int user_call_square(int x) { return lib_square(x) + 1; }
