/*
 * worker: a forked child that accepts on the shared listeners and serves one
 * client at a time with blocking I/O. It never uses libevent and never
 * includes server/ headers: what it needs from the master arrives in a
 * worker_env. This header is all the master sees of worker/.
 */
#ifndef FORKLINE_WORKER_H
#define FORKLINE_WORKER_H

#include <stdnoreturn.h>
#include <sys/types.h>

#include "common/board.h"
#include "common/creds.h"
#include "common/beats.h"
#include "common/idle.h"
#include "conf/config.h"

/* What the master hands a new worker. */
struct worker_env {
	const struct conf	*conf;
	const int		*listeners;
	int			 nlisteners;
	int			 lifeline;	/* read end; EOF = stop */
	int			 report_fd;	/* health pipe, write end */
	int			 intake;	/* to the lobby (common/handoff.h) */
	int			 dispatch;	/* connections to take; shared */
	int			 pass;		/* to the dispatch channel */
	int			 access_fd;	/* access log, or -1 */
	const struct creds	*creds;		/* who to become */
	const struct board	*board;		/* [faults] now (struct conf_faults) */
	struct idle_board	*idle;		/* workers waiting (common/idle.h) */
	struct beat_board	*beats;		/* heartbeats (common/beats.h) */
	int			 slot;		/* 1..N, stable across restarts */
	unsigned		 start;		/* the slot's n-th worker, from 1 */
	unsigned		 generation;
	pid_t			 master;
};

/* Serve until told to stop, then exit: 0, or EX_OSERR if set-up failed. */
noreturn void	 worker_main(const struct worker_env *env);

#endif
