/*
 * load: see load.h.
 */
#include <sys/prctl.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/load.h"

#define ARGS_MAX	64
#define LINE_MAX_LEN	256
#define RETRY_MS	20	/* after a failure, before the next try */
#define POLL_MAX_MS	50

enum cstate {
	C_READY,		/* wants its next request (connected or not) */
	C_CONNECTING,
	C_SENDING,
	C_WAITING,		/* request sent, reply not complete */
	C_DONE,
};

struct client {
	int		 id;
	int		 fd;
	enum cstate	 state;
	bool		 has_req;	/* a request in flight or to resend */
	long		 seq;
	char		 req[80];
	size_t		 reqlen, sent;
	char		 want[64];
	int		 in_conn;	/* replies on this connection */
	char		 in[LINE_MAX_LEN];
	size_t		 inlen;
	int64_t		 deadline;	/* for the reply */
	int64_t		 retry_at;
};

struct load {
	struct load_spec	 spec;
	struct load_result	 res;
	struct client		*c;
	long			 issued;
	int64_t			 started_ms;	/* at the first load_run */
	bool			 begun;
};

static void	 client_fail(struct load *, struct client *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 drop(struct client *);
static bool	 next_request(struct load *, struct client *);
static void	 open_conn(struct load *, struct client *);
static void	 advance(struct load *, struct client *, int64_t);
static void	 do_send(struct load *, struct client *);
static int	 do_recv(struct load *, struct client *);
static void	 take_lines(struct load *, struct client *);
static void	 on_bye(struct load *, struct client *);

/*
 * The request loop.
 */

struct load *
load_new(const struct load_spec *spec)
{
	struct load	*l;
	int		 i;

	ck_assert_msg(spec->clients >= 1 && spec->clients <= LOAD_CLIENTS_MAX,
	    "load: %d clients (1..%d)", spec->clients, LOAD_CLIENTS_MAX);
	ck_assert_msg(spec->total > 0 || spec->duration_ms > 0,
	    "load: give a total or a duration");
	l = calloc(1, sizeof(*l));
	ck_assert_msg(l != NULL, "out of memory");
	l->c = calloc((size_t)spec->clients, sizeof(*l->c));
	ck_assert_msg(l->c != NULL, "out of memory");
	l->spec = *spec;
	if (l->spec.reply_ms <= 0)
		l->spec.reply_ms = LOAD_REPLY_MS;
	for (i = 0; i < spec->clients; i++) {
		l->c[i].id = i;
		l->c[i].fd = -1;
		l->c[i].state = C_READY;
	}
	return l;
}

static void
client_fail(struct load *l, struct client *c, const char *fmt, ...)
{
	char	 msg[200];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->res.failed++;
	if (l->res.nfailures < LOAD_FAILURES_KEPT)
		snprintf(l->res.failures[l->res.nfailures++],
		    sizeof(l->res.failures[0]), "client %d, request %s: %s",
		    c->id, c->has_req ? harness_quote(c->req, c->reqlen) :
		    "(none)", msg);
	drop(c);
	c->has_req = false;
	c->retry_at = harness_now_ms() + RETRY_MS;
}

/* Close the connection; the client wants its next (or same) request. */
static void
drop(struct client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->inlen = 0;
	c->in_conn = 0;
	c->state = C_READY;
}

/* Pick the next request, if the bounds allow one. */
static bool
next_request(struct load *l, struct client *c)
{
	const struct load_spec	*sp = &l->spec;

	if ((sp->total > 0 && l->issued >= sp->total) ||
	    (sp->duration_ms > 0 &&
	    harness_now_ms() - l->started_ms >= sp->duration_ms))
		return false;
	l->issued++;
	c->seq++;
	switch (sp->kind) {
	case LOAD_PING_ECHO:
		if (c->seq % 2 == 0) {
			snprintf(c->want, sizeof(c->want), "c%d-%ld\n",
			    c->id, c->seq);
			snprintf(c->req, sizeof(c->req), "ECHO %s", c->want);
			break;
		}
		/* FALLTHROUGH */
	case LOAD_PING:
		snprintf(c->req, sizeof(c->req), "PING\n");
		snprintf(c->want, sizeof(c->want), "PONG\n");
		break;
	case LOAD_SLEEP:
		snprintf(c->req, sizeof(c->req), "SLEEP %d\n", sp->sleep_ms);
		snprintf(c->want, sizeof(c->want), "OK\n");
		break;
	}
	c->reqlen = strlen(c->req);
	c->has_req = true;
	return true;
}

static void
open_conn(struct load *l, struct client *c)
{
	struct sockaddr_in	 sin;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	ck_assert_msg(c->fd != -1, "socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)l->spec.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->inlen = 0;
	c->in_conn = 0;
	/* The connect is bounded by the reply deadline. */
	c->deadline = harness_deadline(l->spec.reply_ms);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		l->res.connects++;
		c->state = C_SENDING;
	} else if (errno == EINPROGRESS) {
		c->state = C_CONNECTING;
	} else
		client_fail(l, c, "connect: %s", strerror(errno));
}

/* Start what can be started; enforce deadlines. */
static void
advance(struct load *l, struct client *c, int64_t now)
{
	switch (c->state) {
	case C_READY:
		if (now < c->retry_at)
			return;
		if (!c->has_req && !next_request(l, c)) {
			drop(c);
			c->state = C_DONE;
			return;
		}
		if (c->fd == -1) {
			open_conn(l, c);
			if (c->state != C_SENDING)
				return;
		} else {
			c->state = C_SENDING;
			c->deadline = harness_deadline(l->spec.reply_ms);
		}
		c->sent = 0;
		do_send(l, c);
		return;
	case C_CONNECTING:
		if (now >= c->deadline)
			client_fail(l, c, "connect: no answer within %d ms",
			    l->spec.reply_ms);
		return;
	case C_SENDING:
	case C_WAITING:
		if (now >= c->deadline)
			client_fail(l, c, "no reply within %d ms (received so far: "
			    "%s)", l->spec.reply_ms,
			    harness_quote(c->in, c->inlen));
		return;
	case C_DONE:
		return;
	}
}

static void
do_send(struct load *l, struct client *c)
{
	ssize_t	 n;
	int	 err;

	while (c->sent < c->reqlen) {
		n = send(c->fd, c->req + c->sent, c->reqlen - c->sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->sent += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;		/* poll for POLLOUT */
		/*
		 * The worker may have said goodbye and closed while we were
		 * between requests: what it sent is still readable.
		 */
		err = n == -1 ? errno : 0;
		c->state = C_WAITING;
		if (do_recv(l, c) == 1 && c->state != C_WAITING)
			return;		/* a BYE, or a failure counted */
		client_fail(l, c, "send: %s", err != 0 ? strerror(err) :
		    "nothing sent");
		return;
	}
	c->state = C_WAITING;
}

/*
 * Read what is there and act on complete lines. Returns 1 if the
 * connection was handled (a line taken, or closed), 0 if nothing came.
 */
static int
do_recv(struct load *l, struct client *c)
{
	ssize_t	 n;
	int	 err;

	for (;;) {
		if (c->inlen == sizeof(c->in) - 1) {
			client_fail(l, c, "reply line longer than %zu bytes: %s",
			    sizeof(c->in), harness_quote(c->in, c->inlen));
			return 1;
		}
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen,
		    MSG_DONTWAIT);
		if (n > 0) {
			c->inlen += (size_t)n;
			take_lines(l, c);
			if (c->state != C_WAITING)
				return 1;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		err = n == 0 ? 0 : errno;
		if (c->has_req)
			client_fail(l, c, "%s with the request in flight, after %d "
			    "replies on this connection%s%s",
			    err == 0 ? "connection closed" : strerror(err),
			    c->in_conn, c->inlen > 0 ? "; partial line: " : "",
			    c->inlen > 0 ? harness_quote(c->in, c->inlen) : "");
		else
			drop(c);
		return 1;
	}
}

/* Act on every complete line in c->in. */
static void
take_lines(struct load *l, struct client *c)
{
	char	*nl;
	size_t	 len;

	while (c->state == C_WAITING &&
	    (nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		len = (size_t)(nl - c->in) + 1;
		if (len == 18 && memcmp(c->in, "BYE shutting down\n", 18) == 0) {
			on_bye(l, c);
			return;
		}
		if (!c->has_req) {
			client_fail(l, c, "unexpected line %s",
			    harness_quote(c->in, len));
			return;
		}
		if (len != strlen(c->want) || memcmp(c->in, c->want, len) != 0) {
			client_fail(l, c, "expected %s, got %s",
			    harness_quote(c->want, strlen(c->want)),
			    harness_quote(c->in, len));
			return;
		}
		l->res.ok++;
		c->has_req = false;
		c->in_conn++;
		memmove(c->in, c->in + len, c->inlen - len);
		c->inlen -= len;
		if (l->spec.per_conn > 0 && c->in_conn >= l->spec.per_conn) {
			drop(c);
			return;
		}
		c->state = C_READY;
		if (c->inlen == 0)
			return;
		/*
		 * Only a goodbye may follow a reply before the next request;
		 * wait for the rest of it if it came in pieces.
		 */
		len = c->inlen < 18 ? c->inlen : 18;
		if (memcmp(c->in, "BYE shutting down\n", len) != 0) {
			c->state = C_WAITING;
			client_fail(l, c, "unexpected data after a reply: %s",
			    harness_quote(c->in, c->inlen));
			return;
		}
		c->state = C_WAITING;	/* for the rest of the goodbye */
	}
}

/* The worker stops: reconnect, and resend the request in flight. */
static void
on_bye(struct load *l, struct client *c)
{
	l->res.byes++;
	if (c->has_req)
		l->res.resent++;
	drop(c);
}

bool
load_done(const struct load *l)
{
	int	 i;

	for (i = 0; i < l->spec.clients; i++)
		if (l->c[i].state != C_DONE)
			return false;
	return true;
}

bool
load_run(struct load *l, int ms)
{
	struct pollfd	*pfd;
	int		*who;
	int64_t		 now, end, wait;
	int		 i, n, np;

	if (!l->begun) {
		l->begun = true;
		l->started_ms = harness_now_ms();
	}
	pfd = calloc((size_t)l->spec.clients, sizeof(*pfd));
	who = calloc((size_t)l->spec.clients, sizeof(*who));
	ck_assert_msg(pfd != NULL && who != NULL, "out of memory");
	end = harness_now_ms() + ms;
	for (;;) {
		now = harness_now_ms();
		for (i = 0; i < l->spec.clients; i++)
			advance(l, &l->c[i], now);
		if (load_done(l) || now >= end)
			break;
		np = 0;
		for (i = 0; i < l->spec.clients; i++) {
			struct client	*c = &l->c[i];
			short		 ev;

			if (c->state == C_CONNECTING || c->state == C_SENDING)
				ev = POLLOUT;
			else if (c->state == C_WAITING)
				ev = POLLIN;
			else
				continue;
			pfd[np] = (struct pollfd){ c->fd, ev, 0 };
			who[np++] = i;
		}
		wait = end - now;
		if (wait > POLL_MAX_MS)
			wait = POLL_MAX_MS;
		n = poll(pfd, (nfds_t)np, (int)wait);
		ck_assert_msg(n != -1 || errno == EINTR, "poll: %s",
		    strerror(errno));
		for (i = 0; i < np && n > 0; i++) {
			struct client	*c = &l->c[who[i]];
			int		 err = 0;
			socklen_t	 len = sizeof(err);

			if (pfd[i].revents == 0)
				continue;
			switch (c->state) {
			case C_CONNECTING:
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
				    &len);
				if (err != 0) {
					client_fail(l, c, "connect: %s",
					    strerror(err));
					break;
				}
				l->res.connects++;
				c->state = C_SENDING;
				c->sent = 0;
				do_send(l, c);
				break;
			case C_SENDING:
				do_send(l, c);
				break;
			case C_WAITING:
				do_recv(l, c);
				break;
			default:
				break;
			}
		}
	}
	free(pfd);
	free(who);
	return load_done(l);
}

const struct load_result *
load_result(const struct load *l)
{
	return &l->res;
}

const char *
load_describe(const struct load *l)
{
	static char		 out[LOAD_FAILURES_KEPT * 260 + 256];
	const struct load_result *r = &l->res;
	size_t			 off;
	int			 i;

	off = (size_t)snprintf(out, sizeof(out), "%ld ok, %ld failed, %ld "
	    "\"BYE shutting down\" (%ld requests sent again), %ld "
	    "connections, %ld requests started", r->ok, r->failed, r->byes,
	    r->resent, r->connects, l->issued);
	for (i = 0; i < r->nfailures && off < sizeof(out); i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off,
		    "\n  failure: %s", r->failures[i]);
	return out;
}

void
load_log(const struct load *l, const char *what)
{
	if (getenv("FORKLINE_TEST_VERBOSE") != NULL)
		fprintf(stderr, "%s: %s\n", what, load_describe(l));
}

void
load_free(struct load *l)
{
	int	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->spec.clients; i++)
		if (l->c[i].fd != -1)
			close(l->c[i].fd);
	free(l->c);
	free(l);
}
