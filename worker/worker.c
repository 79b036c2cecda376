/*
 * worker: the accept loop of one worker process. See worker.h.
 *
 * The worker waits in epoll_pwait on every listener (EPOLLEXCLUSIVE, so one
 * connection wakes one worker, not the whole pool) and on the lifeline. It
 * accepts one connection, serves it to the end, and waits again. SIGTERM
 * only sets the stop flag (worker/stop.h), which is checked between
 * requests: the request in hand is always finished.
 */
#include <errno.h>
#include <fcntl.h>
#include <execinfo.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/access.h"
#include "common/handoff.h"
#include "common/log.h"
#include "common/proc.h"
#include "worker/conn.h"
#include "worker/inject.h"
#include "worker/proto.h"
#include "worker/report.h"
#include "worker/stats.h"
#include "worker/stop.h"
#include "worker/worker.h"

/* How long to stop accepting after running out of fds or memory. */
#define ACCEPT_PAUSE_MS		250

/*
 * With parking on and no worker idle, the recv slice: a client quiet this
 * long is parked at once if another client waits for a worker (conn.h).
 */
#define PARK_EARLY_MS		5

/* This process: what it was given, what it has done, how it waits. */
struct worker {
	const struct worker_env	*env;		/* &env_here */
	struct worker_stats	 stats;
	struct worker_env	 env_here;	/* the master's, copied next to
						 * what a request touches */
	sigset_t		 wait_mask;	/* mask while in a wait */
	int64_t			 slice_long_ms;	/* recv slices (conn.h) */
	int64_t			 slice_short_ms;
	uint64_t		 recycle_after;	/* requests; 0 = never */
	int			 demand[CONN_DEMAND_MAX];	/* see conn.h */
	int			 ndemand;
};

static volatile sig_atomic_t	 reopen_logs;
static int			 access_fd = -1;
static struct worker		 self;

/*
 * The connection's output buffer, and the partial request of a connection
 * taken from the dispatch channel. Allocated once at start rather than
 * static: 80 KiB of buffers in .bss would spread the small state every
 * request touches (self, the protocol's, the report's) over pages of its
 * own, and a worker woken among hundreds of others finds every page cold.
 */
struct worker_buffers {
	char	 out[CONN_OUT_CAP];
	char	 partial[HANDOFF_PARTIAL_MAX];
};
static struct worker_buffers	*buffers;

static void	 on_sigusr1(int);
static void	 reopen_log_files(void);
static void	 access_log(const struct conn *, enum proto_end, int64_t);
static void	 on_sigabrt(int);
static void	 test_fault(const struct worker_env *);
static void	 check_recycle(void);
static bool	 at_limit(void);
static void	 serve_queued_then_close(void);
static void	 close_listeners(void);
static void	 pass_woken_then_close(void);
static void	 setup_process(const struct worker_env *);
static void	 setup_signals(void);
static int	 setup_epoll(const struct worker_env *);
static void	 setup_listeners(const struct worker_env *);
static int	 accept_one(int);
static int	 take_one(void);
static void	 serve(int, const struct sockaddr_storage *, socklen_t,
		    const struct handoff *, const char *);
static void	 pause_accepting(int);

/*
 * Stopping: connections already in the accept queue were made before the
 * stop reached this worker; serve them (each gets the answers to what it
 * sent, then "BYE shutting down") rather than leave them to be reset when
 * the listeners close, which a client or a TCP load balancer could not
 * retry. At most a backlog's worth; then close this worker's copies, and
 * once every process has, the kernel refuses new connections.
 */
