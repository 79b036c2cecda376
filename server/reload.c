/*
 * reload: see reload.h. Listeners are shared by every generation, so no
 * connection is refused while one drains and the next starts.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/listeners.h"
#include "server/logfiles.h"
#include "server/reload.h"

static void	 check_child(int, void *);
static void	 on_check_pipe(evutil_socket_t, short, void *);
static void	 on_check_done(struct future *, const struct future_result *,
		    void *);
static void	 check_end(struct reload *);
static bool	 listener_in(const struct listener *, int, int);
static void	 close_missing(struct listener *, int, const struct listener *,
		    int, bool);

void
reload_init(struct reload *rl, const struct core *core, struct event *wake)
{
	memset(rl, 0, sizeof(*rl));
	rl->core = core;
	rl->news.wake = wake;
	future_init(&rl->check);
}

/* Safe on a reload never set up (the master failed before). */
void
reload_free(struct reload *rl)
{
	if (rl->core == NULL)
		return;
	check_end(rl);
	future_free(&rl->check);
}

/* In the child: build the configuration as the master would. */
static void
check_child(int fd, void *arg)
{
	const struct reload *rl = arg;
	char err[CONF_ERR_MAX];
	struct conf next;
	ssize_t n;

	proctitle_set("forkline: config check");
	if (conf_build(rl->core->source, &next, err, sizeof(err)) == CONF_OK)
		_exit(0);
	n = write(fd, err, strlen(err));
	(void)n;
	_exit(EX_CONFIG);
}

int
reload_check_start(struct reload *rl, char *err, size_t errlen)
{
	const struct core *core = rl->core;
	struct future_spec spec = {
		.type = FUTURE_STRING,
		.max_output = CONF_ERR_MAX,
		.on_done = on_check_done,
		.arg = rl,
	};

	rl->queued = false;
	log_info("SIGHUP: checking configuration %s",
	    core->source->path != NULL ? core->source->path : "(no file: "
	    "defaults and command line)");
	if (future_spawn(&rl->check, &spec, check_child, rl) == -1) {
		snprintf(err, errlen, "cannot start the configuration check: "
		    "%s", strerror(errno));
		return -1;
	}
	rl->check_ev = event_new(core->base, rl->check.fd,
	    EV_READ | EV_PERSIST, on_check_pipe, rl);
	if (rl->check_ev == NULL || event_add(rl->check_ev, NULL) == -1)
		fatalx(EX_OSERR, "cannot watch the configuration check");
	return 0;
}

void
reload_queue(struct reload *rl, const char *why)
{
	if (!rl->queued)
		log_info("SIGHUP: %s; another follows when it ends",
		    why);
	rl->queued = true;
}

bool
reload_take_queued(struct reload *rl)
{
	bool queued = rl->queued;

	rl->queued = false;
	return queued;
}

static void
check_end(struct reload *rl)
{
	if (rl->check_ev != NULL) {
		event_free(rl->check_ev);
		rl->check_ev = NULL;
	}
}

static void
on_check_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct reload *rl = arg;

	(void)fd;
	(void)what;
	if (future_buffer(&rl->check) == FUTURE_AGAIN)
		return;
	check_end(rl);
}

/* A future that never ran has pid 0, which waitpid must never see. */
void
reload_reap(struct reload *rl)
{
	if (rl->check.pid > 0 && !rl->check.done)
		future_collect(&rl->check);
}

static void
on_check_done(struct future *f, const struct future_result *r, void *arg)
{
	struct reload *rl = arg;
	char how[128];

	check_end(rl);
	if (r->exited && r->code == 0) {
		future_free(f);
		news_post(&rl->news, RELOAD_NEWS_ACCEPTED);
		return;
	}
	if (r->exited && r->code == EX_CONFIG)
		snprintf(rl->why, sizeof(rl->why), "%s",
		    (const char *)future_output(f, NULL));
	else {
		future_describe(r, how, sizeof(how));
		snprintf(rl->why, sizeof(rl->why), "the configuration check "
		    "%s", how);
	}
	future_free(f);
	news_post(&rl->news, RELOAD_NEWS_REJECTED);
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

/* Build what the new configuration needs; -1 with err if it cannot. */
static int
prepare(struct core *core, struct conf *next, struct creds *creds,
    struct listener *set, int *n, char *err, size_t errlen)
{
	if (conf_build(core->source, next, err, errlen) != CONF_OK ||
	    creds_resolve(next, creds, err, errlen) == -1 ||
	    listeners_update(core, next, set, n, err, errlen) == -1)
		return -1;
	if (logfiles_open(core, next, creds, err, errlen) == -1) {
		close_missing(set, *n, core->listeners, core->nlisteners,
		    false);
		return -1;
	}
	return 0;
}

/*
 * New workers get the new listener set, but the old one is kept (prev_*)
 * until the new generation serves, so a reload that fails later can be
 * undone whole.
 */
int
reload_apply(struct reload *rl, struct core *core, char *err, size_t errlen)
{
	struct listener set[CONF_LISTEN_MAX];
	struct creds creds;
	struct conf next;
	int n;

	if (prepare(core, &next, &creds, set, &n, err, errlen) == -1)
		return -1;
	if (strcmp(next.admin_listen, core->conf.admin_listen) != 0)
		log_warnx("reload: [admin] listen changes only on a restart or "
		    "an upgrade; the admin endpoint stays on %s",
		    core->conf.admin_listen);
	memcpy(rl->prev_listeners, core->listeners, sizeof(core->listeners));
	rl->prev_nlisteners = core->nlisteners;
	rl->prev_conf = core->conf;
	rl->prev_creds = core->creds;
	core->creds = creds;
	memcpy(core->listeners, set, (size_t)n * sizeof(*set));
	core->nlisteners = n;
	memcpy(next.admin_listen, core->conf.admin_listen,
	    sizeof(next.admin_listen));
	core->conf = next;
	log_set_level(next.log_level);
	core->generation++;
	rl->deadline_ms = now_ms() + next.worker_timeout_ms;
	log_info("reload: configuration accepted; starting generation %u "
	    "with %d workers", core->generation, next.workers);
	return 0;
}

bool
reload_overdue(const struct reload *rl, int64_t now)
{
	return now >= rl->deadline_ms;
}

void
reload_commit(struct reload *rl, struct core *core)
{
	close_missing(rl->prev_listeners, rl->prev_nlisteners,
	    core->listeners, core->nlisteners, true);
	rl->prev_nlisteners = 0;
}

void
reload_undo(struct reload *rl, struct core *core)
{
	unsigned failed = core->generation;
	char err[CONF_ERR_MAX];

	log_errorx("reload: generation %u was not ready within %lld ms; "
	    "stopping it, generation %u keeps serving with the previous "
	    "configuration", failed, (long long)core->conf.worker_timeout_ms,
	    failed - 1);
	close_missing(core->listeners, core->nlisteners, rl->prev_listeners,
	    rl->prev_nlisteners, false);
	memcpy(core->listeners, rl->prev_listeners, sizeof(core->listeners));
	core->nlisteners = rl->prev_nlisteners;
	rl->prev_nlisteners = 0;
	core->conf = rl->prev_conf;
	core->creds = rl->prev_creds;
	if (logfiles_open(core, &core->conf, &core->creds, err,
	    sizeof(err)) == -1)
		log_errorx("reload: reopening the previous log files: %s", err);
	log_set_level(core->conf.log_level);
	core->generation = failed - 1;
}
