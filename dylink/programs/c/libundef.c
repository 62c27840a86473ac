// A strong undefined symbol: the library fails to load.
extern int nowhere(int);
int call_nowhere(int x) { return nowhere(x); }
