/*
 * lobby: see lobby.h.
 *
 * One epoll set holds the lifeline, the intake, the dispatch channel
 * (only while a woken connection waits for room on it) and every parked
 * socket (EPOLLONESHOT: the lobby never reads a client, it only learns
 * that there is something to read). The wait's timeout is whichever comes
 * first of the earliest idle deadline (lobby/parked.h keeps them in a
 * heap) and the next report; nothing here polls.
 *
 * SIGTERM is blocked but for the wait itself (epoll_pwait), so the stop
 * flag is always seen between two waits and never lost in a race.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/access.h"
#include "common/handoff.h"
#include "common/idle.h"
#include "common/health.h"
#include "common/log.h"
#include "common/proc.h"
#include "lobby/lobby.h"
#include "lobby/parked.h"

#define NOFILE_RESERVE		64	/* fds kept for everything but clients */
#define PARKED_MIN		16
#define REPORT_COALESCE_MS	100	/* changes are reported at most this often */
#define INTAKE_PAUSE_MS		100	/* after a receive error that may repeat */
#define INTAKE_BATCH		64	/* messages per wake-up, for fairness */
#define MALFORMED_WARN_MS	1000	/* at most one such warning a second */
#define EVENTS_MAX		256

/* epoll tags of the channels; a parked socket's tag is its table index. */
#define TAG_INTAKE		((uint64_t)PARKED_NONE + 1)
#define TAG_LIFELINE		((uint64_t)PARKED_NONE + 2)
#define TAG_DISPATCH		((uint64_t)PARKED_NONE + 3)

/* What passing a connection to the dispatch channel came to. */
enum pass {
	PASS_SENT,		/* a worker will take it: close our copy */
	PASS_FULL,		/* no room now: keep it and wait */
	PASS_FAILED,		/* no worker side, or refused: logged */
};

struct lobby {
	const struct lobby_env	*env;
	struct parked_table	 table;
	struct lobby_report	 report;
	sigset_t		 wait_mask;	/* mask while in the wait */
	pid_t			 pid;
	int			 ep;
	bool			 intake_on;	/* in the epoll set */
	bool			 intake_dead;	/* every sender has closed it */
	bool			 dispatch_on;
	int64_t			 intake_paused_until;
	bool			 changed;	/* since the last report */
	int64_t			 report_sent_ms;
	int64_t			 heartbeat_ms;
	unsigned long		 reports_dropped;
	int64_t			 malformed_warned_ms;
	unsigned long		 malformed_quiet;	/* since that warning */
};

/* After an upgrade, how long parked connections may wait for room in the
 * new lobby's intake before they get their goodbye. */
#define FORWARD_MS	5000

/* How often the dispatch channel's waiting count is checked (idle.h). */
#define RESYNC_MS	100

static volatile sig_atomic_t	 stop_flag;
static volatile sig_atomic_t	 reopen_flag;
static volatile sig_atomic_t	 handover_flag;	/* SIGUSR2 */
static struct lobby		 self;
/* A handed-over request's bytes. Allocated, not static: in .bss it would
 * sit between the workers' statics, which share this binary. */
static unsigned char		*partial;

static void	 on_sigterm(int);
static void	 setup_process(const struct lobby_env *);
static void	 setup_signals(void);
static size_t	 setup_limits(const struct lobby_env *);
static void	 setup_epoll(void);
static void	 watch(int, uint64_t, uint32_t, bool);
static void	 intake_update(int64_t);
static void	 dispatch_update(void);
static void	 on_event(const struct epoll_event *);
static void	 on_intake(uint32_t);
static void	 warn_malformed(const char *);
static void	 take_in(int, struct handoff *);
static void	 pass_partial(int, struct handoff *);
static void	 on_parked(uint32_t);
static void	 flush_wake(void);
static enum pass pass_on(int, struct handoff *, const void *);
static void	 unwatch_parked(const struct parked_entry *);
static void	 expire(int64_t);
static void	 goodbye(int, struct handoff *, const char *, bool);
static void	 access_log(const struct handoff *, const char *);
static int	 wait_ms(int64_t);
static int64_t	 report_due(void);
static void	 report_send(int64_t);
static void	 report_tick(int64_t);
static void	 resync_queued(int64_t);
static void	 changed(uint64_t *);
static noreturn void lobby_stop(void);
static void	 on_sigusr1(int);
static void	 on_sigusr2(int);
static bool	 forward(struct parked_entry *, int64_t);
static void	 reopen_log_files(void);
static void	 stop_drain_intake(void);

