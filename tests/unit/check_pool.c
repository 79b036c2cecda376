/*
 * Unit tests for server/pool.c: one table of limits and views and the
 * decision each must give, the surplus clock carried across ticks, the
 * invariants over a sweep of views, and pool_adjust.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "server/pool.h"

#define NOW	100000		/* ms; any time well after the start */
#define GRACE	1000

struct pool_case {
	const char		*name;
	struct pool_limits	 limits;
	struct pool_view	 view;
	struct pool_decision	 want;
};

/*
 * Columns:
 *   limits: mode, target, min_spare, max_spare, max, idle_grace
 *   view:   starting, idle, busy, queued, spawn_budget, now, surplus_since
 *   want:   spawn, retire, surplus_since
 */
#define S(t, max)	{ CONF_POOL_STATIC, t, 2, 5, max, GRACE }
#define D(lo, hi, max)	{ CONF_POOL_DYNAMIC, 4, lo, hi, max, GRACE }

static const struct pool_case cases[] = {
	/* Static: exactly target workers; starting ones count. */
	{ "static at target", S(4, 16),
	    { 0, 2, 2, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "static at target, all idle", S(4, 16),
	    { 0, 4, 0, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "static at target, some starting", S(4, 16),
	    { 2, 1, 1, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "static at target, queue ignored", S(4, 16),
	    { 0, 0, 4, 50, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "static empty", S(4, 16),
	    { 0, 0, 0, 0, 32, NOW, 0 }, { 4, 0, 0 } },
	{ "static below target", S(4, 16),
	    { 0, 1, 1, 0, 32, NOW, 0 }, { 2, 0, 0 } },
	{ "static below target, starting count", S(4, 16),
	    { 2, 0, 1, 0, 32, NOW, 0 }, { 1, 0, 0 } },
	{ "static below target, budget bounds", S(8, 16),
	    { 0, 1, 0, 0, 3, NOW, 0 }, { 3, 0, 0 } },
	{ "static below target, budget exact", S(8, 16),
	    { 0, 1, 0, 0, 7, NOW, 0 }, { 7, 0, 0 } },
	{ "static below target, budget 0", S(8, 16),
	    { 0, 1, 0, 0, 0, NOW, 0 }, { 0, 0, 0 } },
	{ "static above target, retire idle", S(4, 16),
	    { 0, 3, 3, 0, 32, NOW, 0 }, { 0, 2, 0 } },
	{ "static above target, only one idle", S(4, 16),
	    { 0, 1, 5, 0, 32, NOW, 0 }, { 0, 1, 0 } },
	{ "static above target, all busy", S(4, 16),
	    { 0, 0, 6, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "static above target, starting not retired", S(2, 16),
	    { 3, 0, 0, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "static above target, retire needs no grace", S(1, 16),
	    { 0, 6, 0, 0, 32, NOW, 0 }, { 0, 5, 0 } },
	{ "static target clamped to max, at max", S(10, 4),
	    { 0, 4, 0, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "static target clamped to max, below", S(10, 4),
	    { 0, 1, 1, 0, 32, NOW, 0 }, { 2, 0, 0 } },
	{ "static target clamped to max, above", S(10, 4),
	    { 0, 3, 3, 0, 32, NOW, 0 }, { 0, 2, 0 } },

	/* Dynamic spawning: min_spare idle or starting, plus the queue. */
	{ "dynamic enough spares", D(2, 5, 10),
	    { 0, 2, 3, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic spares between bounds", D(2, 5, 10),
	    { 0, 4, 3, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic idle at max_spare", D(2, 5, 10),
	    { 0, 5, 0, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic empty", D(2, 5, 10),
	    { 0, 0, 0, 0, 32, NOW, 0 }, { 2, 0, 0 } },
	{ "dynamic no idle", D(2, 5, 10),
	    { 0, 0, 3, 0, 32, NOW, 0 }, { 2, 0, 0 } },
	{ "dynamic one idle", D(2, 5, 10),
	    { 0, 1, 3, 0, 32, NOW, 0 }, { 1, 0, 0 } },
	{ "dynamic starting count as spare", D(2, 5, 10),
	    { 1, 1, 3, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic starting count, one short", D(3, 5, 10),
	    { 1, 1, 3, 0, 32, NOW, 0 }, { 1, 0, 0 } },
	{ "dynamic only starting", D(2, 5, 10),
	    { 2, 0, 3, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic min_spare 0", D(0, 5, 10),
	    { 0, 0, 5, 0, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic queued adds to need", D(2, 5, 10),
	    { 0, 0, 3, 3, 32, NOW, 0 }, { 5, 0, 0 } },
	{ "dynamic queued with spares", D(2, 5, 10),
	    { 0, 2, 3, 1, 32, NOW, 0 }, { 1, 0, 0 } },
	{ "dynamic queued covered by spares", D(2, 5, 10),
	    { 1, 3, 0, 2, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic queued, min_spare 0", D(0, 5, 10),
	    { 0, 0, 4, 2, 32, NOW, 0 }, { 2, 0, 0 } },
	{ "dynamic bounded by max - live", D(2, 5, 10),
	    { 0, 0, 8, 5, 32, NOW, 0 }, { 2, 0, 0 } },
	{ "dynamic bounded by max - live, starting", D(2, 5, 10),
	    { 1, 0, 8, 5, 32, NOW, 0 }, { 1, 0, 0 } },
	{ "dynamic bounded by budget", D(2, 5, 10),
	    { 0, 0, 1, 5, 3, NOW, 0 }, { 3, 0, 0 } },
	{ "dynamic budget and room both above need", D(2, 5, 10),
	    { 0, 0, 1, 1, 32, NOW, 0 }, { 3, 0, 0 } },
	{ "dynamic budget below room", D(2, 5, 20),
	    { 0, 0, 10, 8, 4, NOW, 0 }, { 4, 0, 0 } },
	{ "dynamic room below budget", D(2, 5, 20),
	    { 0, 0, 17, 8, 4, NOW, 0 }, { 3, 0, 0 } },
	{ "dynamic budget 0", D(2, 5, 10),
	    { 0, 0, 3, 4, 0, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic at max", D(2, 5, 10),
	    { 0, 0, 10, 4, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic at max counting starting", D(2, 5, 10),
	    { 2, 0, 8, 4, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "dynamic above max", D(2, 5, 10),
	    { 0, 0, 12, 4, 32, NOW, 0 }, { 0, 0, 0 } },

	/* Dynamic surplus: idle > max_spare for idle_grace, then retire. */
	{ "surplus starts the clock", D(2, 5, 20),
	    { 0, 6, 0, 0, 32, NOW, 0 }, { 0, 0, NOW } },
	{ "surplus clock carried", D(2, 5, 20),
	    { 0, 6, 0, 0, 32, NOW + 500, NOW }, { 0, 0, NOW } },
	{ "surplus 1 ms before grace", D(2, 5, 20),
	    { 0, 6, 0, 0, 32, NOW + GRACE - 1, NOW }, { 0, 0, NOW } },
	{ "surplus exactly at grace", D(2, 5, 20),
	    { 0, 6, 0, 0, 32, NOW + GRACE, NOW }, { 0, 1, 0 } },
	{ "surplus after grace", D(2, 5, 20),
	    { 0, 9, 0, 0, 32, NOW + 5 * GRACE, NOW }, { 0, 4, 0 } },
	{ "surplus retires idle only", D(2, 5, 20),
	    { 0, 7, 10, 0, 32, NOW + GRACE, NOW }, { 0, 2, 0 } },
	{ "surplus ignores starting", D(2, 5, 20),
	    { 4, 5, 0, 0, 32, NOW + GRACE, NOW }, { 0, 0, 0 } },
	{ "surplus starting not retired", D(2, 5, 20),
	    { 4, 6, 0, 0, 32, NOW + GRACE, NOW }, { 0, 1, 0 } },
	{ "surplus resets at max_spare", D(2, 5, 20),
	    { 0, 5, 0, 0, 32, NOW + 10 * GRACE, NOW }, { 0, 0, 0 } },
	{ "surplus resets below max_spare", D(2, 5, 20),
	    { 0, 3, 2, 0, 32, NOW + 10 * GRACE, NOW }, { 0, 0, 0 } },
	{ "surplus resets when queued", D(2, 5, 20),
	    { 0, 9, 0, 1, 32, NOW + 10 * GRACE, NOW }, { 0, 0, 0 } },
	{ "surplus not started when queued", D(2, 5, 20),
	    { 0, 9, 0, 3, 32, NOW, 0 }, { 0, 0, 0 } },
	{ "no surplus, no clock", D(2, 5, 20),
	    { 0, 4, 0, 0, 32, NOW, 0 }, { 0, 0, 0 } },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void	 step(const struct pool_limits *l, struct pool_view *v,
		    int64_t now, int idle, int queued, int want_retire);
static void	 check_invariants(const struct pool_limits *l,
		    const struct pool_view *v);
static void	 sweep(const struct pool_limits *l);
static Suite	*pool_suite(void);

START_TEST(test_decide_table)
{
	const struct pool_case *c = &cases[_i];
	struct pool_decision d;

	d = pool_decide(&c->limits, &c->view);
	ck_assert_msg(d.spawn == c->want.spawn,
	    "%s: spawn %d, want %d", c->name, d.spawn, c->want.spawn);
	ck_assert_msg(d.retire == c->want.retire,
	    "%s: retire %d, want %d", c->name, d.retire, c->want.retire);
	ck_assert_msg(d.surplus_since_ms == c->want.surplus_since_ms,
	    "%s: surplus_since %lld, want %lld", c->name,
	    (long long)d.surplus_since_ms,
	    (long long)c->want.surplus_since_ms);
}
END_TEST

/*
 * One master tick: decide, check the retirements and carry the clock
 * into the view, the way the master does.
 */
static void
step(const struct pool_limits *l, struct pool_view *v, int64_t now,
    int idle, int queued, int want_retire)
{
	struct pool_decision d;

	v->now_ms = now;
	v->idle = idle;
	v->queued = queued;
	d = pool_decide(l, v);
	ck_assert_msg(d.spawn == 0, "t=%lld: spawn %d", (long long)now,
	    d.spawn);
	ck_assert_msg(d.retire == want_retire, "t=%lld: retire %d, want %d",
	    (long long)now, d.retire, want_retire);
	v->surplus_since_ms = d.surplus_since_ms;
}

/* The clock runs from the first surplus tick, not from the last one. */
START_TEST(test_surplus_clock_across_ticks)
{
	struct pool_limits l = D(2, 5, 20);
	struct pool_view v = { 0, 0, 0, 0, 32, 0, 0 };

	step(&l, &v, NOW, 7, 0, 0);
	ck_assert_int_eq(v.surplus_since_ms, NOW);
	step(&l, &v, NOW + 300, 8, 0, 0);
	step(&l, &v, NOW + 600, 6, 0, 0);
	ck_assert_int_eq(v.surplus_since_ms, NOW);
	step(&l, &v, NOW + GRACE, 8, 0, 3);
	ck_assert_int_eq(v.surplus_since_ms, 0);

	/* A dip to max_spare restarts the grace period. */
	step(&l, &v, NOW + 2000, 6, 0, 0);
	step(&l, &v, NOW + 2500, 5, 0, 0);
	ck_assert_int_eq(v.surplus_since_ms, 0);
	step(&l, &v, NOW + 2600, 6, 0, 0);
	ck_assert_int_eq(v.surplus_since_ms, NOW + 2600);
	step(&l, &v, NOW + 3000, 6, 0, 0);
	step(&l, &v, NOW + 3599, 6, 0, 0);
	step(&l, &v, NOW + 3600, 6, 0, 1);

	/* So does a queued connection. */
	step(&l, &v, NOW + 4000, 7, 0, 0);
	step(&l, &v, NOW + 4500, 7, 1, 0);
	ck_assert_int_eq(v.surplus_since_ms, 0);
	step(&l, &v, NOW + 5000, 7, 0, 0);
	ck_assert_int_eq(v.surplus_since_ms, NOW + 5000);
	step(&l, &v, NOW + 5999, 7, 0, 0);
	step(&l, &v, NOW + 6000, 7, 0, 2);
}
END_TEST

START_TEST(test_surplus_grace_zero)
{
	struct pool_limits l = D(2, 5, 20);
	struct pool_view v = { 0, 0, 0, 0, 32, 0, 0 };

	l.idle_grace_ms = 0;
	step(&l, &v, NOW, 7, 0, 0);
	step(&l, &v, NOW, 7, 0, 2);
}
END_TEST

/*
 * What must hold for every view, whatever the table says. Called for tens
 * of thousands of views, so Check (whose every assertion writes to a
 * pipe) only hears of a failure, with the view that broke the rule.
 */
static void
check_invariants(const struct pool_limits *l, const struct pool_view *v)
{
	struct pool_decision d = pool_decide(l, v);
	int live = v->starting + v->idle + v->busy;
	int cap = l->mode == CONF_POOL_STATIC && l->target < l->max ?
	    l->target : l->max;
	const char *broken = NULL;

	if (d.spawn < 0 || d.retire < 0)
		broken = "negative count";
	else if (d.spawn > v->spawn_budget)
		broken = "spawn over budget";
	else if (d.retire > v->idle)
		broken = "retires more than the idle";
	else if (d.spawn > 0 && d.retire > 0)
		broken = "spawns and retires at once";
	else if (d.spawn > 0 && live + d.spawn > cap)
		broken = "spawns past max (or the static target)";
	else if (l->mode == CONF_POOL_DYNAMIC && d.retire > 0 &&
	    v->queued > 0)
		broken = "retires with connections queued";
	else if (l->mode == CONF_POOL_DYNAMIC && d.retire > 0 &&
	    v->idle - d.retire != l->max_spare)
		broken = "retires other than down to max_spare";
	if (broken != NULL)
		ck_abort_msg("%s: mode %d target %d spare %d..%d max %d; "
		    "starting %d idle %d busy %d queued %d budget %d "
		    "since %lld -> spawn %d retire %d", broken, (int)l->mode,
		    l->target, l->min_spare, l->max_spare, l->max,
		    v->starting, v->idle, v->busy, v->queued, v->spawn_budget,
		    (long long)v->surplus_since_ms, d.spawn, d.retire);
}

static void
sweep(const struct pool_limits *l)
{
	static const int64_t since[] = { 0, NOW - GRACE, NOW - GRACE + 1 };
	struct pool_view v;
	size_t k;

	v.now_ms = NOW;
	for (v.starting = 0; v.starting <= 3; v.starting++)
	for (v.idle = 0; v.idle <= 12; v.idle++)
	for (v.busy = 0; v.busy <= 12; v.busy++)
	for (v.queued = 0; v.queued <= 3; v.queued++)
	for (v.spawn_budget = 0; v.spawn_budget <= 4; v.spawn_budget++)
	for (k = 0; k < sizeof(since) / sizeof(since[0]); k++) {
		v.surplus_since_ms = since[k];
		check_invariants(l, &v);
	}
}

START_TEST(test_invariants_static)
{
	struct pool_limits l = S(6, 10);

	sweep(&l);
	l.target = 20;
	sweep(&l);
}
END_TEST

START_TEST(test_invariants_dynamic)
{
	struct pool_limits l = D(2, 5, 10);

	sweep(&l);
	l.min_spare = 0;
	l.max_spare = 1;
	sweep(&l);
}
END_TEST

START_TEST(test_adjust_static)
{
	struct pool_limits l = S(4, 8);
	int i;

	ck_assert_int_eq(pool_adjust(&l, 1), 0);
	ck_assert_int_eq(l.target, 5);
	ck_assert_int_eq(pool_adjust(&l, -1), 0);
	ck_assert_int_eq(l.target, 4);
	/* Spare bounds belong to dynamic mode. */
	ck_assert_int_eq(l.min_spare, 2);
	ck_assert_int_eq(l.max_spare, 5);

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pool_adjust(&l, 1), 0);
	ck_assert_int_eq(l.target, 8);
	ck_assert_int_eq(pool_adjust(&l, 1), -1);
	ck_assert_int_eq(l.target, 8);

	for (i = 0; i < 7; i++)
		ck_assert_int_eq(pool_adjust(&l, -1), 0);
	ck_assert_int_eq(l.target, 1);
	ck_assert_int_eq(pool_adjust(&l, -1), -1);
	ck_assert_int_eq(l.target, 1);
	ck_assert_int_eq(pool_adjust(&l, 1), 0);
	ck_assert_int_eq(l.target, 2);
}
END_TEST

START_TEST(test_adjust_static_max_one)
{
	struct pool_limits l = S(1, 1);

	ck_assert_int_eq(pool_adjust(&l, 1), -1);
	ck_assert_int_eq(pool_adjust(&l, -1), -1);
	ck_assert_int_eq(l.target, 1);
}
END_TEST

START_TEST(test_adjust_dynamic)
{
	struct pool_limits l = D(2, 5, 10);

	ck_assert_int_eq(pool_adjust(&l, 1), 0);
	ck_assert_int_eq(l.min_spare, 3);
	ck_assert_int_eq(l.max_spare, 6);
	ck_assert_int_eq(pool_adjust(&l, -1), 0);
	ck_assert_int_eq(l.min_spare, 2);
	ck_assert_int_eq(l.max_spare, 5);
	/* The static target is left alone. */
	ck_assert_int_eq(l.target, 4);
	ck_assert_int_eq(l.max, 10);

	/* Up to max_spare == max, then refused. */
	while (l.max_spare < l.max)
		ck_assert_int_eq(pool_adjust(&l, 1), 0);
	ck_assert_int_eq(l.min_spare, 7);
	ck_assert_int_eq(pool_adjust(&l, 1), -1);
	ck_assert_int_eq(l.min_spare, 7);
	ck_assert_int_eq(l.max_spare, 10);

	/* Down to min_spare == 0, then refused. */
	while (l.min_spare > 0)
		ck_assert_int_eq(pool_adjust(&l, -1), 0);
	ck_assert_int_eq(l.max_spare, 3);
	ck_assert_int_eq(pool_adjust(&l, -1), -1);
	ck_assert_int_eq(l.min_spare, 0);
	ck_assert_int_eq(l.max_spare, 3);
	ck_assert_int_eq(pool_adjust(&l, 1), 0);
	ck_assert_int_eq(l.min_spare, 1);
	ck_assert_int_eq(l.max_spare, 4);
}
END_TEST

START_TEST(test_adjust_dynamic_narrowest)
{
	struct pool_limits l = D(0, 1, 1);

	ck_assert_int_eq(pool_adjust(&l, 1), -1);
	ck_assert_int_eq(pool_adjust(&l, -1), -1);
	ck_assert_int_eq(l.min_spare, 0);
	ck_assert_int_eq(l.max_spare, 1);
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc;

	tc = tcase_create("decide");
	tcase_add_loop_test(tc, test_decide_table, 0, (int)NCASES);
	tcase_add_test(tc, test_surplus_clock_across_ticks);
	tcase_add_test(tc, test_surplus_grace_zero);
	tcase_add_test(tc, test_invariants_static);
	tcase_add_test(tc, test_invariants_dynamic);
	suite_add_tcase(s, tc);

	tc = tcase_create("adjust");
	tcase_add_test(tc, test_adjust_static);
	tcase_add_test(tc, test_adjust_static_max_one);
	tcase_add_test(tc, test_adjust_dynamic);
	tcase_add_test(tc, test_adjust_dynamic_narrowest);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
