/*
 * client: forkline-bench's connections and their event loop. See
 * client.h for the state machine.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "bench/client.h"

#define NS_PER_MS	1000000ull
#define NS_PER_S	1000000000ull
#define READ_BUF	(64 * 1024)	/* one read, shared by every connection */
#define REPEAT_MIN	(64 * 1024)	/* bytes of repeated request to write from */
/* Prime, so no write or read size lines up with the pattern's period. */
#define PATTERN_PERIOD	65521
#define STREAM_CHUNKS	64	/* timed writes in flight per stream connection */
#define TICK_NS		(100 * NS_PER_MS)	/* timeout sweep */
#define PROGRESS_NS	NS_PER_S
#define RETRY_FIRST_NS	(10 * NS_PER_MS)
#define RETRY_MAX_NS	NS_PER_S
#define FD_SLACK	64	/* stdio, the loop's own fds, the probe */
#define NO_ERROR	BENCH_ERR_KINDS	/* conn_fail without counting one */

enum conn_state {
	CONN_WAIT,		/* closed; retry timer pending or done */
	CONN_CONNECTING,	/* non-blocking connect in progress */
	CONN_OPEN,
};

enum reply {
	REPLY_PARTIAL,		/* bytes used, no reply complete yet */
	REPLY_GOOD,
	REPLY_WRONG,		/* complete, differs from --expect */
	REPLY_UNSYNCED,		/* differs, and where it ends is unknowable */
};

struct bench;

struct conn {
	struct bench	*b;
	int		 fd;
	enum conn_state	 state;
	struct event	 rev, wev, retry;
	bool		 wev_on;	/* wev added: waiting to write */
	bool		 served;	/* a reply came back since it opened */
	unsigned	 fails;		/* opens in a row that served nothing */
	uint64_t	 opened_at;
	/*
	 * Send (or, with --rate, scheduled) times of the requests in flight,
	 * oldest at head; cap is a power of two. Stream: one per write, with
	 * the stream offset that completes its echo in end.
	 */
	uint64_t	*at;
	uint64_t	*end;
	uint32_t	 head, n, cap;
	/* rr, connect: request bytes still to write, from out_phase on. */
	uint64_t	 out_bytes;
	size_t		 out_phase;
	size_t		 match;		/* bytes of the reply in progress */
	bool		 skipping;	/* a wrong reply, up to its '\n' */
	/* stream */
	uint64_t	 sent, echoed;
};

struct bench {
	const struct bench_options *o;
	struct bench_result	*r;
	struct event_base	*base;
	struct conn		*conns;
	uint64_t		*at_pool, *end_pool;
	char			*rbuf;
	char			*wbuf;	/* the request repeated, or the pattern */
	size_t			 wbuf_len;
	struct event		 phase_ev, tick_ev, rate_ev, int_ev, term_ev;
	bool			 events_assigned;
	bool			 measuring, done;
	uint64_t		 t_start, t_measure, t_end;
	uint64_t		 rate_k;	/* next request of the schedule */
	double			 rate_interval_ns;
	bool			 progress;
	uint64_t		 prog_t, prog_last;	/* last progress line */
};

static uint64_t	 clock_ns(void);
static void	 timer_add(struct event *ev, uint64_t ns);
static uint32_t	 pow2_at_least(uint32_t n);
static int	 bench_setup(struct bench *b, char *err, size_t errlen);
static void	 bench_teardown(struct bench *b);
static void	 bench_begin_measuring(struct bench *b, uint64_t now);
static void	 bench_stop(struct bench *b, uint64_t now, bool partial);
static void	 bench_count_error(struct bench *b, enum bench_error kind);
static void	 on_phase(evutil_socket_t fd, short what, void *arg);
static void	 on_tick(evutil_socket_t fd, short what, void *arg);
static void	 on_signal(evutil_socket_t fd, short what, void *arg);
static void	 on_rate(evutil_socket_t fd, short what, void *arg);
static void	 progress_line(struct bench *b, uint64_t now);
static void	 conn_open(struct conn *c);
static void	 conn_connected(struct conn *c, uint64_t now);
static void	 conn_close(struct conn *c);
static void	 conn_fail(struct conn *c, enum bench_error kind);
static void	 conn_eof(struct conn *c);
static void	 conn_check_timeout(struct conn *c, uint64_t now);
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
static int	 reply_done(struct conn *c, uint64_t now, bool good);
static void	 rate_send(struct conn *c, uint64_t due);
static void	 stream_on_read(evutil_socket_t fd, short what, void *arg);
static void	 stream_fill(struct conn *c, uint64_t now);
static enum bench_error connect_error_kind(int err);
static enum bench_error io_error_kind(int err);

/*
 * Small helpers.
 */

