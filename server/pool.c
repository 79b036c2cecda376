/*
 * pool: see pool.h.
 *
 * Static mode keeps exactly `target` workers. Dynamic mode keeps at least
 * min_spare workers idle (or on their way), plus one for every connection
 * already waiting in an accept queue, since each of those will take a
 * worker as soon as one is free; it retires idle workers above max_spare
 * once the surplus has lasted idle_grace. Spawns are bounded by max and by
 * the rate limit's budget; retirements only ever take idle workers.
 */
#include "server/pool.h"

static int	 clamp(int v, int lo, int hi);
static struct pool_decision decide_static(const struct pool_limits *,
		    const struct pool_view *);
static struct pool_decision decide_dynamic(const struct pool_limits *,
		    const struct pool_view *);

static int
clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static struct pool_decision
decide_static(const struct pool_limits *l, const struct pool_view *v)
{
	struct pool_decision d = { 0, 0, 0 };
	int live = v->starting + v->idle + v->busy;
	int target = clamp(l->target, 1, l->max);

	if (live < target)
		d.spawn = clamp(target - live, 0, v->spawn_budget);
	else if (live > target)
		d.retire = clamp(live - target, 0, v->idle);
	return d;
}

static struct pool_decision
decide_dynamic(const struct pool_limits *l, const struct pool_view *v)
{
	struct pool_decision d = { 0, 0, v->surplus_since_ms };
	int live = v->starting + v->idle + v->busy;
	int spare = v->starting + v->idle;
	int room = l->max - live;

	if (spare < l->min_spare + v->queued && room > 0)
		d.spawn = clamp(l->min_spare + v->queued - spare, 0,
		    room < v->spawn_budget ? room : v->spawn_budget);
	if (v->idle <= l->max_spare || v->queued > 0) {
		d.surplus_since_ms = 0;
		return d;
	}
	if (d.surplus_since_ms == 0)
		d.surplus_since_ms = v->now_ms;
	else if (v->now_ms - d.surplus_since_ms >= l->idle_grace_ms) {
		d.retire = v->idle - l->max_spare;
		d.surplus_since_ms = 0;
	}
	return d;
}

struct pool_decision
pool_decide(const struct pool_limits *limits, const struct pool_view *view)
{
	if (limits->mode == CONF_POOL_STATIC)
		return decide_static(limits, view);
	return decide_dynamic(limits, view);
}

int
pool_adjust(struct pool_limits *l, int step)
{
	if (l->mode == CONF_POOL_STATIC) {
		if (l->target + step < 1 || l->target + step > l->max)
			return -1;
		l->target += step;
		return 0;
	}
	if (l->min_spare + step < 0 || l->max_spare + step > l->max ||
	    l->max_spare + step < 1)
		return -1;
	l->min_spare += step;
	l->max_spare += step;
	return 0;
}

void
pool_limits_from_conf(const struct conf *conf, struct pool_limits *out)
{
	*out = (struct pool_limits){
		.mode = conf->pool_mode,
		.target = conf->workers,
		.min_spare = conf->min_spare,
		.max_spare = conf->max_spare,
		.max = conf->max_workers,
		.idle_grace_ms = POOL_IDLE_GRACE_MS,
	};
}
