// misc: the preview 1 functions that libc rarely reaches, called directly on a file and
// a directory of the preopened directory given as first argument: descriptor rights,
// fd_allocate, the socket functions on descriptors that are not sockets, proc_raise,
// poll_oneoff, and fd_fdstat_get of the standard streams. Prints each errno.
//
// Not called on the standard streams: fd_fdstat_set_rights and fd_allocate, for which
// wasmtime-wasi answers EBADF (its standard streams are not files) and stagec ENOTSUP.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

// wasi-libc no longer declares proc_raise: imported by hand (signal 10 is SIGUSR1).
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
uint16_t raw_proc_raise(uint32_t signal);

static void show(const char *what, __wasi_errno_t e) {
    printf("%-44s -> errno %u\n", what, (unsigned)e);
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    char path[256];
    snprintf(path, sizeof path, "%s/file.txt", argv[1]);
    int file = open(path, O_CREAT | O_RDWR, 0644);
    int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
    printf("opened a file: %d, a directory: %d\n", file >= 0, dir >= 0);
    __wasi_fdstat_t st;
    for (int fd = 0; fd < 3; fd++) {
        __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
        printf("fd_fdstat_get(%d) -> errno %u, filetype %u\n", fd, (unsigned)e,
               e ? 0 : (unsigned)st.fs_filetype);
    }
    show("fd_fdstat_get(99)", __wasi_fd_fdstat_get(99, &st));
    show("fd_fdstat_set_rights(file, datasync, none)",
         __wasi_fd_fdstat_set_rights(file, 1, 0));
    show("fd_fdstat_set_rights(dir, 0, 0)", __wasi_fd_fdstat_set_rights(dir, 0, 0));
    show("fd_fdstat_set_rights(99, 0, 0)", __wasi_fd_fdstat_set_rights(99, 0, 0));
    show("fd_allocate(file, 0, 10)", __wasi_fd_allocate(file, 0, 10));
    show("fd_allocate(99, 0, 10)", __wasi_fd_allocate(99, 0, 10));
    __wasi_fd_t accepted;
    show("sock_accept(0)", __wasi_sock_accept(0, 0, &accepted));
    show("sock_accept(file)", __wasi_sock_accept(file, 0, &accepted));
    show("sock_accept(99)", __wasi_sock_accept(99, 0, &accepted));
    char buf[16];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t n;
    __wasi_roflags_t ro;
    show("sock_recv(0)", __wasi_sock_recv(0, &iov, 1, 0, &n, &ro));
    show("sock_recv(dir)", __wasi_sock_recv(dir, &iov, 1, 0, &n, &ro));
    show("sock_recv(99)", __wasi_sock_recv(99, &iov, 1, 0, &n, &ro));
    __wasi_ciovec_t ciov = {(const uint8_t *)"hi", 2};
    show("sock_send(1)", __wasi_sock_send(1, &ciov, 1, 0, &n));
    show("sock_send(99)", __wasi_sock_send(99, &ciov, 1, 0, &n));
    show("sock_shutdown(1)", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR));
    show("sock_shutdown(99)", __wasi_sock_shutdown(99, __WASI_SDFLAGS_WR));
    show("proc_raise(SIGUSR1)", raw_proc_raise(10));
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.userdata = 7;
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.timeout = 1000000;
    __wasi_event_t ev;
    __wasi_size_t nev = 0;
    __wasi_errno_t e = __wasi_poll_oneoff(&sub, &ev, 1, &nev);
    printf("poll_oneoff(clock 1ms) -> errno %u, %u events, userdata %llu, type %u\n",
           (unsigned)e, (unsigned)nev, (unsigned long long)ev.userdata, (unsigned)ev.type);
    show("poll_oneoff(no subscriptions)", __wasi_poll_oneoff(&sub, &ev, 0, &nev));
    show("sched_yield", __wasi_sched_yield());
    return 0;
}
