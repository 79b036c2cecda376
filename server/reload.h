/*
 * reload: SIGHUP. The new configuration is first built in a one-shot child
 * (a future): a parser fault there cannot take the master down, and a bad
 * file is reported with the child's message while nothing changes. The
 * module owns that child, the previous settings (to undo a reload whose
 * generation never gets ready) and whether another reload is queued.
 *
 * The child sends the configuration back, so the master never opens the
 * file itself; it has worker_timeout to do so, or it is killed and the
 * reload refused. The hub drives the module through the phases CHECKING
 * and RELOADING:
 *
 *   SIGHUP ─▶ reload_check_start ─▶ news ACCEPTED ─▶ reload_apply (core
 *   changes: conf, creds, listeners, generation + 1) ─▶ workers start ─▶
 *   all ready ─▶ reload_commit (dropped listeners closed)
 *                             or past worker_timeout ─▶ reload_undo
 */
#ifndef FORKLINE_RELOAD_H
#define FORKLINE_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/future.h"
#include "server/core.h"
#include "server/news.h"

struct event;

#define RELOAD_NEWS_ACCEPTED	0x1u	/* the check child liked the file */
#define RELOAD_NEWS_REJECTED	0x2u	/* it did not: see why */

struct reload {
	const struct core	*core;
	struct news		 news;
	struct future		 check;
	struct event		*check_ev;
	struct event		*check_timer;	/* its deadline */
	bool			 check_late;	/* killed at the deadline */
	struct conf		 next;		/* what it sent back */
	bool			 queued;	/* SIGHUP came during one */
	int64_t			 deadline_ms;	/* for the new generation */
	char			 why[CONF_ERR_MAX]; /* of the last rejection */

	/* What reload_undo restores. */
	struct conf		 prev_conf;
	struct creds		 prev_creds;
	struct listener		 prev_listeners[CONF_LISTEN_MAX];
	int			 prev_nlisteners;
};

void	 reload_init(struct reload *rl, const struct core *core,
	    struct event *wake);
void	 reload_free(struct reload *rl);

/* Start the check child. 0, or -1 with the reason in err: nothing
 * changed. */
int	 reload_check_start(struct reload *rl, char *err, size_t errlen);

/* While the check child runs: SIGCHLD. */
void	 reload_reap(struct reload *rl);

/* Stopping: kill a check child that still runs. */
void	 reload_kill_check(struct reload *rl);

/*
 * A SIGHUP while a reload or an upgrade is under way: the file may have
 * been edited again after it was read, so one more reload runs when this
 * one ends, however many SIGHUPs came meanwhile. reload_take_queued says
 * whether one is owed, and forgets it.
 */
void	 reload_queue(struct reload *rl, const char *why);
bool	 reload_take_queued(struct reload *rl);

/*
 * The checked configuration (as the child sent it): resolve its user,
 * open its listeners and log files, and put it in the core with
 * generation + 1.
 * The previous settings are kept for reload_undo. -1 with the reason in
 * err: the core is unchanged.
 */
int	 reload_apply(struct reload *rl, struct core *core, char *err,
	    size_t errlen);

/* True once the new generation is late (worker_timeout after apply). */
bool	 reload_overdue(const struct reload *rl, int64_t now);

/* The new generation serves: close the listeners it dropped. */
void	 reload_commit(struct reload *rl, struct core *core);

/* It did not get ready: back to the previous settings and generation. */
void	 reload_undo(struct reload *rl, struct core *core);

#endif
