#ifndef CLINUX_H
#define CLINUX_H
// The one seam to Linux facilities Swift's Glibc module does not expose well.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sched.h>
#include <stdint.h>

/// epoll_event is packed on x86_64; these helpers keep Swift away from its layout.
static inline void clinux_epoll_event_set(struct epoll_event *event, uint32_t events, uint64_t data) {
    event->events = events;
    event->data.u64 = data;
}
static inline uint32_t clinux_epoll_event_events(const struct epoll_event *event) { return event->events; }
static inline uint64_t clinux_epoll_event_data(const struct epoll_event *event) { return event->data.u64; }

/// Size of the epoll_event array element, as the kernel expects it.
static inline size_t clinux_epoll_event_size(void) { return sizeof(struct epoll_event); }

/// Block SIGTERM, SIGINT (delivered through signalfd) and ignore SIGPIPE for the calling thread and
/// every thread it creates afterwards. Returns 0 on success.
int clinux_block_signals(void);

/// Create a signalfd for SIGTERM and SIGINT. Returns the fd or -1.
int clinux_signalfd_term_int(void);

/// Read one signal from a signalfd; returns the signal number, 0 when none is pending, -1 on error.
int clinux_signalfd_read(int fd);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (accept4 needs _GNU_SOURCE, which Swift does not set).
int clinux_accept_nonblocking(int fd);

/// The thread id of the calling thread (for debug confinement checks).
long clinux_gettid(void);

/// Names the calling thread (as `top -H` and debuggers show it); the kernel keeps 15 bytes.
void clinux_set_thread_name(const char *name);
#endif
