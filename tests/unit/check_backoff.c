/*
 * Unit tests for server/backoff.c: restart delays with their jitter, the
 * crash-loop detector and its summaries, and the fatal deadline.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "server/backoff.h"
#include "tests/support/rng.h"

#define T0	1000000		/* ms; any time well after the start */
#define W	CRASHLOOP_WINDOW_MS
#define N	CRASHLOOP_DEATHS

static uint32_t	 rng(uint32_t *state);
static void	 assert_jitter(int64_t got, int64_t delay);
static void	 assert_delays(int64_t initial, int64_t max,
		    const int64_t *want, size_t n);
static void	 enter_loop(struct crashloop *c, int64_t start, int *logged);
static Suite	*backoff_suite(void);

/*
 * The header promises [delay/2, delay]; the halves are exact ones. Called
 * in tight loops, so Check (whose every assertion writes to a pipe) only
 * hears of a failure.
 */
static void
assert_jitter(int64_t got, int64_t delay)
{
	if (2 * got < delay || got > delay)
		ck_abort_msg("delay %lld jittered to %lld, outside "
		    "[%lld/2, %lld]", (long long)delay, (long long)got,
		    (long long)delay, (long long)delay);
}

/*
 * Early deaths in a row from a fresh slot give want[0], want[1] ... as the
 * slot's delay, each returned within its jitter range.
 */
static void
assert_delays(int64_t initial, int64_t max, const int64_t *want, size_t n)
{
	struct backoff b = { 0 };
	uint32_t seed = 12345;
	size_t i;
	int64_t got;

	for (i = 0; i < n; i++) {
		got = backoff_next(&b, true, initial, max, rng(&seed));
		ck_assert_msg(b.delay_ms == want[i], "initial %lld max %lld: "
		    "death %zu: delay %lld, want %lld", (long long)initial,
		    (long long)max, i + 1, (long long)b.delay_ms,
		    (long long)want[i]);
		assert_jitter(got, want[i]);
	}
}

START_TEST(test_stable_returns_zero)
{
	struct backoff b = { 0 };

	ck_assert_int_eq(backoff_next(&b, false, 100, 30000, 0), 0);
	ck_assert_int_eq(b.delay_ms, 0);
	ck_assert_int_eq(backoff_next(&b, false, 100, 30000, UINT32_MAX), 0);
	ck_assert_int_eq(b.delay_ms, 0);

	/* A stable run resets a slot that was backing off. */
	b.delay_ms = 12800;
	ck_assert_int_eq(backoff_next(&b, false, 100, 30000, 77), 0);
	ck_assert_int_eq(b.delay_ms, 0);
}
END_TEST

START_TEST(test_doubling_to_max)
{
	static const int64_t defaults[] = {
		100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600,
		30000, 30000, 30000,
	};
	static const int64_t exact[] = { 100, 200, 400, 800, 800, 800 };
	static const int64_t just_over[] = { 100, 200, 400, 800, 802, 802 };
	static const int64_t flat[] = { 500, 500, 500 };
	static const int64_t ones[] = { 1, 2, 4, 8, 16, 18, 18 };

	assert_delays(100, 30000, defaults,
	    sizeof(defaults) / sizeof(defaults[0]));
	assert_delays(100, 800, exact, sizeof(exact) / sizeof(exact[0]));
	assert_delays(100, 802, just_over,
	    sizeof(just_over) / sizeof(just_over[0]));
	assert_delays(500, 500, flat, sizeof(flat) / sizeof(flat[0]));
	assert_delays(1, 18, ones, sizeof(ones) / sizeof(ones[0]));
}
END_TEST

/*
 * Doubling is 2x, 4x ... until that would pass max: 75, 150, 300 (which
 * is below 301), then 301.
 */
START_TEST(test_doubling_odd_max)
{
	static const int64_t want[] = { 75, 150, 300, 301, 301 };

	assert_delays(75, 301, want, sizeof(want) / sizeof(want[0]));
}
END_TEST

