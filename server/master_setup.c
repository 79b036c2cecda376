/*
 * master_setup: building the master (the loop, its files, its modules, in
 * that order), running it, and tearing it down in the reverse order. The
 * events themselves are the hub's (master.c).
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/beats.h"
#include "common/board.h"
#include "common/idle.h"
#include "common/log.h"
#include "common/proc.h"
#include "server/daemon.h"
#include "server/hub.h"
#include "server/listeners.h"
#include "server/logfiles.h"
#include "server/master.h"

static int	 add_signal(struct master *, int);
static int	 fd_limit_check(const struct conf *, char *, size_t);
static int	 init_loop(struct master *);
static int	 init_files(struct master *);
static int	 init_modules(struct master *);
static int	 init_shared(struct master *);
static int	 init_faults(struct master *);
static int	 master_init(struct master *, const struct conf *,
		    const struct conf_source *, const char *, char *const *,
		    const char *, bool);
static void	 master_free(struct master *);

static const int handled_signals[] = {
	SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2,
	SIGTTIN, SIGTTOU,
};

static int
add_signal(struct master *m, int sig)
{
	struct event *ev;

	ev = evsignal_new(m->core.base, sig, hub_on_signal, m);
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
fd_limit_check(const struct conf *conf, char *err, size_t errlen)
{
	struct rlimit rl;
	rlim_t start_needs, max_needs;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errlen, "getrlimit(RLIMIT_NOFILE): %s",
		    strerror(errno));
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
		snprintf(err, errlen, "[workers] start = %d needs about %llu "
		    "open files in the master, but the limit is %llu: raise it "
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

static int	 adopt_channels(struct master *);

/* The loop, its signals and timers, and the lifeline. */
static int
init_loop(struct master *m)
{
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if ((m->core.base = event_base_new()) == NULL) {
		log_errorx("cannot create the event loop");
		return -1;
	}
	for (i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]);
	    i++)
		if (add_signal(m, handled_signals[i]) == -1)
			return -1;
	m->tick_timer = event_new(m->core.base, -1, EV_PERSIST, hub_on_tick, m);
	m->grace_timer = evtimer_new(m->core.base, hub_on_grace_timer, m);
	m->news_ev = event_new(m->core.base, -1, 0, hub_on_news, m);
	if (m->tick_timer == NULL || m->grace_timer == NULL ||
	    m->news_ev == NULL) {
		log_errorx("cannot create timers");
		return -1;
	}
	hub_arm_tick(m);
	if (pipe2(m->core.lifeline, O_CLOEXEC) == -1) {
		log_error("pipe2 for the lifeline");
		return -1;
	}
	if (adopt_channels(m) == 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    m->core.intake) == -1 || socketpair(AF_UNIX, SOCK_SEQPACKET |
	    SOCK_CLOEXEC, 0, m->core.dispatch) == -1) {
		log_error("socketpair for the connection channels");
		return -1;
	}
	return 0;
}

/*
 * After a binary upgrade: the old master's connection channels
 * (FORKLINE_UPGRADE_CHANNELS, set by its upgrade child), so that the
 * connections its lobby holds and its draining workers pass on come to
 * us. 0 when adopted; -1 (logged if something was wrong) to make new
 * ones.
 */
