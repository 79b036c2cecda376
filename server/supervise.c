/*
 * supervise: start workers as futures, follow their health reports, reap
 * them by pid, and replace them.
 *
 * Each worker is a future (common/future.h) whose records are health
 * reports; the read end of its pipe is a libevent event. The slot's state
 * changes only through slot_transition's table. A worker that dies on its
 * own is restarted after a per-slot backoff; the pool's size is decided by
 * pool_decide and carried out here.
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/master.h"
#include "worker/worker.h"

#define NO_SLOT		(-1)

static void	 slot_event(struct slot *, enum slot_event);
static struct slot *free_slot(struct master *);
static int	 spawn_into(struct master *, struct slot *);
static void	 worker_child(int, void *);
static void	 on_pipe(evutil_socket_t, short, void *);
static void	 on_report(struct future *, const void *, void *);
static void	 on_exit_status(struct future *, const struct future_result *,
		    void *);
static void	 became_ready(struct master *, struct slot *);
static void	 log_exit(struct master *, struct slot *,
		    const struct future_result *, bool);
static void	 schedule_restart(struct master *, struct slot *, bool);
static void	 restart_due(struct master *, int64_t);
static void	 settle(struct master *);
static void	 slot_claim(struct master *, struct slot *);
static void	 totals_add(struct totals *, const struct health_report *);
static void	 slots_shrink(struct master *);
static void	 check_hung(struct master *, struct slot *, int64_t);
static void	 start_recycles(struct master *);
static void	 retire_idle(struct master *, int);
static void	 refill_tokens(struct master *, int64_t);
static uint32_t	 next_random(struct master *);

/*
 * The lifecycle table. A cell equal to its row means "no change": a late
 * idle report from a draining worker, say, does not bring it back.
 */
static const enum slot_state transitions[SLOT_NSTATES][SLOT_NEVENTS] = {
	/*		 SPAWN		REPORT_IDLE	REPORT_BUSY	STOP		EXIT */
	[SLOT_EMPTY] =	 { SLOT_STARTING, SLOT_EMPTY,	SLOT_EMPTY,	SLOT_EMPTY,	SLOT_EMPTY },
	[SLOT_STARTING]= { SLOT_STARTING, SLOT_IDLE,	SLOT_BUSY,	SLOT_DRAINING,	SLOT_EMPTY },
	[SLOT_IDLE] =	 { SLOT_IDLE,	SLOT_IDLE,	SLOT_BUSY,	SLOT_DRAINING,	SLOT_EMPTY },
	[SLOT_BUSY] =	 { SLOT_BUSY,	SLOT_IDLE,	SLOT_BUSY,	SLOT_DRAINING,	SLOT_EMPTY },
	[SLOT_DRAINING]= { SLOT_DRAINING, SLOT_DRAINING, SLOT_DRAINING, SLOT_DRAINING, SLOT_EMPTY },
};

enum slot_state
slot_transition(enum slot_state state, enum slot_event ev)
{
	return transitions[state][ev];
}

static void
slot_event(struct slot *s, enum slot_event ev)
{
	s->state = slot_transition(s->state, ev);
}

/*
 * The slot table is sized for the largest pool, twice (16,448 slots of
 * about 700 bytes), but only the slots a pool has used are ever touched:
 * calloc'd pages the master never writes cost it no memory. free_slot
 * prepares slots in order, so slots[0 .. slots_prepared) are ready.
 */
int
supervise_init(struct master *m)
{
	m->slots = calloc(SLOTS_MAX, sizeof(*m->slots));
	if (m->slots == NULL)
		return -1;
	m->slots_prepared = 0;
	m->rnd = (uint32_t)getpid() * 2654435761u ^ (uint32_t)now_ms();
	return 0;
}

void
supervise_free(struct master *m)
{
	int i;

	if (m->slots == NULL)
		return;
	for (i = 0; i < m->slots_prepared; i++) {
		if (m->slots[i].pipe_ev != NULL)
			event_free(m->slots[i].pipe_ev);
		future_free(&m->slots[i].fut);
	}
	free(m->slots);
	m->slots = NULL;
}