START_TEST(test_restart_after_stable)
{
	struct backoff b = { 0 };
	int i;

	for (i = 0; i < 20; i++)
		backoff_next(&b, true, 100, 30000, (uint32_t)i);
	ck_assert_int_eq(b.delay_ms, 30000);
	ck_assert_int_eq(backoff_next(&b, false, 100, 30000, 5), 0);
	backoff_next(&b, true, 100, 30000, 5);
	ck_assert_int_eq(b.delay_ms, 100);
	backoff_next(&b, true, 100, 30000, 5);
	ck_assert_int_eq(b.delay_ms, 200);
}
END_TEST

START_TEST(test_jitter_range)
{
	static const int64_t delays[] = {
		1, 2, 3, 10, 99, 100, 101, 12800, 30001, 3600000,
	};
	static const uint32_t fixed[] = {
		0, 1, 2, 49, 50, 51, 0x7fffffff, 0x80000000, UINT32_MAX - 1,
		UINT32_MAX,
	};
	struct backoff b;
	uint32_t r, seed = 1;
	size_t i, j;
	int64_t d, got, lo, hi;

	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		d = delays[i];
		lo = d;
		hi = 0;
		for (j = 0; j < sizeof(fixed) / sizeof(fixed[0]); j++) {
			b.delay_ms = 0;
			got = backoff_next(&b, true, d, d, fixed[j]);
			assert_jitter(got, d);
		}
		/* A sweep of rnd covers the whole range, ends included. */
		for (r = 0; r < 20000; r++) {
			b.delay_ms = 0;
			got = backoff_next(&b, true, d, d, r);
			assert_jitter(got, d);
			lo = got < lo ? got : lo;
			hi = got > hi ? got : hi;
		}
		for (j = 0; j < 10000; j++) {
			b.delay_ms = 0;
			assert_jitter(backoff_next(&b, true, d, d,
			    rng(&seed)), d);
		}
		if (d / 2 < 20000) {
			ck_assert_int_eq(hi, d);
			ck_assert_int_le(2 * lo, d + 1);
		}
	}
}
END_TEST

/* Slots that died together get different delays. */
START_TEST(test_jitter_spreads)
{
	struct backoff b[8];
	uint32_t seed = 99;
	int64_t got[8];
	int i, j, same = 0;

	for (i = 0; i < 8; i++) {
		b[i].delay_ms = 1600;
		got[i] = backoff_next(&b[i], true, 100, 30000, rng(&seed));
		assert_jitter(got[i], 3200);
	}
	for (i = 0; i < 8; i++)
		for (j = i + 1; j < 8; j++)
			same += got[i] == got[j];
	ck_assert_int_le(same, 1);
}
END_TEST

/* N early deaths one second apart from start; counts the logged ones. */
static void
enter_loop(struct crashloop *c, int64_t start, int *logged)
{
	int i;

	for (i = 0; i < N; i++)
		*logged += crashloop_note(c, start + i * 1000);
	ck_assert(c->looping);
}

START_TEST(test_crashloop_below_threshold)
{
	struct crashloop c = { 0 };
	int i;

	for (i = 0; i < N - 1; i++) {
		ck_assert(crashloop_note(&c, T0 + i * 2000));
		ck_assert_int_eq(crashloop_summary(&c, T0 + i * 2000), 0);
	}
	ck_assert(!c.looping);
	ck_assert_int_eq(crashloop_summary(&c, T0 + W), 0);
	ck_assert_int_eq(crashloop_summary(&c, T0 + 5 * W), 0);
}
END_TEST

