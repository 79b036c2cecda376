/*
 * status: `forkline status`, a client of the running master's admin
 * endpoint. It asks for /status (the table the master formats, or the
 * JSON with --json) and prints it. A plain blocking client with a
 * deadline: this runs in its own short-lived process, not in the master.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "common/net.h"
#include "common/proc.h"
#include "server/status.h"

#define STATUS_TIMEOUT_MS	5000
#define STATUS_REPLY_MAX	(4 * 1024 * 1024)

static int	 connect_admin(const struct net_addr *, int64_t);
static int	 wait_io(int, short, int64_t);
static char	*fetch(int, const char *, int64_t, size_t *);

/*
 * 1 when fd is ready for events (or poll failed: the read or write that
 * follows tells why), 0 once the deadline has passed.
 */
static int
wait_io(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int r;

	while ((left = deadline - now_ms()) > 0) {
		r = poll(&pfd, 1, (int)left);
		if (r > 0 || (r == -1 && errno != EINTR))
			return 1;
	}
	return 0;
}

/*
 * Connect without blocking past the deadline: a listener whose queue is
 * full (an admin endpoint at its connection cap) drops the SYN, and a
 * blocking connect would wait for the kernel's retries, minutes.
 */
static int
connect_admin(const struct net_addr *addr, int64_t deadline)
{
	socklen_t len = sizeof(int);
	int fd, soerr = 0;

	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EAGAIN)
		goto fail;
	if (wait_io(fd, POLLOUT, deadline) == 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		goto fail;
	if (soerr == 0)
		return fd;
	errno = soerr;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

/* Send the request, read the whole answer (bounded), NUL-terminated. */
static char *
fetch(int fd, const char *request, int64_t deadline, size_t *len)
{
	size_t cap = 65536, used = 0;
	char *buf;
	ssize_t n;

	if (wait_io(fd, POLLOUT, deadline) == 0) {
		errno = ETIMEDOUT;
		return NULL;
	}
	if (write(fd, request, strlen(request)) != (ssize_t)strlen(request))
		return NULL;
	if ((buf = malloc(cap)) == NULL)
		return NULL;
	for (;;) {
		if (used + 1 == cap) {
			char *bigger;

			if (cap >= STATUS_REPLY_MAX ||
			    (bigger = realloc(buf, cap * 2)) == NULL)
				break;
			buf = bigger;
			cap *= 2;
		}
		if (wait_io(fd, POLLIN, deadline) == 0) {
			errno = ETIMEDOUT;
			break;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n == 0) {
			buf[used] = '\0';
			*len = used;
			return buf;
		}
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			break;
		if (n > 0)
			used += (size_t)n;
	}
	free(buf);
	return NULL;
}

int
status_command(const char *admin, bool json)
{
	char err[256], request[128];
	struct net_addr addr;
	const char *body;
	char *reply;
	int64_t deadline = now_ms() + STATUS_TIMEOUT_MS;
	size_t len;
	int fd, code;

	if (net_parse_addr(admin, &addr, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkline status: admin address %s\n", err);
		return EX_USAGE;
	}
	if ((fd = connect_admin(&addr, deadline)) == -1) {
		fprintf(stderr, "forkline status: cannot connect to the admin "
		    "endpoint %s: %s (is forkline running with [admin] "
		    "listen?)\n", addr.text, errno == ETIMEDOUT ?
		    "no answer in time" : strerror(errno));
		return EX_UNAVAILABLE;
	}
	snprintf(request, sizeof(request), "GET /status%s HTTP/1.0\r\n"
	    "Host: forkline\r\n\r\n", json ? "" : "?format=text");
	reply = fetch(fd, request, deadline, &len);
	close(fd);
	if (reply == NULL && errno == ETIMEDOUT) {
		fprintf(stderr, "forkline status: %s accepted the connection "
		    "but gave no answer within %d s (a stopped master, or one "
		    "that cannot keep up)\n", addr.text,
		    STATUS_TIMEOUT_MS / 1000);
		return EX_UNAVAILABLE;
	}
	if (reply == NULL) {
		fprintf(stderr, "forkline status: reading from %s: %s\n",
		    addr.text, strerror(errno));
		return EX_OSERR;
	}
	body = strstr(reply, "\r\n\r\n");
	if (sscanf(reply, "HTTP/1.%*d %d", &code) != 1 || body == NULL ||
	    code != 200) {
		fprintf(stderr, "forkline status: unexpected answer from %s: "
		    "%.80s\n", addr.text, reply);
		free(reply);
		return EX_OSERR;
	}
	fputs(body + 4, stdout);
	free(reply);
	return 0;
}
