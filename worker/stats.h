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

struct worker_stats {
	uint64_t	 connections;
	uint64_t	 requests;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	uint64_t	 latency[HEALTH_LATENCY_BUCKETS];
	uint64_t	 latency_sum_us;
	uint64_t	 faults[HEALTH_FAULT_KINDS];	/* injected */
	uint64_t	 handoffs[HEALTH_HANDOFF_KINDS];
	uint64_t	 handoff_latency[HEALTH_LATENCY_BUCKETS];
	uint64_t	 handoff_latency_sum_us;

	/* The connection in hand. */
	int64_t		 conn_started_ms;	/* realtime; 0 when idle */
	const char	*peer;			/* escaped; NULL when idle */
	char		 request[STATS_NOTE_MAX];	/* escaped */
	int64_t		 request_started_ms;	/* monotonic */
};

/* Count one request's latency (from its line to its reply queued). */
void	 stats_note_latency(struct worker_stats *st, int64_t us);

/* Count one handoff's latency (sent to taken). */
void	 stats_note_handoff(struct worker_stats *st, int64_t us);

/* Note the request in hand (escaped, cut to STATS_NOTE_MAX). */
void	 stats_note_request(struct worker_stats *st, const char *line,
	    size_t len);

#endif
