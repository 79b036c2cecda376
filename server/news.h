/*
 * news: how a module tells the hub that something happened inside one of
 * its own event callbacks (a worker became ready, the configuration check
 * ended), without calling back into master.c.
 *
 * The module sets a bit and activates an event the hub gave it; the hub's
 * callback runs in the same pass of the loop, takes the bits and fans them
 * out. Nothing is lost when several posts come before it runs: bits
 * accumulate until taken.
 */
#ifndef FORKLINE_NEWS_H
#define FORKLINE_NEWS_H

#include <event2/event.h>

struct news {
	unsigned	 bits;
	struct event	*wake;		/* the hub's; NULL: nobody listens */
};

static inline void
news_post(struct news *n, unsigned bit)
{
	n->bits |= bit;
	if (n->wake != NULL)
		event_active(n->wake, EV_READ, 0);
}

static inline unsigned
news_take(struct news *n)
{
	unsigned bits = n->bits;

	n->bits = 0;
	return bits;
}

#endif
