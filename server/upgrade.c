/*
 * upgrade: see upgrade.h.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/upgrade.h"

#define READY_WORD	"ready\n"
/* Before it, from a new master that took our connection channels: an
 * older forkline writes only READY_WORD, and would leave what we hand
 * over unread. */
#define SHARED_WORD	"channels\n"

struct handoff {
	const struct upgrade	*up;
	int			 admin_fd;
};

static void	 upgrade_child(int, void *);
static void	 on_upgrade_pipe(evutil_socket_t, short, void *);
static void	 on_upgrade_done(struct future *, const struct future_result *,
		    void *);
static void	 on_upgrade_timeout(evutil_socket_t, short, void *);
static void	 upgrade_end(struct upgrade *, unsigned);
static bool	 ready_seen(const struct upgrade *);
static int	 move_fd(int, int);
static void	 setenv_int(const char *, long);

/* Put fd at number to, without CLOEXEC. */
static int
move_fd(int fd, int to)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, to);
}

static void
setenv_int(const char *name, long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", value);
	setenv(name, buf, 1);
}

/*
 * In the child: listeners to 3, 4, ... (first moved out of the way, since
 * their numbers may overlap the targets), the pipe after them, then exec.
 */
static void
upgrade_child(int pipe_fd, void *arg)
{
	const struct handoff *h = arg;
	const struct upgrade *up = h->up;
	const struct core *core = up->core;
	int high[CONF_LISTEN_MAX], i, n = core->nlisteners, base = 100;
	int admin_fd = -1, ch[4], next;
	char chans[64];

	for (i = 0; i < n; i++)
		if ((high[i] = fcntl(core->listeners[i].fd, F_DUPFD_CLOEXEC,
		    base)) == -1)
			_exit(EX_OSERR);
	if ((pipe_fd = fcntl(pipe_fd, F_DUPFD_CLOEXEC, base)) == -1)
		_exit(EX_OSERR);
	if (h->admin_fd != -1 && (admin_fd = fcntl(h->admin_fd,
	    F_DUPFD_CLOEXEC, base)) == -1)
		_exit(EX_OSERR);
	ch[0] = core->intake[0];
	ch[1] = core->intake[1];
	ch[2] = core->dispatch[0];
	ch[3] = core->dispatch[1];
	for (i = 0; i < 4; i++)
		if ((ch[i] = fcntl(ch[i], F_DUPFD_CLOEXEC, base)) == -1)
			_exit(EX_OSERR);
	for (i = 0; i < n; i++)
		if (move_fd(high[i], 3 + i) == -1)
			_exit(EX_OSERR);
	if (move_fd(pipe_fd, 3 + n) == -1)
		_exit(EX_OSERR);
	if (admin_fd != -1) {
		if (move_fd(admin_fd, 4 + n) == -1)
			_exit(EX_OSERR);
		setenv_int("FORKLINE_UPGRADE_ADMIN_FD", 4 + n);
	}
	/* The connection channels, so that parked and drained connections
	 * pass to the new master's lobby and workers. */
	next = 5 + n;
	for (i = 0; i < 4; i++)
		if (move_fd(ch[i], next + i) == -1)
			_exit(EX_OSERR);
	snprintf(chans, sizeof(chans), "%d,%d,%d,%d", next, next + 1,
	    next + 2, next + 3);
	setenv("FORKLINE_UPGRADE_CHANNELS", chans, 1);
	setenv_int("LISTEN_FDS", n);
	setenv_int("LISTEN_PID", (long)getpid());
	unsetenv("LISTEN_FDNAMES");
	setenv_int("FORKLINE_UPGRADE_FD", 3 + n);
	setenv_int("FORKLINE_UPGRADE_FROM", (long)core->pid);
	/* The arguments may hold paths relative to where we started (a
	 * daemon has since moved to /). */
	if (up->cwd != NULL && chdir(up->cwd) == -1)
		log_warn("upgrade: chdir %s", up->cwd);
	execv(up->exe, up->argv);
	log_error("upgrade: exec %s", up->exe);
	_exit(EX_OSERR);
}

int
upgrade_start(struct upgrade *up, int admin_fd, char *err, size_t errlen)
{
	const struct core *core = up->core;
	struct handoff h = { up, admin_fd };
	struct future_spec spec = {
		.type = FUTURE_STRING,
		.max_output = 64,
		.on_done = on_upgrade_done,
		.arg = up,
	};
	int keep[CONF_LISTEN_MAX + 5], i;
	struct timeval tv;

	for (i = 0; i < core->nlisteners; i++)
		keep[i] = core->listeners[i].fd;
	if (admin_fd != -1)
		keep[i++] = admin_fd;
	keep[i++] = core->intake[0];
	keep[i++] = core->intake[1];
	keep[i++] = core->dispatch[0];
	keep[i++] = core->dispatch[1];
	spec.keep_fds = keep;
	spec.nkeep = i;
	log_info("SIGUSR2: starting %s as the new master", up->exe);
	future_free(&up->child);	/* what a failed attempt left */
	if (future_spawn(&up->child, &spec, upgrade_child, &h) == -1) {
		snprintf(err, errlen, "cannot start the new master: %s",
		    strerror(errno));
		return -1;
	}
	up->pipe_ev = event_new(core->base, up->child.fd, EV_READ | EV_PERSIST,
	    on_upgrade_pipe, up);
	up->timer = evtimer_new(core->base, on_upgrade_timeout, up);
	if (up->pipe_ev == NULL || event_add(up->pipe_ev, NULL) == -1 ||
	    up->timer == NULL)
		fatalx(EX_OSERR, "cannot watch the upgrade");
	tv.tv_sec = core->conf.worker_timeout_ms / 1000;
	tv.tv_usec = (core->conf.worker_timeout_ms % 1000) * 1000;
	evtimer_add(up->timer, &tv);
	up->in_flight = true;
	return 0;
}