noreturn void
lobby_main(const struct lobby_env *env)
{
	struct epoll_event evs[EVENTS_MAX];
	size_t max;
	int64_t now;
	int i, n;

	setup_process(env);
	if (stop_flag)
		exit(0);	/* the master died before we got here */
	setup_signals();
	max = setup_limits(env);
	if (parked_init(&self.table, max) == -1)
		fatal(EX_OSERR, "a table for %zu parked connections", max);
	if ((partial = malloc(HANDOFF_PARTIAL_MAX)) == NULL)
		fatal(EX_OSERR, "a buffer for handed-over requests");
	setup_epoll();
	self.report.ready = 1;
	report_send(now_ms());
	log_debug("ready, holding up to %zu connections", max);
	while (!stop_flag) {
		if (reopen_flag)
			reopen_log_files();
		now = now_ms();
		intake_update(now);
		n = epoll_pwait(self.ep, evs, EVENTS_MAX, wait_ms(now),
		    &self.wait_mask);
		if (n == -1 && errno != EINTR)
			fatal(EX_OSERR, "epoll_pwait");
		for (i = 0; i < n && !stop_flag; i++)
			on_event(&evs[i]);
		now = now_ms();
		expire(now);
		report_tick(now);
		idle_set_parked(self.env->idle, (int32_t)self.table.used);
	}
	lobby_stop();
}

static void
on_sigterm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* SIGUSR2: a new master serves; its lobby takes what we hold. */
static void
on_sigusr2(int sig)
{
	(void)sig;
	handover_flag = 1;
	stop_flag = 1;
}

static void
on_sigusr1(int sig)
{
	(void)sig;
	reopen_flag = 1;
}

/*
 * SIGUSR1 from the master, which has already made the new files: reopen
 * them by path, like a worker. A failure keeps the old file, which works.
 */
static void
reopen_log_files(void)
{
	const char *path = self.env->access_log;

	reopen_flag = 0;
	if (log_reopen() == -1)
		log_warn("reopening the log file");
	if (self.env->access_fd != -1 && path != NULL &&
	    log_reopen_at(self.env->access_fd, path) == -1)
		log_warn("reopening the access log %s", path);
}

/*
 * Right after fork, as a worker does (worker/worker.c): the master has
 * closed what is not ours and reset its signal handlers.
 */
static void
setup_process(const struct lobby_env *env)
{
	char err[256];

	self.env = env;
	self.pid = getpid();
	self.ep = -1;
	log_after_fork();
	log_set_role("lobby");
	/* The name tools (and the tests) tell the lobby from workers by:
	 * early, as until then it passes for one. */
	if (prctl(PR_SET_NAME, "forkline-lobby") == -1)
		log_warn("prctl(PR_SET_NAME)");
	if (creds_apply(env->creds, err, sizeof(err)) == -1)
		fatalx(EX_OSERR, "%s", err);
	proctitle_set("forkline: lobby");
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		log_warn("prctl(PR_SET_PDEATHSIG)");
	if (getppid() != env->master)
		stop_flag = 1;
	self.heartbeat_ms = env->heartbeat_ms > 0 ? env->heartbeat_ms : 1000;
	self.malformed_warned_ms = now_ms() - MALFORMED_WARN_MS;
	if (fcntl(env->report_fd, F_SETFL, O_NONBLOCK) == -1)
		log_warn("report pipe: fcntl(O_NONBLOCK)");
	self.report.magic = LOBBY_MAGIC;
	self.report.pid = (uint32_t)self.pid;
}

