/* Dense f64 matrix multiply C = A * B, A ROWS x INNER, B INNER x COLS, row-major, the
 * i-k-j loop order; the dimensions are imported. */
#include "params.h"

PARAM_DECLARE(ROWS)
PARAM_DECLARE(INNER)
PARAM_DECLARE(COLS)

#define MAX_DIM 320

static double a[MAX_DIM * MAX_DIM];
static double b[MAX_DIM * MAX_DIM];
static double c[MAX_DIM * MAX_DIM];

i64 run(void) {
    int rows = PARAM(ROWS), inner = PARAM(INNER), cols = PARAM(COLS);
    if (rows > MAX_DIM || inner > MAX_DIM || cols > MAX_DIM) __builtin_trap();
    u32 x = 12345;
    for (int i = 0; i < rows * inner; i++) {
        x = xorshift32(x);
        a[i] = (double)(int)(x % 2001) / 1000.0 - 1.0;
    }
    for (int i = 0; i < inner * cols; i++) {
        x = xorshift32(x);
        b[i] = (double)(int)(x % 2001) / 1000.0 - 1.0;
    }
    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) c[i * cols + j] = 0.0;
        for (int k = 0; k < inner; k++) {
            double aik = a[i * inner + k];
            for (int j = 0; j < cols; j++) c[i * cols + j] += aik * b[k * cols + j];
        }
    }
    u64 acc = CHECKSUM_SEED;
    for (int i = 0; i < rows * cols; i++) {
        i64 fixed = (i64)(c[i] * 65536.0);
        acc = mix(mix(acc, (u32)fixed), (u32)(fixed >> 32));
    }
    return (i64)acc;
}
