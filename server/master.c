/*
 * master: the event loop. Signals arrive as libevent events, so their
 * callbacks run in the loop and may fork, reap and log freely; health
 * reports arrive on the workers' pipes; a periodic tick restarts crashed
 * workers after their backoff, catches hung ones and sizes the pool.
 *
 * Stopping follows libdill's grace period: close the lifeline (every worker
 * sees EOF, finishes the request in hand, says goodbye and exits), wait up
 * to grace_period, then SIGKILL whatever is left. The master exits once the
 * last worker is reaped: no zombies, no orphans.
 */
#include <errno.h>
#include <sys/resource.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/daemon.h"
#include "server/master.h"

#define EXIT_OSERR		71
#define EXIT_CONFIG		78
#define EXIT_PIDFILE		73	/* EX_CANTCREAT */
/* Idle workers above max_spare must stay idle this long to be retired. */
#define IDLE_GRACE_MS		2000
#define TICK_DYNAMIC_MS		50
#define TICK_STATIC_MS		100

static void	 on_signal(evutil_socket_t, short, void *);
static void	 on_tick(evutil_socket_t, short, void *);
static void	 on_grace_timer(evutil_socket_t, short, void *);
static void	 stop_graceful(struct master *, const char *);
static void	 stop_now(struct master *, const char *);
static void	 close_lifeline(struct master *);
static void	 adjust_pool(struct master *, int);
static int	 add_signal(struct master *, int);
static int	 fd_limit_check(const struct conf *);
static int	 master_init(struct master *, const struct conf *,
		    const struct conf_source *, const char *, char *const *);
static void	 master_free(struct master *);

static const int handled_signals[] = {
	SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2,
	SIGTTIN, SIGTTOU,
};

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;

	(void)what;
	switch (sig) {
	case SIGCHLD:
		supervise_reap(m);
		break;
	case SIGTERM:
		stop_graceful(m, "SIGTERM");
		break;
	case SIGINT:
		/* A second Ctrl-C means "now". */
		if (m->state == MASTER_STOPPING)
			stop_now(m, "second SIGINT");
		else
			stop_graceful(m, "SIGINT");
		break;
	case SIGQUIT:
		stop_now(m, "SIGQUIT");
		break;
	case SIGHUP:
		reload_start(m);
		break;
	case SIGTTIN:
		adjust_pool(m, +1);
		break;
	case SIGTTOU:
		adjust_pool(m, -1);
		break;
	case SIGUSR1:
		logfiles_reopen(m);
		break;
	case SIGUSR2:
		upgrade_start(m);
		break;
	default:
		log_warnx("SIG%s received: not supported in this version; "
		    "ignored", sigabbrev_np((int)sig));
		break;
	}
}

/* TTIN/TTOU: static mode moves the pool size, dynamic the spare bounds. */
static void
adjust_pool(struct master *m, int step)
{
	const char *sig = step > 0 ? "SIGTTIN" : "SIGTTOU";

	if (m->state != MASTER_RUNNING)
		return;
	if (pool_adjust(&m->limits, step) == -1) {
		log_warnx("%s: the pool is already at its limit; ignored", sig);
		return;
	}
	if (m->limits.mode == CONF_POOL_STATIC)
		log_info("%s: pool size now %d", sig, m->limits.target);
	else
		log_info("%s: spare workers now %d..%d", sig,
		    m->limits.min_spare, m->limits.max_spare);
	supervise_pool_step(m);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	supervise_tick(arg);
}

static void
on_grace_timer(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;
	int n = supervise_alive(m);

	(void)fd;
	(void)what;
	log_warnx("grace period of %lld ms over: killing %d worker%s still "
	    "running", (long long)m->conf.grace_period_ms, n, n == 1 ? "" : "s");
	supervise_kill_all(m, SIGKILL);
}

/* Drop the lifeline's write end: EOF for every worker at once. */
static void
close_lifeline(struct master *m)
{
	if (m->lifeline[1] != -1) {
		close(m->lifeline[1]);
		m->lifeline[1] = -1;
	}
}

static void
stop_graceful(struct master *m, const char *why)
{
	struct timeval tv;

	if (m->state != MASTER_RUNNING)
		return;
	m->state = MASTER_STOPPING;
	log_info("%s: stopping gracefully (grace period %lld ms, %d "
	    "worker%s)", why, (long long)m->conf.grace_period_ms,
	    supervise_alive(m), supervise_alive(m) == 1 ? "" : "s");
	/*
	 * The lifeline's EOF wakes workers waiting in poll; SIGTERM is what
	 * interrupts one blocked reading an idle client (see worker/conn.h).
	 */
	supervise_kill_all(m, SIGTERM);
	close_lifeline(m);
	/* Stop accepting: once the workers close theirs too, new connections
	 * are refused rather than queued until the grace period ends. */
	listeners_close(m);
	tv.tv_sec = m->conf.grace_period_ms / 1000;
	tv.tv_usec = (m->conf.grace_period_ms % 1000) * 1000;
	evtimer_add(m->grace_timer, &tv);
	if (!m->handover)
		sd_stopping(m, m->conf.grace_period_ms);
	master_worker_gone(m);
}

