/*
 * inject: what a fault does to a connection (docs/FAULTS.md). The
 * protocols ask before each reply whether faults are on and which one
 * this request gets; this module then delays, trickles, cuts, resets,
 * stalls or crashes, and counts what it did into the worker's stats.
 * It uses the connection (conn.c) and never calls back into a protocol.
 */
#ifndef FORKLINE_INJECT_H
#define FORKLINE_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/board.h"
#include "worker/conn.h"
#include "worker/worker.h"

/* The answer to one request, after the draw. */
enum inject_verdict {
	INJECT_REPLY,		/* reply as usual (perhaps delayed) */
	INJECT_RESET,		/* inject_reset, then close */
	INJECT_STALL,		/* inject_stall, then close */
	INJECT_CLOSE,		/* send half of the reply, then close */
	INJECT_ERROR,		/* reply INJECT_ERROR_TEXT instead */
};

#define INJECT_ERROR_TEXT	"ERR injected fault"
#define INJECT_REPLY_MAX	512	/* the longest reply to FAULT */

/* A new connection, counted in stats already: the board's faults, and
 * the generator seeded from the seed, the slot and that count. */
void	 inject_begin(struct conn *c);

/* inject_on's slow side: copy [faults] from the board. */
void	 inject_refresh(struct conn *c);

/*
 * Before a request: take a new [faults] from the board if there is one;
 * true when any fault is on for this connection. Inline: with faults off
 * this is all a request pays, one load and two compares.
 */
static inline bool
inject_on(struct conn *c)
{
	if (board_version(c->env->board) != c->faults.board_seen)
		inject_refresh(c);
	return c->faults.on;
}

/* Draw this request's fault and count it. A crash does not return. */
enum inject_verdict inject_pick(struct conn *c);

/*
 * Before a reply that goes out: flush what came before, wait the drawn
 * delay, and trickle what follows at [faults] bandwidth. -1 when the
 * client cannot be written to.
 */
int	 inject_delay(struct conn *c);

/* INJECT_CLOSE: only the first half of the reply's reply_len bytes go. */
void	 inject_cut(struct conn *c, size_t reply_len);

/* INJECT_RESET: drop what is queued; the close sends a TCP reset. */
void	 inject_reset(struct conn *c);

/*
 * INJECT_STALL: send nothing more; read and drop what comes until
 * deadline_ms, the client's close or a stop. buf is scratch space.
 */
void	 inject_stall(struct conn *c, char *buf, size_t len,
	    int64_t deadline_ms);

/*
 * The FAULT command: arg[0 .. len) is what follows "FAULT ". Writes the
 * reply line (without its ending) into reply.
 */
void	 inject_command(struct conn *c, const char *arg, size_t len,
	    char *reply, size_t replylen);

/* "reset,latency": the kinds this connection had, for the access log;
 * "" when none. */
void	 inject_describe(const struct conn *c, char *buf, size_t len);

#endif
