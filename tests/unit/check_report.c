/*
 * Unit tests for worker/report.c's coalescing rule, report_decide: one
 * table of state changes and the plan each must give, and a run of
 * connections played through the rule the way report_state and
 * report_tick apply it.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "worker/report.h"

#define NOW	100000		/* ms; any time well after the start */
#define HB	1000		/* heartbeat_interval */
#define LAST	(NOW - 300)	/* the last report went out 300 ms ago */
#define DUE	(LAST + HB)	/* so the heartbeat is due in 700 ms */
#define SOON	(NOW + REPORT_COALESCE_MS)

#define STARTING	HEALTH_STARTING
#define IDLE		HEALTH_IDLE
#define BUSY		HEALTH_BUSY
#define DRAINING	HEALTH_DRAINING

struct report_case {
	const char		*name;
	enum health_state	 from, to;
	struct report_timing	 timing;
	struct report_plan	 want;
};

/*
 * Columns (all at NOW):
 *   from, to
 *   timing: sent, first, told_busy, pending, last_sent, next_due, heartbeat
 *   want:   verdict, at (SEND_AT and DROP only)
 */
#define C(from, to, sent, first, told, pending) \
	from, to, { sent, first, told, pending, LAST, DUE, HB }
#define CT(from, to, sent, told, pending, due) \
	from, to, { sent, false, told, pending, LAST, due, HB }

