/*
 * proto_echo: the echo protocol, RFC 862, binary-safe.
 */
#include "common/proc.h"
#include "worker/proto.h"
#include "worker/worker.h"

#define ECHO_CHUNK	(64 * 1024)

static char	 echo_buf[ECHO_CHUNK];

/*
 * RFC 862: every byte back, until the client closes. Stops between chunks
 * when the worker is told to stop: what was read is always written back.
 */
enum proto_end
proto_echo_serve(struct conn *c)
{
	const struct conf *conf = c->env->conf;
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
		if (conn_write(c, echo_buf, n) == -1)
			return PROTO_END_ERROR;
	}
}
