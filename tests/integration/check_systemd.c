/*
 * Integration tests of forkline under a service manager: the sd_notify
 * messages a notify socket receives (server/sd.c: READY, STATUS,
 * RELOADING, STOPPING, WATCHDOG), socket activation by the real
 * systemd-socket-activate and an inherited listener winning over the
 * configured one (server/listeners.c), and the unit files in systemd/ as
 * systemd-analyze sees them.
 *
 * The test plays the service manager: it binds the AF_UNIX datagram
 * socket named by NOTIFY_SOCKET and reads what the master sends, with the
 * sender's pid (SO_PASSCRED), in order.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/harness.h"
#include "tests/support/load.h"

#define EX_CONFIG	78
#define DGRAM_MAX	4096
/* Check cuts failure messages at 4 KiB: keep the transcript well under. */
#define TRANSCRIPT_MAX	1600
#define GRACE_MS	2000	/* [server] grace_period in the configs */
#define STOP_SLACK_MS	5000	/* sd.c: added to the grace period */
#define STATUS_EVERY_MS	5000	/* sd.c: STATUS interval */
#define TOOL_MS		30000	/* one systemd-analyze run */
#define MAX_EXPOSURE	2.0

/*
 * The service manager's end: a datagram socket, and the datagrams read so
 * far (with their senders; the first ones) for failure messages.
 */
struct notify {
	int	 fd;
	char	 path[HARNESS_PATH_MAX + 16];
	char	 transcript[TRANSCRIPT_MAX];
	size_t	 tlen;
};

/*
 * Notify socket.
 */

