/*
 * load: many clients in request loops against a forkline on 127.0.0.1,
 * the one load engine of the test suites. A number of client connections
 * are driven by poll() from one thread, each with one request in flight,
 * counting successful and failed requests.
 *
 * Two ways to drive it. In the test's own thread, load_run advances the
 * clients for a while and returns, so a test can signal the server or look
 * at its processes in between, and nothing moves meanwhile (the
 * supervision suites). Or load_start hands the clients to a thread of
 * their own until load_stop, while the test injects faults (the chaos
 * suite); in between, only load_identified, load_final and
 * load_wait_ended may be called.
 *
 * What counts as a failure: a reply other than the one expected, a
 * connection closed or reset while a request is in flight, a failed
 * connect, no reply within the reply timeout. "BYE shutting down" is not
 * a failure (docs/PROTOCOL.md: a stopping worker says it after the reply
 * to the request in hand): the client reconnects and sends again the
 * request it had in flight, if it had one.
 *
 * With identify, every connection first asks INFO, so that each failure
 * names the worker (pid) that served the client and since when; a failure
 * before INFO answered names pid 0.
 */
#ifndef FORKLINE_LOAD_H
#define FORKLINE_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LOAD_CLIENTS_MAX	512
#define LOAD_FAILURES_SHOWN	8	/* in load_describe */
#define LOAD_ERRORS_KEPT	8192	/* failures beyond are counted only */
#define LOAD_REPLY_MS		10000	/* default reply timeout */

enum load_request {
	LOAD_PING,		/* "PING" -> "PONG" */
	LOAD_PING_ECHO,		/* alternate PING and "ECHO cN-M" */
	LOAD_SLEEP,		/* "SLEEP <sleep_ms>" -> "OK" */
};

/* How an exchange (or, after load_final, a client) ended. */
enum load_outcome {
	LOAD_OK,		/* the expected reply; not ended */
	LOAD_BYE,		/* "BYE shutting down" */
	/* Failures from here on. */
	LOAD_CONNECT,		/* connect failed or timed out */
	LOAD_EOF,		/* closed with a request in flight */
	LOAD_RESET,		/* ECONNRESET, EPIPE: on send or receive */
	LOAD_TIMEOUT,		/* no reply within reply_ms */
	LOAD_TRUNCATED,		/* closed in the middle of a line */
	LOAD_WRONG,		/* a reply other than the one expected */
	LOAD_NKINDS
};
#define LOAD_FIRST_FAILURE	LOAD_CONNECT

struct load_spec {
	int		 port;
	int		 clients;	/* connections at once, 1..LOAD_CLIENTS_MAX */
	long		 total;		/* requests in all; 0: no bound */
	int		 duration_ms;	/* no new request after; 0: no bound */
	int		 per_conn;	/* requests per connection; 0: no bound */
	enum load_request kind;
	int		 sleep_ms;	/* LOAD_SLEEP */
	int		 reply_ms;	/* per request; 0: LOAD_REPLY_MS */
	int		 pause_ms;	/* a client's pause between requests */
	bool		 identify;	/* INFO first on every connection */
};

/* One failure, as kept for attribution (up to LOAD_ERRORS_KEPT). */
struct load_error {
	int64_t		 at_ms;		/* harness_now_ms() when seen */
	pid_t		 pid;		/* the worker serving the client; 0
					   when not known (yet) */
	int64_t		 since_ms;	/* when INFO named that worker */
	int		 client;
	uint16_t	 port;		/* the client's local port; 0: none */
	int64_t		 conn_ms;	/* when that connection was opened */
	enum load_outcome kind;
	char		 detail[96];	/* the request, and what went wrong */
	char		 text[256];	/* the whole description */
};

struct load_result {
	long		 ok;		/* replies as expected */
	long		 infos;		/* INFO replies, with identify */
	long		 failed;
	long		 by_kind[LOAD_NKINDS];
	long		 byes;		/* "BYE shutting down" seen */
	long		 resent;	/* requests sent again after a BYE */
	long		 connects;
	long		 min_generation;	/* as INFO said; -1: none */
	long		 max_generation;
};

struct load;

/*
 * Connect nothing yet; the first load_run (or load_start) opens the
 * connections. With neither total nor duration_ms the clients go on until
 * they are stopped.
 */
struct load *load_new(const struct load_spec *spec);
/*
 * Drive the clients for up to ms milliseconds, or until every client is
 * done (no request left to start and none in flight). Returns true when
 * all are done.
 */
bool	 load_run(struct load *l, int ms);
bool	 load_done(const struct load *l);

/* Drive the clients on a thread of their own until load_stop. */
void	 load_start(struct load *l);
/* Stop the thread and join it; a request abandoned is no failure. */
void	 load_stop(struct load *l);
/* How many clients have been told their worker's pid at least once. */
int	 load_identified(const struct load *l);
/*
 * From now on a client whose connection ends, whatever the way, notes how
 * and when (load_ending) and stops instead of reconnecting; outcomes after
 * this are endings, not failures. For a server that goes away.
 */
void	 load_final(struct load *l);
/* Wait until every client has ended after load_final; false if some had
 * not after timeout_ms (not scaled: a measurement). */
bool	 load_wait_ended(const struct load *l, int timeout_ms);
/* Client i's ending after load_final: how and when (LOAD_OK, 0: not). */
enum load_outcome load_ending(const struct load *l, int i, int64_t *at_ms);

/* Counters so far (after load_stop, with a thread). */
const struct load_result *load_result(const struct load *l);
/* The failures kept, the first ones (NULL past the last). */
int	 load_nerrors(const struct load *l);
const struct load_error *load_error(const struct load *l, int i);
/*
 * When client i last had the reply it expected (0: never), to tell that
 * a client served again after an error. After load_stop, with a thread.
 */
int64_t	 load_last_ok(const struct load *l, int i);
/* Describe the result in one line (counts and first failures); static. */
const char *load_describe(const struct load *l);
/* With FORKLINE_TEST_VERBOSE set: "what: load_describe()" on stderr. */
void	 load_log(const struct load *l, const char *what);
/* "eof", "reset" ... */
const char *load_outcome_name(enum load_outcome o);
/* "eof 12, reset 3" for the non-zero failure kinds, or "none"; static. */
const char *load_kinds_text(const struct load_result *r);
/* Stop (if started), close every connection and free. */
void	 load_free(struct load *l);

#endif