/* xorshift32: jitter needs spread, not secrecy. */
static uint32_t
next_random(struct master *m)
{
	m->rnd ^= m->rnd << 13;
	m->rnd ^= m->rnd >> 17;
	m->rnd ^= m->rnd << 5;
	return m->rnd;
}

static void
prepare_slot(struct master *m, int i)
{
	struct slot *s = &m->slots[i];

	s->master = m;
	s->num = i + 1;
	s->replacement = NO_SLOT;
	future_init(&s->fut);
}

/* The lowest free slot that is not held for a pending restart. */
static struct slot *
free_slot(struct master *m)
{
	int i;

	for (i = 0; i < SLOTS_MAX; i++) {
		if (i == m->slots_prepared) {
			prepare_slot(m, i);
			m->slots_prepared++;
		}
		if (m->slots[i].state == SLOT_EMPTY &&
		    !m->slots[i].restart_pending)
			return &m->slots[i];
	}
	return NULL;
}

/*
 * Every loop over the slots stops at slots_hi, one past the highest slot
 * in use (or held for a restart), instead of at SLOTS_MAX: the master
 * looks at its slots on every busy report.
 */
static void
slot_claim(struct master *m, struct slot *s)
{
	if (s->num > m->slots_hi)
		m->slots_hi = s->num;
}

static void
slots_shrink(struct master *m)
{
	while (m->slots_hi > 0 &&
	    m->slots[m->slots_hi - 1].state == SLOT_EMPTY &&
	    !m->slots[m->slots_hi - 1].restart_pending)
		m->slots_hi--;
}

/* In the child (future_spawn has closed all but the kept fds). */
static void
worker_child(int report_fd, void *arg)
{
	struct slot *s = arg;
	struct master *m = s->master;
	int fds[CONF_LISTEN_MAX];
	struct worker_env env;
	int i;

	for (i = 0; i < m->nlisteners; i++)
		fds[i] = m->listeners[i].fd;
	env = (struct worker_env){
		.conf = &m->conf,
		.listeners = fds,
		.nlisteners = m->nlisteners,
		.lifeline = m->lifeline[0],
		.report_fd = report_fd,
		.access_fd = m->access_fd,
		.creds = &m->creds,
		.slot = s->num,
		.generation = s->generation,
		.master = m->pid,
	};
	worker_main(&env);
}

static int
spawn_into(struct master *m, struct slot *s)
{
	int keep[CONF_LISTEN_MAX + 3];
	struct future_spec spec = {
		.type = FUTURE_RECORDS,
		.record_size = sizeof(struct health_report),
		.keep_fds = keep,
		.on_record = on_report,
		.on_done = on_exit_status,
		.arg = s,
	};
	int i;

	for (i = 0; i < m->nlisteners; i++)
		keep[i] = m->listeners[i].fd;
	keep[i++] = m->lifeline[0];
	if (m->access_fd != -1)
		keep[i++] = m->access_fd;
	if (log_fd() != -1)
		keep[i++] = log_fd();
	spec.nkeep = i;
	s->generation = m->generation;
	slot_claim(m, s);
	if (future_spawn(&s->fut, &spec, worker_child, s) == -1) {
		log_warn("cannot start worker %d", s->num);
		return -1;
	}
	s->pipe_ev = event_new(m->base, s->fut.fd, EV_READ | EV_PERSIST,
	    on_pipe, s);
	if (s->pipe_ev == NULL || event_add(s->pipe_ev, NULL) == -1)
		fatalx(71, "cannot watch worker %d's pipe", s->num);
	s->pid = s->fut.pid;
	s->started_ms = s->last_report_ms = now_ms();
	s->ready_ms = 0;
	s->stop = STOP_NONE;
	s->wants_recycle = false;
	s->replacement = NO_SLOT;
	s->restart_pending = false;
	memset(&s->last, 0, sizeof(s->last));
	slot_event(s, SLOT_EV_SPAWN);
	log_debug("started worker %d (pid %ld, generation %u)", s->num,
	    (long)s->pid, s->generation);
	return 0;
}

/*
 * Start one worker in a free slot. A fork failure (EAGAIN, ENOMEM) is
 * treated like a crash of that slot: it is retried after its backoff.
 */
