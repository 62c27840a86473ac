// Constructors: run after data relocations, and after those of NEEDED libraries.
extern void main_record_ctor(int);
int ctor_value = 0;
int *ctor_value_ptr = &ctor_value;
__attribute__((constructor)) static void init(void) {
    *ctor_value_ptr = 42;
    main_record_ctor(1);
}
int get_ctor_value(void) { return ctor_value; }