const char *
bench_error_name(enum bench_error kind)
{
	static const char *const names[BENCH_ERR_KINDS] = {
		"refused", "reset", "timeout", "short", "wrong", "other",
		"behind",
	};

	return kind < BENCH_ERR_KINDS ? names[kind] : "?";
}

uint64_t
bench_errors_total(const struct bench_stats *st)
{
	uint64_t	 total = 0;
	int		 i;

	for (i = 0; i < BENCH_ERR_KINDS; i++)
		total += st->errors[i];
	return total;
}

static uint64_t
clock_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void
timer_add(struct event *ev, uint64_t ns)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)(ns / NS_PER_S);
	tv.tv_usec = (suseconds_t)(ns % NS_PER_S / 1000);
	event_add(ev, &tv);
}

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t	 p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

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

/*
 * Before the loop.
 */

int
bench_raise_fd_limit(unsigned conns, char *err, size_t errlen)
{
	struct rlimit	 rl;
	rlim_t		 need = (rlim_t)conns + FD_SLACK;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errlen, "getrlimit(RLIMIT_NOFILE): %s",
		    strerror(errno));
		return -1;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	/* Up to the hard limit, or past it where we may (root). */
	rl.rlim_cur = need;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
		struct rlimit	 now;

		getrlimit(RLIMIT_NOFILE, &now);
		snprintf(err, errlen, "--conns %u needs %llu open files; the "
		    "limit is %llu (hard limit %llu) and cannot be raised: "
		    "%s (raise it with ulimit -n, or use fewer connections)",
		    conns, (unsigned long long)need,
		    (unsigned long long)now.rlim_cur,
		    (unsigned long long)now.rlim_max, strerror(errno));
		return -1;
	}
	return 0;
}

int
bench_probe(const struct net_addr *target, uint64_t timeout_ns, char *err,
    size_t errlen)
{
	struct pollfd	 pfd;
	socklen_t	 len = sizeof(int);
	int		 fd, soerr = 0, rc;

	fd = socket(target->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&target->ss,
	    target->len) == -1) {
		if (errno != EINPROGRESS) {
			soerr = errno;
			goto fail;
		}
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		do
			rc = poll(&pfd, 1, (int)(timeout_ns / NS_PER_MS));
		while (rc == -1 && errno == EINTR);
		if (rc == 0)
			soerr = ETIMEDOUT;
		else if (rc == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR,
		    &soerr, &len) == -1)
			soerr = errno;
		if (soerr != 0)
			goto fail;
	}
	close(fd);
	return 0;
fail:
	snprintf(err, errlen, "cannot connect to %s: %s", target->text,
	    strerror(soerr));
	close(fd);
	return -1;
}

/*
 * The run.
 */

int
bench_run(const struct bench_options *o, bool progress,
    struct bench_result *r, char *err, size_t errlen)
{
	struct bench	 b;
	uint64_t	 now;
	unsigned	 i;

	memset(&b, 0, sizeof(b));
	memset(r, 0, sizeof(*r));
	hist_reset(&r->latency);
	b.o = o;
	b.r = r;
	b.progress = progress;
	if (bench_setup(&b, err, errlen) == -1) {
		bench_teardown(&b);
		return -1;
	}

	b.t_start = b.prog_t = now = clock_ns();
	if (o->warmup_ns == 0)
		bench_begin_measuring(&b, now);
	timer_add(&b.phase_ev, o->warmup_ns > 0 ? o->warmup_ns :
	    o->duration_ns);
	timer_add(&b.tick_ev, TICK_NS);
	if (o->rate > 0)
		timer_add(&b.rate_ev, 0);
	for (i = 0; i < o->conns && !b.done; i++)
		conn_open(&b.conns[i]);

	event_base_dispatch(b.base);

	if (b.measuring)
		r->duration_s = (double)(b.t_end - b.t_measure) / 1e9;
	else {
		/* Stopped during the warmup: nothing was measured. */
		memset(&r->stats, 0, sizeof(r->stats));
		hist_reset(&r->latency);
	}
	if (progress)
		fputs("\r\033[K", stderr);
	bench_teardown(&b);
	return 0;
}

/*
 * Everything the run needs, allocated here and only here: the loop, the
 * connections, their rings and the shared buffers.
 */
