/*
 * master: the hub of the event loop. Signals arrive as libevent events,
 * so their callbacks run in the loop and may fork, reap and log freely;
 * the modules' own callbacks (worker pipes, the configuration check, the
 * upgrade child) post news, which hub_on_news fans out; a periodic tick runs
 * each module's deadlines and sizes the pool.
 *
 * The master's phase (core.h) is changed here only:
 *
 *   RUNNING --SIGHUP--> CHECKING --accepted--> RELOADING --ready--> RUNNING
 *                          |rejected                |late (undone)
 *                          +------> RUNNING <-------+
 *   RUNNING --SIGUSR2--> UPGRADING --failed--> RUNNING
 *                            |ready
 *                            v
 *                         HANDOVER    (any phase) --TERM/INT--> STOPPING
 *                                     (any phase) --QUIT, 2nd INT--> QUITTING
 *
 * Stopping follows libdill's grace period: close the lifeline (every worker
 * sees EOF, finishes the request in hand, says goodbye and exits), wait up
 * to grace_period, then SIGKILL whatever is left. The master exits once the
 * last worker is reaped: no zombies, no orphans.
 */
#include <event2/event.h>
#include <signal.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/board.h"
#include "common/log.h"
#include "common/proc.h"
#include "server/hub.h"
#include "server/listeners.h"
#include "server/logfiles.h"

#define TICK_DYNAMIC_MS		50
#define TICK_STATIC_MS		100

static void	 on_sigchld(struct master *);
static void	 on_sighup(struct master *);
static void	 on_sigusr1(struct master *);
static void	 on_sigusr2(struct master *);
static void	 on_worker_ready(struct master *);
static void	 on_reload_accepted(struct master *);
static void	 on_upgrade_ready(struct master *);
static void	 reload_begin(struct master *);
static void	 reload_end(struct master *, bool);
static void	 reload_rejected(struct master *, const char *);
static void	 reload_step(struct master *);
static void	 drain_all(struct master *, const char *, enum master_phase);
static void	 stop_now(struct master *, const char *);
static void	 master_fatal(struct master *, int, const char *);
static void	 check_gone(struct master *);

void
hub_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;

	(void)what;
	switch (sig) {
	case SIGCHLD:
		on_sigchld(m);
		break;
	case SIGTERM:
		drain_all(m, "SIGTERM", PHASE_STOPPING);
		break;
	case SIGINT:
		/* A second Ctrl-C means "now". */
		if (core_stopping(&m->core))
			stop_now(m, "second SIGINT");
		else
			drain_all(m, "SIGINT", PHASE_STOPPING);
		break;
	case SIGQUIT:
		stop_now(m, "SIGQUIT");
		break;
	case SIGHUP:
		on_sighup(m);
		break;
	case SIGTTIN:
	case SIGTTOU:
		if (!core_stopping(&m->core))
			supervise_resize(&m->sup, sig == SIGTTIN ? +1 : -1,
			    sig == SIGTTIN ? "SIGTTIN" : "SIGTTOU");
		break;
	case SIGUSR1:
		on_sigusr1(m);
		break;
	case SIGUSR2:
		on_sigusr2(m);
		break;
	default:
		log_warnx("SIG%s received: not supported in this version; "
		    "ignored", sigabbrev_np((int)sig));
		break;
	}
}

/* Each child is reaped by its own pid, by the module that started it. */
static void
on_sigchld(struct master *m)
{
	supervise_reap(&m->sup);
	parking_reap(&m->parking);
	reload_reap(&m->reload);
	upgrade_reap(&m->upgrade);
	check_gone(m);	/* the lobby, when it was the last to go */
}

static void
on_sighup(struct master *m)
{
	switch (m->core.phase) {
	case PHASE_RUNNING:
		reload_begin(m);
		break;
	case PHASE_CHECKING:
	case PHASE_RELOADING:
		reload_queue(&m->reload, "a reload is under way");
		break;
	case PHASE_UPGRADING:
		reload_queue(&m->reload, "an upgrade is under way");
		break;
	case PHASE_HANDOVER:
	case PHASE_STOPPING:
	case PHASE_QUITTING:
		break;
	}
}

