/*
 * net: parse listening addresses and open listening sockets. See net.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/escape.h"
#include "common/net.h"

static int	 parse_unix(const char *, struct net_addr *, char *, size_t);
static int	 parse_port(const char *, in_port_t *);
static int	 split_host_port(const char *, char *, size_t, in_port_t *,
		    int *, char *, size_t);
static int	 parse_inet(const char *, struct net_addr *, char *, size_t);
static int	 unix_remove_stale(const char *, char *, size_t);
static int	 listen_options(int, const struct net_addr *, char *, size_t);

int
net_parse_addr(const char *text, struct net_addr *out, char *err,
    size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text + 5, out, err, errlen);
	return parse_inet(text, out, err, errlen);
}

static int
parse_unix(const char *path, struct net_addr *out, char *err, size_t errlen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->ss;

	if (path[0] != '/') {
		snprintf(err, errlen, "'unix:%s': the socket path must be "
		    "absolute", path);
		return -1;
	}
	if (strlen(path) >= sizeof(sun->sun_path)) {
		snprintf(err, errlen, "'unix:%s': the socket path is longer "
		    "than %zu bytes", path, sizeof(sun->sun_path) - 1);
		return -1;
	}
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	out->len = (socklen_t)sizeof(*sun);
	snprintf(out->text, sizeof(out->text), "unix:%s", path);
	return 0;
}

/* Decimal 0..65535, nothing else. */
static int
parse_port(const char *text, in_port_t *port)
{
	unsigned long v = 0;
	const char *p;

	if (*text == '\0' || strlen(text) > 5)
		return -1;
	for (p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

/*
 * "HOST:PORT" with a numeric IPv4 host or "*", or "[HOST]:PORT" with a
 * numeric IPv6 host. The canonical text is rebuilt from the parsed address,
 * so "*:7007" and "0.0.0.0:7007" compare equal.
 */
static int
split_host_port(const char *text, char *host, size_t hostlen,
    in_port_t *port, int *v6, char *err, size_t errlen)
{
	const char *colon, *hstart, *hend;

	*v6 = text[0] == '[';
	if (*v6) {
		hstart = text + 1;
		hend = strchr(hstart, ']');
		if (hend == NULL || hend[1] != ':') {
			snprintf(err, errlen, "'%s': expected [IPV6]:PORT",
			    text);
			return -1;
		}
		colon = hend + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL) {
			snprintf(err, errlen, "'%s': expected HOST:PORT, "
			    "[IPV6]:PORT or unix:/PATH", text);
			return -1;
		}
		hstart = text;
		hend = colon;
	}
	if (parse_port(colon + 1, port) == -1) {
		snprintf(err, errlen, "'%s': port must be a number 0..65535",
		    text);
		return -1;
	}
	if ((size_t)(hend - hstart) >= hostlen) {
		snprintf(err, errlen, "'%s': not a numeric IP address", text);
		return -1;
	}
	memcpy(host, hstart, (size_t)(hend - hstart));
	host[hend - hstart] = '\0';
	return 0;
}

static int
parse_inet(const char *text, struct net_addr *out, char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
	in_port_t port;
	int v6;

	if (split_host_port(text, host, sizeof(host), &port, &v6, err,
	    errlen) == -1)
		return -1;
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			snprintf(err, errlen, "'%s': '%s' is not a numeric "
			    "IPv6 address", text, host);
			return -1;
		}
		out->len = (socklen_t)sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		if (strcmp(host, "*") == 0)
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
			snprintf(err, errlen, "'%s': '%s' is not a numeric "
			    "IPv4 address (names are not resolved)", text,
			    host);
			return -1;
		}
		out->len = (socklen_t)sizeof(*sin);
	}
	net_format((struct sockaddr *)&out->ss, out->len, out->text,
	    sizeof(out->text));
	return 0;
}

void
net_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	char host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, buflen, "%s:%u", host, ntohs(sin->sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, buflen, "[%s]:%u", host, ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		/* Accepted unix peers are unnamed: len covers only the family. */
		if (len > offsetof(struct sockaddr_un, sun_path) &&
		    sun->sun_path[0] != '\0')
			snprintf(buf, buflen, "unix:%.*s",
			    (int)(len - offsetof(struct sockaddr_un, sun_path)),
			    sun->sun_path);
		else
			snprintf(buf, buflen, "unix");
		break;
	default:
		snprintf(buf, buflen, "family-%d", sa->sa_family);
		break;
	}
}