static bool
ready_seen(const struct upgrade *up)
{
	return strstr(future_output(&up->child, NULL), READY_WORD) != NULL;
}

/*
 * "ready" from the new master: hand over. A buffer step may complete the
 * future (on_upgrade_done then decides), so look only if it did not.
 */
static void
on_upgrade_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct upgrade *up = arg;
	enum future_io io;

	(void)fd;
	(void)what;
	io = future_buffer(&up->child);
	if (!up->in_flight)
		return;
	if (ready_seen(up)) {
		log_info("upgrade: new master (pid %ld) is serving; handing "
		    "over", (long)up->child.pid);
		upgrade_end(up, UPGRADE_NEWS_READY);
		return;
	}
	if (io != FUTURE_AGAIN && up->pipe_ev != NULL) {
		event_free(up->pipe_ev);
		up->pipe_ev = NULL;
	}
}

/* The child has ended: it was ready first (a daemon's first process), or
 * it failed. Its buffer is freed later, outside this callback. */
static void
on_upgrade_done(struct future *f, const struct future_result *r, void *arg)
{
	struct upgrade *up = arg;
	char how[128];

	(void)f;
	if (!up->in_flight)
		return;
	if (ready_seen(up)) {
		log_info("upgrade: new master (pid %ld) is serving; handing "
		    "over", (long)up->child.pid);
		upgrade_end(up, UPGRADE_NEWS_READY);
		return;
	}
	future_describe(r, how, sizeof(how));
	log_errorx("upgrade failed: the new master %s before it was ready; "
	    "still serving", how);
	upgrade_end(up, UPGRADE_NEWS_FAILED);
}

static void
on_upgrade_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct upgrade *up = arg;

	(void)fd;
	(void)what;
	log_errorx("upgrade failed: the new master was not ready within %lld "
	    "ms; stopping it, still serving",
	    (long long)up->core->conf.worker_timeout_ms);
	future_cancel(&up->child, up->core->conf.grace_period_ms);
}

/* From SIGCHLD: the new master is our child until we leave. */
void
upgrade_reap(struct upgrade *up)
{
	if (up->in_flight)
		future_collect(&up->child);
}

void
upgrade_tick(struct upgrade *up)
{
	if (up->in_flight)
		future_cancel_tick(&up->child);
}

/* The attempt is decided (news, 0: none to give): stop watching it. */
static void
upgrade_end(struct upgrade *up, unsigned news)
{
	up->in_flight = false;
	if (up->pipe_ev != NULL) {
		event_free(up->pipe_ev);
		up->pipe_ev = NULL;
	}
	if (up->timer != NULL) {
		event_free(up->timer);
		up->timer = NULL;
	}
	if (news != 0)
		news_post(&up->news, news);
}

pid_t
upgrade_init(struct upgrade *up, const struct core *core, struct event *wake,
    const char *exe, char *const *argv, const char *cwd)
{
	const char *from = getenv("FORKLINE_UPGRADE_FROM");
	const char *fd = getenv("FORKLINE_UPGRADE_FD");
	pid_t old;

	memset(up, 0, sizeof(*up));
	up->core = core;
	up->news.wake = wake;
	up->exe = exe;
	up->argv = argv;
	up->cwd = cwd;
	up->announce_fd = -1;
	future_init(&up->child);
	if (from == NULL || fd == NULL)
		return 0;
	old = (pid_t)strtol(from, NULL, 10);
	up->announce_fd = (int)strtol(fd, NULL, 10);
	if (fcntl(up->announce_fd, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("upgrade: fd %d from the old master", up->announce_fd);
		up->announce_fd = -1;
	}
	unsetenv("FORKLINE_UPGRADE_FROM");
	unsetenv("FORKLINE_UPGRADE_FD");
	return old;
}

bool
upgrade_shares_channels(const struct upgrade *up)
{
	const char *out = future_output(&up->child, NULL);

	return out != NULL && strstr(out, SHARED_WORD) != NULL;
}

/* Safe on an upgrade never set up (the master failed before). */
void
upgrade_free(struct upgrade *up)
{
	if (up->core == NULL)
		return;
	upgrade_end(up, 0);
	future_free(&up->child);
	if (up->announce_fd != -1)
		close(up->announce_fd);
	up->announce_fd = -1;
}

void
upgrade_announce(struct upgrade *up)
{
	ssize_t n;
	const char *word = up->core->channels_adopted ? SHARED_WORD READY_WORD :
	    READY_WORD;

	if (up->announce_fd == -1)
		return;
	n = write(up->announce_fd, word, strlen(word));
	if (n != (ssize_t)strlen(word))
		log_warn("upgrade: telling the old master we are ready");
	close(up->announce_fd);
	up->announce_fd = -1;
}
