/*
 * Integration tests of the binary upgrade (server/upgrade.c): on SIGUSR2
 * the master starts the binary on disk, which takes over the listening
 * sockets; the old master drains and exits once the new one serves, and
 * serves on if the new one fails or never becomes ready.
 *
 * The new master is the old one's child and outlives the server the
 * harness watches: it is registered as soon as its pid is known, and
 * detached_sweep runs after each test case (tests/support/detached.h).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/detached.h"
#include "tests/support/harness.h"
#include "tests/support/load.h"

/* Room for a file's path in a harness_mkdtemp directory. */
#define PATH_LEN	(HARNESS_PATH_MAX + 32)

/* "upgrade: new master (pid N) is serving": N, or 0. */
static pid_t
upgrade_new_pid(const struct server *s)
{
	char	*text = server_log_read(s, NULL), *p;
	long	 pid = 0;

	if (text != NULL && (p = strstr(text, "upgrade: new master (pid ")) !=
	    NULL)
		pid = strtol(p + 25, NULL, 10);
	free(text);
	return (pid_t)pid;
}

/*
 * 1. SIGUSR2 under load: 16 clients in a request loop lose nothing while
 * a new master (the binary on disk) takes over the sockets; the old one
 * exits 0 with its workers gone, the pid file names the new one, which
 * serves with its own workers and, stopped, removes the pid file.
 */
START_TEST(test_upgrade_under_load)
{
	struct load_spec spec = { .clients = 16, .total = 1000000,
	    .duration_ms = 3000, .per_conn = 4, .kind = LOAD_PING_ECHO };
	char		 dir[HARNESS_PATH_MAX], pidfile[PATH_LEN], title[64];
	const char	*args[] = { "-w", "3", "--pid-file", pidfile, NULL };
	const struct load_result *r;
	struct pidset	 old;
	struct server	 s;
	struct load	*l;
	pid_t		 next, kids[HARNESS_MAX_PIDS];
	int		 i, n;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/fl.pid", dir);
	server_start(&s, args);
	server_wait_workers(&s, 3, old.pids);
	old.n = 3;
	ck_assert_msg(pidfile_pid(pidfile) == s.pid, "the pid file %s names "
	    "%ld, expected the master %ld", pidfile, (long)pidfile_pid(pidfile),
	    (long)s.pid);

	spec.port = s.port;
	l = load_new(&spec);
	ck_assert_msg(!load_run(l, 1000), "the load ended early: %s",
	    load_describe(l));
	ck_assert_msg(load_result(l)->ok > 0, "no request served in 1 s: %s",
	    load_describe(l));
	server_signal(&s, SIGUSR2);
	for (i = 0; i < 300 && !load_run(l, 100); i++)
		;
	ck_assert_msg(load_done(l), "the request loop did not end within "
	    "30 s: %s", load_describe(l));
	r = load_result(l);
	assert_log(&s, r->failed == 0 && r->ok > 0, "upgrade", "upgrade under "
	    "load: %s", load_describe(l));
	load_log(l, "upgrade under load");
	load_free(l);

	ck_assert_msg(server_wait(&s, HARNESS_STOP_MS), "the old master did "
	    "not exit within %d ms of the upgrade (log %s)", HARNESS_STOP_MS,
	    s.log);
	server_assert_exit(&s, 0, "the old master after the upgrade");
	next = upgrade_new_pid(&s);
	assert_log(&s, next > 0, "upgrade", "expected \"upgrade: new master "
	    "(pid N) is serving\" from the old master");
	detached_register(next);
	ck_assert_msg(pidfile_pid(pidfile) == next, "after the upgrade the "
	    "pid file names %ld, expected the new master %ld",
	    (long)pidfile_pid(pidfile), (long)next);
	ck_assert_msg(next != s.pid && ps_alive(next) &&
	    ps_cmdline(next, title, sizeof(title)) &&
	    strcmp(title, "forkline: master") == 0, "the new master %ld is "
	    "not a live \"forkline: master\"", (long)next);
	ps_assert_gone(old.pids, old.n, HARNESS_STOP_MS, "the old master's "
	    "workers");
	ps_wait_children(next, 3, "the new master's workers");
	n = ps_children(next, kids, HARNESS_MAX_PIDS);
	for (i = 0; i < n; i++)
		ck_assert_msg(!pidset_has(&old, kids[i]), "worker %ld of the "
		    "old master is a child of the new one", (long)kids[i]);
	client_ping_port(s.port);

	ck_assert_msg(kill(next, SIGTERM) == 0, "kill %ld: %s", (long)next,
	    strerror(errno));
	ps_wait_gone(next, "the new master after SIGTERM");
	ck_assert_msg(access(pidfile, F_OK) == -1, "the new master stopped "
	    "and left the pid file %s", pidfile);
}
END_TEST

/*
 * The server started from a copy of the binary, in a directory of its
 * own; the copy's path in bin.
 */
