/*
 * load: a bounded request loop: a number of client connections driven
 * by poll() in this one process, each with one request in flight,
 * counting successful and failed requests. It advances only inside
 * load_run, so a test can signal the server or look at its processes in
 * between.
 *
 * What counts as a failure: a reply other than the one expected, a
 * connection closed or reset while a request is in flight, a failed
 * connect, no reply within the reply timeout. "BYE shutting down" is not
 * a failure (docs/PROTOCOL.md: a stopping worker says it after the reply
 * to the request in hand): the client reconnects and sends again the
 * request it had in flight, if it had one.
 */
#ifndef FORKLINE_LOAD_H
#define FORKLINE_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tests/support/harness.h"

#define LOAD_CLIENTS_MAX	512
#define LOAD_FAILURES_KEPT	8
#define LOAD_REPLY_MS		10000	/* default reply timeout */

enum load_request {
	LOAD_PING,		/* "PING" -> "PONG" */
	LOAD_PING_ECHO,		/* alternate PING and "ECHO cN-M" */
	LOAD_SLEEP,		/* "SLEEP <sleep_ms>" -> "OK" */
};

struct load_spec {
	int		 port;
	int		 clients;	/* connections at once, 1..LOAD_CLIENTS_MAX */
	long		 total;		/* requests in all; 0: no bound */
	int		 duration_ms;	/* no new request after; 0: no bound */
	int		 per_conn;	/* requests per connection; 0: no bound */
	enum load_request kind;
	int		 sleep_ms;	/* LOAD_SLEEP */
	int		 reply_ms;	/* per request; 0: LOAD_REPLY_MS */
};

struct load_result {
	long		 ok;		/* replies as expected */
	long		 failed;
	long		 byes;		/* "BYE shutting down" seen */
	long		 resent;	/* requests sent again after a BYE */
	long		 connects;
	int		 nfailures;	/* descriptions kept, first ones */
	char		 failures[LOAD_FAILURES_KEPT][256];
};

struct load;

/* Connect nothing yet; the first load_run opens the connections. */
struct load *load_new(const struct load_spec *spec);
/*
 * Drive the clients for up to ms milliseconds, or until every client is
 * done (no request left to start and none in flight). Returns true when
 * all are done.
 */
bool	 load_run(struct load *l, int ms);
bool	 load_done(const struct load *l);
/* Counters so far. */
const struct load_result *load_result(const struct load *l);
/* Describe the result in one line (counts and first failures); static. */
const char *load_describe(const struct load *l);
/* With FORKLINE_TEST_VERBOSE set: "what: load_describe()" on stderr. */
void	 load_log(const struct load *l, const char *what);
/* Close every connection and free. */
void	 load_free(struct load *l);

#endif
