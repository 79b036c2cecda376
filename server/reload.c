/*
 * reload: SIGHUP. The new configuration is first built in a one-shot child
 * (a future): a parser fault there cannot take the master down, and a bad
 * file is reported with the child's message while nothing changes. When
 * it is good, the master builds it too, opens any new listeners, starts
 * generation N+1 and, once that generation is ready, drains generation N
 * within the grace period. Listeners are shared, so no connection is
 * refused in between.
 */
#include <event2/event.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include <stdbool.h>
#include "server/master.h"

static void	 check_child(int, void *);
static void	 on_check_pipe(evutil_socket_t, short, void *);
static void	 on_check_done(struct future *, const struct future_result *,
		    void *);
static void	 apply(struct master *);
static bool	 listener_in(const struct listener *, int, int);
static void	 close_missing(struct listener *, int, const struct listener *,
		    int, bool);
static void	 set_limits(struct master *);
static void	 drain_old_generations(struct master *);

/* In the child: build the configuration as the master would. */
static void
check_child(int fd, void *arg)
{
	struct master *m = arg;
	char err[CONF_ERR_MAX];
	struct conf next;
	ssize_t n;

	proctitle_set("forkline: config check");
	if (conf_build(m->source, &next, err, sizeof(err)) == CONF_OK)
		_exit(0);
	n = write(fd, err, strlen(err));
	(void)n;
	_exit(78);
}

void
reload_start(struct master *m)
{
	struct future_spec spec = {
		.type = FUTURE_STRING,
		.max_output = CONF_ERR_MAX,
		.on_done = on_check_done,
		.arg = m,
	};

	if (m->state != MASTER_RUNNING)
		return;
	/*
	 * The file may have been edited again after the reload under way
	 * read it: run one more when this one ends, however many SIGHUPs
	 * came meanwhile.
	 */
	if (m->checking || m->reloading) {
		if (!m->reload_queued)
			log_info("SIGHUP: a reload is under way; another "
			    "follows when it ends");
		m->reload_queued = true;
		return;
	}
	m->reload_queued = false;
	log_info("SIGHUP: checking configuration %s",
	    m->source->path != NULL ? m->source->path : "(no file: defaults "
	    "and command line)");
	if (future_spawn(&m->check, &spec, check_child, m) == -1) {
		log_warn("reload: cannot start the configuration check");
		return;
	}
	m->check_ev = event_new(m->base, m->check.fd, EV_READ | EV_PERSIST,
	    on_check_pipe, m);
	if (m->check_ev == NULL || event_add(m->check_ev, NULL) == -1)
		fatalx(71, "cannot watch the configuration check");
	m->checking = true;
	sd_reloading(m);
}

static void
on_check_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;

	(void)fd;
	(void)what;
	if (future_buffer(&m->check) == FUTURE_AGAIN)
		return;
	event_free(m->check_ev);
	m->check_ev = NULL;
}

/* From SIGCHLD: the check child is reaped by its own pid like workers. */
void
reload_reap(struct master *m)
{
	if (!m->checking || future_reap(&m->check) != 1)
		return;
	if (!m->check.done && future_buffer(&m->check) != FUTURE_EOF)
		future_abandon_output(&m->check);
}

static void
on_check_done(struct future *f, const struct future_result *r, void *arg)
{
	struct master *m = arg;
	char how[128];

	if (m->check_ev != NULL) {
		event_free(m->check_ev);
		m->check_ev = NULL;
	}
	m->checking = false;
	if (r->exited && r->code == 0) {
		future_free(f);
		apply(m);
		return;
	}
	if (r->exited && r->code == 78)
		log_errorx("reload: %s; still serving generation %u with the "
		    "previous configuration", (const char *)future_output(f,
		    NULL), m->generation);
	else {
		future_describe(r, how, sizeof(how));
		log_errorx("reload: the configuration check %s; still serving "
		    "generation %u with the previous configuration", how,
		    m->generation);
	}
	future_free(f);
	sd_reload_failed(m);
}

static bool
listener_in(const struct listener *set, int n, int fd)
{
	int i;

	for (i = 0; i < n; i++)
		if (set[i].fd == fd)
			return true;
	return false;
}

/* Close the listeners of set that are not in keep. */
static void
close_missing(struct listener *set, int n, const struct listener *keep,
    int nkeep, bool say)
{
	int i;

	for (i = 0; i < n; i++) {
		if (listener_in(keep, nkeep, set[i].fd))
			continue;
		if (say)
			log_info("reload: no longer listening on %s",
			    set[i].addr.text);
		listeners_close_set(&set[i], 1);
	}
}

/*
 * Take the new configuration: new workers get the new listener set, but
 * the old one is kept (prev_*) until the new generation serves, so a
 * reload that fails later can be undone whole.
 */
