/*
 * Integration tests of SIGHUP (DESIGN.md "Supervision": reload): a good
 * file starts a new generation and drains the old one while clients keep
 * going, with no request lost; a bad file is reported, with its file:line
 * and key, and nothing changes; a reload that moves the listen address
 * opens the new one and closes the old one.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"
#include "tests/support/load.h"

static void
start_with_config(struct server *s, char *path, size_t len,
    const char *conf)
{
	const char	*args[] = { "-c", path, NULL };

	harness_write_file(path, len, "reload-", ".conf", conf);
	server_start(s, args);
}

/* Is a connect to 127.0.0.1:port refused (nobody listening there)? */
static bool
port_refuses(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	int fd, r;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	r = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return r == -1 && errno == ECONNREFUSED;
}

static bool
port_refuses_pred(void *port)
{
	return port_refuses(*(int *)port);
}

/* n fresh connections, each asked INFO: every one from generation gen. */
static void
assert_generation(const struct server *s, int n, long gen,
    const struct pidset *old)
{
	struct info_reply	 info;
	int			 i, fd;

	for (i = 0; i < n; i++) {
		fd = client_open(s);
		client_info(fd, &info);
		close(fd);
		ck_assert_msg(info.generation == gen, "a new connection was "
		    "served by worker %ld of generation %ld, expected "
		    "generation %ld", info.pid, info.generation, gen);
		ck_assert_msg(old == NULL || !pidset_has(old, (pid_t)info.pid),
		    "a new connection was served by worker %ld of the first "
		    "generation [%s]", info.pid, pidset_text(old));
	}
}

/*
 * 8. SIGHUP with 16 clients in a request loop: the file now says start =
 * 4, so generation 2 has 4 workers, every old worker is drained and gone,
 * and not one request fails (a "BYE shutting down" from an old worker
 * makes the client reconnect and send again).
 */
