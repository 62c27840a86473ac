// sandbox: tries to leave the preopened directory given as first argument, by `..`, by
// absolute paths, through symlinks pointing out (relative and absolute), by renaming and
// linking outward. Prints what each attempt gives; a secret file `secret.txt` lies one
// level above the preopened directory on the host.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static const char *at(const char *rel) {
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, 512, "%s/%s", root, rel);
    return b;
}

static void attempt_read(const char *what, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%-44s -> denied (%s)\n", what, strerror(errno));
        return;
    }
    char buf[64] = {0};
    long n = read(fd, buf, sizeof buf - 1);
    close(fd);
    printf("%-44s -> READ %ld bytes: %s\n", what, n, buf);
}

static void attempt(const char *what, int r) {
    if (r < 0)
        printf("%-44s -> denied (%s)\n", what, strerror(errno));
    else
        printf("%-44s -> allowed\n", what);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    snprintf(root, sizeof root, "%s", argv[1]);
    struct stat st;
    attempt_read("read inside", at("inside.txt"));
    attempt_read("read ../secret.txt", at("../secret.txt"));
    attempt_read("read sub/../../secret.txt", at("sub/../../secret.txt"));
    attempt_read("read sub/../inside.txt (stays inside)", at("sub/../inside.txt"));
    attempt_read("read /etc/passwd", "/etc/passwd");
    attempt_read("read /secret.txt", "/secret.txt");
    attempt("stat ..", stat(at(".."), &st));
    attempt("mkdir ../escaped", mkdir(at("../escaped"), 0755));
    attempt("create ../created.txt", open(at("../created.txt"), O_CREAT | O_WRONLY, 0644));
    attempt("symlink up -> ..", symlink("..", at("up")));
    attempt_read("read up/secret.txt", at("up/secret.txt"));
    attempt("symlink rel -> ../secret.txt", symlink("../secret.txt", at("rel")));
    attempt_read("read rel", at("rel"));
    attempt("symlink abs -> /etc/passwd", symlink("/etc/passwd", at("abs")));
    attempt_read("read abs", at("abs"));
    attempt_read("read host-made link out.lnk", at("out.lnk"));
    attempt("rename inside.txt -> ../moved.txt",
            rename(at("inside.txt"), at("../moved.txt")));
    attempt("link inside.txt -> ../linked.txt", link(at("inside.txt"), at("../linked.txt")));
    attempt("unlink ../secret.txt", unlink(at("../secret.txt")));
    attempt("open . then ..", open(at("./.."), O_RDONLY | O_DIRECTORY));
    attempt_read("read inside again", at("inside.txt"));
    return 0;
}
