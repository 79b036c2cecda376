/*
 * master: the supervising process. It owns the listeners, the lifeline and
 * the worker table, and runs a libevent loop for signals and timers. It
 * never touches a client connection.
 */
#ifndef FORKLINE_MASTER_H
#define FORKLINE_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/net.h"
#include "conf/config.h"

struct event_base;
struct event;

/*
 * A worker slot's life: EMPTY (no process; a start is due at start_at),
 * RUNNING, STOPPING (told to drain, or killed, and not yet reaped).
 */
enum slot_state {
	SLOT_EMPTY,
	SLOT_RUNNING,
	SLOT_STOPPING,
};

struct slot {
	int		 num;		/* 1..N, shown in titles and logs */
	enum slot_state	 state;
	pid_t		 pid;
	int64_t		 started_ms;
	int64_t		 start_at_ms;	/* EMPTY: when to start again */
	int64_t		 restart_delay_ms;
	unsigned	 restarts;
};

enum master_state {
	MASTER_RUNNING,
	MASTER_STOPPING,	/* graceful: draining within grace_period */
	MASTER_QUITTING,	/* immediate: workers killed */
};

struct listener {
	int		 fd;
	struct net_addr	 addr;
	bool		 owned;		/* we created it: unlink unix paths */
};

struct master {
	struct event_base	*base;
	struct conf		*conf;
	enum master_state	 state;
	unsigned		 generation;
	pid_t			 pid;

	struct listener		 listeners[CONF_LISTEN_MAX];
	int			 nlisteners;

	/* Master holds the write end; its EOF tells every worker to stop. */
	int			 lifeline[2];

	struct slot		*slots;
	int			 nslots;

	struct event		*signals[16];
	int			 nsignals;
	struct event		*restart_timer;
	struct event		*grace_timer;
};

/* listeners.c */
int	 listeners_open(struct master *m);
void	 listeners_close(struct master *m);

/* supervise.c */
int	 supervise_init(struct master *m);
void	 supervise_free(struct master *m);
void	 supervise_start_all(struct master *m);
void	 supervise_reap(struct master *m);
void	 supervise_signal_all(struct master *m, int sig);
int	 supervise_running(const struct master *m);
void	 supervise_restart_due(struct master *m);

/* master.c */
int	 master_run(struct conf *conf);
void	 master_worker_gone(struct master *m);

#endif
