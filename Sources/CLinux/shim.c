#define _GNU_SOURCE
#include "CLinux.h"
#include <errno.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/syscall.h>

int clinux_block_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    // SIGPIPE: writes use MSG_NOSIGNAL, but ignore it process-wide as a second guard.
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int clinux_signalfd_term_int(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int clinux_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    for (;;) {
        ssize_t n = read(fd, &info, sizeof info);
        if (n == (ssize_t)sizeof info) return (int)info.ssi_signo;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 0;
        return -1;
    }
}

long clinux_gettid(void) { return (long)syscall(SYS_gettid); }

int clinux_accept_nonblocking(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

void clinux_set_thread_name(const char *name) {
    char truncated[16];
    size_t length = 0;
    while (length < sizeof truncated - 1 && name[length] != 0) {
        truncated[length] = name[length];
        length += 1;
    }
    truncated[length] = 0;
    pthread_setname_np(pthread_self(), truncated);
}
