/*
 * board: see board.h.
 */
#include "common/board.h"
#include "common/proc.h"
#include "common/seqlock.h"

struct board *
board_create(void)
{
	return map_shared(sizeof(struct board));	/* zeroed: version 0 */
}

void
board_destroy(struct board *b)
{
	unmap_shared(b, sizeof(*b));
}

void
board_publish(struct board *b, const void *data, size_t len)
{
	if (len > BOARD_CAP)
		len = BOARD_CAP;
	seqlock_write(&b->seq, b->data, data, len);
}

/* A master stopped in the middle of a publish: see seqlock.h. */
int
board_read(const struct board *b, void *out, size_t len, uint32_t *version)
{
	unsigned char copy[BOARD_CAP];

	if (len > BOARD_CAP)
		len = BOARD_CAP;
	return seqlock_read(&b->seq, b->data, len, copy, out, version);
}
