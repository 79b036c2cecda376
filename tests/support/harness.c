/*
 * harness: start forkline, talk to it, watch its processes. See harness.h.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/harness.h"

#define ARGS_MAX	64
#define LOG_TAIL	3000
#define QUOTE_MAX	200
#define SERVERS_MAX	64	/* started and not yet reaped, per process */
#define PIDSET_TEXT_MAX	512

static void	 dir_remove(const char *path);
static void	 fail_with_log(const struct server *s, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static const char *log_tail(const struct server *s);
static const char *forkline_bin(void);
static int	 tmpfile_open(char *out, size_t outlen, const char *stem,
		    const char *suffix);
static pid_t	 spawn(const char *bin, const char *const args[],
		    int listen_fd, int out_fd, int err_fd,
		    void (*in_child)(int, void *), void *arg);
static void	 exec_child(pid_t parent, char *const argv[], int listen_fd,
		    int out_fd, int err_fd, void (*in_child)(int, void *),
		    void *arg) __attribute__((noreturn));
static void	 registry_add(pid_t pid);
static void	 registry_del(pid_t pid);
static void	 registry_atexit(void);
static void	 server_spawn(struct server *s, const char *bin,
		    const char *const args[], int listen_fd,
		    void (*in_child)(int, void *), void *arg);
static void	 server_check_running(struct server *s, const char *when);
static void	 server_wait_ready(struct server *s);
static int	 server_probe(struct server *s, int64_t deadline);
static void	 server_parse_listen_addr(struct server *s);
static int	 connect_bounded(int fd, const struct sockaddr *sa,
		    socklen_t len, int timeout_ms);
static int	 try_connect(int domain, const struct sockaddr *sa,
		    socklen_t len);
static int	 try_connect_port(int port);
static int	 try_connect_unix(const char *path);
static int	 try_open(const struct server *s);
static int	 poll_one(int fd, short events, int64_t deadline);
static bool	 tcp_server_side(int fd, unsigned long *inode,
		    unsigned long *rxq);
static void	 expect_line(const char *file, int line, int fd,
		    const char *want, const char *request);

static char	 tmp_dir[HARNESS_PATH_MAX];
static pid_t	 tmp_owner;

/* Servers to kill at exit, in the process that started them. */
static pid_t	 live[SERVERS_MAX];
static int	 nlive;
static pid_t	 live_owner;

/*
 * The tests crash workers on purpose (SIGSEGV, SIGABRT). Without this a
 * machine with core dumps on would collect a core per crash, and writing
 * one stretches the time a test waits for the crash to be seen (memcheck
 * writes its own, some 20 MB, next to its log). Every server the harness
 * starts inherits the limit.
 */
static void
no_core_dumps(void)
{
	struct rlimit	 none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) == -1)
		fprintf(stderr, "harness: setrlimit(RLIMIT_CORE, 0): %s\n",
		    strerror(errno));
}

/*
 * Temporary directory.
 */

void
harness_init(void)
{
	if (tmp_dir[0] != '\0')
		return;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/forkline-test.XXXXXX");
	if (mkdtemp(tmp_dir) == NULL) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", tmp_dir,
		    strerror(errno));
		exit(1);
	}
	tmp_owner = getpid();
	no_core_dumps();
}

void
harness_cleanup(void)
{
	if (tmp_dir[0] == '\0' || getpid() != tmp_owner)
		return;
	if (getenv("FORKLINE_TEST_KEEP") != NULL) {
		fprintf(stderr, "harness: logs kept in %s\n", tmp_dir);
		return;
	}
	dir_remove(tmp_dir);
	tmp_dir[0] = '\0';
}

int
harness_main(Suite *(*make)(void))
{
	SRunner	*sr;
	int	 failed;

	harness_init();
	sr = srunner_create(make());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* The failure messages name logs in the directory: keep them. */
	if (failed > 0)
		setenv("FORKLINE_TEST_KEEP", "1", 1);
	harness_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *
harness_dir(void)
{
	/* Used without harness_init (a unit test): clean up at exit. */
	if (tmp_dir[0] == '\0') {
		harness_init();
		atexit(harness_cleanup);
	}
	return tmp_dir;
}

static int
remove_entry(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) == -1 && errno != ENOENT)
		fprintf(stderr, "harness: remove %s: %s\n", path,
		    strerror(errno));
	return 0;
}