static void
serve_queued_then_close(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd, served = 0, progress = 1;

	while (progress && served < self.env->conf->backlog) {
		progress = 0;
		for (i = 0; i < self.env->nlisteners; i++) {
			len = sizeof(ss);
			fd = accept4(self.env->listeners[i],
			    (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
			if (fd == -1)
				continue;	/* EAGAIN: that queue is empty */
			serve(fd, &ss, len, NULL, NULL);
			served++;
			progress = 1;
		}
		/* Connections woken or passed on before the stop, likewise. */
		if (self.env->dispatch != -1 && take_one() == 1) {
			served++;
			progress = 1;
		}
	}
	close_listeners();
	if (served > 0)
		log_debug("served %d queued connection%s while stopping",
		    served, served == 1 ? "" : "s");
}

/*
 * Draining alone: the stop may have come as this worker was woken for a
 * connection or a dispatch message, and EPOLLEXCLUSIVE wakes no other
 * worker for it, so it would wait until the next one came. Take one of
 * each that is there: serve() answers what it has sent and hands it on
 * at once (this worker is stopping), which wakes another worker.
 */
static void
pass_woken_then_close(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int i, fd;

	if (self.env->dispatch != -1)
		take_one();
	for (i = 0; i < self.env->nlisteners; i++) {
		len = sizeof(ss);
		fd = accept4(self.env->listeners[i], (struct sockaddr *)&ss,
		    &len, SOCK_CLOEXEC);
		if (fd != -1)
			serve(fd, &ss, len, NULL, NULL);
	}
	close_listeners();
}

/*
 * Draining alone, this worker takes no more connections: the others
 * share the listeners and the dispatch channel.
 */
static void
close_listeners(void)
{
	int i;

	for (i = 0; i < self.env->nlisteners; i++)
		close(self.env->listeners[i]);
}

static void
on_sigusr1(int sig)
{
	(void)sig;
	reopen_logs = 1;
}

/*
 * SIGUSR1 from the master, which has already created the new files (owned
 * by this worker's user): reopen them by path. A failure keeps the old
 * file, which still works.
 */
static void
reopen_log_files(void)
{
	const char *path = self.env->conf->access_log;

	reopen_logs = 0;
	if (log_reopen() == -1)
		log_warn("reopening the log file");
	if (access_fd != -1 && log_reopen_at(access_fd, path) == -1)
		log_warn("reopening the access log %s", path);
}

/*
 * One line per connection, written with one write(2) to a file opened
 * with O_APPEND, so lines from all workers never mix. Nothing the client
 * sent goes into it, and the one thing it chose, a unix peer's path, is
 * escaped (net_format_peer): one connection is always one line.
 */
static void
access_log(const struct conn *c, enum proto_end end, int64_t duration_ms)
{
	char had[80];
	struct access_entry e = { .peer = c->peer, .pid = getpid(),
	    .worker = self.env->slot, .duration_ms = duration_ms,
	    .requests = self.stats.requests - c->requests_before,
	    .bytes_in = self.stats.bytes_in - c->bytes_in_before,
	    .bytes_out = self.stats.bytes_out - c->bytes_out_before,
	    .end = proto_end_name(end), .faults = had };

	if (access_fd == -1)
		return;
	e.started = (struct timespec){ .tv_sec = (time_t)c->started_sec,
	    .tv_nsec = (long)c->started_nsec };
	inject_describe(c, had, sizeof(had));
	access_write(access_fd, &e);
}

/*
 * Right after fork. future_spawn has already closed every fd this worker
 * has no business with (other workers' pipes, libevent's fds, the
 * lifeline's write end) and reset the master's signal handlers. Arrange to
 * hear of the master's death even if the lifeline were somehow kept open.
 */
static void
setup_process(const struct worker_env *env)
{
	char err[256];

	log_after_fork();
	log_set_role("worker %d", env->slot);
	if (creds_apply(env->creds, err, sizeof(err)) == -1)
		fatalx(EX_OSERR, "%s", err);
	access_fd = env->access_fd;
	proctitle_set("forkline: worker %d", env->slot);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != env->master)
		stop_request();	/* the master died before we got here */
	setup_signals();
	test_fault(env);
	if (env->conf->max_requests > 0)
		self.recycle_after = (uint64_t)env->conf->max_requests +
		    (env->conf->max_requests_jitter > 0 ? (uint64_t)(
		    (unsigned long)getpid() * 2654435761UL % (unsigned long)(
		    env->conf->max_requests_jitter + 1)) : 0);
}

/*
 * Test-only faults, for the integration tests: FORKLINE_TEST_FAULT=
 * crash-on-start makes every worker crash right away (the crash-loop
 * breaker), crash-on-reload only those of generation 2 and later (a
 * reload whose workers never become ready). Core dumps are switched off
 * first so a test cannot fill a disk.
 */
static void
test_fault(const struct worker_env *env)
{
	const char *fault = getenv("FORKLINE_TEST_FAULT");
	struct rlimit no_core = { 0, 0 };

	if (fault == NULL)
		return;
	if (strcmp(fault, "crash-on-start") != 0 &&
	    (strcmp(fault, "crash-on-reload") != 0 || env->generation < 2))
		return;
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
}

/*
 * The master's soft stage for a hung worker. Say what we were doing, with
 * a backtrace, then die by the same signal. Logging is not async-signal-
 * safe in general, but this process is being put down either way and the
 * report is what the operator needs.
 */
static void
on_sigabrt(int sig)
{
	char request[STATS_NOTE_TEXT_MAX];
	void *frames[32];
	int n;

	if (self.stats.peer != NULL)
		log_errorx("hung: serving %s, request '%s' for %lld ms",
		    self.stats.peer, stats_request_text(&self.stats, request,
		    sizeof(request)),
		    (long long)(now_ms() - self.stats.request_started_ms));
	else
		log_errorx("hung: not serving a connection");
	n = backtrace(frames, 32);
	backtrace_symbols_fd(frames, n, log_fd() != -1 ? log_fd() :
	    STDERR_FILENO);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
setup_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	signals_ignore_terminal();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_sigusr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = stop_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_sigabrt;
	sigaction(SIGABRT, &sa, NULL);

	/*
	 * SIGTERM stays deliverable so that it interrupts the blocking read of
	 * a client (no SA_RESTART: the read returns EINTR). SIGUSR1 waits for
	 * the accept loop, where the logs can be reopened between connections:
	 * only its waits let it in (wait_mask). A connection's waits leave the
	 * mask alone, as its recv does, so they pass ppoll no mask; under
	 * valgrind 3.19 a signal landing as a ppoll with a mask started made
	 * the call fail with EFAULT, and a connection in the middle of a
	 * request was lost to it.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &self.wait_mask);
	sigdelset(&self.wait_mask, SIGUSR1);
}

/*
 * Options every client socket needs, set once on the shared listeners: on
 * Linux an accepted TCP socket inherits them, which saves two system calls
 * per connection. SO_RCVTIMEO is the recv slice (see conn.h): half a
 * heartbeat, so a worker blocked on an idle client still reports in time.
 * Unix-domain sockets inherit nothing; serve() sets the slice on those.
 * With parking on that long slice is at most park_after, and a short one,
 * PARK_EARLY_MS, is set on a client's socket while no worker is idle: a
 * client quiet that long is then watched in ppoll, so that it can be
 * parked when another client waits (conn.h, choose_slice in conn.c).
 */
static void
setup_listeners(const struct worker_env *env)
{
	int64_t slice = env->conf->heartbeat_interval_ms / 2;
	int64_t park_after = env->conf->park_after_ms;
	struct timeval tv;
	int i, on = 1, domain;
	socklen_t len;

	if (slice < 1)
		slice = 1;
	self.slice_long_ms = self.slice_short_ms = slice;
	if (park_after > 0 && env->intake != -1) {
		if (self.slice_long_ms > park_after)
			self.slice_long_ms = park_after;
		if (self.slice_short_ms > PARK_EARLY_MS)
			self.slice_short_ms = PARK_EARLY_MS;
	}
	slice = self.slice_long_ms;
	tv = (struct timeval){ .tv_sec = slice / 1000,
	    .tv_usec = (slice % 1000) * 1000 };
	for (i = 0; i < env->nlisteners; i++) {
		self.demand[self.ndemand++] = env->listeners[i];
		len = sizeof(domain);
		if (getsockopt(env->listeners[i], SOL_SOCKET, SO_DOMAIN,
		    &domain, &len) == -1)
			fatal(EX_OSERR, "getsockopt(listener fd %d, "
			    "SO_DOMAIN)", env->listeners[i]);
		if (setsockopt(env->listeners[i], SOL_SOCKET, SO_RCVTIMEO,
		    &tv, sizeof(tv)) == -1)
			fatal(EX_OSERR, "setsockopt(listener fd %d, "
			    "SO_RCVTIMEO)", env->listeners[i]);
		if (domain != AF_UNIX && setsockopt(env->listeners[i],
		    IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
			fatal(EX_OSERR, "setsockopt(listener fd %d, "
			    "TCP_NODELAY)", env->listeners[i]);
	}
	if (env->dispatch != -1)
		self.demand[self.ndemand++] = env->dispatch;
}

static int
setup_epoll(const struct worker_env *env)
{
	struct epoll_event ev;
	int ep, i;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal(EX_OSERR, "epoll_create1");
	for (i = 0; i < env->nlisteners; i++) {
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.fd = env->listeners[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, env->listeners[i], &ev) == -1)
			fatal(EX_OSERR, "epoll_ctl(listener fd %d)",
			    env->listeners[i]);
	}
	/* Handed-over connections, like a listener: one wakes one. */
	if (env->dispatch != -1) {
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.fd = env->dispatch;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, env->dispatch, &ev) == -1)
			fatal(EX_OSERR, "epoll_ctl(dispatch channel)");
	}
	ev.events = EPOLLIN;
	ev.data.fd = env->lifeline;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, env->lifeline, &ev) == -1)
		fatal(EX_OSERR, "epoll_ctl(lifeline)");
	return ep;
}