static void
start_from_copy(struct server *s, const char *const args[], char *bin,
    size_t len)
{
	char	 dir[HARNESS_PATH_MAX], *text;
	size_t	 n;
	int	 fd;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(bin, len, "%s/forkline", dir);
	ck_assert_msg(getenv("FORKLINE_BIN") != NULL, "FORKLINE_BIN unset");
	text = harness_read_file(getenv("FORKLINE_BIN"), &n);
	ck_assert_msg(text != NULL, "cannot read %s", getenv("FORKLINE_BIN"));
	fd = open(bin, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	ck_assert_msg(fd != -1 && write(fd, text, n) == (ssize_t)n,
	    "write %s: %s", bin, strerror(errno));
	close(fd);
	free(text);
	ck_assert_msg(setenv("FORKLINE_BIN", bin, 1) == 0, "setenv");
	server_start(s, args);
}

/* Put a script where the running binary was. */
static void
replace_binary(const char *bin, const char *script)
{
	ck_assert_msg(unlink(bin) == 0, "unlink %s: %s", bin, strerror(errno));
	harness_write_path(bin, script, 0755);
}

/* The old master serves on, with the same workers. */
static void
assert_still_serving(struct server *s, const struct pidset *before)
{
	struct pidset	 now;
	int		 i;

	ck_assert_msg(!server_wait(s, 0), "the master %s after a failed "
	    "upgrade", harness_describe_status(s->status));
	now.n = server_workers(s, now.pids, HARNESS_MAX_PIDS);
	for (i = 0; i < now.n; i++)
		ck_assert_msg(pidset_has(before, now.pids[i]), "after a failed "
		    "upgrade the master has children [%s], before [%s]",
		    pidset_text(&now), pidset_text(before));
	ck_assert_msg(now.n == before->n, "after a failed upgrade the master "
	    "has %d children [%s], before %d", now.n, pidset_text(&now),
	    before->n);
	client_ping_port(s->port);
}

/*
 * 2. SIGUSR2 when the binary on disk fails to start (a script exiting 1):
 * "upgrade failed", and the old master serves on with its workers; a
 * second attempt is tried (and fails) the same way.
 */
START_TEST(test_upgrade_fails)
{
	const char	*args[] = { "-w", "2", NULL };
	char		 bin[HARNESS_PATH_MAX + 16];
	struct pidset	 before;
	struct server	 s;

	start_from_copy(&s, args, bin, sizeof(bin));
	server_wait_workers(&s, 2, before.pids);
	before.n = 2;
	replace_binary(bin, "#!/bin/sh\nexit 1\n");

	server_signal(&s, SIGUSR2);
	assert_log(&s, log_wait_count(&s, "upgrade failed", 0, 1,
	    HARNESS_READY_MS), "upgrade", "expected \"upgrade failed\" when "
	    "the new binary exits 1");
	assert_log(&s, log_count(&s, "exited with status 1", 0) == 1,
	    "upgrade", "expected the failure to say the new master exited "
	    "with status 1");
	assert_still_serving(&s, &before);

	server_signal(&s, SIGUSR2);
	assert_log(&s, log_wait_count(&s, "upgrade failed", 0, 2,
	    HARNESS_READY_MS), "upgrade", "a second SIGUSR2 after a failed "
	    "upgrade: expected another attempt, failing the same way");
	assert_still_serving(&s, &before);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 3. SIGUSR2 when the new binary never becomes ready: after
 * worker_timeout it is stopped ("upgrade failed ... not ready within"),
 * and the old master serves on.
 */
START_TEST(test_upgrade_timeout)
{
	char		 conf[HARNESS_PATH_MAX], bin[HARNESS_PATH_MAX + 16];
	const char	*args[] = { "-c", conf, "-w", "2", NULL };
	struct pidset	 before;
	struct server	 s;

	harness_write_file(conf, sizeof(conf), "upgrade-", ".conf",
	    "[workers]\nheartbeat_interval = 100ms\nworker_timeout = 1s\n");
	start_from_copy(&s, args, bin, sizeof(bin));
	server_wait_workers(&s, 2, before.pids);
	before.n = 2;
	replace_binary(bin, "#!/bin/sh\nexec sleep 30\n");

	server_signal(&s, SIGUSR2);
	assert_log(&s, log_wait_count(&s, "not ready within 1000 ms", 0, 1,
	    HARNESS_READY_MS), "upgrade", "expected \"upgrade failed: ... not "
	    "ready within 1000 ms\" for a new binary that never serves");
	/* The stopped new master is reaped: only the workers are left. */
	ps_wait_children(s.pid, before.n, "after the new master was stopped");
	assert_still_serving(&s, &before);
	server_stop_expect_zero(&s);
}
END_TEST

static Suite *
upgrade_suite(void)
{
	Suite	*s = suite_create("upgrade");
	TCase	*tc;

	tc = tcase_create("upgrade");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, detached_sweep);
	tcase_add_test(tc, test_upgrade_under_load);
	tcase_add_test(tc, test_upgrade_fails);
	tcase_add_test(tc, test_upgrade_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(upgrade_suite);
}
