extern int cycle_a(int);
int cycle_b(int x) { return x ? cycle_a(x - 1) : 1; }