/*
 * Out of fds or memory: accepting again at once would spin, since the
 * connection stays queued and the listener stays readable. Wait on the
 * lifeline alone for a while instead.
 */
static void
pause_accepting(int ms)
{
	struct pollfd pfd = { .fd = stop_lifeline(), .events = POLLIN };
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	if (ppoll(&pfd, 1, &ts, &self.wait_mask) > 0)
		stop_check_lifeline(&pfd);
	report_tick();
}

/* Returns 0 when it served or lost a race, -1 when accepting must pause. */
static int
accept_one(int listener)
{
	static unsigned long failures;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	fd = accept4(listener, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd == -1) {
		switch (errno) {
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			if (failures++ == 0)
				log_warn("accept: pausing accepts, retrying "
				    "every %d ms", ACCEPT_PAUSE_MS);
			return -1;
		case EAGAIN:
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
		case EPERM:
			return 0;	/* another worker won, or the peer left */
		default:
			log_warn("accept");
			return -1;
		}
	}
	if (failures > 0) {
		log_info("accepting again after %lu failed attempts",
		    failures);
		failures = 0;
	}
	serve(fd, &ss, len, NULL, NULL);
	return 0;
}

/*
 * A connection on the dispatch channel: the lobby woke it, or a draining
 * worker passed it on. 1 when one was served; 0 when there was none
 * (another worker took it) or it was dropped.
 */
