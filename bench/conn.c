/*
 * conn: a forkline-bench connection: its state machine (see client.h)
 * and the reads and writes of the three modes.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bench/conn.h"
#include "bench/faults.h"

#define RETRY_FIRST_NS	(10 * NS_PER_MS)
#define RETRY_MAX_NS	NS_PER_S
#define NO_ERROR	BENCH_ERR_KINDS	/* conn_fail without counting one */
#define FAULT_NONE	SIZE_MAX	/* a wrong reply that is not the fault's */

enum reply {
	REPLY_PARTIAL,		/* bytes used, no reply complete yet */
	REPLY_GOOD,
	REPLY_WRONG,		/* complete, differs from --expect */
	REPLY_INJECTED,		/* wrong, and it is "ERR injected fault" */
	REPLY_UNSYNCED,		/* differs, and where it ends is unknowable */
};

static void	 conn_connected(struct conn *c, uint64_t now);
static void	 conn_close(struct conn *c);
static void	 conn_fail(struct conn *c, enum bench_error kind);
static void	 conn_eof(struct conn *c);
static void	 conn_want_write(struct conn *c);
static void	 conn_no_write(struct conn *c);
static void	 conn_on_write(evutil_socket_t fd, short what, void *arg);
static void	 conn_on_retry(evutil_socket_t fd, short what, void *arg);
static int	 conn_flush(struct conn *c);
static void	 rr_on_read(evutil_socket_t fd, short what, void *arg);
static int	 rr_parse(struct conn *c, const char *p, size_t n,
		    uint64_t now);
static enum reply reply_line(struct conn *c, const char *p, size_t n,
		    size_t *used);
static enum reply reply_match(struct conn *c, const char *p, size_t n,
		    size_t *used);
static size_t	 fault_step(size_t at, const char *p, size_t n);
static int	 reply_done(struct conn *c, uint64_t now, enum reply verdict);
static void	 stream_on_read(evutil_socket_t fd, short what, void *arg);
static void	 stream_fill(struct conn *c, uint64_t now);
static enum bench_error connect_error_kind(int err);
static enum bench_error io_error_kind(int err);

static void
ring_push(struct conn *c, uint64_t at)
{
	c->at[(c->head + c->n) & (c->cap - 1)] = at;
	c->n++;
}

static uint64_t
ring_pop(struct conn *c)
{
	uint64_t	 at = c->at[c->head];

	c->head = (c->head + 1) & (c->cap - 1);
	c->n--;
	return at;
}

static enum bench_error
connect_error_kind(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ENOENT:		/* no unix socket at that path */
	case EAGAIN:		/* a unix listener's backlog is full */
		return BENCH_ERR_REFUSED;
	case ETIMEDOUT:
		return BENCH_ERR_TIMEOUT;
	case ECONNRESET:
		return BENCH_ERR_RESET;
	}
	return BENCH_ERR_OTHER;
}

static enum bench_error
io_error_kind(int err)
{
	switch (err) {
	case ECONNRESET:
	case EPIPE:
		return BENCH_ERR_RESET;
	case ETIMEDOUT:
		return BENCH_ERR_TIMEOUT;
	}
	return BENCH_ERR_OTHER;
}

void
conn_init(struct conn *c, struct bench *b, uint64_t *at, uint64_t *end,
    uint32_t cap)
{
	c->b = b;
	c->fd = -1;
	c->state = CONN_WAIT;
	c->at = at;
	c->end = end;
	c->cap = cap;
	evtimer_assign(&c->retry, b->base, conn_on_retry, c);
}

void
conn_release(struct conn *c)
{
	conn_close(c);
	event_del(&c->retry);
}

/*
 * Connections: open, close, fail.
 */

