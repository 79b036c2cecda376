/*
 * handover: a worker's side of moving connections (common/handoff.h). It
 * passes a connection on, to the lobby when nothing of a request is
 * buffered, else straight to the dispatch channel where another worker
 * takes it, and counts what it did into the worker's stats. It uses the
 * connection and never calls back into a protocol or into worker.c.
 */
#ifndef FORKLINE_HANDOVER_H
#define FORKLINE_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/handoff.h"
#include "worker/conn.h"

/* What the protocol knows of the connection when it lets go of it. */
struct handover_state {
	bool		 crlf;		/* the last request's line ending */
	int64_t		 idle_deadline_ms;	/* monotonic */
	const char	*partial;	/* bytes of a request not yet whole */
	size_t		 partial_len;
};

/*
 * Whether c may be parked now: parking is on (park_after), faults set by
 * the client's FAULT are not in force (they belong to this worker's
 * generator), and a stop has not come. Sets or clears c->park_at_ms for
 * the next wait, park_after from last_request_ms.
 */
void	 handover_arm_park(struct conn *c, int64_t last_request_ms);

/*
 * Pass c on for why (HANDOFF_IDLE or HANDOFF_DRAIN). 0: it is gone; the
 * socket was closed here and c->fd is -1. -1: it stays (counted as a
 * failed handoff); the caller goes on with it or says goodbye.
 */
int	 handover_pass(struct conn *c, enum handoff_reason why,
	    const struct handover_state *st);

/*
 * The worker reached max_requests, or max_rss as of its last report:
 * true when c is to move on now, so that no request beyond the limit is
 * served here (a connection that never ends included). False when it
 * cannot move (handover_on_drain).
 */
bool	 handover_at_limit(const struct conn *c);

/* A drain may hand over: only this worker stops, and its connections can
 * move (a real stop says goodbye instead). */
bool	 handover_on_drain(const struct conn *c);

#endif
