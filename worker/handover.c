/*
 * handover: see handover.h.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/hot.h"
#include "common/idle.h"
#include "common/log.h"
#include "common/proc.h"
#include "worker/handover.h"
#include "worker/report.h"
#include "worker/stop.h"
#include "worker/worker.h"

static void	 fill_header(const struct conn *, enum handoff_reason,
		    const struct handover_state *, struct handoff *);
static void	 note_failure(struct conn *, const char *, int);

HOT void
handover_arm_park(struct conn *c, int64_t last_request_ms)
{
	int64_t after = c->park_after_ms;

	c->park_at_ms = after > 0 && c->env->intake != -1 &&
	    !c->faults.own && !stop_requested() ?
	    last_request_ms + after : 0;
}

HOT bool
handover_on_drain(const struct conn *c)
{
	return c->env->pass != -1 && !c->faults.own && !stop_final();
}

HOT bool
handover_at_limit(const struct conn *c)
{
	size_t max_rss = c->max_rss;

	return ((c->recycle_after > 0 &&
	    c->stats->requests >= c->recycle_after) || (max_rss > 0 &&
	    report_max_rss_kb() * 1024 > max_rss)) && handover_on_drain(c);
}

static void
fill_header(const struct conn *c, enum handoff_reason why,
    const struct handover_state *st, struct handoff *h)
{
	memset(h, 0, sizeof(*h));
	h->reason = (uint8_t)why;
	h->flags = (st->crlf ? HANDOFF_CRLF : 0) |
	    (c->env->conf->protocol == CONF_PROTO_ECHO ? HANDOFF_ECHO : 0);
	h->hops = (uint16_t)(c->hops + 1 < UINT16_MAX ? c->hops + 1 :
	    UINT16_MAX);
	h->partial_len = (uint32_t)st->partial_len;
	h->generation = c->env->generation;
	h->started_sec = c->started_sec;
	h->started_nsec = c->started_nsec;
	h->started_ms = c->started_ms;
	h->idle_deadline_ms = st->idle_deadline_ms;
	h->requests = c->stats->requests - c->requests_before;
	h->bytes_in = c->stats->bytes_in - c->bytes_in_before;
	h->bytes_out = c->stats->bytes_out - c->bytes_out_before;
	snprintf(h->peer, sizeof(h->peer), "%s", c->peer);
}

/* Counted every time; logged once a second at most, with the count. */
static void
note_failure(struct conn *c, const char *where, int err)
{
	static int64_t logged_ms;
	static uint64_t unlogged;
	int64_t now = now_ms();

	c->stats->handoffs[HEALTH_HANDOFF_FAILED]++;
	unlogged++;
	if (now - logged_ms < 1000)
		return;
	log_warnx("%s: cannot pass the connection to %s: %s; it stays with "
	    "this worker (%llu such failure%s since the last line)", c->peer,
	    where, strerror(err), (unsigned long long)unlogged,
	    unlogged == 1 ? "" : "s");
	logged_ms = now;
	unlogged = 0;
}

/*
 * Nothing buffered: to the lobby, which waits for the client's next
 * request. A drain whose lobby cannot take it (full, restarting) passes
 * it straight to a worker instead. Bytes of a partial request always go
 * straight to a worker: the client is in the middle of sending.
 */
int
handover_pass(struct conn *c, enum handoff_reason why,
    const struct handover_state *st)
{
	const struct worker_env *env = c->env;
	struct handoff h;
	const char *where = "the lobby";
	int err;

	if (st->partial_len > HANDOFF_PARTIAL_MAX) {
		note_failure(c, "another worker", EMSGSIZE);
		return -1;
	}
	if (conn_flush(c) == -1)
		return -1;
	fill_header(c, why, st, &h);
	err = 0;
	if (st->partial_len == 0 && env->intake != -1 &&
	    handoff_send(env->intake, c->fd, &h, NULL) == 0)
		goto passed;
	err = st->partial_len == 0 ? errno : 0;
	if (why == HANDOFF_DRAIN && env->pass != -1) {
		idle_queued(env->idle);
		if (handoff_send(env->pass, c->fd, &h, st->partial) == 0)
			goto passed;
		idle_taken(env->idle);
	}
	if (why == HANDOFF_DRAIN) {
		where = "another worker";
		err = errno;
	}
	note_failure(c, where, err != 0 ? err : EAGAIN);
	return -1;
passed:
	close(c->fd);
	c->fd = -1;
	c->stats->handoffs[why == HANDOFF_IDLE ? HEALTH_HANDOFF_PARKED :
	    HEALTH_HANDOFF_DRAINED]++;
	return 0;
}
