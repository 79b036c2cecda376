/*
 * Integration tests of `forkline status`, the admin endpoint's client.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"

static Suite	*status_suite(void);

START_TEST(test_status_table_and_json)
{
	char admin[32], conf[HARNESS_PATH_MAX], text[64];
	const char *args[] = { "-w", "3", "-a", admin, NULL };
	const char *table[] = { "status", "-a", admin, NULL };
	const char *json[] = { "status", "-a", admin, "--json", NULL };
	const char *from_conf[] = { "status", "-c", conf, NULL };
	pid_t pids[HARNESS_MAX_PIDS];
	struct run_result r;
	struct server s;
	int fd, port;

	fd = harness_listen_tcp(&port);
	close(fd);
	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	server_start(&s, args);
	server_wait_workers(&s, 3, pids);

	forkline_run(&r, table, 10000);
	run_assert_exit(&r, 0, "forkline status");
	snprintf(text, sizeof(text), "master pid %ld,", (long)s.pid);
	ck_assert_msg(strstr(r.out, text) != NULL, "%s", r.out);
	ck_assert_msg(strstr(r.out, "SLOT ") != NULL, "%s", r.out);
	/* A row's state stands alone; the pool line says "3 idle,". */
	ck_assert_msg(harness_count(r.out, " idle ") + harness_count(r.out, " busy ") +
	    harness_count(r.out, " starting ") == 3, "expected 3 worker rows:\n%s",
	    r.out);
	run_result_free(&r);

	forkline_run(&r, json, 10000);
	run_assert_exit(&r, 0, "forkline status --json");
	ck_assert_msg(strncmp(r.out, "{\"server\":", 10) == 0, "%s", r.out);
	ck_assert_int_eq(harness_count(r.out, "\"slot\":"), 3);
	run_result_free(&r);

	snprintf(text, sizeof(text), "[admin]\nlisten = %s\n", admin);
	harness_write_file(conf, sizeof(conf), "status-", ".conf", text);
	forkline_run(&r, from_conf, 10000);
	run_assert_exit(&r, 0, "forkline status -c");
	ck_assert_msg(strstr(r.out, "SLOT ") != NULL, "%s", r.out);
	run_result_free(&r);
	server_stop_expect_zero(&s);

	/* Nobody there any more: 69, and why. */
	forkline_run(&r, table, 10000);
	run_assert_exit(&r, 69, "forkline status with no server");
	ck_assert_msg(strstr(r.err, "cannot connect") != NULL, "%s", r.err);
	run_result_free(&r);
}
END_TEST

/*
 * An endpoint that takes the connection and never answers (a stopped
 * master, say): the command gives up after its 5 s, says so, exits 69.
 */
START_TEST(test_status_deadline)
{
	char admin[32];
	const char *args[] = { "status", "-a", admin, NULL };
	struct run_result r;
	int64_t started;
	int fd, port;

	fd = harness_listen_tcp(&port);	/* listens, never accepts */
	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	started = harness_now_ms();
	forkline_run(&r, args, 30000);
	ck_assert_msg(!r.timed_out, "forkline status against a silent "
	    "endpoint was still waiting after 30 s");
	ck_assert_msg(harness_now_ms() - started < 15000, "forkline status "
	    "took %lld ms against a silent endpoint (its deadline is 5 s)",
	    (long long)(harness_now_ms() - started));
	run_assert_exit(&r, 69, "forkline status against a silent endpoint");
	ck_assert_msg(strstr(r.err, "no answer within") != NULL, "%s", r.err);
	run_result_free(&r);
	close(fd);
}
END_TEST

static Suite *
status_suite(void)
{
	Suite *su = suite_create("status");
	TCase *tc = tcase_create("status");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_status_table_and_json);
	tcase_add_test(tc, test_status_deadline);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return harness_main(status_suite);
}
