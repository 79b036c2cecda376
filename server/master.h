/*
 * master: the supervising process. It owns the listeners, the lifeline and
 * the worker table, and runs a libevent loop for signals, timers and the
 * workers' health pipes. It never touches a client connection.
 */
#ifndef FORKLINE_MASTER_H
#define FORKLINE_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/creds.h"
#include "common/future.h"
#include "common/health.h"
#include "common/net.h"
#include "conf/config.h"
#include "server/backoff.h"
#include "server/pool.h"

struct event_base;
struct event;
struct evhttp;

/* Room for a full pool of the largest size twice over, during a reload. */
#define SLOTS_MAX	(2 * CONF_WORKERS_MAX + 64)

/*
 * A worker slot's life, as the master sees it (see slot_transition):
 *
 *   EMPTY --spawn--> STARTING --ready--> IDLE <--> BUSY
 *                       |                 |         |
 *                       +-----stop--------+--stop---+--> DRAINING
 *   any state but EMPTY --exit--> EMPTY
 *
 * "ready" is the worker's first idle or busy report: only then does it
 * count as serving. "stop" is the master telling it to drain, or the
 * worker reporting that it drains (lifeline EOF).
 */
enum slot_state {
	SLOT_EMPTY,
	SLOT_STARTING,
	SLOT_IDLE,
	SLOT_BUSY,
	SLOT_DRAINING,
	SLOT_NSTATES,
};

enum slot_event {
	SLOT_EV_SPAWN,
	SLOT_EV_REPORT_IDLE,
	SLOT_EV_REPORT_BUSY,
	SLOT_EV_STOP,
	SLOT_EV_EXIT,
	SLOT_NEVENTS,
};

/* Why the master stopped a worker; how its exit is told in the log. */
enum stop_reason {
	STOP_NONE,		/* it ended on its own: a crash */
	STOP_HUNG,		/* no report for worker_timeout */
	STOP_RECYCLED,		/* max_requests / max_rss, replaced */
	STOP_RETIRED,		/* the pool shrank */
	STOP_RELOAD,		/* an older generation */
	STOP_SHUTDOWN,		/* the master is stopping */
	STOP_NREASONS,
};

struct master;

/* Counters over the master's life: live workers' reports + the dead's. */
struct totals {
	uint64_t	 connections;
	uint64_t	 requests;
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	uint64_t	 latency[HEALTH_LATENCY_BUCKETS];	/* per bucket */
	uint64_t	 latency_sum_us;
};

struct slot {
	struct master		*master;
	int			 num;		/* 1..; titles and logs */
	enum slot_state		 state;
	unsigned		 generation;
	pid_t			 pid;
	struct future		 fut;
	struct event		*pipe_ev;
	struct health_report	 last;
	int64_t			 started_ms;
	int64_t			 ready_ms;	/* 0: not ready yet */
	int64_t			 last_report_ms;
	enum stop_reason	 stop;
	int64_t			 hung_kill_at_ms;

	/* Restart after a crash: the slot stays reserved until then. */
	struct backoff		 backoff;
	bool			 restart_pending;
	int64_t			 restart_at_ms;

	/* Recycling: the slot of this worker's replacement, or -1. */
	bool			 wants_recycle;
	int			 replacement;
};

enum master_state {
	MASTER_RUNNING,
	MASTER_STOPPING,	/* graceful: draining within grace_period */
	MASTER_QUITTING,	/* immediate: workers killed */
};

struct listener {
	int		 fd;
	struct net_addr	 addr;		/* bound address (port 0 resolved) */
	char		 spec[NET_ADDR_TEXT_MAX]; /* as configured, canonical */
	bool		 owned;		/* we created it: unlink unix paths */
};

struct master {
	struct event_base	*base;
	struct conf		 conf;
	const struct conf_source *source;
	enum master_state	 state;
	int			 exit_status;
	unsigned		 generation;
	pid_t			 pid;

	struct listener		 listeners[CONF_LISTEN_MAX];
	int			 nlisteners;
	bool			 inherited;	/* from LISTEN_FDS */

	/* Master holds the write end; its EOF tells every worker to stop. */
	int			 lifeline[2];

	struct creds		 creds;		/* who workers run as */
	int			 pidfile_fd;	/* -1: no pid file */
	char			 pidfile_path[CONF_PATH_MAX]; /* as at start */
	int			 access_fd;	/* -1: no access log */

