#ifndef BOTVISOR_CLINUX_H
#define BOTVISOR_CLINUX_H
/* The Linux calls Glibc does not export to Swift in a usable shape:
 * epoll (struct epoll_event is packed on x86_64), eventfd, signalfd,
 * pidfd_open/pidfd_send_signal (no glibc wrapper before 2.36), SO_PEERCRED. */
#include <stdint.h>
#include <sys/types.h>
#include <signal.h>

/** An epoll event with natural alignment. */
typedef struct bv_epoll_event {
    uint32_t events;
    uint64_t data;
} bv_epoll_event;

extern const uint32_t BV_EPOLLIN;
extern const uint32_t BV_EPOLLOUT;
extern const uint32_t BV_EPOLLERR;
extern const uint32_t BV_EPOLLHUP;
extern const uint32_t BV_EPOLLRDHUP;
extern const uint32_t BV_EPOLLONESHOT;
extern const uint32_t BV_EPOLLET;
extern const int BV_EPOLL_CTL_ADD;
extern const int BV_EPOLL_CTL_MOD;
extern const int BV_EPOLL_CTL_DEL;

int bv_epoll_create(void);
int bv_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
int bv_epoll_wait(int epfd, bv_epoll_event *events, int maxevents, int timeout_ms);

int bv_eventfd(unsigned int initval, int nonblocking);
int bv_eventfd_write(int fd, uint64_t value);
int bv_eventfd_read(int fd, uint64_t *value);

/** A signalfd for the given signals (they are blocked in the calling thread first). */
int bv_signalfd(const int *signals, int count);
/** Reads one siginfo; returns the signal number, 0 on EAGAIN, -1 on error. */
int bv_signalfd_read(int fd, int *pid);
/** Blocks the given signals in the calling thread (and threads it creates later). */
int bv_block_signals(const int *signals, int count);
int bv_unblock_all_signals(void);

int bv_pidfd_open(pid_t pid, unsigned int flags);
int bv_pidfd_send_signal(int pidfd, int sig);

/** SO_PEERCRED of a connected Unix socket. */
int bv_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/** Sets O_NONBLOCK and FD_CLOEXEC. */
int bv_set_nonblocking_cloexec(int fd);
int bv_accept4(int fd);
int bv_socket_cloexec(int domain, int type);
/** pipe2 with O_CLOEXEC. */
int bv_pipe_cloexec(int fds[2]);

#endif

#ifndef BOTVISOR_CLINUX_SPAWN
#define BOTVISOR_CLINUX_SPAWN
/** Spawns `path` with `argv`/`envp` (NULL-terminated) in a new process group,
 * stdin from `input_fd` (or /dev/null when -1), stdout to `output_fd`, stderr
 * to `error_fd` (each inherited when -1), every other descriptor closed, the
 * signal mask emptied and signal dispositions reset.
 * Returns the pid, or -1 with errno set. */
pid_t bv_spawn(const char *path, char *const argv[], char *const envp[], int input_fd, int output_fd, int error_fd);

/** Reaps the child behind `pidfd` without blocking. Returns 1 and fills
 * `code` (exit status or signal) and `signaled` when it has exited, 0 when it
 * is still running, -1 on error. */
int bv_pidfd_reap(int pidfd, int *code, int *signaled);

/** Makes the calling process receive `sig` when its parent dies. */
int bv_set_parent_death_signal(int sig);

/* malloc_trim(0): give freed heap back to the kernel (glibc). */
int bv_malloc_trim(void);

/* Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the soft limit now in force (or -1). */
long bv_raise_nofile_limit(void);

/* The number of descriptors open in this process (entries of /proc/self/fd), or -1. */
int bv_open_descriptor_count(void);
#endif

#ifndef BOTVISOR_CLINUX_SIGPIPE
#define BOTVISOR_CLINUX_SIGPIPE
/** Installs handlers for `signals` that write the signal number as one byte to
 * a non-blocking close-on-exec pipe (the self-pipe trick: it works whichever
 * thread the kernel picks). Returns the pipe's read end, or -1. */
int bv_signal_pipe(const int *signals, int count);
#endif

#ifndef BOTVISOR_CLINUX_CODE_PAGES
#define BOTVISOR_CLINUX_CODE_PAGES
/* Unmaps the resident pages of every file-backed executable mapping (text, never written, so they fault back
 * from the page cache as they are used; writable and relocated mappings are left alone). Returns the bytes of
 * the mappings advised, or -1. */
long bv_drop_code_pages(void);
#endif