void
conn_open(struct conn *c)
{
	struct bench		*b = c->b;
	const struct net_addr	*t = &b->o->target;
	int			 fd, one = 1;

	c->served = false;
	c->opened_at = bench_clock_ns();
	fd = socket(t->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		conn_fail(c, BENCH_ERR_OTHER);
		return;
	}
	/* Small requests go out at once, not after the previous ACK. */
	if (t->ss.ss_family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	c->fd = fd;
	event_assign(&c->rev, b->base, fd, EV_READ | EV_PERSIST,
	    b->o->mode == BENCH_STREAM ? stream_on_read : rr_on_read, c);
	event_assign(&c->wev, b->base, fd, EV_WRITE | EV_PERSIST,
	    conn_on_write, c);
	/* connect mode: the latency runs from here to the reply. */
	if (b->o->mode == BENCH_CONNECT)
		ring_push(c, c->opened_at);
	if (connect(fd, (const struct sockaddr *)&t->ss, t->len) == 0) {
		conn_connected(c, c->opened_at);
		return;
	}
	if (errno != EINPROGRESS) {
		conn_fail(c, connect_error_kind(errno));
		return;
	}
	c->state = CONN_CONNECTING;
	conn_want_write(c);
}

static void
conn_connected(struct conn *c, uint64_t now)
{
	struct bench			*b = c->b;
	const struct bench_options	*o = b->o;
	unsigned			 i;

	c->state = CONN_OPEN;
	b->r->stats.connects++;
	b->r->connects_ever++;
	event_add(&c->rev, NULL);
	switch (o->mode) {
	case BENCH_STREAM:
		stream_fill(c, now);
		return;
	case BENCH_CONNECT:
		c->out_bytes = o->request_len;
		break;
	case BENCH_RR:
		if (o->rate > 0) {
			/* Whatever fell due while connecting goes now. */
			c->out_bytes = (uint64_t)c->n * o->request_len;
			break;
		}
		for (i = 0; i < o->pipeline; i++)
			ring_push(c, now);
		c->out_bytes = (uint64_t)o->pipeline * o->request_len;
		break;
	}
	conn_flush(c);
}

/* Back to CONN_WAIT; what was in flight is dropped. */
static void
conn_close(struct conn *c)
{
	if (c->fd != -1) {
		event_del(&c->rev);
		if (c->wev_on)
			event_del(&c->wev);
		close(c->fd);
	}
	c->fd = -1;
	c->wev_on = false;
	c->state = CONN_WAIT;
	c->head = c->n = 0;
	c->out_bytes = 0;
	c->out_phase = 0;
	c->match = 0;
	c->skipping = false;
	c->fault_match = 0;
	c->sent = c->echoed = 0;
}

uint32_t
conn_unanswered(const struct conn *c)
{
	const struct bench_options *o = c->b->o;
	uint64_t	 unsent;

	if (c->state != CONN_OPEN || o->mode == BENCH_STREAM)
		return 0;
	/* A request partly written counts as not sent. */
	unsent = (c->out_bytes + o->request_len - 1) / o->request_len;
	return unsent < c->n ? c->n - (uint32_t)unsent : 0;
}

/*
 * Count the error (unless NO_ERROR), close, and open again: at once if
 * the connection served something (the server is there), else after a
 * delay that doubles from 10 ms to 1 s, so that a refusing or resetting
 * server is not hammered in a busy loop.
 */
static void
conn_fail(struct conn *c, enum bench_error kind)
{
	struct bench	*b = c->b;
	uint64_t	 delay;
	uint32_t	 unanswered;

	/*
	 * The error is the outcome of the oldest request in flight; the
	 * ones written after it never reached the server's turn.
	 */
	if (kind != NO_ERROR && (unanswered = conn_unanswered(c)) > 1)
		b->r->stats.attempted -= unanswered - 1;
	bench_count_error(b, kind);
	conn_close(c);
	if (b->done)
		return;
	if (c->served) {
		c->fails = 0;
		conn_open(c);
		return;
	}
	c->fails++;
	delay = RETRY_FIRST_NS << (c->fails < 8 ? c->fails - 1 : 7);
	bench_timer_add(&c->retry, delay < RETRY_MAX_NS ? delay : RETRY_MAX_NS);
}

static void
conn_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	if (!c->b->done)
		conn_open(c);
}

/*
 * The peer closed. An error if a reply was owed or half read; otherwise
 * (an idle connection closed by the server) just open another.
 */
static void
conn_eof(struct conn *c)
{
	if (c->n > 0 || c->match > 0 || c->skipping || c->sent > c->echoed)
		conn_fail(c, BENCH_ERR_SHORT);
	else
		conn_fail(c, NO_ERROR);
}

void
conn_check_timeout(struct conn *c, uint64_t now)
{
	uint64_t	 since;

	if (c->state == CONN_CONNECTING)
		since = c->opened_at;
	else if (c->state == CONN_OPEN && c->n > 0)
		since = c->at[c->head];
	else
		return;
	if (now > since && now - since > c->b->o->timeout_ns) {
		/* A timeout says nothing was served in time: back off. */
		c->served = false;
		conn_fail(c, BENCH_ERR_TIMEOUT);
	}
}

static void
conn_want_write(struct conn *c)
{
	if (!c->wev_on) {
		event_add(&c->wev, NULL);
		c->wev_on = true;
	}
}

static void
conn_no_write(struct conn *c)
{
	if (c->wev_on) {
		event_del(&c->wev);
		c->wev_on = false;
	}
}

static void
conn_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	socklen_t	 len = sizeof(int);
	int		 soerr = 0;

	(void)what;
	if (c->state == CONN_CONNECTING) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			soerr = errno;
		if (soerr != 0)
			conn_fail(c, connect_error_kind(soerr));
		else
			conn_connected(c, bench_clock_ns());
		return;
	}
	if (c->b->o->mode == BENCH_STREAM)
		stream_fill(c, bench_clock_ns());
	else
		conn_flush(c);
}