START_TEST(test_reload_under_load)
{
	struct load_spec spec = { .clients = 16, .total = 1000000,
	    .duration_ms = 3500, .per_conn = 4, .kind = LOAD_PING_ECHO };
	char		 path[HARNESS_PATH_MAX];
	const struct load_result *r;
	struct pidset	 gen1, now;
	struct server	 s;
	struct load	*l;
	int		 i;

	start_with_config(&s, path, sizeof(path), "[workers]\nstart = 3\n");
	server_wait_workers(&s, 3, gen1.pids);
	gen1.n = 3;
	assert_generation(&s, 2, 1, NULL);

	spec.port = s.port;
	l = load_new(&spec);
	ck_assert_msg(!load_run(l, 1500), "the load ended early: %s",
	    load_describe(l));
	ck_assert_msg(load_result(l)->ok > 0, "no request served in 1.5 s: "
	    "%s", load_describe(l));
	harness_rewrite_file(path, "[workers]\nstart = 4\n");
	server_signal(&s, SIGHUP);
	for (i = 0; i < 300 && !load_run(l, 100); i++)
		;
	ck_assert_msg(load_done(l), "the request loop did not end within "
	    "30 s: %s", load_describe(l));
	r = load_result(l);
	assert_log(&s, r->failed == 0 && r->ok > 0, "reload", "reload under "
	    "load: %s", load_describe(l));
	load_log(l, "reload under load");
	load_free(l);

	assert_log(&s, server_log_wait(&s, "reload: generation 2 serving",
	    HARNESS_READY_MS), "reload", "expected \"reload: generation 2 "
	    "serving\" in the log");
	ps_assert_gone(gen1.pids, gen1.n, HARNESS_READY_MS,
	    "generation 1 workers after the reload");
	server_wait_workers(&s, 4, now.pids);
	now.n = 4;
	for (i = 0; i < now.n; i++)
		ck_assert_msg(!pidset_has(&gen1, now.pids[i]), "after the "
		    "reload worker %ld of generation 1 [%s] is still a child",
		    (long)now.pids[i], pidset_text(&gen1));
	assert_generation(&s, 6, 2, &gen1);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 9. A bad value in the file: SIGHUP logs "reload:" with the file, line
 * and key, and generation 1 keeps serving with the same workers.
 */
START_TEST(test_reload_invalid_keeps_serving)
{
	static const char bad[] =
	    "[workers]\n"
	    "start = 3\n"
	    "max_requests = lots\n";
	char		 path[HARNESS_PATH_MAX], where[HARNESS_PATH_MAX + 16];
	struct pidset	 before, after;
	struct server	 s;
	int		 i, fd;

	start_with_config(&s, path, sizeof(path), "[workers]\nstart = 3\n");
	server_wait_workers(&s, 3, before.pids);
	before.n = 3;
	harness_rewrite_file(path, bad);
	server_signal(&s, SIGHUP);

	snprintf(where, sizeof(where), "%s:3:", path);
	assert_log(&s, log_wait_count(&s, "reload: ", 0, 1, HARNESS_READY_MS),
	    "reload", "expected a \"reload:\" error after SIGHUP with a bad "
	    "file");
	assert_log(&s, log_count(&s, where, 0) == 1 &&
	    log_count(&s, "max_requests", 0) >= 1, "reload", "expected the "
	    "reload error to name \"%s\" and the key max_requests", where);
	assert_log(&s, log_count(&s, "starting generation", 0) == 0 &&
	    log_count(&s, "generation 2", 0) == 0, "generation",
	    "a bad file started a new generation");

	harness_sleep_ms(500);	/* room for a wrong restart to show */
	after.n = server_workers(&s, after.pids, HARNESS_MAX_PIDS);
	ck_assert_msg(after.n == 3, "after a rejected reload: expected the 3 "
	    "workers [%s], the master has %d children [%s]",
	    pidset_text(&before), after.n, pidset_text(&after));
	for (i = 0; i < after.n; i++)
		ck_assert_msg(pidset_has(&before, after.pids[i]), "after a "
		    "rejected reload: worker %ld is new (before: [%s])",
		    (long)after.pids[i], pidset_text(&before));
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	assert_generation(&s, 3, 1, NULL);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * A SIGHUP during a reload is remembered. Generation 2 (256 workers, so
 * that it takes a while to be ready: 64 were ready in 20 ms, before the
 * test saw the reload start) is under way when the file is edited
 * again and two more SIGHUPs come; when it is done, one more reload,
 * generation 3, picks the edit up. Two SIGHUPs make one more reload, not
 * two.
 *
 * Where every process is slower (FORKLINE_TEST_SLOW), fewer workers take
 * as long: under memcheck 256 took 7 s to start and 5 s to leave, each
 * with its leak check, and on a slower machine they outlived the drain's
 * grace period and swamped the machine for the tests that came next.
 */
START_TEST(test_reload_during_reload)
{
	char		 path[HARNESS_PATH_MAX];
	pid_t		 pids[HARNESS_MAX_PIDS];
	char		 big[64];
	int		 n = 256 / harness_slow(), fd;
	struct server	 s;

	start_with_config(&s, path, sizeof(path), "[workers]\nstart = 2\n");
	server_wait_workers(&s, 2, pids);
	snprintf(big, sizeof(big), "[workers]\nstart = %d\nmax = %d\n", n, n);
	harness_rewrite_file(path, big);
	server_signal(&s, SIGHUP);
	assert_log(&s, log_wait_count(&s, "starting generation 2", 0, 1,
	    HARNESS_READY_MS), "generation 2", "no reload after SIGHUP");
	harness_rewrite_file(path, "[workers]\nstart = 4\n");
	server_signal(&s, SIGHUP);
	server_signal(&s, SIGHUP);

	assert_log(&s, log_wait_count(&s, "generation 3 serving", 0, 1,
	    HARNESS_READY_MS), "generation 3", "expected a third generation "
	    "after SIGHUPs during a reload");
	assert_log(&s, log_count(&s, "another follows when it ends", 0) == 1,
	    "follows", "expected one \"another follows\" line for the "
	    "SIGHUPs that came during the reload");
	server_wait_workers(&s, 4, pids);
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	assert_generation(&s, 4, 3, NULL);
	harness_sleep_ms(500);	/* a fourth generation would show by now */
	assert_log(&s, log_count(&s, "starting generation 4", 0) == 0,
	    "generation 4", "one reload was queued, yet a fourth generation "
	    "started");
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * A file that listened on port 0 and now names the port it was given
 * means the same socket: the reload keeps it (no second bind, which
 * would fail with "Address already in use" against our own socket).
 */
START_TEST(test_reload_names_bound_port)
{
	char		 path[HARNESS_PATH_MAX], conf[128];
	const char	*args[] = { "-c", path, NULL };
	struct server	 s;

	harness_write_file(path, sizeof(path), "reload-", ".conf",
	    "[server]\nlisten = 127.0.0.1:0\n[workers]\nstart = 2\n");
	server_start_unbound(&s, args);
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:%d\n"
	    "[workers]\nstart = 2\n", s.port);
	harness_rewrite_file(path, conf);
	server_signal(&s, SIGHUP);
	ck_assert_msg(server_log_wait(&s, "reload: generation 2 serving",
	    HARNESS_READY_MS), "the reload naming port %d was not taken: %s",
	    s.port, log_lines(&s, "reload"));
	ck_assert_msg(!server_log_contains(&s, "Address already in use"),
	    "the reload bound port %d again: %s", s.port,
	    log_lines(&s, "reload"));
	client_ping(&s);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * The master's child that is none of the workers in before (the
 * configuration check), or 0. Not by its title: under valgrind a process
 * keeps the title of its command line.
 */
static pid_t
check_child_of(const struct server *s, const struct pidset *before)
{
	pid_t kids[HARNESS_MAX_PIDS];
	int i, n = ps_children(s->pid, kids, HARNESS_MAX_PIDS);

	for (i = 0; i < n; i++)
		if (!pidset_has(before, kids[i]))
			return kids[i];
	return 0;
}

struct check_wait {
	const struct server	*server;
	const struct pidset	*workers;
	pid_t			 check;
};

static bool
check_child_found(void *arg)
{
	struct check_wait *w = arg;

	return (w->check = check_child_of(w->server, w->workers)) != 0;
}

/*
 * A check that hangs (a file on a file system that does not answer; the
 * test-only fault switch makes the check child hang): the master never
 * opens the file itself, so it keeps answering; the check is killed at
 * worker_timeout and the reload refused with a line that says so. A
 * check still running when the master stops goes with it.
 */
START_TEST(test_reload_check_deadline)
{
	char		 path[HARNESS_PATH_MAX];
	const char	*args[] = { "-c", path, NULL };
	struct pidset	 workers;
	struct check_wait w = { .workers = &workers };
	struct server	 s;

	harness_write_file(path, sizeof(path), "reload-", ".conf",
	    "[workers]\nstart = 2\nheartbeat_interval = 200ms\n"
	    "worker_timeout = 1s\n");
	setenv("FORKLINE_TEST_FAULT", "hang-config-check", 1);
	server_start(&s, args);
	unsetenv("FORKLINE_TEST_FAULT");
	server_signal(&s, SIGHUP);
	assert_log(&s, log_wait_count(&s, "did not finish within 1000 ms", 0,
	    1, 1000 + HARNESS_READY_MS), "did not finish", "a hung check was "
	    "not stopped at worker_timeout");
	assert_log(&s, log_count(&s, "still serving generation 1", 0) == 1,
	    "still serving", "the reload was not refused");
	client_ping(&s);

	/* Again, and stop while the check hangs. */
	server_wait_workers(&s, 2, workers.pids);
	workers.n = 2;
	server_signal(&s, SIGHUP);
	w.server = &s;
	ck_assert_msg(harness_wait_until(check_child_found, &w, 1000),
	    "no configuration check child within 1 s of SIGHUP");
	server_stop_expect_zero(&s);
	ps_assert_gone(&w.check, 1, 2000, "the configuration check");
}
END_TEST

/*
 * The file replaced by a FIFO nobody writes to: the check refuses it at
 * once (it is not a regular file) instead of waiting for a writer, and
 * the master serves on unchanged.
 */
START_TEST(test_reload_fifo_refused)
{
	char		 path[HARNESS_PATH_MAX], real[HARNESS_PATH_MAX + 8];
	const char	*args[] = { "-c", path, NULL };
	struct server	 s;

	harness_write_file(path, sizeof(path), "reload-", ".conf",
	    "[workers]\nstart = 2\n");
	server_start(&s, args);
	snprintf(real, sizeof(real), "%s.real", path);
	ck_assert_int_eq(rename(path, real), 0);
	ck_assert_msg(mkfifo(path, 0600) == 0, "mkfifo %s", path);
	server_signal(&s, SIGHUP);
	assert_log(&s, log_wait_count(&s, "not a regular file", 0, 1,
	    HARNESS_READY_MS), "regular", "a FIFO in the file's place was "
	    "not refused");
	assert_log(&s, log_count(&s, "still serving generation 1", 0) == 1,
	    "still serving", "the reload was not refused");
	client_ping(&s);
	server_stop_expect_zero(&s);
	unlink(path);
	rename(real, path);
}
END_TEST

/*
 * A reload that changes the listen address opens the new one (served by
 * the new generation) and closes the old one once its workers are gone.
 */
START_TEST(test_reload_moves_listener)
{
	char path[HARNESS_PATH_MAX], conf[128], line[128];
	const char *args[] = { "-c", path, "-w", "2", NULL };
	struct server s;
	int old_port, new_port, fd;

	old_port = harness_free_port();
	new_port = harness_free_port();
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:%d\n",
	    old_port);
	harness_write_file(path, sizeof(path), "listen-", ".conf", conf);
	server_start_unbound(&s, args);
	ck_assert_int_eq(s.port, old_port);

	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:%d\n",
	    new_port);
	{
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fputs(conf, f);
		fclose(f);
	}
	server_signal(&s, SIGHUP);
	ck_assert_msg(server_log_wait(&s, "generation 2 serving",
	    HARNESS_READY_MS),
	    "the reload did not complete");
	fd = client_connect(new_port);
	client_request(fd, "PING\n", "PONG\n");
	client_send(fd, "INFO\n");
	ck_assert_int_gt(client_read_line(fd, line, sizeof(line), 5000), 0);
	ck_assert_msg(strstr(line, "generation=2") != NULL,
	    "INFO on the new address: %s", line);
	close(fd);
	ck_assert_msg(harness_wait_until(port_refuses_pred, &old_port, 5000),
	    "127.0.0.1:%d still accepts connections %d ms after the "
	    "reload moved away from it", old_port, 5000 * harness_slow());
	ck_assert(server_log_contains(&s, "no longer listening on"));
	server_stop(&s);
	server_assert_exit(&s, 0, "stop after the listener moved");
}
END_TEST

static Suite *
reload_suite(void)
{
	Suite	*s = suite_create("reload");
	TCase	*tc;

	tc = tcase_create("reload");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reload_under_load);
	tcase_add_test(tc, test_reload_invalid_keeps_serving);
	tcase_add_test(tc, test_reload_during_reload);
	tcase_add_test(tc, test_reload_names_bound_port);
	tcase_add_test(tc, test_reload_check_deadline);
	tcase_add_test(tc, test_reload_fifo_refused);
	tcase_add_test(tc, test_reload_moves_listener);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(reload_suite);
}
