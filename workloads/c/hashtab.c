/* An open-addressing hash table with linear probing and multiplicative hashing: KEYS
 * generated keys are inserted into a table of 2^LOG_CAP slots, then LOOKUPS lookups, half
 * of them hits, sum the values found. The hash multiplier HASH_MUL, the table size and
 * the counts are imported. */
#include "params.h"

PARAM_DECLARE(LOG_CAP)
PARAM_DECLARE(HASH_MUL)
PARAM_DECLARE(KEYS)
PARAM_DECLARE(LOOKUPS)

#define MAX_LOG_CAP 20

static u32 slot_keys[1 << MAX_LOG_CAP]; /* 0: empty */
static u32 slot_values[1 << MAX_LOG_CAP];

static inline u32 slot_of(u32 key) {
    return (key * (u32)PARAM(HASH_MUL)) >> (32 - PARAM(LOG_CAP));
}

static void insert(u32 key, u32 value) {
    u32 mask = (1u << PARAM(LOG_CAP)) - 1;
    for (u32 i = slot_of(key);; i = (i + 1) & mask) {
        if (slot_keys[i] == key || slot_keys[i] == 0) {
            slot_keys[i] = key;
            slot_values[i] = value;
            return;
        }
    }
}

/* The value stored under `key`, or 0. */
static u32 lookup(u32 key) {
    u32 mask = (1u << PARAM(LOG_CAP)) - 1;
    for (u32 i = slot_of(key);; i = (i + 1) & mask) {
        if (slot_keys[i] == key) return slot_values[i];
        if (slot_keys[i] == 0) return 0;
    }
}

i64 run(void) {
    int log_cap = PARAM(LOG_CAP), keys = PARAM(KEYS), lookups = PARAM(LOOKUPS);
    if (log_cap < 1 || log_cap > MAX_LOG_CAP || keys < 0 || keys >= (1 << log_cap))
        __builtin_trap();
    u32 cap = 1u << log_cap;
    for (u32 i = 0; i < cap; i++) slot_keys[i] = 0;
    u32 x = 2463534242u;
    for (int i = 0; i < keys; i++) {
        x = xorshift32(x);
        insert(x, (u32)i + 1);
    }
    u32 hit = 2463534242u, miss = 88172645u;
    u64 acc = CHECKSUM_SEED;
    u32 sum = 0, found = 0;
    for (int i = 0; i < lookups; i++) {
        u32 key;
        if ((i & 1) == 0 && i / 2 < keys) {
            hit = xorshift32(hit);
            key = hit;
        } else {
            miss = xorshift32(miss);
            key = miss;
        }
        u32 v = lookup(key);
        sum += v;
        found += v != 0;
        if ((i & 1023) == 0) acc = mix(acc, sum);
    }
    return (i64)mix(mix(acc, sum), found);
}
