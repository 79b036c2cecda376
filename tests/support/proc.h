/*
 * proc: processes as /proc shows them. A process's state, status fields,
 * memory and CPU, command line and children; a server's workers (the
 * master's children) and sets of their pids.
 */
#ifndef FORKLINE_TEST_PROC_H
#define FORKLINE_TEST_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tests/support/base.h"
#include "tests/support/server.h"

bool	 ps_alive(pid_t pid);		/* exists and is not a zombie */
/* The state letter of /proc/PID/stat ('R', 'S', 'T', 'Z' ...); '\0' if
 * there is no such process. */
char	 ps_state(pid_t pid);
/* The line "Name:\t..." of /proc/PID/status without its name and
 * surrounding blanks; "" if there is none. */
void	 ps_status_field(pid_t pid, const char *name, char *out, size_t len);
/*
 * What a process that should be gone is doing, for a failure message:
 * "state S, waiting in do_epoll_wait, signals pending 0, shared pending
 * 0, blocked 0" (the masks in hex from /proc/PID/status), or "gone".
 */
const char *ps_describe(pid_t pid, char *buf, size_t len);
/* Resident set size (VmRSS) in kB; -1 if unreadable. */
long	 ps_rss_kb(pid_t pid);
/* utime + stime of pid, in clock ticks, from /proc/PID/stat. */
long	 ps_cpu_ticks(pid_t pid);
/* When pid started, in clock ticks after boot (field 22 of
 * /proc/PID/stat); 0 if it is gone. With the pid, names one process. */
unsigned long long ps_start_time(pid_t pid);
/* Children of pid (/proc/PID/task/PID/children) but a forkline lobby:
 * count, pids in out. */
int	 ps_children(pid_t pid, pid_t *out, int max);
/* A forkline master's lobby process (lobby/lobby.h), or 0. */
pid_t	 ps_lobby(pid_t master);
bool	 ps_is_lobby(pid_t pid);
/* One of pid's fds is target (a path, or "socket:[INODE]"). */
bool	 ps_holds(pid_t pid, const char *target);
/* argv[0] of pid (text up to the first NUL, trailing blanks cut). */
bool	 ps_cmdline(pid_t pid, char *buf, size_t len);
/* Wait until none of pids[0..n) is alive; assert with what otherwise. */
void	 ps_assert_gone(const pid_t *pids, int n, int timeout_ms,
	    const char *what);
/* Wait up to HARNESS_STOP_MS until pid is gone; assert with what. */
void	 ps_wait_gone(pid_t pid, const char *what);
/* Wait up to HARNESS_READY_MS until pid has n children; assert with
 * what. */
void	 ps_wait_children(pid_t pid, int n, const char *what);

/*
 * The master's worker processes (its children): count returned, pids in
 * out.
 */
int	 server_workers(const struct server *s, pid_t *out, int max);
/* Wait until the master has exactly n children; their pids in out. */
void	 server_wait_workers(const struct server *s, int n, pid_t *out);
bool	 server_is_worker(const struct server *s, pid_t pid);

/* Pids of the master's children, to find one in a set or out of it. */
struct pidset {
	pid_t	 pids[HARNESS_MAX_PIDS];
	int	 n;
};
bool	 pidset_has(const struct pidset *set, pid_t pid);
/* "pid pid ..." for messages (in a harness_scratch buffer). */
const char *pidset_text(const struct pidset *set);

/*
 * A worker's replacement, for harness_wait_until(worker_replaced, &r, ms):
 * true once the master s has n children again (left in now), gone not
 * among them and not alive (reaped, or at least a zombie).
 */
struct replaced {
	const struct server	*s;
	pid_t			 gone;
	int			 n;
	struct pidset		 now;
};
bool	 worker_replaced(void *arg);

#endif