/*
 * A unix client chooses its own address: any path it can bind, with any
 * bytes but NUL in it (newlines, ESC, quotes). It reaches the logs, the
 * access log and /status, so it is escaped (escape.h); spaces too, since
 * the access log's peer field is not quoted.
 */
void
net_format_peer(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t buflen)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	size_t off = offsetof(struct sockaddr_un, sun_path), n;

	if (sa->sa_family != AF_UNIX || len <= off || sun->sun_path[0] == '\0' ||
	    buflen <= sizeof("unix:")) {
		net_format(sa, len, buf, buflen);
		return;
	}
	n = strnlen(sun->sun_path, len - off);
	memcpy(buf, "unix:", sizeof("unix:"));
	esc_field(buf + sizeof("unix:") - 1, buflen - (sizeof("unix:") - 1),
	    sun->sun_path, n);
}

int
net_local_addr(int fd, struct net_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (getsockname(fd, (struct sockaddr *)&out->ss, &out->len) == -1)
		return -1;
	net_format((struct sockaddr *)&out->ss, out->len, out->text,
	    sizeof(out->text));
	return 0;
}

/*
 * A socket file nobody accepts on is left behind by a server that died
 * without cleaning up: remove it. A live one means another server owns the
 * path; anything that is not a socket is not ours to delete.
 */
static int
unix_remove_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, live, saved;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : (snprintf(err, errlen,
		    "unix:%s: %s", path, strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "unix:%s: exists and is not a socket; "
		    "not removing it", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket(AF_UNIX): %s", strerror(errno));
		return -1;
	}
	live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	saved = errno;
	close(fd);
	if (live) {
		snprintf(err, errlen, "unix:%s: another process is listening "
		    "on this socket", path);
		return -1;
	}
	if (saved != ECONNREFUSED) {
		snprintf(err, errlen, "unix:%s: cannot tell whether the "
		    "existing socket is in use: %s", path, strerror(saved));
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "unix:%s: cannot remove stale socket: "
		    "%s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
listen_options(int fd, const struct net_addr *addr, char *err, size_t errlen)
{
	int on = 1;

	if (addr->ss.ss_family == AF_UNIX)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1) {
		snprintf(err, errlen, "%s: setsockopt(SO_REUSEADDR): %s",
		    addr->text, strerror(errno));
		return -1;
	}
	/* So "[::]:P" and "0.0.0.0:P" can both be listened on. */
	if (addr->ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) {
		snprintf(err, errlen, "%s: setsockopt(IPV6_V6ONLY): %s",
		    addr->text, strerror(errno));
		return -1;
	}
	return 0;
}

int
net_listen(const struct net_addr *addr, int backlog, unsigned unix_mode,
    char *err, size_t errlen)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&addr->ss;
	int fd, family = addr->ss.ss_family;

	if (family == AF_UNIX &&
	    unix_remove_stale(sun->sun_path, err, errlen) == -1)
		return -1;
	/*
	 * Non-blocking: every worker waiting on the socket may be woken for
	 * one connection; the losers must get EAGAIN, not block in accept.
	 */
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "%s: socket: %s", addr->text,
		    strerror(errno));
		return -1;
	}
	if (listen_options(fd, addr, err, errlen) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&addr->ss, addr->len) == -1) {
		snprintf(err, errlen, "%s: bind: %s", addr->text,
		    strerror(errno));
		goto fail;
	}
	if (family == AF_UNIX && chmod(sun->sun_path, unix_mode) == -1) {
		snprintf(err, errlen, "%s: chmod %04o: %s", addr->text,
		    unix_mode, strerror(errno));
		unlink(sun->sun_path);
		goto fail;
	}
	if (listen(fd, backlog) == -1) {
		snprintf(err, errlen, "%s: listen: %s", addr->text,
		    strerror(errno));
		if (family == AF_UNIX)
			unlink(sun->sun_path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}
