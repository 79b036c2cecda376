/*
 * health: the report a worker writes to the master over its pipe.
 *
 * Fixed-size binary records, smaller than PIPE_BUF, so each write(2) is
 * atomic and the master never sees half a report from one write. The
 * worker's write end is non-blocking: when the pipe is full (a slow
 * master) a report is dropped, never waited for. Counters are cumulative,
 * so a dropped report loses nothing but freshness.
 *
 * Both sides are built from the same source, so the layout is native; the
 * magic only guards against reading something that is not a report.
 */
#ifndef FORKLINE_HEALTH_H
#define FORKLINE_HEALTH_H

#include <limits.h>
#include <stdint.h>

#define HEALTH_MAGIC	0x464c4831u	/* "FLH1" */

enum health_state {
	HEALTH_STARTING,	/* forked, setting up */
	HEALTH_IDLE,		/* waiting for a connection */
	HEALTH_BUSY,		/* serving a connection */
	HEALTH_DRAINING,	/* told to stop; finishing the request */
};

/*
 * Request latency, counted by the worker into fixed buckets (upper bounds
 * in microseconds; the last bucket is everything above): the master sums
 * them for /metrics without any traffic per request.
 */
#define HEALTH_LATENCY_BUCKETS	17

static const uint32_t health_latency_bounds_us[HEALTH_LATENCY_BUCKETS - 1] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

/*
 * Faults injected on purpose ([faults], docs/FAULTS.md), counted by kind.
 * latency counts delayed replies and bandwidth trickled ones.
 */
enum health_fault {
	HEALTH_FAULT_LATENCY,
	HEALTH_FAULT_RESET,
	HEALTH_FAULT_STALL,
	HEALTH_FAULT_ERROR,
	HEALTH_FAULT_CLOSE,
	HEALTH_FAULT_BANDWIDTH,
	HEALTH_FAULT_CRASH,
	HEALTH_FAULT_KINDS,
};

static inline const char *
health_fault_name(unsigned kind)
{
	static const char *const names[HEALTH_FAULT_KINDS] = {
		"latency", "reset", "stall", "error", "close", "bandwidth",
		"crash",
	};

	return kind < HEALTH_FAULT_KINDS ? names[kind] : "invalid";
}

/*
 * Connections passed on (common/handoff.h), counted by the worker. The
 * master files a worker's drained ones under the reason it drained it for.
 */
enum health_handoff {
	HEALTH_HANDOFF_PARKED,	/* idle for park_after: to the lobby */
	HEALTH_HANDOFF_DRAINED,	/* passed on while draining */
	HEALTH_HANDOFF_TAKEN,	/* received to serve (dispatch channel) */
	HEALTH_HANDOFF_FAILED,	/* could not be passed on: kept */
	HEALTH_HANDOFF_KINDS,
};

/* Flags. */
#define HEALTH_WANTS_RECYCLE	0x1	/* reached max_requests or max_rss */

struct health_report {
	uint32_t	 magic;
	uint32_t	 pid;
	uint32_t	 generation;
	uint32_t	 seq;		/* per worker, from 1 */
	uint8_t		 state;		/* enum health_state */
	uint8_t		 flags;
	uint16_t	 reserved;
	uint32_t	 slot;
	uint64_t	 connections;
	uint64_t	 requests;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	int64_t		 conn_started_ms;	/* realtime; 0 when idle */
	uint64_t	 max_rss_kb;
	uint64_t	 latency[HEALTH_LATENCY_BUCKETS];	/* not cumulative */
	uint64_t	 latency_sum_us;
	uint64_t	 faults[HEALTH_FAULT_KINDS];	/* cumulative */
	uint64_t	 handoffs[HEALTH_HANDOFF_KINDS];	/* cumulative */
	/* From a connection's handoff to the worker that takes it, in the
	 * latency buckets. */
	uint64_t	 handoff_latency[HEALTH_LATENCY_BUCKETS];
	uint64_t	 handoff_latency_sum_us;
	char		 peer[48];	/* busy: "[v6]:port" fits; else "" */
};

_Static_assert(sizeof(struct health_report) < PIPE_BUF,
    "health reports must be written atomically");

/*
 * The lobby's report: what it holds and what it did, cumulative but for
 * parked. Written when something changed, at most every 100 ms, and on
 * every heartbeat.
 */
#define LOBBY_MAGIC	0x464c4c31u	/* "FLL1" */

struct lobby_report {
	uint32_t	 magic;
	uint32_t	 pid;
	uint32_t	 seq;
	uint32_t	 ready;		/* 1 once it waits on its channel */
	uint64_t	 parked;	/* held now */
	uint64_t	 parked_max;	/* the bound in force */
	uint64_t	 received;	/* taken in to park */
	uint64_t	 woken;		/* readable: passed to a worker */
	uint64_t	 expired;	/* idle_timeout while parked */
	uint64_t	 dropped;	/* malformed messages, failed passes */
};

_Static_assert(sizeof(struct lobby_report) < PIPE_BUF,
    "lobby reports must be written atomically");

static inline const char *
health_state_name(unsigned state)
{
	static const char *const names[] = {
		"starting", "idle", "busy", "draining",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] :
	    "invalid";
}

#endif