static int
adopt_channels(struct master *m)
{
	const char *env = getenv("FORKLINE_UPGRADE_CHANNELS");
	int fd[4], i, type, domain;
	socklen_t len;

	if (env == NULL)
		return -1;
	if (sscanf(env, "%d,%d,%d,%d", &fd[0], &fd[1], &fd[2], &fd[3]) != 4) {
		log_warnx("upgrade: FORKLINE_UPGRADE_CHANNELS='%s' is not four "
		    "fds; making new channels", env);
		unsetenv("FORKLINE_UPGRADE_CHANNELS");
		return -1;
	}
	unsetenv("FORKLINE_UPGRADE_CHANNELS");
	for (i = 0; i < 4; i++) {
		len = sizeof(type);
		if (getsockopt(fd[i], SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_SEQPACKET || getsockopt(fd[i], SOL_SOCKET,
		    SO_DOMAIN, &domain, &len) == -1 || domain != AF_UNIX ||
		    fcntl(fd[i], F_SETFD, FD_CLOEXEC) == -1) {
			log_warnx("upgrade: fd %d from the old master is not a "
			    "connection channel; making new channels", fd[i]);
			return -1;
		}
	}
	m->core.intake[0] = fd[0];
	m->core.intake[1] = fd[1];
	m->core.dispatch[0] = fd[2];
	m->core.dispatch[1] = fd[3];
	m->core.channels_adopted = true;
	log_info("upgrade: sharing the old master's connection channels");
	return 0;
}

/* Who the workers run as, the log files and the pid file. */
static int
init_files(struct master *m)
{
	const struct conf *conf = &m->core.conf;
	struct creds *creds = &m->core.creds;
	char err[CONF_ERR_MAX];

	if (creds_resolve(conf->user, conf->group, conf->allow_root, creds,
	    err, sizeof(err)) == -1) {
		log_errorx("%s", err);
		m->exit_status = EX_CONFIG;
		return -1;
	}
	/*
	 * The log target first, so that start-up lines go where the rest
	 * will (with journal priorities); until start-up is over they are
	 * also copied to stderr, for the terminal.
	 */
	log_mirror_stderr(true);
	if (logfiles_open(&m->core, conf, creds, err, sizeof(err)) == -1) {
		log_errorx("%s", err);
		return -1;
	}
	if (m->core.upgrade_from != 0)
		log_info("taking over from the old master (pid %ld)",
		    (long)m->core.upgrade_from);
	if (creds->switch_user)
		log_info("workers run as user %s (uid %ld, gid %ld)",
		    creds->user, (long)creds->uid, (long)creds->gid);
	/* The pid file first: a live master must not have its port probed. */
	if (conf->pid_file[0] != '\0' && (m->pidfile_fd = pidfile_acquire(
	    conf->pid_file, m->core.upgrade_from != 0, err,
	    sizeof(err))) == -1) {
		log_errorx("%s", err);
		m->exit_status = EX_CANTCREAT;
		return -1;
	}
	/* A reload does not move the pid file: it stays where it was made. */
	memcpy(m->pidfile_path, conf->pid_file, sizeof(m->pidfile_path));
	return 0;
}

/* The sockets and the modules that serve with them. */
static int
init_modules(struct master *m)
{
	char err[CONF_ERR_MAX];

	if (fd_limit_check(&m->core.conf, err, sizeof(err)) == -1) {
		log_errorx("%s", err);
		m->exit_status = EX_OSERR;
		return -1;
	}
	if (listeners_open(&m->core, err, sizeof(err)) == -1 ||
	    admin_open(&m->admin, &m->core, &m->sup, err, sizeof(err)) == -1) {
		log_errorx("%s", err);
		return -1;
	}
	if (supervise_init(&m->sup, &m->core, m->news_ev) == -1) {
		log_error("allocating %d worker slots", SLOTS_MAX);
		return -1;
	}
	reload_init(&m->reload, &m->core, m->news_ev);
	parking_init(&m->parking, &m->core);
	if (sd_init(&m->sd, &m->core, &m->sup, m->live) == -1) {
		log_errorx("cannot create the service manager timers");
		return -1;
	}
	/* After their set-up, which clears them. */
	m->admin.parking = m->sd.parking = &m->parking;
	return 0;
}

/* The memory every worker shares with the master, one slot per worker:
 * who is idle (common/idle.h) and the heartbeats (common/beats.h). */
static int
init_shared(struct master *m)
{
	if ((m->core.idle = idle_create(SLOTS_MAX + 1)) == NULL) {
		log_error("mapping the shared count of idle workers");
		return -1;
	}
	if ((m->core.beats = beats_create(SLOTS_MAX + 1)) == NULL) {
		log_error("mapping the shared page of heartbeats");
		return -1;
	}
	return 0;
}

/*
 * The board workers read [faults] from, and the seed used while the key
 * is 0: chosen once, so that it holds across reloads and can be read
 * from the log to repeat a run.
 */
static int
init_faults(struct master *m)
{
	uint32_t r;

	if ((m->core.board = board_create()) == NULL) {
		log_error("mapping the shared page for [faults]");
		return -1;
	}
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)now_us() ^ (uint32_t)getpid();
	m->core.seed_chosen = (int)(r % INT_MAX) + 1;
	hub_publish_faults(m);
	return 0;
}