/*
 * Write the request bytes owed, from the shared buffer of repeated
 * requests: one send() for a whole pipeline or backlog. A short write
 * means the socket buffer is full: wait for EV_WRITE rather than try
 * again now. Returns -1 if the connection failed.
 */
static int
conn_flush(struct conn *c)
{
	struct bench	*b = c->b;
	size_t		 len, reqlen = b->o->request_len, whole;
	ssize_t		 w;

	while (c->out_bytes > 0) {
		len = b->wbuf_len - c->out_phase;
		if (len > c->out_bytes)
			len = (size_t)c->out_bytes;
		w = send(c->fd, b->wbuf + c->out_phase, len, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				conn_want_write(c);
				return 0;
			}
			conn_fail(c, io_error_kind(errno));
			return -1;
		}
		b->r->stats.bytes_out += (uint64_t)w;
		c->out_bytes -= (uint64_t)w;
		/* The requests whose last byte went out in this write. */
		whole = (c->out_phase + (size_t)w) / reqlen;
		b->r->stats.sent += whole;
		b->r->stats.attempted += whole;
		c->out_phase = (c->out_phase + (size_t)w) % reqlen;
		if ((size_t)w < len) {
			conn_want_write(c);
			return 0;
		}
	}
	conn_no_write(c);
	return 0;
}

/*
 * rr and connect: replies.
 */

static void
rr_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	struct bench	*b = c->b;
	ssize_t		 n;

	(void)what;
	n = recv(fd, b->rbuf, BENCH_READ_BUF, 0);
	if (n > 0) {
		b->r->stats.bytes_in += (uint64_t)n;
		if (rr_parse(c, b->rbuf, (size_t)n, bench_clock_ns()) == 0 &&
		    c->out_bytes > 0 && !c->wev_on)
			conn_flush(c);
		return;
	}
	if (n == 0)
		conn_eof(c);
	else if (errno != EAGAIN && errno != EINTR)
		conn_fail(c, io_error_kind(errno));
}

/*
 * Split what was read into replies. Returns 0, or -1 if the connection
 * was closed on the way (a reply that cannot be delimited, or connect
 * mode's one reply came back).
 */
static int
rr_parse(struct conn *c, const char *p, size_t n, uint64_t now)
{
	enum reply	 verdict;
	size_t		 used;

	while (n > 0) {
		verdict = c->b->o->expect_len > 0 ?
		    reply_match(c, p, n, &used) : reply_line(c, p, n, &used);
		p += used;
		n -= used;
		if (verdict == REPLY_PARTIAL)
			continue;
		if (verdict == REPLY_UNSYNCED) {
			c->served = true;	/* the server is there */
			conn_fail(c, BENCH_ERR_WRONG);
			return -1;
		}
		if (reply_done(c, now, verdict) == -1)
			return -1;
	}
	return 0;
}

/* Without --expect: a reply is anything up to and including a '\n'. */
static enum reply
reply_line(struct conn *c, const char *p, size_t n, size_t *used)
{
	const char	*nl = memchr(p, '\n', n);

	if (nl == NULL) {
		c->match += n;
		*used = n;
		return REPLY_PARTIAL;
	}
	c->match = 0;
	*used = (size_t)(nl - p) + 1;
	return REPLY_GOOD;
}

/*
 * A wrong reply, at bytes at of it so far, goes on with p[0..n): how far
 * it still matches BENCH_FAULT_TEXT and a '\r' (the line ending of a
 * "\r\n" request), or FAULT_NONE.
 */
static size_t
fault_step(size_t at, const char *p, size_t n)
{
	static const char	 text[] = BENCH_FAULT_TEXT "\r";

	if (at == FAULT_NONE || n > sizeof(text) - 1 - at ||
	    memcmp(p, text + at, n) != 0)
		return FAULT_NONE;
	return at + n;
}

/*
 * With --expect: the reply is the expected bytes exactly. A reply that
 * differs ends at the next '\n' if the expected reply is a line;
 * otherwise there is no telling where it ends (REPLY_UNSYNCED). A wrong
 * line that is forkline's injected error is REPLY_INJECTED.
 */
