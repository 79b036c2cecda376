/*
 * Integration tests at the edges: a worker out of file descriptors and a
 * worker over max_rss.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/support/harness.h"

static int	 count_in_log(const struct server *, const char *);
static Suite	*limits_suite(void);

static int
count_in_log(const struct server *s, const char *needle)
{
	size_t len;
	char *text = server_log_read(s, &len);
	int n = harness_count(text, needle);

	free(text);
	return n;
}

/*
 * A worker that cannot accept (EMFILE) must neither spin nor log a line
 * per attempt, must serve the waiting client once it can again, and the
 * rest of the pool goes on serving meanwhile.
 */
START_TEST(test_accept_emfile_backs_off)
{
	char path[HARNESS_PATH_MAX];
	const char *args[] = { "-c", path, "-w", "2", NULL };
	struct rlimit old, none;
	struct info_reply info;
	struct server s;
	char line[64];
	pid_t workers[2], worker;
	long before, used;
	int fd, hold;

	/*
	 * The workers stay root (like this test): changing another user's
	 * limits takes CAP_SYS_RESOURCE, which a container may not grant.
	 * The held client is not parked: it keeps its worker busy.
	 */
	harness_write_file(path, sizeof(path), "emfile-", ".conf",
	    "[server]\nallow_root = yes\n[connection]\npark_after = 0\n");
	server_start(&s, args);
	/* Both set up (a limit set before its epoll_create1 would kill it). */
	ck_assert_msg(server_log_wait(&s, "ready: 2 workers serving", 5000),
	    "the two workers did not report ready");
	server_wait_workers(&s, 2, workers);
	/* One worker is busy with a client; the other will run out of fds. */
	hold = client_connect(s.port);
	client_info(hold, &info);
	worker = info.pid == workers[0] ? workers[1] : workers[0];
	/*
	 * Every fd number the worker could get is taken: 0, 1, 2. Only the
	 * soft limit moves, so it can be put back without CAP_SYS_RESOURCE.
	 */
	ck_assert_msg(prlimit(worker, RLIMIT_NOFILE, NULL, &old) == 0,
	    "prlimit: %s", strerror(errno));
	none = (struct rlimit){ 3, old.rlim_max };
	ck_assert_msg(prlimit(worker, RLIMIT_NOFILE, &none, NULL) == 0,
	    "prlimit: %s", strerror(errno));
	fd = client_connect(s.port);
	client_send(fd, "PING\n");
	ck_assert_msg(server_log_wait(&s, "pausing accepts", 5000),
	    "no 'pausing accepts' line after EMFILE");
	before = ps_cpu_ticks(worker);
	harness_sleep_ms(2000);
	used = ps_cpu_ticks(worker) - before;
	printf("check_limits: a worker out of fds used %ld clock ticks "
	    "(of %ld a second) in 2 s\n", used, sysconf(_SC_CLK_TCK));
	/* Spinning would burn ~200 ticks in 2 s; a 250 ms pause, ~0. */
	ck_assert_msg(used < 40, "worker used %ld clock ticks in 2 s while "
	    "it could not accept: it spins", used);
	ck_assert_int_eq(count_in_log(&s, "pausing accepts"), 1);
	ck_assert_int_eq(client_read_line(fd, line, sizeof(line), 100),
	    CLIENT_TIMEOUT);
	/* The other worker's client is served all along. */
	client_request(hold, "PING\n", "PONG\n");

	ck_assert_msg(prlimit(worker, RLIMIT_NOFILE, &old, NULL) == 0,
	    "prlimit: %s", strerror(errno));
	client_expect(fd, "PONG\n");
	client_info(fd, &info);
	ck_assert_int_eq(info.pid, worker);
	ck_assert_msg(server_log_wait(&s, "accepting again", 5000),
	    "no 'accepting again' line after the limit was raised");
	client_request(hold, "PING\n", "PONG\n");
	close(fd);
	close(hold);
	server_stop(&s);
	server_assert_exit(&s, 0, "stop after EMFILE");
}
END_TEST

/* Over max_rss, workers are recycled one at a time and no request fails. */
START_TEST(test_max_rss_recycles_without_loss)
{
	char path[HARNESS_PATH_MAX];
	const char *args[] = { "-c", path, "-w", "2", NULL };
	struct server s;
	int i, fd;

	harness_write_file(path, sizeof(path), "rss-", ".conf",
	    "[workers]\nmax_rss = 1k\n");
	server_start(&s, args);
	for (i = 0; i < 30; i++) {
		fd = client_connect(s.port);
		client_request(fd, "PING\n", "PONG\n");
		close(fd);
		harness_sleep_ms(20);
	}
	ck_assert_msg(server_log_wait(&s, "kB max RSS", 5000),
	    "no worker asked to be recycled for its RSS");
	ck_assert_msg(server_log_wait(&s, "recycled after", 5000),
	    "no worker was recycled");
	server_stop(&s);
	server_assert_exit(&s, 0, "stop after recycling");
}
END_TEST

static Suite *
limits_suite(void)
{
	Suite *su = suite_create("limits");
	TCase *tc = tcase_create("limits");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_accept_emfile_backs_off);
	tcase_add_test(tc, test_max_rss_recycles_without_loss);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return harness_main(limits_suite);
}