static void
dir_remove(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Create "<dir>/<stem>XXXXXX<suffix>"; returns an O_WRONLY|O_APPEND fd. */
static int
tmpfile_open(char *out, size_t outlen, const char *stem, const char *suffix)
{
	int	 fd, afd;

	snprintf(out, outlen, "%s/%sXXXXXX%s", harness_dir(), stem, suffix);
	fd = mkstemps(out, (int)strlen(suffix));
	ck_assert_msg(fd != -1, "mkstemps %s: %s", out, strerror(errno));
	afd = open(out, O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_msg(afd != -1, "open %s: %s", out, strerror(errno));
	close(fd);
	return afd;
}

void
harness_write_file(char *out, size_t outlen, const char *stem,
    const char *suffix, const char *text)
{
	size_t	 len = strlen(text);
	int	 fd;

	fd = tmpfile_open(out, outlen, stem, suffix);
	ck_assert_msg(write(fd, text, len) == (ssize_t)len, "write %s: %s",
	    out, strerror(errno));
	close(fd);
}

void
harness_rewrite_file(const char *path, const char *text)
{
	char	 tmp[HARNESS_PATH_MAX + 64];
	size_t	 len = strlen(text);
	int	 fd;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd != -1, "open %s: %s", tmp, strerror(errno));
	ck_assert_msg(write(fd, text, len) == (ssize_t)len, "write %s: %s",
	    tmp, strerror(errno));
	close(fd);
	ck_assert_msg(rename(tmp, path) == 0, "rename %s: %s", tmp,
	    strerror(errno));
}

void
harness_mkdtemp(char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/dXXXXXX", harness_dir());
	ck_assert_msg(mkdtemp(out) != NULL, "mkdtemp %s: %s", out,
	    strerror(errno));
}

/*
 * Time and text.
 */

int64_t
harness_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * FORKLINE_TEST_SLOW=N multiplies every limit the harness waits with, for
 * a server that runs N times slower than usual: under valgrind (make
 * check-valgrind) or a sanitizer. 1 by default. Read here only; every
 * wait in the harness (and load.c's reply and log waits) computes its
 * deadline through harness_deadline. load_run's time is not a limit but
 * how long to drive the load, and is not scaled.
 */
int
harness_slow(void)
{
	static int	 factor;
	const char	*env;
	char		*end;
	long		 n;

	if (factor != 0)
		return factor;
	factor = 1;
	if ((env = getenv("FORKLINE_TEST_SLOW")) == NULL || *env == '\0')
		return factor;
	errno = 0;
	n = strtol(env, &end, 10);
	if (errno == 0 && *end == '\0' && n >= 1 && n <= 100)
		factor = (int)n;
	else
		fprintf(stderr, "harness: FORKLINE_TEST_SLOW=%s: expected a "
		    "whole number from 1 to 100; using 1\n", env);
	return factor;
}

int64_t
harness_deadline(int limit_ms)
{
	return harness_now_ms() + (int64_t)limit_ms * harness_slow();
}

void
harness_sleep_ms(int ms)
{
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

bool
harness_wait_until(bool (*pred)(void *), void *arg, int timeout_ms)
{
	int64_t	 deadline = harness_deadline(timeout_ms);

	for (;;) {
		if (pred(arg))
			return true;
		if (harness_now_ms() >= deadline)
			return pred(arg);
		harness_sleep_ms(10);
	}
}

/* Rotating static buffers, so several results fit in one message. */
static char *
scratch(void)
{
	static char	 bufs[6][1024];
	static int	 next;

	next = (next + 1) % 6;
	return bufs[next];
}

const char *
harness_describe_status(int status)
{
	char	*buf = scratch();

	if (WIFEXITED(status))
		snprintf(buf, 1024, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, 1024, "was killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, 1024, "has wait status %#x", status);
	return buf;
}

const char *
harness_quote(const void *data, size_t n)
{
	const unsigned char	*p = data;
	char			*buf = scratch(), *o = buf;
	size_t			 i;

	*o++ = '"';
	for (i = 0; i < n && o - buf < QUOTE_MAX * 4; i++) {
		if (p[i] == '\n')
			o += sprintf(o, "\\n");
		else if (p[i] == '\r')
			o += sprintf(o, "\\r");
		else if (p[i] == '"' || p[i] == '\\')
			o += sprintf(o, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			o += sprintf(o, "\\x%02x", p[i]);
		else
			*o++ = (char)p[i];
		if (i + 1 == QUOTE_MAX && n > QUOTE_MAX) {
			o += sprintf(o, "\"... (%zu bytes)", n);
			return buf;
		}
	}
	*o++ = '"';
	*o = '\0';
	return buf;
}

const char *
client_result_name(int r)
{
	switch (r) {
	case CLIENT_EOF:
		return "EOF";
	case CLIENT_TIMEOUT:
		return "a timeout";
	case CLIENT_RESET:
		return "a connection reset";
	case CLIENT_TRUNCATED:
		return "EOF in the middle of a line";
	case CLIENT_OVERFLOW:
		return "a line longer than the buffer";
	}
	return "a line";
}

/*
 * Spawning.
 */

static const char *
forkline_bin(void)
{
	const char	*bin = getenv("FORKLINE_BIN");

	ck_assert_msg(bin != NULL && *bin != '\0',
	    "FORKLINE_BIN is not set: run the suites with make integration");
	ck_assert_msg(access(bin, X_OK) == 0, "FORKLINE_BIN=%s: %s", bin,
	    strerror(errno));
	return bin;
}

/*
 * Fork and exec bin with args; the child's stdout and stderr go to
 * out_fd and err_fd, and listen_fd (if not -1) becomes its fd 3 with the
 * systemd LISTEN_FDS protocol. in_child (if not NULL) runs in the child
 * once that is set up. The child dies with this process.
 */
static pid_t
spawn(const char *bin, const char *const args[], int listen_fd, int out_fd,
    int err_fd, void (*in_child)(int, void *), void *arg)
{
	char	*argv[ARGS_MAX];
	pid_t	 parent = getpid(), pid;
	int	 i;

	argv[0] = (char *)bin;
	for (i = 0; args[i] != NULL; i++) {
		ck_assert_msg(i + 2 < ARGS_MAX, "too many arguments");
		argv[i + 1] = (char *)args[i];
	}
	argv[i + 1] = NULL;

	fflush(NULL);
	pid = fork();
	ck_assert_msg(pid != -1, "fork: %s", strerror(errno));
	if (pid == 0)
		exec_child(parent, argv, listen_fd, out_fd, err_fd, in_child,
		    arg);
	return pid;
}

static void
exec_child(pid_t parent, char *const argv[], int listen_fd, int out_fd,
    int err_fd, void (*in_child)(int, void *), void *arg)
{
	sigset_t	 none;
	char		 pidbuf[32];
	int		 nullfd, first_close = 3;

	/* The test may have died between fork and prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if ((nullfd = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(nullfd, STDIN_FILENO) == -1 ||
	    dup2(out_fd, STDOUT_FILENO) == -1 ||
	    dup2(err_fd, STDERR_FILENO) == -1)
		_exit(127);

	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDNAMES");
	if (listen_fd != -1) {
		/* dup2 clears close-on-exec on the copy, but not in place. */
		if (listen_fd == 3 ? fcntl(3, F_SETFD, 0) == -1 :
		    dup2(listen_fd, 3) == -1)
			_exit(127);
		snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)getpid());
		setenv("LISTEN_FDS", "1", 1);
		setenv("LISTEN_PID", pidbuf, 1);
		first_close = 4;
	}
	if (in_child != NULL)
		in_child(err_fd, arg);
	/* Nothing else of the test's (client sockets above all) leaks in. */
	if (close_range((unsigned)first_close, ~0U, 0) == -1) {
		long	 fd, max = sysconf(_SC_OPEN_MAX);

		for (fd = first_close; fd < max; fd++)
			close((int)fd);
	}
	execv(argv[0], argv);
	dprintf(STDERR_FILENO, "harness: exec %s: %s\n", argv[0],
	    strerror(errno));
	_exit(127);
}

static void
registry_add(pid_t pid)
{
	if (live_owner != getpid()) {
		/* First server of this test process. */
		live_owner = getpid();
		nlive = 0;
		atexit(registry_atexit);
	}
	ck_assert_msg(nlive < SERVERS_MAX, "too many servers");
	live[nlive++] = pid;
}

static void
registry_del(pid_t pid)
{
	int	 i;

	for (i = 0; i < nlive; i++) {
		if (live[i] == pid) {
			live[i] = live[--nlive];
			return;
		}
	}
}

/* A test that passed without stopping its servers: kill them. */
static void
registry_atexit(void)
{
	int	 i;

	if (live_owner != getpid())
		return;
	for (i = 0; i < nlive; i++) {
		fprintf(stderr, "harness: server %ld still running at exit, "
		    "killing it\n", (long)live[i]);
		kill(live[i], SIGKILL);
		waitpid(live[i], NULL, 0);
	}
	nlive = 0;
}

/*
 * Servers.
 */

/* A TCP socket with SO_REUSEADDR, and 127.0.0.1:port in sin, to bind. */
static int
loopback_socket(struct sockaddr_in *sin, int port)
{
	int	 fd, on = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1, "socket: %s", strerror(errno));
	ck_assert_msg(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == 0, "SO_REUSEADDR: %s", strerror(errno));
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return fd;
}

int
harness_listen_tcp(int *port)
{
	struct sockaddr_in	 sin;
	int			 fd;

	fd = loopback_socket(&sin, 0);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0,
	    "bind 127.0.0.1:0: %s", strerror(errno));
	ck_assert_msg(listen(fd, 1024) == 0, "listen: %s", strerror(errno));
	*port = client_local_port(fd);
	return fd;
}

