/*
 * seqlock: one writer, any number of readers, no lock, over memory shared
 * across fork. The count is odd while the writer copies; a reader that
 * sees it odd, or moved by the end of its copy, copies again, a bounded
 * number of times, so that neither side ever waits on the other. A writer
 * stopped (SIGSTOP) in the middle of its copy leaves the count odd: its
 * readers give up and keep what they had.
 *
 * The fault board (board.h, the master writes) and the heartbeats
 * (beats.h, each worker writes its own) use it.
 */
#ifndef FORKLINE_SEQLOCK_H
#define FORKLINE_SEQLOCK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SEQLOCK_READ_TRIES	64

static inline void
seqlock_write(_Atomic uint32_t *seq, void *dst, const void *src, size_t len)
{
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

	atomic_store_explicit(seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(dst, src, len);
	atomic_store_explicit(seq, s + 2, memory_order_release);
}

/*
 * Copy len bytes of src into scratch, then, once a copy was steady, into
 * out; its count into *version. 0, or -1 when no steady copy came in
 * SEQLOCK_READ_TRIES looks (out untouched). scratch holds len bytes.
 */
static inline int
seqlock_read(const _Atomic uint32_t *seq, const void *src, size_t len,
    void *scratch, void *out, uint32_t *version)
{
	uint32_t before, after;
	int tries;

	for (tries = 0; tries < SEQLOCK_READ_TRIES; tries++) {
		before = atomic_load_explicit(seq, memory_order_acquire);
		if (before & 1)
			continue;
		memcpy(scratch, src, len);
		atomic_thread_fence(memory_order_acquire);
		after = atomic_load_explicit(seq, memory_order_relaxed);
		if (after == before) {
			memcpy(out, scratch, len);
			*version = before;
			return 0;
		}
	}
	return -1;
}

#endif
