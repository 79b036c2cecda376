/*
 * upgrade: SIGUSR2, replacing the running binary without dropping a
 * connection.
 *
 * The old master forks a child (a future) that execs the binary on disk
 * with the same arguments, handing over the listening sockets as they are
 * (LISTEN_FDS: same sockets, no re-bind, no SO_REUSEPORT) and the write
 * end of the future's pipe (FORKLINE_UPGRADE_FD). The new master starts
 * its workers; when they are ready it announces MAINPID to the service
 * manager and writes "ready" on that pipe. Only then does the old master
 * drain its own workers and exit, leaving the sockets and the pid file to
 * the new one. If the new binary fails to start, or is not ready within
 * worker_timeout, the old master logs why and goes on serving.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/master.h"

#define READY_WORD	"ready\n"

static void	 upgrade_child(int, void *);
static void	 on_upgrade_pipe(evutil_socket_t, short, void *);
static void	 on_upgrade_done(struct future *, const struct future_result *,
		    void *);
static void	 on_upgrade_timeout(evutil_socket_t, short, void *);
static void	 upgrade_end(struct master *);
static bool	 ready_seen(struct master *);
static void	 upgrade_succeeded(struct master *);
static int	 move_fd(int, int);

/* Put fd at number to, without CLOEXEC. */
static int
move_fd(int fd, int to)
{
	if (fd == to)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, to);
}

/*
 * In the child: listeners to 3, 4, ... (first moved out of the way, since
 * their numbers may overlap the targets), the pipe after them, then exec.
 */
static void
upgrade_child(int pipe_fd, void *arg)
{
	struct master *m = arg;
	int high[CONF_LISTEN_MAX], i, n = m->nlisteners, base = 100;
	int admin_fd = -1;
	char buf[32];

	for (i = 0; i < n; i++)
		if ((high[i] = fcntl(m->listeners[i].fd, F_DUPFD_CLOEXEC,
		    base)) == -1)
			_exit(71);
	if ((pipe_fd = fcntl(pipe_fd, F_DUPFD_CLOEXEC, base)) == -1)
		_exit(71);
	if (m->admin.fd != -1 && (admin_fd = fcntl(m->admin.fd,
	    F_DUPFD_CLOEXEC, base)) == -1)
		_exit(71);
	for (i = 0; i < n; i++)
		if (move_fd(high[i], 3 + i) == -1)
			_exit(71);
	if (move_fd(pipe_fd, 3 + n) == -1)
		_exit(71);
	if (admin_fd != -1) {
		if (move_fd(admin_fd, 4 + n) == -1)
			_exit(71);
		snprintf(buf, sizeof(buf), "%d", 4 + n);
		setenv("FORKLINE_UPGRADE_ADMIN_FD", buf, 1);
	}
	snprintf(buf, sizeof(buf), "%d", n);
	setenv("LISTEN_FDS", buf, 1);
	snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	setenv("LISTEN_PID", buf, 1);
	unsetenv("LISTEN_FDNAMES");
	snprintf(buf, sizeof(buf), "%d", 3 + n);
	setenv("FORKLINE_UPGRADE_FD", buf, 1);
	snprintf(buf, sizeof(buf), "%ld", (long)m->pid);
	setenv("FORKLINE_UPGRADE_FROM", buf, 1);
	/* The arguments may hold paths relative to where we started (a
	 * daemon has since moved to /). */
	if (m->cwd != NULL && chdir(m->cwd) == -1)
		log_warn("upgrade: chdir %s", m->cwd);
	execv(m->exe, m->argv);
	log_error("upgrade: exec %s", m->exe);
	_exit(71);
}

void
upgrade_start(struct master *m)
{
	struct future_spec spec = {
		.type = FUTURE_STRING,
		.max_output = 64,
		.on_done = on_upgrade_done,
		.arg = m,
	};
	int keep[CONF_LISTEN_MAX + 1], i;
	struct timeval tv;

	if (m->state != MASTER_RUNNING || m->upgrading) {
		log_warnx("SIGUSR2: %s; ignored", m->upgrading ?
		    "an upgrade is already under way" : "stopping");
		return;
	}
	if (m->reloading || m->checking) {
		log_warnx("SIGUSR2: a reload is under way; try again after it");
		return;
	}
	for (i = 0; i < m->nlisteners; i++)
		keep[i] = m->listeners[i].fd;
	if (m->admin.fd != -1)
		keep[i++] = m->admin.fd;
	spec.keep_fds = keep;
	spec.nkeep = i;
	log_info("SIGUSR2: starting %s as the new master", m->exe);
	future_free(&m->upgrade);	/* what a failed attempt left */
	if (future_spawn(&m->upgrade, &spec, upgrade_child, m) == -1) {
		log_warn("upgrade: cannot start the new master");
		return;
	}
	m->upgrade_ev = event_new(m->base, m->upgrade.fd, EV_READ | EV_PERSIST,
	    on_upgrade_pipe, m);
	m->upgrade_timer = evtimer_new(m->base, on_upgrade_timeout, m);
	if (m->upgrade_ev == NULL || event_add(m->upgrade_ev, NULL) == -1 ||
	    m->upgrade_timer == NULL)
		fatalx(71, "cannot watch the upgrade");
	tv.tv_sec = m->conf.worker_timeout_ms / 1000;
	tv.tv_usec = (m->conf.worker_timeout_ms % 1000) * 1000;
	evtimer_add(m->upgrade_timer, &tv);
	m->upgrading = true;
}

