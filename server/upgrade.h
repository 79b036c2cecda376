/*
 * upgrade: SIGUSR2, replacing the running binary without dropping a
 * connection.
 *
 * The old master forks a child (a future) that execs the binary on disk
 * with the same arguments, handing over the listening sockets as they are
 * (LISTEN_FDS: same sockets, no re-bind, no SO_REUSEPORT) and the write
 * end of the future's pipe (FORKLINE_UPGRADE_FD). The new master starts
 * its workers; when they are ready it announces MAINPID to the service
 * manager and writes "ready" on that pipe (upgrade_announce). The module
 * tells the hub UPGRADE_NEWS_READY, and the hub drains its own workers and
 * exits, leaving the sockets and the pid file to the new master. If the
 * new binary fails to start, or is not ready within worker_timeout, the
 * module logs why and says UPGRADE_NEWS_FAILED: the old master goes on.
 */
#ifndef FORKLINE_UPGRADE_H
#define FORKLINE_UPGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/future.h"
#include "server/core.h"
#include "server/news.h"

struct event;

#define UPGRADE_NEWS_READY	0x1u
#define UPGRADE_NEWS_FAILED	0x2u

struct upgrade {
	const struct core	*core;
	struct news		 news;
	const char		*exe;		/* this binary, as started */
	char *const		*argv;		/* its arguments, as started */
	const char		*cwd;		/* where it was started */
	struct future		 child;		/* the new master, while ours */
	struct event		*pipe_ev;
	struct event		*timer;
	bool			 in_flight;	/* started, not yet decided */
	int			 announce_fd;	/* a new master: to the old */
};

/*
 * Set up; in a new master, also read what the old one passed (the
 * variables are not passed on to our own children). Returns the old
 * master's pid, or 0 when we are not an upgrade.
 */
pid_t	 upgrade_init(struct upgrade *up, const struct core *core,
	    struct event *wake, const char *exe, char *const *argv,
	    const char *cwd);
void	 upgrade_free(struct upgrade *up);

/* Start the new master, handing it the listeners and admin_fd (-1: none).
 * 0, or -1 with the reason in err. */
int	 upgrade_start(struct upgrade *up, int admin_fd, char *err,
	    size_t errlen);
void	 upgrade_reap(struct upgrade *up);
void	 upgrade_tick(struct upgrade *up);

/* In a new master, once its workers serve: tell the old one. */
void	 upgrade_announce(struct upgrade *up);

/* The new master said it took our connection channels: our workers and
 * lobby may hand connections over to it. */
bool	 upgrade_shares_channels(const struct upgrade *up);

#endif
