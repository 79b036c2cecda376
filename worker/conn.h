/*
 * conn: one client connection, served with blocking-style I/O and deadlines.
 *
 * Every wait is a ppoll on the client socket and the lifeline with a
 * deadline, with SIGTERM unblocked only inside it, so a worker blocked on a
 * slow or idle client still notices a stop at once and never waits forever.
 * Reads and writes themselves never block (MSG_DONTWAIT).
 *
 * Output is gathered in a fixed buffer and written when the caller flushes
 * (the replies to one read go out together) or when it fills.
 */
#ifndef FORKLINE_CONN_H
#define FORKLINE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/net.h"
#include "worker/worker.h"

#define CONN_OUT_CAP	(64 * 1024)

struct conn {
	int		 fd;
	char		 peer[NET_ADDR_TEXT_MAX];
	struct worker	*worker;
	char		*out;		/* CONN_OUT_CAP bytes, owned by worker */
	size_t		 outlen;
	int64_t		 send_timeout_ms;
	bool		 broken;	/* a write failed or timed out */

	/* For the access log line. */
	char		 started_text[32];
	uint64_t	 requests_before;
	uint64_t	 bytes_in_before;
	uint64_t	 bytes_out_before;
};

enum conn_event {
	CONN_READABLE,
	CONN_TIMEOUT,
	CONN_STOP,		/* the worker was told to stop */
	CONN_ERROR,
};

/* Wait until the client sent something, timeout_ms passed, or a stop. */
enum conn_event	 conn_wait_readable(struct conn *c, int64_t timeout_ms);

/*
 * Sleep for ms (the SLEEP command). Never cut short, but a stop arriving
 * meanwhile is noticed and heartbeats go on.
 */
void		 conn_sleep(struct conn *c, int64_t ms);

/* Read what is there: >0 bytes, 0 on EOF or reset, -1 with errno set
 * (EAGAIN after a spurious wake-up: wait again). */
ssize_t		 conn_read(struct conn *c, void *buf, size_t len);

/* Queue bytes; flushes first when they do not fit. -1 once broken. */
int		 conn_queue(struct conn *c, const void *data, size_t len);
int		 conn_flush(struct conn *c);

/* Write bytes now, past the buffer (flushing it first). */
int		 conn_write(struct conn *c, const void *data, size_t len);

#endif
