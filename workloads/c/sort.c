/* Sorting COUNT generated u32 keys (from seed SEED): quicksort with median-of-three
 * pivots, insertion sort below CUTOFF elements, then a bottom-up merge sort of a second
 * copy; both results are checked against each other. The three are imported. */
#include "params.h"

PARAM_DECLARE(COUNT)
PARAM_DECLARE(CUTOFF)
PARAM_DECLARE(SEED)

#define MAX_COUNT (1 << 20)

static u32 keys[MAX_COUNT];
static u32 copy[MAX_COUNT];
static u32 scratch[MAX_COUNT];

static void insertion_sort(u32 *v, int lo, int hi) {
    for (int i = lo + 1; i <= hi; i++) {
        u32 key = v[i];
        int j = i - 1;
        while (j >= lo && v[j] > key) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = key;
    }
}

static void swap(u32 *v, int i, int j) {
    u32 t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void quicksort(u32 *v, int lo, int hi, int cutoff) {
    while (hi - lo + 1 > cutoff) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap(v, mid, lo);
        if (v[hi] < v[lo]) swap(v, hi, lo);
        if (v[hi] < v[mid]) swap(v, hi, mid);
        u32 pivot = v[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) swap(v, i++, j--);
        }
        /* Recurse into the smaller side, loop on the larger: O(log n) stack. */
        if (j - lo < hi - i) {
            quicksort(v, lo, j, cutoff);
            lo = i;
        } else {
            quicksort(v, i, hi, cutoff);
            hi = j;
        }
    }
    insertion_sort(v, lo, hi);
}

static void merge_sort(u32 *v, u32 *tmp, int n) {
    for (int width = 1; width < n; width *= 2) {
        for (int lo = 0; lo < n; lo += 2 * width) {
            int mid = lo + width < n ? lo + width : n;
            int hi = lo + 2 * width < n ? lo + 2 * width : n;
            int i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = v[i] <= v[j] ? v[i++] : v[j++];
            while (i < mid) tmp[k++] = v[i++];
            while (j < hi) tmp[k++] = v[j++];
        }
        for (int i = 0; i < n; i++) v[i] = tmp[i];
    }
}

i64 run(void) {
    int count = PARAM(COUNT), cutoff = PARAM(CUTOFF);
    if (count < 1 || count > MAX_COUNT || cutoff < 1) __builtin_trap();
    u32 x = (u32)PARAM(SEED);
    for (int i = 0; i < count; i++) {
        x = xorshift32(x);
        keys[i] = x % 1000003u; /* duplicates included */
        copy[i] = keys[i];
    }
    quicksort(keys, 0, count - 1, cutoff);
    merge_sort(copy, scratch, count);
    u64 acc = CHECKSUM_SEED;
    for (int i = 0; i < count; i++) {
        if (keys[i] != copy[i] || (i > 0 && keys[i - 1] > keys[i])) return -1;
        if ((i & 63) == 0) acc = mix(acc, keys[i]);
    }
    return (i64)mix(acc, keys[count - 1]);
}