int
supervise_spawn(struct master *m)
{
	struct slot *s = free_slot(m);

	if (s == NULL) {
		log_warnx("no free worker slot (%d in use)", SLOTS_MAX);
		return -1;
	}
	if (spawn_into(m, s) == -1) {
		schedule_restart(m, s, true);
		return -1;
	}
	return 0;
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
		settle(s->master);
}

static void
on_report(struct future *f, const void *record, void *arg)
{
	struct slot *s = arg;
	struct master *m = s->master;
	const struct health_report *r = record;
	bool was_starting = s->state == SLOT_STARTING;

	(void)f;
	if (r->magic != HEALTH_MAGIC || r->pid != (uint32_t)s->pid) {
		log_warnx("worker %d: malformed health report ignored",
		    s->num);
		return;
	}
	s->last = *r;
	s->last_report_ms = now_ms();
	switch (r->state) {
	case HEALTH_IDLE:
		slot_event(s, SLOT_EV_REPORT_IDLE);
		break;
	case HEALTH_BUSY:
		slot_event(s, SLOT_EV_REPORT_BUSY);
		break;
	case HEALTH_DRAINING:
		slot_event(s, SLOT_EV_STOP);
		break;
	}
	if ((r->flags & HEALTH_WANTS_RECYCLE) && !s->wants_recycle) {
		s->wants_recycle = true;
		log_info("worker %d (pid %ld) asks to be recycled after %llu "
		    "requests, %llu kB max RSS", s->num, (long)s->pid,
		    (unsigned long long)r->requests,
		    (unsigned long long)r->max_rss_kb);
	}
	if (was_starting && (s->state == SLOT_IDLE || s->state == SLOT_BUSY))
		became_ready(m, s);
	/*
	 * A dynamic pool grows the moment idle workers run low, not at the
	 * next tick. A static pool's size does not depend on busy reports.
	 */
	if (r->state == HEALTH_BUSY && m->state == MASTER_RUNNING &&
	    m->limits.mode == CONF_POOL_DYNAMIC)
		supervise_pool_step(m);
}

static void
became_ready(struct master *m, struct slot *s)
{
	int i;

	s->ready_ms = now_ms();
	log_debug("worker %d (pid %ld) ready after %lld ms", s->num,
	    (long)s->pid, (long long)(s->ready_ms - s->started_ms));
	/* The replacement of a recycling worker is ready: let the old go. */
	for (i = 0; i < m->slots_hi; i++)
		if (m->slots[i].replacement == s->num - 1) {
			m->slots[i].replacement = NO_SLOT;
			supervise_stop(m, &m->slots[i], STOP_RECYCLED);
		}
	if (m->reloading)
		reload_worker_ready(m);
	sd_worker_ready(m);
}

/*
 * Tell a worker to drain: SIGTERM, and SIGKILL if it has not gone after
 * grace_period (future_cancel_tick, from the tick).
 */
void
supervise_stop(struct master *m, struct slot *s, enum stop_reason why)
{
	if (s->state == SLOT_EMPTY || s->state == SLOT_DRAINING)
		return;
	s->stop = why;
	slot_event(s, SLOT_EV_STOP);
	future_cancel(&s->fut, m->conf.grace_period_ms);
}

/*
 * Mark every worker as stopping for a shutdown and send sig (0: none; the
 * lifeline tells them). Pending restarts are dropped.
 */
void
supervise_kill_all(struct master *m, int sig)
{
	int i;

	for (i = 0; i < m->slots_hi; i++) {
		struct slot *s = &m->slots[i];

		s->restart_pending = false;
		if (s->state == SLOT_EMPTY)
			continue;
		if (s->stop == STOP_NONE)
			s->stop = STOP_SHUTDOWN;
		slot_event(s, SLOT_EV_STOP);
		if (sig != 0 && kill(s->pid, sig) == -1 && errno != ESRCH)
			log_warn("kill(worker %d, pid %ld, %s)", s->num,
			    (long)s->pid, sigabbrev_np(sig));
	}
}

/*
 * On SIGCHLD (from the event loop, so waitpid is safe): poll each slot's
 * own pid. A dead worker's pipe is at EOF, so read it out here; if it is
 * not (a grandchild holds it), stop waiting for it.
 */