/* Bind the socket and point NOTIFY_SOCKET at it for servers started next. */
static void
notify_open(struct notify *n)
{
	struct sockaddr_un	 sun;
	char			 dir[HARNESS_PATH_MAX];
	int			 on = 1;

	memset(n, 0, sizeof(*n));
	harness_mkdtemp(dir, sizeof(dir));
	snprintf(n->path, sizeof(n->path), "%s/notify", dir);
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(n->fd != -1, "socket(AF_UNIX): %s", strerror(errno));
	ck_assert_msg(setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &on,
	    sizeof(on)) == 0, "SO_PASSCRED: %s", strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_msg(strlen(n->path) < sizeof(sun.sun_path), "notify "
	    "socket path too long: %s", n->path);
	memcpy(sun.sun_path, n->path, strlen(n->path));
	ck_assert_msg(bind(n->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "bind %s: %s", n->path, strerror(errno));
	ck_assert_msg(setenv("NOTIFY_SOCKET", n->path, 1) == 0, "setenv");
}

static void
notify_close(struct notify *n)
{
	unsetenv("NOTIFY_SOCKET");
	close(n->fd);
	unlink(n->path);
}

static const char *
notify_transcript(const struct notify *n)
{
	return n->tlen > 0 ? n->transcript : " (nothing)";
}

/*
 * The next datagram within timeout_ms: its text (NUL-terminated) in buf,
 * its sender's pid in *pid. false on timeout.
 */
static bool
notify_recv(struct notify *n, char *buf, size_t len, pid_t *pid,
    int timeout_ms)
{
	union {
		struct cmsghdr	 hdr;
		char		 space[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	int64_t		 deadline = harness_now_ms() + timeout_ms;
	struct pollfd	 pfd = { .fd = n->fd, .events = POLLIN };
	struct iovec	 iov = { buf, len - 1 };
	struct msghdr	 msg;
	struct cmsghdr	*c;
	struct ucred	 cred;
	int64_t		 left;
	ssize_t		 r;

	for (;;) {
		left = deadline - harness_now_ms();
		if (left < 0)
			left = 0;
		if (poll(&pfd, 1, (int)left) == 0)
			return false;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = control.space;
		msg.msg_controllen = sizeof(control.space);
		r = recvmsg(n->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (r >= 0)
			break;
		ck_assert_msg(errno == EINTR || errno == EAGAIN, "recvmsg %s: "
		    "%s", n->path, strerror(errno));
	}
	buf[r] = '\0';
	*pid = 0;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*pid = cred.pid;
		}
	/* The first datagrams, then "...": a flood would say enough. */
	if (n->tlen < sizeof(n->transcript) - 1)
		n->tlen += (size_t)snprintf(n->transcript + n->tlen,
		    sizeof(n->transcript) - n->tlen, "\n  from %ld: %s",
		    (long)*pid, harness_quote(buf, (size_t)r));
	if (n->tlen >= sizeof(n->transcript) - 1) {
		memcpy(n->transcript + sizeof(n->transcript) - 5, " ...", 5);
		n->tlen = sizeof(n->transcript) - 1;
	}
	return true;
}

/* Is line (up to its end) one of text's lines? */
static bool
has_line(const char *text, const char *line)
{
	size_t	 len = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') &&
		    (p[len] == '\0' || p[len] == '\n'))
			return true;
	return false;
}

/* The value of text's line "NAME=value" (name given with its "="). */
static bool
line_value(const char *text, const char *name, char *out, size_t len)
{
	size_t	 nlen = strlen(name), vlen;
	const char *p;

	for (p = text; (p = strstr(p, name)) != NULL; p++)
		if (p == text || p[-1] == '\n') {
			p += nlen;
			vlen = strcspn(p, "\n");
			snprintf(out, len, "%.*s", (int)vlen, p);
			return true;
		}
	return false;
}

/* Only STATUS= or WATCHDOG=1 lines: the periodic messages. */
static bool
is_periodic(const char *text)
{
	const char *p = text;
	size_t	 len;

	while (*p != '\0') {
		len = strcspn(p, "\n");
		if (strncmp(p, "STATUS=", 7) != 0 &&
		    !(len == 10 && strncmp(p, "WATCHDOG=1", 10) == 0))
			return false;
		p += len;
		if (*p == '\n')
			p++;
	}
	return true;
}

/*
 * The next event (a datagram other than a periodic one) from the master
 * of s must hold the line want: the events come in the order the test
 * expects them, none skipped.
 */
static void
notify_expect_event(struct notify *n, const struct server *s,
    const char *want, char *buf, size_t len, int timeout_ms)
{
	int64_t	 deadline = harness_now_ms() + timeout_ms;
	pid_t	 from;
	int64_t	 left;

	for (;;) {
		left = deadline - harness_now_ms();
		ck_assert_msg(notify_recv(n, buf, len, &from,
		    left > 0 ? (int)left : 0), "expected a datagram with "
		    "\"%s\" on NOTIFY_SOCKET within %d ms; received:%s\n"
		    "(server log: %s)", want, timeout_ms,
		    notify_transcript(n), s->log);
		if (!is_periodic(buf))
			break;
	}
	ck_assert_msg(has_line(buf, want), "expected the next event on "
	    "NOTIFY_SOCKET to say \"%s\", got %s; received:%s\n(server log: "
	    "%s)", want, harness_quote(buf, strlen(buf)),
	    notify_transcript(n), s->log);
	ck_assert_msg(from == s->pid, "\"%s\" came from pid %ld, expected the "
	    "master (pid %ld)", want, (long)from, (long)s->pid);
}

/* The next datagram, whatever it is, within timeout_ms. */
static void
notify_expect_any(struct notify *n, const struct server *s, char *buf,
    size_t len, pid_t *from, const char *what)
{
	ck_assert_msg(notify_recv(n, buf, len, from, HARNESS_REPLY_MS),
	    "expected %s on NOTIFY_SOCKET within %d ms; received:%s\n"
	    "(server log: %s)", what, HARNESS_REPLY_MS, notify_transcript(n),
	    s->log);
}

/*
 * "STATUS=W workers (B busy, I idle), C connections, P parked, R req/s,
 * N restarts": the numbers, or false if the line is not of that form.
 */
struct status {
	int		 workers, busy, idle;
	unsigned long	 connections, parked, rate, restarts;
};

static bool
status_parse(const char *text, struct status *st)
{
	char	 line[512];
	int	 end = 0;

	if (!line_value(text, "STATUS=", line, sizeof(line)))
		return false;
	return sscanf(line, "%d workers (%d busy, %d idle), %lu connections, "
	    "%lu parked, %lu req/s, %lu restarts%n", &st->workers, &st->busy,
	    &st->idle, &st->connections, &st->parked, &st->rate,
	    &st->restarts, &end) == 7 &&
	    line[end] == '\0';
}

/*
 * Processes and files.
 */

static int64_t
monotonic_usec(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A program on PATH (a slash in name: that path); its path in out. */
static bool
find_tool(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(name, '/') != NULL) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) == 0;
	}
	for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0'; p = end) {
		end = p + strcspn(p, ":");
		snprintf(out, len, "%.*s/%s", (int)(end - p), p, name);
		if (end > p && access(out, X_OK) == 0)
			return true;
		if (*end == ':')
			end++;
	}
	return false;
}

/* In the child, before exec: WATCHDOG_PID is its own pid. */
static void
set_watchdog_pid(int log_fd, void *arg)
{
	char	 pidbuf[32];

	(void)log_fd;
	(void)arg;
	snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pidbuf, 1);
}

static bool
master_gone(void *arg)
{
	return !ps_alive(*(pid_t *)arg);
}

/* A connection to 127.0.0.1:port, or -1 (nobody listening yet). */
static int
try_connect(int port)
{
	struct sockaddr_in	 sin;
	int			 fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	close(fd);
	return -1;
}

