/*
 * conn: see conn.h.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/hot.h"
#include "common/idle.h"
#include "common/log.h"
#include "common/proc.h"
#include "worker/conn.h"
#include "worker/report.h"
#include "worker/stop.h"

static int	 wait_fd(struct conn *, short, int64_t, bool);
static int	 send_all(struct conn *, const char *, size_t);
static int	 send_plain(struct conn *, const char *, size_t);
static int	 send_shaped(struct conn *, const char *, size_t)
		    __attribute__((noinline, cold));

/*
 * Wait for events on the client, and on the lifeline when stop_wakes: the
 * request in hand is finished even during a stop, so writes do not wake for
 * it. Returns 1 ready, 0 timeout, -1 error, -2 stop.
 */
static int
wait_fd(struct conn *c, short events, int64_t timeout_ms, bool stop_wakes)
{
	struct pollfd pfd[2];
	struct timespec ts;
	int64_t deadline = now_ms() + timeout_ms, left;
	int n;

	c->clock_ms = 0;	/* stale once this has waited */
	for (;;) {
		if (stop_wakes && stop_requested())
			return -2;
		report_tick();
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		left = report_cap_wait(left);
		pfd[0] = (struct pollfd){ .fd = c->fd, .events = events };
		pfd[1] = (struct pollfd){ .fd = stop_lifeline(),
		    .events = POLLIN };
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		n = ppoll(pfd, stop_wakes ? 2 : 1, &ts, NULL);
		if (n == -1) {
			if (errno == EINTR)
				continue;	/* SIGTERM: re-check the stop */
			log_warn("%s: poll", c->peer);
			return -1;
		}
		if (n == 0)
			continue;	/* a heartbeat or the deadline is due */
		if (stop_wakes)
			stop_check_lifeline(&pfd[1]);
		if (pfd[0].revents != 0)
			return 1;
	}
}

void
conn_sleep(struct conn *c, int64_t ms)
{
	conn_sleep_us(c, ms * 1000);
}

void
conn_sleep_us(struct conn *c, int64_t us)
{
	struct pollfd pfd;
	struct timespec ts;
	int64_t deadline = now_us() + us, left, cap;

	c->clock_ms = 0;	/* stale once this has slept */

	while ((left = deadline - now_us()) > 0) {
		/* At EOF the lifeline stays readable: stop watching it then. */
		pfd = (struct pollfd){ .fd = stop_requested() ? -1 :
		    stop_lifeline(), .events = POLLIN };
		cap = report_cap_wait(left / 1000 + 1) * 1000;
		if (left > cap)
			left = cap;
		ts.tv_sec = left / 1000000;
		ts.tv_nsec = (left % 1000000) * 1000;
		if (ppoll(&pfd, 1, &ts, NULL) > 0)
			stop_check_lifeline(&pfd);
		report_tick();
	}
}

enum conn_event
conn_wait_readable(struct conn *c, int64_t timeout_ms)
{
	switch (wait_fd(c, POLLIN, timeout_ms, true)) {
	case 1:
		return CONN_READABLE;
	case 0:
		return CONN_TIMEOUT;
	case -2:
		return CONN_STOP;
	default:
		return CONN_ERROR;
	}
}

/*
 * One blocking recv(2), woken by SO_RCVTIMEO after a slice or by SIGTERM
 * (EINTR). Returns CONN_TIMEOUT for either wake-up: the caller re-checks its
 * deadline and the stop, as it would after ppoll.
 */
static HOT enum conn_event
receive_blocking(struct conn *c, void *buf, size_t len, int64_t now,
    size_t *got)
{
	ssize_t n;

	report_before_block(c->recv_slice_ms, now);
	n = recv(c->fd, buf, len, 0);
	if (n > 0) {
		c->stats->bytes_in += (uint64_t)n;
		*got = (size_t)n;
		return CONN_READABLE;
	}
	if (n == 0 || errno == ECONNRESET)
		return CONN_CLOSED;
	if (errno == EAGAIN || errno == EINTR)
		return CONN_TIMEOUT;
	log_warn("%s: read", c->peer);
	return CONN_ERROR;
}

/*
 * A parkable connection, quiet for a first recv slice: wait in ppoll on
 * it, the lifeline and the demand fds, until park_at_ms or timeout_ms.
 * CONN_IDLE when it is time to park: park_at_ms came, or another client
 * waits for a worker (a listener or the dispatch channel is readable).
 */