static void
server_spawn(struct server *s, const char *bin, const char *const args[],
    int listen_fd, void (*in_child)(int, void *), void *arg)
{
	int	 fd;

	memset(s, 0, sizeof(*s));
	fd = tmpfile_open(s->log, sizeof(s->log), "server-", ".log");
	s->pid = spawn(bin, args, listen_fd, fd, fd, in_child, arg);
	close(fd);
	registry_add(s->pid);
}

void
server_launch(struct server *s, const char *const args[])
{
	server_launch_with(s, args, NULL, NULL);
}

void
server_launch_with(struct server *s, const char *const args[],
    void (*in_child)(int log_fd, void *arg), void *arg)
{
	const char	*bin = forkline_bin();
	int		 fd, port;

	fd = harness_listen_tcp(&port);
	server_spawn(s, bin, args, fd, in_child, arg);
	close(fd);
	s->port = port;
}

void
server_launch_program(struct server *s, const char *const argv[])
{
	server_spawn(s, argv[0], argv + 1, -1, NULL, NULL);
}

void
server_start(struct server *s, const char *const args[])
{
	server_launch(s, args);
	server_wait_ready(s);
}

void
server_start_unbound(struct server *s, const char *const args[])
{
	server_spawn(s, forkline_bin(), args, -1, NULL, NULL);
	server_parse_listen_addr(s);
	server_wait_ready(s);
}

/* Fail, quoting the end of the server's log. */
static void
fail_with_log(const struct server *s, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck_abort_msg("%s\n--- server log (%s), last part ---\n%s", msg,
	    s->log, log_tail(s));
}

static const char *
log_tail(const struct server *s)
{
	static char	 tail[LOG_TAIL + 1];
	char		*text;
	size_t		 len;

	if ((text = server_log_read(s, &len)) == NULL)
		return "(unreadable)";
	snprintf(tail, sizeof(tail), "%s",
	    len > LOG_TAIL ? text + len - LOG_TAIL : text);
	free(text);
	return tail;
}

/* Fail if the master has exited (it should be serving). */
static void
server_check_running(struct server *s, const char *when)
{
	if (server_wait(s, 0))
		fail_with_log(s, "the server %s %s",
		    harness_describe_status(s->status), when);
}

/*
 * One readiness probe: connect, "PING\n", and wait for "PONG\n" (or
 * "PING\n" back from the echo protocol). Returns 1 ready, 0 try again.
 */
