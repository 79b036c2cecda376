/*
 * spawn: fork and exec a program the way the harness starts every server
 * (server.h builds on it). The child gets stdin from /dev/null, stdout and
 * stderr on the fds given, an optional listener as fd 3 with the systemd
 * LISTEN_FDS protocol, no other fd of the test, and PR_SET_PDEATHSIG:
 * it dies with the test. Until it is reaped and forgotten, an atexit()
 * handler of the process that started it kills it, for a passing test
 * that forgot a server.
 */
#ifndef FORKLINE_TEST_SPAWN_H
#define FORKLINE_TEST_SPAWN_H

#include <sys/types.h>

/* $FORKLINE_BIN, asserted to be set and executable. */
const char *harness_forkline_bin(void);
/*
 * Fork and exec bin with args (after argv[0], NULL-terminated); the
 * child's stdout and stderr go to out_fd and err_fd, and listen_fd (if
 * not -1) becomes its fd 3 with LISTEN_FDS=1 and LISTEN_PID set.
 * in_child (if not NULL) runs in the child once that is set up, before
 * the other fds are closed. Returns the pid.
 */
pid_t	 harness_spawn(const char *bin, const char *const args[],
	    int listen_fd, int out_fd, int err_fd,
	    void (*in_child)(int log_fd, void *arg), void *arg);
/* pid has been reaped: no longer killed at exit. */
void	 harness_forget(pid_t pid);

#endif