/*
 * Run argv to completion with extra environment entries (env, "NAME=
 * value", NULL-terminated), stdout and stderr together in a file; the
 * output returned (free it), the wait status in *status.
 */
static char *
run_tool(char *const argv[], const char *const env[], int *status)
{
	char	 out[HARNESS_PATH_MAX], *text;
	int64_t	 deadline = harness_now_ms() + TOOL_MS;
	pid_t	 pid, r;
	int	 fd, i;

	harness_write_file(out, sizeof(out), "tool-", ".out", "");
	fd = open(out, O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_msg(fd != -1, "open %s: %s", out, strerror(errno));
	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(fd, STDOUT_FILENO) == -1 ||
		    dup2(fd, STDERR_FILENO) == -1)
			_exit(127);
		for (i = 0; env != NULL && env[i] != NULL; i++)
			putenv((char *)env[i]);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(fd);
	while ((r = waitpid(pid, status, WNOHANG)) == 0 &&
	    harness_now_ms() < deadline)
		harness_sleep_ms(10);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, status, 0);
		ck_abort_msg("%s did not finish within %d ms", argv[0],
		    TOOL_MS);
	}
	text = harness_read_file(out, NULL);
	ck_assert_msg(text != NULL, "cannot read %s", out);
	return text;
}

/*
 * 1. The notify protocol over a server's life: READY=1 once the 3
 * workers serve (the master has logged each of them ready by then, and
 * PING works), STATUS right after; SIGHUP gives RELOADING=1 with a
 * CLOCK_MONOTONIC timestamp and READY=1 once generation 2 serves; a
 * rejected reload also ends in READY=1; SIGTERM gives STOPPING=1 with
 * EXTEND_TIMEOUT_USEC of the grace period plus 5 s. In that order, every
 * one from the master.
 */
START_TEST(test_notify_lifecycle)
{
	static const char good[] = "[server]\ngrace_period = 2s\n"
	    "[workers]\nstart = 3\n";
	char		 conf[HARNESS_PATH_MAX], buf[DGRAM_MAX], val[64];
	const char	*args[] = { "-v", "-c", conf, NULL };
	struct pidset	 kids;
	struct notify	 n;
	struct status	 st;
	struct server	 s;
	int64_t		 before, after, mono;
	pid_t		 from;
	int		 fd;

	notify_open(&n);
	harness_write_file(conf, sizeof(conf), "notify-", ".conf", good);
	server_launch(&s, args);

	notify_expect_event(&n, &s, "READY=1", buf, sizeof(buf),
	    HARNESS_READY_MS);
	/* The master logs each worker ready before it tells anyone. */
	assert_log(&s, log_count(&s, ") ready after ", 0) == 3,
	    ") ready after ", "READY=1 arrived before the master had seen "
	    "its 3 workers ready");
	kids.n = server_workers(&s, kids.pids, HARNESS_MAX_PIDS);
	ck_assert_msg(kids.n == 3, "at READY=1 the master has %d children "
	    "[%s], expected its 3 workers", kids.n, pidset_text(&kids));
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);

	notify_expect_any(&n, &s, buf, sizeof(buf), &from, "a STATUS= line "
	    "right after READY=1");
	ck_assert_msg(status_parse(buf, &st) && st.workers == 3 &&
	    st.busy == 0 && st.idle == 3 && st.restarts == 0, "after READY=1 "
	    "expected \"STATUS=3 workers (0 busy, 3 idle), N connections, N "
	    "parked, N req/s, 0 restarts\", got %s", harness_quote(buf, strlen(buf)));
	ck_assert_msg(from == s.pid, "STATUS came from pid %ld, not the "
	    "master %ld", (long)from, (long)s.pid);

	/* A good reload. */
	before = monotonic_usec();
	server_signal(&s, SIGHUP);
	notify_expect_event(&n, &s, "RELOADING=1", buf, sizeof(buf),
	    HARNESS_REPLY_MS);
	after = monotonic_usec();
	ck_assert_msg(line_value(buf, "MONOTONIC_USEC=", val, sizeof(val)) &&
	    val[0] != '\0' && strspn(val, "0123456789") == strlen(val),
	    "RELOADING=1 without a MONOTONIC_USEC=<digits> line: %s",
	    harness_quote(buf, strlen(buf)));
	mono = strtoll(val, NULL, 10);
	ck_assert_msg(mono >= before - 1000 && mono <= after + 1000,
	    "MONOTONIC_USEC=%" PRId64 " is not CLOCK_MONOTONIC in us between "
	    "the SIGHUP (%" PRId64 ") and the datagram (%" PRId64 ")", mono,
	    before, after);
	notify_expect_event(&n, &s, "READY=1", buf, sizeof(buf),
	    HARNESS_READY_MS);
	assert_log(&s, log_count(&s, "reload: generation 2 serving", 0) == 1,
	    "reload", "READY=1 after SIGHUP came before generation 2 was "
	    "serving");

	/* A rejected reload: reloading, then ready again as before. */
	harness_rewrite_file(conf, "[workers]\nstart = many\n");
	server_signal(&s, SIGHUP);
	notify_expect_event(&n, &s, "RELOADING=1", buf, sizeof(buf),
	    HARNESS_REPLY_MS);
	notify_expect_event(&n, &s, "READY=1", buf, sizeof(buf),
	    HARNESS_READY_MS);
	assert_log(&s, log_count(&s, "still serving generation 2", 0) == 1,
	    "reload", "expected the bad file to be rejected");
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);

	server_signal(&s, SIGTERM);
	notify_expect_event(&n, &s, "STOPPING=1", buf, sizeof(buf),
	    HARNESS_REPLY_MS);
	snprintf(val, sizeof(val), "EXTEND_TIMEOUT_USEC=%lld",
	    (long long)(GRACE_MS + STOP_SLACK_MS) * 1000);
	ck_assert_msg(has_line(buf, val), "STOPPING=1 with grace_period = "
	    "2s: expected \"%s\", got %s", val, harness_quote(buf,
	    strlen(buf)));
	ck_assert_msg(server_wait(&s, HARNESS_STOP_MS), "the master did not "
	    "exit within %d ms of SIGTERM", HARNESS_STOP_MS);
	server_assert_exit(&s, 0, "SIGTERM");
	notify_close(&n);
}
END_TEST