static void
apply(struct master *m)
{
	struct listener next_set[CONF_LISTEN_MAX];
	char err[CONF_ERR_MAX];
	struct creds creds;
	struct conf next;
	int n, i;

	if (conf_build(m->source, &next, err, sizeof(err)) != CONF_OK) {
		log_errorx("reload: %s; configuration unchanged", err);
		sd_reload_failed(m);
		return;
	}
	if (creds_resolve(next.user, next.group, next.allow_root, &creds, err,
	    sizeof(err)) == -1) {
		log_errorx("reload: %s; configuration unchanged", err);
		sd_reload_failed(m);
		return;
	}
	if (listeners_update(m, &next, next_set, &n) == -1) {
		log_errorx("reload: cannot open the new listeners; still "
		    "serving generation %u unchanged", m->generation);
		sd_reload_failed(m);
		return;
	}
	if (logfiles_open(m, &next, &creds) == -1) {
		log_errorx("reload: cannot open the new log files; still "
		    "serving generation %u unchanged", m->generation);
		close_missing(next_set, n, m->listeners, m->nlisteners, false);
		sd_reload_failed(m);
		return;
	}
	if (strcmp(next.admin_listen, m->conf.admin_listen) != 0)
		log_warnx("reload: [admin] listen changes only on a restart or "
		    "an upgrade; the admin endpoint stays on %s",
		    m->conf.admin_listen);
	memcpy(m->prev_listeners, m->listeners, sizeof(m->listeners));
	m->prev_nlisteners = m->nlisteners;
	m->prev_conf = m->conf;
	m->prev_creds = m->creds;
	m->creds = creds;
	memcpy(m->listeners, next_set, (size_t)n * sizeof(*next_set));
	m->nlisteners = n;
	m->conf = next;
	memcpy(m->conf.admin_listen, m->prev_conf.admin_listen,
	    sizeof(m->conf.admin_listen));
	log_set_level(next.log_level);
	set_limits(m);
	master_arm_tick(m);
	m->generation++;
	m->reloading = true;
	m->reload_deadline_ms = now_ms() + next.worker_timeout_ms;
	log_info("reload: configuration accepted; starting generation %u "
	    "with %d workers", m->generation, next.workers);
	for (i = 0; i < next.workers; i++)
		supervise_spawn(m);
}

static void
set_limits(struct master *m)
{
	m->limits = (struct pool_limits){
		.mode = m->conf.pool_mode,
		.target = m->conf.workers,
		.min_spare = m->conf.min_spare,
		.max_spare = m->conf.max_spare,
		.max = m->conf.max_workers,
		.idle_grace_ms = m->limits.idle_grace_ms,
	};
}

static void
drain_old_generations(struct master *m)
{
	int i, n = 0;

	for (i = 0; i < m->slots_hi; i++) {
		struct slot *s = &m->slots[i];

		if (s->generation == m->generation || s->state == SLOT_EMPTY ||
		    s->state == SLOT_DRAINING)
			continue;
		supervise_stop(m, s, STOP_RELOAD);
		n++;
	}
	close_missing(m->prev_listeners, m->prev_nlisteners, m->listeners,
	    m->nlisteners, true);
	m->prev_nlisteners = 0;
	log_info("reload: generation %u serving; draining %d workers of "
	    "older generations", m->generation, n);
}

/* Called as each worker becomes ready while a reload is under way. */
void
reload_worker_ready(struct master *m)
{
	int ready = supervise_count(m, SLOT_IDLE, m->generation) +
	    supervise_count(m, SLOT_BUSY, m->generation);

	if (ready < m->conf.workers)
		return;
	m->reloading = false;
	drain_old_generations(m);
	sd_worker_ready(m);
}

/*
 * From the tick: a new generation that is not ready by worker_timeout
 * (its workers crash before their first report, say) is stopped and the
 * previous generation, configuration and listeners stay as they were.
 */
void
reload_tick(struct master *m)
{
	unsigned failed = m->generation;
	int i;

	if (m->reload_queued && !m->checking && !m->reloading) {
		reload_start(m);
		return;
	}
	if (!m->reloading || now_ms() < m->reload_deadline_ms)
		return;
	log_errorx("reload: generation %u was not ready within %lld ms; "
	    "stopping it, generation %u keeps serving with the previous "
	    "configuration", failed, (long long)m->conf.worker_timeout_ms,
	    failed - 1);
	m->reloading = false;
	for (i = 0; i < m->slots_hi; i++) {
		struct slot *s = &m->slots[i];

		if (s->generation != failed)
			continue;
		s->restart_pending = false;
		supervise_stop(m, s, STOP_RELOAD);
	}
	close_missing(m->listeners, m->nlisteners, m->prev_listeners,
	    m->prev_nlisteners, false);
	memcpy(m->listeners, m->prev_listeners, sizeof(m->listeners));
	m->nlisteners = m->prev_nlisteners;
	m->prev_nlisteners = 0;
	m->conf = m->prev_conf;
	m->creds = m->prev_creds;
	if (logfiles_open(m, &m->conf, &m->creds) == -1)
		log_errorx("reload: cannot reopen the previous log files");
	log_set_level(m->conf.log_level);
	set_limits(m);
	master_arm_tick(m);
	m->generation = failed - 1;
	sd_reload_failed(m);
}