void
supervise_reap(struct master *m)
{
	int i;

	for (i = 0; i < m->slots_hi; i++) {
		struct slot *s = &m->slots[i];

		if (s->state == SLOT_EMPTY || future_reap(&s->fut) != 1)
			continue;
		if (!s->fut.done && future_buffer(&s->fut) != FUTURE_EOF)
			future_abandon_output(&s->fut);
	}
	reload_reap(m);
	upgrade_reap(m);
	settle(m);
}

static void
log_exit(struct master *m, struct slot *s, const struct future_result *r,
    bool early)
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
		if (early && !crashloop_note(&m->crashloop, now_ms()))
			break;	/* counted for the crash-loop summary */
		log_warnx("worker %d (pid %ld) %s: %s after %lld ms%s",
		    s->num, (long)s->pid, r->exited && r->code == 0 ?
		    "ended unexpectedly" : "crashed", how, (long long)lived,
		    s->ready_ms == 0 ? ", before it was ready" : "");
		break;
	}
}

/* Hold the slot for a restart after its backoff. */
static void
schedule_restart(struct master *m, struct slot *s, bool early)
{
	int64_t delay = backoff_next(&s->backoff, early,
	    m->conf.restart_backoff_initial_ms, m->conf.restart_backoff_max_ms,
	    next_random(m));

	s->restart_pending = true;
	s->restart_at_ms = now_ms() + delay;
	slot_claim(m, s);
	m->restarts++;
	if (delay > 0)
		log_debug("worker %d restarts in %lld ms", s->num,
		    (long long)delay);
}

/* Start the slots whose backoff is over. */
static void
restart_due(struct master *m, int64_t now)
{
	int i;

	for (i = 0; i < m->slots_hi; i++) {
		struct slot *s = &m->slots[i];

		if (s->restart_pending && now >= s->restart_at_ms &&
		    spawn_into(m, s) == -1)
			schedule_restart(m, s, true);
	}
}

/*
 * After exits have been handled: restart what is due and size the pool,
 * or, while stopping, see whether the last worker is gone. Never called
 * from inside a future's callback, which must not see its own slot reused.
 */
static void
settle(struct master *m)
{
	if (m->state != MASTER_RUNNING) {
		master_worker_gone(m);
		return;
	}
	restart_due(m, now_ms());
	supervise_pool_step(m);
}

static void
on_exit_status(struct future *f, const struct future_result *r, void *arg)
{
	struct slot *s = arg;
	struct master *m = s->master;
	bool early = s->ready_ms == 0 ||
	    now_ms() - s->started_ms < BACKOFF_STABLE_MS;
	/*
	 * The backoff is for workers that cannot get going. One that was
	 * ready and had served connections was killed from outside (the OOM
	 * killer, an operator) or by a request: back at once, as a worker
	 * that lived long. Its death still counts toward a crash loop, which
	 * keeps the log from growing a line per death.
	 */
	bool served = s->ready_ms != 0 && s->last.connections > 0;
	/*
	 * A crash holds its slot for a restart after the backoff. Any other
	 * exit was decided by the master, and the pool already stopped
	 * counting that worker (a hung one is replaced as soon as it is
	 * found, since it serves nobody).
	 */
	bool replace = s->stop == STOP_NONE && m->state == MASTER_RUNNING &&
	    s->generation == m->generation;
	int i;

	(void)f;
	log_exit(m, s, r, early);
	m->exits[s->stop]++;
	totals_add(&m->retired, &s->last);
	if (s->pipe_ev != NULL) {
		event_free(s->pipe_ev);
		s->pipe_ev = NULL;
	}
	future_free(&s->fut);
	slot_event(s, SLOT_EV_EXIT);
	/* A replacement that died before it was ready replaces nobody. */
	for (i = 0; i < m->slots_hi; i++)
		if (m->slots[i].replacement == s->num - 1)
			m->slots[i].replacement = NO_SLOT;
	s->pid = 0;
	if (replace)
		schedule_restart(m, s, early && !served);
}

/*
 * A worker silent for worker_timeout is hung. Soft stage: SIGABRT, so it
 * logs what it was doing and a backtrace; hard stage after kill_grace.
 */
