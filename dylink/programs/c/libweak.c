// Weak symbols: undefined weak ones resolve to 0; a weak definition loses to the main
// module's strong one.
__attribute__((weak)) extern int weak_missing_fn(int);
__attribute__((weak)) extern int weak_missing_data;
__attribute__((weak)) int overridden(void) { return 1; }

int has_weak_fn(void) { return weak_missing_fn != 0; }
int weak_data_is_null(void) { return &weak_missing_data == 0; }
int call_overridden(void) { return overridden(); }
int (*overridden_ptr(void))(void) { return overridden; }
