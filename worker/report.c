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

#include "common/beats.h"
#include "common/escape.h"
#include "common/hot.h"
#include "common/log.h"
#include "common/proc.h"
#include "worker/report.h"

static const struct worker_stats *stats;
/* report_init ran: report_fd is the pipe. In .bss, with the rest of what
 * a request reads here, not alone in a page of .data. */
static bool		 reporting;
static int		 report_fd;
/* Where heartbeats go (common/beats.h), and this worker's slot there;
 * NULL: down the pipe with the rest. */
static struct beat_board *beats;
static size_t		 beat_slot;
static struct health_report current;
static struct report_timing timing;	/* what report_decide looks at */
static unsigned long	 dropped;

static void	 report_send(bool);
static void	 report_due(void);

/* The write end must never block the worker: a full pipe drops a report. */
void
report_init(const struct worker_env *env, const struct worker_stats *st)
{
	stats = st;
	report_fd = env->report_fd;
	beats = env->beats;
	beat_slot = (size_t)env->slot;
	reporting = true;
	timing = (struct report_timing){ .sent = HEALTH_STARTING,
	    .first = true, .heartbeat_ms = env->conf->heartbeat_interval_ms };
	if (fcntl(report_fd, F_SETFL, O_NONBLOCK) == -1)
		log_warn("report pipe: fcntl(O_NONBLOCK)");
	memset(&current, 0, sizeof(current));
	current.magic = HEALTH_MAGIC;
	current.pid = (uint32_t)getpid();
	current.generation = env->generation;
	current.slot = (uint32_t)env->slot;
	current.state = HEALTH_STARTING;
}

/*
 * The report as things are now. An event (a first report, a change of
 * state or flags, one asked for) goes down the pipe, which wakes the
 * master; a heartbeat only updates this worker's slot among the beats,
 * which the master reads on its tick.
 */
static void
report_send(bool event)
{
	const struct worker_stats *st = stats;
	struct rusage ru;
	ssize_t n;

	current.seq++;
	timing.first = false;
	timing.pending = false;
	timing.sent = (enum health_state)current.state;
	if (current.state == HEALTH_BUSY)
		timing.told_busy = true;
	current.connections = st->connections;
	current.requests = st->requests;
	current.bytes_in = st->bytes_in;
	current.bytes_out = st->bytes_out;
	current.conn_started_ms = st->conn_started_ms;
	memcpy(current.latency, st->latency, sizeof(current.latency));
	/* Escaped already; cut, if need be, between whole escapes. */
	esc_copy(current.peer, sizeof(current.peer),
	    st->peer != NULL ? st->peer : "");
	current.latency_sum_us = st->latency_sum_us;
	memcpy(current.faults, st->faults, sizeof(current.faults));
	memcpy(current.handoffs, st->handoffs, sizeof(current.handoffs));
	memcpy(current.handoff_latency, st->handoff_latency,
	    sizeof(current.handoff_latency));
	current.handoff_latency_sum_us = st->handoff_latency_sum_us;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		current.max_rss_kb = (uint64_t)ru.ru_maxrss;
	timing.last_sent_ms = now_ms();
	timing.next_due_ms = timing.last_sent_ms + timing.heartbeat_ms;
	if (!event && beats != NULL) {
		beats_publish(beats, beat_slot, &current);
		return;
	}
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
 * The first report (ready), the first busy one (a young worker that has
 * served is restarted at once, one that has not after a backoff, so the
 * master must know) and draining go out at once. Any other busy/idle
 * change waits REPORT_COALESCE_MS, and is dropped if the worker is idle
 * again by then, as the master last heard: a connection shorter than that
 * turns the worker busy and idle again without a report, so it costs the
 * master nothing (its counters arrive with the next report). Back to busy
 * is another connection, whose peer the master must see, so it waits
 * again. A change still pending when the worker blocks reading an idle
 * client goes out when the read returns (report_before_block), at most
 * half a heartbeat later.
 *
 * Static and inline, so that report_state (a state change comes twice per
 * connection) reads only the fields of timing each case needs;
 * report_decide is the same rule for the tests.
 */
static inline struct report_plan
decide(const struct report_timing *t, enum health_state from,
    enum health_state to, int64_t now)
{
	struct report_plan plan = { REPORT_KEEP, 0 };
	int64_t due;

	if (from == to && !t->first)
		return plan;
	if (t->first || to == HEALTH_DRAINING ||
	    (to == HEALTH_BUSY && !t->told_busy)) {
		plan.verdict = REPORT_SEND_NOW;
		return plan;
	}
	if (to == t->sent && to == HEALTH_IDLE) {
		if (t->pending) {
			plan.verdict = REPORT_DROP;
			plan.at_ms = t->last_sent_ms + t->heartbeat_ms;
		}
		return plan;
	}
	if (t->pending)
		return plan;
	due = now + REPORT_COALESCE_MS;
	plan.verdict = REPORT_SEND_AT;
	plan.at_ms = due < t->next_due_ms ? due : t->next_due_ms;
	return plan;
}

struct report_plan
report_decide(const struct report_timing *t, enum health_state from,
    enum health_state to, int64_t now)
{
	return decide(t, from, to, now);
}

void
report_state(enum health_state state, int64_t now)
{
	struct report_plan plan;

	if (!reporting)
		return;
	plan = decide(&timing, (enum health_state)current.state, state, now);
	current.state = (uint8_t)state;
	switch (plan.verdict) {
	case REPORT_KEEP:
		break;
	case REPORT_SEND_NOW:
		report_send(true);
		break;
	case REPORT_SEND_AT:
	case REPORT_DROP:
		timing.pending = plan.verdict == REPORT_SEND_AT;
		timing.next_due_ms = plan.at_ms;
		break;
	}
}

void
report_set_flags(unsigned flags)
{
	if ((current.flags | flags) == current.flags)
		return;
	current.flags |= (uint8_t)flags;
	if (reporting)
		report_send(true);
}

void
report_now(void)
{
	if (reporting)
		report_send(true);
}

/* Due: a pending change is an event, otherwise it is a heartbeat. */
static void
report_due(void)
{
	report_send(timing.first || timing.pending);
}

HOT uint64_t
report_max_rss_kb(void)
{
	return current.max_rss_kb;
}

HOT void
report_tick(void)
{
	report_tick_at(now_ms());
}

HOT void
report_tick_at(int64_t now)
{
	if (reporting && now >= timing.next_due_ms)
		report_due();
}

HOT int64_t
report_due_in(void)
{
	int64_t left = timing.next_due_ms - now_ms();

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
HOT void
report_before_block(int64_t ms, int64_t now)
{
	if (reporting && !timing.pending && timing.next_due_ms - now < ms)
		report_due();
}

HOT int64_t
report_cap_wait(int64_t timeout_ms)
{
	int64_t due = report_due_in();

	if (!reporting)
		return timeout_ms;
	return timeout_ms < due ? timeout_ms : due;
}
