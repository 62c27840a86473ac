/* Workload parameters: imported WebAssembly globals, or constants in the hand build.
 *
 * Generic build: PARAM_DECLARE(NAME) declares an immutable i32 global NAME, which wasm-ld
 * turns into the import `env.NAME` (it imports undefined symbols from module `env` under
 * their own name; build.sh lists the allowed ones with --allow-undefined-file), and
 * PARAM(NAME) reads it with `global.get`. C has no syntax for wasm globals, so both are
 * inline assembly. (The `.import_module`/`.import_name` directives would rename the
 * import, but clang-16 emits garbage names for them in inline assembly.) The asm is not
 * volatile: the compiler may treat a read as a pure value and hoist or merge it.
 *
 * Hand build (-DHAND -DNAME=VALUE for every parameter): PARAM(NAME) is the constant.
 */
#ifndef PARAMS_H
#define PARAMS_H

#ifdef HAND
#define PARAM_DECLARE(name)
#define PARAM(name) ((int)(name))
#else
#define PARAM_DECLARE(name)                                                        \
    __asm__(".globaltype " #name ", i32, immutable\n");                           \
    static inline int param_##name(void) {                                         \
        int value;                                                                 \
        __asm__("global.get " #name "\n\tlocal.set %0" : "=r"(value));             \
        return value;                                                              \
    }
#define PARAM(name) param_##name()
#endif

typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long i64;

/* xorshift32 (13, 17, 5): the kernels' generated data. */
static inline u32 xorshift32(u32 x) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

/* The checksum fold, as in the Rust workloads: rotl((acc ^ x) * FNV prime, 5). */
static inline u64 mix(u64 acc, u32 x) {
    u64 h = (acc ^ x) * 0x100000001b3ull;
    return (h << 5) | (h >> 59);
}

#define CHECKSUM_SEED 0x9e3779b97f4a7c15ull

#endif