static int
take_one(void)
{
	char *partial = buffers->partial;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct handoff h;
	const char *why;
	int fd, r;

	r = handoff_recv(self.env->dispatch, &h, partial, &fd, &why);
	if (r == 0)
		return 0;
	if (r == -1) {
		if (errno == EBADMSG)
			log_warnx("dispatch channel: message dropped: %s", why);
		else
			log_warn("dispatch channel");
		self.stats.handoffs[HEALTH_HANDOFF_FAILED]++;
		return 0;
	}
	idle_taken(self.env->idle);
	self.stats.handoffs[HEALTH_HANDOFF_TAKEN]++;
	stats_note_handoff(&self.stats, now_us() - h.sent_us);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		log_warn("%s: getsockname of a connection handed over",
		    h.peer);
		close(fd);
		return 0;
	}
	serve(fd, &ss, len, &h, partial);
	return 1;
}

/*
 * Serve a connection to its end, or until it moves on. One accepted here
 * (h NULL) starts its totals; one handed over (h) goes on with its own,
 * its peer, start and idle deadline, and the partial request it carries.
 */
static void
serve(int fd, const struct sockaddr_storage *ss, socklen_t len,
    const struct handoff *h, const char *partial)
{
	struct conn c = { .fd = fd, .stats = &self.stats, .env = self.env,
	    .slice_long_ms = self.slice_long_ms,
	    .slice_short_ms = self.slice_short_ms,
	    .send_timeout_ms = self.env->conf->send_timeout_ms,
	    .out = buffers->out, .demand = self.demand, .ndemand = self.ndemand,
	    .recycle_after = self.recycle_after,
	    .park_after_ms = self.env->conf->park_after_ms,
	    .max_rss = self.env->conf->max_rss,
	    .arrived = h, .arrived_partial = partial };
	struct timespec ts;
	enum proto_end end;
	int64_t ended_ms;
	struct timeval slice = { .tv_sec = self.slice_long_ms / 1000,
	    .tv_usec = (self.slice_long_ms % 1000) * 1000 };

	if (h == NULL)
		net_format_peer((const struct sockaddr *)ss, len, c.peer,
		    sizeof(c.peer));
	else
		snprintf(c.peer, sizeof(c.peer), "%s", h->peer);
	if (ss->ss_family == AF_UNIX && setsockopt(fd, SOL_SOCKET,
	    SO_RCVTIMEO, &slice, sizeof(slice)) == -1) {
		log_warn("%s: setsockopt(SO_RCVTIMEO)", c.peer);
		close(fd);
		return;
	}
	/* The listener's long slice, inherited or set just now; a TCP
	 * socket from another process has what that one set last. */
	c.recv_slice_ms = h == NULL || ss->ss_family == AF_UNIX ?
	    self.slice_long_ms : -1;
	if (h == NULL) {
		clock_gettime(CLOCK_REALTIME, &ts);
		c.started_ms = now_ms();
		self.stats.connections++;
	} else {
		ts = (struct timespec){ .tv_sec = (time_t)h->started_sec,
		    .tv_nsec = (long)h->started_nsec };
		c.started_ms = h->started_ms;
		c.hops = h->hops;
	}
	c.started_sec = ts.tv_sec;
	c.started_nsec = ts.tv_nsec;
	/* Totals of a handed-over connection count from before it came. */
	c.requests_before = self.stats.requests - (h ? h->requests : 0);
	c.bytes_in_before = self.stats.bytes_in - (h ? h->bytes_in : 0);
	c.bytes_out_before = self.stats.bytes_out - (h ? h->bytes_out : 0);
	inject_begin(&c);
	self.stats.conn_started_ms = (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000;
	self.stats.peer = c.peer;
	stats_note_request(&self.stats, "(none yet)", strlen("(none yet)"),
	    now_ms());
	report_state(HEALTH_BUSY, now_ms());
	log_debug("%s: %s", c.peer, h == NULL ? "connected" : "handed over");
	if (self.env->conf->protocol == CONF_PROTO_ECHO)
		end = proto_echo_serve(&c);
	else
		end = proto_line_serve(&c);
	if (end == PROTO_END_HANDED)
		log_debug("%s: handed over", c.peer);
	else
		log_debug("%s: closed: %s", c.peer, proto_end_name(end));
	ended_ms = now_ms();
	if (c.fd != -1) {
		close(c.fd);
		access_log(&c, end, ended_ms - c.started_ms);
	}
	self.stats.peer = NULL;
	self.stats.conn_started_ms = 0;
	check_recycle();
	report_state(stop_requested() ? HEALTH_DRAINING : HEALTH_IDLE,
	    ended_ms);
}

/* Past max_requests or max_rss (as of the last report), with connections
 * able to move (handover.h). */
static bool
at_limit(void)
{
	size_t max_rss = self.env->conf->max_rss;

	/* Over max_rss, after one request at least: a worker that starts
	 * over it still serves before it is replaced. */
	return self.env->pass != -1 && ((self.recycle_after > 0 &&
	    self.stats.requests >= self.recycle_after) || (max_rss > 0 &&
	    self.stats.requests > 0 && report_max_rss_kb() * 1024 > max_rss));
}

/*
 * Past max_requests (plus this worker's jitter) or max_rss, ask the master
 * for a replacement. The worker keeps serving until the master, once the
 * replacement is ready, tells it to stop: capacity never dips.
 */
static void
check_recycle(void)
{
	const struct conf *conf = self.env->conf;
	struct rusage ru;

	if (self.recycle_after > 0 && self.stats.requests >= self.recycle_after)
		report_set_flags(HEALTH_WANTS_RECYCLE);
	if (conf->max_rss > 0 && getrusage(RUSAGE_SELF, &ru) == 0 &&
	    (uint64_t)ru.ru_maxrss * 1024 > conf->max_rss)
		report_set_flags(HEALTH_WANTS_RECYCLE);
}

void
worker_main(const struct worker_env *env)
{
	struct epoll_event events[CONF_LISTEN_MAX + 1];
	int ep, n, i, pause = 0;

	self.env_here = *env;
	self.env = &self.env_here;
	stop_init(env->lifeline);
	setup_process(env);
	if (proto_init(env->conf) == -1 ||
	    (buffers = malloc(sizeof(*buffers))) == NULL)
		fatal(EX_OSERR, "allocating connection buffers");
	ep = setup_epoll(env);
	setup_listeners(env);
	report_init(env, &self.stats);
	report_state(HEALTH_IDLE, now_ms());
	log_debug("serving");

	while (!stop_requested()) {
		if (reopen_logs)
			reopen_log_files();
		if (pause) {
			pause_accepting(ACCEPT_PAUSE_MS);
			pause = 0;
			continue;
		}
		/*
		 * At max_requests its connections moved on; it takes no more
		 * and waits for the master to stop it once its replacement
		 * serves.
		 */
		if (at_limit()) {
			check_recycle();	/* asked once, then no-op */
			pause_accepting(ACCEPT_PAUSE_MS);
			continue;
		}
		report_tick();
		idle_enter(env->idle, (size_t)env->slot);
		n = epoll_pwait(ep, events, CONF_LISTEN_MAX + 1,
		    (int)report_due_in(), &self.wait_mask);
		idle_leave(env->idle, (size_t)env->slot);
		if (n == -1) {
			if (errno != EINTR)
				fatal(EX_OSERR, "epoll_pwait");
			continue;
		}
		/* The lifeline first: a stop outranks new connections. */
		for (i = 0; i < n; i++)
			if (events[i].data.fd == env->lifeline)
				stop_request();
		for (i = 0; i < n && !stop_requested(); i++)
			if (events[i].data.fd == env->dispatch)
				take_one();
			else if (accept_one(events[i].data.fd) == -1) {
				pause = 1;
				break;
			}
	}
	report_state(HEALTH_DRAINING, now_ms());
	if (stop_final())
		serve_queued_then_close();
	else
		pass_woken_then_close();
	log_debug("stopping after %llu connections",
	    (unsigned long long)self.stats.connections);
	exit(0);
}
