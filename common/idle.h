/*
 * idle: how many workers wait for a connection right now, and how many
 * connections wait on the dispatch channel for a worker, in memory
 * shared across fork, so that a worker holding a quiet client can tell
 * at once, without a system call, whether another client needs it and no
 * one else could take it (conn.h, parking).
 *
 * Each worker counts itself in while it waits in its accept loop and out
 * when it leaves it; its flag makes both idempotent, and the master,
 * which reaps a dead worker, counts it out for it. The count is a hint:
 * a worker that dies between its flag and the count leaves it off by
 * one until the master's count-out, and readers only ask "none?".
 */
#ifndef FORKLINE_IDLE_H
#define FORKLINE_IDLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idle_board {
	_Atomic int32_t	 waiting;	/* workers in their accept wait */
	/* Connections put on the dispatch channel and not yet taken: the
	 * lobby resets it to 0 whenever it finds the channel empty. */
	_Atomic int32_t	 queued;
	/* Connections the lobby holds: each may wake at any moment. */
	_Atomic int32_t	 parked;
	size_t		 nslots;
	_Atomic uint8_t	 in[];		/* per slot: counted in waiting */
};

/* Map one before the first fork, for slots 0 .. nslots-1. NULL with
 * errno set. */
struct idle_board *idle_create(size_t nslots);
void		 idle_destroy(struct idle_board *b);

static inline void
idle_enter(struct idle_board *b, size_t slot)
{
	if (b != NULL && slot < b->nslots &&
	    atomic_exchange_explicit(&b->in[slot], 1, memory_order_relaxed) == 0)
		atomic_fetch_add_explicit(&b->waiting, 1, memory_order_relaxed);
}

static inline void
idle_leave(struct idle_board *b, size_t slot)
{
	if (b != NULL && slot < b->nslots &&
	    atomic_exchange_explicit(&b->in[slot], 0, memory_order_relaxed) == 1)
		atomic_fetch_sub_explicit(&b->waiting, 1, memory_order_relaxed);
}

/* A connection goes on the dispatch channel (before the send; undo with
 * idle_taken if the send fails), or is taken from it. */
static inline void
idle_queued(struct idle_board *b)
{
	if (b != NULL)
		atomic_fetch_add_explicit(&b->queued, 1, memory_order_relaxed);
}

static inline void
idle_taken(struct idle_board *b)
{
	if (b != NULL)
		atomic_fetch_sub_explicit(&b->queued, 1, memory_order_relaxed);
}

/* The lobby found the channel empty. */
static inline void
idle_none_queued(struct idle_board *b)
{
	if (b != NULL)
		atomic_store_explicit(&b->queued, 0, memory_order_relaxed);
}

/* The lobby: how many it holds, written only when it changed. */
static inline void
idle_set_parked(struct idle_board *b, int32_t n)
{
	if (b != NULL &&
	    atomic_load_explicit(&b->parked, memory_order_relaxed) != n)
		atomic_store_explicit(&b->parked, n, memory_order_relaxed);
}

/* A connection waits on the dispatch channel, or may soon: the lobby
 * holds some. */
static inline bool
idle_any_queued(const struct idle_board *b)
{
	return b != NULL &&
	    (atomic_load_explicit(&b->queued, memory_order_relaxed) > 0 ||
	    atomic_load_explicit(&b->parked, memory_order_relaxed) > 0);
}

/* No worker waits: a new connection or a woken one waits for one. */
static inline bool
idle_none(const struct idle_board *b)
{
	return b != NULL &&
	    atomic_load_explicit(&b->waiting, memory_order_relaxed) <= 0;
}

#endif