START_TEST(test_crashloop_nth_death)
{
	struct crashloop c = { 0 };
	int i;

	for (i = 0; i < N - 1; i++)
		ck_assert(crashloop_note(&c, T0 + i * 100));
	ck_assert(!c.looping);
	ck_assert(!crashloop_note(&c, T0 + W - 1));
	ck_assert(c.looping);
	ck_assert(!crashloop_note(&c, T0 + W - 1));
	ck_assert(!crashloop_note(&c, T0 + W - 1));
	/* The Nth and the two after it: none was logged. */
	ck_assert_int_eq(crashloop_summary(&c, T0 + W - 1), 0);
	ck_assert_int_eq(crashloop_summary(&c, T0 + W), 3);
}
END_TEST

START_TEST(test_crashloop_spread_out)
{
	struct crashloop c = { 0 };
	int i;

	/* N - 1 per window, forever. */
	for (i = 0; i < 200; i++)
		ck_assert(crashloop_note(&c, T0 + i * (W / (N - 1))));
	ck_assert(!c.looping);

	/* Bursts of N - 1, further apart than a window. */
	for (i = 0; i < 50 * N; i++)
		ck_assert(crashloop_note(&c, 10 * T0 + (i / (N - 1)) *
		    (W + 1) + i % (N - 1)));
	ck_assert(!c.looping);
}
END_TEST

START_TEST(test_crashloop_summary_once_per_window)
{
	struct crashloop c = { 0 };
	int64_t t, end;
	int logged = 0, deaths = 0;

	enter_loop(&c, T0, &logged);
	ck_assert_int_eq(logged, N - 1);
	for (t = T0 + (N - 1) * 1000; t < T0 + W; t += 100)
		ck_assert_int_eq(crashloop_summary(&c, t), 0);
	ck_assert_int_eq(crashloop_summary(&c, T0 + W), 1);
	ck_assert_int_eq(crashloop_summary(&c, T0 + W), 0);

	/* Deaths all through the next window, summed once at its end. */
	end = T0 + 2 * W;
	for (t = T0 + W + 1; t < end; t += 100) {
		if ((t - T0) % 1300 == 1) {
			ck_assert(!crashloop_note(&c, t));
			deaths++;
		}
		ck_assert_int_eq(crashloop_summary(&c, t), 0);
	}
	ck_assert_int_eq(deaths, 8);
	ck_assert_int_eq(crashloop_summary(&c, end + 50), deaths);
	ck_assert(c.looping);
	ck_assert_int_eq(crashloop_summary(&c, end + 50), 0);
	ck_assert_int_eq(crashloop_summary(&c, end + 51), 0);
}
END_TEST

START_TEST(test_crashloop_quiet_window_ends_loop)
{
	struct crashloop c = { 0 };
	int logged = 0, i;

	enter_loop(&c, T0, &logged);
	ck_assert_int_eq(crashloop_summary(&c, T0 + W), 1);

	/* A death just before the window ends keeps the loop going. */
	ck_assert(!crashloop_note(&c, T0 + 2 * W - 1));
	ck_assert_int_eq(crashloop_summary(&c, T0 + 2 * W), 1);
	ck_assert(c.looping);

	/* A quiet window: nothing to say, and the loop is over. */
	ck_assert_int_eq(crashloop_summary(&c, T0 + 3 * W - 1), 0);
	ck_assert(c.looping);
	ck_assert_int_eq(crashloop_summary(&c, T0 + 3 * W), 0);
	ck_assert(!c.looping);
	ck_assert_int_eq(crashloop_summary(&c, T0 + 5 * W), 0);

	/* Deaths are logged again, until the next N in a window. */
	for (i = 0; i < N - 1; i++)
		ck_assert(crashloop_note(&c, T0 + 3 * W + 1 + i));
	ck_assert(!crashloop_note(&c, T0 + 3 * W + 1 + N));
	ck_assert(c.looping);
}
END_TEST

