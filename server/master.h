/*
 * master: the supervising process. It owns the listeners, the lifeline and
 * the worker table, and runs a libevent loop for signals, timers and the
 * workers' health pipes. It never touches a client connection.
 *
 * master.c is the hub: it receives every event (signals, the tick, SIGCHLD,
 * the modules' news) and fans it out to the modules (supervise, reload,
 * upgrade, sd, admin), which never call each other or back into it.
 */
#ifndef FORKLINE_MASTER_H
#define FORKLINE_MASTER_H

#include <stdbool.h>

#include "conf/config.h"

/*
 * Run the master until it stops. Returns the process exit status (0, or
 * one of <sysexits.h>: EX_CONFIG, EX_CANTCREAT, EX_OSERR, EX_UNAVAILABLE).
 */
int	 master_run(const struct conf *conf, const struct conf_source *src,
	    const char *exe, char *const *argv, const char *cwd, bool live);

#endif
