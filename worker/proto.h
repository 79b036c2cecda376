/*
 * proto: the two protocols a worker speaks on an accepted connection. Each
 * returns when the connection is done; the caller closes it.
 */
#ifndef FORKLINE_PROTO_H
#define FORKLINE_PROTO_H

#include "worker/conn.h"

struct conf;

/* Why a connection ended, for the worker's log. */
enum proto_end {
	PROTO_END_CLIENT_CLOSED,
	PROTO_END_QUIT,
	PROTO_END_IDLE,
	PROTO_END_STOP,
	PROTO_END_TOO_LONG,
	PROTO_END_ERROR,
	PROTO_END_RESET,	/* injected faults (docs/FAULTS.md) */
	PROTO_END_STALL,
	PROTO_END_CUT,
	PROTO_END_HANDED,	/* passed on: it goes on in another process */
};

/* Allocate the per-worker buffers once, before the first connection. */
int		 proto_init(const struct conf *conf);

enum proto_end	 proto_line_serve(struct conn *c);
enum proto_end	 proto_echo_serve(struct conn *c);
const char	*proto_end_name(enum proto_end end);

#endif
