/*
 * client: forkline-bench's run: the event loop, the warmup and measured
 * phases, the timeout sweep, the --rate schedule, signals and the
 * progress line. The connections themselves are conn.c.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/conn.h"

#define REPEAT_MIN	(64 * 1024)	/* requests in a row, to write from */
#define STREAM_CHUNKS	64	/* timed writes in flight per connection */
#define TICK_NS		(100 * NS_PER_MS)	/* timeout sweep */
#define PROGRESS_NS	NS_PER_S
#define FD_SLACK	64	/* stdio, the loop's own fds, the probe */

static uint32_t	 pow2_at_least(uint32_t n);
static int	 bench_setup(struct bench *b, char *err, size_t errlen);
static void	 bench_teardown(struct bench *b);
static void	 bench_begin_measuring(struct bench *b, uint64_t now);
static void	 bench_stop(struct bench *b, uint64_t now, bool partial);
static void	 on_phase(evutil_socket_t fd, short what, void *arg);
static void	 on_tick(evutil_socket_t fd, short what, void *arg);
static void	 on_signal(evutil_socket_t fd, short what, void *arg);
static void	 on_rate(evutil_socket_t fd, short what, void *arg);
static void	 progress_line(struct bench *b, uint64_t now);

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

static uint32_t
pow2_at_least(uint32_t n)
{
	uint32_t	 p = 1;

	while (p < n)
		p <<= 1;
	return p;
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

	b.t_start = b.prog_t = now = bench_clock_ns();
	if (o->warmup_ns == 0)
		bench_begin_measuring(&b, now);
	bench_timer_add(&b.phase_ev, o->warmup_ns > 0 ? o->warmup_ns :
	    o->duration_ns);
	bench_timer_add(&b.tick_ev, TICK_NS);
	if (o->rate > 0)
		bench_timer_add(&b.rate_ev, 0);
	for (i = 0; i < o->conns && !b.done; i++)
		conn_open(&b.conns[i]);

	event_base_dispatch(b.base);

	if (b.measuring) {
		r->duration_s = (double)(b.t_end - b.t_measure) / 1e9;
		/* What is still in flight had no outcome in the period. */
		for (i = 0; i < o->conns; i++)
			r->stats.attempted -= conn_unanswered(&b.conns[i]);
	} else {
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
	b->rbuf = malloc(BENCH_READ_BUF);
	if (o->mode == BENCH_STREAM) {
		/* Any offset mod the period starts a window long enough. */
		b->wbuf_len = PATTERN_PERIOD + (o->block > BENCH_READ_BUF ?
		    o->block : BENCH_READ_BUF);
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

	for (i = 0; i < o->conns; i++)
		conn_init(&b->conns[i], b, b->at_pool + i * cap,
		    b->end_pool != NULL ? b->end_pool + i * cap : NULL, cap);
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
		for (i = 0; i < b->o->conns && b->conns[i].b != NULL; i++)
			conn_release(&b->conns[i]);
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

/*
 * The warmup is over: what was counted so far does not count. (Until
 * then stats.attempted may have wrapped below zero; it is cleared here.)
 */
static void
bench_begin_measuring(struct bench *b, uint64_t now)
{
	unsigned	 i;

	memset(&b->r->stats, 0, sizeof(b->r->stats));
	hist_reset(&b->r->latency);
	/* Requests in flight now have their outcome in the period. */
	for (i = 0; i < b->o->conns; i++)
		b->r->stats.attempted += conn_unanswered(&b->conns[i]);
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
on_phase(evutil_socket_t fd, short what, void *arg)
{
	struct bench	*b = arg;
	uint64_t	 now = bench_clock_ns();

	(void)fd;
	(void)what;
	if (!b->measuring) {
		bench_begin_measuring(b, now);
		bench_timer_add(&b->phase_ev, b->o->duration_ns);
		return;
	}
	bench_stop(b, now, false);
}

static void
on_signal(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	bench_stop(arg, bench_clock_ns(), true);
}

/* Timeouts are checked by a sweep, not a timer per request. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bench	*b = arg;
	uint64_t	 now = bench_clock_ns();
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
 * --rate: the schedule is global, request k is due at t_start + k / rate
 * and goes to connection k mod conns, so each connection sends at a
 * fixed interval, staggered from the others. Latency runs from the due
 * time, whatever delayed the send (no coordinated omission).
 */
static void
on_rate(evutil_socket_t fd, short what, void *arg)
{
	struct bench	*b = arg;
	uint64_t	 now = bench_clock_ns(), due;

	(void)fd;
	(void)what;
	for (;;) {
		due = b->t_start + (uint64_t)((double)b->rate_k *
		    b->rate_interval_ns);
		if (due > now || b->done)
			break;
		conn_schedule(&b->conns[b->rate_k % b->o->conns], due);
		b->rate_k++;
	}
	if (!b->done)
		bench_timer_add(&b->rate_ev, due - now);
}

