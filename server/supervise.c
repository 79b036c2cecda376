/*
 * supervise: see supervise.h. The lifecycle table, the actions that move a
 * slot from state to state, and the events that drive them: reports,
 * exits, the tick.
 *
 * Each worker is a future (common/future.h) whose records are health
 * reports; the read end of its pipe is a libevent event of this module's
 * own. Every change of a slot's state goes through slot_fire and the
 * actions table below.
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/beats.h"
#include "common/idle.h"
#include "common/log.h"
#include "common/proc.h"
#include "server/supervise_slots.h"
#include "worker/worker.h"

typedef void slot_action(struct supervisor *, struct slot *,
		    enum stop_reason);

static slot_action act_start, act_ready, act_serve, act_drain, act_recycle,
		    act_stop, act_shutdown, act_hang, act_kill, act_drop, act_exit;

static int	 spawn_into(struct supervisor *, struct slot *);
static void	 worker_child(int, void *);
static void	 on_pipe(evutil_socket_t, short, void *);
static void	 on_report(struct future *, const void *, void *);
static void	 take_beat(struct slot *);
static void	 take_report(struct slot *, const struct health_report *);
static void	 on_exit_status(struct future *, const struct future_result *,
		    void *);
static bool	 injected_crash(const struct slot *);
static void	 log_exit(struct supervisor *, struct slot *,
		    const struct future_result *, bool);
static void	 schedule_restart(struct supervisor *, struct slot *, bool);
static void	 settle(struct supervisor *);
static void	 tick_slot(struct supervisor *, struct slot *, int64_t);

/*
 * The lifecycle: what each event does in each state. NULL: nothing (a late
 * idle report from a draining or hung worker, say, does not bring it back).
 */
static slot_action *const actions[SLOT_NSTATES][SLOT_NEVENTS] = {
	[SLOT_EMPTY] = {
		[SLOT_EV_SPAWN] = act_start,
	},
	[SLOT_STARTING] = {
		[SLOT_EV_IDLE] = act_ready,	[SLOT_EV_BUSY] = act_ready,
		[SLOT_EV_DRAINING] = act_drain,	[SLOT_EV_RECYCLE] = act_recycle,
		[SLOT_EV_STOP] = act_stop,	[SLOT_EV_SHUTDOWN] = act_shutdown,
		[SLOT_EV_HANG] = act_hang,	[SLOT_EV_EXIT] = act_exit,
	},
	[SLOT_IDLE] = {
		[SLOT_EV_BUSY] = act_serve,
		[SLOT_EV_DRAINING] = act_drain,	[SLOT_EV_RECYCLE] = act_recycle,
		[SLOT_EV_STOP] = act_stop,	[SLOT_EV_SHUTDOWN] = act_shutdown,
		[SLOT_EV_HANG] = act_hang,	[SLOT_EV_EXIT] = act_exit,
	},
	[SLOT_BUSY] = {
		[SLOT_EV_IDLE] = act_serve,
		[SLOT_EV_DRAINING] = act_drain,	[SLOT_EV_RECYCLE] = act_recycle,
		[SLOT_EV_STOP] = act_stop,	[SLOT_EV_SHUTDOWN] = act_shutdown,
		[SLOT_EV_HANG] = act_hang,	[SLOT_EV_EXIT] = act_exit,
	},
	[SLOT_DRAINING] = {
		[SLOT_EV_SHUTDOWN] = act_shutdown,
		[SLOT_EV_EXIT] = act_exit,
	},
	[SLOT_KILLING] = {
		[SLOT_EV_TIMEOUT] = act_kill,	[SLOT_EV_EXIT] = act_exit,
	},
	[SLOT_BACKOFF] = {
		[SLOT_EV_STOP] = act_drop,	[SLOT_EV_SHUTDOWN] = act_drop,
		[SLOT_EV_TIMEOUT] = act_start,
	},
};

void
slot_fire(struct supervisor *sup, struct slot *s, enum slot_event ev,
    enum stop_reason why)
{
	slot_action *act = actions[s->state][ev];

