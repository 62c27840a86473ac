extern void main_record_ctor(int);
extern int chain_c(int);
int chain_b(int x) { return chain_c(x) * 2; }
__attribute__((constructor)) static void init(void) { main_record_ctor(2); }