static int
server_probe(struct server *s, int64_t deadline)
{
	char	 line[256];
	int	 fd, r;

	if ((fd = try_open(s)) == -1)
		return 0;
	if (send(fd, "PING\n", 5, MSG_NOSIGNAL) != 5) {
		close(fd);
		return 0;
	}
	do {
		r = client_read_line(fd, line, sizeof(line), 100);
		if (r == CLIENT_TIMEOUT)
			server_check_running(s, "while starting up");
	} while (r == CLIENT_TIMEOUT && harness_now_ms() < deadline);
	close(fd);
	if (r == CLIENT_TIMEOUT)
		return 0;
	if (r > 0 && strcmp(line, "PONG\n") != 0 && strcmp(line, "PING\n") != 0)
		fail_with_log(s, "readiness probe: sent \"PING\\n\", expected "
		    "\"PONG\\n\" (or \"PING\\n\" from the echo protocol), "
		    "got %s", harness_quote(line, (size_t)r));
	return r > 0;
}

static void
server_wait_ready(struct server *s)
{
	int64_t	 deadline = harness_deadline(HARNESS_READY_MS);

	for (;;) {
		if (server_probe(s, deadline))
			return;
		server_check_running(s, "while starting up");
		if (harness_now_ms() >= deadline)
			fail_with_log(s, "the server did not answer PING "
			    "within %d ms of starting", HARNESS_READY_MS);
		harness_sleep_ms(20);
	}
}

/* Wait for "listening on ADDR" and take ADDR for the clients. */
static void
server_parse_listen_addr(struct server *s)
{
	const char	*key = "listening on ";
	char		*text, *p, *colon;
	size_t		 len, n;
	int64_t		 deadline = harness_deadline(HARNESS_READY_MS);

	for (;;) {
		text = server_log_read(s, NULL);
		if (text != NULL && (p = strstr(text, key)) != NULL &&
		    strchr(p, '\n') != NULL)
			break;
		free(text);
		server_check_running(s, "before logging \"listening on\"");
		if (harness_now_ms() >= deadline)
			fail_with_log(s, "no \"listening on\" line in the log "
			    "within %d ms", HARNESS_READY_MS);
		harness_sleep_ms(10);
	}
	p += strlen(key);
	len = strcspn(p, " \t\r\n");
	if (len > 5 && strncmp(p, "unix:", 5) == 0) {
		n = len - 5 < sizeof(s->unix_path) - 1 ? len - 5 :
		    sizeof(s->unix_path) - 1;
		memcpy(s->unix_path, p + 5, n);
		s->unix_path[n] = '\0';
	} else {
		p[len] = '\0';
		colon = strrchr(p, ':');
		s->port = colon != NULL ? atoi(colon + 1) : 0;
		if (s->port <= 0 || s->port > 65535) {
			free(text);
			fail_with_log(s, "cannot read a port from the "
			    "\"listening on\" line");
		}
	}
	free(text);
}

void
server_signal(struct server *s, int sig)
{
	ck_assert_msg(!s->reaped, "signal %d: the server has already exited",
	    sig);
	ck_assert_msg(kill(s->pid, sig) == 0, "kill %ld: %s", (long)s->pid,
	    strerror(errno));
}

bool
server_wait(struct server *s, int timeout_ms)
{
	int64_t	 deadline = harness_deadline(timeout_ms);
	pid_t	 r;

	while (!s->reaped) {
		r = waitpid(s->pid, &s->status, WNOHANG);
		ck_assert_msg(r != -1 || errno == EINTR, "waitpid %ld: %s",
		    (long)s->pid, strerror(errno));
		if (r == s->pid) {
			s->reaped = true;
			registry_del(s->pid);
			break;
		}
		if (harness_now_ms() >= deadline)
			return false;
		harness_sleep_ms(5);
	}
	return true;
}

int
server_stop(struct server *s)
{
	if (s->reaped)
		return s->status;
	server_signal(s, SIGTERM);
	if (!server_wait(s, HARNESS_STOP_MS)) {
		fprintf(stderr, "harness: server %ld did not exit within %d "
		    "ms of SIGTERM; killing it\n", (long)s->pid,
		    HARNESS_STOP_MS);
		kill(s->pid, SIGKILL);
		server_wait(s, HARNESS_STOP_MS);
	}
	return s->status;
}

void
server_assert_exit(const struct server *s, int code, const char *what)
{
	if (s->reaped && WIFEXITED(s->status) &&
	    WEXITSTATUS(s->status) == code)
		return;
	fail_with_log(s, "%s: expected the master to exit with status %d; "
	    "it %s", what, code, s->reaped ?
	    harness_describe_status(s->status) : "is still running");
}

void
server_stop_expect_zero(struct server *s)
{
	server_stop(s);
	server_assert_exit(s, 0, "SIGTERM at the end of the test");
}

/*
 * Logs.
 */

