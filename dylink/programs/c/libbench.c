// The benchmark's hot library function: touches its own data through the GOT and calls
// a main-module function. main_static.wasm links the same code into the main module.
extern int main_add(int, int);

int bench_acc = 0;
int bench_table[256];

int bench_run(int n) {
    for (int i = 0; i < n; i++) {
        bench_table[i & 255] = main_add(bench_table[i & 255], i);
        bench_acc += bench_table[(i * 7) & 255];
    }
    return bench_acc;
}
