/*
 * supervise: the worker slots. Workers are started as futures, followed
 * through their health reports, reaped by pid and replaced; the pool's
 * size is decided by pool_decide and carried out here.
 *
 * A slot's life is one table of small actions, actions[state][event], in
 * the manner of s6-supervise:
 *
 *   EMPTY --spawn--> STARTING --ready--> IDLE <--> BUSY
 *     ^                 |                 |         |
 *     |                 +----stop / drain-+---------+--> DRAINING
 *     |                 +----hang---------+---------+--> KILLING
 *     |                                                    | timeout: SIGKILL
 *     +------ exit from any state with a process ----------+
 *     |       (a crash of the current generation: BACKOFF instead)
 *     +--stop-- BACKOFF --timeout: spawn--> STARTING
 *
 * Only IDLE and BUSY serve. A worker being killed as hung (KILLING) or a
 * slot waiting to restart (BACKOFF) never counts as serving.
 *
 * The module owns its slots and counters. It reads the master's core
 * (common settings, listeners, lifeline) and tells the hub what happened
 * through its news (a worker became ready, a worker left while the master
 * stops, the pool wants a step): the hub fans them out.
 */
#ifndef FORKLINE_SUPERVISE_H
#define FORKLINE_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/future.h"
#include "common/health.h"
#include "conf/config.h"
#include "server/backoff.h"
#include "server/core.h"
#include "server/news.h"
#include "server/pool.h"

struct event;

/* Room for a full pool of the largest size twice over, during a reload. */
#define SLOTS_MAX	(2 * CONF_WORKERS_MAX + 64)

enum slot_state {
	SLOT_EMPTY,
	SLOT_STARTING,		/* forked, no report yet */
	SLOT_IDLE,
	SLOT_BUSY,
	SLOT_DRAINING,		/* told to stop, or said it stops */
	SLOT_KILLING,		/* hung: SIGABRT sent, SIGKILL after kill_grace */
	SLOT_BACKOFF,		/* crashed: restarts when its backoff is over */
	SLOT_NSTATES,
};

enum slot_event {
	SLOT_EV_SPAWN,		/* the pool wants a worker in this slot */
	SLOT_EV_IDLE,		/* a report: idle */
	SLOT_EV_BUSY,		/* a report: busy */
	SLOT_EV_DRAINING,	/* a report: draining (it saw the lifeline) */
	SLOT_EV_RECYCLE,	/* a report asks to be recycled */
	SLOT_EV_STOP,		/* the master drains it (a reason comes along) */
	SLOT_EV_SHUTDOWN,	/* the master stops: drain, restart nothing */
	SLOT_EV_HANG,		/* silent for worker_timeout */
	SLOT_EV_TIMEOUT,	/* the slot's deadline (kill, restart) is due */
	SLOT_EV_EXIT,		/* exit status and EOF are in */
	SLOT_NEVENTS,
};

/* Why the master stopped a worker; how its exit is told in the log. */
enum stop_reason {
	STOP_NONE,		/* it ended on its own: a crash */
	STOP_HUNG,		/* no report for worker_timeout */
	STOP_RECYCLED,		/* max_requests / max_rss, replaced */
	STOP_RETIRED,		/* the pool shrank */
	STOP_RELOAD,		/* an older generation */
	STOP_SHUTDOWN,		/* the master is stopping */
	STOP_NREASONS,
};

#define SUPERVISE_NEWS_READY	0x1u	/* a worker became ready */
#define SUPERVISE_NEWS_GONE	0x2u	/* a worker left, the master stops */
#define SUPERVISE_NEWS_POOL	0x4u	/* time for supervise_pool_step */

/* Counters over the master's life: live workers' reports + the dead's. */
struct totals {
	uint64_t	 connections;
	uint64_t	 requests;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	uint64_t	 latency[HEALTH_LATENCY_BUCKETS];	/* per bucket */
	uint64_t	 latency_sum_us;
	uint64_t	 faults[HEALTH_FAULT_KINDS];	/* injected, by kind */
	uint64_t	 handoffs[HEALTH_HANDOFF_KINDS];
	uint64_t	 drained[STOP_NREASONS];	/* handed over, by why */
	uint64_t	 handoff_latency[HEALTH_LATENCY_BUCKETS];
	uint64_t	 handoff_latency_sum_us;
};

struct supervisor;

struct slot {
	struct supervisor	*sup;
	int			 num;		/* 1..; titles and logs */
	enum slot_state		 state;
	unsigned		 generation;
	pid_t			 pid;
	struct future		 fut;
	struct event		*pipe_ev;
	struct health_report	 last;
	int64_t			 started_ms;
	unsigned		 starts;	/* workers started here, from 1 */
	int64_t			 ready_ms;	/* 0: not ready yet */
	int64_t			 last_report_ms;
	uint32_t		 beat_seen;	/* the beat slot's count, last look */
	enum stop_reason	 stop;
	int64_t			 deadline_ms;	/* KILLING, BACKOFF; 0: none */
	struct backoff		 backoff;

	/* Recycling: the slot of this worker's replacement, or -1. */
	bool			 wants_recycle;
	int			 replacement;
};

struct supervisor {
	const struct core	*core;
	struct news		 news;
	struct slot		*slots;		/* SLOTS_MAX of them */
	int			 slots_hi;	/* all from here on are unused */
	int			 slots_prepared; /* see supervise_init */
	struct pool_limits	 limits;
	int64_t			 surplus_since_ms;
	double			 spawn_tokens;	/* rate limit bucket */
	int64_t			 tokens_at_ms;
	struct crashloop	 crashloop;
	int64_t			 last_serving_ms;
	uint32_t		 rnd;

	struct totals		 retired;	/* of exited workers */
	unsigned		 restarts;
	uint64_t		 exits[STOP_NREASONS];	/* by reason */
};

/* supervise_slots.c: setting up */
int	 supervise_init(struct supervisor *sup, const struct core *core,
	    struct event *wake);
void	 supervise_free(struct supervisor *sup);
void	 supervise_set_limits(struct supervisor *sup, const struct conf *conf);

/* supervise_pool.c: the pool's size */
void	 supervise_pool_step(struct supervisor *sup);
void	 supervise_resize(struct supervisor *sup, int step, const char *sig);

/* supervise.c: the table, spawning, reports, exits */
int	 supervise_spawn(struct supervisor *sup);
void	 supervise_reap(struct supervisor *sup);
bool	 supervise_tick(struct supervisor *sup);
int	 supervise_stop_generation(struct supervisor *sup, unsigned gen,
	    bool older);
void	 supervise_shutdown(struct supervisor *sup, int sig);
void	 supervise_signal_all(const struct supervisor *sup, int sig);

/* supervise_query.c: what other modules may know of the slots */
bool	 slot_has_process(enum slot_state state);
int	 supervise_count(const struct supervisor *sup, enum slot_state state,
	    unsigned generation);
int	 supervise_serving(const struct supervisor *sup, unsigned generation);
int	 supervise_alive(const struct supervisor *sup);
const struct slot *supervise_next(const struct supervisor *sup,
	    const struct slot *prev);
void	 supervise_totals(const struct supervisor *sup, struct totals *t);
void	 totals_add(struct totals *t, const struct health_report *r,
	    enum stop_reason why);
const char *slot_state_name(enum slot_state state);
const char *stop_reason_name(enum stop_reason why);

#endif
