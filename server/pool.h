/*
 * pool: how many workers to start or retire. Pure: the master gathers the
 * numbers, pool_decide returns the decision; tables in check_pool test it.
 */
#ifndef FORKLINE_POOL_H
#define FORKLINE_POOL_H

#include <stdint.h>

#include "conf/config.h"

struct pool_limits {
	enum conf_pool_mode	 mode;
	int			 target;	/* static: the pool size */
	int			 min_spare;	/* dynamic: idle floor */
	int			 max_spare;	/* dynamic: idle ceiling */
	int			 max;		/* never more workers than this */
	int64_t			 idle_grace_ms;	/* surplus lasts this long */
};

/* The current generation's workers, as their reports last said. */
struct pool_view {
	int		 starting;	/* forked, not ready yet */
	int		 idle;
	int		 busy;
	int		 queued;	/* connections in the accept queues */
	int		 spawn_budget;	/* spawns the rate limit allows now */
	int64_t		 now_ms;
	int64_t		 surplus_since_ms; /* idle > max_spare since; 0: no */
};

struct pool_decision {
	int		 spawn;
	int		 retire;	/* idle workers to stop */
	int64_t		 surplus_since_ms; /* carry into the next view */
};

/* Idle workers above max_spare must stay idle this long to be retired. */
#define POOL_IDLE_GRACE_MS	2000

/* The limits a configuration sets (at start, on a reload or its undo). */
void		 pool_limits_from_conf(const struct conf *conf,
		    struct pool_limits *out);

struct pool_decision pool_decide(const struct pool_limits *limits,
		    const struct pool_view *view);

/*
 * SIGTTIN (+1) / SIGTTOU (-1): static mode moves the target, dynamic mode
 * moves both spare bounds, always within their limits. Returns 0 if it
 * moved, -1 if already at the limit.
 */
int		 pool_adjust(struct pool_limits *limits, int step);

#endif