static bool
ready_seen(struct master *m)
{
	return strstr(future_output(&m->upgrade, NULL), READY_WORD) != NULL;
}

static void
upgrade_succeeded(struct master *m)
{
	log_info("upgrade: new master (pid %ld) is serving; handing over",
	    (long)m->upgrade.pid);
	upgrade_end(m);
	master_handover(m);
}

/*
 * "ready" from the new master: hand over. A buffer step may complete the
 * future (on_upgrade_done then decides), so look only if it did not.
 */
static void
on_upgrade_pipe(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	enum future_io io;

	(void)fd;
	(void)what;
	io = future_buffer(&m->upgrade);
	if (!m->upgrading)
		return;
	if (ready_seen(m)) {
		upgrade_succeeded(m);
		return;
	}
	if (io != FUTURE_AGAIN && m->upgrade_ev != NULL) {
		event_free(m->upgrade_ev);
		m->upgrade_ev = NULL;
	}
}

/* The child has ended: it was ready first (a daemon's first process), or
 * it failed. Its buffer is freed later, outside this callback. */
static void
on_upgrade_done(struct future *f, const struct future_result *r, void *arg)
{
	struct master *m = arg;
	char how[128];

	(void)f;
	if (!m->upgrading)
		return;
	if (ready_seen(m)) {
		upgrade_succeeded(m);
		return;
	}
	future_describe(r, how, sizeof(how));
	log_errorx("upgrade failed: the new master %s before it was ready; "
	    "still serving", how);
	upgrade_end(m);
}

static void
on_upgrade_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;

	(void)fd;
	(void)what;
	log_errorx("upgrade failed: the new master was not ready within %lld "
	    "ms; stopping it, still serving",
	    (long long)m->conf.worker_timeout_ms);
	future_cancel(&m->upgrade, m->conf.grace_period_ms);
}

/* From SIGCHLD: the new master is our child until we leave. */
void
upgrade_reap(struct master *m)
{
	if (!m->upgrading || future_reap(&m->upgrade) != 1)
		return;
	if (!m->upgrade.done && future_buffer(&m->upgrade) != FUTURE_EOF)
		future_abandon_output(&m->upgrade);
}

void
upgrade_tick(struct master *m)
{
	if (m->upgrading)
		future_cancel_tick(&m->upgrade);
}

static void
upgrade_end(struct master *m)
{
	m->upgrading = false;
	if (m->upgrade_ev != NULL) {
		event_free(m->upgrade_ev);
		m->upgrade_ev = NULL;
	}
	if (m->upgrade_timer != NULL) {
		event_free(m->upgrade_timer);
		m->upgrade_timer = NULL;
	}
}

void
upgrade_free(struct master *m)
{
	upgrade_end(m);
	future_free(&m->upgrade);
}

/*
 * In a new master: are we one? (FORKLINE_UPGRADE_FROM names the old
 * master.) The variables are not passed on to our own children.
 */
void
upgrade_detect(struct master *m)
{
	const char *from = getenv("FORKLINE_UPGRADE_FROM");
	const char *fd = getenv("FORKLINE_UPGRADE_FD");

	m->upgrade_fd = -1;
	if (from == NULL || fd == NULL)
		return;
	m->upgrade_from = (pid_t)strtol(from, NULL, 10);
	m->upgrade_fd = (int)strtol(fd, NULL, 10);
	if (fcntl(m->upgrade_fd, F_SETFD, FD_CLOEXEC) == -1) {
		log_warn("upgrade: fd %d from the old master", m->upgrade_fd);
		m->upgrade_fd = -1;
	}
	unsetenv("FORKLINE_UPGRADE_FROM");
	unsetenv("FORKLINE_UPGRADE_FD");
}

/* In a new master, once its workers serve: tell the old one. */
void
upgrade_announce(struct master *m)
{
	ssize_t n;

	if (m->upgrade_fd == -1)
		return;
	n = write(m->upgrade_fd, READY_WORD, strlen(READY_WORD));
	if (n != (ssize_t)strlen(READY_WORD))
		log_warn("upgrade: telling the old master we are ready");
	close(m->upgrade_fd);
	m->upgrade_fd = -1;
}