/*
 * 2. A reload whose new workers never become ready (they crash: the
 * test-only fault crash-on-reload) is undone after worker_timeout:
 * RELOADING=1, then READY=1 again, and generation 1 serves on.
 */
START_TEST(test_notify_reload_undone)
{
	char		 conf[HARNESS_PATH_MAX], buf[DGRAM_MAX];
	const char	*args[] = { "-c", conf, NULL };
	struct pidset	 before;
	struct notify	 n;
	struct server	 s;
	int		 fd, i;

	notify_open(&n);
	harness_write_file(conf, sizeof(conf), "undone-", ".conf",
	    "[workers]\nstart = 2\nheartbeat_interval = 100ms\n"
	    "worker_timeout = 1s\n");
	ck_assert_msg(setenv("FORKLINE_TEST_FAULT", "crash-on-reload", 1) == 0,
	    "setenv");
	server_launch(&s, args);
	unsetenv("FORKLINE_TEST_FAULT");
	notify_expect_event(&n, &s, "READY=1", buf, sizeof(buf),
	    HARNESS_READY_MS);
	server_wait_workers(&s, 2, before.pids);
	before.n = 2;

	server_signal(&s, SIGHUP);
	notify_expect_event(&n, &s, "RELOADING=1", buf, sizeof(buf),
	    HARNESS_REPLY_MS);
	notify_expect_event(&n, &s, "READY=1", buf, sizeof(buf),
	    HARNESS_READY_MS);
	assert_log(&s, log_count(&s, "generation 2 was not ready", 0) == 1,
	    "reload", "READY=1 after a reload whose workers crash: expected "
	    "the reload to have been undone first");
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	for (i = 0; i < before.n; i++)
		ck_assert_msg(server_is_worker(&s, before.pids[i]), "after the "
		    "undone reload worker %ld of generation 1 is gone",
		    (long)before.pids[i]);
	server_stop_expect_zero(&s);
	notify_close(&n);
}
END_TEST

/*
 * 3. SIGUSR2: the new master, once its workers serve, says
 * "MAINPID=<its pid>" with READY=1; the old one leaves without a word
 * (the service is not stopping) and exits 0; STOPPING=1 later comes from
 * the new master.
 */