static void
check_hung(struct master *m, struct slot *s, int64_t now)
{
	int64_t silent;

	/*
	 * Read what is queued first: if the master itself was held up (a
	 * stall longer than worker_timeout), the reports are waiting in the
	 * pipe and the workers are not hung.
	 */
	if (s->fut.fd != -1 && future_buffer(&s->fut) == FUTURE_ERROR)
		log_warn("worker %d's pipe", s->num);
	if (s->state == SLOT_EMPTY)
		return;
	silent = now - s->last_report_ms;

	if (s->stop == STOP_HUNG) {
		if (s->hung_kill_at_ms != 0 && now >= s->hung_kill_at_ms) {
			kill(s->pid, SIGKILL);
			s->hung_kill_at_ms = 0;
		}
		return;
	}
	if (s->state == SLOT_DRAINING || silent < m->conf.worker_timeout_ms)
		return;
	log_warnx("worker %d (pid %ld) sent no report for %lld ms (last: %s, "
	    "%llu requests): hung; aborting it, SIGKILL in %lld ms", s->num,
	    (long)s->pid, (long long)silent, health_state_name(s->last.state),
	    (unsigned long long)s->last.requests,
	    (long long)m->conf.kill_grace_ms);
	s->stop = STOP_HUNG;
	s->hung_kill_at_ms = now + m->conf.kill_grace_ms;
	kill(s->pid, SIGABRT);
}

/* Start replacements for workers that asked, recycle_concurrency at once. */
static void
start_recycles(struct master *m)
{
	struct slot *s, *r;
	int i, active = 0;

	for (i = 0; i < m->slots_hi; i++)
		if (m->slots[i].replacement != NO_SLOT ||
		    (m->slots[i].stop == STOP_RECYCLED &&
		    m->slots[i].state != SLOT_EMPTY))
			active++;
	for (i = 0; i < m->slots_hi && active < m->conf.recycle_concurrency;
	    i++) {
		s = &m->slots[i];
		if (!s->wants_recycle || s->replacement != NO_SLOT ||
		    s->stop != STOP_NONE || s->generation != m->generation ||
		    (s->state != SLOT_IDLE && s->state != SLOT_BUSY))
			continue;
		if ((r = free_slot(m)) == NULL || spawn_into(m, r) == -1)
			return;
		s->replacement = r->num - 1;
		active++;
	}
}

/* Retire the highest-numbered idle workers first. */
static void
retire_idle(struct master *m, int n)
{
	int i;

	for (i = m->slots_hi - 1; i >= 0 && n > 0; i--) {
		struct slot *s = &m->slots[i];

		if (s->state == SLOT_IDLE && s->generation == m->generation &&
		    s->replacement == NO_SLOT) {
			supervise_stop(m, s, STOP_RETIRED);
			n--;
		}
	}
}

static void
refill_tokens(struct master *m, int64_t now)
{
	m->spawn_tokens += (double)(now - m->tokens_at_ms) *
	    m->conf.spawn_rate / 1000.0;
	if (m->spawn_tokens > m->conf.spawn_rate)
		m->spawn_tokens = m->conf.spawn_rate;
	m->tokens_at_ms = now;
}

/*
 * Gather the current generation's numbers, ask pool_decide, carry it out.
 * A worker on its way out (recycling, with a replacement coming) is not
 * counted; its replacement is. Slots waiting for a restart count as
 * starting, so the pool does not refill them behind the backoff's back.
 */