static enum conn_event
wait_or_park(struct conn *c, int64_t timeout_ms)
{
	struct pollfd pfd[CONN_DEMAND_MAX + 2];
	struct timespec ts;
	int64_t now = now_ms(), left = c->park_at_ms - now;
	bool deaf = now < c->demand_deaf_until_ms;
	int i, n, nfds = 2;

	/* Past park_at_ms, still look once: bytes there are a request. */
	if (left < 0)
		left = 0;
	if (left > timeout_ms)
		left = timeout_ms;
	if (deaf && left > c->demand_deaf_until_ms - now)
		left = c->demand_deaf_until_ms - now;
	left = report_cap_wait(left);
	pfd[0] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = stop_lifeline(), .events = POLLIN };
	for (i = 0; !deaf && i < c->ndemand && i < CONN_DEMAND_MAX; i++)
		pfd[nfds++] = (struct pollfd){ .fd = c->demand[i],
		    .events = POLLIN };
	ts.tv_sec = left / 1000;
	ts.tv_nsec = (left % 1000) * 1000000;
	n = ppoll(pfd, (nfds_t)nfds, &ts, NULL);
	if (n == -1) {
		if (errno == EINTR)
			return CONN_TIMEOUT;	/* re-check the stop */
		log_warn("%s: poll", c->peer);
		return CONN_ERROR;
	}
	stop_check_lifeline(&pfd[1]);
	if (pfd[0].revents != 0)
		return CONN_READABLE;
	for (i = 2; i < nfds; i++) {
		if (pfd[i].revents == 0)
			continue;
		/* Only when no one else could take that client: every
		 * waiting worker wakes on it, and an idle one will. */
		if (idle_none(c->env->idle))
			return CONN_IDLE;
		c->demand_deaf_until_ms = now_ms() + c->slice_short_ms;
		return CONN_TIMEOUT;
	}
	return now_ms() >= c->park_at_ms ? CONN_IDLE : CONN_TIMEOUT;
}

/*
 * The recv slice for the next blocking recv, set on the socket when it
 * changes: short only while no worker is idle and the connection may
 * park, because then another client may need this worker at any moment;
 * long otherwise, so that the quiet moments of a pool with workers to
 * spare cost no wake-up. 0 when it cannot be set: wait in ppoll then.
 */
static HOT int64_t
choose_slice(struct conn *c)
{
	int64_t want = c->park_at_ms != 0 && idle_none(c->env->idle) ?
	    c->slice_short_ms : c->slice_long_ms;
	struct timeval tv = { .tv_sec = want / 1000,
	    .tv_usec = (want % 1000) * 1000 };

	if (want == c->recv_slice_ms)
		return want;
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1) {
		log_warn("%s: setsockopt(SO_RCVTIMEO)", c->peer);
		c->recv_slice_ms = -1;
		return 0;
	}
	c->recv_slice_ms = want;
	return want;
}

/*
 * The first wait is one blocking recv slice: the next request comes
 * within it in the common case, for one system call. Past that the wait
 * is in ppoll, up to a heartbeat at a time, and a connection that may
 * park also watches for other clients waiting (wait_or_park). When no
 * worker is idle and a woken connection waits (or this one has sent no
 * request yet), a connection that may park waits that way from the
 * start: another client is waiting for this worker already.
 */
HOT enum conn_event
conn_receive(struct conn *c, void *buf, size_t len, int64_t deadline_ms,
    size_t *got)
{
	int64_t slice = 0, left, now;
	bool sliced = false;
	enum conn_event ev;
	ssize_t n;

	for (;;) {
		if (stop_requested())
			return CONN_STOP;
		/* One clock read for all three, or none: the protocol's. */
		now = c->clock_ms != 0 ? c->clock_ms : now_ms();
		c->clock_ms = 0;
		report_tick_at(now);
		left = deadline_ms - now;
		if (left <= 0)
			return CONN_TIMEOUT;
		/*
		 * No worker waits, and a woken connection does or may (the
		 * lobby holds some), or this one is new (others may be behind
		 * it in the accept queue): watch for them from the start.
		 * Otherwise, with every worker busy on clients that keep it
		 * so, the one system call.
		 */
		if (!sliced && c->park_at_ms != 0 && idle_none(c->env->idle) &&
		    (idle_any_queued(c->env->idle) ||
		    c->stats->requests == c->requests_before))
			sliced = true;
		if (!sliced)
			slice = choose_slice(c);
		if (sliced)
			ev = c->park_at_ms != 0 ? wait_or_park(c, left) :
			    conn_wait_readable(c, left);
		else if (slice > 0 && left >= slice) {
			switch (receive_blocking(c, buf, len, now, got)) {
			case CONN_TIMEOUT:
				sliced = true;
				continue;	/* a slice ended, or a signal */
			case CONN_READABLE:
				return CONN_READABLE;
			case CONN_CLOSED:
				return CONN_CLOSED;
			default:
				return CONN_ERROR;
			}
		} else	/* the deadline is closer than a slice: exactly */
			ev = conn_wait_readable(c, left);
		switch (ev) {
		case CONN_READABLE:
			break;
		case CONN_TIMEOUT:
			continue;
		case CONN_STOP:
		case CONN_IDLE:
			return ev;
		default:
			return CONN_ERROR;
		}
		n = conn_read(c, buf, len);
		if (n > 0) {
			*got = (size_t)n;
			return CONN_READABLE;
		}
		if (n == 0)
			return CONN_CLOSED;
		if (errno != EAGAIN)
			return CONN_ERROR;
	}
}