char *
harness_read_file(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0, cap = 0, n;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

char *
server_log_read(const struct server *s, size_t *len)
{
	return harness_read_file(s->log, len);
}

size_t
server_log_size(const struct server *s)
{
	struct stat	 st;

	return stat(s->log, &st) == 0 ? (size_t)st.st_size : 0;
}

bool
server_log_contains(const struct server *s, const char *needle)
{
	char	*text = server_log_read(s, NULL);
	bool	 found = text != NULL && strstr(text, needle) != NULL;

	free(text);
	return found;
}

struct log_wait {
	const struct server	*s;
	const char		*needle;
};

static bool
log_has(void *arg)
{
	struct log_wait	*w = arg;

	return server_log_contains(w->s, w->needle);
}

bool
server_log_wait(const struct server *s, const char *needle, int timeout_ms)
{
	struct log_wait	 w = { s, needle };

	return harness_wait_until(log_has, &w, timeout_ms);
}

/*
 * Processes.
 */

int
ps_children(pid_t pid, pid_t *out, int max)
{
	char	 path[64];
	FILE	*f;
	long	 child;
	int	 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)pid, (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (n < max && fscanf(f, "%ld", &child) == 1)
		out[n++] = (pid_t)child;
	fclose(f);
	return n;
}

/*
 * The fields of /proc/PID/stat after the command name, in buf: "pid (comm)
 * S ..." where comm may hold anything, so after the last ')'. NULL when
 * the process is gone.
 */
static const char *
proc_stat_fields(pid_t pid, char *buf, size_t len)
{
	char	 path[64], *paren;
	size_t	 n;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((paren = strrchr(buf, ')')) == NULL || paren[1] == '\0')
		return NULL;
	return paren + 2;
}

bool
ps_alive(pid_t pid)
{
	char	 st = ps_state(pid);

	return st != '\0' && st != 'Z' && st != 'X';
}

char
ps_state(pid_t pid)
{
	char		 buf[512];
	const char	*fields = proc_stat_fields(pid, buf, sizeof(buf));

	return fields != NULL ? fields[0] : '\0';
}

void
ps_status_field(pid_t pid, const char *name, char *out, size_t len)
{
	char	 path[64], line[512];
	size_t	 nlen = strlen(name);
	FILE	*f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, nlen) == 0 && line[nlen] == ':') {
			snprintf(out, len, "%s", line + nlen + 1 +
			    strspn(line + nlen + 1, " \t"));
			out[strcspn(out, "\n")] = '\0';
			nlen = strlen(out);
			while (nlen > 0 && (out[nlen - 1] == ' ' ||
			    out[nlen - 1] == '\t'))
				out[--nlen] = '\0';
			break;
		}
	fclose(f);
}

const char *
ps_describe(pid_t pid, char *buf, size_t len)
{
	char	 path[64], wchan[64] = "?", pnd[32], shd[32], blk[32];
	char	 state = ps_state(pid);
	FILE	*f;

	if (state == '\0') {
		snprintf(buf, len, "gone");
		return buf;
	}
	snprintf(path, sizeof(path), "/proc/%ld/wchan", (long)pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(wchan, sizeof(wchan), f) == NULL)
			snprintf(wchan, sizeof(wchan), "?");
		fclose(f);
	}
	ps_status_field(pid, "SigPnd", pnd, sizeof(pnd));
	ps_status_field(pid, "ShdPnd", shd, sizeof(shd));
	ps_status_field(pid, "SigBlk", blk, sizeof(blk));
	snprintf(buf, len, "state %c, waiting in %s, signals pending %s, "
	    "shared pending %s, blocked %s", state, wchan, pnd, shd, blk);
	return buf;
}

