/*
 * daemon: the classic way to run without a service manager. A pid file
 * that is created atomically and locked for the master's life, detaching
 * from the terminal, and `forkline -s SIGNAL` to signal the running
 * master through its pid file (like nginx -s).
 */
#ifndef FORKLINE_DAEMON_H
#define FORKLINE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Write our pid to path: a live master holding the file's lock is an
 * error; a stale file is replaced (and said so). The file is written
 * under another name and renamed into place, and stays locked through the
 * returned fd. takeover skips the liveness check (a binary upgrade: the
 * old master still holds the lock). Returns the fd, or -1 with err.
 */
int	 pidfile_acquire(const char *path, bool takeover, char *err,
	    size_t errlen);

/* Remove path if it still names this process; close fd. */
void	 pidfile_release(const char *path, int fd);

/*
 * -s NAME: stop, quit, reload, reopen or upgrade. Returns the process
 * exit status (0 sent, 1 not running, 64 bad name, 71 OS error), having
 * printed any error.
 */
int	 pidfile_signal(const char *path, const char *name);

/*
 * Detach: fork (the parent waits for daemon_ready and exits with the
 * status it reports), setsid, fork again, chdir /. Returns in the child.
 */
void	 daemon_start(void);

/* In the daemon: start-up is over (status 0) or failed (status): tell the
 * waiting parent, and on success point stdio at /dev/null. */
void	 daemon_ready(int status);

#endif