/*
 * SIGTERM and SIGUSR1 (reopen the logs) are let in only in the wait,
 * where their flags are seen at once.
 */
static void
setup_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	signals_ignore_terminal();
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_sigusr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_sigterm;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_sigusr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, &self.wait_mask);
	sigdelset(&self.wait_mask, SIGTERM);
	sigdelset(&self.wait_mask, SIGUSR1);
	sigdelset(&self.wait_mask, SIGUSR2);
}

/*
 * Every parked connection is an fd, so the table is as large as the fd
 * limit allows, less a reserve for the channels, the logs and the
 * sockets in flight. A connection received beyond the limit would be
 * lost (the kernel closes an fd it cannot install), so a parked_max
 * above it is cut down to it.
 */
static size_t
setup_limits(const struct lobby_env *env)
{
	struct rlimit rl;
	rlim_t soft;
	size_t room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit(RLIMIT_NOFILE)");
		rl.rlim_cur = 1024;
	} else if (rl.rlim_cur < rl.rlim_max) {
		soft = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			log_warn("raising RLIMIT_NOFILE from %llu to %llu",
			    (unsigned long long)soft,
			    (unsigned long long)rl.rlim_max);
			rl.rlim_cur = soft;
		}
	}
	room = rl.rlim_cur > NOFILE_RESERVE + PARKED_MIN ?
	    (size_t)(rl.rlim_cur - NOFILE_RESERVE) : PARKED_MIN;
	if (room > PARKED_LIMIT)
		room = PARKED_LIMIT;
	if (env->parked_max == 0)
		return room;
	if (env->parked_max > room) {
		log_warnx("parked_max %zu is more than RLIMIT_NOFILE (%llu) "
		    "leaves room for: holding %zu", env->parked_max,
		    (unsigned long long)rl.rlim_cur, room);
		return room;
	}
	return env->parked_max;
}

static void
setup_epoll(void)
{
	if ((self.ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal(EX_OSERR, "epoll_create1");
	watch(self.env->lifeline, TAG_LIFELINE, EPOLLIN, true);
}

/* Add fd to the epoll set, or take it out; failing is fatal. */
static void
watch(int fd, uint64_t tag, uint32_t events, bool on)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	if (epoll_ctl(self.ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd,
	    &ev) == -1)
		fatal(EX_OSERR, "epoll_ctl(%s fd %d)",
		    tag == TAG_INTAKE ? "intake" : tag == TAG_DISPATCH ?
		    "dispatch" : "lifeline", fd);
}

/*
 * A full table stops reading the intake: the workers' sends then fail
 * with EAGAIN and they keep their connections, which bounds the lobby.
 * The intake is taken out of the set rather than left with no events,
 * since a hang-up would still be reported, again and again.
 */
static void
intake_update(int64_t now)
{
	bool want = !self.intake_dead && !parked_full(&self.table) &&
	    now >= self.intake_paused_until;

	if (want != self.intake_on) {
		watch(self.env->intake, TAG_INTAKE, EPOLLIN, want);
		self.intake_on = want;
	}
}

/* EPOLLOUT on dispatch only while someone waits: else it always fires. */
static void
dispatch_update(void)
{
	bool want = parked_wake_head(&self.table) != PARKED_NONE;

	if (want != self.dispatch_on) {
		watch(self.env->dispatch, TAG_DISPATCH, EPOLLOUT, want);
		self.dispatch_on = want;
	}
}

static void
on_event(const struct epoll_event *ev)
{
	switch (ev->data.u64) {
	case TAG_LIFELINE:
		stop_flag = 1;	/* the master writes nothing: EOF */
		break;
	case TAG_INTAKE:
		on_intake(ev->events);
		break;
	case TAG_DISPATCH:
		flush_wake();
		break;
	default:
		on_parked((uint32_t)ev->data.u64);
		break;
	}
}

/*
 * A hang-up means every sender has closed the other end: after that each
 * receive reads 0 bytes (handoff_recv: -1, EPIPE) and the socket stays
 * readable, so the intake is dropped rather than read forever.
 */
static void
on_intake(uint32_t events)
{
	struct handoff h;
	const char *why;
	int i, fd;

	if (events & EPOLLHUP) {
		log_warnx("intake: every sender has closed it; parking no "
		    "more connections");
		self.intake_dead = true;
		return;
	}
	for (i = 0; i < INTAKE_BATCH && !parked_full(&self.table); i++) {
		switch (handoff_recv(self.env->intake, &h, partial, &fd,
		    &why)) {
		case 0:
			return;
		case 1:
			take_in(fd, &h);
			break;
		default:
			if (errno == EBADMSG) {
				changed(&self.report.dropped);
				warn_malformed(why);
				break;
			}
			/* ENOBUFS, ENOMEM: may last; do not spin on it. */
			log_warn("intake: receiving");
			self.intake_paused_until = now_ms() + INTAKE_PAUSE_MS;
			return;
		}
	}
}

/* A broken sender could send many: one line a second, with a count. */
static void
warn_malformed(const char *why)
{
	int64_t now = now_ms();

	self.malformed_quiet++;
	if (now - self.malformed_warned_ms < MALFORMED_WARN_MS)
		return;
	log_warnx("intake: dropped %lu malformed message%s (the last: %s)",
	    self.malformed_quiet, self.malformed_quiet == 1 ? "" : "s", why);
	self.malformed_warned_ms = now;
	self.malformed_quiet = 0;
}

/* The caller has checked that the table has room. */
static void
take_in(int fd, struct handoff *h)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT };
	struct parked_entry *e;
	uint32_t i;

	changed(&self.report.received);
	if (h->partial_len > 0) {
		pass_partial(fd, h);
		return;
	}
	i = parked_add(&self.table, fd, h);
	e = parked_get(&self.table, i);
	ev.data.u64 = i;
	if (epoll_ctl(self.ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_warn("%s: epoll_ctl(EPOLL_CTL_ADD)", e->h.peer);
		changed(&self.report.dropped);
		goodbye(fd, &e->h, "handoff failed", false);
		parked_release(&self.table, i);
	}
}

