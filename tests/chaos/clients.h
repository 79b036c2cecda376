/*
 * clients: in-process clients for the chaos suite, one thread each, in
 * request loops against a forkline on 127.0.0.1.
 *
 * A client connects, asks INFO to learn which worker (pid) serves it, then
 * alternates "PING" and "ECHO c<client>-<n>", checking every reply. When
 * something goes wrong it notes what (the kind, the pid of the worker that
 * served it, when), closes, reconnects and asks INFO again. "BYE shutting
 * down" is not an error (docs/PROTOCOL.md: a draining worker says it after
 * the reply in hand): the client counts it and reconnects.
 *
 * Every wait is bounded by reply_ms and sliced so that clients_stop ends
 * the threads within about 100 ms; a request abandoned by the stop is not
 * an error.
 */
#ifndef FORKLINE_CHAOS_CLIENTS_H
#define FORKLINE_CHAOS_CLIENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CLIENTS_MAX		256
#define CLIENTS_ERRORS_KEPT	8192	/* errors beyond are counted only */

/* How one exchange (or a connection) ended. */
enum outcome {
	OUT_OK,			/* the expected reply */
	OUT_BYE,		/* "BYE shutting down" */
	OUT_STOPPED,		/* clients_stop came first */
	/* Errors from here on. */
	OUT_CONNECT,		/* connect failed or timed out */
	OUT_EOF,		/* closed with a request in flight */
	OUT_RESET,		/* ECONNRESET, EPIPE: on send or receive */
	OUT_TIMEOUT,		/* no reply within reply_ms */
	OUT_TRUNCATED,		/* closed in the middle of a line */
	OUT_WRONG,		/* a reply other than the one expected */
	OUT_NKINDS
};
#define OUT_FIRST_ERROR	OUT_CONNECT

struct chaos_error {
	int64_t		 at_ms;		/* harness_now_ms() when seen */
	pid_t		 pid;		/* the worker serving the client; 0
					   when not known yet (during INFO) */
	int64_t		 since_ms;	/* when INFO named that worker */
	int		 client;
	enum outcome	 kind;
	char		 detail[96];	/* the request, and a wrong reply */
};

struct clients_spec {
	int	 port;
	int	 n;		/* 1..CLIENTS_MAX */
	int	 reply_ms;	/* bound on one connect, send or reply */
	int	 pause_ms;	/* between two requests; 0: none */
};

struct clients_totals {
	long	 requests;	/* replies as expected, INFO included */
	long	 connects;
	long	 byes;
	long	 errors;
	long	 by_kind[OUT_NKINDS];
	long	 min_generation;	/* as INFO said, over all connections */
	long	 max_generation;
};

struct clients;

/* Start the threads; they connect at once. */
struct clients	*clients_start(const struct clients_spec *spec);
/* How many clients have been told their worker's pid at least once. */
int	 clients_identified(struct clients *c);
/*
 * From now on a client whose connection ends, whatever the way, notes how
 * and when (clients_ending) and stops instead of reconnecting; outcomes
 * after this are endings, not errors. For a server that goes away.
 */
void	 clients_final(struct clients *c);
/* Wait until every client has ended after clients_final; false if some
 * had not after timeout_ms. */
bool	 clients_wait_ended(struct clients *c, int timeout_ms);
/* Client i's ending after clients_final: how and when (0: not yet). */
enum outcome clients_ending(const struct clients *c, int i, int64_t *at_ms);
/* Tell every thread to stop and join them. */
void	 clients_stop(struct clients *c);
/* After clients_stop. */
void	 clients_totals(const struct clients *c, struct clients_totals *t);
int	 clients_nerrors(const struct clients *c);	/* kept ones */
const struct chaos_error *clients_error(const struct clients *c, int i);
void	 clients_free(struct clients *c);

/* "eof", "reset" ... */
const char *outcome_name(enum outcome o);
/* "eof 12, reset 3" for the non-zero error kinds, or "none"; static. */
const char *clients_kinds_text(const struct clients_totals *t);

#endif
