/*
 * client: forkline-bench's connections and their event loop.
 *
 * One process, one libevent loop, N connections, each a small state
 * machine driven by raw `struct event`s on its non-blocking socket:
 *
 *   WAIT ──(retry timer)──▶ CONNECTING ──(writable, SO_ERROR 0)──▶ OPEN
 *     ▲                         │                                   │
 *     └────── failed, with ─────┴──── error: close, count it ───────┘
 *             backoff if nothing was served on it; at once if it was
 *
 * In OPEN, the mode decides what is written and what is a reply: rr
 * (requests and line or exact replies, closed loop with a pipeline or
 * open loop at a fixed rate), stream (a byte pattern through an echo
 * server, checked) or connect (one request, then close and start over).
 *
 * Everything a connection needs is allocated once before the loop: the
 * connections, their rings of send times, one read buffer and one write
 * buffer (the request repeated, or the stream pattern) that all of them
 * share, since the loop handles one callback at a time. Nothing is
 * allocated and nothing is printed per request; the clock is read once
 * per read or write batch.
 */
#ifndef FORKLINE_BENCH_CLIENT_H
#define FORKLINE_BENCH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/histogram.h"
#include "bench/options.h"

/* Errors by kind, as the report names them. */
enum bench_error {
	BENCH_ERR_REFUSED,	/* connect refused (or no unix socket there) */
	BENCH_ERR_RESET,	/* connection reset, broken pipe */
	BENCH_ERR_TIMEOUT,	/* reply or connect slower than --timeout */
	BENCH_ERR_SHORT,	/* EOF before a full reply */
	BENCH_ERR_WRONG,	/* reply differs from --expect / the echo */
	BENCH_ERR_OTHER,	/* anything else (EADDRNOTAVAIL, EMFILE...) */
	BENCH_ERR_BEHIND,	/* --rate: due while 1024 were in flight */
	BENCH_ERR_KINDS,
};

struct bench_stats {
	uint64_t	 requests;	/* replies; stream: echoed writes */
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	uint64_t	 connects;	/* connections established */
	uint64_t	 errors[BENCH_ERR_KINDS];
	/*
	 * rr and connect. sent: requests written whole. attempted: the
	 * requests that had an outcome (a reply, or the error that ended
	 * their connection): those sent, and those in flight when the
	 * measured period began, less those still in flight when it ended
	 * or queued behind the one a connection broke on. injected: the
	 * "wrong" replies that were forkline's "ERR injected fault".
	 */
	uint64_t	 sent;
	uint64_t	 attempted;
	uint64_t	 injected;
};

struct bench_result {
	struct bench_stats	 stats;		/* measured period only */
	struct histogram	 latency;	/* ns, measured period only */
	double			 duration_s;	/* measured, as it happened */
	bool			 partial;	/* stopped by a signal */
	uint64_t		 connects_ever;	/* warmup included */
};

const char *bench_error_name(enum bench_error kind);
uint64_t bench_errors_total(const struct bench_stats *st);

/*
 * Let this process open conns sockets: raise RLIMIT_NOFILE if it is too
 * low. Returns 0, or -1 with the reason in err (exit 71).
 */
int	 bench_raise_fd_limit(unsigned conns, char *err, size_t errlen);

/*
 * One blocking connection to the target within timeout_ns, then closed:
 * is anything there? Returns 0, or -1 with the reason in err (exit 2).
 */
int	 bench_probe(const struct net_addr *target, uint64_t timeout_ns,
	    char *err, size_t errlen);

/*
 * Run the load o describes: warmup, then the measured period (or until
 * SIGINT/SIGTERM, then r->partial). progress: a line each second on
 * stderr. Returns 0, or -1 with the reason in err if the loop could not
 * be set up (exit 71).
 */
int	 bench_run(const struct bench_options *o, bool progress,
	    struct bench_result *r, char *err, size_t errlen);

#endif
