/*
 * core: what every module of the master reads. The event loop, the
 * configuration in force, the listeners, the lifeline, who the workers run
 * as, and the master's phase.
 *
 * master.c (the hub) owns it. Modules get a const pointer when they are set
 * up and read it when they need to; only the hub changes it, or a module
 * the hub hands a non-const pointer for one named step (reload_apply,
 * reload_undo, listeners_*, logfiles_*).
 */
#ifndef FORKLINE_CORE_H
#define FORKLINE_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/creds.h"
#include "common/net.h"
#include "conf/config.h"

struct board;
struct event_base;
struct beat_board;
struct idle_board;

/*
 * The master's phase, one at a time. SIGHUP and SIGUSR2 move it out of
 * RUNNING and back; a stop leaves it for good. Every phase from HANDOVER
 * on is a stop (see core_stopping).
 */
enum master_phase {
	PHASE_RUNNING,
	PHASE_CHECKING,		/* SIGHUP: the configuration check child runs */
	PHASE_RELOADING,	/* a new generation is starting */
	PHASE_UPGRADING,	/* SIGUSR2: a new master is starting */
	PHASE_HANDOVER,		/* the new master serves; ours drain */
	PHASE_STOPPING,		/* graceful: draining within grace_period */
	PHASE_QUITTING,		/* immediate: workers killed */
};

struct listener {
	int		 fd;
	struct net_addr	 addr;		/* bound address (port 0 resolved) */
	char		 spec[NET_ADDR_TEXT_MAX]; /* as configured, canonical */
	bool		 owned;		/* we created it: unlink unix paths */
};

struct core {
	struct event_base	*base;
	struct conf		 conf;
	const struct conf_source *source;
	enum master_phase	 phase;
	unsigned		 generation;
	pid_t			 pid;
	pid_t			 upgrade_from;	/* the old master, if any */
	int64_t			 started_ms;

	struct listener		 listeners[CONF_LISTEN_MAX];
	int			 nlisteners;
	bool			 inherited;	/* from LISTEN_FDS */

	/* Master holds the write end; its EOF tells every worker to stop. */
	int			 lifeline[2];
	/*
	 * The connection channels (common/handoff.h), socketpairs the master
	 * keeps open and never reads. intake: workers send on [1], the lobby
	 * receives on [0]. dispatch: the lobby and draining workers send on
	 * [0], idle workers receive on [1].
	 */
	int			 intake[2];
	int			 dispatch[2];
	bool			 channels_adopted;	/* from an old master */
	struct creds		 creds;		/* who workers run as */
	int			 access_fd;	/* -1: no access log */

	/* [faults] as workers read it, with the seed in force: the key's,
	 * or seed_chosen (picked at start) when the key is 0. */
	struct board		*board;
	int			 seed_chosen;

	/* How many workers wait for a connection (common/idle.h). */
	struct idle_board	*idle;
	/* Each worker's latest heartbeat, read on the tick (common/beats.h). */
	struct beat_board	*beats;
};

static inline bool
core_stopping(const struct core *c)
{
	return c->phase >= PHASE_HANDOVER;
}

/* Workers of the current generation that must serve before READY=1 and
 * a healthy /healthz: min_ready, or all of start when it is 0. */
static inline int
core_ready_target(const struct core *c)
{
	return c->conf.min_ready > 0 ? c->conf.min_ready : c->conf.workers;
}

#endif