/*
 * A connection with part of a request already read: the lobby has no
 * room for the bytes, and the client is waiting for an answer, so it goes
 * straight on to a worker, or is closed.
 */
static void
pass_partial(int fd, struct handoff *h)
{
	h->reason = HANDOFF_WAKE;
	if (h->hops < UINT16_MAX)
		h->hops++;
	switch (pass_on(fd, h, partial)) {
	case PASS_SENT:
		close(fd);
		changed(&self.report.woken);
		break;
	case PASS_FULL:
		log_warnx("%s: no room on the dispatch channel for a partial "
		    "request", h->peer);
		/* FALLTHROUGH */
	case PASS_FAILED:
		changed(&self.report.dropped);
		goodbye(fd, h, "handoff failed", false);
		break;
	}
}

/*
 * The client sent something, or closed: either way a worker must see it.
 * Those that find the dispatch channel full wait in order behind any that
 * are already waiting.
 */
static void
on_parked(uint32_t i)
{
	struct parked_entry *e;

	if (i >= self.table.max ||
	    (e = parked_get(&self.table, i))->state != PARKED_HELD)
		return;
	unwatch_parked(e);
	e->h.reason = HANDOFF_WAKE;
	e->h.partial_len = 0;
	if (e->h.hops < UINT16_MAX)
		e->h.hops++;
	parked_to_wake(&self.table, i);
	if (parked_wake_head(&self.table) == i)
		flush_wake();
	else
		dispatch_update();
}

/* Pass on the waiting ones in order, until the channel is full again. */
static void
flush_wake(void)
{
	struct parked_entry *e;
	uint32_t i;

	while ((i = parked_wake_head(&self.table)) != PARKED_NONE) {
		e = parked_get(&self.table, i);
		switch (pass_on(e->fd, &e->h, NULL)) {
		case PASS_FULL:
			dispatch_update();
			return;
		case PASS_SENT:
			close(e->fd);
			changed(&self.report.woken);
			break;
		case PASS_FAILED:
			changed(&self.report.dropped);
			goodbye(e->fd, &e->h, "handoff failed", false);
			break;
		}
		parked_release(&self.table, i);
	}
	dispatch_update();
}