START_TEST(test_notify_upgrade)
{
	char		 buf[DGRAM_MAX], val[32], title[64];
	const char	*args[] = { "-w", "2", NULL };
	struct notify	 n;
	struct server	 s;
	pid_t		 from, next;
	int		 fd;

	notify_open(&n);
	server_launch(&s, args);
	notify_expect_event(&n, &s, "READY=1", buf, sizeof(buf),
	    HARNESS_READY_MS);
	server_signal(&s, SIGUSR2);

	/* From the new master: not s, so read it by hand. */
	do
		notify_expect_any(&n, &s, buf, sizeof(buf), &from, "MAINPID= "
		    "from the new master");
	while (is_periodic(buf));
	ck_assert_msg(has_line(buf, "READY=1") && line_value(buf, "MAINPID=",
	    val, sizeof(val)), "after SIGUSR2 expected \"MAINPID=N\" and "
	    "\"READY=1\" from the new master; received:%s",
	    notify_transcript(&n));
	next = (pid_t)strtol(val, NULL, 10);
	ck_assert_msg(next == from && next != s.pid, "MAINPID=%s came from pid "
	    "%ld (the old master is %ld): expected the new master's own pid",
	    val, (long)from, (long)s.pid);
	ck_assert_msg(server_wait(&s, HARNESS_STOP_MS), "the old master did "
	    "not exit after the upgrade (log %s)", s.log);
	server_assert_exit(&s, 0, "the old master after the upgrade");
	ck_assert_msg(ps_cmdline(next, title, sizeof(title)) &&
	    strcmp(title, "forkline: master") == 0, "MAINPID %ld is not a "
	    "live forkline master", (long)next);
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);

	ck_assert_msg(kill(next, SIGTERM) == 0, "kill %ld: %s", (long)next,
	    strerror(errno));
	do
		notify_expect_any(&n, &s, buf, sizeof(buf), &from, "STOPPING=1 "
		    "from the new master");
	while (is_periodic(buf));
	ck_assert_msg(has_line(buf, "STOPPING=1") && from == next, "after "
	    "SIGTERM to the new master expected STOPPING=1 from it (pid %ld); "
	    "received:%s", (long)next, notify_transcript(&n));
	ck_assert_msg(harness_wait_until(master_gone, &next, HARNESS_STOP_MS),
	    "the new master %ld did not exit within %d ms of SIGTERM",
	    (long)next, HARNESS_STOP_MS);
	notify_close(&n);
}
END_TEST

/* The next datagram is a STATUS= line from the master, and only that. */
static void
expect_status(struct notify *n, const struct server *s, struct status *st,
    int timeout_ms, const char *what)
{
	char	 buf[DGRAM_MAX];
	pid_t	 from;

	ck_assert_msg(notify_recv(n, buf, sizeof(buf), &from, timeout_ms),
	    "expected %s within %d ms; received:%s\n(server log: %s)", what,
	    timeout_ms, notify_transcript(n), s->log);
	ck_assert_msg(is_periodic(buf) && status_parse(buf, st) &&
	    from == s->pid, "expected %s from the master (pid %ld): \"STATUS="
	    "W workers (B busy, I idle), C connections, P parked, R req/s, N "
	    "restarts\", "
	    "got %s from pid %ld", what, (long)s->pid, harness_quote(buf,
	    strlen(buf)), (long)from);
}

/*
 * 4. min_ready = 2 of start = 4: READY=1 comes (that it comes at the
 * second worker cannot be seen from outside), with STATUS. STATUS is
 * repeated every 5 s, and the next one counts the connections served
 * since. min_ready above start is a configuration error (78).
 */
START_TEST(test_notify_min_ready)
{
	char		 conf[HARNESS_PATH_MAX], buf[DGRAM_MAX];
	const char	*args[] = { "-c", conf, NULL };
	const char	*bad_args[] = { "-c", conf, "-l", "127.0.0.1:0", NULL };
	struct run_result r;
	struct notify	 n;
	struct status	 st;
	struct server	 s;
	int		 fd, i;

	notify_open(&n);
	harness_write_file(conf, sizeof(conf), "minready-", ".conf",
	    "[workers]\nstart = 4\nmin_ready = 2\n");
	server_launch(&s, args);
	notify_expect_event(&n, &s, "READY=1", buf, sizeof(buf),
	    HARNESS_READY_MS);
	assert_log(&s, log_count(&s, "ready: ", 0) == 1, "ready: ",
	    "expected one \"ready:\" line from the master at READY=1");
	expect_status(&n, &s, &st, HARNESS_REPLY_MS, "STATUS right after "
	    "READY=1");
	ck_assert_msg(st.workers == 4 && st.connections == 0, "after READY=1: "
	    "expected 4 workers and 0 connections, got %s",
	    notify_transcript(&n));
	expect_status(&n, &s, &st, STATUS_EVERY_MS + HARNESS_REPLY_MS,
	    "a periodic STATUS");

	for (i = 0; i < 2; i++) {
		fd = client_open(&s);
		client_request(fd, "PING\n", "PONG\n");
		close(fd);
	}
	server_wait_workers(&s, 4, (pid_t[4]){ 0 });
	expect_status(&n, &s, &st, STATUS_EVERY_MS + HARNESS_REPLY_MS,
	    "a second periodic STATUS");
	ck_assert_msg(st.workers == 4 && st.busy == 0 && st.idle == 4 &&
	    st.connections == 2 && st.restarts == 0, "expected the periodic "
	    "\"STATUS=4 workers (0 busy, 4 idle), 2 connections, N parked, N "
	    "req/s, 0 "
	    "restarts\" after 2 connections; received:%s",
	    notify_transcript(&n));
	server_stop_expect_zero(&s);
	notify_close(&n);

	harness_rewrite_file(conf, "[workers]\nstart = 4\nmin_ready = 5\n");
	forkline_run(&r, bad_args, HARNESS_READY_MS);
	run_assert_exit(&r, EX_CONFIG, "min_ready = 5 with start = 4");
	ck_assert_msg(strstr(r.err, "min_ready") != NULL, "expected the error "
	    "to name min_ready: %s", harness_quote(r.err, strlen(r.err)));
	run_result_free(&r);
}
END_TEST

