/*
 * Unit tests for conf_validate's [workers] rules: the keys that only make
 * sense together. Each row starts from the defaults and changes the keys
 * under test; a rejection must name both keys with their values.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"

struct workers_case {
	const char	*name;
	int		 min_spare, max_spare;
	int		 start, max;
	int64_t		 heartbeat_ms, timeout_ms;
	int64_t		 backoff_initial_ms, backoff_max_ms;
	const char	*want[2];	/* NULL: valid */
};

/* The defaults, for the columns a row does not test. */
#define SPARE		2, 8
#define SIZE		4, 256
#define BEAT		1000, 30000
#define BACKOFF		100, 30000

static const struct workers_case cases[] = {
	{ "defaults", SPARE, SIZE, BEAT, BACKOFF, { NULL, NULL } },

	{ "min_spare == max_spare", 3, 3, SIZE, BEAT, BACKOFF,
	    { "[workers] min_spare (3)", "max_spare (3)" } },
	{ "min_spare > max_spare", 9, 8, SIZE, BEAT, BACKOFF,
	    { "[workers] min_spare (9)", "max_spare (8)" } },
	{ "min_spare one below max_spare", 7, 8, SIZE, BEAT, BACKOFF,
	    { NULL, NULL } },
	{ "min_spare 0, max_spare 1", 0, 1, SIZE, BEAT, BACKOFF,
	    { NULL, NULL } },

	{ "start > max", SPARE, 9, 8, BEAT, BACKOFF,
	    { "[workers] start (9)", "max (8)" } },
	{ "start == max", SPARE, 8, 8, BEAT, BACKOFF, { NULL, NULL } },
	{ "start 1, max 1", SPARE, 1, 1, BEAT, BACKOFF, { NULL, NULL } },

	{ "worker_timeout below 2 x heartbeat", SPARE, SIZE, 1000, 1999,
	    BACKOFF, { "[workers] worker_timeout (1999 ms)",
	    "heartbeat_interval (1000 ms)" } },
	{ "worker_timeout == heartbeat", SPARE, SIZE, 5000, 5000, BACKOFF,
	    { "[workers] worker_timeout (5000 ms)",
	    "heartbeat_interval (5000 ms)" } },
	{ "worker_timeout exactly 2 x heartbeat", SPARE, SIZE, 1000, 2000,
	    BACKOFF, { NULL, NULL } },
	{ "smallest heartbeat and timeout", SPARE, SIZE, 50, 100, BACKOFF,
	    { NULL, NULL } },

	{ "restart_backoff_initial > max", SPARE, SIZE, BEAT, 30001, 30000,
	    { "[workers] restart_backoff_initial (30001 ms)",
	    "restart_backoff_max (30000 ms)" } },
	{ "restart_backoff_initial == max", SPARE, SIZE, BEAT, 500, 500,
	    { NULL, NULL } },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void	 assert_contains(const char *haystack, const char *needle,
		    const char *name);
static Suite	*conf_workers_suite(void);

/*
 * Dynamic mode only: spares above max could never all exist, and
 * SIGTTIN/SIGTTOU could move neither bound. Static mode ignores spares.
 */
START_TEST(test_dynamic_max_spare_within_max)
{
	char err[CONF_ERR_MAX];
	struct conf conf;

	conf_defaults(&conf);
	conf.max_workers = 4;
	conf.workers = 2;
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
	conf.pool_mode = CONF_POOL_DYNAMIC;
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), -1);
	assert_contains(err, "[workers] max_spare (8)", "dynamic");
	assert_contains(err, "max (4)", "dynamic");
	conf.max_spare = 4;
	ck_assert_msg(conf_validate(&conf, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

static void
assert_contains(const char *haystack, const char *needle, const char *name)
{
	ck_assert_msg(strstr(haystack, needle) != NULL,
	    "%s: '%s' does not contain '%s'", name, haystack, needle);
}

START_TEST(test_validate_workers)
{
	const struct workers_case *c = &cases[_i];
	struct conf conf;
	char err[CONF_ERR_MAX] = "";
	int rc;

	conf_defaults(&conf);
	conf.min_spare = c->min_spare;
	conf.max_spare = c->max_spare;
	conf.workers = c->start;
	conf.max_workers = c->max;
	conf.heartbeat_interval_ms = c->heartbeat_ms;
	conf.worker_timeout_ms = c->timeout_ms;
	conf.restart_backoff_initial_ms = c->backoff_initial_ms;
	conf.restart_backoff_max_ms = c->backoff_max_ms;

	rc = conf_validate(&conf, err, sizeof(err));
	if (c->want[0] == NULL) {
		ck_assert_msg(rc == 0, "%s: rejected: %s", c->name, err);
		return;
	}
	ck_assert_msg(rc == -1, "%s: accepted", c->name);
	ck_assert_msg(strncmp(err, "[workers] ", 10) == 0,
	    "%s: '%s' does not start with '[workers] '", c->name, err);
	assert_contains(err, c->want[0], c->name);
	assert_contains(err, c->want[1], c->name);
}
END_TEST

/* The rules hold in both pool modes, whatever the keys were set through. */
START_TEST(test_validate_after_set)
{
	struct conf conf;
	char err[CONF_ERR_MAX];

	conf_defaults(&conf);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_set(&conf, "workers", "mode", "dynamic", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
	ck_assert_int_eq(conf_set(&conf, "workers", "min_spare", "8", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), -1);
	assert_contains(err, "min_spare (8)", "dynamic");
	assert_contains(err, "max_spare (8)", "dynamic");
	ck_assert_int_eq(conf_set(&conf, "workers", "max_spare", "9", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);

	ck_assert_int_eq(conf_set(&conf, "workers", "mode", "static", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set(&conf, "workers", "heartbeat_interval",
	    "20s", err, sizeof(err)), 0);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), -1);
	assert_contains(err, "worker_timeout (30000 ms)", "static");
	assert_contains(err, "heartbeat_interval (20000 ms)", "static");
	ck_assert_int_eq(conf_set(&conf, "workers", "worker_timeout", "40s",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
}
END_TEST

static Suite *
conf_workers_suite(void)
{
	Suite *s = suite_create("conf_workers");
	TCase *tc;

	tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_validate_workers, 0, (int)NCASES);
	tcase_add_test(tc, test_validate_after_set);
	tcase_add_test(tc, test_dynamic_max_spare_within_max);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_workers_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