/*
 * After a binary upgrade: the new master serves. Drain our workers like
 * a graceful stop, but say nothing to the service manager (the service is
 * not stopping) and leave unix socket files and the pid file in place.
 */
void
master_handover(struct master *m)
{
	m->handover = true;
	stop_graceful(m, "upgrade");
}

static void
stop_now(struct master *m, const char *why)
{
	if (m->state == MASTER_QUITTING)
		return;
	m->state = MASTER_QUITTING;
	log_info("%s: stopping now", why);
	sd_stopping(m, 0);
	evtimer_del(m->grace_timer);
	close_lifeline(m);
	supervise_kill_all(m, SIGKILL);
	master_worker_gone(m);
}

/*
 * No worker has been able to serve for fatal_after: give up with a status
 * of our own, so a service manager's restart policy takes over.
 */
void
master_fatal(struct master *m, int status, const char *why)
{
	if (m->state == MASTER_QUITTING)
		return;
	log_errorx("%s for %lld ms (fatal_after): exiting with status %d",
	    why, (long long)m->conf.fatal_after_ms, status);
	m->exit_status = status;
	stop_now(m, "fatal_after");
}

/* Dynamic pools are checked more often: they must react within 100 ms. */
void
master_arm_tick(struct master *m)
{
	int64_t ms = m->conf.pool_mode == CONF_POOL_DYNAMIC ?
	    TICK_DYNAMIC_MS : TICK_STATIC_MS;
	struct timeval tv = { 0, (suseconds_t)(ms * 1000) };

	evtimer_add(m->tick_timer, &tv);
}

/* While stopping: leave the loop once no worker is left. */
void
master_worker_gone(struct master *m)
{
	if (m->state != MASTER_RUNNING && supervise_alive(m) == 0)
		event_base_loopbreak(m->base);
}

static int
add_signal(struct master *m, int sig)
{
	struct event *ev;

	ev = evsignal_new(m->base, sig, on_signal, m);
	if (ev == NULL || evsignal_add(ev, NULL) == -1) {
		log_errorx("cannot install a handler for SIG%s",
		    sigabbrev_np(sig));
		if (ev != NULL)
			event_free(ev);
		return -1;
	}
	m->signals[m->nsignals++] = ev;
	return 0;
}

/*
 * The master holds two descriptors per worker (the health pipe and a
 * pidfd), four during a reload, when two generations overlap. Raise the
 * soft RLIMIT_NOFILE to the hard limit (the soft default, often 1024, is
 * for select(2) users; forkline never calls it), then refuse to start a
 * pool that cannot fit and warn about a max that would not fit a reload.
 */
#define FDS_PER_WORKER	2
#define FDS_SPARE	128	/* listeners, logs, admin clients, libevent */

static int
fd_limit_check(const struct conf *conf)
{
	struct rlimit rl;
	rlim_t start_needs, max_needs;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_error("getrlimit(RLIMIT_NOFILE)");
		return -1;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("raising the open file limit to %llu",
			    (unsigned long long)rl.rlim_max);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	start_needs = (rlim_t)conf->workers * FDS_PER_WORKER + FDS_SPARE;
	max_needs = (rlim_t)conf->max_workers * FDS_PER_WORKER * 2 +
	    FDS_SPARE;
	if (rl.rlim_cur < start_needs) {
		log_errorx("[workers] start = %d needs about %llu open files "
		    "in the master, but the limit is %llu: raise it "
		    "(ulimit -n, or LimitNOFILE= in the unit)", conf->workers,
		    (unsigned long long)start_needs,
		    (unsigned long long)rl.rlim_cur);
		return -1;
	}
	if (rl.rlim_cur < max_needs)
		log_warnx("[workers] max = %d may need %llu open files in the "
		    "master during a reload, but the limit is %llu",
		    conf->max_workers, (unsigned long long)max_needs,
		    (unsigned long long)rl.rlim_cur);
	return 0;
}

