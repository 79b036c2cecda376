/*
 * supervise_slots: the slot table's bookkeeping (see supervise_slots.h):
 * setting it up, finding an empty slot, keeping loops short.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proc.h"
#include "server/supervise_slots.h"

static void	 prepare_slot(struct supervisor *, int);

/* New work is taken on until the master stops. */
bool
slots_running(const struct supervisor *sup)
{
	return !core_stopping(sup->core);
}

/*
 * The slot table is sized for the largest pool, twice (16,448 slots of
 * about 700 bytes), but only the slots a pool has used are ever touched:
 * calloc'd pages the master never writes cost it no memory. free_slot
 * prepares slots in order, so slots[0 .. slots_prepared) are ready.
 */
int
supervise_init(struct supervisor *sup, const struct core *core,
    struct event *wake)
{
	const struct conf *conf = &core->conf;

	memset(sup, 0, sizeof(*sup));
	sup->core = core;
	sup->news.wake = wake;
	sup->slots = calloc(SLOTS_MAX, sizeof(*sup->slots));
	if (sup->slots == NULL)
		return -1;
	sup->rnd = (uint32_t)getpid() * 2654435761u ^ (uint32_t)now_ms();
	supervise_set_limits(sup, conf);
	/* The first pool starts at once; spawn_rate limits growth after. */
	sup->spawn_tokens = conf->workers > conf->spawn_rate ? conf->workers :
	    conf->spawn_rate;
	sup->tokens_at_ms = sup->last_serving_ms = now_ms();
	return 0;
}

void
supervise_free(struct supervisor *sup)
{
	int i;

	if (sup->slots == NULL)
		return;
	for (i = 0; i < sup->slots_prepared; i++) {
		if (sup->slots[i].pipe_ev != NULL)
			event_free(sup->slots[i].pipe_ev);
		future_free(&sup->slots[i].fut);
	}
	free(sup->slots);
	sup->slots = NULL;
}

/* At start and on a reload (or its undo): the pool follows conf. */
void
supervise_set_limits(struct supervisor *sup, const struct conf *conf)
{
	pool_limits_from_conf(conf, &sup->limits);
}

/* xorshift32: jitter needs spread, not secrecy. */
uint32_t
slots_random(struct supervisor *sup)
{
	sup->rnd ^= sup->rnd << 13;
	sup->rnd ^= sup->rnd >> 17;
	sup->rnd ^= sup->rnd << 5;
	return sup->rnd;
}

static void
prepare_slot(struct supervisor *sup, int i)
{
	struct slot *s = &sup->slots[i];

	s->sup = sup;
	s->num = i + 1;
	s->replacement = NO_SLOT;
	future_init(&s->fut);
}

/* The lowest empty slot (one waiting to restart is not empty). */
struct slot *
slots_find_empty(struct supervisor *sup)
{
	int i;

	for (i = 0; i < SLOTS_MAX; i++) {
		if (i == sup->slots_prepared) {
			prepare_slot(sup, i);
			sup->slots_prepared++;
		}
		if (sup->slots[i].state == SLOT_EMPTY)
			return &sup->slots[i];
	}
	return NULL;
}

/*
 * Every loop over the slots stops at slots_hi, one past the highest slot
 * in use (or waiting to restart), instead of at SLOTS_MAX: the master
 * looks at its slots on every busy report.
 */
void
slots_claim(struct supervisor *sup, struct slot *s)
{
	if (s->num > sup->slots_hi)
		sup->slots_hi = s->num;
}

void
slots_shrink(struct supervisor *sup)
{
	while (sup->slots_hi > 0 &&
	    sup->slots[sup->slots_hi - 1].state == SLOT_EMPTY)
		sup->slots_hi--;
}

/* The worker whose replacement s was waits for another. */
void
slots_forget_replacement(struct supervisor *sup, const struct slot *s)
{
	int i;

	for (i = 0; i < sup->slots_hi; i++)
		if (sup->slots[i].replacement == s->num - 1)
			sup->slots[i].replacement = NO_SLOT;
}