static int
bench_setup(struct bench *b, char *err, size_t errlen)
{
	const struct bench_options *o = b->o;
	struct event_config	*cfg;
	uint32_t		 cap;
	size_t			 copies, i;
	uint32_t		 x = 2463534242u;

	if ((cfg = event_config_new()) == NULL)
		goto nomem;
	/* Sub-millisecond timers (timerfd) for the --rate schedule. */
	if (o->rate > 0)
		event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	b->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (b->base == NULL) {
		snprintf(err, errlen, "cannot set up the event loop "
		    "(libevent)");
		return -1;
	}

	if (o->mode == BENCH_STREAM)
		cap = STREAM_CHUNKS;
	else if (o->mode == BENCH_CONNECT)
		cap = 1;
	else if (o->rate > 0)
		cap = BENCH_INFLIGHT_MAX;
	else
		cap = pow2_at_least(o->pipeline);
	b->conns = calloc(o->conns, sizeof(*b->conns));
	b->at_pool = calloc((size_t)o->conns * cap, sizeof(uint64_t));
	if (o->mode == BENCH_STREAM)
		b->end_pool = calloc((size_t)o->conns * cap, sizeof(uint64_t));
	b->rbuf = malloc(READ_BUF);
	if (o->mode == BENCH_STREAM) {
		/* Any offset mod the period starts a window long enough. */
		b->wbuf_len = PATTERN_PERIOD + (o->block > READ_BUF ?
		    o->block : READ_BUF);
		if ((b->wbuf = malloc(b->wbuf_len)) != NULL)
			for (i = 0; i < b->wbuf_len; i++) {
				x ^= x << 13, x ^= x >> 17, x ^= x << 5;
				b->wbuf[i] = i < PATTERN_PERIOD ? (char)x :
				    b->wbuf[i - PATTERN_PERIOD];
			}
	} else {
		copies = REPEAT_MIN / o->request_len + 1;
		b->wbuf_len = copies * o->request_len;
		if ((b->wbuf = malloc(b->wbuf_len)) != NULL)
			for (i = 0; i < copies; i++)
				memcpy(b->wbuf + i * o->request_len,
				    o->request, o->request_len);
	}
	if (b->conns == NULL || b->at_pool == NULL || b->rbuf == NULL ||
	    b->wbuf == NULL || (o->mode == BENCH_STREAM && b->end_pool == NULL))
		goto nomem;

	for (i = 0; i < o->conns; i++) {
		struct conn *c = &b->conns[i];

		c->b = b;
		c->fd = -1;
		c->cap = cap;
		c->at = b->at_pool + i * cap;
		if (b->end_pool != NULL)
			c->end = b->end_pool + i * cap;
		evtimer_assign(&c->retry, b->base, conn_on_retry, c);
	}
	evtimer_assign(&b->phase_ev, b->base, on_phase, b);
	event_assign(&b->tick_ev, b->base, -1, EV_PERSIST, on_tick, b);
	evtimer_assign(&b->rate_ev, b->base, on_rate, b);
	evsignal_assign(&b->int_ev, b->base, SIGINT, on_signal, b);
	evsignal_assign(&b->term_ev, b->base, SIGTERM, on_signal, b);
	b->events_assigned = true;
	if (event_add(&b->int_ev, NULL) == -1 ||
	    event_add(&b->term_ev, NULL) == -1) {
		snprintf(err, errlen, "cannot catch SIGINT and SIGTERM "
		    "(libevent)");
		return -1;
	}
	b->rate_interval_ns = o->rate > 0 ? 1e9 / o->rate : 0;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory for %u connections",
	    o->conns);
	return -1;
}

static void
bench_teardown(struct bench *b)
{
	unsigned	 i;

	/* Connections not reached by a failed setup have no fd or timer. */
	if (b->conns != NULL)
		for (i = 0; i < b->o->conns && b->conns[i].b != NULL; i++) {
			conn_close(&b->conns[i]);
			event_del(&b->conns[i].retry);
		}
	if (b->events_assigned) {
		event_del(&b->phase_ev);
		event_del(&b->tick_ev);
		event_del(&b->rate_ev);
		event_del(&b->int_ev);
		event_del(&b->term_ev);
	}
	if (b->base != NULL)
		event_base_free(b->base);
	free(b->conns);
	free(b->at_pool);
	free(b->end_pool);
	free(b->rbuf);
	free(b->wbuf);
}

/* The warmup is over: what was counted so far does not count. */
static void
bench_begin_measuring(struct bench *b, uint64_t now)
{
	memset(&b->r->stats, 0, sizeof(b->r->stats));
	hist_reset(&b->r->latency);
	b->measuring = true;
	b->t_measure = b->prog_t = now;
	b->prog_last = 0;
}

static void
bench_stop(struct bench *b, uint64_t now, bool partial)
{
	b->done = true;
	b->t_end = now;
	b->r->partial = partial;
	event_base_loopbreak(b->base);
}

static void
bench_count_error(struct bench *b, enum bench_error kind)
{
	if (kind < BENCH_ERR_KINDS)
		b->r->stats.errors[kind]++;
}

static void
on_phase(evutil_socket_t fd, short what, void *arg)
{
	struct bench	*b = arg;
	uint64_t	 now = clock_ns();

	(void)fd;
	(void)what;
	if (!b->measuring) {
		bench_begin_measuring(b, now);
		timer_add(&b->phase_ev, b->o->duration_ns);
		return;
	}
	bench_stop(b, now, false);
}

