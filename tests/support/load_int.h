/*
 * load_int: the inside of a load (load.h), shared by load.c, which moves
 * the clients, and load_report.c, which tells what they saw.
 *
 * One thread moves every client: the test's own in load_run, or the one
 * load_start makes. Only that thread touches the clients and the result;
 * while a thread runs, the test's thread sees only the atomics.
 */
#ifndef FORKLINE_LOAD_INT_H
#define FORKLINE_LOAD_INT_H

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#include "tests/support/base.h"
#include "tests/support/load.h"

#define LOAD_LINE_MAX	256
#define LOAD_QUOTES	4	/* rotating buffers of load_quote */

enum load_cstate {
	C_READY,		/* wants its next request (connected or not) */
	C_CONNECTING,
	C_SENDING,
	C_WAITING,		/* request sent, reply not complete */
	C_DONE,
};

struct load_client {
	int		 id;
	int		 fd;
	enum load_cstate state;
	bool		 has_req;	/* a request in flight or to resend */
	bool		 need_info;	/* identify: no INFO reply on this
					   connection yet */
	bool		 asking;	/* what is in flight is INFO */
	long		 seq;
	char		 req[80];
	size_t		 reqlen;
	const char	*out;		/* req or INFO, being sent */
	size_t		 outlen, sent;
	char		 want[64];
	int		 in_conn;	/* replies on this connection */
	char		 in[LOAD_LINE_MAX];
	size_t		 inlen;
	int64_t		 deadline;	/* for the connect or the reply */
	int64_t		 retry_at;	/* no next request before */
	uint16_t	 port;		/* local port of the connection; 0 */
	int64_t		 conn_ms;	/* when it was opened */
	int64_t		 last_ok_ms;	/* the last expected reply; 0 */
	pid_t		 pid;		/* serving worker, from INFO; 0 */
	int64_t		 since_ms;	/* when INFO named it */
	bool		 identified;	/* INFO answered at least once */
	enum load_outcome end;		/* after load_final */
	int64_t		 ended_ms;
};

struct load {
	struct load_spec	 spec;
	struct load_result	 res;
	struct load_client	*c;
	struct pollfd		*pfd;
	int			*who;
	struct load_error	*errors;	/* the first failures */
	int			 nerrors, errors_cap;
	long			 issued;
	int64_t			 started_ms;	/* at the first load_run */
	bool			 begun;
	/* With a thread (load_start). */
	pthread_t		 thread;
	bool			 threaded;
	char			 fatal[256];	/* what stopped the thread */
	atomic_bool		 stop;
	atomic_bool		 final;
	atomic_int		 identified;
	atomic_int		 nended;
	char			 quotes[LOAD_QUOTES][HARNESS_SCRATCH_LEN];
	int			 nextq;
};

/* harness_quote for the thread that moves the clients. */
const char *load_quote(struct load *l, const void *data, size_t n);
/* The test's own fault: fail it, or on a thread stop and keep it. */
void	 load_fatal(struct load *l, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Start what client c can start at now; enforce its deadlines. */
void	 load_advance(struct load *l, struct load_client *c, int64_t now);
/* What poll said about client c's fd. */
void	 load_on_event(struct load *l, struct load_client *c);

#endif