/* SIGUSR1: reopen ours, then tell every worker to reopen theirs. */
static void
on_sigusr1(struct master *m)
{
	int failed = logfiles_reopen(&m->core);

	supervise_signal_all(&m->sup, SIGUSR1);
	parking_signal(&m->parking, SIGUSR1);
	if (failed == 0)
		log_info("SIGUSR1: log files reopened");
	else
		log_warnx("SIGUSR1: %d log file%s could not be reopened; the "
		    "old one%s still in use", failed, failed == 1 ? "" : "s",
		    failed == 1 ? " is" : "s are");
}

static void
on_sigusr2(struct master *m)
{
	char err[CONF_ERR_MAX];

	switch (m->core.phase) {
	case PHASE_RUNNING:
		if (upgrade_start(&m->upgrade, m->admin.sock.fd, err,
		    sizeof(err)) == 0)
			m->core.phase = PHASE_UPGRADING;
		else
			log_warnx("upgrade: %s", err);
		break;
	case PHASE_CHECKING:
	case PHASE_RELOADING:
		log_warnx("SIGUSR2: a reload is under way; try again after it");
		break;
	case PHASE_UPGRADING:
		log_warnx("SIGUSR2: an upgrade is already under way; ignored");
		break;
	case PHASE_HANDOVER:
	case PHASE_STOPPING:
	case PHASE_QUITTING:
		log_warnx("SIGUSR2: stopping; ignored");
		break;
	}
}

/* What the modules posted from their own callbacks, fanned out. */
void
hub_on_news(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	unsigned n;

	(void)fd;
	(void)what;
	n = news_take(&m->sup.news);
	if (n & SUPERVISE_NEWS_READY)
		on_worker_ready(m);
	if (n & SUPERVISE_NEWS_GONE)
		check_gone(m);
	if (n & SUPERVISE_NEWS_POOL)
		supervise_pool_step(&m->sup);
	n = news_take(&m->reload.news);
	if ((n & RELOAD_NEWS_ACCEPTED) && m->core.phase == PHASE_CHECKING)
		on_reload_accepted(m);
	if ((n & RELOAD_NEWS_REJECTED) && m->core.phase == PHASE_CHECKING)
		reload_rejected(m, m->reload.why);
	n = news_take(&m->upgrade.news);
	if (n & UPGRADE_NEWS_READY)
		on_upgrade_ready(m);
	if ((n & UPGRADE_NEWS_FAILED) && m->core.phase == PHASE_UPGRADING)
		m->core.phase = PHASE_RUNNING;
}

/*
 * A worker became ready. During a reload, once all of the new generation
 * serves, the older ones drain; otherwise the service manager may hear
 * READY=1 (and an old master, after an upgrade, that we serve).
 */
static void
on_worker_ready(struct master *m)
{
	const struct core *core = &m->core;
	int serving = supervise_serving(&m->sup, core->generation), n;

	if (core->phase == PHASE_RELOADING) {
		if (serving < core->conf.workers)
			return;
		n = supervise_stop_generation(&m->sup, core->generation, true);
		reload_commit(&m->reload, &m->core);
		log_info("reload: generation %u serving; draining %d workers "
		    "of older generations", core->generation, n);
		m->core.phase = PHASE_RUNNING;
	}
	if (sd_ready(&m->sd, serving))
		upgrade_announce(&m->upgrade);
}

static void
reload_begin(struct master *m)
{
	char err[CONF_ERR_MAX];

	if (reload_check_start(&m->reload, err, sizeof(err)) == -1) {
		log_warnx("reload: %s", err);
		return;
	}
	m->core.phase = PHASE_CHECKING;
	sd_reloading(&m->sd);
}

/* The reload is over without a new generation: say so, serve on. */
static void
reload_end(struct master *m, bool undo)
{
	if (undo) {
		supervise_stop_generation(&m->sup, m->core.generation, false);
		reload_undo(&m->reload, &m->core);
		supervise_set_limits(&m->sup, &m->core.conf);
		hub_arm_tick(m);
		hub_publish_faults(m);
	}
	m->core.phase = PHASE_RUNNING;
	sd_reload_failed(&m->sd);
}

