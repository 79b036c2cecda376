/*
 * board: see board.h.
 */
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "common/board.h"

struct board *
board_create(void)
{
	void *p = mmap(NULL, sizeof(struct board), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;	/* zeroed: version 0 */
}

void
board_destroy(struct board *b)
{
	if (b != NULL)
		munmap(b, sizeof(*b));
}

void
board_publish(struct board *b, const void *data, size_t len)
{
	uint32_t s = atomic_load_explicit(&b->seq, memory_order_relaxed);

	if (len > BOARD_CAP)
		len = BOARD_CAP;
	atomic_store_explicit(&b->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(b->data, data, len);
	atomic_store_explicit(&b->seq, s + 2, memory_order_release);
}

/*
 * A master stopped (SIGSTOP) in the middle of its memcpy would leave the
 * count odd: the reader gives up after a few tries instead of spinning,
 * and the caller keeps what it had until its next look.
 */
int
board_read(const struct board *b, void *out, size_t len, uint32_t *version)
{
	unsigned char copy[BOARD_CAP];
	uint32_t before, after;
	int tries;

	if (len > BOARD_CAP)
		len = BOARD_CAP;
	for (tries = 0; tries < BOARD_READ_TRIES; tries++) {
		before = atomic_load_explicit(&b->seq, memory_order_acquire);
		if (before & 1)
			continue;
		memcpy(copy, b->data, len);
		atomic_thread_fence(memory_order_acquire);
		after = atomic_load_explicit(&b->seq, memory_order_relaxed);
		if (after == before) {
			memcpy(out, copy, len);
			*version = before;
			return 0;
		}
	}
	return -1;
}
