/*
 * load: helpers for the supervision suites, on top of harness.h.
 *
 * (To start a server whose workers crash on start, and so never answer
 * PING, use server_launch from harness.h.)
 * - log_count: count the master's log lines holding a string.
 * - a bounded request loop: a number of client connections driven by
 *   poll() in this one process, each with one request in flight, counting
 *   successful and failed requests. It advances only inside load_run, so a
 *   test can signal the server or look at its processes in between.
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

/* Lines written by the master (tag "forkline[PID] master ") holding
 * needle, in the log from byte offset from on. */
int	 log_count(const struct server *s, const char *needle, size_t from);
/* Wait until log_count(s, needle, from) >= n; false after timeout_ms. */
bool	 log_wait_count(const struct server *s, const char *needle,
	    size_t from, int n, int timeout_ms);
/* The first master lines holding needle and their number, for failure
 * messages; a static buffer. */
const char *log_lines(const struct server *s, const char *needle);

/* Unless cond, fail with the printf-style message, quoting the master
 * lines of s that hold needle. */
#define assert_log(s, cond, needle, ...) do {				\
	if (!(cond)) {							\
		char	 m_[1024];					\
		snprintf(m_, sizeof(m_), __VA_ARGS__);			\
		ck_abort_msg("%s\nmaster log lines with \"%s\":%s\n"	\
		    "(log: %s)", m_, (needle), log_lines((s), (needle)),	\
		    (s)->log);						\
	}								\
} while (0)

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
