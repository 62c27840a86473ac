// Data relocations: pointers in the library's data to its own data, to the main
// module's data and to a string, fixed up by __wasm_apply_data_relocs.
extern int main_counter;
extern int main_add(int, int);

int lib_value = 5;
int *lib_value_ptr = &lib_value;
int *main_counter_ptr = &main_counter;
const char *greeting = "hello";
static int table[4] = {1, 2, 3, 4};
int *table_ptr = &table[2];

int data_sum(void) { return *lib_value_ptr + *main_counter_ptr + *table_ptr; }
int *lib_value_addr(void) { return &lib_value; }
int *main_counter_addr(void) { return &main_counter; }
char greeting_char(int i) { return greeting[i]; }
// Touches its own data through the GOT and calls into the main module.
int bump(int n) {
    for (int i = 0; i < n; i++) {
        lib_value = main_add(lib_value, 1);
        main_counter++;
    }
    return lib_value;
}
