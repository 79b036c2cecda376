/*
 * proto_echo: the echo protocol, RFC 862, binary-safe.
 */
#include <errno.h>

#include "worker/proto.h"

#define ECHO_CHUNK	(64 * 1024)

static char	 echo_buf[ECHO_CHUNK];

/*
 * RFC 862: every byte back, until the client closes. Stops between chunks
 * when the worker is told to stop: what was read is always written back.
 */
enum proto_end
proto_echo_serve(struct conn *c)
{
	const struct conf *conf = c->worker->env->conf;
	ssize_t n;

	for (;;) {
		switch (conn_wait_readable(c, conf->idle_timeout_ms)) {
		case CONN_READABLE:
			break;
		case CONN_TIMEOUT:
			return PROTO_END_IDLE;
		case CONN_STOP:
			return PROTO_END_STOP;
		case CONN_ERROR:
			return PROTO_END_ERROR;
		}
		n = conn_read(c, echo_buf, ECHO_CHUNK);
		if (n == 0)
			return PROTO_END_CLIENT_CLOSED;
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			return PROTO_END_ERROR;
		if (conn_write(c, echo_buf, (size_t)n) == -1)
			return PROTO_END_ERROR;
	}
}
