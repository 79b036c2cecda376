/*
 * beats: see beats.h.
 */
#include <string.h>
#include <sys/mman.h>

#include "common/beats.h"
#include "common/seqlock.h"

static size_t	 beats_size(size_t);

static size_t
beats_size(size_t nslots)
{
	return sizeof(struct beat_board) + nslots * sizeof(struct beat_slot);
}

struct beat_board *
beats_create(size_t nslots)
{
	struct beat_board *b = mmap(NULL, beats_size(nslots),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED)
		return NULL;
	b->nslots = nslots;	/* the rest is zero: count 0, nothing yet */
	return b;
}

void
beats_destroy(struct beat_board *b)
{
	if (b != NULL)
		munmap(b, beats_size(b->nslots));
}

void
beats_clear(struct beat_board *b, size_t slot)
{
	if (slot >= b->nslots)
		return;
	atomic_store_explicit(&b->slots[slot].seq, 0, memory_order_release);
}

void
beats_publish(struct beat_board *b, size_t slot,
    const struct health_report *r)
{
	if (slot >= b->nslots)
		return;
	seqlock_write(&b->slots[slot].seq, &b->slots[slot].report, r,
	    sizeof(*r));
}

int
beats_read(const struct beat_board *b, size_t slot,
    struct health_report *out)
{
	const struct beat_slot *s;
	struct health_report copy;
	uint32_t version;

	if (slot >= b->nslots)
		return 0;
	s = &b->slots[slot];
	if (atomic_load_explicit(&s->seq, memory_order_acquire) == 0)
		return 0;
	return seqlock_read(&s->seq, &s->report, sizeof(*out), &copy, out,
	    &version) == 0 && version != 0;
}
