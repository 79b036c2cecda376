/*
 * report: see report.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/escape.h"
#include "common/log.h"
#include "common/proc.h"
#include "worker/report.h"

/*
 * Busy/idle changes closer together than this are sent as one report (the
 * latest state), at most this much later: with short connections a worker
 * changes state thousands of times a second, and two reads in the master
 * per connection would cost it a good part of a core.
 */
#define REPORT_COALESCE_MS	5

static struct worker	*self;
static int		 report_fd = -1;
static struct health_report current;
static int64_t		 next_due_ms;	/* heartbeat or a coalesced change */
static int64_t		 last_sent_ms;
static unsigned long	 dropped;
static bool		 change_pending;	/* a coalesced state change */

static void	 report_send(void);

/* The write end must never block the worker: a full pipe drops a report. */
void
report_init(struct worker *w, int fd)
{
	self = w;
	report_fd = fd;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		log_warn("report pipe: fcntl(O_NONBLOCK)");
	memset(&current, 0, sizeof(current));
	current.magic = HEALTH_MAGIC;
	current.pid = (uint32_t)getpid();
	current.generation = w->env->generation;
	current.slot = (uint32_t)w->env->slot;
	current.state = HEALTH_STARTING;
}

static void
report_send(void)
{
	const struct worker_stats *st = &self->stats;
	struct rusage ru;
	ssize_t n;

	current.seq++;
	change_pending = false;
	current.connections = st->connections;
	current.requests = st->requests;
	current.bytes_in = st->bytes_in;
	current.bytes_out = st->bytes_out;
	current.conn_started_ms = st->conn_started_ms;
	memcpy(current.latency, st->latency, sizeof(current.latency));
	/* Escaped already; cut, if need be, between whole escapes. */
	esc_copy(current.peer, sizeof(current.peer),
	    self->peer != NULL ? self->peer : "");
	current.latency_sum_us = st->latency_sum_us;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		current.max_rss_kb = (uint64_t)ru.ru_maxrss;
	last_sent_ms = now_ms();
	next_due_ms = last_sent_ms + self->env->conf->heartbeat_interval_ms;
	do {
		n = write(report_fd, &current, sizeof(current));
	} while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN && dropped++ == 0)
		log_warnx("health pipe full: dropping reports until the "
		    "master catches up");
	else if (n == (ssize_t)sizeof(current))
		dropped = 0;
	/* EPIPE: the master is gone; the lifeline will tell us to stop. */
}

/*
 * The first report (ready) and draining go out at once; busy/idle changes
 * at once unless one went out less than REPORT_COALESCE_MS ago, in which
 * case the next wait's deadline (report_due_in) sends the latest state.
 */
void
report_state(enum health_state state)
{
	int64_t coalesce_until;

	if (report_fd == -1 || (current.state == state && current.seq > 0))
		return;
	current.state = (uint8_t)state;
	coalesce_until = last_sent_ms + REPORT_COALESCE_MS;
	if (current.seq == 0 || state == HEALTH_DRAINING ||
	    now_ms() >= coalesce_until) {
		report_send();
		return;
	}
	if (coalesce_until < next_due_ms)
		next_due_ms = coalesce_until;
	change_pending = true;
}

void
report_set_flags(unsigned flags)
{
	if ((current.flags | flags) == current.flags)
		return;
	current.flags |= (uint8_t)flags;
	if (report_fd != -1)
		report_send();
}

void
report_tick(void)
{
	if (report_fd != -1 && now_ms() >= next_due_ms)
		report_send();
}

int64_t
report_due_in(void)
{
	int64_t left = next_due_ms - now_ms();

	return left > 0 ? left : 0;
}

/*
 * Before a read that may block for up to ms without waking: a heartbeat
 * that would fall due meanwhile goes out now, early, so the master never
 * sees a gap longer than heartbeat_interval. A coalesced busy/idle change
 * stays pending: sending it now would undo the coalescing for short
 * connections, and it goes out as soon as the read returns (at once when the
 * client is active, at most ms later when it sits idle).
 */
void
report_before_block(int64_t ms)
{
	if (report_fd != -1 && !change_pending && next_due_ms - now_ms() < ms)
		report_send();
}

int64_t
report_cap_wait(int64_t timeout_ms)
{
	int64_t due = report_due_in();

	if (report_fd == -1)
		return timeout_ms;
	return timeout_ms < due ? timeout_ms : due;
}