/*
 * 5. WATCHDOG_USEC=400000 for the server's own pid: WATCHDOG=1 every
 * 200 ms from the master (at least 3 in 1.5 s; and not a flood: at most
 * 12, as a timer in microseconds or milliseconds mixed up would give).
 */
START_TEST(test_watchdog)
{
	const char	*args[] = { "-w", "2", NULL };
	const char	*bin = getenv("FORKLINE_BIN");
	char		 buf[DGRAM_MAX];
	struct notify	 n;
	struct server	 s;
	int64_t		 end;
	pid_t		 from;
	int		 count = 0;

	ck_assert_msg(bin != NULL && bin[0] != '\0', "FORKLINE_BIN is not set");
	notify_open(&n);
	ck_assert_msg(setenv("WATCHDOG_USEC", "400000", 1) == 0, "setenv");
	server_launch_with(&s, args, set_watchdog_pid, NULL);
	unsetenv("WATCHDOG_USEC");

	end = harness_now_ms() + HARNESS_READY_MS;
	do
		notify_expect_any(&n, &s, buf, sizeof(buf), &from, "a first "
		    "WATCHDOG=1");
	while (!has_line(buf, "WATCHDOG=1") && harness_now_ms() < end);
	ck_assert_msg(has_line(buf, "WATCHDOG=1"), "WATCHDOG_USEC=400000: no "
	    "WATCHDOG=1 within %d ms; received:%s", HARNESS_READY_MS,
	    notify_transcript(&n));
	ck_assert_msg(from == s.pid, "WATCHDOG=1 from pid %ld, expected the "
	    "master %ld", (long)from, (long)s.pid);
	end = harness_now_ms() + 1500;
	while (notify_recv(&n, buf, sizeof(buf), &from,
	    (int)(end - harness_now_ms() > 0 ? end - harness_now_ms() : 0)))
		if (has_line(buf, "WATCHDOG=1") && from == s.pid)
			count++;
	ck_assert_msg(count >= 3 && count <= 12, "WATCHDOG_USEC=400000: "
	    "expected WATCHDOG=1 every 200 ms, got %d in 1.5 s; received:%s",
	    count, notify_transcript(&n));
	ck_assert_msg(server_log_contains(&s, "WATCHDOG=1 every 200 ms"),
	    "expected the log to say \"WATCHDOG=1 every 200 ms\" (%s)",
	    s.log);
	server_stop_expect_zero(&s);
	notify_close(&n);
}
END_TEST

/*
 * 6. Socket activation by systemd's own tool: systemd-socket-activate
 * binds the port, and on the first connection execs forkline with the
 * socket as fd 3 (named by --fdname); forkline serves on it, names it,
 * and says it ignores its listen setting.
 */
