// Imports main_twice with the wrong signature: the library fails to load.
extern int main_twice(int, int);
int call_twice(void) { return main_twice(1, 2); }
