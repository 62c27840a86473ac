/* Dense f32 matrix multiply C = A * B with 128-bit SIMD (wasm_simd128.h): A ROWS x INNER,
 * B INNER x COLS, row-major, i-k-j order with the j loop four lanes at a time (COLS a
 * multiple of 16, unrolled by four vectors); the dimensions are imported. */
#include <wasm_simd128.h>
#include "params.h"

PARAM_DECLARE(ROWS)
PARAM_DECLARE(INNER)
PARAM_DECLARE(COLS)

#define MAX_DIM 384

static float a[MAX_DIM * MAX_DIM];
static float b[MAX_DIM * MAX_DIM];
static float c[MAX_DIM * MAX_DIM];

i64 run(void) {
    int rows = PARAM(ROWS), inner = PARAM(INNER), cols = PARAM(COLS);
    if (rows > MAX_DIM || inner > MAX_DIM || cols > MAX_DIM || cols % 16) __builtin_trap();
    u32 x = 12345;
    for (int i = 0; i < rows * inner; i++) {
        x = xorshift32(x);
        a[i] = (float)(int)(x % 2001) / 1000.0f - 1.0f;
    }
    for (int i = 0; i < inner * cols; i++) {
        x = xorshift32(x);
        b[i] = (float)(int)(x % 2001) / 1000.0f - 1.0f;
    }
    for (int i = 0; i < rows; i++) {
        float *ci = &c[i * cols];
        for (int j = 0; j < cols; j += 4) wasm_v128_store(&ci[j], wasm_f32x4_splat(0.0f));
        for (int k = 0; k < inner; k++) {
            v128_t aik = wasm_f32x4_splat(a[i * inner + k]);
            const float *bk = &b[k * cols];
            for (int j = 0; j < cols; j += 16) {
                v128_t c0 = wasm_v128_load(&ci[j]);
                v128_t c1 = wasm_v128_load(&ci[j + 4]);
                v128_t c2 = wasm_v128_load(&ci[j + 8]);
                v128_t c3 = wasm_v128_load(&ci[j + 12]);
                c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(aik, wasm_v128_load(&bk[j])));
                c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(aik, wasm_v128_load(&bk[j + 4])));
                c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(aik, wasm_v128_load(&bk[j + 8])));
                c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(aik, wasm_v128_load(&bk[j + 12])));
                wasm_v128_store(&ci[j], c0);
                wasm_v128_store(&ci[j + 4], c1);
                wasm_v128_store(&ci[j + 8], c2);
                wasm_v128_store(&ci[j + 12], c3);
            }
        }
    }
    u64 acc = CHECKSUM_SEED;
    for (int i = 0; i < rows * cols; i++) {
        int fixed = (int)(c[i] * 1024.0f);
        acc = mix(acc, (u32)fixed);
    }
    return (i64)acc;
}
