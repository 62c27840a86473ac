// The end of a NEEDED chain: liba -> libb -> libc. Constructors record their order.
extern void main_record_ctor(int);
int chain_c(int x) { return x + 3; }
__attribute__((constructor)) static void init(void) { main_record_ctor(3); }
