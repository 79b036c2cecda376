/*
 * idle: see idle.h.
 */
#include <sys/mman.h>

#include "common/idle.h"

static size_t	 idle_size(size_t);

static size_t
idle_size(size_t nslots)
{
	return sizeof(struct idle_board) + nslots;
}

struct idle_board *
idle_create(size_t nslots)
{
	struct idle_board *b = mmap(NULL, idle_size(nslots),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED)
		return NULL;
	b->nslots = nslots;	/* the rest is zero: nobody waits */
	return b;
}

void
idle_destroy(struct idle_board *b)
{
	if (b != NULL)
		munmap(b, idle_size(b->nslots));
}
