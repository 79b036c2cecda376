/*
 * admin: the master's HTTP endpoint (libevent's evhttp), off unless
 * [admin] listen or -a names an address.
 *
 *   GET /healthz   200 "ok" once min_ready workers serve; otherwise 503
 *                  and why (starting, crash loop, draining)
 *   GET /status    JSON: server, pool, totals, one row per worker
 *                  (?format=text: the table `forkline status` prints)
 *   GET /metrics   Prometheus text exposition
 *
 * Everything comes from what the master already knows (the workers'
 * reports, see admin_pages.h): a request costs the workers nothing.
 * Requests are small and bounded (headers 8 KiB, no body, 5 s for the
 * whole request, 64 connections open at once: a new one closes the
 * oldest, so a health check is never starved), and the handlers never
 * block the event loop.
 */
#ifndef FORKLINE_ADMIN_H
#define FORKLINE_ADMIN_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/core.h"
#include "server/supervise.h"

struct bufferevent;
struct evconnlistener;
struct evhttp;

#define ADMIN_CONNS_MAX		64
/* Room to track connections past the limit, to close them at once. */
#define ADMIN_TRACK_MAX		(4 * ADMIN_CONNS_MAX)

/*
 * evhttp's timeout restarts with every byte, so a client sending one byte
 * a second would hold a connection for ever. Each connection's
 * bufferevent is made here (evhttp_set_bevcb), at most ADMIN_CONNS_MAX
 * open at once (a new one closes the oldest), and the master's tick shuts
 * down any older than the request timeout. An extra reference keeps the
 * bufferevent valid until the sweep sees that evhttp has let go of it (it
 * clears its callbacks when it does).
 */
struct admin_conn {
	struct bufferevent	*bev;		/* NULL: free */
	int64_t			 deadline_ms;
	bool			 closing;	/* shut down, not yet released */
};

struct admin {
	const struct core	*core;
	const struct supervisor	*sup;
	const struct parking	*parking;	/* the hub sets it */
	struct evhttp		*http;
	struct listener		 sock;		/* fd -1: off */
	/*
	 * The listener stops accepting while ADMIN_TRACK_MAX connections
	 * are held (a flood faster than the tick releases closed ones; the
	 * rest wait in the kernel's queue, costing the master no fd), and
	 * for a while after accept fails: libevent would otherwise retry a
	 * listener that stays readable at once, forever, and print a
	 * warning each time.
	 */
	struct evconnlistener	*listener;
	int64_t			 accept_resume_ms;	/* 0: not paused */
	unsigned long		 accept_failures;
	struct admin_conn	 conns[ADMIN_TRACK_MAX];
};

/* Listen (or take the old master's socket on an upgrade); 0 when off.
 * -1 with the reason in err. */
int	 admin_open(struct admin *a, const struct core *core,
	    const struct supervisor *sup, char *err, size_t errlen);
void	 admin_close(struct admin *a);

/* From the tick: release what evhttp freed, cut what is late. */
void	 admin_tick(struct admin *a);

/* After a handover the socket file belongs to the new master. */
void	 admin_disown(struct admin *a);

#endif
