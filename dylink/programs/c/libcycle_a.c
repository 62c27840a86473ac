// Two libraries that need each other: refused.
extern int cycle_b(int);
int cycle_a(int x) { return x ? cycle_b(x - 1) : 0; }
