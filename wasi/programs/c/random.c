// random: random_get through getentropy and arc4random. Prints facts, not the bytes.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    unsigned char a[256], b[256];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    int ra = getentropy(a, sizeof a), rb = getentropy(b, sizeof b);
    printf("getentropy: %d %d\n", ra, rb);
    printf("two draws differ: %d\n", memcmp(a, b, sizeof a) != 0);
    int seen[256] = {0}, distinct = 0;
    for (int i = 0; i < 256; i++) distinct += !seen[a[i]]++;
    printf("at least 100 distinct byte values of 256: %d\n", distinct >= 100);
    unsigned hits = 0;
    for (int i = 0; i < 1000; i++) hits += arc4random_uniform(10) < 10;
    printf("arc4random_uniform in range: %u of 1000\n", hits);
    static unsigned char big[70000];
    printf("getentropy over 256 bytes fails: %d\n", getentropy(big, sizeof big) != 0);
    arc4random_buf(big, sizeof big);
    long ones = 0;
    for (size_t i = 0; i < sizeof big; i++) ones += __builtin_popcount(big[i]);
    printf("arc4random_buf bits near half: %d\n", ones > 270000 && ones < 290000);
    return 0;
}
