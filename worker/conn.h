/*
 * conn: one client connection, served with blocking I/O and deadlines.
 *
 * Reading a request is one blocking recv(2): the socket's SO_RCVTIMEO (the
 * recv slice, at most half a heartbeat interval) wakes it regularly to send
 * heartbeats and check deadlines, and SIGTERM interrupts it. Only when a
 * deadline is closer than a slice does the worker wait in ppoll on the client
 * and the lifeline instead, then read without blocking. So an unpipelined
 * request costs one read and one write system call, and a worker on a slow
 * or idle client still reports, notices a stop and never waits forever.
 * Writes never block (MSG_DONTWAIT) and wait in ppoll when the socket is full.
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
#include "conf/config.h"
#include "worker/fault.h"
#include "worker/stats.h"

struct handoff;
struct worker_env;

#define CONN_OUT_CAP	(64 * 1024)
#define CONN_DEMAND_MAX	(CONF_LISTEN_MAX + 1)	/* listeners, dispatch */

/*
 * One accepted client. worker.c sets fd through out for each connection,
 * from what the worker holds; conn.c and the protocols count into stats
 * and never reach further into the worker.
 */
struct conn {
	int		 fd;
	struct worker_stats *stats;	/* the worker's counters */
	const struct worker_env *env;	/* conf, slot and generation */
	/*
	 * The recv slice: the socket's SO_RCVTIMEO now; 0: none, -1: not
	 * known (the socket came from another process). conn_receive sets
	 * it, when it changes, to slice_short_ms while no worker is idle
	 * and the connection may park, and to slice_long_ms otherwise.
	 */
	int64_t		 recv_slice_ms;
	int64_t		 slice_long_ms;
	int64_t		 slice_short_ms;
	int64_t		 send_timeout_ms;
	/* The monotonic ms the protocol read at the end of its last request
	 * (0: none, or a wait came since): conn_receive's first look takes
	 * it rather than a clock read of its own, microseconds later. */
	int64_t		 clock_ms;
	char		*out;		/* CONN_OUT_CAP bytes, owned by worker */
	size_t		 outlen;
	bool		 broken;	/* a write failed or timed out */

	/* Injected faults (inject.c, faults below); shaped: one of the two
	 * below is set. */
	bool		 shaped;
	size_t		 bandwidth;	/* bytes/s to trickle at; 0: no limit */
	bool		 budgeted;	/* send at most send_budget more bytes */
	size_t		 send_budget;

	/*
	 * Parking (worker/handover.c). A wait with park_at_ms set may end
	 * with CONN_IDLE: at park_at_ms, or once the client has been quiet
	 * for a first recv slice while one of the demand fds (listeners, the
	 * dispatch channel) says another client waits for a worker.
	 */
	int64_t		 park_at_ms;	/* monotonic; 0: this wait never parks */
	int64_t		 park_after_ms;	/* conf's: no request touches conf */
	/* Demand was seen while a worker was idle to take it: not watched
	 * again until then (monotonic ms), or wait_or_park would wake at
	 * once, again and again, until that worker has. */
	int64_t		 demand_deaf_until_ms;
	const int	*demand;
	int		 ndemand;

	/* Who the connection is; it travels along when it moves. */
	char		 peer[NET_ADDR_TEXT_MAX];
	int64_t		 started_ms;	/* monotonic, at accept */
	int64_t		 started_sec;	/* realtime, at accept */
	int64_t		 started_nsec;
	unsigned	 hops;		/* times it moved so far */
	/* The worker's max_requests (+ jitter): at it, the connection
	 * moves on and the worker is recycled. 0: never. */
	uint64_t	 recycle_after;
	size_t		 max_rss;	/* conf's: bytes; 0 = no limit */

	/* It came over the dispatch channel: carried state for the protocol
	 * (partial request bytes, line ending, idle deadline); else NULL. */
	const struct handoff *arrived;
	const char	*arrived_partial;

	/* For the access log line. */
	uint64_t	 requests_before;
	uint64_t	 bytes_in_before;
	uint64_t	 bytes_out_before;

	/* Last, being large: a request reads only its first line. */
	struct fault_state faults;
};

enum conn_event {
	CONN_READABLE,
	CONN_CLOSED,		/* conn_receive: EOF or reset */
	CONN_TIMEOUT,
	CONN_STOP,		/* the worker was told to stop */
	CONN_IDLE,		/* conn_receive: time to park (see park_at_ms) */
	CONN_ERROR,
};

/* Wait until the client sent something, timeout_ms passed, or a stop. */
enum conn_event	 conn_wait_readable(struct conn *c, int64_t timeout_ms);

/*
 * Wait for client bytes until deadline_ms (monotonic clock) and read up to
 * len of them: CONN_READABLE with *got > 0, CONN_CLOSED, CONN_TIMEOUT,
 * CONN_STOP (nothing read), CONN_IDLE (nothing read; only when
 * c->park_at_ms is set) or CONN_ERROR.
 */
enum conn_event	 conn_receive(struct conn *c, void *buf, size_t len,
		    int64_t deadline_ms, size_t *got);

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

/* Sleep for us microseconds, like conn_sleep. */
void		 conn_sleep_us(struct conn *c, int64_t us);

#endif