START_TEST(test_socket_activate)
{
	char		 tool[PATH_MAX], bin[PATH_MAX], addr[64], want[128];
	const char	*argv[] = { tool, "-l", addr, "--fdname=forkline-test",
	    bin, "-w", "2", NULL };
	char		 title[64];
	struct server	 s;
	int64_t		 deadline;
	int		 fd, port;

	if (!find_tool("systemd-socket-activate", tool, sizeof(tool))) {
		printf("check_systemd: systemd-socket-activate not found; "
		    "skipping the socket activation test\n");
		return;
	}
	snprintf(bin, sizeof(bin), "%s", getenv("FORKLINE_BIN") != NULL ?
	    getenv("FORKLINE_BIN") : "");
	ck_assert_msg(bin[0] != '\0', "FORKLINE_BIN is not set");
	/* A free port: bound and closed here, bound again by the tool. */
	close(harness_listen_tcp(&port));
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	server_launch_program(&s, argv);
	s.port = port;

	deadline = harness_now_ms() + HARNESS_READY_MS;
	while ((fd = try_connect(port)) == -1) {
		ck_assert_msg(!server_wait(&s, 0), "systemd-socket-activate "
		    "%s; output in %s", harness_describe_status(s.status),
		    s.log);
		ck_assert_msg(harness_now_ms() < deadline, "nothing listens on "
		    "%s %d ms after starting systemd-socket-activate (log %s)",
		    addr, HARNESS_READY_MS, s.log);
		harness_sleep_ms(20);
	}
	client_request(fd, "PING\n", "PONG\n");
	close(fd);

	snprintf(want, sizeof(want), "listening on %s (fd 3, \"forkline-test\" "
	    "from the service manager)", addr);
	ck_assert_msg(server_log_wait(&s, want, HARNESS_REPLY_MS) &&
	    server_log_contains(&s, "the listen setting is ignored"),
	    "expected \"%s\" and \"the listen setting is ignored\" in the log "
	    "%s", want, s.log);
	ck_assert_msg(ps_cmdline(s.pid, title, sizeof(title)) &&
	    strcmp(title, "forkline: master") == 0, "the activated process "
	    "(pid %ld) is %s, expected forkline's master", (long)s.pid,
	    harness_quote(title, strlen(title)));
	server_wait_workers(&s, 2, (pid_t[2]){ 0 });
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 7. With LISTEN_FDS the inherited socket is used and "listen" from the file
 * or -l is ignored, even when it names a port that cannot be bound.
 */
START_TEST(test_inherited_listener_wins)
{
	char		 conf[128], path[HARNESS_PATH_MAX], addr[64], line[64];
	const char	*args[] = { "-c", path, "-l", addr, NULL };
	struct server	 s;
	int		 held, port, fd;

	held = harness_listen_tcp(&port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	snprintf(conf, sizeof(conf), "[server]\nlisten = %s\n", addr);
	harness_write_file(path, sizeof(path), "listen-", ".conf", conf);
	server_start(&s, args);
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	snprintf(line, sizeof(line), "listening on 127.0.0.1:%d", s.port);
	ck_assert_msg(server_log_contains(&s, line), "expected \"%s\" in the "
	    "log for the inherited listener", line);
	ck_assert_msg(server_log_contains(&s, "ignor"), "expected the log to "
	    "say that the listen setting is ignored under LISTEN_FDS");
	server_stop_expect_zero(&s);
	close(held);
}
END_TEST

/*
 * Copy src to dst with every "/usr/local/bin/forkline" made bin (a
 * service's ExecStart= must name it).
 */
static void
copy_unit(const char *src, const char *dst, const char *bin)
{
	static const char from[] = "/usr/local/bin/forkline";
	char	*text = harness_read_file(src, NULL), *p, *q;
	FILE	*f;

	ck_assert_msg(text != NULL, "cannot read the unit %s", src);
	ck_assert_msg(strstr(src, ".service") == NULL ||
	    strstr(text, from) != NULL, "%s does not name %s", src, from);
	f = fopen(dst, "we");
	ck_assert_msg(f != NULL, "fopen %s: %s", dst, strerror(errno));
	for (p = text; (q = strstr(p, from)) != NULL; p = q + strlen(from))
		fprintf(f, "%.*s%s", (int)(q - p), p, bin);
	fputs(p, f);
	ck_assert_msg(fclose(f) == 0, "write %s: %s", dst, strerror(errno));
	free(text);
}

static void
copy_file(const char *src, const char *dst)
{
	char	*text = harness_read_file(src, NULL);
	FILE	*f;

	ck_assert_msg(text != NULL, "cannot read %s", src);
	f = fopen(dst, "we");
	ck_assert_msg(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0,
	    "write %s: %s", dst, strerror(errno));
	free(text);
}

/* The end of a tool's output, for messages (Check keeps 4 KiB of one). */
static const char *
tail(const char *text)
{
	size_t	 len = strlen(text);

	return len > 1500 ? text + len - 1500 : text;
}

/* Lines of text holding needle, quoted, for messages (a static buffer). */
static const char *
lines_with(const char *text, const char *needle)
{
	static char	 out[2048];
	const char	*p = text, *nl;
	size_t		 off = 0, len;

	out[0] = '\0';
	while (*p != '\0' && off < sizeof(out) - 300) {
		len = (nl = strchr(p, '\n')) != NULL ? (size_t)(nl - p) :
		    strlen(p);
		if (memmem(p, len, needle, strlen(needle)) != NULL)
			off += (size_t)snprintf(out + off, sizeof(out) - off,
			    "\n  %.*s", (int)(len < 250 ? len : 250), p);
		p += len;
		if (*p == '\n')
			p++;
	}
	return out;
}

/*
 * 8. The units as shipped, with ExecStart pointing at the binary under
 * test: systemd-analyze verify has nothing to say about them (their
 * Documentation= man pages are the repository's, found through MANPATH),
 * and the services' exposure level is at most 2.0.
 */
START_TEST(test_units)
{
	static const char *const units[][2] = {
		{ "forkline.service", "forkline.service" },
		{ "forkline.socket", "forkline.socket" },
		{ "forkline@.service", "forkline@test.service" },
	};
	char		 analyze[PATH_MAX], bin[PATH_MAX], root[PATH_MAX];
	char		 dir[HARNESS_PATH_MAX], src[PATH_MAX + 64];
	char		 paths[3][HARNESS_PATH_MAX + 32];
	char		 manpath[PATH_MAX + 16];
	char		 man[HARNESS_PATH_MAX + 16], manarg[16] = "--man=yes";
	char		*out, *p;
	const char	*env[] = { manpath, NULL };
	int		 status;
	size_t		 i;
	double		 level;

	if (!find_tool("systemd-analyze", analyze, sizeof(analyze))) {
		printf("check_systemd: systemd-analyze not found; skipping the "
		    "unit file test\n");
		return;
	}
	ck_assert_msg(getenv("FORKLINE_BIN") != NULL &&
	    realpath(getenv("FORKLINE_BIN"), bin) != NULL, "FORKLINE_BIN: %s",
	    strerror(errno));
	/* FORKLINE_BIN is in the repository: <repository>/bin/forkline, or
	 * deeper for another build (build/asan-clang/bin/forkline). */
	snprintf(root, sizeof(root), "%s", bin);
	do {
		ck_assert_msg((p = strrchr(root, '/')) != NULL && p != root,
		    "no systemd/forkline.service in a directory above %s",
		    bin);
		*p = '\0';
		snprintf(src, sizeof(src), "%s/systemd/forkline.service",
		    root);
	} while (access(src, R_OK) != 0);
	harness_mkdtemp(dir, sizeof(dir));
	for (i = 0; i < 3; i++) {
		snprintf(src, sizeof(src), "%s/systemd/%s", root, units[i][0]);
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir,
		    units[i][1]);
		copy_unit(src, paths[i], bin);
	}
	/* Documentation=man:forkline(8) man:forkline.conf(5), from docs/. */
	snprintf(man, sizeof(man), "%s/man", dir);
	snprintf(src, sizeof(src), "%s/man8", man);
	ck_assert_msg(mkdir(man, 0755) == 0 && mkdir(src, 0755) == 0,
	    "mkdir %s: %s", src, strerror(errno));
	snprintf(src, sizeof(src), "%s/man5", man);
	ck_assert_msg(mkdir(src, 0755) == 0, "mkdir %s: %s", src,
	    strerror(errno));
	snprintf(src, sizeof(src), "%s/docs/forkline.8", root);
	snprintf(manpath, sizeof(manpath), "%s/man8/forkline.8", man);
	copy_file(src, manpath);
	snprintf(src, sizeof(src), "%s/docs/forkline.conf.5", root);
	snprintf(manpath, sizeof(manpath), "%s/man5/forkline.conf.5", man);
	copy_file(src, manpath);
	snprintf(manpath, sizeof(manpath), "MANPATH=%s", man);
	if (!find_tool("man", src, sizeof(src))) {
		printf("check_systemd: man(1) not found; systemd-analyze "
		    "verify runs with --man=no\n");
		snprintf(manarg, sizeof(manarg), "--man=no");
	}

	{
		char	*argv[] = { analyze, "verify", manarg, paths[0],
		    paths[1], paths[2], NULL };

		out = run_tool(argv, env, &status);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "systemd-analyze verify %s: %s; output:\n%s", manarg,
		    harness_describe_status(status), tail(out));
		ck_assert_msg(strstr(out, "forkline") == NULL,
		    "systemd-analyze verify has something to say about the "
		    "units:%s", lines_with(out, "forkline"));
		free(out);
	}
	for (i = 0; i < 3; i += 2) {
		char	*argv[] = { analyze, "security", "--offline=yes",
		    paths[i], NULL };

		out = run_tool(argv, env, &status);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "systemd-analyze security %s: %s; output:\n%s",
		    units[i][1], harness_describe_status(status), tail(out));
		p = strstr(out, "Overall exposure level for ");
		ck_assert_msg(p != NULL && (p = strstr(p, ": ")) != NULL,
		    "no \"Overall exposure level for ...: X.Y\" in the output "
		    "of systemd-analyze security %s:\n%s", units[i][1],
		    tail(out));
		level = strtod(p + 2, NULL);
		ck_assert_msg(level <= MAX_EXPOSURE, "%s: exposure level %.1f, "
		    "expected at most %.1f:%s", units[i][1], level,
		    MAX_EXPOSURE, lines_with(out, "✗"));
		free(out);
	}
}
END_TEST

static Suite *
systemd_suite(void)
{
	Suite	*s = suite_create("systemd");
	TCase	*tc;

	tc = tcase_create("notify");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_notify_lifecycle);
	tcase_add_test(tc, test_notify_reload_undone);
	tcase_add_test(tc, test_notify_upgrade);
	tcase_add_test(tc, test_notify_min_ready);
	tcase_add_test(tc, test_watchdog);
	suite_add_tcase(s, tc);

	tc = tcase_create("activation");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_socket_activate);
	tcase_add_test(tc, test_inherited_listener_wins);
	suite_add_tcase(s, tc);

	tc = tcase_create("units");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_units);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(systemd_suite);
}