long
ps_rss_kb(pid_t pid)
{
	char	 path[64], line[256];
	long	 kb = -1;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long
ps_cpu_ticks(pid_t pid)
{
	char		 buf[1024] = "";
	const char	*fields = proc_stat_fields(pid, buf, sizeof(buf));
	unsigned long	 utime, stime;

	ck_assert_msg(fields != NULL, "/proc/%ld/stat: no such process",
	    (long)pid);
	ck_assert_msg(sscanf(fields, "%*c %*d %*d %*d %*d "
	    "%*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2,
	    "parse /proc/%ld/stat: %s", (long)pid, buf);
	return (long)(utime + stime);
}

bool
ps_cmdline(pid_t pid, char *buf, size_t len)
{
	char	 path[64];
	size_t	 n;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return n > 0;
}

struct pids {
	const pid_t	*pids;
	int		 n;
};

static bool
none_alive(void *arg)
{
	struct pids	*p = arg;
	int		 i;

	for (i = 0; i < p->n; i++)
		if (ps_alive(p->pids[i]))
			return false;
	return true;
}

void
ps_assert_gone(const pid_t *pids, int n, int timeout_ms, const char *what)
{
	struct pids	 p = { pids, n };
	char		 msg[1024] = "", cmd[128];
	size_t		 off = 0;
	int		 i;

	if (harness_wait_until(none_alive, &p, timeout_ms))
		return;
	for (i = 0; i < n && off < sizeof(msg) - 200; i++) {
		if (!ps_alive(pids[i]))
			continue;
		if (!ps_cmdline(pids[i], cmd, sizeof(cmd)))
			snprintf(cmd, sizeof(cmd), "?");
		off += (size_t)snprintf(msg + off, sizeof(msg) - off,
		    " %ld (%s)", (long)pids[i], cmd);
	}
	ck_abort_msg("%s: expected these processes to be gone within %d ms, "
	    "still running:%s", what, timeout_ms, msg);
}

int
server_workers(const struct server *s, pid_t *out, int max)
{
	return ps_children(s->pid, out, max);
}

bool
server_is_worker(const struct server *s, pid_t pid)
{
	pid_t	 pids[HARNESS_MAX_PIDS];
	int	 i, n = server_workers(s, pids, HARNESS_MAX_PIDS);

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

bool
pidset_has(const struct pidset *set, pid_t pid)
{
	int	 i;

	for (i = 0; i < set->n; i++)
		if (set->pids[i] == pid)
			return true;
	return false;
}

const char *
pidset_text(const struct pidset *set)
{
	char	*buf = scratch();
	size_t	 off = 0;
	int	 i;

	buf[0] = '\0';
	for (i = 0; i < set->n && off < PIDSET_TEXT_MAX - 16; i++)
		off += (size_t)snprintf(buf + off, PIDSET_TEXT_MAX - off,
		    "%s%ld", i == 0 ? "" : " ", (long)set->pids[i]);
	return buf;
}

bool
worker_replaced(void *arg)
{
	struct replaced	*r = arg;

	r->now.n = server_workers(r->s, r->now.pids, HARNESS_MAX_PIDS);
	return r->now.n == r->n && !pidset_has(&r->now, r->gone) &&
	    !ps_alive(r->gone);
}

struct count_wait {
	const struct server	*s;
	int			 n;
};

static bool
has_n_children(void *arg)
{
	struct count_wait	*w = arg;
	pid_t			 pids[HARNESS_MAX_PIDS];

	return server_workers(w->s, pids, HARNESS_MAX_PIDS) == w->n;
}

void
server_wait_workers(const struct server *s, int n, pid_t *out)
{
	struct count_wait	 w = { s, n };
	int			 got;

	if (!harness_wait_until(has_n_children, &w, HARNESS_READY_MS)) {
		got = server_workers(s, out, n);
		fail_with_log(s, "expected the master (pid %ld) to have %d "
		    "worker processes within %d ms, it has %d", (long)s->pid,
		    n, HARNESS_READY_MS, got);
	}
	server_workers(s, out, n);
}

/*
 * Running to completion.
 */

void
forkline_run(struct run_result *r, const char *const args[], int timeout_ms)
{
	char	 out[HARNESS_PATH_MAX], err[HARNESS_PATH_MAX];
	int	 ofd, efd;
	struct server	 s;

	memset(r, 0, sizeof(*r));
	ofd = tmpfile_open(out, sizeof(out), "run-", ".out");
	efd = tmpfile_open(err, sizeof(err), "run-", ".err");
	memset(&s, 0, sizeof(s));
	s.pid = spawn(forkline_bin(), args, -1, ofd, efd, NULL, NULL);
	registry_add(s.pid);
	close(ofd);
	close(efd);
	if (!server_wait(&s, timeout_ms)) {
		r->timed_out = true;
		kill(s.pid, SIGKILL);
		server_wait(&s, HARNESS_STOP_MS);
	}
	r->status = s.status;
	r->out = harness_read_file(out, NULL);
	r->err = harness_read_file(err, NULL);
	ck_assert_msg(r->out != NULL && r->err != NULL,
	    "cannot read the captured output %s, %s", out, err);
	unlink(out);
	unlink(err);
}

void
run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void
run_assert_exit(const struct run_result *r, int code, const char *what)
{
	ck_assert_msg(!r->timed_out && WIFEXITED(r->status) &&
	    WEXITSTATUS(r->status) == code,
	    "%s: expected exit status %d; it %s%s\nstdout: %s\nstderr: %s",
	    what, code, harness_describe_status(r->status),
	    r->timed_out ? " after running past the time limit" : "",
	    harness_quote(r->out, strlen(r->out)),
	    harness_quote(r->err, strlen(r->err)));
}

/*
 * Clients.
 */

/* Wait for events on fd until deadline: 1 ready, 0 timeout. */
static int
poll_one(int fd, short events, int64_t deadline)
{
	struct pollfd	 pfd = { fd, events, 0 };
	int64_t		 left;
	int		 r;

	for (;;) {
		left = deadline - harness_now_ms();
		if (left < 0)
			left = 0;
		r = poll(&pfd, 1, (int)left);
		if (r >= 0)
			return r;
		ck_assert_msg(errno == EINTR, "poll: %s", strerror(errno));
	}
}

/* Connect with a bound on the time; 0 or an errno value. */
static int
connect_bounded(int fd, const struct sockaddr *sa, socklen_t len,
    int timeout_ms)
{
	int		 flags = fcntl(fd, F_GETFL), err = 0;
	socklen_t	 errlen = sizeof(err);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	if (connect(fd, sa, len) == -1) {
		if (errno != EINPROGRESS)
			return errno;
		if (poll_one(fd, POLLOUT, harness_deadline(timeout_ms)) == 0)
			return ETIMEDOUT;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
		if (err != 0)
			return err;
	}
	fcntl(fd, F_SETFL, flags);
	return 0;
}

/* A connected stream socket, or -1 with errno set. */
static int
try_connect(int domain, const struct sockaddr *sa, socklen_t len)
{
	int	 fd, err;

	fd = socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1, "socket: %s", strerror(errno));
	err = connect_bounded(fd, sa, len, HARNESS_REPLY_MS);
	if (err != 0) {
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static int
try_connect_port(int port)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return try_connect(AF_INET, (struct sockaddr *)&sin, sizeof(sin));
}

static int
try_connect_unix(const char *path)
{
	struct sockaddr_un	 sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_msg(strlen(path) < sizeof(sun.sun_path), "path too long");
	strcpy(sun.sun_path, path);
	return try_connect(AF_UNIX, (struct sockaddr *)&sun, sizeof(sun));
}

static int
try_open(const struct server *s)
{
	return s->unix_path[0] != '\0' ? try_connect_unix(s->unix_path) :
	    try_connect_port(s->port);
}

int
client_connect(int port)
{
	int	 fd = try_connect_port(port);

	ck_assert_msg(fd != -1, "connect to 127.0.0.1:%d: %s", port,
	    strerror(errno));
	return fd;
}

int
client_connect_unix(const char *path)
{
	int	 fd = try_connect_unix(path);

	ck_assert_msg(fd != -1, "connect to unix:%s: %s", path,
	    strerror(errno));
	return fd;
}

int
client_local_port(int fd)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);

	ck_assert_msg(getsockname(fd, (struct sockaddr *)&sin, &len) == 0,
	    "getsockname: %s", strerror(errno));
	return ntohs(sin.sin_port);
}

int
client_open(const struct server *s)
{
	return s->unix_path[0] != '\0' ? client_connect_unix(s->unix_path) :
	    client_connect(s->port);
}

/* The server answers a new client: PING on its own connection, then close. */
void
client_ping(const struct server *s)
{
	int	 fd = client_open(s);

	client_request(fd, "PING\n", "PONG\n");
	close(fd);
}

void
client_send_bytes(int fd, const void *data, size_t len)
{
	const char	*p = data;
	int64_t		 deadline = harness_deadline(HARNESS_REPLY_MS);
	ssize_t		 n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		ck_assert_msg(errno == EAGAIN || errno == EINTR,
		    "send %s: %s", harness_quote(data, len), strerror(errno));
		ck_assert_msg(poll_one(fd, POLLOUT, deadline) == 1,
		    "send: the server has not read its input for %d ms",
		    HARNESS_REPLY_MS);
	}
}

