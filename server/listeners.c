/*
 * listeners: the listening sockets, opened once by the master before any
 * worker is forked, or inherited from systemd socket activation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/log.h"
#include "server/listeners.h"

static int	 listeners_inherit(struct core *, int, char **, char *, size_t);
static int	 listeners_bind(struct core *, char *, size_t);
static bool	 listener_is(const struct listener *, const struct net_addr *);
static int	 open_one(const struct conf *, const char *, struct listener *,
		    char *, size_t);

/*
 * Sockets passed with LISTEN_FDS are used as they are: systemd (or a test
 * harness) bound them, and configured addresses are ignored.
 */
static int
listeners_inherit(struct core *c, int n, char **names, char *err,
    size_t errlen)
{
	struct listener *l;
	bool named;
	int i, fd, flags;

	if (n > CONF_LISTEN_MAX) {
		snprintf(err, errlen, "%d sockets passed in LISTEN_FDS; at "
		    "most %d are supported", n, CONF_LISTEN_MAX);
		return -1;
	}
	c->inherited = true;
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			snprintf(err, errlen, "fd %d from LISTEN_FDS is not a "
			    "listening stream socket", fd);
			return -1;
		}
		flags = fcntl(fd, F_GETFL);
		if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			snprintf(err, errlen, "fd %d from LISTEN_FDS: fcntl: "
			    "%s", fd, strerror(errno));
			return -1;
		}
		l = &c->listeners[c->nlisteners++];
		l->fd = fd;
		net_local_addr(fd, &l->addr);
		/*
		 * From an old master (binary upgrade) they are ours, made
		 * from our configuration: a reload may change them and unix
		 * socket files are ours to remove.
		 */
		l->owned = c->upgrade_from != 0;
		memcpy(l->spec, l->addr.text, sizeof(l->spec));
		/* sd_listen_fds_with_names says "unknown" for no name. */
		named = names != NULL && strcmp(names[i], "unknown") != 0;
		log_info("listening on %s (fd %d%s%s%s from %s)", l->addr.text,
		    fd, named ? ", \"" : "", named ? names[i] : "",
		    named ? "\"" : "", c->upgrade_from != 0 ?
		    "the old master" : "the service manager");
	}
	if (c->upgrade_from != 0) {
		c->inherited = false;
		return 0;
	}
	log_info("using %d socket%s passed in LISTEN_FDS; the listen "
	    "setting is ignored", n, n == 1 ? "" : "s");
	return 0;
}

/* Open one configured address; port 0 becomes the port the kernel chose. */
static int
open_one(const struct conf *conf, const char *text, struct listener *l,
    char *err, size_t errlen)
{
	char why[CONF_ERR_MAX];
	struct net_addr addr;
	int fd;

	if (net_parse_addr(text, &addr, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "listen %s", why);
		return -1;
	}
	fd = net_listen(&addr, conf->backlog, conf->unix_mode, why,
	    sizeof(why));
	if (fd == -1) {
		snprintf(err, errlen, "cannot listen on %s", why);
		return -1;
	}
	l->fd = fd;
	l->owned = true;
	memcpy(l->spec, addr.text, sizeof(l->spec));
	if (addr.ss.ss_family == AF_UNIX || net_local_addr(fd, &l->addr) == -1)
		l->addr = addr;
	log_info("listening on %s", l->addr.text);
	return 0;
}

static int
listeners_bind(struct core *c, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < c->conf.nlisten; i++) {
		if (open_one(&c->conf, c->conf.listen[i],
		    &c->listeners[c->nlisteners], err, errlen) == -1)
			return -1;
		c->nlisteners++;
	}
	return 0;
}

/*
 * An address names an open listener if it is the one configured ("port
 * 0", a wildcard) or the one the socket is bound to: a file that now
 * says the port the kernel chose means the same socket.
 */
static bool
listener_is(const struct listener *l, const struct net_addr *want)
{
	return strcmp(l->spec, want->text) == 0 ||
	    strcmp(l->addr.text, want->text) == 0;
}

/*
 * The listener set for a new configuration: addresses already open keep
 * their socket (no re-bind, nothing queued is lost), new ones are opened.
 * On failure whatever was newly opened is closed and -1 returned, and the
 * current set is untouched. Listeners from LISTEN_FDS never change.
 */
int
listeners_update(const struct core *c, const struct conf *next,
    struct listener *out, int *nout, char *err, size_t errlen)
{
	struct net_addr want;
	int i, j, n = 0;

	if (c->inherited) {
		memcpy(out, c->listeners, sizeof(c->listeners));
		*nout = c->nlisteners;
		return 0;
	}
	for (i = 0; i < next->nlisten; i++) {
		if (net_parse_addr(next->listen[i], &want, err,
		    errlen) == -1)
			goto fail;
		for (j = 0; j < c->nlisteners; j++)
			if (listener_is(&c->listeners[j], &want))
				break;
		if (j < c->nlisteners) {
			out[n++] = c->listeners[j];
			continue;
		}
		if (open_one(next, next->listen[i], &out[n], err,
		    errlen) == -1)
			goto fail;
		n++;
	}
	*nout = n;
	return 0;
fail:
	for (i = 0; i < n; i++) {
		for (j = 0; j < c->nlisteners; j++)
			if (out[i].fd == c->listeners[j].fd)
				break;
		if (j == c->nlisteners)
			listeners_close_set(&out[i], 1);
	}
	return -1;
}

/*
 * LISTEN_FDS first (systemd, or an old master); the names systemd gives
 * in LISTEN_FDNAMES (FileDescriptorName=) are only reported. The
 * variables are unset so that no child takes the sockets for its own.
 */
int
listeners_open(struct core *c, char *err, size_t errlen)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names), r, i;

	if (n < 0) {
		snprintf(err, errlen, "reading LISTEN_FDS: %s", strerror(-n));
		return -1;
	}
	if (n == 0)
		return listeners_bind(c, err, errlen);
	r = listeners_inherit(c, n, names, err, errlen);
	for (i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
	return r;
}

void
listeners_close_set(struct listener *set, int n)
{
	const struct sockaddr_un *sun;
	int i;

	for (i = 0; i < n; i++) {
		close(set[i].fd);
		sun = (const struct sockaddr_un *)&set[i].addr.ss;
		if (set[i].owned && sun->sun_family == AF_UNIX &&
		    unlink(sun->sun_path) == -1 && errno != ENOENT)
			log_warn("removing %s", set[i].addr.text);
	}
}

void
listeners_close(struct core *c)
{
	listeners_close_set(c->listeners, c->nlisteners);
	c->nlisteners = 0;
}

/*
 * Connections waiting to be accepted, over every TCP listener: on a
 * listening socket, TCP_INFO's tcpi_unacked is the accept queue's length.
 * Unix sockets have no such counter and count as empty.
 */
int
listeners_queued(const struct core *c)
{
	struct tcp_info ti;
	socklen_t len;
	int i, n = 0;

	for (i = 0; i < c->nlisteners; i++) {
		if (c->listeners[i].addr.ss.ss_family == AF_UNIX)
			continue;
		len = sizeof(ti);
		if (getsockopt(c->listeners[i].fd, IPPROTO_TCP, TCP_INFO, &ti,
		    &len) == 0)
			n += (int)ti.tcpi_unacked;
	}
	return n;
}

/* After a handover the sockets and their files are the new master's. */
void
listeners_disown(struct core *c)
{
	int i;

	for (i = 0; i < c->nlisteners; i++)
		c->listeners[i].owned = false;
}
