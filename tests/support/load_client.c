/*
 * load_client: one client of a load, as a state machine: pick a request,
 * connect, (ask INFO,) send, read the reply, check it, and count how it
 * went. load.c moves all of them; see load_int.h.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/client.h"
#include "tests/support/load_int.h"

#define RETRY_MS	20	/* after a failure, before the next try */
#define BYE		"BYE shutting down\n"
#define BYE_LEN		18

static void	 client_fail(struct load *, struct load_client *,
		    enum load_outcome, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static void	 keep_error(struct load *, struct load_client *,
		    enum load_outcome, const char *);
static void	 drop(struct load_client *);
static void	 end(struct load *, struct load_client *, enum load_outcome);
static bool	 next_request(struct load *, struct load_client *);
static void	 open_conn(struct load *, struct load_client *);
static void	 start_send(struct load *, struct load_client *);
static void	 do_send(struct load *, struct load_client *);
static int	 do_recv(struct load *, struct load_client *);
static void	 take_lines(struct load *, struct load_client *);
static bool	 take_info(struct load *, struct load_client *, size_t);
static void	 on_bye(struct load *, struct load_client *);

/*
 * A failure, or after load_final the client's ending: close, and retry
 * with the next request (the one that failed is not sent again).
 */
static void
client_fail(struct load *l, struct load_client *c, enum load_outcome kind,
    const char *fmt, ...)
{
	char	 msg[200];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (atomic_load(&l->final)) {
		end(l, c, kind);
		return;
	}
	l->res.failed++;
	l->res.by_kind[kind]++;
	keep_error(l, c, kind, msg);
	drop(c);
	c->has_req = false;
	c->retry_at = harness_now_ms() + RETRY_MS;
}

static void
keep_error(struct load *l, struct load_client *c, enum load_outcome kind,
    const char *msg)
{
	struct load_error	*e;
	const char		*req = c->asking ? "INFO\n" : c->req;
	int			 cap;

	if (l->nerrors == l->errors_cap) {
		if (l->nerrors == LOAD_ERRORS_KEPT)
			return;
		cap = l->errors_cap == 0 ? 64 : l->errors_cap * 2;
		if (cap > LOAD_ERRORS_KEPT)
			cap = LOAD_ERRORS_KEPT;
		e = realloc(l->errors, (size_t)cap * sizeof(*e));
		if (e == NULL) {
			load_fatal(l, "out of memory");
			return;
		}
		l->errors = e;
		l->errors_cap = cap;
	}
	e = &l->errors[l->nerrors++];
	e->at_ms = harness_now_ms();
	e->pid = c->pid;
	e->since_ms = c->since_ms;
	e->client = c->id;
	e->port = c->port;
	e->conn_ms = c->conn_ms;
	e->kind = kind;
	snprintf(e->text, sizeof(e->text), "client %d, request %s: %s",
	    c->id, c->has_req ? load_quote(l, req, strlen(req)) : "(none)",
	    msg);
}

/* Close the connection; the client wants its next (or same) request. */
static void
drop(struct load_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->inlen = 0;
	c->in_conn = 0;
	c->asking = false;
	c->port = 0;
	c->state = C_READY;
}

/* After load_final: the client's connection ended, and so does it. */
static void
end(struct load *l, struct load_client *c, enum load_outcome how)
{
	drop(c);
	c->state = C_DONE;
	c->end = how;
	c->ended_ms = harness_now_ms();
	atomic_fetch_add(&l->nended, 1);
}

/* Pick the next request, if the bounds allow one. */
static bool
next_request(struct load *l, struct load_client *c)
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
open_conn(struct load *l, struct load_client *c)
{
	struct sockaddr_in	 sin, me;
	socklen_t		 len = sizeof(me);

	c->pid = 0;
	c->need_info = l->spec.identify;
	c->inlen = 0;
	c->in_conn = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (c->fd == -1) {
		load_fatal(l, "socket: %s", strerror(errno));
		c->state = C_DONE;
		return;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)l->spec.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* The connect is bounded by the reply deadline. */
	c->deadline = harness_deadline(l->spec.reply_ms);
	c->conn_ms = harness_now_ms();
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		l->res.connects++;
		c->state = C_SENDING;
	} else if (errno == EINPROGRESS) {
		c->state = C_CONNECTING;
	} else {
		client_fail(l, c, LOAD_CONNECT, "connect: %s",
		    strerror(errno));
		return;
	}
	/* The local port is bound by connect, even one under way. */
	if (getsockname(c->fd, (struct sockaddr *)&me, &len) == 0)
		c->port = ntohs(me.sin_port);
}

/* Start what can be started; enforce deadlines. */
void
load_advance(struct load *l, struct load_client *c, int64_t now)
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
		start_send(l, c);
		return;
	case C_CONNECTING:
		if (now >= c->deadline)
			client_fail(l, c, LOAD_CONNECT, "connect: no answer "
			    "within %d ms", l->spec.reply_ms);
		return;
	case C_SENDING:
	case C_WAITING:
		if (now >= c->deadline)
			client_fail(l, c, LOAD_TIMEOUT, "no reply within %d ms "
			    "(received so far: %s)", l->spec.reply_ms,
			    load_quote(l, c->in, c->inlen));
		return;
	case C_DONE:
		return;
	}
}

