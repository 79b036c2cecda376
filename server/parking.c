/*
 * parking: see parking.h.
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <string.h>
#include <sysexits.h>

#include "common/idle.h"
#include "common/log.h"
#include "common/proc.h"
#include "lobby/lobby.h"
#include "server/parking.h"

static void	 lobby_child(int, void *);
static void	 on_pipe(evutil_socket_t, short, void *);
static void	 on_report(struct future *, const void *, void *);
static void	 on_exit_status(struct future *, const struct future_result *,
		    void *);
static void	 retire(struct parking *);

void
parking_init(struct parking *p, const struct core *core)
{
	memset(p, 0, sizeof(*p));
	p->core = core;
	future_init(&p->fut);
	p->rnd = (uint32_t)now_us() ^ (uint32_t)core->pid;
}

/* In the child (future_spawn has closed all but the kept fds). */
static void
lobby_child(int report_fd, void *arg)
{
	const struct parking *p = arg;
	const struct core *core = p->core;
	struct lobby_env env = {
		.lifeline = core->lifeline[0],
		.report_fd = report_fd,
		.intake = core->intake[0],
		.dispatch = core->dispatch[0],
		.forward = core->intake[1],
		.access_fd = core->access_fd,
		.access_log = core->conf.access_log,
		.creds = &core->creds,
		.parked_max = (size_t)core->conf.max_parked,
		.idle = core->idle,
		.heartbeat_ms = core->conf.heartbeat_interval_ms,
		.master = core->pid,
	};

	lobby_main(&env);
}

int
parking_start(struct parking *p)
{
	const struct core *core = p->core;
	int keep[6], n = 0;
	struct future_spec spec = {
		.type = FUTURE_RECORDS,
		.record_size = sizeof(struct lobby_report),
		.keep_fds = keep,
		.on_record = on_report,
		.on_done = on_exit_status,
		.arg = p,
	};

	keep[n++] = core->lifeline[0];
	keep[n++] = core->intake[0];
	keep[n++] = core->dispatch[0];
	keep[n++] = core->intake[1];
	if (core->access_fd != -1)
		keep[n++] = core->access_fd;
	if (log_fd() != -1)
		keep[n++] = log_fd();
	spec.nkeep = n;
	p->restart_at_ms = 0;
	future_free(&p->fut);
	if (future_spawn(&p->fut, &spec, lobby_child, p) == -1) {
		log_warn("cannot start the lobby");
		p->restart_at_ms = now_ms() + backoff_next(&p->backoff, true,
		    core->conf.restart_backoff_initial_ms,
		    core->conf.restart_backoff_max_ms, p->rnd++);
		return -1;
	}
	p->pipe_ev = event_new(core->base, p->fut.fd, EV_READ | EV_PERSIST,
	    on_pipe, p);
	if (p->pipe_ev == NULL || event_add(p->pipe_ev, NULL) == -1)
		fatalx(EX_OSERR, "cannot watch the lobby's pipe");
	p->pid = p->fut.pid;
	p->started_ms = p->last_report_ms = now_ms();
	p->killed = false;
	memset(&p->last, 0, sizeof(p->last));
	log_debug("started the lobby (pid %ld)", (long)p->pid);
	return 0;
}

static void
on_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct parking *p = arg;

	(void)fd;
	(void)what;
	switch (future_buffer(&p->fut)) {
	case FUTURE_AGAIN:
		return;
	case FUTURE_ERROR:
		log_warn("the lobby's pipe");
		future_abandon_output(&p->fut);
		break;
	case FUTURE_EOF:
		break;
	}
	event_free(p->pipe_ev);
	p->pipe_ev = NULL;
}

static void
on_report(struct future *f, const void *record, void *arg)
{
	struct parking *p = arg;
	const struct lobby_report *r = record;

	(void)f;
	if (r->magic != LOBBY_MAGIC || r->pid != (uint32_t)p->pid) {
		log_warnx("lobby: malformed report ignored");
		return;
	}
	if (r->ready && !p->last.ready)
		log_debug("lobby (pid %ld) ready: up to %llu parked "
		    "connections", (long)p->pid,
		    (unsigned long long)r->parked_max);
	p->last = *r;
	p->last_report_ms = now_ms();
}

/* Its counters join those of the lobbies before it. */
static void
retire(struct parking *p)
{
	p->retired.received += p->last.received;
	p->retired.woken += p->last.woken;
	p->retired.expired += p->last.expired;
	p->retired.dropped += p->last.dropped;
	memset(&p->last, 0, sizeof(p->last));
}

static void
on_exit_status(struct future *f, const struct future_result *r, void *arg)
{
	struct parking *p = arg;
	int64_t lived = now_ms() - p->started_ms, delay;
	char how[96];

	(void)f;
	idle_set_parked(p->core->idle, 0);	/* what it held is gone */
	future_describe(r, how, sizeof(how));
	if (p->pipe_ev != NULL) {
		event_free(p->pipe_ev);
		p->pipe_ev = NULL;
	}
	if (p->stopping) {
		log_debug("lobby (pid %ld) %s", (long)p->pid, how);
		p->pid = 0;
		retire(p);
		return;
	}
	delay = backoff_next(&p->backoff, lived < BACKOFF_STABLE_MS,
	    p->core->conf.restart_backoff_initial_ms,
	    p->core->conf.restart_backoff_max_ms, p->rnd++);
	log_warnx("lobby (pid %ld) %s%s after %lld ms; the %llu connection%s "
	    "it held were closed; restarting it in %lld ms", (long)p->pid,
	    p->killed ? "silent, killed: " : "", how, (long long)lived,
	    (unsigned long long)p->last.parked,
	    p->last.parked == 1 ? "" : "s", (long long)delay);
	p->pid = 0;
	p->restarts++;
	retire(p);
	p->restart_at_ms = now_ms() + delay;
}

void
parking_reap(struct parking *p)
{
	if (p->pid != 0)
		future_collect(&p->fut);
}

void
parking_tick(struct parking *p)
{
	int64_t now = now_ms();

	if (p->pid != 0 && !p->killed && !p->stopping &&
	    now - p->last_report_ms > p->core->conf.worker_timeout_ms) {
		log_warnx("lobby (pid %ld) sent no report for %lld ms: hung; "
		    "killing it", (long)p->pid,
		    (long long)(now - p->last_report_ms));
		kill(p->pid, SIGKILL);
		p->killed = true;
	}
	if (p->pid != 0)
		future_cancel_tick(&p->fut);
	if (p->pid == 0 && !p->stopping && p->restart_at_ms != 0 &&
	    now >= p->restart_at_ms)
		parking_start(p);
}

void
parking_shutdown(struct parking *p, int sig)
{
	p->stopping = true;
	if (p->pid != 0 && sig != 0 && kill(p->pid, sig) == -1 &&
	    errno != ESRCH)
		log_warn("kill(lobby, pid %ld, %s)", (long)p->pid,
		    sigabbrev_np(sig));
}

void
parking_signal(const struct parking *p, int sig)
{
	if (p->pid != 0)
		kill(p->pid, sig);
}

bool
parking_alive(const struct parking *p)
{
	return p->pid != 0;
}

void
parking_free(struct parking *p)
{
	if (p->pipe_ev != NULL)
		event_free(p->pipe_ev);
	p->pipe_ev = NULL;
	future_free(&p->fut);
}