static enum pass
pass_on(int fd, struct handoff *h, const void *bytes)
{
	idle_queued(self.env->idle);
	if (handoff_send(self.env->dispatch, fd, h, bytes) == 0)
		return PASS_SENT;
	idle_taken(self.env->idle);
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return PASS_FULL;
	log_warn("%s: passing the connection to a worker", h->peer);
	return PASS_FAILED;
}

/*
 * Before the fd goes: a socket passed on lives on in the message, and
 * with it its registration here, which would fire for a reused index.
 */
static void
unwatch_parked(const struct parked_entry *e)
{
	if (epoll_ctl(self.ep, EPOLL_CTL_DEL, e->fd, NULL) == -1)
		log_warn("%s: epoll_ctl(EPOLL_CTL_DEL)", e->h.peer);
}

/* Those waiting to wake are not in the heap: they have bytes to serve. */
static void
expire(int64_t now)
{
	struct parked_entry *e;
	uint32_t i;

	while ((i = parked_first_deadline(&self.table)) != PARKED_NONE) {
		e = parked_get(&self.table, i);
		if (e->h.idle_deadline_ms > now)
			break;
		unwatch_parked(e);
		goodbye(e->fd, &e->h, "idle timeout", true);
		parked_release(&self.table, i);
		changed(&self.report.expired);
	}
}

/*
 * Close a connection the lobby ends, with "BYE <end>" first for a line
 * client when bye is set (one try, without waiting: a client that does
 * not read does not hold the lobby up), and its access log line.
 */
