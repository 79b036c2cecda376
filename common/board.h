/*
 * board: a few bytes the master publishes and every worker reads, in one
 * page of memory shared across fork. It carries what a reload may change
 * without restarting the workers ([faults]): the master writes, workers
 * look at the version on each request and copy the bytes when it moved.
 *
 * One writer, many readers, no lock: a seqlock (seqlock.h). A reader that
 * sees the count odd or moved copies again, a bounded number of times;
 * the master never waits.
 */
#ifndef FORKLINE_BOARD_H
#define FORKLINE_BOARD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_CAP	256

/* Shown only so that board_version can be inlined in the request path:
 * use the functions below. */
struct board {
	_Atomic uint32_t seq;		/* odd while being written */
	unsigned char	 data[BOARD_CAP];
};

/* Map a board before the first fork. NULL with errno set. */
struct board	*board_create(void);
void		 board_destroy(struct board *b);

/* The master: publish len (<= BOARD_CAP) bytes. */
void		 board_publish(struct board *b, const void *data, size_t len);

/* A worker: the version now (even; changes with every publish). */
static inline uint32_t
board_version(const struct board *b)
{
	return atomic_load_explicit(&b->seq, memory_order_acquire);
}

/*
 * A worker: copy what is published (len bytes) and its version: 0, or -1
 * when no steady copy came in SEQLOCK_READ_TRIES looks (out untouched).
 */
int		 board_read(const struct board *b, void *out, size_t len,
		    uint32_t *version);

#endif
