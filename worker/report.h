/*
 * report: the worker's side of the health pipe. Reports go out when the
 * state changes and on every heartbeat; every wait in the worker is capped
 * at the next heartbeat and calls report_tick, so a worker blocked on a
 * slow or idle client still reports.
 */
#ifndef FORKLINE_REPORT_H
#define FORKLINE_REPORT_H

#include <stdint.h>

#include "common/health.h"
#include "worker/stats.h"
#include "worker/worker.h"

/* Report on env's pipe what stats hold: the worker keeps them current. */
void	 report_init(const struct worker_env *env,
	    const struct worker_stats *stats);
void	 report_state(enum health_state state);
void	 report_set_flags(unsigned flags);
void	 report_tick(void);

/* Milliseconds until the next heartbeat is due (0 if overdue). */
int64_t	 report_due_in(void);

/* Cap a wait of timeout_ms at the next heartbeat. */
int64_t	 report_cap_wait(int64_t timeout_ms);

/* About to block up to ms without waking: send a heartbeat due by then. */
void	 report_before_block(int64_t ms);

#endif