	if (act != NULL)
		act(sup, s, why);
}

/* In the child (future_spawn has closed all but the kept fds). */
static void
worker_child(int report_fd, void *arg)
{
	const struct slot *s = arg;
	const struct core *core = s->sup->core;
	int fds[CONF_LISTEN_MAX];
	struct worker_env env;
	int i;

	for (i = 0; i < core->nlisteners; i++)
		fds[i] = core->listeners[i].fd;
	env = (struct worker_env){
		.conf = &core->conf,
		.listeners = fds,
		.nlisteners = core->nlisteners,
		.lifeline = core->lifeline[0],
		.report_fd = report_fd,
		.intake = core->intake[1],
		.dispatch = core->dispatch[1],
		.pass = core->dispatch[0],
		.access_fd = core->access_fd,
		.creds = &core->creds,
		.board = core->board,
		.idle = core->idle,
		.beats = core->beats,
		.slot = s->num,
		.start = s->starts,
		.generation = s->generation,
		.master = core->pid,
	};
	worker_main(&env);
}

/* Fork the slot's worker: STARTING, or -1 with nothing changed. */
static int
spawn_into(struct supervisor *sup, struct slot *s)
{
	const struct core *core = sup->core;
	int keep[CONF_LISTEN_MAX + 6];
	struct future_spec spec = {
		.type = FUTURE_RECORDS,
		.record_size = sizeof(struct health_report),
		.keep_fds = keep,
		.on_record = on_report,
		.on_done = on_exit_status,
		.arg = s,
	};
	int i;

	for (i = 0; i < core->nlisteners; i++)
		keep[i] = core->listeners[i].fd;
	keep[i++] = core->lifeline[0];
	keep[i++] = core->intake[1];
	keep[i++] = core->dispatch[0];
	keep[i++] = core->dispatch[1];
	if (core->access_fd != -1)
		keep[i++] = core->access_fd;
	if (log_fd() != -1)
		keep[i++] = log_fd();
	spec.nkeep = i;
	s->generation = core->generation;
	s->starts++;
	slots_claim(sup, s);
	beats_clear(core->beats, (size_t)s->num);
	s->beat_seen = 0;
	if (future_spawn(&s->fut, &spec, worker_child, s) == -1) {
		log_warn("cannot start worker %d", s->num);
		return -1;
	}
	s->pipe_ev = event_new(core->base, s->fut.fd, EV_READ | EV_PERSIST,
	    on_pipe, s);
	if (s->pipe_ev == NULL || event_add(s->pipe_ev, NULL) == -1)
		fatalx(EX_OSERR, "cannot watch worker %d's pipe", s->num);
	s->pid = s->fut.pid;
	s->started_ms = s->last_report_ms = now_ms();
	s->ready_ms = 0;
	s->deadline_ms = 0;
	s->stop = STOP_NONE;
	s->wants_recycle = false;
	s->replacement = NO_SLOT;
	memset(&s->last, 0, sizeof(s->last));
	s->state = SLOT_STARTING;
	log_debug("started worker %d (pid %ld, generation %u)", s->num,
	    (long)s->pid, s->generation);
	return 0;
}

/*
 * EMPTY or BACKOFF: start the worker. A fork failure (EAGAIN, ENOMEM) is
 * treated like a crash of that slot: it is retried after its backoff.
 */
static void
act_start(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	(void)why;
	if (spawn_into(sup, s) == -1)
		schedule_restart(sup, s, true);
}

/* Start one worker in the lowest empty slot. */
int
supervise_spawn(struct supervisor *sup)
{
	struct slot *s = slots_find_empty(sup);

	if (s == NULL) {
		log_warnx("no free worker slot (%d in use)", SLOTS_MAX);
		return -1;
	}
	slot_fire(sup, s, SLOT_EV_SPAWN, STOP_NONE);
	return s->state == SLOT_STARTING ? 0 : -1;
}

