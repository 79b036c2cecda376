/*
 * proto_echo: the echo protocol, RFC 862, binary-safe.
 */
#include <string.h>

#include "common/hot.h"
#include "common/proc.h"
#include "worker/handover.h"
#include "worker/inject.h"
#include "worker/proto.h"
#include "worker/worker.h"

static enum proto_end echo_faulted(struct conn *, size_t, int64_t);
static bool	 pass_on(struct conn *, enum handoff_reason, int64_t);

/*
 * With faults on, each chunk read is one request (docs/FAULTS.md): its
 * draw decides whether it is echoed, delayed, cut, replaced by the error
 * line, or the connection reset or stalled. PROTO_END_CLIENT_CLOSED here
 * means "go on".
 */
static enum proto_end
echo_faulted(struct conn *c, size_t n, int64_t idle_timeout_ms)
{
	static const char error_line[] = INJECT_ERROR_TEXT "\n";
	enum inject_verdict v = inject_pick(c);

	switch (v) {
	case INJECT_RESET:
		inject_reset(c);
		return PROTO_END_RESET;
	case INJECT_STALL:
		inject_stall(c, c->out, CONN_OUT_CAP,
		    now_ms() + idle_timeout_ms);
		return PROTO_END_STALL;
	case INJECT_REPLY:
	case INJECT_ERROR:
	case INJECT_CLOSE:
		break;
	}
	if (inject_delay(c) == -1)
		return PROTO_END_ERROR;
	if (v == INJECT_CLOSE) {
		inject_cut(c, n);
		conn_write(c, c->out, n);
		return PROTO_END_CUT;
	}
	if (v == INJECT_ERROR)
		return conn_write(c, error_line, strlen(error_line)) == -1 ?
		    PROTO_END_ERROR : PROTO_END_CLIENT_CLOSED;
	return conn_write(c, c->out, n) == -1 ? PROTO_END_ERROR :
	    PROTO_END_CLIENT_CLOSED;
}

/* Everything read has been echoed: nothing travels but the deadline. */
static bool
pass_on(struct conn *c, enum handoff_reason why, int64_t idle_deadline)
{
	struct handover_state st = { .idle_deadline_ms = idle_deadline };

	return handover_pass(c, why, &st) == 0;
}

/*
 * RFC 862: every byte back, until the client closes. Stops between chunks
 * when the worker is told to stop: what was read is always written back.
 * Quiet for park_after, or drained, the connection moves on (handover.h).
 * The bytes are read into the connection's output buffer and written back
 * from it: they go back as they came, and a request touches one buffer.
 */
HOT enum proto_end
proto_echo_serve(struct conn *c)
{
	const struct conf *conf = c->env->conf;
	int64_t last = now_ms(), deadline, arrived = last;
	bool park_failed = false;
	enum proto_end end;
	size_t n;

	deadline = c->arrived != NULL ? c->arrived->idle_deadline_ms :
	    last + conf->idle_timeout_ms;
	/* From a line worker before a reload changed the protocol: the bytes
	 * of its partial request are the first to echo. */
	if (c->arrived != NULL && c->arrived->partial_len > 0 &&
	    conn_write(c, c->arrived_partial, c->arrived->partial_len) == -1)
		return PROTO_END_ERROR;
	for (;;) {
		if (park_failed)
			c->park_at_ms = 0;
		else
			handover_arm_park(c, deadline - conf->idle_timeout_ms >
			    arrived ? deadline - conf->idle_timeout_ms :
			    arrived);
		switch (conn_receive(c, c->out, CONN_OUT_CAP, deadline, &n)) {
		case CONN_READABLE:
			break;
		case CONN_CLOSED:
			return PROTO_END_CLIENT_CLOSED;
		case CONN_TIMEOUT:
			return PROTO_END_IDLE;
		case CONN_IDLE:
			if (pass_on(c, HANDOFF_IDLE, deadline))
				return PROTO_END_HANDED;
			park_failed = true;
			continue;
		case CONN_STOP:
			if (handover_on_drain(c) &&
			    pass_on(c, HANDOFF_DRAIN, deadline))
				return PROTO_END_HANDED;
			return PROTO_END_STOP;
		case CONN_ERROR:
			return PROTO_END_ERROR;
		}
		park_failed = false;
		c->clock_ms = now_ms();
		deadline = c->clock_ms + conf->idle_timeout_ms;
		if (inject_on(c)) {
			end = echo_faulted(c, n, conf->idle_timeout_ms);
			if (end != PROTO_END_CLIENT_CLOSED)
				return end;
			continue;
		}
		if (conn_write(c, c->out, n) == -1)
			return PROTO_END_ERROR;
		/* Each chunk is a request: at max_requests it moves on. */
		c->stats->requests++;
		if (handover_at_limit(c) && pass_on(c, HANDOFF_DRAIN,
		    deadline))
			return PROTO_END_HANDED;
	}
}
