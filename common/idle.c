/*
 * idle: see idle.h.
 */
#include "common/idle.h"
#include "common/proc.h"

static size_t	 idle_size(size_t);

static size_t
idle_size(size_t nslots)
{
	return sizeof(struct idle_board) + nslots;
}

struct idle_board *
idle_create(size_t nslots)
{
	struct idle_board *b = map_shared(idle_size(nslots));

	if (b == NULL)
		return NULL;
	b->nslots = nslots;	/* the rest is zero: nobody waits */
	return b;
}

void
idle_destroy(struct idle_board *b)
{
	if (b != NULL)
		unmap_shared(b, idle_size(b->nslots));
}
