/*
 * Unit tests for fault injection's pure parts: [faults] values as the file
 * and the FAULT command read them (conf/faults.c, the probability type),
 * the rules between the keys, the generator and its draws (worker/fault.c)
 * against the table of docs/FAULTS.md, and the shared board.
 *
 * The statistical checks use fixed seeds, so they give the same numbers
 * every run: their bounds are the 99.9 % intervals (probabilities) and a
 * few per cent (medians and p99s of 200,000 draws), not timings.
 */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/board.h"
#include "conf/config.h"
#include "worker/fault.h"

#define DRAWS	200000

static int	 cmp_i64(const void *a, const void *b);
static Suite	*fault_suite(void);

/* Probabilities: the text, and millionths (-1: refused). */
static const struct {
	const char	*text;
	int		 ppm;
} probabilities[] = {
	{ "0", 0 }, { "1", 1000000 }, { "5%", 50000 }, { "0.25%", 2500 },
	{ "0.05", 50000 }, { "100%", 1000000 }, { "0.0001%", 1 },
	{ "0.000001", 1 }, { "1.0", 1000000 }, { "50.000%", 500000 },
	{ "007%", 70000 }, { "0.5000000000", 500000 }, { "0%", 0 },
	{ "100.0001%", -1 }, { "1.000001", -1 }, { "120%", -1 },
	{ "0.00001%", -1 }, { "0.0000001", -1 }, { "-1%", -1 }, { "5 %", -1 },
	{ ".5", -1 }, { "5.%", -1 }, { "%", -1 }, { "", -1 }, { "5%%", -1 },
	{ "0x10", -1 }, { "1e-2", -1 }, { "99999999999999999999%", -1 },
};

START_TEST(test_probability_parse)
{
	struct conf conf;
	char err[CONF_ERR_MAX];
	int rc;

	conf_defaults(&conf);
	rc = conf_set(&conf, "faults", "reset", probabilities[_i].text, err,
	    sizeof(err));
	if (probabilities[_i].ppm < 0) {
		ck_assert_msg(rc == -1, "'%s' was taken as %d",
		    probabilities[_i].text, conf.faults.reset_ppm);
		ck_assert_int_eq(conf.faults.reset_ppm, 0);
	} else {
		ck_assert_msg(rc == 0, "'%s': %s", probabilities[_i].text, err);
		ck_assert_int_eq(conf.faults.reset_ppm,
		    probabilities[_i].ppm);
	}
}
END_TEST

/* Written back the shortest way, and read again to the same value. */
START_TEST(test_probability_format)
{
	static const struct { int ppm; const char *text; } cases[] = {
		{ 0, "0" }, { 1, "0.0001%" }, { 10, "0.001%" },
		{ 2500, "0.25%" }, { 10000, "1%" }, { 123456, "12.3456%" },
		{ 1000000, "100%" },
	};
	struct conf_faults f;
	struct conf conf;
	char buf[512], want[64], err[CONF_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_defaults(&conf);
		f = conf.faults;
		f.error_ppm = cases[i].ppm;
		conf_faults_format(&f, true, buf, sizeof(buf));
		snprintf(want, sizeof(want), " error=%s ", cases[i].text);
		ck_assert_msg(strstr(buf, want) != NULL, "'%s' lacks '%s'",
		    buf, want);
		ck_assert_int_eq(conf_set(&conf, "faults", "error",
		    cases[i].text, err, sizeof(err)), 0);
		ck_assert_int_eq(conf.faults.error_ppm, cases[i].ppm);
	}
}
END_TEST

/* The rules between latency, jitter and the distribution. */
static const struct {
	const char	*distribution;
	int64_t		 latency_ms, jitter_ms;
	const char	*error;		/* NULL: accepted */
} delay_rules[] = {
	{ "fixed", 10, 0, NULL },
	{ "fixed", 0, 0, NULL },
	{ "fixed", 10, 1, "jitter: 1ms is not used by distribution = fixed" },
	{ "uniform", 10, 10, NULL },
	{ "uniform", 10, 11, "jitter: 11ms is more than latency (10ms)" },
	{ "uniform", 0, 5, "jitter: 5ms is more than latency (0)" },
	{ "normal", 0, 5, NULL },
	{ "normal", 10, 50, NULL },
	{ "exponential", 0, 5, NULL },
	{ "exponential", 5, 0, NULL },
	{ "pareto", 10, 10, NULL },
	{ "pareto", 0, 0, NULL },
	{ "pareto", 10, 0, "distribution: pareto needs both latency and "
	    "jitter above 0" },
	{ "pareto", 0, 10, "distribution: pareto needs both" },
};

