/*
 * stats: what a worker has done and what it is doing. The counters are
 * cumulative over the worker's life and go to the master in every health
 * report (report.c); the connection in hand also goes into the hang report
 * (SIGABRT, worker.c). A leaf: the connection code and the protocols count
 * into it without calling back into worker.c.
 */
#ifndef FORKLINE_STATS_H
#define FORKLINE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "common/health.h"

#define STATS_NOTE_MAX	64

/*
 * What a request counts comes first, next to each other: a worker woken
 * among hundreds finds its memory cold, and these few cache lines are all
 * of it a request touches here.
 */
struct worker_stats {
	uint64_t	 requests;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	uint64_t	 latency_sum_us;
	int64_t		 request_started_ms;	/* monotonic */
	size_t		 request_len;		/* of request */
	uint64_t	 latency[HEALTH_LATENCY_BUCKETS];
	char		 request[STATS_NOTE_MAX];	/* raw, cut */

	/* Per connection, or rarer. */
	uint64_t	 connections;
	uint64_t	 faults[HEALTH_FAULT_KINDS];	/* injected */
	uint64_t	 handoffs[HEALTH_HANDOFF_KINDS];
	uint64_t	 handoff_latency[HEALTH_LATENCY_BUCKETS];
	uint64_t	 handoff_latency_sum_us;

	/* The connection in hand. */
	int64_t		 conn_started_ms;	/* realtime; 0 when idle */
	const char	*peer;			/* escaped; NULL when idle */
};

/* Count one request's latency (from its line to its reply queued). */
void	 stats_note_latency(struct worker_stats *st, int64_t us);

/* Count one handoff's latency (sent to taken). */
void	 stats_note_handoff(struct worker_stats *st, int64_t us);

/*
 * Note the request in hand, started at started_ms (monotonic): its first
 * STATS_NOTE_MAX bytes, as they came. Only the hang report reads them, and
 * escapes them (stats_request_text): a request pays for a short copy.
 */
void	 stats_note_request(struct worker_stats *st, const char *line,
	    size_t len, int64_t started_ms);

/* The request noted, escaped for a log line; buf of STATS_NOTE_TEXT_MAX. */
#define STATS_NOTE_TEXT_MAX	(4 * STATS_NOTE_MAX + 1)
const char *stats_request_text(const struct worker_stats *st, char *buf,
	    size_t len);

#endif
