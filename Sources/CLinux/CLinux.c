#define _GNU_SOURCE
#include "CLinux.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <malloc.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <stdio.h>

const uint32_t BV_EPOLLIN = EPOLLIN;
const uint32_t BV_EPOLLOUT = EPOLLOUT;
const uint32_t BV_EPOLLERR = EPOLLERR;
const uint32_t BV_EPOLLHUP = EPOLLHUP;
const uint32_t BV_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t BV_EPOLLONESHOT = EPOLLONESHOT;
const uint32_t BV_EPOLLET = EPOLLET;
const int BV_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
const int BV_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
const int BV_EPOLL_CTL_DEL = EPOLL_CTL_DEL;

int bv_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int bv_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int bv_epoll_wait(int epfd, bv_epoll_event *out, int maxevents, int timeout_ms) {
    struct epoll_event evs[256];
    if (maxevents > 256) maxevents = 256;
    int n = epoll_wait(epfd, evs, maxevents, timeout_ms);
    for (int i = 0; i < n; i++) {
        out[i].events = evs[i].events;
        out[i].data = evs[i].data.u64;
    }
    return n;
}

int bv_eventfd(unsigned int initval, int nonblocking) {
    return eventfd(initval, EFD_CLOEXEC | (nonblocking ? EFD_NONBLOCK : 0));
}
int bv_eventfd_write(int fd, uint64_t value) { return eventfd_write(fd, value); }
int bv_eventfd_read(int fd, uint64_t *value) { return eventfd_read(fd, value); }

static void fill_set(sigset_t *set, const int *signals, int count) {
    sigemptyset(set);
    for (int i = 0; i < count; i++) sigaddset(set, signals[i]);
}

int bv_block_signals(const int *signals, int count) {
    sigset_t set;
    fill_set(&set, signals, count);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int bv_unblock_all_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    return pthread_sigmask(SIG_SETMASK, &set, NULL);
}

int bv_signalfd(const int *signals, int count) {
    sigset_t set;
    fill_set(&set, signals, count);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

int bv_signalfd_read(int fd, int *pid) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n != sizeof info) { errno = EIO; return -1; }
    if (pid) *pid = (int)info.ssi_pid;
    return (int)info.ssi_signo;
}

int bv_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
int bv_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

int bv_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid; *uid = cred.uid; *gid = cred.gid;
    return 0;
}

int bv_set_nonblocking_cloexec(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -1;
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl < 0 || fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0) return -1;
    return 0;
}

int bv_accept4(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }
int bv_socket_cloexec(int domain, int type) { return socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>

pid_t bv_spawn(const char *path, char *const argv[], char *const envp[], int input_fd, int output_fd, int error_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    if (posix_spawn_file_actions_init(&actions) != 0) return -1;
    if (posix_spawnattr_init(&attr) != 0) { posix_spawn_file_actions_destroy(&actions); return -1; }
    if (input_fd >= 0) posix_spawn_file_actions_adddup2(&actions, input_fd, 0);
    else posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (output_fd >= 0) posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
    if (error_fd >= 0) posix_spawn_file_actions_adddup2(&actions, error_fd, 2);
    /* Close-on-exec hygiene even for descriptors someone forgot to mark. */
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, path, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) { errno = rc; return -1; }
    return pid;
}

int bv_pidfd_reap(int pidfd, int *code, int *signaled) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    /* P_PIDFD (Linux 5.4): waitid on the pidfd itself, so a recycled pid can never be reaped by mistake. */
    if (waitid((idtype_t)3, (id_t)pidfd, &info, WEXITED | WNOHANG) != 0) return -1;
    if (info.si_pid == 0) return 0;
    *signaled = (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) ? 1 : 0;
    *code = info.si_status;
    return 1;
}

int bv_set_parent_death_signal(int sig) { return prctl(PR_SET_PDEATHSIG, sig); }

int bv_malloc_trim(void) { return malloc_trim(0); }

long bv_raise_nofile_limit(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur == RLIM_INFINITY ? 1L << 30 : (long)limit.rlim_cur;
}

int bv_open_descriptor_count(void) {
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return -1;
    int n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] != '.') n++;
    }
    closedir(dir);
    return n - 1; /* the directory's own descriptor */
}
int bv_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

static int bv_signal_pipe_write_fd = -1;

static void bv_signal_pipe_handler(int sig) {
    int saved = errno;
    unsigned char byte = (unsigned char)sig;
    if (bv_signal_pipe_write_fd >= 0) (void)write(bv_signal_pipe_write_fd, &byte, 1);
    errno = saved;
}

int bv_signal_pipe(const int *signals, int count) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    bv_signal_pipe_write_fd = fds[1];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bv_signal_pipe_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < count; i++) {
        if (sigaction(signals[i], &sa, NULL) != 0) return -1;
    }
    return fds[0];
}

long bv_drop_code_pages(void) {
    /* smaps, not maps: a code mapping with private (anonymous) pages was written to after it was mapped (text
     * relocations, a debugger's breakpoints), and dropping those pages would bring back the file's bytes. */
    FILE *smaps = fopen("/proc/self/smaps", "re");
    if (!smaps) return -1;
    char line[512];
    long dropped = 0;
    unsigned long start = 0, end = 0;
    int candidate = 0;
    while (fgets(line, sizeof line, smaps)) {
        unsigned long a, b;
        char perms[5];
        int path = 0;
        if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &a, &b, perms, &path) >= 3) {
            start = a;
            end = b;
            candidate = strcmp(perms, "r-xp") == 0 && path > 0 && line[path] == '/';
            continue;
        }
        unsigned long anonymous;
        if (candidate && sscanf(line, "Anonymous: %lu kB", &anonymous) == 1) {
            if (anonymous == 0 && madvise((void *)start, end - start, MADV_DONTNEED) == 0) dropped += (long)(end - start);
            candidate = 0;
        }
    }
    fclose(smaps);
    return dropped;
}
