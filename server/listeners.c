/*
 * listeners: the listening sockets, opened once by the master before any
 * worker is forked, or inherited from systemd socket activation.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/log.h"
#include "server/master.h"

static int	 listeners_inherit(struct master *, int);
static int	 listeners_bind(struct master *);

/*
 * Sockets passed with LISTEN_FDS are used as they are: systemd (or a test
 * harness) bound them, and configured addresses are ignored.
 */
static int
listeners_inherit(struct master *m, int n)
{
	struct listener *l;
	int i, fd, flags;

	if (n > CONF_LISTEN_MAX) {
		log_errorx("%d sockets passed in LISTEN_FDS; at most %d are "
		    "supported", n, CONF_LISTEN_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			log_errorx("fd %d from LISTEN_FDS is not a listening "
			    "stream socket", fd);
			return -1;
		}
		flags = fcntl(fd, F_GETFL);
		if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			log_error("fd %d from LISTEN_FDS: fcntl", fd);
			return -1;
		}
		l = &m->listeners[m->nlisteners++];
		l->fd = fd;
		l->owned = false;
		net_local_addr(fd, &l->addr);
		log_info("listening on %s (fd %d from the service manager)",
		    l->addr.text, fd);
	}
	log_info("using %d socket%s passed in LISTEN_FDS; the listen "
	    "setting is ignored", n, n == 1 ? "" : "s");
	return 0;
}

static int
listeners_bind(struct master *m)
{
	const struct conf *conf = m->conf;
	char err[CONF_ERR_MAX];
	struct net_addr addr;
	struct listener *l;
	int i, fd;

	for (i = 0; i < conf->nlisten; i++) {
		if (net_parse_addr(conf->listen[i], &addr, err,
		    sizeof(err)) == -1) {
			log_errorx("listen %s", err);
			return -1;
		}
		fd = net_listen(&addr, conf->backlog, conf->unix_mode, err,
		    sizeof(err));
		if (fd == -1) {
			log_errorx("cannot listen on %s", err);
			return -1;
		}
		l = &m->listeners[m->nlisteners++];
		l->fd = fd;
		l->owned = true;
		/* Read back: port 0 becomes the port the kernel chose. */
		if (net_local_addr(fd, &l->addr) == -1 ||
		    addr.ss.ss_family == AF_UNIX)
			l->addr = addr;
		log_info("listening on %s", l->addr.text);
	}
	return 0;
}

int
listeners_open(struct master *m)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		errno = -n;
		log_error("reading LISTEN_FDS");
		return -1;
	}
	if (n > 0)
		return listeners_inherit(m, n);
	return listeners_bind(m);
}

void
listeners_close(struct master *m)
{
	const struct sockaddr_un *sun;
	int i;

	for (i = 0; i < m->nlisteners; i++) {
		close(m->listeners[i].fd);
		sun = (const struct sockaddr_un *)&m->listeners[i].addr.ss;
		if (m->listeners[i].owned && sun->sun_family == AF_UNIX &&
		    unlink(sun->sun_path) == -1 && errno != ENOENT)
			log_warn("removing %s", m->listeners[i].addr.text);
	}
	m->nlisteners = 0;
}
