/*
 * worker: a forked child that accepts on the shared listeners and serves one
 * client at a time with blocking I/O. It never uses libevent and never
 * includes server/ headers: what it needs from the master arrives in a
 * worker_env.
 */
#ifndef FORKLINE_WORKER_H
#define FORKLINE_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "common/creds.h"
#include "common/health.h"
#include "conf/config.h"

/* What the master hands a new worker. */
struct worker_env {
	const struct conf	*conf;
	const int		*listeners;
	int			 nlisteners;
	int			 lifeline;	/* read end; EOF = stop */
	int			 report_fd;	/* health pipe, write end */
	int			 access_fd;	/* access log, or -1 */
	const struct creds	*creds;		/* who to become */
	int			 slot;		/* 1..N, stable across restarts */
	unsigned		 generation;
	pid_t			 master;
};

/* The worker's own counters, cumulative over its life. */
struct worker_stats {
	uint64_t	 connections;
	uint64_t	 requests;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	int64_t		 conn_started_ms;	/* realtime; 0 when idle */
	uint64_t	 latency[HEALTH_LATENCY_BUCKETS];
	uint64_t	 latency_sum_us;
};

#define WORKER_NOTE_MAX	64

struct worker {
	const struct worker_env	*env;
	struct worker_stats	 stats;
	sigset_t		 wait_mask;	/* mask while blocked in a wait */
	int64_t			 recv_slice_ms;	/* SO_RCVTIMEO of clients; 0 = none */
	uint64_t		 recycle_after;	/* requests; 0 = never */

	/* What it is doing, for the hang report (SIGABRT). */
	const char		*peer;
	char			 request[WORKER_NOTE_MAX];
	int64_t			 request_started_ms;
};

/* Count one request's latency (from its line to its reply queued). */
void		 worker_note_latency(struct worker *w, int64_t us);

/* Note the request in hand (escaped, cut to WORKER_NOTE_MAX). */
void		 worker_note_request(struct worker *w, const char *line,
		    size_t len);

noreturn void	 worker_main(const struct worker_env *env);

#endif