static void
goodbye(int fd, struct handoff *h, const char *end, bool bye)
{
	char line[64];
	ssize_t n;
	int len;

	if (bye && !(h->flags & HANDOFF_ECHO)) {
		len = snprintf(line, sizeof(line), "BYE %s%s", end,
		    h->flags & HANDOFF_CRLF ? "\r\n" : "\n");
		n = send(fd, line, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			h->bytes_out += (uint64_t)n;
	}
	close(fd);
	access_log(h, end);
}

/* The worker's line (common/access.h), as worker 0. */
static void
access_log(const struct handoff *h, const char *end)
{
	struct access_entry e = {
		.started = { .tv_sec = (time_t)h->started_sec,
		    .tv_nsec = (long)h->started_nsec },
		.peer = h->peer, .pid = self.pid, .worker = 0,
		.duration_ms = now_ms() - h->started_ms,
		.requests = h->requests, .bytes_in = h->bytes_in,
		.bytes_out = h->bytes_out, .end = end,
	};

	if (self.env->access_fd != -1)
		access_write(self.env->access_fd, &e);
}

/* Until the next idle deadline, report, or end of an intake pause. */
static int
wait_ms(int64_t now)
{
	int64_t next = report_due(), d;

	d = parked_next_deadline(&self.table);
	if (d < next)
		next = d;
	if (!self.intake_on && now < self.intake_paused_until &&
	    self.intake_paused_until < next)
		next = self.intake_paused_until;
	if (next <= now)
		return 0;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

static int64_t
report_due(void)
{
	if (self.changed)
		return self.report_sent_ms + REPORT_COALESCE_MS;
	return self.report_sent_ms + self.heartbeat_ms;
}

/* One record, one write, never waited for: a full pipe drops it. */
static void
report_send(int64_t now)
{
	ssize_t n;

	self.report.seq++;
	self.report.parked = self.table.used;
	self.report.parked_max = self.table.max;
	self.report_sent_ms = now;
	self.changed = false;
	do
		n = write(self.env->report_fd, &self.report,
		    sizeof(self.report));
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN && self.reports_dropped++ == 0)
		log_warnx("report pipe full: dropping reports until the "
		    "master catches up");
	else if (n == (ssize_t)sizeof(self.report))
		self.reports_dropped = 0;
	/* EPIPE: the master is gone; the lifeline will tell us to stop. */
}

static void
report_tick(int64_t now)
{
	if (now >= report_due())
		report_send(now);
	resync_queued(now);
}

/*
 * The count of connections waiting on the dispatch channel is a hint
 * (common/idle.h) that a process dying between its send and its count
 * could leave too high: put it right, at most every RESYNC_MS, when the
 * channel is seen empty (nothing sent on it is still unread).
 */
static void
resync_queued(int64_t now)
{
	static int64_t last;
	int unread;

	if (now - last < RESYNC_MS)
		return;
	last = now;
	if (ioctl(self.env->dispatch, SIOCOUTQ, &unread) == 0 && unread == 0)
		idle_none_queued(self.env->idle);
}

static void
changed(uint64_t *counter)
{
	(*counter)++;
	self.changed = true;
}

/*
 * The master stops: the waiting-to-wake get one more try (workers may
 * still be draining), then every line client still here hears "BYE
 * shutting down". Connections already sent to the intake are taken in
 * for the same goodbye rather than reset when the channel goes.
 */
static noreturn void
lobby_stop(void)
{
	struct parked_entry *e;
	int64_t deadline;
	uint32_t i;
	bool full = false;

	/* After an upgrade the intake is the new lobby's: leave it be. */
	if (!handover_flag)
		stop_drain_intake();
	while ((i = parked_wake_head(&self.table)) != PARKED_NONE) {
		e = parked_get(&self.table, i);
		if (!full) {
			switch (pass_on(e->fd, &e->h, NULL)) {
			case PASS_SENT:
				close(e->fd);
				self.report.woken++;
				parked_release(&self.table, i);
				continue;
			case PASS_FULL:
				full = true;
				break;
			case PASS_FAILED:
				full = true;	/* the next would fail too */
				break;
			}
		}
		if (!handover_flag || !forward(e, now_ms() + FORWARD_MS))
			goodbye(e->fd, &e->h, "shutting down", true);
		parked_release(&self.table, i);
	}
	deadline = now_ms() + FORWARD_MS;
	while ((i = parked_first_deadline(&self.table)) != PARKED_NONE) {
		e = parked_get(&self.table, i);
		if (!handover_flag || !forward(e, deadline))
			goodbye(e->fd, &e->h, "shutting down", true);
		parked_release(&self.table, i);
	}
	report_send(now_ms());
	parked_free(&self.table);
	log_debug("stopped");
	exit(0);
}

/*
 * After an upgrade: pass a parked connection to the new master's lobby
 * through the intake both share, waiting for room until deadline. False
 * when it cannot go (it gets its goodbye instead).
 */
static bool
forward(struct parked_entry *e, int64_t deadline)
{
	struct pollfd pfd = { .fd = self.env->forward, .events = POLLOUT };
	int64_t left;

	if (self.env->forward == -1)
		return false;
	e->h.reason = HANDOFF_DRAIN;
	e->h.hops = (uint16_t)(e->h.hops < UINT16_MAX ? e->h.hops + 1 :
	    UINT16_MAX);
	e->h.partial_len = 0;
	for (;;) {
		if (handoff_send(self.env->forward, e->fd, &e->h, NULL) == 0) {
			close(e->fd);
			self.report.woken++;
			return true;
		}
		if (errno != EAGAIN || (left = deadline - now_ms()) <= 0)
			break;
		poll(&pfd, 1, (int)(left < 100 ? left : 100));
	}
	log_warn("%s: cannot pass to the new master's lobby", e->h.peer);
	return false;
}

/* Bounded: senders that are themselves stopping may still be sending. */
static void
stop_drain_intake(void)
{
	struct handoff h;
	const char *why;
	size_t n;
	int fd;

	if (self.intake_dead)
		return;
	for (n = 0; n < self.table.max; n++) {
		if (handoff_recv(self.env->intake, &h, partial, &fd,
		    &why) != 1)
			return;	/* empty, or closed (EPIPE) */
		self.report.received++;
		goodbye(fd, &h, "shutting down", true);
	}
}
