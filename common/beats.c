/*
 * beats: see beats.h.
 */
#include "common/beats.h"
#include "common/proc.h"
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
	struct beat_board *b = map_shared(beats_size(nslots));

	if (b == NULL)
		return NULL;
	b->nslots = nslots;	/* the rest is zero: count 0, nothing yet */
	return b;
}

void
beats_destroy(struct beat_board *b)
{
	if (b != NULL)
		unmap_shared(b, beats_size(b->nslots));
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
	struct health_report copy;
	uint32_t version;

	if (beats_version(b, slot) == 0)
		return 0;	/* cleared, never written, or out of range */
	return seqlock_read(&b->slots[slot].seq, &b->slots[slot].report,
	    sizeof(*out), &copy, out, &version) == 0 && version != 0;
}
