/*
 * supervise_pool: carrying out pool_decide. Gathering the current
 * generation's numbers, starting and retiring workers within the spawn
 * rate, starting replacements for workers that ask to be recycled, and
 * SIGTTIN/SIGTTOU.
 */
#include "common/log.h"
#include "common/proc.h"
#include "server/listeners.h"
#include "server/supervise_slots.h"

static void	 start_recycles(struct supervisor *);
static void	 retire_idle(struct supervisor *, int);
static void	 refill_tokens(struct supervisor *, int64_t);
static void	 pool_view_gather(const struct supervisor *, struct pool_view *);
static void	 log_retire(const struct supervisor *, const struct pool_view *,
		    int);

/* Start replacements for workers that asked, recycle_concurrency at once. */
static void
start_recycles(struct supervisor *sup)
{
	struct slot *s, *r;
	int i, active = 0;

	for (i = 0; i < sup->slots_hi; i++)
		if (sup->slots[i].replacement != NO_SLOT ||
		    (sup->slots[i].stop == STOP_RECYCLED &&
		    sup->slots[i].state != SLOT_EMPTY))
			active++;
	for (i = 0; i < sup->slots_hi &&
	    active < sup->core->conf.recycle_concurrency; i++) {
		s = &sup->slots[i];
		if (!s->wants_recycle || s->replacement != NO_SLOT ||
		    s->stop != STOP_NONE ||
		    s->generation != sup->core->generation ||
		    (s->state != SLOT_IDLE && s->state != SLOT_BUSY))
			continue;
		if ((r = slots_find_empty(sup)) == NULL)
			return;
		slot_fire(sup, r, SLOT_EV_SPAWN, STOP_NONE);
		if (r->state != SLOT_STARTING)
			return;
		s->replacement = r->num - 1;
		active++;
	}
}

/* Retire the highest-numbered idle workers first. */
static void
retire_idle(struct supervisor *sup, int n)
{
	int i;

	for (i = sup->slots_hi - 1; i >= 0 && n > 0; i--) {
		struct slot *s = &sup->slots[i];

		if (s->state == SLOT_IDLE &&
		    s->generation == sup->core->generation &&
		    s->replacement == NO_SLOT) {
			slot_fire(sup, s, SLOT_EV_STOP, STOP_RETIRED);
			n--;
		}
	}
}

static void
refill_tokens(struct supervisor *sup, int64_t now)
{
	int rate = sup->core->conf.spawn_rate;

	sup->spawn_tokens += (double)(now - sup->tokens_at_ms) * rate / 1000.0;
	if (sup->spawn_tokens > rate)
		sup->spawn_tokens = rate;
	sup->tokens_at_ms = now;
}

/*
 * The current generation's numbers for pool_decide. A worker on its way
 * out (recycling, with a replacement coming; hung; told to stop) is not
 * counted; its replacement is. Slots waiting for a restart count as
 * starting, so the pool does not refill them behind the backoff's back.
 */
static void
pool_view_gather(const struct supervisor *sup, struct pool_view *v)
{
	const struct slot *s;
	int i;

	for (i = 0; i < sup->slots_hi; i++) {
		s = &sup->slots[i];
		if (s->state == SLOT_BACKOFF) {
			v->starting++;
			continue;
		}
		if (s->generation != sup->core->generation ||
		    s->replacement != NO_SLOT || s->stop != STOP_NONE)
			continue;
		if (s->state == SLOT_STARTING)
			v->starting++;
		else if (s->state == SLOT_IDLE)
			v->idle++;
		else if (s->state == SLOT_BUSY)
			v->busy++;
	}
}

static void
log_retire(const struct supervisor *sup, const struct pool_view *v, int n)
{
	if (n <= 0)
		return;
	if (sup->limits.mode == CONF_POOL_STATIC)
		log_info("pool: %d workers for a pool of %d: retiring %d idle",
		    v->starting + v->idle + v->busy, sup->limits.target, n);
	else
		log_info("pool: %d idle workers for %lld ms (max_spare %d): "
		    "retiring %d", v->idle, (long long)sup->limits.idle_grace_ms,
		    sup->limits.max_spare, n);
}

/* Gather the numbers, ask pool_decide, carry it out. */
void
supervise_pool_step(struct supervisor *sup)
{
	struct pool_view v = { 0 };
	struct pool_decision d;
	int64_t now = now_ms();
	int i;

	if (!slots_running(sup))
		return;
	pool_view_gather(sup, &v);
	refill_tokens(sup, now);
	v.queued = sup->limits.mode == CONF_POOL_DYNAMIC ?
	    listeners_queued(sup->core) : 0;
	v.spawn_budget = (int)sup->spawn_tokens;
	v.now_ms = now;
	v.surplus_since_ms = sup->surplus_since_ms;
	d = pool_decide(&sup->limits, &v);
	sup->surplus_since_ms = d.surplus_since_ms;
	if (d.spawn > 0)
		log_debug("pool: %d starting, %d idle, %d busy, %d queued: "
		    "starting %d", v.starting, v.idle, v.busy, v.queued,
		    d.spawn);
	for (i = 0; i < d.spawn; i++) {
		sup->spawn_tokens -= 1;
		supervise_spawn(sup);
	}
	log_retire(sup, &v, d.retire);
	retire_idle(sup, d.retire);
	start_recycles(sup);
}

/* TTIN/TTOU: static mode moves the pool size, dynamic the spare bounds. */
void
supervise_resize(struct supervisor *sup, int step, const char *sig)
{
	struct pool_limits *l = &sup->limits;

	if (pool_adjust(l, step) == -1) {
		log_warnx("%s: the pool is already at its limit; ignored", sig);
		return;
	}
	if (l->mode == CONF_POOL_STATIC)
		log_info("%s: pool size now %d", sig, l->target);
	else
		log_info("%s: spare workers now %d..%d", sig, l->min_spare,
		    l->max_spare);
	supervise_pool_step(sup);
}
