/*
 * listeners: the listening sockets in the master's core, opened once
 * before any worker is forked, inherited from LISTEN_FDS (systemd, or an
 * old master on a binary upgrade), and changed by a reload.
 */
#ifndef FORKLINE_LISTENERS_H
#define FORKLINE_LISTENERS_H

#include <stddef.h>

#include "server/core.h"

/*
 * LISTEN_FDS if there are any, else the configured addresses (each one
 * opened is logged). 0, or -1 with the reason in err.
 */
int	 listeners_open(struct core *c, char *err, size_t errlen);

/*
 * The listener set for a new configuration: addresses already open keep
 * their socket (no re-bind, nothing queued is lost), new ones are opened.
 * On failure whatever was newly opened is closed, the current set is
 * untouched, and -1 returned with the reason in err. Listeners from
 * LISTEN_FDS never change.
 */
int	 listeners_update(const struct core *c, const struct conf *next,
	    struct listener *out, int *nout, char *err, size_t errlen);

void	 listeners_close(struct core *c);
void	 listeners_close_set(struct listener *set, int n);
void	 listeners_disown(struct core *c);

/* Connections waiting in the TCP accept queues (unix ones count 0). */
int	 listeners_queued(const struct core *c);

#endif
