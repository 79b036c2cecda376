/*
 * report: the worker's side of the health pipe. Reports go out when the
 * state changes and on every heartbeat; every wait in the worker is capped
 * at the next heartbeat and calls report_tick, so a worker blocked on a
 * slow or idle client still reports.
 */
#ifndef FORKLINE_REPORT_H
#define FORKLINE_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/health.h"
#include "worker/stats.h"
#include "worker/worker.h"

/* Report on env's pipe what stats hold: the worker keeps them current. */
void	 report_init(const struct worker_env *env,
	    const struct worker_stats *stats);
/* The worker is now in state; now_ms is the monotonic time the caller has. */
void	 report_state(enum health_state state, int64_t now_ms);
void	 report_set_flags(unsigned flags);
void	 report_tick(void);
/* The same, with the monotonic time in ms the caller has already. */
void	 report_tick_at(int64_t now_ms);
/* Send what stats hold now (before an injected crash). */
void	 report_now(void);

/* Milliseconds until the next heartbeat is due (0 if overdue). */
int64_t	 report_due_in(void);

/* Cap a wait of timeout_ms at the next heartbeat. */
int64_t	 report_cap_wait(int64_t timeout_ms);

/* About to block up to ms without waking, at now_ms (monotonic): send a
 * heartbeat due by then. */
void	 report_before_block(int64_t ms, int64_t now_ms);

/*
 * A busy/idle change is sent this much later, and not at all if the worker
 * is back where it was by then: with short connections a worker changes
 * state thousands of times a second, and two reads in the master per
 * connection would cost it a good part of a core.
 */
#define REPORT_COALESCE_MS	5

/*
 * The rule report_state follows (report.c says why), pure so that a table
 * can hold it (tests/unit/check_report.c): given a change of state and
 * what was sent so far (a struct report_timing, which report.c keeps),
 * whether a report goes out now, at a given time, or not at all.
 */
struct report_timing {
	enum health_state sent;		/* the state in the last report */
	bool		 first;		/* no report sent yet */
	bool		 told_busy;	/* a busy report has gone out */
	bool		 pending;	/* a change is waiting to go out */
	int64_t		 last_sent_ms;
	int64_t		 next_due_ms;	/* the heartbeat, or a pending change */
	int64_t		 heartbeat_ms;
};

enum report_verdict {
	REPORT_KEEP,		/* nothing to do: no change, or one pending */
	REPORT_SEND_NOW,
	REPORT_SEND_AT,		/* pending: the next report is due at at_ms */
	REPORT_DROP,		/* a pending change undone: the next report is
				 * the heartbeat, due at at_ms */
};

struct report_plan {
	enum report_verdict verdict;
	int64_t		 at_ms;		/* SEND_AT and DROP */
};

/* The worker goes from one state to another at now_ms: what to send. */
struct report_plan report_decide(const struct report_timing *t,
		    enum health_state from, enum health_state to,
		    int64_t now_ms);

/* Peak RSS as of the last report (a heartbeat at most ago), in kB. */
uint64_t report_max_rss_kb(void);

#endif