/* The file, its user, listeners or log files would not do. */
static void
reload_rejected(struct master *m, const char *why)
{
	log_errorx("reload: %s; still serving generation %u with the "
	    "previous configuration", why, m->core.generation);
	reload_end(m, false);
}

/*
 * Only [faults] changed: the workers read it from the board at their next
 * request, so the generation serves on and no connection is closed.
 */
static void
reload_in_place(struct master *m)
{
	char list[256];

	m->core.conf.faults = m->reload.next.faults;
	hub_publish_faults(m);
	conf_faults_format(&m->core.conf.faults, false, list, sizeof(list));
	log_info("reload: only [faults] changed; generation %u serves on "
	    "with: %s", m->core.generation, list);
	m->core.phase = PHASE_RUNNING;
	sd_ready(&m->sd, supervise_serving(&m->sup, m->core.generation));
}

/* The file is good: take it and start generation N+1. */
static void
on_reload_accepted(struct master *m)
{
	char err[CONF_ERR_MAX];
	int i;

	if (!conf_same_faults(&m->core.conf, &m->reload.next) &&
	    conf_same_but_faults(&m->core.conf, &m->reload.next)) {
		reload_in_place(m);
		return;
	}
	if (reload_apply(&m->reload, &m->core, err, sizeof(err)) == -1) {
		reload_rejected(m, err);
		return;
	}
	supervise_set_limits(&m->sup, &m->core.conf);
	hub_arm_tick(m);
	hub_publish_faults(m);
	m->core.phase = PHASE_RELOADING;
	for (i = 0; i < m->core.conf.workers; i++)
		supervise_spawn(&m->sup);
}

/*
 * From the tick: a new generation that is not ready by worker_timeout
 * (its workers crash before their first report, say) is stopped and the
 * previous one goes on; a reload queued meanwhile starts now.
 */
static void
reload_step(struct master *m)
{
	if (m->core.phase == PHASE_RELOADING &&
	    reload_overdue(&m->reload, now_ms()))
		reload_end(m, true);
	else if (m->core.phase == PHASE_RUNNING &&
	    reload_take_queued(&m->reload))
		reload_begin(m);
}

/*
 * The new master serves. Drain our workers like a graceful stop, but
 * say nothing to the service manager (the service is not stopping) and
 * leave the sockets, their files and the pid file to the new master.
 */
static void
on_upgrade_ready(struct master *m)
{
	if (m->core.phase != PHASE_UPGRADING && !core_stopping(&m->core))
		return;
	listeners_disown(&m->core);
	admin_disown(&m->admin);
	if (m->core.phase != PHASE_UPGRADING)
		return;		/* stopping already: only the files */
	if (reload_take_queued(&m->reload))
		log_warnx("upgrade: a SIGHUP came during the upgrade; the new "
		    "master (pid %ld) read the configuration when it started: "
		    "send it SIGHUP if the file changed since",
		    (long)m->upgrade.child.pid);
	drain_all(m, "upgrade", PHASE_HANDOVER);
}

void
hub_publish_faults(struct master *m)
{
	struct conf_faults f = m->core.conf.faults;
	char list[256];

	if (f.seed == 0)
		f.seed = m->core.seed_chosen;
	board_publish(m->core.board, &f, sizeof(f));
	if (!conf_faults_any(&f) && !f.allow_client)
		return;
	conf_faults_format(&f, false, list, sizeof(list));
	log_info("faults: seed %d; %s%s", f.seed, list, f.allow_client ?
	    "; clients may set their own with FAULT (allow_client)" : "");
}

void
hub_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	bool fatal;

	(void)fd;
	(void)what;
	fatal = supervise_tick(&m->sup);
	parking_tick(&m->parking);
	upgrade_tick(&m->upgrade);
	reload_step(m);
	admin_tick(&m->admin);
	if (fatal)
		master_fatal(m, EX_UNAVAILABLE, "no worker has stayed up");
	supervise_pool_step(&m->sup);
}

