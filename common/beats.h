/*
 * beats: each worker's latest heartbeat, in memory shared across fork.
 *
 * A worker tells the master of events (ready, busy, idle, draining, a
 * flag) through its health pipe, which wakes the master at once. Between
 * events it sends a heartbeat every heartbeat_interval: the same report,
 * with fresh counters, to say it is alive. A pipe write wakes the master
 * for each, hundreds of times a second with a large pool, and every
 * wake-up on a busy machine moves workers between CPUs (docs/BENCHMARKS.md,
 * "Heartbeats that wake no one"). So heartbeats go here instead: the
 * worker copies its report into its slot, and the master looks at every
 * slot on its tick, as it reads the pipes then.
 *
 * Each slot has one writer, the worker in it, and is a seqlock
 * (seqlock.h): the master never waits, and a worker stopped in the middle
 * of a copy only looks silent, as a hung one does.
 */
#ifndef FORKLINE_BEATS_H
#define FORKLINE_BEATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/health.h"

struct beat_slot {
	_Atomic uint32_t	 seq;	/* odd while the worker copies */
	struct health_report	 report;
} __attribute__((aligned(64)));

struct beat_board {
	size_t		 nslots;
	struct beat_slot slots[];
};

/* Map one before the first fork, for slots 0 .. nslots-1 (all empty).
 * NULL with errno set. */
struct beat_board *beats_create(size_t nslots);
void		 beats_destroy(struct beat_board *b);

/* The master, before a worker starts in slot: nothing there yet. No
 * worker may be writing it (the one before is gone). */
void		 beats_clear(struct beat_board *b, size_t slot);

/* The worker in slot: r is its latest report. */
void		 beats_publish(struct beat_board *b, size_t slot,
		    const struct health_report *r);

/* The master: the slot's count now; it moves with every publish, so an
 * unchanged count means nothing new to copy. */
static inline uint32_t
beats_version(const struct beat_board *b, size_t slot)
{
	return slot < b->nslots ? atomic_load_explicit(&b->slots[slot].seq,
	    memory_order_acquire) : 0;
}

/*
 * The master: the latest report in slot into *out. 1 when one was there,
 * 0 when the slot is empty or its worker was in the middle of a copy for
 * every look (out untouched).
 */
int		 beats_read(const struct beat_board *b, size_t slot,
		    struct health_report *out);

#endif