static void
on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;

	(void)fd;
	(void)what;
	switch (future_buffer(&s->fut)) {
	case FUTURE_AGAIN:
		return;
	case FUTURE_ERROR:
		log_warn("worker %d's pipe", s->num);
		future_abandon_output(&s->fut);
		break;
	case FUTURE_EOF:
		break;
	}
	/* EOF: the worker is gone or going; its exit status completes it. */
	if (s->pipe_ev != NULL) {
		event_free(s->pipe_ev);
		s->pipe_ev = NULL;
	}
	if (s->fut.done)
		settle(s->sup);
}

static enum slot_event
report_event(const struct health_report *r)
{
	switch (r->state) {
	case HEALTH_BUSY:
		return SLOT_EV_BUSY;
	case HEALTH_DRAINING:
		return SLOT_EV_DRAINING;
	default:
		return SLOT_EV_IDLE;
	}
}

/* A report down the pipe: an event, or any report of a worker run without
 * the beats (common/beats.h). */
static void
on_report(struct future *f, const void *record, void *arg)
{
	struct slot *s = arg;
	const struct health_report *r = record;

	(void)f;
	if (r->magic != HEALTH_MAGIC || r->pid != (uint32_t)s->pid) {
		log_warnx("worker %d: malformed health report ignored",
		    s->num);
		return;
	}
	take_report(s, r);
}

/*
 * The worker's heartbeat in its slot among the beats (common/beats.h), if
 * it is this worker's and newer than the last report taken. A stale one
 * is no error: the slot of a worker that has not beaten yet, or a beat
 * the pipe has overtaken.
 */
static void
take_beat(struct slot *s)
{
	const struct beat_board *b = s->sup->core->beats;
	uint32_t version = beats_version(b, (size_t)s->num);
	struct health_report r;

	if (version == s->beat_seen)
		return;		/* nothing published since the last look */
	s->beat_seen = version;
	if (beats_read(b, (size_t)s->num, &r) == 1 &&
	    r.magic == HEALTH_MAGIC && r.pid == (uint32_t)s->pid)
		take_report(s, &r);
}

/*
 * A report from the pipe or the beats. Each holds the whole state as the
 * worker saw it, so one older than the last taken (a beat read on the
 * tick before the event the pipe still held) says nothing new.
 */
static void
take_report(struct slot *s, const struct health_report *r)
{
	struct supervisor *sup = s->sup;

	if (s->last.pid == r->pid && r->seq <= s->last.seq)
		return;
	s->last = *r;
	s->last_report_ms = now_ms();
	/* A starting worker says nothing real until its first report. */
	if (r->state != HEALTH_STARTING)
		slot_fire(sup, s, report_event(r), STOP_NONE);
	if (r->flags & HEALTH_WANTS_RECYCLE)
		slot_fire(sup, s, SLOT_EV_RECYCLE, STOP_NONE);
	/*
	 * A dynamic pool grows the moment idle workers run low, not at the
	 * next tick. A static pool's size does not depend on busy reports.
	 */
	if (r->state == HEALTH_BUSY && slots_running(sup) &&
	    sup->limits.mode == CONF_POOL_DYNAMIC)
		news_post(&sup->news, SUPERVISE_NEWS_POOL);
}

/* IDLE <-> BUSY, as the report says. */
static void
act_serve(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	(void)sup;
	(void)why;
	s->state = s->last.state == HEALTH_BUSY ? SLOT_BUSY : SLOT_IDLE;
}

/* The first idle or busy report: from now on it counts as serving. */
static void
act_ready(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	int i;

	act_serve(sup, s, why);
	s->ready_ms = now_ms();
	log_debug("worker %d (pid %ld) ready after %lld ms", s->num,
	    (long)s->pid, (long long)(s->ready_ms - s->started_ms));
	/* The replacement of a recycling worker is ready: let the old go. */
	for (i = 0; i < sup->slots_hi; i++)
		if (sup->slots[i].replacement == s->num - 1) {
			sup->slots[i].replacement = NO_SLOT;
			slot_fire(sup, &sup->slots[i], SLOT_EV_STOP,
			    STOP_RECYCLED);
		}
	news_post(&sup->news, SUPERVISE_NEWS_READY);
}