/* Every early death is either logged or counted in exactly one summary. */
START_TEST(test_crashloop_nothing_lost)
{
	struct crashloop c = { 0 };
	uint32_t seed = 7;
	int64_t t = T0, end;
	int deaths = 0, logged = 0, summed = 0, summaries = 0, n;

	for (end = T0 + 100 * W; t < end; t += 250) {
		/* Bursty: some windows loop, some are quiet. */
		if (((t - T0) / (3 * W)) % 2 == 0 ? rng(&seed) % 3 == 0 :
		    rng(&seed) % 50 == 0) {
			deaths++;
			logged += crashloop_note(&c, t);
		}
		if ((n = crashloop_summary(&c, t)) > 0) {
			summed += n;
			summaries++;
		}
	}
	for (; c.looping; t += 1000)
		summed += crashloop_summary(&c, t);
	ck_assert_int_gt(summaries, 0);
	ck_assert_int_gt(logged, 0);
	ck_assert_int_eq(logged + summed, deaths);
}
END_TEST

/*
 * While looping, a death that comes after the window has ended but before
 * the master's next summary tick must not push that window's summary
 * back. Here one death lands at each window's end, just before the
 * summary tick of that millisecond; summaries are asked for every 100 ms.
 * The loop goes on (no window is quiet), so each window must still get
 * its summary line.
 */
START_TEST(test_crashloop_summary_not_starved)
{
	struct crashloop c = { 0 };
	int64_t t;
	int logged = 0, summaries = 0, summed = 0, k, n;

	enter_loop(&c, T0, &logged);
	for (k = 1; k <= 6; k++) {
		ck_assert(!crashloop_note(&c, T0 + k * W));
		for (t = T0 + k * W; t < T0 + (k + 1) * W; t += 100) {
			if ((n = crashloop_summary(&c, t)) > 0) {
				summed += n;
				summaries++;
			}
		}
	}
	ck_assert(c.looping);
	ck_assert_msg(summaries >= 5, "6 windows while looping, deaths in "
	    "each, but only %d summaries (%d deaths reported)", summaries,
	    summed);
}
END_TEST

START_TEST(test_fatal)
{
	/* 0: never give up. */
	ck_assert(!crashloop_fatal(T0, T0, 0));
	ck_assert(!crashloop_fatal(T0, T0 + 1000000000, 0));
	ck_assert(!crashloop_fatal(0, INT64_MAX, 0));

	ck_assert(!crashloop_fatal(T0, T0, 60000));
	ck_assert(!crashloop_fatal(T0, T0 + 59999, 60000));
	ck_assert(crashloop_fatal(T0, T0 + 60000, 60000));
	ck_assert(crashloop_fatal(T0, T0 + 60001, 60000));
	ck_assert(crashloop_fatal(T0, T0 + 10 * 60000, 60000));
	/* Serving again resets the deadline. */
	ck_assert(!crashloop_fatal(T0 + 60000, T0 + 60000, 60000));

	ck_assert(!crashloop_fatal(T0, T0, 1));
	ck_assert(crashloop_fatal(T0, T0 + 1, 1));
}
END_TEST

static Suite *
backoff_suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc;

	tc = tcase_create("backoff");
	tcase_add_test(tc, test_stable_returns_zero);
	tcase_add_test(tc, test_doubling_to_max);
	tcase_add_test(tc, test_doubling_odd_max);
	tcase_add_test(tc, test_restart_after_stable);
	tcase_add_test(tc, test_jitter_range);
	tcase_add_test(tc, test_jitter_spreads);
	suite_add_tcase(s, tc);

	tc = tcase_create("crashloop");
	tcase_add_test(tc, test_crashloop_below_threshold);
	tcase_add_test(tc, test_crashloop_nth_death);
	tcase_add_test(tc, test_crashloop_spread_out);
	tcase_add_test(tc, test_crashloop_summary_once_per_window);
	tcase_add_test(tc, test_crashloop_quiet_window_ends_loop);
	tcase_add_test(tc, test_crashloop_nothing_lost);
	tcase_add_test(tc, test_crashloop_summary_not_starved);
	tcase_add_test(tc, test_fatal);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(backoff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
