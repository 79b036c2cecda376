/*
 * parking: the lobby process (lobby/lobby.h), as the master keeps it.
 * Started before the first worker, followed through its reports (a
 * future of struct lobby_report records), restarted with backoff when it
 * dies and killed when it is silent for worker_timeout, like a worker. A
 * lobby that dies loses only its parked connections (the kernel closes
 * them: their clients see a clean end); connections in the channels wait
 * there for the next lobby.
 *
 * The channels themselves (core.h: intake, dispatch) are made by the hub
 * before any fork and stay open in the master, which never reads them:
 * the sockets in them must outlive any one lobby or worker.
 */
#ifndef FORKLINE_PARKING_H
#define FORKLINE_PARKING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/future.h"
#include "common/health.h"
#include "server/backoff.h"
#include "server/core.h"

struct event;

/* What the lobby's report says, and what past lobbies did. */
struct parking_view {
	pid_t		 pid;		/* 0: not running */
	bool		 ready;
	uint64_t	 parked;
	uint64_t	 parked_max;
	uint64_t	 received;	/* over the master's life */
	uint64_t	 woken;
	uint64_t	 expired;
	uint64_t	 dropped;
	unsigned	 restarts;
};

struct parking {
	const struct core	*core;
	struct future		 fut;
	struct event		*pipe_ev;
	pid_t			 pid;		/* 0: no process */
	struct lobby_report	 last;
	int64_t			 started_ms;
	int64_t			 last_report_ms;
	int64_t			 restart_at_ms;	/* 0: none due */
	bool			 killed;	/* SIGKILLed as silent */
	bool			 stopping;	/* the master stops: no restart */
	struct backoff		 backoff;
	unsigned		 restarts;
	uint32_t		 rnd;
	struct lobby_report	 retired;	/* counters of lobbies gone */
};

void	 parking_init(struct parking *p, const struct core *core);

/* Fork the lobby. -1 (logged) leaves a restart due after its backoff. */
int	 parking_start(struct parking *p);

/* On SIGCHLD: reap the lobby by its pid; plan its restart. */
void	 parking_reap(struct parking *p);

/* From the tick: a silent lobby is killed, a due restart happens. */
void	 parking_tick(struct parking *p);

/* The master stops: the lifeline's EOF tells the lobby (sig, if not 0,
 * too); nothing is restarted from now on. */
void	 parking_shutdown(struct parking *p, int sig);

/* SIGUSR1 and the like. */
void	 parking_signal(const struct parking *p, int sig);
bool	 parking_alive(const struct parking *p);

/* For the admin pages and STATUS=: inline, a read of the module's state
 * rather than a call into it. */
static inline void
parking_view(const struct parking *p, struct parking_view *v)
{
	v->pid = p->pid;
	v->ready = p->last.ready != 0;
	v->parked = p->last.parked;
	v->parked_max = p->last.parked_max;
	v->received = p->retired.received + p->last.received;
	v->woken = p->retired.woken + p->last.woken;
	v->expired = p->retired.expired + p->last.expired;
	v->dropped = p->retired.dropped + p->last.dropped;
	v->restarts = p->restarts;
}

/* After the loop: the lobby has been reaped. */
void	 parking_free(struct parking *p);

#endif