	struct slot		*slots;		/* SLOTS_MAX of them */
	int			 slots_hi;	/* all from here on are unused */
	int			 slots_prepared; /* see supervise_init */
	struct pool_limits	 limits;
	int64_t			 surplus_since_ms;
	double			 spawn_tokens;	/* rate limit bucket */
	int64_t			 tokens_at_ms;
	struct crashloop	 crashloop;
	int64_t			 last_serving_ms;
	uint32_t		 rnd;

	/* Reload: the configuration check child, and the switch-over. */
	struct future		 check;
	struct event		*check_ev;
	bool			 checking;
	bool			 reloading;	/* new generation not ready */
	bool			 reload_queued;	/* SIGHUP came during one */
	int64_t			 reload_deadline_ms;
	struct conf		 prev_conf;	/* to undo a failed reload */
	struct creds		 prev_creds;
	struct listener		 prev_listeners[CONF_LISTEN_MAX];
	int			 prev_nlisteners;

	/* Binary upgrade (upgrade.c). */
	const char		*exe;		/* this binary, as started */
	char *const		*argv;		/* its arguments, as started */
	const char		*cwd;		/* where it was started */
	struct future		 upgrade;	/* the new master, while ours */
	struct event		*upgrade_ev;
	struct event		*upgrade_timer;
	bool			 upgrading;
	bool			 handover;	/* leaving the sockets to it */
	int			 upgrade_fd;	/* new master: to the old */

	/* Service manager (sd.c). */
	const char		*notify;	/* NOTIFY_SOCKET, or NULL */
	bool			 live;		/* --live: a status line */
	bool			 ready_sent;
	pid_t			 upgrade_from;	/* the old master, if any */
	struct event		*status_timer;
	struct event		*watchdog_timer;
	uint64_t		 status_requests;
	int64_t			 status_at_ms;
	struct totals		 retired;	/* of exited workers */
	int64_t			 started_ms;
	unsigned		 restarts;
	uint64_t		 exits[STOP_NREASONS];	/* by reason */

	/* Admin HTTP endpoint (admin.c). */
	struct evhttp		*http;
	struct listener		 admin;		/* fd -1: off */

	struct event		*signals[16];
	int			 nsignals;
	struct event		*tick_timer;
	struct event		*grace_timer;
};

/* listeners.c */
int	 listeners_open(struct master *m);
int	 listeners_update(struct master *m, const struct conf *next,
	    struct listener *out, int *nout);
void	 listeners_close(struct master *m);
void	 listeners_close_set(struct listener *set, int n);
int	 listeners_queued(const struct master *m);

/* supervise.c */
int	 supervise_init(struct master *m);
void	 supervise_free(struct master *m);
enum slot_state slot_transition(enum slot_state state, enum slot_event ev);
int	 supervise_spawn(struct master *m);
void	 supervise_reap(struct master *m);
void	 supervise_stop(struct master *m, struct slot *s,
	    enum stop_reason why);
void	 supervise_kill_all(struct master *m, int sig);
void	 supervise_tick(struct master *m);
int	 supervise_count(const struct master *m, enum slot_state state,
	    unsigned generation);
int	 supervise_alive(const struct master *m);
const char *stop_reason_name(enum stop_reason why);
void	 supervise_totals(const struct master *m, struct totals *t);
void	 supervise_pool_step(struct master *m);

/* reload.c */
void	 reload_start(struct master *m);
void	 reload_reap(struct master *m);
void	 reload_worker_ready(struct master *m);
void	 reload_tick(struct master *m);

/* logfiles.c */
int	 logfiles_open(struct master *m, const struct conf *conf,
	    const struct creds *creds);
void	 logfiles_reopen(struct master *m);
void	 logfiles_close(struct master *m);

/* upgrade.c */
void	 upgrade_start(struct master *m);
void	 upgrade_reap(struct master *m);
void	 upgrade_tick(struct master *m);
void	 upgrade_free(struct master *m);
void	 upgrade_detect(struct master *m);
void	 upgrade_announce(struct master *m);

/* admin.c */
int	 admin_open(struct master *m);
void	 admin_close(struct master *m);
void	 admin_tick(struct master *m);

/* sd.c */
int	 sd_init(struct master *m);
void	 sd_free(struct master *m);
void	 sd_status(struct master *m);
void	 sd_worker_ready(struct master *m);
void	 sd_reloading(struct master *m);
void	 sd_reload_failed(struct master *m);
void	 sd_stopping(struct master *m, int64_t drain_ms);

/* master.c */
int	 master_run(const struct conf *conf, const struct conf_source *src,
	    const char *exe, char *const *argv, const char *cwd, bool live);
void	 master_handover(struct master *m);
void	 master_arm_tick(struct master *m);
void	 master_worker_gone(struct master *m);
void	 master_fatal(struct master *m, int status, const char *why);

#endif
