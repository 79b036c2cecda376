/*
 * Unit tests for bench/faults.c: forkline-bench --expect-faults. The
 * probability values (as forkline's configuration reads them), the SPEC
 * and its every refusal, the expected rates in the server's draw order,
 * the Wilson interval against published figures, and the comparison of
 * what a run saw with what was expected.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/faults.h"

#define ERR_LEN		512
#define NELEM(a)	((int)(sizeof(a) / sizeof((a)[0])))
/* z of a two-sided 95 % interval, for the published tables. */
#define Z95		1.959963984540054

static char	 err[ERR_LEN];

static Suite	*faults_suite(void);

static const struct {
	const char	*text;
	uint32_t	 ppm;
} probabilities[] = {
	{ "5%", 50000 },
	{ "0.25%", 2500 },
	{ "0.05", 50000 },
	{ "1", 1000000 },
	{ "100%", 1000000 },
	{ "1.0", 1000000 },
	{ "0", 0 },
	{ "0%", 0 },
	{ "0.0", 0 },
	{ "0.0001%", 1 },
	{ "0.000001", 1 },
	{ "1.50%", 15000 },
	{ "007%", 70000 },
	/* Trailing zeros of the fraction do not count. */
	{ "0.00010000%", 1 },
	{ "0.0500000000000", 50000 },
	{ "100.000%", 1000000 },
	{ "99.9999%", 999999 },
};

START_TEST(test_probabilities)
{
	uint32_t	 ppm = 12345;

	ck_assert_msg(bench_parse_probability(probabilities[_i].text, "--x",
	    &ppm, err, sizeof(err)) == 0, "'%s': %s",
	    probabilities[_i].text, err);
	ck_assert_msg(ppm == probabilities[_i].ppm, "'%s' gave %u, expected "
	    "%u", probabilities[_i].text, ppm, probabilities[_i].ppm);
}
END_TEST

static const char *const bad_probabilities[] = {
	"", "%", "5 %", " 5%", "5% ", "-1%", "+1%", ".5", "5.", "5.%",
	"1e-2", "0x1", "abc", "5%%", "0.5.5", "1/2",
	/* Finer than a millionth. */
	"0.00001%", "0.0000001", "0.12345%1",
};

