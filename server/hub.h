/*
 * hub: the master's own state and the entry points of its event loop,
 * shared by master.c (the hub: every event comes in there and is fanned
 * out to the modules) and master_setup.c (which builds the loop, runs it
 * and tears it down). Nothing else includes this.
 */
#ifndef FORKLINE_HUB_H
#define FORKLINE_HUB_H

#include <stdbool.h>
#include <event2/util.h>

#include "server/admin.h"
#include "server/core.h"
#include "server/parking.h"
#include "server/reload.h"
#include "server/sd.h"
#include "server/supervise.h"
#include "server/upgrade.h"

#define SIGNALS_MAX		16

struct event;

struct master {
	struct core		 core;
	struct supervisor	 sup;
	struct reload		 reload;
	struct upgrade		 upgrade;
	struct sd		 sd;
	struct admin		 admin;
	struct parking		 parking;

	int			 exit_status;
	bool			 live;		/* --live: a status line */
	int			 pidfile_fd;	/* -1: no pid file */
	char			 pidfile_path[CONF_PATH_MAX]; /* as at start */

	struct event		*news_ev;
	struct event		*signals[SIGNALS_MAX];
	int			 nsignals;
	struct event		*tick_timer;
	struct event		*grace_timer;
};

/* libevent callbacks; arg is the struct master. */
void	 hub_on_signal(evutil_socket_t sig, short what, void *arg);
void	 hub_on_tick(evutil_socket_t fd, short what, void *arg);
void	 hub_on_grace_timer(evutil_socket_t fd, short what, void *arg);
void	 hub_on_news(evutil_socket_t fd, short what, void *arg);

/* The tick's period follows the pool mode (dynamic pools: more often). */
void	 hub_arm_tick(struct master *m);
void	 hub_close_lifeline(struct master *m);
/* Put the [faults] in force on the board, and log them if any is on. */
void	 hub_publish_faults(struct master *m);

#endif