START_TEST(test_delay_rules)
{
	struct conf conf;
	char err[CONF_ERR_MAX], want[CONF_ERR_MAX];
	int rc;

	conf_defaults(&conf);
	ck_assert_int_eq(conf_faults_set(&conf.faults, "distribution",
	    delay_rules[_i].distribution, err, sizeof(err)), 0);
	conf.faults.latency_ms = delay_rules[_i].latency_ms;
	conf.faults.jitter_ms = delay_rules[_i].jitter_ms;
	rc = conf_faults_check(&conf.faults, err, sizeof(err));
	if (delay_rules[_i].error == NULL) {
		ck_assert_msg(rc == 0, "%s", err);
		ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
		return;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strncmp(err, delay_rules[_i].error,
	    strlen(delay_rules[_i].error)) == 0, "'%s' is not '%s...'", err,
	    delay_rules[_i].error);
	/* The whole configuration says the same, under its section. */
	ck_assert_int_eq(conf_validate(&conf, want, sizeof(want)), -1);
	ck_assert_msg(strncmp(want, "[faults] ", 9) == 0 &&
	    strcmp(want + 9, err) == 0, "'%s'", want);
}
END_TEST

/* conf_faults_set: the FAULT command's keys and its refusals. */
START_TEST(test_faults_set)
{
	struct conf_faults f, before;
	struct conf conf;
	char err[CONF_ERR_MAX];

	conf_defaults(&conf);
	f = conf.faults;
	ck_assert_int_eq(conf_faults_set(&f, "latency", "250ms", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(f.latency_ms, 250);
	ck_assert_int_eq(conf_faults_set(&f, "bandwidth", "8k", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(f.bandwidth, 8192);
	ck_assert_int_eq(conf_faults_set(&f, "seed", "99", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(f.seed, 99);
	before = f;
	ck_assert_int_eq(conf_faults_set(&f, "allow_client", "yes", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "allow_client: set in the configuration only");
	ck_assert_int_eq(conf_faults_set(&f, "speed", "1", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "speed: unknown key (keys: latency jitter "
	    "distribution reset stall error close bandwidth crash seed)");
	ck_assert_int_eq(conf_faults_set(&f, "listen", "1", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(conf_faults_set(&f, "reset", "120%", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "reset: '120%' out of range (accepted: "
	    "0..100%)");
	ck_assert(memcmp(&f, &before, sizeof(f)) == 0);
}
END_TEST

START_TEST(test_faults_format)
{
	struct conf_faults f;
	struct conf conf;
	char buf[512];

	conf_defaults(&conf);
	f = conf.faults;
	ck_assert(!conf_faults_any(&f));
	conf_faults_format(&f, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "off");
	conf_faults_format(&f, true, buf, sizeof(buf));
	ck_assert_str_eq(buf, "latency=0 jitter=0 distribution=uniform "
	    "reset=0 stall=0 error=0 close=0 bandwidth=0 crash=0 seed=0");
	f.seed = 7;
	f.allow_client = true;
	ck_assert(!conf_faults_any(&f));
	f.reset_ppm = 10000;
	f.latency_ms = 20;
	ck_assert(conf_faults_any(&f));
	conf_faults_format(&f, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "latency=20ms distribution=uniform reset=1%");
}
END_TEST

/* What makes a reload in place: nothing but [faults] changed. */
START_TEST(test_same_but_faults)
{
	struct conf a, b;
	char err[CONF_ERR_MAX];

	conf_defaults(&a);
	conf_defaults(&b);
	ck_assert(conf_same_but_faults(&a, &b) && conf_same_faults(&a, &b));
	b.faults.error_ppm = 1;
	ck_assert(conf_same_but_faults(&a, &b) && !conf_same_faults(&a, &b));
	b.workers = 5;
	ck_assert(!conf_same_but_faults(&a, &b));
	conf_defaults(&b);
	ck_assert_int_eq(conf_set(&b, "server", "listen", "127.0.0.1:7008",
	    err, sizeof(err)), 0);
	ck_assert(!conf_same_but_faults(&a, &b));
	conf_defaults(&b);
	snprintf(b.access_log, sizeof(b.access_log), "/tmp/a.log");
	ck_assert(!conf_same_but_faults(&a, &b));
}
END_TEST

/* The same seed, slot and connection give the same choices; any other
 * one gives others. */
START_TEST(test_rng_reproducible)
{
	struct fault_rng a, b, c, d, e;
	int i, same_c = 0, same_d = 0, same_e = 0;

	fault_rng_seed(&a, 42, 3, 1, 17);
	fault_rng_seed(&b, 42, 3, 1, 17);
	fault_rng_seed(&c, 42, 3, 1, 18);
	fault_rng_seed(&d, 42, 4, 1, 17);
	fault_rng_seed(&e, 42, 3, 2, 17);
	for (i = 0; i < 1000; i++) {
		uint64_t x = fault_rng_next(&a);

		ck_assert_uint_eq(x, fault_rng_next(&b));
		same_c += x == fault_rng_next(&c);
		same_d += x == fault_rng_next(&d);
		same_e += x == fault_rng_next(&e);
	}
	ck_assert_int_eq(same_c, 0);
	ck_assert_int_eq(same_d, 0);
	ck_assert_int_eq(same_e, 0);	/* a replacement draws anew */
}
END_TEST

/* Half-width of the 99.9 % normal-approximation interval of a count. */
static double
interval(double p, double n)
{
	return 3.29 * sqrt(n * p * (1.0 - p)) + 1.0;
}

/* Each kind comes up as often as its probability and the draw order say. */
START_TEST(test_pick_rates)
{
	struct conf conf;
	struct fault_rng rng;
	double want[6] = { 0 }, left = 1.0;
	int seen[6] = { 0 }, i;

	conf_defaults(&conf);
	conf.faults.crash_ppm = 10000;	/* 1 % */
	conf.faults.reset_ppm = 50000;	/* 5 % */
	conf.faults.stall_ppm = 20000;
	conf.faults.close_ppm = 100000;
	conf.faults.error_ppm = 250000;
	fault_rng_seed(&rng, 1234, 1, 1, 1);
	for (i = 0; i < DRAWS; i++)
		seen[fault_pick(&conf.faults, &rng)]++;
	want[FAULT_PICK_CRASH] = 0.01;
	want[FAULT_PICK_RESET] = 0.05;
	want[FAULT_PICK_STALL] = 0.02;
	want[FAULT_PICK_CLOSE] = 0.10;
	want[FAULT_PICK_ERROR] = 0.25;
	for (i = FAULT_PICK_CRASH; i <= FAULT_PICK_ERROR; i++) {
		double p = want[i] * left, n = DRAWS * p;

		left *= 1.0 - want[i];
		ck_assert_msg(fabs(seen[i] - n) <= interval(p, DRAWS),
		    "pick %d: %d of %d, expected %.0f", i, seen[i], DRAWS, n);
	}
	ck_assert_msg(fabs(seen[FAULT_PICK_NONE] - DRAWS * left) <=
	    interval(left, DRAWS), "none: %d", seen[FAULT_PICK_NONE]);
}
END_TEST

/* 0 and 100 % need no luck. */
START_TEST(test_pick_edges)
{
	struct conf conf;
	struct fault_rng rng;
	int i;

	conf_defaults(&conf);
	fault_rng_seed(&rng, 1, 1, 1, 1);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(fault_pick(&conf.faults, &rng),
		    FAULT_PICK_NONE);
	conf.faults.error_ppm = CONF_PPM_ONE;
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(fault_pick(&conf.faults, &rng),
		    FAULT_PICK_ERROR);
	conf.faults.reset_ppm = CONF_PPM_ONE;
	ck_assert_int_eq(fault_pick(&conf.faults, &rng), FAULT_PICK_RESET);
	ck_assert_int_eq(fault_delay_us(&conf.faults, &rng), 0);
}
END_TEST

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The median and p99 of each distribution against docs/FAULTS.md's table,
 * within 3 % of the expected value (plus a microsecond).
 */
static const struct {
	enum conf_distribution dist;
	int64_t		 latency_ms, jitter_ms;
	double		 median_ms, p99_ms, min_ms;
} delays[] = {
	{ CONF_DIST_FIXED, 10, 0, 10.0, 10.0, 10.0 },
	{ CONF_DIST_UNIFORM, 10, 4, 10.0, 10.0 + 0.98 * 4, 6.0 },
	{ CONF_DIST_NORMAL, 20, 4, 20.0, 20.0 + 2.326 * 4, 0.0 },
	{ CONF_DIST_EXPONENTIAL, 10, 4, 10.0 + 0.6931 * 4,
	    10.0 + 4.6052 * 4, 10.0 },
	{ CONF_DIST_PARETO, 10, 10, 14.142, 100.0, 10.0 },
	{ CONF_DIST_PARETO, 10, 5, 12.599, 46.416, 10.0 },
};

START_TEST(test_delay_distribution)
{
	static int64_t d[DRAWS];
	struct conf conf;
	struct fault_rng rng;
	double median, p99;
	int i;

	conf_defaults(&conf);
	conf.faults.distribution = delays[_i].dist;
	conf.faults.latency_ms = delays[_i].latency_ms;
	conf.faults.jitter_ms = delays[_i].jitter_ms;
	fault_rng_seed(&rng, 99, 2, 1, (uint64_t)_i);
	for (i = 0; i < DRAWS; i++) {
		d[i] = fault_delay_us(&conf.faults, &rng);
		ck_assert_int_ge(d[i], (int64_t)(delays[_i].min_ms * 1000));
	}
	qsort(d, DRAWS, sizeof(d[0]), cmp_i64);
	median = d[DRAWS / 2] / 1000.0;
	p99 = d[DRAWS * 99 / 100] / 1000.0;
	ck_assert_msg(fabs(median - delays[_i].median_ms) <=
	    0.03 * delays[_i].median_ms + 0.001, "median %.3f ms, expected "
	    "%.3f", median, delays[_i].median_ms);
	ck_assert_msg(fabs(p99 - delays[_i].p99_ms) <=
	    0.03 * delays[_i].p99_ms + 0.001, "p99 %.3f ms, expected %.3f",
	    p99, delays[_i].p99_ms);
}
END_TEST

/* What the master publishes, a forked worker reads, version and all. */
START_TEST(test_board)
{
	struct board *b = board_create();
	char out[16] = "", data[16] = "faults v1";
	uint32_t v0, v1, seen;
	int status;
	pid_t pid;

	ck_assert_ptr_nonnull(b);
	v0 = board_version(b);
	board_publish(b, data, sizeof(data));
	v1 = board_version(b);
	ck_assert_uint_ne(v0, v1);
	ck_assert_uint_eq(v1 % 2, 0);
	ck_assert_int_eq(board_read(b, out, sizeof(out), &seen), 0);
	ck_assert_uint_eq(seen, v1);
	ck_assert_str_eq(out, "faults v1");
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		/* The parent publishes v2 before we are let go. */
		while (board_version(b) == v1)
			usleep(1000);
		_exit(board_read(b, out, sizeof(out), &seen) == 0 &&
		    strcmp(out, "faults v2") == 0 ? 0 : 1);
	}
	snprintf(data, sizeof(data), "faults v2");
	board_publish(b, data, sizeof(data));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	board_destroy(b);
}
END_TEST

static Suite *
fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("fault");

	tcase_add_loop_test(tc, test_probability_parse, 0,
	    sizeof(probabilities) / sizeof(probabilities[0]));
	tcase_add_test(tc, test_probability_format);
	tcase_add_loop_test(tc, test_delay_rules, 0,
	    sizeof(delay_rules) / sizeof(delay_rules[0]));
	tcase_add_test(tc, test_faults_set);
	tcase_add_test(tc, test_faults_format);
	tcase_add_test(tc, test_same_but_faults);
	tcase_add_test(tc, test_rng_reproducible);
	tcase_add_test(tc, test_pick_rates);
	tcase_add_test(tc, test_pick_edges);
	tcase_add_loop_test(tc, test_delay_distribution, 0,
	    sizeof(delays) / sizeof(delays[0]));
	tcase_add_test(tc, test_board);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fault_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