void
client_send(int fd, const char *text)
{
	client_send_bytes(fd, text, strlen(text));
}

int
client_read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd	 pfd = { fd, POLLIN | POLLRDHUP, 0 };
	int64_t		 deadline = harness_deadline(timeout_ms), left;
	ssize_t		 n, got;
	char		*nl;
	bool		 closing = false;

	for (;;) {
		/* Peek, then take exactly one line: the rest stays queued. */
		n = recv(fd, buf, len - 1, MSG_PEEK | MSG_DONTWAIT);
		if (n > 0 && (nl = memchr(buf, '\n', (size_t)n)) != NULL) {
			got = recv(fd, buf, (size_t)(nl - buf + 1),
			    MSG_WAITALL);
			ck_assert_msg(got == nl - buf + 1, "recv: %s",
			    strerror(errno));
			buf[got] = '\0';
			return (int)got;
		}
		buf[n > 0 ? n : 0] = '\0';
		if (n > 0 && (size_t)n == len - 1)
			return CLIENT_OVERFLOW;
		if (n == 0)
			return CLIENT_EOF;
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return CLIENT_RESET;
		if (closing)
			return n > 0 ? CLIENT_TRUNCATED : CLIENT_RESET;
		left = deadline - harness_now_ms();
		if (left <= 0)
			return CLIENT_TIMEOUT;
		if (poll(&pfd, 1, (int)left) == 1 &&
		    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
			closing = true;	/* one more look, then give up */
	}
}

bool
client_read_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	char	*p = buf;
	int64_t	 deadline = harness_deadline(timeout_ms);
	ssize_t	 n;

	while (len > 0) {
		if (poll_one(fd, POLLIN, deadline) == 0)
			return false;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return false;
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	return true;
}

char *
client_read_all(int fd, size_t *lenp, int *how, int timeout_ms)
{
	int64_t	 deadline = harness_deadline(timeout_ms);
	size_t	 len = 0, cap = 65536;
	char	*buf = malloc(cap);
	ssize_t	 n;

	ck_assert_msg(buf != NULL, "out of memory");
	for (;;) {
		if (poll_one(fd, POLLIN, deadline) == 0) {
			*how = CLIENT_TIMEOUT;
			break;
		}
		if (cap - len < 4096 && (buf = realloc(buf, cap *= 2)) == NULL)
			abort();
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0) {
			*how = CLIENT_EOF;
			break;
		}
		if (errno != EAGAIN && errno != EINTR) {
			*how = CLIENT_RESET;
			break;
		}
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/*
 * Read a line and compare; request (may be NULL) says what prompted it,
 * file and line where the test asked.
 */
static void
expect_line(const char *file, int line, int fd, const char *want,
    const char *request)
{
	size_t	 len = strlen(want) + 1024;
	char	*buf = malloc(len), ctx[512] = "";
	int	 r;

	ck_assert_msg(buf != NULL, "out of memory");
	if (request != NULL)
		snprintf(ctx, sizeof(ctx), " to request %s",
		    harness_quote(request, strlen(request)));
	r = client_read_line(fd, buf, len, HARNESS_REPLY_MS);
	ck_assert_msg(r > 0, "%s:%d: expected reply %s%s, got %s (%d ms "
	    "limit)%s%s", file, line, harness_quote(want, strlen(want)), ctx,
	    client_result_name(r), HARNESS_REPLY_MS,
	    buf[0] != '\0' ? "; received so far: " : "",
	    buf[0] != '\0' ? harness_quote(buf, strlen(buf)) : "");
	ck_assert_msg(strcmp(buf, want) == 0, "%s:%d: expected reply %s%s, "
	    "got %s", file, line, harness_quote(want, strlen(want)), ctx,
	    harness_quote(buf, (size_t)r));
	free(buf);
}

void
client_expect_at(const char *file, int line, int fd, const char *want)
{
	expect_line(file, line, fd, want, NULL);
}

void
client_request_at(const char *file, int line, int fd, const char *request,
    const char *want)
{
	client_send(fd, request);
	expect_line(file, line, fd, want, request);
}

void
client_expect_close_at(const char *file, int line, int fd, bool allow_reset)
{
	size_t	 len;
	int	 how;
	char	*data = client_read_all(fd, &len, &how, HARNESS_REPLY_MS);

	ck_assert_msg(len == 0, "%s:%d: expected the server to close the "
	    "connection, it sent %s", file, line, harness_quote(data, len));
	ck_assert_msg(how == CLIENT_EOF || (allow_reset &&
	    how == CLIENT_RESET), "%s:%d: expected the server to close the "
	    "connection (EOF%s), got %s", file, line,
	    allow_reset ? " or reset" : "", client_result_name(how));
	free(data);
}

/*
 * The server's socket of a client connection, in /proc/net/tcp: its local
 * address is our peer and its remote address is us. Addresses are printed
 * as the raw 32-bit word in hex, ports in host order.
 */
static bool
tcp_server_side(int fd, unsigned long *inode, unsigned long *rxq)
{
	struct sockaddr_in	 me, peer;
	socklen_t		 mlen = sizeof(me), plen = sizeof(peer);
	unsigned		 laddr, lport, raddr, rport, state;
	unsigned long		 txq, rq, ino;
	char			 line[512];
	FILE			*f;
	bool			 found = false;

	if (getsockname(fd, (struct sockaddr *)&me, &mlen) == -1 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) == -1 ||
	    (f = fopen("/proc/net/tcp", "re")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %*d: %x:%x %x:%x %x %lx:%lx %*x:%*x %*x "
		    "%*u %*u %lu", &laddr, &lport, &raddr, &rport, &state,
		    &txq, &rq, &ino) != 8)
			continue;
		if (laddr == peer.sin_addr.s_addr &&
		    lport == ntohs(peer.sin_port) &&
		    raddr == me.sin_addr.s_addr &&
		    rport == ntohs(me.sin_port)) {
			*inode = ino;
			*rxq = rq;
			found = true;
		}
	}
	fclose(f);
	return found;
}

