/*
 * admin_pages: what the admin endpoint says, rendered from what the master
 * already knows (its core and the workers' last reports). Pure rendering
 * into a buffer; admin.c does the HTTP.
 */
#ifndef FORKLINE_ADMIN_PAGES_H
#define FORKLINE_ADMIN_PAGES_H

#include "server/core.h"
#include "server/parking.h"
#include "server/supervise.h"

struct evbuffer;

/* NULL when healthy; else why not, for /healthz and its 503. */
const char *admin_health_problem(const struct core *core,
	    const struct supervisor *sup);

/* /status as JSON, and as the table `forkline status` prints. */
void	 admin_status_json(const struct core *core,
	    const struct supervisor *sup, const struct parking *p,
	    struct evbuffer *b);
void	 admin_status_text(const struct core *core,
	    const struct supervisor *sup, const struct parking *p,
	    struct evbuffer *b);

/* /metrics: Prometheus text exposition. */
void	 admin_metrics(const struct core *core, const struct supervisor *sup,
	    const struct parking *p, struct evbuffer *b);

#endif