static int
master_init(struct master *m, const struct conf *conf,
    const struct conf_source *src, const char *exe, char *const *argv)
{
	char err[CONF_ERR_MAX];
	const char *cwd;
	bool live;
	size_t i;

	cwd = m->cwd;
	live = m->live;
	memset(m, 0, sizeof(*m));
	m->cwd = cwd;
	m->live = live;
	m->conf = *conf;
	m->source = src;
	m->exe = exe;
	m->argv = argv;
	m->pid = getpid();
	m->generation = 1;
	m->lifeline[0] = m->lifeline[1] = -1;
	m->access_fd = -1;
	m->pidfile_fd = -1;
	m->admin.fd = -1;
	m->started_ms = now_ms();
	future_init(&m->check);
	future_init(&m->upgrade);
	upgrade_detect(m);
	m->limits = (struct pool_limits){
		.mode = conf->pool_mode,
		.target = conf->workers,
		.min_spare = conf->min_spare,
		.max_spare = conf->max_spare,
		.max = conf->max_workers,
		.idle_grace_ms = IDLE_GRACE_MS,
	};
	/* The first pool starts at once; spawn_rate limits growth after. */
	m->spawn_tokens = conf->workers > conf->spawn_rate ? conf->workers :
	    conf->spawn_rate;
	m->tokens_at_ms = m->last_serving_ms = now_ms();
	signal(SIGPIPE, SIG_IGN);

	if ((m->base = event_base_new()) == NULL) {
		log_errorx("cannot create the event loop");
		return -1;
	}
	for (i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]);
	    i++)
		if (add_signal(m, handled_signals[i]) == -1)
			return -1;
	m->tick_timer = event_new(m->base, -1, EV_PERSIST, on_tick, m);
	m->grace_timer = evtimer_new(m->base, on_grace_timer, m);
	if (m->tick_timer == NULL || m->grace_timer == NULL) {
		log_errorx("cannot create timers");
		return -1;
	}
	master_arm_tick(m);
	if (pipe2(m->lifeline, O_CLOEXEC) == -1) {
		log_error("pipe2 for the lifeline");
		return -1;
	}
	if (creds_resolve(conf->user, conf->group, conf->allow_root, &m->creds,
	    err, sizeof(err)) == -1) {
		log_errorx("%s", err);
		m->exit_status = EXIT_CONFIG;
		return -1;
	}
	/*
	 * The log target first, so that start-up lines go where the rest
	 * will (with journal priorities); until start-up is over they are
	 * also copied to stderr, for the terminal.
	 */
	log_mirror_stderr(true);
	if (logfiles_open(m, conf, &m->creds) == -1)
		return -1;
	if (m->upgrade_from != 0)
		log_info("taking over from the old master (pid %ld)",
		    (long)m->upgrade_from);
	if (m->creds.switch_user)
		log_info("workers run as user %s (uid %ld, gid %ld)",
		    m->creds.user, (long)m->creds.uid, (long)m->creds.gid);
	/* The pid file first: a live master must not have its port probed. */
	if (conf->pid_file[0] != '\0' && (m->pidfile_fd = pidfile_acquire(
	    conf->pid_file, m->upgrade_from != 0, err, sizeof(err))) == -1) {
		log_errorx("%s", err);
		m->exit_status = EXIT_PIDFILE;
		return -1;
	}
	/* A reload does not move the pid file: it stays where it was made. */
	memcpy(m->pidfile_path, conf->pid_file, sizeof(m->pidfile_path));
	if (fd_limit_check(conf) == -1) {
		m->exit_status = EXIT_OSERR;
		return -1;
	}
	if (listeners_open(m) == -1)
		return -1;
	if (admin_open(m) == -1)
		return -1;
	if (supervise_init(m) == -1) {
		log_error("allocating %d worker slots", SLOTS_MAX);
		return -1;
	}
	if (sd_init(m) == -1) {
		log_errorx("cannot create the service manager timers");
		return -1;
	}

	return 0;
}

/* Tear down in the reverse order of master_init. */
static void
master_free(struct master *m)
{
	int i;

	sd_free(m);
	admin_close(m);
	upgrade_free(m);
	supervise_free(m);
	pidfile_release(m->pidfile_path, m->pidfile_fd);
	logfiles_close(m);
	listeners_close(m);
	close_lifeline(m);
	if (m->lifeline[0] != -1)
		close(m->lifeline[0]);
	if (m->check_ev != NULL)
		event_free(m->check_ev);
	future_free(&m->check);
	if (m->grace_timer != NULL)
		event_free(m->grace_timer);
	if (m->tick_timer != NULL)
		event_free(m->tick_timer);
	for (i = 0; i < m->nsignals; i++)
		event_free(m->signals[i]);
	if (m->base != NULL)
		event_base_free(m->base);
}

int
master_run(const struct conf *conf, const struct conf_source *src,
    const char *exe, char *const *argv, const char *cwd, bool live)
{
	static struct master m;
	int i, status;

	proctitle_set("forkline: master");
	m.cwd = cwd;
	m.live = live;
	if (master_init(&m, conf, src, exe, argv) == -1) {
		master_free(&m);
		status = m.exit_status != 0 ? m.exit_status : EXIT_OSERR;
		daemon_ready(status);
		return status;
	}
	log_info("forkline %s started: %s pool of %d worker%s, %s protocol",
	    FORKLINE_VERSION, conf_pool_mode_name(conf->pool_mode),
	    conf->workers, conf->workers == 1 ? "" : "s",
	    conf_protocol_name(conf->protocol));
	/* Detach before the first fork, so no worker keeps the caller's
	 * terminal or pipe open. */
	log_mirror_stderr(false);
	daemon_ready(0);
	for (i = 0; i < conf->workers; i++)
		supervise_spawn(&m);
	if (event_base_dispatch(m.base) == -1) {
		log_errorx("event loop failed");
		m.exit_status = EXIT_OSERR;
	}
	log_info("stopped");
	master_free(&m);
	return m.exit_status;
}
