/*
 * conn: one connection of forkline-bench, and the run the connections
 * share. Internal to bench/client.c (the run: its loop, phases, --rate
 * schedule) and bench/conn.c (a connection's state machine and the
 * modes' reads and writes); client.h is the interface.
 */
#ifndef FORKLINE_BENCH_CONN_H
#define FORKLINE_BENCH_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "bench/client.h"

#define NS_PER_MS	1000000ull
#define NS_PER_S	1000000000ull
#define BENCH_READ_BUF	(64 * 1024)	/* one buffer for every connection */
/* Prime, so no write or read size lines up with the pattern's period. */
#define PATTERN_PERIOD	65521

enum conn_state {
	CONN_WAIT,		/* closed; retry timer pending or done */
	CONN_CONNECTING,	/* non-blocking connect in progress */
	CONN_OPEN,
};

struct bench;

struct conn {
	struct bench	*b;
	int		 fd;
	enum conn_state	 state;
	struct event	 rev, wev, retry;
	bool		 wev_on;	/* wev added: waiting to write */
	bool		 served;	/* a reply came back since it opened */
	unsigned	 fails;		/* opens in a row that served nothing */
	uint64_t	 opened_at;
	/*
	 * Send (or, with --rate, scheduled) times of the requests in flight,
	 * oldest at head; cap is a power of two. Stream: one per write, with
	 * the stream offset that completes its echo in end.
	 */
	uint64_t	*at;
	uint64_t	*end;
	uint32_t	 head, n, cap;
	/* rr, connect: request bytes still to write, from out_phase on. */
	uint64_t	 out_bytes;
	size_t		 out_phase;
	size_t		 match;		/* bytes of the reply in progress */
	bool		 skipping;	/* a wrong reply, up to its '\n' */
	/* Bytes of that wrong reply that are "ERR injected fault\r" so
	 * far; SIZE_MAX once it is something else. */
	size_t		 fault_match;
	/* stream */
	uint64_t	 sent, echoed;
};

struct bench {
	const struct bench_options *o;
	struct bench_result	*r;
	struct event_base	*base;
	struct conn		*conns;
	uint64_t		*at_pool, *end_pool;
	char			*rbuf;
	char			*wbuf;	/* the request repeated, or a pattern */
	size_t			 wbuf_len;
	struct event		 phase_ev, tick_ev, rate_ev, int_ev, term_ev;
	bool			 events_assigned;
	bool			 measuring, done;
	uint64_t		 t_start, t_measure, t_end;
	uint64_t		 rate_k;	/* the next request due */
	double			 rate_interval_ns;
	bool			 progress;
	uint64_t		 prog_t, prog_last;	/* last progress line */
};

static inline uint64_t
bench_clock_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline void
bench_timer_add(struct event *ev, uint64_t ns)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)(ns / NS_PER_S);
	tv.tv_usec = (suseconds_t)(ns % NS_PER_S / 1000);
	event_add(ev, &tv);
}

/* Count one error of kind (BENCH_ERR_KINDS: none). */
static inline void
bench_count_error(struct bench *b, enum bench_error kind)
{
	if (kind < BENCH_ERR_KINDS)
		b->r->stats.errors[kind]++;
}

/*
 * c starts closed, with its ring (at, and end for stream; cap entries, a
 * power of two) and its retry timer.
 */
void	 conn_init(struct conn *c, struct bench *b, uint64_t *at,
	    uint64_t *end, uint32_t cap);
/*
 * Connect, then write what the mode writes first. Failures are counted
 * and retried (conn.c decides when), never returned.
 */
void	 conn_open(struct conn *c);
/* Close c for good: the socket and the retry timer. */
void	 conn_release(struct conn *c);
/* A connect or the oldest request older than --timeout: fail c. */
void	 conn_check_timeout(struct conn *c, uint64_t now);
/*
 * Requests written whole on c that have had no reply yet (rr, connect;
 * 0 unless c is open).
 */
uint32_t conn_unanswered(const struct conn *c);
/*
 * --rate: a request of c falls due at due; sent now if c is open (else
 * once it is), or counted "behind" with 1024 in flight already.
 */
void	 conn_schedule(struct conn *c, uint64_t due);

#endif
