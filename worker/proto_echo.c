/*
 * proto_echo: the echo protocol, RFC 862, binary-safe.
 */
#include <string.h>

#include "common/proc.h"
#include "worker/inject.h"
#include "worker/proto.h"
#include "worker/worker.h"

#define ECHO_CHUNK	(64 * 1024)

static char	 echo_buf[ECHO_CHUNK];

static enum proto_end echo_faulted(struct conn *, size_t, int64_t);

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
		inject_stall(c, echo_buf, ECHO_CHUNK,
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
		conn_write(c, echo_buf, n);
		return PROTO_END_CUT;
	}
	if (v == INJECT_ERROR)
		return conn_write(c, error_line, strlen(error_line)) == -1 ?
		    PROTO_END_ERROR : PROTO_END_CLIENT_CLOSED;
	return conn_write(c, echo_buf, n) == -1 ? PROTO_END_ERROR :
	    PROTO_END_CLIENT_CLOSED;
}

/*
 * RFC 862: every byte back, until the client closes. Stops between chunks
 * when the worker is told to stop: what was read is always written back.
 */
enum proto_end
proto_echo_serve(struct conn *c)
{
	const struct conf *conf = c->env->conf;
	enum proto_end end;
	size_t n;

	for (;;) {
		switch (conn_receive(c, echo_buf, ECHO_CHUNK,
		    now_ms() + conf->idle_timeout_ms, &n)) {
		case CONN_READABLE:
			break;
		case CONN_CLOSED:
			return PROTO_END_CLIENT_CLOSED;
		case CONN_TIMEOUT:
			return PROTO_END_IDLE;
		case CONN_STOP:
			return PROTO_END_STOP;
		case CONN_ERROR:
			return PROTO_END_ERROR;
		}
		if (inject_on(c)) {
			end = echo_faulted(c, n, conf->idle_timeout_ms);
			if (end != PROTO_END_CLIENT_CLOSED)
				return end;
			continue;
		}
		if (conn_write(c, echo_buf, n) == -1)
			return PROTO_END_ERROR;
	}
}