static const struct report_case cases[] = {
	/* The first report (ready) goes at once, whatever it says. */
	{ "ready", C(STARTING, IDLE, STARTING, true, false, false),
	    { REPORT_SEND_NOW, 0 } },
	{ "ready, state unchanged", C(STARTING, STARTING, STARTING, true,
	    false, false), { REPORT_SEND_NOW, 0 } },
	{ "busy before ready", C(STARTING, BUSY, STARTING, true, false,
	    false), { REPORT_SEND_NOW, 0 } },
	{ "draining before ready", C(STARTING, DRAINING, STARTING, true,
	    false, false), { REPORT_SEND_NOW, 0 } },

	/* No change: nothing, pending or not. */
	{ "idle again", C(IDLE, IDLE, IDLE, false, true, false),
	    { REPORT_KEEP, 0 } },
	{ "busy again, pending", C(BUSY, BUSY, IDLE, false, true, true),
	    { REPORT_KEEP, 0 } },
	{ "draining again", C(DRAINING, DRAINING, DRAINING, false, true,
	    false), { REPORT_KEEP, 0 } },

	/* Draining always goes at once, even over a pending change. */
	{ "draining from idle", C(IDLE, DRAINING, IDLE, false, true, false),
	    { REPORT_SEND_NOW, 0 } },
	{ "draining from busy, pending", C(BUSY, DRAINING, IDLE, false, true,
	    true), { REPORT_SEND_NOW, 0 } },
	{ "draining, never busy", C(IDLE, DRAINING, IDLE, false, false,
	    false), { REPORT_SEND_NOW, 0 } },

	/* The first busy report goes at once: the backoff depends on it. */
	{ "first busy", C(IDLE, BUSY, IDLE, false, false, false),
	    { REPORT_SEND_NOW, 0 } },
	{ "first busy, over a pending change", C(IDLE, BUSY, IDLE, false,
	    false, true), { REPORT_SEND_NOW, 0 } },

	/* Later busy/idle changes wait REPORT_COALESCE_MS... */
	{ "busy", C(IDLE, BUSY, IDLE, false, true, false),
	    { REPORT_SEND_AT, SOON } },
	{ "idle after a busy report", C(BUSY, IDLE, BUSY, false, true, false),
	    { REPORT_SEND_AT, SOON } },
	/* ... or less, when a heartbeat falls due first. */
	{ "busy, heartbeat due sooner", CT(IDLE, BUSY, IDLE, true, false,
	    NOW + 2), { REPORT_SEND_AT, NOW + 2 } },
	{ "busy, heartbeat overdue", CT(IDLE, BUSY, IDLE, true, false,
	    NOW - 1), { REPORT_SEND_AT, NOW - 1 } },
	{ "busy, heartbeat due with it", CT(IDLE, BUSY, IDLE, true, false,
	    SOON), { REPORT_SEND_AT, SOON } },
	{ "idle, heartbeat due sooner", CT(BUSY, IDLE, BUSY, true, false,
	    NOW + 1), { REPORT_SEND_AT, NOW + 1 } },

	/* Idle again before the busy change went out: drop it. */
	{ "short connection", C(BUSY, IDLE, IDLE, false, true, true),
	    { REPORT_DROP, LAST + HB } },
	{ "short connection, heartbeat was sooner", CT(BUSY, IDLE, IDLE,
	    true, true, NOW + 1), { REPORT_DROP, LAST + HB } },
	{ "idle as last sent, nothing pending", C(BUSY, IDLE, IDLE, false,
	    true, false), { REPORT_KEEP, 0 } },

	/* A change already pending carries whatever the state is then. */
	{ "idle, busy report pending", C(BUSY, IDLE, BUSY, false, true, true),
	    { REPORT_KEEP, 0 } },
	/* Back to busy is another connection: the master must see its peer. */
	{ "busy again before idle went out", C(IDLE, BUSY, BUSY, false, true,
	    true), { REPORT_KEEP, 0 } },
	{ "busy again, nothing pending", C(IDLE, BUSY, BUSY, false, true,
	    false), { REPORT_SEND_AT, SOON } },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static const char *verdict_name(enum report_verdict v);
static Suite	*report_suite(void);

static const char *
verdict_name(enum report_verdict v)
{
	switch (v) {
	case REPORT_KEEP:
		return "keep";
	case REPORT_SEND_NOW:
		return "send now";
	case REPORT_SEND_AT:
		return "send at";
	case REPORT_DROP:
		return "drop";
	}
	return "?";
}

START_TEST(test_decide_table)
{
	const struct report_case *c = &cases[_i];
	struct report_plan got = report_decide(&c->timing, c->from, c->to,
	    NOW);

	ck_assert_msg(got.verdict == c->want.verdict, "%s: %s, want %s",
	    c->name, verdict_name(got.verdict),
	    verdict_name(c->want.verdict));
	if (c->want.verdict == REPORT_SEND_AT ||
	    c->want.verdict == REPORT_DROP)
		ck_assert_msg(got.at_ms == c->want.at_ms,
		    "%s: at %lld, want %lld", c->name,
		    (long long)got.at_ms, (long long)c->want.at_ms);
}
END_TEST

/*
 * The reporter's state, kept as report_state (the plan) and report_tick /
 * report_send (a report when one is due) keep it.
 */
struct model {
	enum health_state	 state;
	struct report_timing	 t;
	int			 reports;
};

static void
model_send(struct model *m, int64_t now)
{
	m->reports++;
	m->t.first = false;
	m->t.pending = false;
	m->t.sent = m->state;
	if (m->state == HEALTH_BUSY)
		m->t.told_busy = true;
	m->t.last_sent_ms = now;
	m->t.next_due_ms = now + m->t.heartbeat_ms;
}

static void
model_tick(struct model *m, int64_t now)
{
	if (now >= m->t.next_due_ms)
		model_send(m, now);
}

static void
model_state(struct model *m, enum health_state to, int64_t now)
{
	struct report_plan plan = report_decide(&m->t, m->state, to, now);

	m->state = to;
	switch (plan.verdict) {
	case REPORT_KEEP:
		break;
	case REPORT_SEND_NOW:
		model_send(m, now);
		break;
	case REPORT_SEND_AT:
	case REPORT_DROP:
		m->t.pending = plan.verdict == REPORT_SEND_AT;
		m->t.next_due_ms = plan.at_ms;
		break;
	}
}

/*
 * Ready, a first connection (reported at once), then 200 connections of
 * 1 ms each, 1 ms apart, within one heartbeat interval: not one report.
 * Then a 20 ms connection: reported busy, then idle.
 */
START_TEST(test_short_connections_cost_nothing)
{
	struct model m = { HEALTH_STARTING,
	    { HEALTH_STARTING, true, false, false, 0, 0, HB }, 0 };
	int64_t t = NOW;
	int i, before;

	model_state(&m, HEALTH_IDLE, t);
	model_state(&m, HEALTH_BUSY, t);
	ck_assert_int_eq(m.reports, 2);
	model_state(&m, HEALTH_IDLE, ++t);
	model_tick(&m, t += REPORT_COALESCE_MS);
	ck_assert_int_eq(m.reports, 3);
	ck_assert_int_eq(m.t.sent, HEALTH_IDLE);

	before = m.reports;
	for (i = 0; i < 200; i++) {
		model_state(&m, HEALTH_BUSY, t);
		model_tick(&m, ++t);		/* serving */
		model_state(&m, HEALTH_IDLE, t);
		model_tick(&m, ++t);		/* waiting for the next */
	}
	ck_assert_msg(m.reports == before, "%d reports for 200 short "
	    "connections", m.reports - before);
	ck_assert_int_eq(m.t.pending, false);
	ck_assert_int_eq(m.t.next_due_ms, m.t.last_sent_ms + HB);

	before = m.reports;
	model_state(&m, HEALTH_BUSY, t);
	model_tick(&m, t += REPORT_COALESCE_MS);
	ck_assert_int_eq(m.t.sent, HEALTH_BUSY);
	model_state(&m, HEALTH_IDLE, t += 15);
	model_tick(&m, t += REPORT_COALESCE_MS);
	ck_assert_int_eq(m.t.sent, HEALTH_IDLE);
	ck_assert_int_eq(m.reports - before, 2);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc;

	tc = tcase_create("decide");
	tcase_add_loop_test(tc, test_decide_table, 0, (int)NCASES);
	tcase_add_test(tc, test_short_connections_cost_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