void
hub_on_grace_timer(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	int n = supervise_alive(&m->sup);

	(void)fd;
	(void)what;
	log_warnx("grace period of %lld ms over: killing %d worker%s still "
	    "running", (long long)m->core.conf.grace_period_ms, n,
	    n == 1 ? "" : "s");
	supervise_shutdown(&m->sup, SIGKILL);
	parking_shutdown(&m->parking, SIGKILL);
}

/* Drop the lifeline's write end: EOF for every worker at once. */
void
hub_close_lifeline(struct master *m)
{
	if (m->core.lifeline[1] != -1) {
		close(m->core.lifeline[1]);
		m->core.lifeline[1] = -1;
	}
}

/* While stopping: leave the loop once no worker is left. */
static void
check_gone(struct master *m)
{
	if (core_stopping(&m->core) && supervise_alive(&m->sup) == 0 &&
	    !parking_alive(&m->parking))
		event_base_loopbreak(m->core.base);
}

/* A graceful stop (STOPPING), or the drain after a handover (HANDOVER). */
static void
drain_all(struct master *m, const char *why, enum master_phase phase)
{
	int64_t grace = m->core.conf.grace_period_ms;
	int n = supervise_alive(&m->sup);
	/* A new master that shares our channels takes our connections. */
	bool handover = phase == PHASE_HANDOVER &&
	    upgrade_shares_channels(&m->upgrade);
	struct timeval tv;

	if (core_stopping(&m->core))
		return;
	m->core.phase = phase;
	log_info("%s: stopping gracefully (grace period %lld ms, %d "
	    "worker%s)", why, (long long)grace, n, n == 1 ? "" : "s");
	/*
	 * The lifeline's EOF wakes workers waiting in poll; SIGTERM is what
	 * interrupts one blocked reading an idle client (see worker/conn.h).
	 * The EOF comes first: a worker woken by the signal looks at the
	 * lifeline to tell a stop (goodbye) from its own drain (hand over).
	 * After an upgrade to a master that shares our connection channels
	 * there is no EOF: every worker drains by handing over, and the
	 * lobby (SIGUSR2) passes what it holds to the new one.
	 */
	if (!handover)
		hub_close_lifeline(m);
	supervise_shutdown(&m->sup, SIGTERM);
	parking_shutdown(&m->parking, handover ? SIGUSR2 : SIGTERM);
	/* Stop accepting: once the workers close theirs too, new connections
	 * are refused rather than queued until the grace period ends. */
	listeners_close(&m->core);
	tv.tv_sec = grace / 1000;
	tv.tv_usec = (grace % 1000) * 1000;
	evtimer_add(m->grace_timer, &tv);
	if (phase == PHASE_STOPPING)
		sd_stopping(&m->sd, grace);
	check_gone(m);
}

static void
stop_now(struct master *m, const char *why)
{
	if (m->core.phase == PHASE_QUITTING)
		return;
	m->core.phase = PHASE_QUITTING;
	log_info("%s: stopping now", why);
	sd_stopping(&m->sd, 0);
	evtimer_del(m->grace_timer);
	hub_close_lifeline(m);
	supervise_shutdown(&m->sup, SIGKILL);
	parking_shutdown(&m->parking, SIGKILL);
	check_gone(m);
}

/*
 * No worker has been able to serve for fatal_after: give up with a status
 * of our own, so a service manager's restart policy takes over.
 */
static void
master_fatal(struct master *m, int status, const char *why)
{
	if (m->core.phase == PHASE_QUITTING)
		return;
	log_errorx("%s for %lld ms (fatal_after): exiting with status %d",
	    why, (long long)m->core.conf.fatal_after_ms, status);
	m->exit_status = status;
	stop_now(m, "fatal_after");
}

/* Dynamic pools are checked more often: they must react within 100 ms. */
void
hub_arm_tick(struct master *m)
{
	int64_t ms = m->core.conf.pool_mode == CONF_POOL_DYNAMIC ?
	    TICK_DYNAMIC_MS : TICK_STATIC_MS;
	struct timeval tv = { 0, (suseconds_t)(ms * 1000) };

	evtimer_add(m->tick_timer, &tv);
}