START_TEST(test_bad_probabilities)
{
	char		 want[ERR_LEN];
	uint32_t	 ppm = 7;

	snprintf(want, sizeof(want), "--x: '%s' is not a probability "
	    "(examples: 5%%, 0.25%%, 0.05; to a millionth)",
	    bad_probabilities[_i]);
	ck_assert_int_eq(bench_parse_probability(bad_probabilities[_i],
	    "--x", &ppm, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(ppm, 7);
}
END_TEST

static const char *const big_probabilities[] = {
	"101%", "1.000001", "2", "100.0001%", "1000001",
	"99999999999999999999999%", "100.5",
};

START_TEST(test_big_probabilities)
{
	char		 want[ERR_LEN];
	uint32_t	 ppm;

	snprintf(want, sizeof(want), "--x: '%s' is out of range (0 to 100%%)",
	    big_probabilities[_i]);
	ck_assert_int_eq(bench_parse_probability(big_probabilities[_i],
	    "--x", &ppm, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
}
END_TEST

/* A SPEC and the millionths of each kind; -1: not given. */
static const struct {
	const char	*text;
	int32_t		 ppm[BENCH_FAULT_KINDS];	/* crash reset stall close error */
} specs[] = {
	{ "reset=1%,error=2%", { -1, 10000, -1, -1, 20000 } },
	{ "error=2%,reset=1%", { -1, 10000, -1, -1, 20000 } },
	{ "crash=0.5%", { 5000, -1, -1, -1, -1 } },
	{ "stall=0", { -1, -1, 0, -1, -1 } },
	{ "close=0.05", { -1, -1, -1, 50000, -1 } },
	{ "crash=2%,reset=1%,stall=0.1%,close=1,error=0.0001%",
	    { 20000, 10000, 1000, 1000000, 1 } },
};

START_TEST(test_specs)
{
	struct bench_faults	 f;
	int			 k;

	ck_assert_msg(bench_parse_faults(specs[_i].text, &f, err,
	    sizeof(err)) == 0, "'%s': %s", specs[_i].text, err);
	ck_assert(f.any);
	for (k = 0; k < BENCH_FAULT_KINDS; k++) {
		ck_assert_msg(f.given[k] == (specs[_i].ppm[k] >= 0),
		    "'%s': %s given?", specs[_i].text,
		    bench_fault_name((enum bench_fault)k));
		ck_assert_uint_eq(f.ppm[k], specs[_i].ppm[k] >= 0 ?
		    (uint32_t)specs[_i].ppm[k] : 0);
	}
}
END_TEST

#define NOT_PAIR(x) "--expect-faults: '" x "' is not KIND=PROBABILITY " \
	"(kinds: crash reset stall close error; example: " \
	"reset=1%,error=0.5%)"

static const struct {
	const char	*text;
	const char	*want;
} bad_specs[] = {
	{ "", NOT_PAIR("") },
	{ "reset", NOT_PAIR("reset") },
	{ "=1%", NOT_PAIR("=1%") },
	{ "reset=1%,", NOT_PAIR("") },
	{ ",reset=1%", NOT_PAIR("") },
	{ "reset=1%,,error=1%", NOT_PAIR("") },
	{ "reset=1%;error=1%", "--expect-faults reset: '1%;error=1%' is not "
	    "a probability (examples: 5%, 0.25%, 0.05; to a millionth)" },
	{ "speed=1", "--expect-faults: unknown kind 'speed' (kinds: crash "
	    "reset stall close error)" },
	{ "Reset=1%", "--expect-faults: unknown kind 'Reset' (kinds: crash "
	    "reset stall close error)" },
	{ "reset =1%", "--expect-faults: unknown kind 'reset ' (kinds: "
	    "crash reset stall close error)" },
	{ "latency=10ms", "--expect-faults: unknown kind 'latency' (kinds: "
	    "crash reset stall close error)" },
	{ "reset=1%,reset=2%", "--expect-faults: reset is given twice" },
	{ "reset=", "--expect-faults reset: '' is not a probability "
	    "(examples: 5%, 0.25%, 0.05; to a millionth)" },
	{ "error=abc", "--expect-faults error: 'abc' is not a probability "
	    "(examples: 5%, 0.25%, 0.05; to a millionth)" },
	{ "stall=0.00001%", "--expect-faults stall: '0.00001%' is not a "
	    "probability (examples: 5%, 0.25%, 0.05; to a millionth)" },
	{ "reset=1%,crash=120%", "--expect-faults crash: '120%' is out of "
	    "range (0 to 100%)" },
	{ "close=1.5", "--expect-faults close: '1.5' is out of range (0 to "
	    "100%)" },
};

START_TEST(test_bad_specs)
{
	struct bench_faults	 f;

	ck_assert_msg(bench_parse_faults(bad_specs[_i].text, &f, err,
	    sizeof(err)) == -1, "'%s' was accepted", bad_specs[_i].text);
	ck_assert_str_eq(err, bad_specs[_i].want);
}
END_TEST

/* Expected rates, crash reset stall close error, for a SPEC. */
static const struct {
	const char	*text;
	double		 rate[BENCH_FAULT_KINDS];
} expectations[] = {
	/* FAULTS.md: 10 % reset, then 9 % get the error reply. */
	{ "reset=10%,error=10%", { 0, 0.1, 0, 0, 0.09 } },
	{ "reset=1%,error=2%", { 0, 0.01, 0, 0, 0.0198 } },
	/* The order of the SPEC is not the order of the draw. */
	{ "error=100%,reset=50%", { 0, 0.5, 0, 0, 0.5 } },
	{ "close=100%,error=100%", { 0, 0, 0, 1, 0 } },
	{ "crash=100%,reset=100%", { 1, 0, 0, 0, 0 } },
	{ "stall=0", { 0, 0, 0, 0, 0 } },
	{ "crash=2%,reset=1%,stall=1%,close=1%,error=1%",
	    { 0.02, 0.0098, 0.009702, 0.00960498, 0.0095089302 } },
	{ "crash=0.0001%,error=0.0001%", { 1e-6, 0, 0, 0, 9.99999e-7 } },
};

START_TEST(test_expected)
{
	struct bench_faults	 f;
	double			 got;
	int			 k;

	ck_assert_int_eq(bench_parse_faults(expectations[_i].text, &f, err,
	    sizeof(err)), 0);
	for (k = 0; k < BENCH_FAULT_KINDS; k++) {
		got = bench_fault_expected(&f, (enum bench_fault)k);
		ck_assert_msg(fabs(got - expectations[_i].rate[k]) < 1e-12,
		    "'%s': %s expected %.12g, got %.12g",
		    expectations[_i].text,
		    bench_fault_name((enum bench_fault)k),
		    expectations[_i].rate[k], got);
	}
}
END_TEST

/*
 * Wilson intervals. The 95 % rows are Newcombe (1998), "Two-sided
 * confidence intervals for the single proportion", Statistics in
 * Medicine 17, table II, method 3, to four places; the 99.9 % rows are
 * the closed form, and its exact ends.
 */
static const struct {
	uint64_t	 seen, n;
	double		 z, low, high, tolerance;
} intervals[] = {
	{ 81, 263, Z95, 0.2553, 0.3662, 5e-5 },
	{ 15, 148, Z95, 0.0624, 0.1605, 5e-5 },
	{ 0, 20, Z95, 0, 0.1611, 5e-5 },
	{ 1, 29, Z95, 0.0061, 0.1718, 5e-5 },
	{ 29, 29, Z95, 0.8830, 1, 5e-5 },
	{ 201, 20000, BENCH_FAULT_Z, 0.00797982372566534,
	    0.012650385834911206, 1e-12 },
	{ 392, 20000, BENCH_FAULT_Z, 0.016624975671167833,
	    0.023094899158714755, 1e-12 },
	{ 50, 100, BENCH_FAULT_Z, 0.3437170754747584, 0.6562829245252416,
	    1e-12 },
	/* z^2 / (n + z^2) and n / (n + z^2). */
	{ 0, 100, BENCH_FAULT_Z, 0, 0.0976974099926495, 1e-12 },
	{ 100, 100, BENCH_FAULT_Z, 0.9023025900073504, 1, 1e-12 },
	{ 1, 1000000, BENCH_FAULT_Z, 7.843673338910757e-08,
	    1.2748990547455937e-05, 1e-15 },
	/* Nothing to go by. */
	{ 0, 0, BENCH_FAULT_Z, 0, 1, 0 },
};

START_TEST(test_wilson)
{
	double	 low = -1, high = -1;

	bench_wilson(intervals[_i].seen, intervals[_i].n, intervals[_i].z,
	    &low, &high);
	ck_assert_msg(fabs(low - intervals[_i].low) <=
	    intervals[_i].tolerance && fabs(high - intervals[_i].high) <=
	    intervals[_i].tolerance, "%llu of %llu: %.12g..%.12g, expected "
	    "%.12g..%.12g", (unsigned long long)intervals[_i].seen,
	    (unsigned long long)intervals[_i].n, low, high,
	    intervals[_i].low, intervals[_i].high);
}
END_TEST

/* The interval widens as the confidence grows; the ends are in 0..1. */
START_TEST(test_wilson_bounds)
{
	static const uint64_t	 ns[] = { 1, 2, 10, 1000, 123457 };
	double			 l95, h95, l999, h999, ph;
	uint64_t		 k, step;
	size_t			 i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		step = ns[i] / 7 + 1;
		for (k = 0; k <= ns[i] + step - 1; k += step) {
			if (k > ns[i])
				k = ns[i];	/* the last one, n of n */
			ph = (double)k / (double)ns[i];
			bench_wilson(k, ns[i], Z95, &l95, &h95);
			bench_wilson(k, ns[i], BENCH_FAULT_Z, &l999, &h999);
			ck_assert(l999 >= 0 && h999 <= 1);
			ck_assert(l999 <= l95 && h999 >= h95);
			ck_assert(l95 <= ph && h95 >= ph);
		}
	}
}
END_TEST

/*
 * The comparison: a SPEC and what was seen, then each line's label,
 * expected rate, count and verdict.
 */
struct want_check {
	const char	*label;
	double		 expected;
	uint64_t	 seen;
	bool		 ok;
};

static const struct {
	const char		*text;
	struct bench_fault_seen	 seen;
	size_t			 n;
	struct want_check	 checks[BENCH_FAULT_KINDS];
} comparisons[] = {
	/* attempted, resets, shorts, timeouts, injected */
	{ "reset=1%,error=2%", { 20000, 201, 0, 0, 392 }, 2, {
	    { "reset", 0.01, 201, true },
	    { "error", 0.0198, 392, true } } },
	/* Far too few errors; resets outside above. */
	{ "reset=1%,error=2%", { 20000, 260, 3, 0, 300 }, 2, {
	    { "reset", 0.01, 260, false },
	    { "error", 0.0198, 300, false } } },
	/* A crash alone is seen as resets and short replies. */
	{ "crash=2%", { 10000, 30, 170, 0, 0 }, 1, {
	    { "crash", 0.02, 200, true } } },
	/* With reset or close it is one line, the rates added. */
	{ "reset=1%,crash=1%", { 10000, 190, 10, 0, 0 }, 1, {
	    { "crash+reset", 0.0199, 200, true } } },
	{ "close=1%,crash=1%,stall=0.5%", { 10000, 100, 100, 48, 0 }, 2, {
	    { "crash+close", 0.01 + 0.99 * 0.995 * 0.01, 200, true },
	    { "stall", 0.99 * 0.005, 48, true } } },
	{ "error=1%,close=1%,reset=1%,crash=1%",
	    { 100000, 2000, 1000, 0, 941 }, 2, {
	    { "crash+reset+close", 0.01 + 0.0099 + 0.99 * 0.99 * 0.01, 3000,
	    true },
	    { "error", 0.99 * 0.99 * 0.99 * 0.01, 941, true } } },
	/* Without crash, close is short replies and reset is resets. */
	{ "close=5%,reset=5%", { 1000, 50, 10, 0, 0 }, 2, {
	    { "reset", 0.05, 50, true },
	    { "close", 0.0475, 10, false } } },
	/* 0 is exactly 0: one seen is too many, none is ok. */
	{ "reset=0,stall=0", { 5000, 1, 0, 0, 0 }, 2, {
	    { "reset", 0, 1, false },
	    { "stall", 0, 0, true } } },
	/* 100 %: every request. */
	{ "error=100%", { 777, 0, 0, 0, 777 }, 1, {
	    { "error", 1, 777, true } } },
	/* No requests: nothing to hold against the server. */
	{ "reset=50%", { 0, 0, 0, 0, 0 }, 1, {
	    { "reset", 0.5, 0, true } } },
};

START_TEST(test_compare)
{
	struct bench_fault_check	 got[BENCH_FAULT_KINDS];
	const struct want_check		*w;
	struct bench_faults		 f;
	size_t				 n, i;

	ck_assert_int_eq(bench_parse_faults(comparisons[_i].text, &f, err,
	    sizeof(err)), 0);
	n = bench_faults_compare(&f, &comparisons[_i].seen, got);
	ck_assert_uint_eq(n, comparisons[_i].n);
	for (i = 0; i < n; i++) {
		w = &comparisons[_i].checks[i];
		ck_assert_str_eq(got[i].label, w->label);
		ck_assert_msg(fabs(got[i].expected - w->expected) < 1e-12,
		    "'%s' %s: expected %.12g, got %.12g", comparisons[_i].text,
		    w->label, w->expected, got[i].expected);
		ck_assert_uint_eq(got[i].seen, w->seen);
		ck_assert_uint_eq(got[i].of, comparisons[_i].seen.attempted);
		ck_assert_msg(got[i].ok == w->ok, "'%s' %s: %llu of %llu in "
		    "%.6g..%.6g, expected %.6g: %s, want %s",
		    comparisons[_i].text, w->label,
		    (unsigned long long)got[i].seen,
		    (unsigned long long)got[i].of, got[i].low, got[i].high,
		    got[i].expected, got[i].ok ? "ok" : "outside",
		    w->ok ? "ok" : "outside");
	}
}
END_TEST

/*
 * Simulated runs: counts drawn at the expected rate are ok in about
 * 99.9 % of runs; at 1.5 times the rate, over 20000 requests, almost
 * never. A fixed generator, so the test is the same every time.
 */
static uint64_t	 rng_state = 0x9e3779b97f4a7c15ull;

static double
uniform01(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / 9007199254740992.0;
}

START_TEST(test_coverage)
{
	struct bench_faults		 f;
	struct bench_fault_check	 got[BENCH_FAULT_KINDS];
	struct bench_fault_seen		 seen = { .attempted = 20000 };
	unsigned			 run, outside = 0, caught = 0;
	uint64_t			 i;

	ck_assert_int_eq(bench_parse_faults("reset=1%", &f, err,
	    sizeof(err)), 0);
	for (run = 0; run < 400; run++) {
		seen.resets = 0;
		for (i = 0; i < seen.attempted; i++)
			seen.resets += uniform01() < 0.01;
		bench_faults_compare(&f, &seen, got);
		outside += !got[0].ok;
		seen.resets = 0;
		for (i = 0; i < seen.attempted; i++)
			seen.resets += uniform01() < 0.015;
		bench_faults_compare(&f, &seen, got);
		caught += !got[0].ok;
	}
	ck_assert_msg(outside <= 3, "%u of 400 fair runs outside", outside);
	ck_assert_msg(caught >= 390, "only %u of 400 runs at 1.5 %% caught",
	    caught);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(bench_fault_name(BENCH_FAULT_CRASH), "crash");
	ck_assert_str_eq(bench_fault_name(BENCH_FAULT_ERROR), "error");
	ck_assert_str_eq(bench_fault_name(BENCH_FAULT_KINDS), "?");
	ck_assert_uint_eq(BENCH_FAULT_TEXT_LEN, 18);
}
END_TEST

static Suite *
faults_suite(void)
{
	Suite	*s = suite_create("bench_faults");
	TCase	*tc;

	tc = tcase_create("spec");
	tcase_add_loop_test(tc, test_probabilities, 0, NELEM(probabilities));
	tcase_add_loop_test(tc, test_bad_probabilities, 0,
	    NELEM(bad_probabilities));
	tcase_add_loop_test(tc, test_big_probabilities, 0,
	    NELEM(big_probabilities));
	tcase_add_loop_test(tc, test_specs, 0, NELEM(specs));
	tcase_add_loop_test(tc, test_bad_specs, 0, NELEM(bad_specs));
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("math");
	tcase_add_loop_test(tc, test_expected, 0, NELEM(expectations));
	tcase_add_loop_test(tc, test_wilson, 0, NELEM(intervals));
	tcase_add_test(tc, test_wilson_bounds);
	tcase_add_loop_test(tc, test_compare, 0, NELEM(comparisons));
	tcase_add_test(tc, test_coverage);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(faults_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
