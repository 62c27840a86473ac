// stdin: reads standard input to the end, counts lines, words and bytes (like wc), and
// echoes it upper-cased with line numbers.
#include <ctype.h>
#include <stdio.h>

int main(void) {
    long lines = 0, words = 0, bytes = 0;
    int in_word = 0, at_line_start = 1, c;
    while ((c = getchar()) != EOF) {
        bytes++;
        if (at_line_start) {
            printf("%4ld| ", lines + 1);
            at_line_start = 0;
        }
        putchar(toupper(c));
        if (c == '\n') {
            lines++;
            at_line_start = 1;
        }
        if (isspace(c)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    if (!at_line_start) putchar('\n');
    printf("%ld lines, %ld words, %ld bytes\n", lines, words, bytes);
    return ferror(stdin) ? 1 : 0;
}