void
supervise_pool_step(struct master *m)
{
	struct pool_view v = { 0 };
	struct pool_decision d;
	int64_t now = now_ms();
	int i;

	if (m->state != MASTER_RUNNING)
		return;
	for (i = 0; i < m->slots_hi; i++) {
		struct slot *s = &m->slots[i];

		if (s->restart_pending) {
			v.starting++;
			continue;
		}
		if (s->generation != m->generation ||
		    s->replacement != NO_SLOT || s->stop != STOP_NONE)
			continue;
		if (s->state == SLOT_STARTING)
			v.starting++;
		else if (s->state == SLOT_IDLE)
			v.idle++;
		else if (s->state == SLOT_BUSY)
			v.busy++;
	}
	refill_tokens(m, now);
	v.queued = m->limits.mode == CONF_POOL_DYNAMIC ? listeners_queued(m) : 0;
	v.spawn_budget = (int)m->spawn_tokens;
	v.now_ms = now;
	v.surplus_since_ms = m->surplus_since_ms;
	d = pool_decide(&m->limits, &v);
	m->surplus_since_ms = d.surplus_since_ms;
	if (d.spawn > 0)
		log_debug("pool: %d starting, %d idle, %d busy, %d queued: "
		    "starting %d", v.starting, v.idle, v.busy, v.queued,
		    d.spawn);
	for (i = 0; i < d.spawn; i++) {
		m->spawn_tokens -= 1;
		supervise_spawn(m);
	}
	if (d.retire > 0 && m->limits.mode == CONF_POOL_STATIC)
		log_info("pool: %d workers for a pool of %d: retiring %d idle",
		    v.starting + v.idle + v.busy, m->limits.target, d.retire);
	else if (d.retire > 0)
		log_info("pool: %d idle workers for %lld ms (max_spare %d): "
		    "retiring %d", v.idle, (long long)m->limits.idle_grace_ms,
		    m->limits.max_spare, d.retire);
	retire_idle(m, d.retire);
	start_recycles(m);
}

/* The periodic check: restarts due, hung workers, drain deadlines. */
void
supervise_tick(struct master *m)
{
	int64_t now = now_ms();
	int i, serving = 0, n;

	if (m->state == MASTER_RUNNING)
		restart_due(m, now);
	slots_shrink(m);
	for (i = 0; i < m->slots_hi; i++) {
		struct slot *s = &m->slots[i];

		if (s->state == SLOT_EMPTY)
			continue;
		if (s->state == SLOT_IDLE || s->state == SLOT_BUSY)
			serving++;
		check_hung(m, s, now);
		future_cancel_tick(&s->fut);
	}
	if (serving > 0 || m->state != MASTER_RUNNING)
		m->last_serving_ms = now;
	upgrade_tick(m);
	reload_tick(m);
	admin_tick(m);
	if ((n = crashloop_summary(&m->crashloop, now)) > 0)
		log_warnx("crash loop: %d more workers died early in the last "
		    "%d s; restarting them with backoff up to %lld ms", n,
		    CRASHLOOP_WINDOW_MS / 1000,
		    (long long)m->conf.restart_backoff_max_ms);
	if (crashloop_fatal(m->last_serving_ms, now, m->conf.fatal_after_ms))
		master_fatal(m, 69, "no worker has stayed up");
	supervise_pool_step(m);
}

int
supervise_count(const struct master *m, enum slot_state state,
    unsigned generation)
{
	int i, n = 0;

	for (i = 0; i < m->slots_hi; i++)
		if (m->slots[i].state == state &&
		    (generation == 0 || m->slots[i].generation == generation))
			n++;
	return n;
}

int
supervise_alive(const struct master *m)
{
	int i, n = 0;

	for (i = 0; i < m->slots_hi; i++)
		if (m->slots[i].state != SLOT_EMPTY)
			n++;
	return n;
}

void
supervise_totals(const struct master *m, struct totals *t)
{
	const struct slot *s;
	int i;

	*t = m->retired;
	for (i = 0; i < m->slots_hi; i++) {
		s = &m->slots[i];
		if (s->state != SLOT_EMPTY)
			totals_add(t, &s->last);
	}
}

/* A worker's cumulative counters, from its last report, into t. */
static void
totals_add(struct totals *t, const struct health_report *r)
{
	int i;

	t->connections += r->connections;
	t->requests += r->requests;
	t->bytes_in += r->bytes_in;
	t->bytes_out += r->bytes_out;
	for (i = 0; i < HEALTH_LATENCY_BUCKETS; i++)
		t->latency[i] += r->latency[i];
	t->latency_sum_us += r->latency_sum_us;
}

const char *
stop_reason_name(enum stop_reason why)
{
	static const char *const names[] = {
		[STOP_NONE] = "crashed",
		[STOP_HUNG] = "hung",
		[STOP_RECYCLED] = "recycled",
		[STOP_RETIRED] = "retired",
		[STOP_RELOAD] = "reload",
		[STOP_SHUTDOWN] = "shutdown",
	};

	return names[why];
}
