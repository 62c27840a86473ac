// fileio: file and directory operations inside the preopened directory given as the
// first argument: create, write, read, seek, pread/pwrite, stat, truncate, sync, times,
// rename, hard and symbolic links, readdir, unlink, mkdir/rmdir, fd flags and renumber.
// Every step prints its result (or errno); what it leaves behind is part of the result.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static char root[256];

static const char *at(const char *rel) {
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, 512, "%s/%s", root, rel);
    return b;
}

static void result(const char *what, long r) {
    if (r < 0)
        printf("%-40s -> error %s\n", what, strerror(errno));
    else
        printf("%-40s -> %ld\n", what, r);
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *rel) {
    DIR *d = opendir(at(rel));
    if (!d) {
        result("opendir", -1);
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char type = e->d_type == DT_DIR ? 'd' : e->d_type == DT_LNK ? 'l'
                  : e->d_type == DT_REG ? 'f' : '?';
        names[n] = malloc(strlen(e->d_name) + 3);
        sprintf(names[n++], "%c %s", type, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("listing of %s (%d entries):\n", rel, n);
    for (int i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }
}

static void show_stat(const char *rel, int follow) {
    struct stat st;
    int r = follow ? stat(at(rel), &st) : lstat(at(rel), &st);
    if (r < 0) {
        printf("%sstat %-34s -> error %s\n", follow ? "" : "l", rel, strerror(errno));
        return;
    }
    const char *type = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir"
                     : S_ISLNK(st.st_mode) ? "symlink" : "other";
    if (S_ISDIR(st.st_mode))
        printf("%sstat %-34s -> %s\n", follow ? "" : "l", rel, type);
    else
        printf("%sstat %-34s -> %s, %lld bytes, %lu links\n", follow ? "" : "l", rel, type,
               (long long)st.st_size, (unsigned long)st.st_nlink);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fileio DIR\n");
        return 2;
    }
    snprintf(root, sizeof root, "%s", argv[1]);
    char buf[128];

    result("mkdir work", mkdir(at("work"), 0755));
    result("mkdir work again", mkdir(at("work"), 0755));
    int fd = open(at("work/notes.txt"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    result("open work/notes.txt for writing", fd);
    for (int i = 0; i < 3; i++) {
        int len = snprintf(buf, sizeof buf, "note %d: the quick brown fox\n", i);
        result("write", write(fd, buf, len));
    }
    result("close", close(fd));

    fd = open(at("work/notes.txt"), O_RDWR);
    result("open work/notes.txt read-write", fd);
    memset(buf, 0, sizeof buf);
    result("read 6", read(fd, buf, 6));
    printf("  read [%s]\n", buf);
    result("lseek SET 10", lseek(fd, 10, SEEK_SET));
    memset(buf, 0, sizeof buf);
    result("read 5", read(fd, buf, 5));
    printf("  read [%s]\n", buf);
    result("lseek CUR 0 (tell)", lseek(fd, 0, SEEK_CUR));
    result("lseek END -4", lseek(fd, -4, SEEK_END));
    result("write at end-4", write(fd, "FOX!", 4));
    result("lseek before start", lseek(fd, -1000, SEEK_SET));
    memset(buf, 0, sizeof buf);
    result("pread 9 at 32", pread(fd, buf, 9, 32));
    printf("  pread [%s]\n", buf);
    result("pwrite 5 at 0", pwrite(fd, "NOTE!", 5, 0));
    result("tell after pread/pwrite", lseek(fd, 0, SEEK_CUR));
    struct stat st;
    result("fstat", fstat(fd, &st));
    printf("  size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    result("fsync", fsync(fd));
    result("fdatasync", fdatasync(fd));
    errno = posix_fadvise(fd, 0, 10, POSIX_FADV_SEQUENTIAL);
    result("posix_fadvise", errno ? -1 : 0);
    errno = posix_fallocate(fd, 0, 100);
    result("posix_fallocate", errno ? -1 : 0);
    result("ftruncate 64", ftruncate(fd, 64));
    result("fstat size", fstat(fd, &st) ? -1 : (long)st.st_size);
    result("close", close(fd));

    fd = open(at("work/log.txt"), O_CREAT | O_WRONLY | O_APPEND, 0644);
    result("open work/log.txt append", fd);
    result("write", write(fd, "first\n", 6));
    result("lseek SET 0", lseek(fd, 0, SEEK_SET));
    result("write appends", write(fd, "second\n", 7));
    int flags = fcntl(fd, F_GETFL);
    result("F_GETFL has O_APPEND", flags < 0 ? -1 : (flags & O_APPEND) != 0);
    result("F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, flags | O_NONBLOCK));
    result("close", close(fd));

    struct timespec times[2] = {{1000000000, 0}, {1234567890, 500}};
    result("utimensat work/log.txt", utimensat(AT_FDCWD, at("work/log.txt"), times, 0));
    result("stat mtime", stat(at("work/log.txt"), &st) ? -1 : (long)st.st_mtim.tv_sec);
    result("stat atime", (long)st.st_atim.tv_sec);
    fd = open(at("work/log.txt"), O_RDONLY);
    struct timespec later[2] = {{0, UTIME_OMIT}, {1500000000, 0}};
    result("futimens", futimens(fd, later));
    result("fstat mtime", fstat(fd, &st) ? -1 : (long)st.st_mtim.tv_sec);
    result("fstat atime kept", (long)st.st_atim.tv_sec);
    result("write to read-only fd", write(fd, "x", 1));
    close(fd);

    result("rename notes.txt -> renamed.txt",
           rename(at("work/notes.txt"), at("work/renamed.txt")));
    show_stat("work/notes.txt", 1);
    show_stat("work/renamed.txt", 1);
    result("symlink renamed.txt <- work/link", symlink("renamed.txt", at("work/link")));
    memset(buf, 0, sizeof buf);
    result("readlink work/link", readlink(at("work/link"), buf, sizeof buf - 1));
    printf("  target [%s]\n", buf);
    show_stat("work/link", 0);
    show_stat("work/link", 1);
    fd = open(at("work/link"), O_RDONLY);
    memset(buf, 0, sizeof buf);
    result("read through link", fd < 0 ? -1 : read(fd, buf, 20));
    printf("  read [%s]\n", buf);
    close(fd);
    result("symlink to a missing file", symlink("missing", at("work/dangling")));
    show_stat("work/dangling", 0);
    show_stat("work/dangling", 1);
    result("link renamed.txt -> hard.txt", link(at("work/renamed.txt"), at("work/hard.txt")));
    show_stat("work/hard.txt", 1);

    result("mkdir work/sub", mkdir(at("work/sub"), 0755));
    result("mkdir work/sub/deeper", mkdir(at("work/sub/deeper"), 0755));
    fd = open(at("work/sub/deeper/data.bin"), O_CREAT | O_EXCL | O_WRONLY, 0644);
    result("create work/sub/deeper/data.bin", fd);
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++) bytes[i] = (unsigned char)i;
    result("write 256 bytes", write(fd, bytes, sizeof bytes));
    close(fd);
    result("create it again with O_EXCL",
           open(at("work/sub/deeper/data.bin"), O_CREAT | O_EXCL | O_WRONLY, 0644));
    result("open a directory for writing", open(at("work/sub"), O_WRONLY));
    result("open a file as directory", open(at("work/renamed.txt"), O_RDONLY | O_DIRECTORY));
    list("work");
    list("work/sub/deeper");
    result("rmdir non-empty work/sub", rmdir(at("work/sub")));
    result("unlink a directory", unlink(at("work/sub")));
    result("rename dir work/sub -> work/moved", rename(at("work/sub"), at("work/moved")));
    result("unlink work/hard.txt", unlink(at("work/hard.txt")));
    result("unlink work/hard.txt again", unlink(at("work/hard.txt")));
    result("mkdir work/empty", mkdir(at("work/empty"), 0755));
    result("rmdir work/empty", rmdir(at("work/empty")));
    show_stat("work/renamed.txt", 1);
    show_stat("work/moved/deeper", 1);
    show_stat("input.txt", 1);

    fd = open(at("input.txt"), O_RDONLY);
    result("open input.txt", fd);
    memset(buf, 0, sizeof buf);
    result("read input.txt", read(fd, buf, sizeof buf - 1));
    printf("  [%s]\n", strtok(buf, "\n"));
    __wasi_fd_t to = 42;
    result("fd_renumber to an unused fd", __wasi_fd_renumber(fd, to) ? -1 : 0);
    int other = open(at("work/log.txt"), O_RDONLY);
    result("fd_renumber onto an open fd", __wasi_fd_renumber(other, fd) == 0 ? 0 : -1);
    result("close renumbered", close(fd));
    result("close twice", close(fd));
    list(".");
    return 0;
}