/* It reports draining: it saw the lifeline's EOF or a SIGTERM. */
static void
act_drain(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	(void)sup;
	(void)why;
	s->state = SLOT_DRAINING;
}

/* It asks to be recycled: the pool starts its replacement first. */
static void
act_recycle(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	(void)sup;
	(void)why;
	if (s->wants_recycle)
		return;
	s->wants_recycle = true;
	log_info("worker %d (pid %ld) asks to be recycled after %llu "
	    "requests, %llu kB max RSS", s->num, (long)s->pid,
	    (unsigned long long)s->last.requests,
	    (unsigned long long)s->last.max_rss_kb);
}

/*
 * Tell a worker to drain: SIGTERM, and SIGKILL if it has not gone after
 * grace_period (future_cancel_tick, from the tick).
 */
static void
act_stop(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	s->stop = why;
	s->state = SLOT_DRAINING;
	future_cancel(&s->fut, sup->core->conf.grace_period_ms);
}

/* The master stops: the lifeline and its grace timer do the rest. */
static void
act_shutdown(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	(void)sup;
	if (s->stop == STOP_NONE)
		s->stop = why;
	s->state = SLOT_DRAINING;
}

/*
 * Silent for worker_timeout: hung. Soft stage: SIGABRT, so it logs what
 * it was doing and a backtrace; SIGKILL after kill_grace (act_kill). From
 * now on it serves nobody: the pool replaces it at once.
 */
static void
act_hang(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	int64_t now = now_ms();

	(void)why;
	log_warnx("worker %d (pid %ld) sent no report for %lld ms (last: %s, "
	    "%llu requests): hung; aborting it, SIGKILL in %lld ms", s->num,
	    (long)s->pid, (long long)(now - s->last_report_ms),
	    health_state_name(s->last.state),
	    (unsigned long long)s->last.requests,
	    (long long)sup->core->conf.kill_grace_ms);
	s->stop = STOP_HUNG;
	s->state = SLOT_KILLING;
	s->deadline_ms = now + sup->core->conf.kill_grace_ms;
	kill(s->pid, SIGABRT);
}

/* KILLING past kill_grace: the hard stage. */
static void
act_kill(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	(void)sup;
	(void)why;
	kill(s->pid, SIGKILL);
	s->deadline_ms = 0;
}

/* BACKOFF, but the master no longer wants it back. */
static void
act_drop(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	(void)sup;
	(void)why;
	s->state = SLOT_EMPTY;
	s->deadline_ms = 0;
}

/* Mark every worker as stopping, send sig (0: none; the lifeline tells
 * them) and drop pending restarts. */
void
supervise_shutdown(struct supervisor *sup, int sig)
{
	int i;

	for (i = 0; i < sup->slots_hi; i++) {
		struct slot *s = &sup->slots[i];

		slot_fire(sup, s, SLOT_EV_SHUTDOWN, STOP_SHUTDOWN);
		if (!slot_has_process(s->state) || sig == 0)
			continue;
		if (kill(s->pid, sig) == -1 && errno != ESRCH)
			log_warn("kill(worker %d, pid %ld, %s)", s->num,
			    (long)s->pid, sigabbrev_np(sig));
	}
}

/*
 * After a reload: drain every worker of a generation other than gen
 * (older), or of gen itself (a failed reload). Returns how many.
 */
int
supervise_stop_generation(struct supervisor *sup, unsigned gen, bool older)
{
	int i, n = 0;

	for (i = 0; i < sup->slots_hi; i++) {
		struct slot *s = &sup->slots[i];
		enum slot_state was = s->state;

		if ((s->generation == gen) == older)
			continue;
		slot_fire(sup, s, SLOT_EV_STOP, STOP_RELOAD);
		if (was != s->state && s->state == SLOT_DRAINING)
			n++;
	}
	return n;
}