static enum reply
reply_match(struct conn *c, const char *p, size_t n, size_t *used)
{
	const struct bench_options *o = c->b->o;
	const char	*nl;
	size_t		 m = o->expect_len - c->match;

	if (c->skipping) {
		if ((nl = memchr(p, '\n', n)) == NULL) {
			c->fault_match = fault_step(c->fault_match, p, n);
			*used = n;
			return REPLY_PARTIAL;
		}
		c->fault_match = fault_step(c->fault_match, p, (size_t)(nl - p));
		c->skipping = false;
		*used = (size_t)(nl - p) + 1;
		return c->fault_match == BENCH_FAULT_TEXT_LEN ||
		    c->fault_match == BENCH_FAULT_TEXT_LEN + 1 ?
		    REPLY_INJECTED : REPLY_WRONG;
	}
	if (m > n)
		m = n;
	if (memcmp(p, o->expect + c->match, m) == 0) {
		*used = m;
		c->match += m;
		if (c->match < o->expect_len)
			return REPLY_PARTIAL;
		c->match = 0;
		return REPLY_GOOD;
	}
	*used = 0;
	if (o->expect[o->expect_len - 1] != '\n')
		return REPLY_UNSYNCED;
	/* What matched --expect so far is the start of the wrong line. */
	c->fault_match = fault_step(0, o->expect, c->match);
	c->match = 0;
	c->skipping = true;
	return REPLY_PARTIAL;
}

/*
 * One reply is complete: its latency, then (closed loop) the next
 * request, or (connect mode) a new connection. Returns -1 if c was
 * closed.
 */
static int
reply_done(struct conn *c, uint64_t now, enum reply verdict)
{
	struct bench			*b = c->b;
	const struct bench_options	*o = b->o;
	uint64_t			 at;

	if (c->n == 0) {
		/* Nothing was asked: a greeting, or more than one line per
		 * request (use --expect). */
		bench_count_error(b, BENCH_ERR_OTHER);
		return 0;
	}
	at = ring_pop(c);
	c->served = true;
	c->fails = 0;
	if (verdict == REPLY_GOOD) {
		hist_record(&b->r->latency, now - at);
		b->r->stats.requests++;
	} else {
		bench_count_error(b, BENCH_ERR_WRONG);
		if (verdict == REPLY_INJECTED)
			b->r->stats.injected++;
	}
	if (o->mode == BENCH_CONNECT) {
		conn_close(c);
		if (!b->done)
			conn_open(c);
		return -1;
	}
	if (o->rate == 0) {
		ring_push(c, now);
		c->out_bytes += o->request_len;
	}
	return 0;
}

void
conn_schedule(struct conn *c, uint64_t due)
{
	if (c->n == c->cap) {
		bench_count_error(c->b, BENCH_ERR_BEHIND);
		return;
	}
	ring_push(c, due);
	if (c->state != CONN_OPEN)
		return;		/* sent once connected */
	c->out_bytes += c->b->o->request_len;
	if (!c->wev_on)
		conn_flush(c);
}

/*
 * stream: the pattern out, its echo back and checked.
 */

static void
stream_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	struct bench	*b = c->b;
	uint64_t	 now;
	ssize_t		 n;

	(void)what;
	n = recv(fd, b->rbuf, BENCH_READ_BUF, 0);
	if (n == 0) {
		conn_eof(c);
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			conn_fail(c, io_error_kind(errno));
		return;
	}
	if ((uint64_t)n > c->sent - c->echoed || memcmp(b->rbuf,
	    b->wbuf + c->echoed % PATTERN_PERIOD, (size_t)n) != 0) {
		c->served = true;
		conn_fail(c, BENCH_ERR_WRONG);
		return;
	}
	c->echoed += (uint64_t)n;
	b->r->stats.bytes_in += (uint64_t)n;
	now = bench_clock_ns();
	while (c->n > 0 && c->end[c->head] <= c->echoed) {
		hist_record(&b->r->latency, now - ring_pop(c));
		b->r->stats.requests++;
		c->served = true;
		c->fails = 0;
	}
	if (!c->wev_on)
		stream_fill(c, now);
}

/*
 * Write pattern bytes while fewer than --inflight are unechoed, --block
 * at a time; each write is timed until its last byte is back (with the
 * ring full, a write joins the one before it).
 */
static void
stream_fill(struct conn *c, uint64_t now)
{
	struct bench			*b = c->b;
	const struct bench_options	*o = b->o;
	uint64_t			 unechoed;
	size_t				 len;
	ssize_t				 w;

	while ((unechoed = c->sent - c->echoed) < o->inflight) {
		len = o->inflight - unechoed < o->block ?
		    (size_t)(o->inflight - unechoed) : o->block;
		w = send(c->fd, b->wbuf + c->sent % PATTERN_PERIOD, len,
		    MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				conn_want_write(c);
			else
				conn_fail(c, io_error_kind(errno));
			return;
		}
		c->sent += (uint64_t)w;
		b->r->stats.bytes_out += (uint64_t)w;
		if (c->n < c->cap) {
			c->end[(c->head + c->n) & (c->cap - 1)] = c->sent;
			ring_push(c, now);
		} else
			c->end[(c->head + c->n - 1) & (c->cap - 1)] = c->sent;
		if ((size_t)w < len) {
			conn_want_write(c);
			return;
		}
	}
	conn_no_write(c);
}
