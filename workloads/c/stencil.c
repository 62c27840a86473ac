/* 2D Jacobi relaxation: STEPS sweeps of the 5-point average over a WIDTH x HEIGHT f64
 * grid with fixed hot and cold boundary cells, ping-ponging two buffers; the grid size
 * and step count are imported. */
#include "params.h"

PARAM_DECLARE(WIDTH)
PARAM_DECLARE(HEIGHT)
PARAM_DECLARE(STEPS)

#define MAX_CELLS (512 * 512)

static double grid_a[MAX_CELLS];
static double grid_b[MAX_CELLS];

i64 run(void) {
    int width = PARAM(WIDTH), height = PARAM(HEIGHT), steps = PARAM(STEPS);
    if (width < 3 || height < 3 || width * height > MAX_CELLS) __builtin_trap();
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
            double v = 0.0;
            if (y == 0) v = 100.0;                   /* hot top edge */
            else if (x == 0) v = (double)(y % 17);   /* ragged left edge */
            grid_a[y * width + x] = v;
            grid_b[y * width + x] = v;
        }
    }
    double *from = grid_a, *to = grid_b;
    for (int s = 0; s < steps; s++) {
        for (int y = 1; y < height - 1; y++) {
            for (int x = 1; x < width - 1; x++) {
                int i = y * width + x;
                to[i] = 0.25 * (from[i - 1] + from[i + 1] + from[i - width] + from[i + width]);
            }
        }
        double *t = from;
        from = to;
        to = t;
    }
    u64 acc = CHECKSUM_SEED;
    for (int i = 0; i < width * height; i++) {
        i64 fixed = (i64)(from[i] * 1048576.0);
        acc = mix(mix(acc, (u32)fixed), (u32)(fixed >> 32));
    }
    return (i64)acc;
}
