extern void main_record_ctor(int);
extern int chain_b(int);
int chain_a(int x) { return chain_b(x) + 1; }
__attribute__((constructor)) static void init(void) { main_record_ctor(1); }