static void
on_signal(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bench_stop(arg, clock_ns(), true);
}

/* Timeouts are checked by a sweep, not a timer per request. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bench	*b = arg;
	uint64_t	 now = clock_ns();
	unsigned	 i;

	(void)fd;
	(void)what;
	for (i = 0; i < b->o->conns && !b->done; i++)
		conn_check_timeout(&b->conns[i], now);
	if (b->progress && now - b->prog_t >= PROGRESS_NS)
		progress_line(b, now);
}

/* "  3.0s     12345.6 req/s  p99 123.4 us  errors 0" on stderr. */
static void
progress_line(struct bench *b, uint64_t now)
{
	const struct bench_stats *st = &b->r->stats;
	double		 dt = (double)(now - b->prog_t) / 1e9, rate;
	uint64_t	 count;
	const char	*unit;

	switch (b->o->mode) {
	case BENCH_STREAM:
		count = st->bytes_in;
		rate = (double)(count - b->prog_last) / dt / 1e6;
		unit = "MB/s";
		break;
	case BENCH_CONNECT:
		count = st->connects;
		rate = (double)(count - b->prog_last) / dt;
		unit = "conn/s";
		break;
	default:
		count = st->requests;
		rate = (double)(count - b->prog_last) / dt;
		unit = "req/s";
	}
	fprintf(stderr, "\r%s %6.1fs %12.1f %s  p99 %.1f us  errors %llu"
	    "\033[K", b->measuring ? "run   " : "warmup",
	    (double)(now - (b->measuring ? b->t_measure : b->t_start)) / 1e9,
	    rate, unit, (double)hist_percentile(&b->r->latency, 99) / 1e3,
	    (unsigned long long)bench_errors_total(st));
	b->prog_t = now;
	b->prog_last = count;
}

/*
 * Connections: open, close, fail.
 */

static void
conn_open(struct conn *c)
{
	struct bench		*b = c->b;
	const struct net_addr	*t = &b->o->target;
	int			 fd, one = 1;

	c->served = false;
	c->opened_at = clock_ns();
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
	c->sent = c->echoed = 0;
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
	timer_add(&c->retry, delay < RETRY_MAX_NS ? delay : RETRY_MAX_NS);
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

static void
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
			conn_connected(c, clock_ns());
		return;
	}
	if (c->b->o->mode == BENCH_STREAM)
		stream_fill(c, clock_ns());
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
	size_t		 len, reqlen = b->o->request_len;
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
	n = recv(fd, b->rbuf, READ_BUF, 0);
	if (n > 0) {
		b->r->stats.bytes_in += (uint64_t)n;
		if (rr_parse(c, b->rbuf, (size_t)n, clock_ns()) == 0 &&
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
		if (reply_done(c, now, verdict == REPLY_GOOD) == -1)
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
 * With --expect: the reply is the expected bytes exactly. A reply that
 * differs ends at the next '\n' if the expected reply is a line;
 * otherwise there is no telling where it ends (REPLY_UNSYNCED).
 */
static enum reply
reply_match(struct conn *c, const char *p, size_t n, size_t *used)
{
	const struct bench_options *o = c->b->o;
	const char	*nl;
	size_t		 m = o->expect_len - c->match;

	if (c->skipping) {
		if ((nl = memchr(p, '\n', n)) == NULL) {
			*used = n;
			return REPLY_PARTIAL;
		}
		c->skipping = false;
		*used = (size_t)(nl - p) + 1;
		return REPLY_WRONG;
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
reply_done(struct conn *c, uint64_t now, bool good)
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
	if (good) {
		hist_record(&b->r->latency, now - at);
		b->r->stats.requests++;
	} else
		bench_count_error(b, BENCH_ERR_WRONG);
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

/*
 * --rate: the schedule is global, request k is due at t_start + k / rate
 * and goes to connection k mod conns, so each connection sends at a
 * fixed interval, staggered from the others. Latency runs from the due
 * time, whatever delayed the send (no coordinated omission).
 */
static void
on_rate(evutil_socket_t fd, short what, void *arg)
{
	struct bench	*b = arg;
	uint64_t	 now = clock_ns(), due;

	(void)fd;
	(void)what;
	for (;;) {
		due = b->t_start + (uint64_t)((double)b->rate_k *
		    b->rate_interval_ns);
		if (due > now || b->done)
			break;
		rate_send(&b->conns[b->rate_k % b->o->conns], due);
		b->rate_k++;
	}
	if (!b->done)
		timer_add(&b->rate_ev, due - now);
}

static void
rate_send(struct conn *c, uint64_t due)
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
	n = recv(fd, b->rbuf, READ_BUF, 0);
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
	now = clock_ns();
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
