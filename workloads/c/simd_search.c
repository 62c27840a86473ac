/* Byte search and classification with 128-bit SIMD (wasm_simd128.h), the kernels of
 * memchr-style scanners and SIMD parsers: over SIZE bytes of generated text, count every
 * occurrence of a NEEDLE-byte word (first and last byte compared sixteen positions at a
 * time, candidates confirmed byte by byte: i8x16.eq, v128.and, i8x16.bitmask), and count
 * the bytes of each class (digit, letter, space, other) with a nibble-table lookup
 * (i8x16.swizzle, u8x16.shr, v128.and) summed with widening pairwise adds. */
#include <wasm_simd128.h>
#include "params.h"

PARAM_DECLARE(SIZE)
PARAM_DECLARE(ROUNDS)
PARAM_DECLARE(NEEDLE)

#define MAX_SIZE (1 << 20)

static unsigned char text[MAX_SIZE + 64];

static const char *const words[16] = {
    "the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ",
    "1234 ", "needle ", "hay ", "stack, ", "42 ", "search. ", "vector ", "lane\n",
};

/* Byte classes by nibble: class(b) = low_table[b & 15] & high_table[b >> 4], one bit per
 * class: 1 digit, 2 letter, 4 space, 8 other. */
static unsigned char class_bits(unsigned char b) {
    if (b >= '0' && b <= '9') return 1;
    if ((b | 32) >= 'a' && (b | 32) <= 'z') return 2;
    if (b == ' ' || b == '\n') return 4;
    return 8;
}

i64 run(void) {
    int size = PARAM(SIZE), rounds = PARAM(ROUNDS), needle_len = PARAM(NEEDLE);
    if (size > MAX_SIZE || size % 16 || needle_len < 2 || needle_len > 16) __builtin_trap();
    u32 x = 2463534242u;
    int n = 0;
    while (n < size) {
        x = xorshift32(x);
        const char *w = words[x & 15];
        while (*w && n < size) text[n++] = (unsigned char)*w++;
    }
    for (int i = 0; i < 64; i++) text[size + i] = 0;
    const unsigned char *needle = (const unsigned char *)"needle hay stack";
    v128_t first = wasm_i8x16_splat((char)needle[0]);
    v128_t last = wasm_i8x16_splat((char)needle[needle_len - 1]);
    /* The nibble tables: a byte is in class c iff both of its nibbles allow c. */
    unsigned char low[16], high[16];
    for (int i = 0; i < 16; i++) low[i] = high[i] = 0;
    for (int b = 0; b < 256; b++) {
        unsigned char c = class_bits((unsigned char)b);
        low[b & 15] |= c;
        high[b >> 4] |= c;
    }
    v128_t low_table = wasm_v128_load(low), high_table = wasm_v128_load(high);
    v128_t nibble = wasm_i8x16_splat(15);
    u64 acc = CHECKSUM_SEED;
    for (int r = 0; r < rounds; r++) {
        u32 matches = 0;
        for (int i = 0; i < size; i += 16) {
            v128_t head = wasm_v128_load(&text[i]);
            v128_t tail = wasm_v128_load(&text[i + needle_len - 1]);
            v128_t hit = wasm_v128_and(wasm_i8x16_eq(head, first), wasm_i8x16_eq(tail, last));
            u32 mask = wasm_i8x16_bitmask(hit);
            while (mask) {
                int at = i + __builtin_ctz(mask);
                int k = 1;
                while (k < needle_len - 1 && text[at + k] == needle[k]) k++;
                matches += k == needle_len - 1;
                mask &= mask - 1;
            }
        }
        v128_t sums[4] = {wasm_i32x4_splat(0), wasm_i32x4_splat(0), wasm_i32x4_splat(0),
                          wasm_i32x4_splat(0)};
        for (int i = 0; i < size; i += 16) {
            v128_t bytes = wasm_v128_load(&text[i]);
            v128_t lo = wasm_i8x16_swizzle(low_table, wasm_v128_and(bytes, nibble));
            v128_t hi = wasm_i8x16_swizzle(high_table, wasm_u8x16_shr(bytes, 4));
            v128_t cls = wasm_v128_and(lo, hi);
            for (int c = 0; c < 4; c++) {
                v128_t bit = wasm_v128_and(wasm_u8x16_shr(cls, c), wasm_i8x16_splat(1));
                sums[c] = wasm_i32x4_add(
                    sums[c], wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(bit)));
            }
        }
        acc = mix(acc, matches);
        for (int c = 0; c < 4; c++) {
            u32 total = (u32)(wasm_i32x4_extract_lane(sums[c], 0) + wasm_i32x4_extract_lane(sums[c], 1) +
                              wasm_i32x4_extract_lane(sums[c], 2) + wasm_i32x4_extract_lane(sums[c], 3));
            acc = mix(acc, total);
        }
        /* Change the text a little for the next round. */
        text[(x = xorshift32(x)) % (u32)size] = 'n';
    }
    return (i64)acc;
}
