/*
 * sd: telling the service manager (systemd's sd_notify protocol) what the
 * master is doing, and the --live status line. Every call is harmless
 * when NOTIFY_SOCKET is not set.
 *
 *   READY=1             once min_ready workers have reported ready
 *   STATUS=...          every few seconds: workers, connections, req/s
 *   RELOADING=1 + MONOTONIC_USEC   on SIGHUP; READY=1 when it is over
 *   STOPPING=1          on a stop, with EXTEND_TIMEOUT_USEC for the drain
 *   WATCHDOG=1          at half of WATCHDOG_USEC, from the event loop, so
 *                       it stops if the loop stops
 *   MAINPID=            from a new master after a binary upgrade
 */
#ifndef FORKLINE_SD_H
#define FORKLINE_SD_H

#include <stdbool.h>
#include <stdint.h>

#include "server/core.h"
#include "server/parking.h"
#include "server/supervise.h"

struct event;

struct sd {
	const struct core	*core;
	const struct supervisor	*sup;		/* for STATUS= */
	const struct parking	*parking;	/* the hub sets it */
	const char		*notify;	/* NOTIFY_SOCKET, or NULL */
	bool			 live;		/* --live: a status line */
	bool			 ready_sent;
	struct event		*status_timer;
	struct event		*watchdog_timer;
	uint64_t		 status_requests;
	int64_t			 status_at_ms;
};

/* Timers for STATUS and the watchdog, if there is a manager to tell. */
int	 sd_init(struct sd *sd, const struct core *core,
	    const struct supervisor *sup, bool live);
void	 sd_free(struct sd *sd);

/*
 * The current generation has serving workers: READY=1 once they reach
 * min_ready (all of start when it is 0). Returns true when it says so now,
 * for the first time since start or the last RELOADING=1.
 */
bool	 sd_ready(struct sd *sd, int serving);
void	 sd_reloading(struct sd *sd);
void	 sd_reload_failed(struct sd *sd);
void	 sd_stopping(struct sd *sd, int64_t drain_ms);

#endif