HOT ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = recv(c->fd, buf, len, MSG_DONTWAIT);
	} while (n == -1 && errno == EINTR);
	if (n > 0)
		c->stats->bytes_in += (uint64_t)n;
	else if (n == -1 && errno == ECONNRESET)
		n = 0;			/* the client is gone: same as EOF */
	else if (n == -1 && errno != EAGAIN)
		log_warn("%s: read", c->peer);
	return n;
}

/*
 * Write everything or give up: the whole reply must leave within
 * send_timeout of the last progress, or the client is too slow to keep.
 */
static HOT int
send_all(struct conn *c, const char *data, size_t len)
{
	if (c->broken)
		return -1;
	return c->shaped ? send_shaped(c, data, len) :
	    send_plain(c, data, len);
}

static inline __attribute__((always_inline)) int
send_plain(struct conn *c, const char *data, size_t len)
{
	ssize_t n;
	int r;

	while (len > 0) {
		n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			c->stats->bytes_out += (uint64_t)n;
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN) {
			if (errno != EPIPE && errno != ECONNRESET)
				log_warn("%s: write", c->peer);
			c->broken = true;
			return -1;
		}
		r = wait_fd(c, POLLOUT, c->send_timeout_ms, false);
		if (r == 0)
			log_warnx("%s: send timeout after %lld ms; closing",
			    c->peer, (long long)c->send_timeout_ms);
		if (r != 1) {
			c->broken = true;
			return -1;
		}
	}
	return 0;
}

/*
 * Injected faults (inject.c): a budget cuts the reply short and breaks
 * the connection; a bandwidth sends it in pieces, each when the time for
 * its bytes has come, so a reply of n bytes takes n / bandwidth seconds.
 */
static int
send_shaped(struct conn *c, const char *data, size_t len)
{
	size_t piece, sent = 0, step;
	int64_t start = now_us(), due;
	bool cut = false;

	if (c->budgeted && len >= c->send_budget) {
		len = c->send_budget;
		cut = true;
	}
	if (c->budgeted)
		c->send_budget -= len;
	if (c->bandwidth == 0) {
		if (send_plain(c, data, len) == -1)
			return -1;
		sent = len;
	}
	step = c->bandwidth / 50 > 0 ? c->bandwidth / 50 : 1;	/* 20 ms */
	while (sent < len) {
		piece = len - sent < step ? len - sent : step;
		if (send_plain(c, data + sent, piece) == -1)
			return -1;
		sent += piece;
		due = start + (int64_t)((double)sent * 1e6 /
		    (double)c->bandwidth);
		if (sent < len && due > now_us())
			conn_sleep_us(c, due - now_us());
	}
	if (cut) {
		c->broken = true;
		return -1;
	}
	return 0;
}

HOT int
conn_flush(struct conn *c)
{
	size_t len = c->outlen;

	c->outlen = 0;
	return len == 0 ? (c->broken ? -1 : 0) : send_all(c, c->out, len);
}

HOT int
conn_queue(struct conn *c, const void *data, size_t len)
{
	if (c->outlen + len > CONN_OUT_CAP && conn_flush(c) == -1)
		return -1;
	if (len > CONN_OUT_CAP)
		return send_all(c, data, len);
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return c->broken ? -1 : 0;
}

HOT int
conn_write(struct conn *c, const void *data, size_t len)
{
	if (conn_flush(c) == -1)
		return -1;
	return send_all(c, data, len);
}