/* INFO first on a fresh connection with identify, else the request. */
static void
start_send(struct load *l, struct load_client *c)
{
	c->asking = c->need_info;
	c->out = c->asking ? "INFO\n" : c->req;
	c->outlen = c->asking ? 5 : c->reqlen;
	c->sent = 0;
	do_send(l, c);
}

static void
do_send(struct load *l, struct load_client *c)
{
	ssize_t	 n;
	int	 err;

	while (c->sent < c->outlen) {
		n = send(c->fd, c->out + c->sent, c->outlen - c->sent,
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
		client_fail(l, c, LOAD_RESET, "send: %s", err != 0 ?
		    strerror(err) : "nothing sent");
		return;
	}
	c->state = C_WAITING;
}

/*
 * Read what is there and act on complete lines. Returns 1 if the
 * connection was handled (a line taken, or closed), 0 if nothing came.
 */
static int
do_recv(struct load *l, struct load_client *c)
{
	ssize_t	 n;
	int	 err;

	for (;;) {
		if (c->inlen == sizeof(c->in) - 1) {
			client_fail(l, c, LOAD_WRONG, "reply line longer than "
			    "%zu bytes: %s", sizeof(c->in),
			    load_quote(l, c->in, c->inlen));
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
			client_fail(l, c, err != 0 ? LOAD_RESET : c->inlen > 0 ?
			    LOAD_TRUNCATED : LOAD_EOF, "%s with the request in "
			    "flight, after %d replies on this connection%s%s",
			    err == 0 ? "connection closed" : strerror(err),
			    c->in_conn, c->inlen > 0 ? "; partial line: " : "",
			    c->inlen > 0 ? load_quote(l, c->in, c->inlen) : "");
		else if (atomic_load(&l->final))
			end(l, c, c->inlen > 0 ? LOAD_TRUNCATED : LOAD_EOF);
		else
			drop(c);
		return 1;
	}
}

/* Act on every complete line in c->in. */
static void
take_lines(struct load *l, struct load_client *c)
{
	char	*nl;
	size_t	 len;

	while (c->state == C_WAITING &&
	    (nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		len = (size_t)(nl - c->in) + 1;
		if (len == BYE_LEN && memcmp(c->in, BYE, BYE_LEN) == 0) {
			on_bye(l, c);
			return;
		}
		if (c->asking) {
			if (!take_info(l, c, len))
				return;
		} else if (!c->has_req) {
			client_fail(l, c, LOAD_WRONG, "unexpected line %s",
			    load_quote(l, c->in, len));
			return;
		} else if (len != strlen(c->want) ||
		    memcmp(c->in, c->want, len) != 0) {
			client_fail(l, c, LOAD_WRONG, "expected %s, got %s",
			    load_quote(l, c->want, strlen(c->want)),
			    load_quote(l, c->in, len));
			return;
		} else {
			l->res.ok++;
			c->last_ok_ms = harness_now_ms();
			c->has_req = false;
			c->in_conn++;
			c->retry_at = harness_now_ms() + l->spec.pause_ms;
		}
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
		len = c->inlen < BYE_LEN ? c->inlen : BYE_LEN;
		c->state = C_WAITING;
		if (memcmp(c->in, BYE, len) != 0) {
			client_fail(l, c, LOAD_WRONG, "unexpected data after "
			    "a reply: %s", load_quote(l, c->in, c->inlen));
			return;
		}
	}
}

/*
 * The INFO reply, len bytes at c->in: which worker serves this client.
 * False (and a failure counted) if it is not one.
 */
static bool
take_info(struct load *l, struct load_client *c, size_t len)
{
	struct info_reply	 info;
	char			 text[LOAD_LINE_MAX];

	snprintf(text, sizeof(text), "%.*s", (int)len - 1, c->in);
	if (!info_parse(text, &info)) {
		client_fail(l, c, LOAD_WRONG, "expected \"pid=N worker=N "
		    "generation=N connections=N requests=N\", got %s",
		    load_quote(l, c->in, len));
		return false;
	}
	l->res.infos++;
	c->asking = false;
	c->need_info = false;
	c->pid = (pid_t)info.pid;
	c->since_ms = harness_now_ms();
	c->retry_at = 0;	/* the request follows at once */
	if (!c->identified) {
		c->identified = true;
		atomic_fetch_add(&l->identified, 1);
	}
	if (l->res.min_generation == -1 ||
	    info.generation < l->res.min_generation)
		l->res.min_generation = info.generation;
	if (info.generation > l->res.max_generation)
		l->res.max_generation = info.generation;
	return true;
}

/* The worker stops: reconnect, and resend the request in flight. */
static void
on_bye(struct load *l, struct load_client *c)
{
	l->res.byes++;
	if (c->has_req && !c->asking)
		l->res.resent++;
	if (atomic_load(&l->final))
		end(l, c, LOAD_BYE);
	else
		drop(c);
}

/* What poll said about client c. */
void
load_on_event(struct load *l, struct load_client *c)
{
	socklen_t	 len = sizeof(int);
	int		 err = 0;

	switch (c->state) {
	case C_CONNECTING:
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0) {
			client_fail(l, c, LOAD_CONNECT, "connect: %s",
			    strerror(err));
			break;
		}
		l->res.connects++;
		c->state = C_SENDING;
		start_send(l, c);
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