/* SIGUSR1 and the like, to every worker there is. */
void
supervise_signal_all(const struct supervisor *sup, int sig)
{
	const struct slot *s = NULL;

	while ((s = supervise_next(sup, s)) != NULL)
		kill(s->pid, sig);
}

/*
 * On SIGCHLD (from the event loop, so waitpid is safe): poll each slot's
 * own pid; its completion runs act_exit.
 */
void
supervise_reap(struct supervisor *sup)
{
	int i;

	for (i = 0; i < sup->slots_hi; i++)
		if (slot_has_process(sup->slots[i].state))
			future_collect(&sup->slots[i].fut);
	settle(sup);
}

/*
 * The worker said, in its last report, that it aborts on purpose
 * ([faults] crash): restarted at once, and no sign of a crash loop.
 */
static bool
injected_crash(const struct slot *s)
{
	return s->last.faults[HEALTH_FAULT_CRASH] > 0;
}

static void
log_exit(struct supervisor *sup, struct slot *s,
    const struct future_result *r, bool early)
{
	char how[128];
	int64_t lived = now_ms() - s->started_ms;

	future_describe(r, how, sizeof(how));
	switch (s->stop) {
	case STOP_HUNG:
		log_warnx("worker %d (pid %ld) %s: killed as hung", s->num,
		    (long)s->pid, how);
		break;
	case STOP_RECYCLED:
		log_info("worker %d (pid %ld) recycled after %llu requests",
		    s->num, (long)s->pid,
		    (unsigned long long)s->last.requests);
		break;
	case STOP_RETIRED:
	case STOP_RELOAD:
	case STOP_SHUTDOWN:
	case STOP_NREASONS:	/* not a reason: the table's size */
		log_debug("worker %d (pid %ld) %s after draining", s->num,
		    (long)s->pid, how);
		break;
	case STOP_NONE:
		if (early && !crashloop_note(&sup->crashloop, now_ms()))
			break;	/* counted for the crash-loop summary */
		log_warnx("worker %d (pid %ld) %s: %s after %lld ms%s",
		    s->num, (long)s->pid, r->exited && r->code == 0 ?
		    "ended unexpectedly" : "crashed", how, (long long)lived,
		    injected_crash(s) ? ", an injected fault ([faults] crash)" :
		    s->ready_ms == 0 ? ", before it was ready" : "");
		break;
	}
}

/* BACKOFF: the slot waits for its restart. */
static void
schedule_restart(struct supervisor *sup, struct slot *s, bool early)
{
	const struct conf *conf = &sup->core->conf;
	int64_t delay = backoff_next(&s->backoff, early,
	    conf->restart_backoff_initial_ms, conf->restart_backoff_max_ms,
	    slots_random(sup));

	s->state = SLOT_BACKOFF;
	s->deadline_ms = now_ms() + delay;
	slots_claim(sup, s);
	sup->restarts++;
	if (delay > 0)
		log_debug("worker %d restarts in %lld ms", s->num,
		    (long long)delay);
}

/*
 * After exits have been handled: restart what is due and have the hub run
 * a pool step, or, while stopping, tell it a worker left. Never called from
 * inside a future's callback, which must not see its own slot reused.
 */
static void
settle(struct supervisor *sup)
{
	int64_t now = now_ms();
	int i;

	if (!slots_running(sup)) {
		news_post(&sup->news, SUPERVISE_NEWS_GONE);
		return;
	}
	for (i = 0; i < sup->slots_hi; i++)
		if (sup->slots[i].state == SLOT_BACKOFF &&
		    now >= sup->slots[i].deadline_ms)
			slot_fire(sup, &sup->slots[i], SLOT_EV_TIMEOUT,
			    STOP_NONE);
	news_post(&sup->news, SUPERVISE_NEWS_POOL);
}