/* Tear down in the reverse order of master_run's set-up. */
static void
master_free(struct master *m)
{
	int i;

	board_destroy(m->core.board);
	beats_destroy(m->core.beats);
	idle_destroy(m->core.idle);
	parking_free(&m->parking);
	sd_free(&m->sd);
	reload_free(&m->reload);
	supervise_free(&m->sup);
	admin_close(&m->admin);
	upgrade_free(&m->upgrade);
	pidfile_release(m->pidfile_path, m->pidfile_fd);
	logfiles_close(&m->core);
	listeners_close(&m->core);
	hub_close_lifeline(m);
	if (m->core.lifeline[0] != -1)
		close(m->core.lifeline[0]);
	for (i = 0; i < 2; i++) {
		if (m->core.intake[i] != -1)
			close(m->core.intake[i]);
		if (m->core.dispatch[i] != -1)
			close(m->core.dispatch[i]);
	}
	if (m->news_ev != NULL)
		event_free(m->news_ev);
	if (m->grace_timer != NULL)
		event_free(m->grace_timer);
	if (m->tick_timer != NULL)
		event_free(m->tick_timer);
	for (i = 0; i < m->nsignals; i++)
		event_free(m->signals[i]);
	if (m->core.base != NULL)
		event_base_free(m->core.base);
}

static int
master_init(struct master *m, const struct conf *conf,
    const struct conf_source *src, const char *exe, char *const *argv,
    const char *cwd, bool live)
{
	m->core.conf = *conf;
	m->core.source = src;
	m->core.pid = getpid();
	m->core.generation = 1;
	m->core.started_ms = now_ms();
	m->core.lifeline[0] = m->core.lifeline[1] = -1;
	m->core.intake[0] = m->core.intake[1] = -1;
	m->core.dispatch[0] = m->core.dispatch[1] = -1;
	m->core.access_fd = -1;
	m->pidfile_fd = -1;
	m->admin.sock.fd = -1;
	m->live = live;
	if (init_loop(m) == -1)
		return -1;
	m->core.upgrade_from = upgrade_init(&m->upgrade, &m->core,
	    m->news_ev, exe, argv, cwd);
	if (init_files(m) == -1 || init_modules(m) == -1 ||
	    init_shared(m) == -1 || init_faults(m) == -1)
		return -1;
	return 0;
}

int
master_run(const struct conf *conf, const struct conf_source *src,
    const char *exe, char *const *argv, const char *cwd, bool live)
{
	static struct master m;
	int i, status;

	proctitle_set("forkline: master");
	if (master_init(&m, conf, src, exe, argv, cwd, live) == -1) {
		master_free(&m);
		status = m.exit_status != 0 ? m.exit_status : EX_OSERR;
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
	parking_start(&m.parking);
	for (i = 0; i < conf->workers; i++)
		supervise_spawn(&m.sup);
	if (event_base_dispatch(m.core.base) == -1) {
		log_errorx("event loop failed");
		m.exit_status = EX_OSERR;
	}
	log_info("stopped");
	master_free(&m);
	return m.exit_status;
}
