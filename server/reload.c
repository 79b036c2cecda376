/*
 * reload: see reload.h. Listeners are shared by every generation, so no
 * connection is refused while one drains and the next starts.
 */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
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
static void	 check_timer_end(struct reload *);
static void	 on_check_timeout(evutil_socket_t, short, void *);
static void	 check_failure(struct reload *, const struct future_result *,
		    const char *, size_t);
static int	 write_all(int, const void *, size_t);
static void	 test_fault(void);
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
	check_timer_end(rl);
	reload_kill_check(rl);
	future_free(&rl->check);
}

/*
 * In the child: build the configuration as the master would and send it
 * back whole (struct conf holds no pointers), or the reason it failed.
 * The master never opens the file itself: a FIFO, or a file on a stalled
 * file system, can block only this child, which the deadline then kills.
 */
static void
check_child(int fd, void *arg)
{
	const struct reload *rl = arg;
	char err[CONF_ERR_MAX];
	struct conf next;

	/* Not a moment past the master, even if it is killed. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
	    getppid() != rl->core->pid)
		_exit(EX_OSERR);
	proctitle_set("forkline: config check");
	test_fault();
	if (conf_build(rl->core->source, &next, err, sizeof(err)) == CONF_OK)
		_exit(write_all(fd, &next, sizeof(next)) == 0 ? 0 : EX_OSERR);
	(void)write_all(fd, err, strlen(err));
	_exit(EX_CONFIG);
}

/*
 * Test-only: FORKLINE_TEST_FAULT=hang-config-check makes the check child
 * hang as on a file system that does not answer, for the deadline's test.
 */
static void
test_fault(void)
{
	const char *fault = getenv("FORKLINE_TEST_FAULT");

	if (fault != NULL && strcmp(fault, "hang-config-check") == 0)
		for (;;)
			pause();
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The check ran out of time: kill it; on_check_done says so. */
static void
on_check_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct reload *rl = arg;

	(void)fd;
	(void)what;
	rl->check_late = true;
	if (rl->check.pid > 0 && !rl->check.reaped)
		kill(rl->check.pid, SIGKILL);
}

int
reload_check_start(struct reload *rl, char *err, size_t errlen)
{
	const struct core *core = rl->core;
	struct future_spec spec = {
		.type = FUTURE_BYTES,
		.max_output = sizeof(struct conf) > CONF_ERR_MAX ?
		    sizeof(struct conf) : CONF_ERR_MAX,
		.on_done = on_check_done,
		.arg = rl,
	};
	int64_t limit = core->conf.worker_timeout_ms;
	struct timeval tv = { limit / 1000, (limit % 1000) * 1000 };

	rl->queued = false;
	rl->check_late = false;
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
	rl->check_timer = evtimer_new(core->base, on_check_timeout, rl);
	if (rl->check_ev == NULL || event_add(rl->check_ev, NULL) == -1 ||
	    rl->check_timer == NULL || evtimer_add(rl->check_timer, &tv) == -1)
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

/* The child is done: no deadline any more. */
static void
check_timer_end(struct reload *rl)
{
	if (rl->check_timer != NULL) {
		event_free(rl->check_timer);
		rl->check_timer = NULL;
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

/*
 * The master is leaving: a check still running goes with it (it would
 * otherwise be left to init, blocked on its file). Reaped if it dies
 * within a moment; PR_SET_PDEATHSIG covers the rest.
 */
void
reload_kill_check(struct reload *rl)
{
	int i;

	if (rl->check.pid <= 0 || rl->check.reaped)
		return;
	kill(rl->check.pid, SIGKILL);
	for (i = 0; i < 100 && waitpid(rl->check.pid, NULL, WNOHANG) == 0; i++)
		usleep(10000);
	rl->check.reaped = true;
}

/* A future that never ran has pid 0, which waitpid must never see. */
void
reload_reap(struct reload *rl)
{
	if (rl->check.pid > 0 && !rl->check.done)
		future_collect(&rl->check);
}

/* Why the check failed, from how it ended and what it wrote. */
static void
check_failure(struct reload *rl, const struct future_result *r,
    const char *out, size_t len)
{
	char how[128];

	if (rl->check_late)
		snprintf(rl->why, sizeof(rl->why), "the configuration check "
		    "did not finish within %lld ms (worker_timeout) and was "
		    "killed (is the file on a file system that does not "
		    "answer?)",
		    (long long)rl->core->conf.worker_timeout_ms);
	else if (r->exited && r->code == EX_CONFIG)
		snprintf(rl->why, sizeof(rl->why), "%.*s", (int)len, out);
	else if (r->exited && r->code == 0)
		snprintf(rl->why, sizeof(rl->why), "the configuration check "
		    "sent %zu bytes, not a configuration of %zu", len,
		    sizeof(struct conf));
	else {
		future_describe(r, how, sizeof(how));
		snprintf(rl->why, sizeof(rl->why), "the configuration check "
		    "%s", how);
	}
}

static void
on_check_done(struct future *f, const struct future_result *r, void *arg)
{
	struct reload *rl = arg;
	size_t len;
	const char *out = future_output(f, &len);

	check_end(rl);
	check_timer_end(rl);
	if (!rl->check_late && r->exited && r->code == 0 &&
	    len == sizeof(rl->next) && !f->truncated) {
		memcpy(&rl->next, out, sizeof(rl->next));
		future_free(f);
		news_post(&rl->news, RELOAD_NEWS_ACCEPTED);
		return;
	}
	check_failure(rl, r, out, len);
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

/* Open what the new configuration needs; -1 with err if it cannot. */
static int
prepare(struct core *core, const struct conf *next, struct creds *creds,
    struct listener *set, int *n, char *err, size_t errlen)
{
	if (creds_resolve(next->user, next->group, next->allow_root, creds,
	    err, errlen) == -1 ||
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
	struct conf next = rl->next;
	struct creds creds;
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