/*
 * The worker is gone (exit status and EOF). A crash of the current
 * generation holds its slot for a restart after the backoff (BACKOFF).
 * Any other exit was decided by the master, and the pool already stopped
 * counting that worker: the slot is free.
 */
static void
act_exit(struct supervisor *sup, struct slot *s, enum stop_reason why)
{
	const struct future_result *r = &s->fut.result;
	bool early = !injected_crash(s) && (s->ready_ms == 0 ||
	    now_ms() - s->started_ms < BACKOFF_STABLE_MS);
	/*
	 * The backoff is for workers that cannot get going. One that was
	 * ready and had served connections was killed from outside (the OOM
	 * killer, an operator) or by a request: back at once, as a worker
	 * that lived long. Its death still counts toward a crash loop, which
	 * keeps the log from growing a line per death.
	 */
	bool served = s->ready_ms != 0 && s->last.connections > 0;

	/* A worker that died waiting cannot count itself out. */
	idle_leave(sup->core->idle, (size_t)s->num);
	bool replace = s->stop == STOP_NONE && slots_running(sup) &&
	    s->generation == sup->core->generation;

	(void)why;
	log_exit(sup, s, r, early);
	sup->exits[s->stop]++;
	totals_add(&sup->retired, &s->last, s->stop);
	if (s->pipe_ev != NULL) {
		event_free(s->pipe_ev);
		s->pipe_ev = NULL;
	}
	future_free(&s->fut);
	s->state = SLOT_EMPTY;
	s->deadline_ms = 0;
	/* A replacement that died before it was ready replaces nobody. */
	slots_forget_replacement(sup, s);
	s->pid = 0;
	if (replace)
		schedule_restart(sup, s, early && !served);
}

static void
on_exit_status(struct future *f, const struct future_result *r, void *arg)
{
	struct slot *s = arg;

	(void)f;
	(void)r;
	slot_fire(s->sup, s, SLOT_EV_EXIT, STOP_NONE);
}

/*
 * One slot on the tick: its pipe read out first (if the master itself
 * was held up longer than worker_timeout, the reports are waiting there
 * and the worker is not hung), then its deadlines.
 */
static void
tick_slot(struct supervisor *sup, struct slot *s, int64_t now)
{
	if (s->fut.fd != -1 && future_buffer(&s->fut) == FUTURE_ERROR)
		log_warn("worker %d's pipe", s->num);
	if (s->state == SLOT_EMPTY)
		return;
	if (slot_has_process(s->state))
		take_beat(s);
	if (s->deadline_ms != 0 && now >= s->deadline_ms)
		slot_fire(sup, s, SLOT_EV_TIMEOUT, STOP_NONE);
	if (slot_has_process(s->state) &&
	    now - s->last_report_ms >= sup->core->conf.worker_timeout_ms)
		slot_fire(sup, s, SLOT_EV_HANG, STOP_NONE);
	if (slot_has_process(s->state))
		future_cancel_tick(&s->fut);
}

/*
 * The periodic check: restarts due, hung workers, drain deadlines and the
 * crash-loop summary (the hub runs the pool step after its other ticks).
 * Returns true when no worker has been serving for fatal_after: the
 * master gives up.
 */
bool
supervise_tick(struct supervisor *sup)
{
	const struct conf *conf = &sup->core->conf;
	int64_t now = now_ms();
	int i, n;

	slots_shrink(sup);
	for (i = 0; i < sup->slots_hi; i++)
		tick_slot(sup, &sup->slots[i], now);
	if (supervise_serving(sup, 0) > 0 || !slots_running(sup))
		sup->last_serving_ms = now;
	if ((n = crashloop_summary(&sup->crashloop, now)) > 0)
		log_warnx("crash loop: %d more workers died early in the last "
		    "%d s; restarting them with backoff up to %lld ms", n,
		    CRASHLOOP_WINDOW_MS / 1000,
		    (long long)conf->restart_backoff_max_ms);
	return crashloop_fatal(sup->last_serving_ms, now, conf->fatal_after_ms);
}

