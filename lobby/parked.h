/*
 * parked: the lobby's table of held connections, with no system calls in
 * it, so the unit tests can drive it.
 *
 * One array of max entries, allocated once: holding a connection never
 * allocates. An entry is free, parked (waiting for its client, in the
 * deadline heap) or waking (readable, waiting for room on the dispatch
 * channel, in the wake FIFO). Free entries are chained in a free list;
 * entries never used yet are handed out from a high-water mark instead, so
 * a large table costs memory only as far as it has been filled.
 *
 * The deadline heap is a binary min-heap of indices ordered by the
 * header's idle_deadline_ms; each parked entry knows its place in it, so
 * adding, waking and expiring are O(log n) and the next deadline O(1).
 */
#ifndef FORKLINE_PARKED_H
#define FORKLINE_PARKED_H

#include <stddef.h>
#include <stdint.h>

#include "common/handoff.h"

#define PARKED_NONE	UINT32_MAX	/* no entry */
#define PARKED_LIMIT	(1u << 24)	/* largest table parked_init takes */

enum parked_state {
	PARKED_FREE,
	PARKED_HELD,		/* waiting for its client */
	PARKED_WAKING,		/* readable, waiting for the dispatch channel */
};

struct parked_entry {
	struct handoff	 h;
	int		 fd;
	uint8_t		 state;		/* enum parked_state */
	uint32_t	 next;		/* free list or wake FIFO */
	uint32_t	 heap_pos;	/* held: its place in the heap */
};

struct parked_table {
	struct parked_entry	*e;
	uint32_t		*heap;		/* indices, by idle deadline */
	uint32_t		 max;
	uint32_t		 used;		/* held and waking */
	uint32_t		 nheap;		/* held */
	uint32_t		 fresh;		/* entries [fresh, max) never used */
	uint32_t		 free_head;
	uint32_t		 wake_head;
	uint32_t		 wake_tail;
};

/* 0, or -1 (errno ENOMEM, or EINVAL when max is 0 or above PARKED_LIMIT). */
int	 parked_init(struct parked_table *t, size_t max);
void	 parked_free(struct parked_table *t);

/* Hold fd with header h: its index, or PARKED_NONE when the table is full. */
uint32_t parked_add(struct parked_table *t, int fd, const struct handoff *h);

/* The entry at i, which must not be free. */
struct parked_entry *parked_get(struct parked_table *t, uint32_t i);

/* A held entry leaves the heap for the tail of the wake FIFO. */
void	 parked_to_wake(struct parked_table *t, uint32_t i);

/* The first entry of the wake FIFO, or PARKED_NONE. */
uint32_t parked_wake_head(const struct parked_table *t);

/* The held entry with the earliest deadline, or PARKED_NONE. */
uint32_t parked_first_deadline(const struct parked_table *t);

/* Its deadline, or INT64_MAX when nothing is held. */
int64_t	 parked_next_deadline(const struct parked_table *t);

/* Free entry i: a held one leaves the heap, a waking one must be the head
 * of the wake FIFO. Its fd is the caller's to close. */
void	 parked_release(struct parked_table *t, uint32_t i);

static inline int
parked_full(const struct parked_table *t)
{
	return t->used == t->max;
}

#endif
