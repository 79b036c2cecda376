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

static int	 connect_admin(const struct net_addr *);
static int	 wait_io(int, short, int64_t);
static char	*fetch(int, const char *, size_t *);

/* 1 ready, 0 deadline passed. */
static int
wait_io(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;

	while ((left = deadline - now_ms()) > 0)
		if (poll(&pfd, 1, (int)left) > 0 || errno != EINTR)
			return 1;
	return 0;
}

static int
connect_admin(const struct net_addr *addr)
{
	int fd, r;

	fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	r = connect(fd, (const struct sockaddr *)&addr->ss, addr->len);
	if (r == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send the request, read the whole answer (bounded), NUL-terminated. */
static char *
fetch(int fd, const char *request, size_t *len)
{
	int64_t deadline = now_ms() + STATUS_TIMEOUT_MS;
	size_t cap = 65536, used = 0;
	char *buf;
	ssize_t n;

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
		if (n < 0 && errno != EINTR)
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
	size_t len;
	int fd, code;

	if (net_parse_addr(admin, &addr, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkline status: admin address %s\n", err);
		return EX_USAGE;
	}
	if ((fd = connect_admin(&addr)) == -1) {
		fprintf(stderr, "forkline status: cannot connect to the admin "
		    "endpoint %s: %s (is forkline running with [admin] "
		    "listen?)\n", addr.text, strerror(errno));
		return EX_UNAVAILABLE;
	}
	snprintf(request, sizeof(request), "GET /status%s HTTP/1.0\r\n"
	    "Host: forkline\r\n\r\n", json ? "" : "?format=text");
	reply = fetch(fd, request, &len);
	close(fd);
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
