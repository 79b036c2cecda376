/*
 * fault: the random side of fault injection, pure. Which fault a request
 * gets and how long its reply is delayed, drawn from a connection's own
 * generator, so that a seed, a slot and a connection's number give the
 * same choices every time (docs/FAULTS.md). What a fault does to the
 * connection is inject.c.
 */
#ifndef FORKLINE_FAULT_H
#define FORKLINE_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"

/* A connection's generator (xorshift64*, seeded through splitmix64). */
struct fault_rng {
	uint64_t	 s;
};

/* start: the slot's n-th worker, so a replacement does not replay the
 * draws of the worker it replaces (one that crashed at its 64th reply). */
void	 fault_rng_seed(struct fault_rng *rng, uint32_t seed, int slot,
	    unsigned start, uint64_t conn_no);
uint64_t fault_rng_next(struct fault_rng *rng);

/*
 * A connection's faults: a copy of the board's [faults] until the client
 * sets its own with FAULT, its generator, and what it has had so far.
 */
struct fault_state {
	/* First: every request reads them (inject_on, handover.c). */
	uint32_t	 board_seen;	/* the board's version copied */
	bool		 own;		/* FAULT set f: the board's no longer */
	bool		 on;		/* any fault in f */
	bool		 allow_client;	/* the board's, even when own */
	unsigned	 had;		/* 1 << enum health_fault, injected */
	struct conf_faults f;		/* in force on this connection */
	struct fault_rng rng;
};

/* What a request gets, drawn in this order; the first that hits wins. */
enum fault_pick {
	FAULT_PICK_NONE,
	FAULT_PICK_CRASH,
	FAULT_PICK_RESET,
	FAULT_PICK_STALL,
	FAULT_PICK_CLOSE,
	FAULT_PICK_ERROR,
};

/* Draw for one request. Only kinds that are on use the generator. */
enum fault_pick fault_pick(const struct conf_faults *f, struct fault_rng *rng);

/* The delay before one reply, in microseconds (0 when latency is off). */
int64_t	 fault_delay_us(const struct conf_faults *f, struct fault_rng *rng);

#endif
