/*
 * client: one test client talking to a server. See client.h.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/client.h"

static int	 poll_one(int fd, short events, int64_t deadline);
static int	 connect_bounded(int fd, const struct sockaddr *sa,
		    socklen_t len, int timeout_ms);
static int	 try_connect(int domain, const struct sockaddr *sa,
		    socklen_t len);
static int	 try_connect_port(int port);
static int	 try_connect_unix(const char *path);
static void	 expect_line(const char *file, int line, int fd,
		    const char *want, const char *request);
static bool	 tcp_server_side(int fd, unsigned long *inode,
		    unsigned long *rxq);
static bool	 is_consumed(void *arg);

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

int
client_try_open(const struct server *s)
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
client_ping_port(int port)
{
	int	 fd = client_connect(port);

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
