/*
 * parked: see parked.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lobby/parked.h"

static int64_t	 deadline_at(const struct parked_table *, uint32_t);
static void	 heap_place(struct parked_table *, uint32_t, uint32_t);
static void	 heap_up(struct parked_table *, uint32_t);
static void	 heap_down(struct parked_table *, uint32_t);
static void	 heap_remove(struct parked_table *, uint32_t);

/* calloc, so pages of the table nobody has used yet are never touched. */
int
parked_init(struct parked_table *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	if (max == 0 || max > PARKED_LIMIT) {
		errno = EINVAL;
		return -1;
	}
	t->e = calloc(max, sizeof(*t->e));
	t->heap = calloc(max, sizeof(*t->heap));
	if (t->e == NULL || t->heap == NULL) {
		parked_free(t);
		errno = ENOMEM;
		return -1;
	}
	t->max = (uint32_t)max;
	t->free_head = t->wake_head = t->wake_tail = PARKED_NONE;
	return 0;
}

void
parked_free(struct parked_table *t)
{
	free(t->e);
	free(t->heap);
	memset(t, 0, sizeof(*t));
}

uint32_t
parked_add(struct parked_table *t, int fd, const struct handoff *h)
{
	struct parked_entry *e;
	uint32_t i;

	if (t->free_head != PARKED_NONE) {
		i = t->free_head;
		t->free_head = t->e[i].next;
	} else if (t->fresh < t->max)
		i = t->fresh++;
	else
		return PARKED_NONE;
	e = &t->e[i];
	e->h = *h;
	e->fd = fd;
	e->state = PARKED_HELD;
	e->next = PARKED_NONE;
	t->used++;
	heap_place(t, t->nheap++, i);
	heap_up(t, e->heap_pos);
	return i;
}

struct parked_entry *
parked_get(struct parked_table *t, uint32_t i)
{
	return &t->e[i];
}

void
parked_to_wake(struct parked_table *t, uint32_t i)
{
	struct parked_entry *e = &t->e[i];

	heap_remove(t, e->heap_pos);
	e->state = PARKED_WAKING;
	e->next = PARKED_NONE;
	if (t->wake_tail == PARKED_NONE)
		t->wake_head = i;
	else
		t->e[t->wake_tail].next = i;
	t->wake_tail = i;
}

uint32_t
parked_wake_head(const struct parked_table *t)
{
	return t->wake_head;
}

uint32_t
parked_first_deadline(const struct parked_table *t)
{
	return t->nheap > 0 ? t->heap[0] : PARKED_NONE;
}

int64_t
parked_next_deadline(const struct parked_table *t)
{
	return t->nheap > 0 ? deadline_at(t, 0) : INT64_MAX;
}

void
parked_release(struct parked_table *t, uint32_t i)
{
	struct parked_entry *e = &t->e[i];

	if (e->state == PARKED_HELD)
		heap_remove(t, e->heap_pos);
	else if (e->state == PARKED_WAKING) {
		/* Only ever the head: the FIFO is served in order. */
		t->wake_head = e->next;
		if (t->wake_head == PARKED_NONE)
			t->wake_tail = PARKED_NONE;
	} else
		return;
	e->state = PARKED_FREE;
	e->fd = -1;
	e->next = t->free_head;
	t->free_head = i;
	t->used--;
}

static int64_t
deadline_at(const struct parked_table *t, uint32_t pos)
{
	return t->e[t->heap[pos]].h.idle_deadline_ms;
}

static void
heap_place(struct parked_table *t, uint32_t pos, uint32_t i)
{
	t->heap[pos] = i;
	t->e[i].heap_pos = pos;
}

static void
heap_up(struct parked_table *t, uint32_t pos)
{
	uint32_t i = t->heap[pos], parent;
	int64_t d = t->e[i].h.idle_deadline_ms;

	while (pos > 0) {
		parent = (pos - 1) / 2;
		if (deadline_at(t, parent) <= d)
			break;
		heap_place(t, pos, t->heap[parent]);
		pos = parent;
	}
	heap_place(t, pos, i);
}

static void
heap_down(struct parked_table *t, uint32_t pos)
{
	uint32_t i = t->heap[pos], child;
	int64_t d = t->e[i].h.idle_deadline_ms;

	for (;;) {
		child = 2 * pos + 1;
		if (child >= t->nheap)
			break;
		if (child + 1 < t->nheap &&
		    deadline_at(t, child + 1) < deadline_at(t, child))
			child++;
		if (d <= deadline_at(t, child))
			break;
		heap_place(t, pos, t->heap[child]);
		pos = child;
	}
	heap_place(t, pos, i);
}

/* The last element fills the hole, then moves whichever way it must. */
static void
heap_remove(struct parked_table *t, uint32_t pos)
{
	uint32_t last = --t->nheap, moved;

	if (pos == last)
		return;
	moved = t->heap[last];
	heap_place(t, pos, moved);
	heap_up(t, pos);
	heap_down(t, t->e[moved].heap_pos);
}