struct consumed {
	int		 fd;
	unsigned long	 inode;
	unsigned long	 rxq;
};

static bool
is_consumed(void *arg)
{
	struct consumed	*c = arg;

	return tcp_server_side(c->fd, &c->inode, &c->rxq) && c->inode != 0 &&
	    c->rxq == 0;
}

void
client_wait_consumed(int fd)
{
	struct consumed	 c = { fd, 0, 0 };

	ck_assert_msg(harness_wait_until(is_consumed, &c, HARNESS_REPLY_MS),
	    "the server did not accept this connection and read what was "
	    "sent within %d ms (socket inode %lu, unread bytes %lu)",
	    HARNESS_REPLY_MS, c.inode, c.rxq);
}

bool
info_parse(const char *text, struct info_reply *out)
{
	int	 end = 0;

	return sscanf(text, "pid=%ld worker=%ld generation=%ld "
	    "connections=%ld requests=%ld%n", &out->pid, &out->worker,
	    &out->generation, &out->connections, &out->requests, &end) == 5 &&
	    text[end] == '\0';
}

void
client_info(int fd, struct info_reply *out)
{
	char	 line[512], text[512];
	int	 r;

	client_send(fd, "INFO\n");
	r = client_read_line(fd, line, sizeof(line), HARNESS_REPLY_MS);
	ck_assert_msg(r > 0, "INFO: expected a reply line, got %s",
	    client_result_name(r));
	snprintf(text, sizeof(text), "%.*s", r - 1, line);
	ck_assert_msg(info_parse(text, out), "INFO: expected \"pid=N "
	    "worker=N generation=N connections=N requests=N\\n\", got %s",
	    harness_quote(line, (size_t)r));
}

/*
 * INI.
 */

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Count [section] key = value entries; copy the first value to val. */
static int
ini_scan(const char *text, const char *section, const char *key,
    char *val, size_t len)
{
	char	*copy = strdup(text), *line, *save = NULL, *p, *eq;
	char	 cur[128] = "";
	int	 count = 0;

	ck_assert_msg(copy != NULL, "out of memory");
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		p = trim(line);
		if (*p == '[' && (eq = strchr(p, ']')) != NULL) {
			*eq = '\0';
			snprintf(cur, sizeof(cur), "%s", trim(p + 1));
			continue;
		}
		if (*p == ';' || *p == '#' || (eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(cur, section) != 0 || strcmp(trim(p), key) != 0)
			continue;
		if (count++ == 0 && val != NULL)
			snprintf(val, len, "%s", trim(eq + 1));
	}
	free(copy);
	return count;
}

bool
ini_lookup(const char *text, const char *section, const char *key,
    char *val, size_t len)
{
	return ini_scan(text, section, key, val, len) > 0;
}

int
ini_count(const char *text, const char *section, const char *key)
{
	return ini_scan(text, section, key, NULL, 0);
}

int
harness_free_port(void)
{
	int	 port;

	close(harness_listen_tcp(&port));
	return port;
}

bool
harness_port_bindable(int port)
{
	struct sockaddr_in	 sin;
	int			 fd = loopback_socket(&sin, port);
	bool			 ok;

	ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    listen(fd, 1) == 0;
	close(fd);
	return ok;
}

int
harness_count(const char *text, const char *needle)
{
	int	 n = 0;

	for (; (text = strstr(text, needle)) != NULL; text += strlen(needle))
		n++;
	return n;
}

char *
harness_http_get(int port, const char *request, int *status)
{
	size_t	 len;
	int	 fd, how;
	char	*text;

	fd = client_connect(port);
	client_send(fd, request);
	text = client_read_all(fd, &len, &how, 10000);
	close(fd);
	ck_assert_msg(text != NULL && sscanf(text, "HTTP/1.%*d %d", status) ==
	    1, "no HTTP status line for %s", harness_quote(request,
	    strlen(request)));
	return text;
}
