/*
 * supervise_query: what the rest of the master may know of the slot table
 * (counts, totals, one worker at a time for /status), read-only.
 */
#include <stddef.h>

#include "server/supervise.h"

/* A forked worker is there: from STARTING to KILLING. */
bool
slot_has_process(enum slot_state state)
{
	return state != SLOT_EMPTY && state != SLOT_BACKOFF;
}

/* Slots in state, of generation (0: any). */
int
supervise_count(const struct supervisor *sup, enum slot_state state,
    unsigned generation)
{
	int i, n = 0;

	for (i = 0; i < sup->slots_hi; i++)
		if (sup->slots[i].state == state && (generation == 0 ||
		    sup->slots[i].generation == generation))
			n++;
	return n;
}

/* Workers of generation (0: any) that take connections: idle or busy. */
int
supervise_serving(const struct supervisor *sup, unsigned generation)
{
	return supervise_count(sup, SLOT_IDLE, generation) +
	    supervise_count(sup, SLOT_BUSY, generation);
}

/* Worker processes, whatever their state. */
int
supervise_alive(const struct supervisor *sup)
{
	int i, n = 0;

	for (i = 0; i < sup->slots_hi; i++)
		if (slot_has_process(sup->slots[i].state))
			n++;
	return n;
}

/* The next slot after prev (NULL: the first) with a worker in it. */
const struct slot *
supervise_next(const struct supervisor *sup, const struct slot *prev)
{
	int i = prev == NULL ? 0 : prev->num;

	for (; i < sup->slots_hi; i++)
		if (slot_has_process(sup->slots[i].state))
			return &sup->slots[i];
	return NULL;
}

void
supervise_totals(const struct supervisor *sup, struct totals *t)
{
	const struct slot *s = NULL;

	*t = sup->retired;
	while ((s = supervise_next(sup, s)) != NULL)
		totals_add(t, &s->last, s->stop);
}

/* A worker's cumulative counters, from its last report, into t. */
void
totals_add(struct totals *t, const struct health_report *r,
    enum stop_reason why)
{
	int i;

	t->connections += r->connections;
	t->requests += r->requests;
	t->bytes_in += r->bytes_in;
	t->bytes_out += r->bytes_out;
	for (i = 0; i < HEALTH_LATENCY_BUCKETS; i++)
		t->latency[i] += r->latency[i];
	t->latency_sum_us += r->latency_sum_us;
	for (i = 0; i < HEALTH_FAULT_KINDS; i++)
		t->faults[i] += r->faults[i];
	for (i = 0; i < HEALTH_HANDOFF_KINDS; i++)
		t->handoffs[i] += r->handoffs[i];
	/* A worker drains once, for the reason its slot was stopped for. */
	t->drained[why] += r->handoffs[HEALTH_HANDOFF_DRAINED];
	for (i = 0; i < HEALTH_LATENCY_BUCKETS; i++)
		t->handoff_latency[i] += r->handoff_latency[i];
	t->handoff_latency_sum_us += r->handoff_latency_sum_us;
}

const char *
slot_state_name(enum slot_state state)
{
	static const char *const names[] = {
		[SLOT_EMPTY] = "empty",
		[SLOT_STARTING] = "starting",
		[SLOT_IDLE] = "idle",
		[SLOT_BUSY] = "busy",
		[SLOT_DRAINING] = "draining",
		[SLOT_KILLING] = "killing",
		[SLOT_BACKOFF] = "backoff",
	};

	return names[state];
}

const char *
stop_reason_name(enum stop_reason why)
{
	static const char *const names[] = {
		[STOP_NONE] = "crashed",
		[STOP_HUNG] = "hung",
		[STOP_RECYCLED] = "recycled",
		[STOP_RETIRED] = "retired",
		[STOP_RELOAD] = "reload",
		[STOP_SHUTDOWN] = "shutdown",
	};

	return names[why];
}
