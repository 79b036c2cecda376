/*
 * server: start forkline, wait for it, stop it. See server.h.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/client.h"
#include "tests/support/logs.h"
#include "tests/support/server.h"
#include "tests/support/spawn.h"

#define LOG_TAIL	3000

static const char *log_tail(const struct server *s);
static int	 loopback_socket(struct sockaddr_in *sin, int port);
static void	 server_spawn(struct server *s, const char *bin,
		    const char *const args[], int listen_fd,
		    void (*in_child)(int, void *), void *arg);
static void	 server_check_running(struct server *s, const char *when);
static void	 server_wait_ready(struct server *s);
static int	 server_probe(struct server *s, int64_t deadline);
static void	 server_parse_listen_addr(struct server *s);

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
	fd = harness_open_tmpfile(s->log, sizeof(s->log), "server-", ".log");
	s->pid = harness_spawn(bin, args, listen_fd, fd, fd, in_child, arg);
	close(fd);
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
	const char	*bin = harness_forkline_bin();
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
server_start_quiet(struct server *s, const char *const args[])
{
	int64_t	 deadline;

	server_launch(s, args);
	deadline = harness_deadline(HARNESS_READY_MS);
	while (log_count(s, "ready: ", 0) == 0) {
		server_check_running(s, "while starting up");
		if (harness_now_ms() >= deadline)
			server_fail(s, "the master did not log \"ready:\" "
			    "within %d ms of starting", HARNESS_READY_MS);
		harness_sleep_ms(10);
	}
}

void
server_start_unbound(struct server *s, const char *const args[])
{
	server_spawn(s, harness_forkline_bin(), args, -1, NULL, NULL);
	server_parse_listen_addr(s);
	server_wait_ready(s);
}

void
server_fail(const struct server *s, const char *fmt, ...)
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
		server_fail(s, "the server %s %s",
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

	if ((fd = client_try_open(s)) == -1)
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
		server_fail(s, "readiness probe: sent \"PING\\n\", expected "
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
			server_fail(s, "the server did not answer PING "
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
			server_fail(s, "no \"listening on\" line in the log "
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
			server_fail(s, "cannot read a port from the "
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
			harness_forget(s->pid);
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
	server_fail(s, "%s: expected the master to exit with status %d; "
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
 * Running to completion.
 */

void
forkline_run(struct run_result *r, const char *const args[], int timeout_ms)
{
	char	 out[HARNESS_PATH_MAX], err[HARNESS_PATH_MAX];
	int	 ofd, efd;
	struct server	 s;

	memset(r, 0, sizeof(*r));
	ofd = harness_open_tmpfile(out, sizeof(out), "run-", ".out");
	efd = harness_open_tmpfile(err, sizeof(err), "run-", ".err");
	memset(&s, 0, sizeof(s));
	s.pid = harness_spawn(harness_forkline_bin(), args, -1, ofd, efd, NULL,
	    NULL);
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
 * A port below the kernel's ephemeral range (ip_local_port_range): a port
 * bind(0) hands out is one a client's connect may take as its source port
 * before the server binds it ("Address already in use"); one below the
 * range is never handed out that way. Tried at random, a bounded number
 * of times; bind(0) if none is free.
 */
int
harness_free_port(void)
{
	static unsigned	 counter;
	unsigned	 low = 32768, r;
	FILE		*fp;
	int		 port, i;

	if ((fp = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) !=
	    NULL) {
		if (fscanf(fp, "%u", &low) != 1)
			low = 32768;
		fclose(fp);
	}
	for (i = 0; low > 12000 && i < 200; i++) {
		r = (unsigned)getpid() * 2654435761u + (unsigned)time(NULL) +
		    ++counter * 40503u;
		port = 10000 + (int)(r % (low - 10000));
		if (harness_port_bindable(port))
			return port;
	}
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
