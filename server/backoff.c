/*
 * backoff: see backoff.h.
 */
#include "server/backoff.h"

int64_t
backoff_next(struct backoff *b, bool early, int64_t initial_ms,
    int64_t max_ms, uint32_t rnd)
{
	int64_t half;

	if (!early) {
		b->delay_ms = 0;
		return 0;
	}
	if (b->delay_ms == 0)
		b->delay_ms = initial_ms < max_ms ? initial_ms : max_ms;
	else
		b->delay_ms = b->delay_ms > max_ms / 2 ? max_ms :
		    b->delay_ms * 2;
	half = b->delay_ms / 2;
	return b->delay_ms - half + (int64_t)(rnd % (uint64_t)(half + 1));
}

static void	 roll_window(struct crashloop *, int64_t);

/* Windows are fixed intervals; a new one starts at the first death after
 * the previous one ended. */
static void
roll_window(struct crashloop *c, int64_t now_ms)
{
	if (now_ms - c->window_start_ms < CRASHLOOP_WINDOW_MS)
		return;
	c->window_start_ms = now_ms;
	c->deaths = 0;
}

bool
crashloop_note(struct crashloop *c, int64_t now_ms)
{
	/* While looping, crashloop_summary owns the window. */
	if (!c->looping)
		roll_window(c, now_ms);
	c->deaths++;
	if (c->deaths >= CRASHLOOP_DEATHS)
		c->looping = true;
	if (!c->looping)
		return true;
	c->suppressed++;
	return false;
}

int
crashloop_summary(struct crashloop *c, int64_t now_ms)
{
	int n;

	if (!c->looping || now_ms - c->window_start_ms < CRASHLOOP_WINDOW_MS)
		return 0;
	n = c->suppressed;
	c->suppressed = 0;
	if (n == 0)
		c->looping = false;	/* a quiet window: the loop is over */
	c->window_start_ms = now_ms;
	c->deaths = 0;
	return n;
}

bool
crashloop_fatal(int64_t last_serving_ms, int64_t now_ms,
    int64_t fatal_after_ms)
{
	return fatal_after_ms > 0 && now_ms - last_serving_ms >= fatal_after_ms;
}
