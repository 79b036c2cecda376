/*
 * Integration tests of daemon mode (server/daemon.c): forkline -d with its
 * pid file, a second start refused, -s reload and -s stop reaching the
 * master, a stale pid file replaced.
 *
 * A daemon leaves the test's process group: it holds a locked pid file in
 * the harness directory and is registered as soon as its pid is known,
 * and detached_sweep runs after each test case (tests/support/detached.h).
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/detached.h"
#include "tests/support/harness.h"

#define EX_USAGE	64
#define EX_PIDFILE	73
/* Room for a file's path in a harness_mkdtemp directory. */
#define PATH_LEN	(HARNESS_PATH_MAX + 32)

/*
 * 1. Daemon mode: -d returns 0 once the detached master is up; the pid
 * file names it (titled "forkline: master", in a session of its own, not
 * its leader, not our child) and it serves. A second start with the same
 * pid file fails with 73; -s reload and -s stop reach it; stop removes
 * the pid file; -s with no master is 1; a stale pid file is replaced; an
 * unknown -s name is 64.
 */
START_TEST(test_daemon)
{
	char		 dir[HARNESS_PATH_MAX], pidfile[PATH_LEN];
	char		 logf[PATH_LEN], conf[HARNESS_PATH_MAX];
	char		 text[PATH_LEN + 64];
	char		 listen[32], title[64], stat_line[512], *p;
	const char	*start[] = { "-d", "--pid-file", pidfile, "-c", conf,
	    "-l", listen, "-w", "2", NULL };
	const char	*reload[] = { "--pid-file", pidfile, "-s", "reload",
	    NULL };
	const char	*stop[] = { "--pid-file", pidfile, "-s", "stop", NULL };
	const char	*bogus[] = { "--pid-file", pidfile, "-s", "bogus",
	    NULL };
	struct run_result r;
	long		 ppid = 0;
	pid_t		 pid, pid2, dead;
	FILE		*f;
	int		 port;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/fl.pid", dir);
	snprintf(logf, sizeof(logf), "%s/forkline.log", dir);
	snprintf(text, sizeof(text), "[log]\ntarget = %s\n", logf);
	harness_write_file(conf, sizeof(conf), "daemon-", ".conf", text);
	port = harness_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);

	forkline_run(&r, start, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "forkline -d");
	run_result_free(&r);
	pid = pidfile_pid(pidfile);
	ck_assert_msg(pid > 0 && ps_alive(pid), "after forkline -d: the pid "
	    "file %s names pid %ld, expected a live master", pidfile,
	    (long)pid);
	detached_register(pid);
	ck_assert_msg(ps_cmdline(pid, title, sizeof(title)) &&
	    strcmp(title, "forkline: master") == 0, "pid %ld from the pid "
	    "file is %s, expected \"forkline: master\"", (long)pid,
	    harness_quote(title, strlen(title)));
	snprintf(text, sizeof(text), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(text, "re")) != NULL) {
		if (fgets(stat_line, sizeof(stat_line), f) != NULL &&
		    (p = strrchr(stat_line, ')')) != NULL)
			sscanf(p + 2, "%*c %ld", &ppid);
		fclose(f);
	}
	ck_assert_msg(ppid > 0 && ppid != (long)getpid(), "the daemon's "
	    "parent is %ld: expected it detached from the test (pid %ld)",
	    ppid, (long)getpid());
	ck_assert_msg(getsid(pid) != getsid(0) && getsid(pid) != pid,
	    "the daemon's session is %ld (ours %ld): expected a new session "
	    "it does not lead", (long)getsid(pid), (long)getsid(0));
	client_ping_port(port);
	ps_wait_children(pid, 2, "the daemon's workers");

	forkline_run(&r, start, HARNESS_READY_MS);
	run_assert_exit(&r, EX_PIDFILE, "a second forkline -d with the same "
	    "pid file");
	ck_assert_msg(strstr(r.err, "already running") != NULL, "a second "
	    "start: expected \"already running\" on stderr, got %s",
	    harness_quote(r.err, strlen(r.err)));
	run_result_free(&r);
	ck_assert_msg(pidfile_pid(pidfile) == pid && ps_alive(pid), "a second "
	    "start disturbed the first master or its pid file");

	forkline_run(&r, reload, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "-s reload");
	run_result_free(&r);
	log_file_wait(logf, "SIGHUP", 1, "-s reload");
	log_file_wait(logf, "reload: generation 2 serving", 1, "-s reload");

	forkline_run(&r, stop, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "-s stop");
	run_result_free(&r);
	ps_wait_gone(pid, "-s stop");
	ck_assert_msg(access(pidfile, F_OK) == -1 && errno == ENOENT, "the "
	    "master stopped and left its pid file %s", pidfile);
	log_file_wait(logf, "stopped", 1, "-s stop");

	forkline_run(&r, stop, HARNESS_READY_MS);
	run_assert_exit(&r, 1, "-s stop with no pid file");
	ck_assert_msg(strstr(r.err, pidfile) != NULL, "-s stop with no pid "
	    "file: expected stderr to name %s, got %s", pidfile,
	    harness_quote(r.err, strlen(r.err)));
	run_result_free(&r);

	/* A stale pid file: a dead process's pid, nobody holding the lock. */
	fflush(NULL);
	if ((dead = fork()) == 0)
		_exit(0);
	ck_assert_msg(dead > 0 && waitpid(dead, NULL, 0) == dead, "fork: %s",
	    strerror(errno));
	snprintf(text, sizeof(text), "%ld\n", (long)dead);
	harness_write_path(pidfile, text, 0644);
	forkline_run(&r, stop, HARNESS_READY_MS);
	run_assert_exit(&r, 1, "-s stop with a stale pid file");
	ck_assert_msg(strstr(r.err, "not running") != NULL, "-s stop with a "
	    "stale pid file: expected \"not running\", got %s",
	    harness_quote(r.err, strlen(r.err)));
	run_result_free(&r);

	forkline_run(&r, start, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "forkline -d over a stale pid file");
	pid2 = pidfile_pid(pidfile);
	ck_assert_msg(pid2 > 0 && pid2 != dead && ps_alive(pid2), "after a "
	    "start over a stale pid file it names %ld (the stale one %ld)",
	    (long)pid2, (long)dead);
	detached_register(pid2);
	snprintf(text, sizeof(text), "replacing stale pid file %s (pid %ld "
	    "is gone)", pidfile, (long)dead);
	log_file_wait(logf, text, 1, "a start over a stale pid file");
	run_result_free(&r);
	client_ping_port(port);
	forkline_run(&r, stop, HARNESS_READY_MS);
	run_assert_exit(&r, 0, "-s stop");
	run_result_free(&r);
	ps_wait_gone(pid2, "-s stop");

	forkline_run(&r, bogus, HARNESS_READY_MS);
	run_assert_exit(&r, EX_USAGE, "-s bogus");
	ck_assert_msg(strstr(r.err, "bogus") != NULL, "-s bogus: expected "
	    "the error to name it, got %s", harness_quote(r.err,
	    strlen(r.err)));
	run_result_free(&r);
}
END_TEST

/* Start `forkline -d` with args in a child; its pid, to wait for. */
static pid_t
start_daemon(const char *const args[])
{
	const char *argv[16] = { harness_forkline_bin() };
	pid_t pid;
	int i, null;

	for (i = 0; args[i] != NULL && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if ((null = open("/dev/null", O_RDWR)) != -1) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_msg(pid > 0, "fork: %s", strerror(errno));
	return pid;
}

static int
exit_code(pid_t pid)
{
	int status = 0;

	ck_assert_msg(waitpid(pid, &status, 0) == pid, "waitpid: %s",
	    strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Something answers PING at 127.0.0.1:port. */
static bool
port_serves(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	char line[64];
	int fd, ok;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return false;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return false;
	}
	client_send(fd, "PING\n");
	ok = client_read_line(fd, line, sizeof(line), HARNESS_REPLY_MS) > 0 &&
	    strcmp(line, "PONG\n") == 0;
	close(fd);
	return ok;
}

/*
 * 2. Two masters started at the same moment with one pid file (on
 * different ports): exactly one starts (0), the other exits 73 without
 * touching the file, which names the one that serves; -s stop reaches it
 * and then no master is left. Five trials.
 */
START_TEST(test_pidfile_race)
{
	char		 dir[HARNESS_PATH_MAX], pidfile[PATH_LEN];
	char		 la[32], lb[32];
	const char	*a[] = { "-d", "--pid-file", pidfile, "-l", la, "-w", "1",
	    NULL };
	const char	*b[] = { "-d", "--pid-file", pidfile, "-l", lb, "-w", "1",
	    NULL };
	const char	*stop[] = { "--pid-file", pidfile, "-s", "stop", NULL };
	struct run_result r;
	int		 trial, pa, pb, ca, cb, serving;
	pid_t		 ka, kb, master;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/race.pid", dir);
	for (trial = 0; trial < 5; trial++) {
		pa = harness_free_port();
		pb = harness_free_port();
		snprintf(la, sizeof(la), "127.0.0.1:%d", pa);
		snprintf(lb, sizeof(lb), "127.0.0.1:%d", pb);
		ka = start_daemon(a);
		kb = start_daemon(b);
		ca = exit_code(ka);
		cb = exit_code(kb);
		master = pidfile_pid(pidfile);
		if (master > 0)
			detached_register(master);
		ck_assert_msg((ca == 0 && cb == EX_PIDFILE) ||
		    (ca == EX_PIDFILE && cb == 0), "trial %d: two starts at "
		    "once exited %d and %d, expected 0 and 73", trial, ca, cb);
		serving = port_serves(pa) + port_serves(pb);
		ck_assert_msg(serving == 1 && port_serves(ca == 0 ? pa : pb),
		    "trial %d: %d masters serve, expected only the one that "
		    "started", trial, serving);
		ck_assert_msg(master > 0 && ps_alive(master), "trial %d: the "
		    "pid file names %ld, not the running master", trial,
		    (long)master);
		forkline_run(&r, stop, HARNESS_READY_MS);
		run_assert_exit(&r, 0, "-s stop after a race");
		run_result_free(&r);
		ps_wait_gone(master, "-s stop after a race");
		ck_assert_msg(access(pidfile, F_OK) == -1 && !port_serves(pa) &&
		    !port_serves(pb), "trial %d: after -s stop a master or the "
		    "pid file is left", trial);
	}
}
END_TEST

/*
 * 3. A pid file locked by a program that is not forkline, with that
 * program's pid in it: -s signals nothing, says why, and exits 1.
 */
START_TEST(test_signal_not_master)
{
	char		 dir[HARNESS_PATH_MAX], pidfile[PATH_LEN], text[32];
	const char	*reload[] = { "--pid-file", pidfile, "-s", "reload",
	    NULL };
	struct run_result r;
	pid_t		 other;
	int		 fd;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/other.pid", dir);
	fflush(NULL);
	if ((other = fork()) == 0) {
		for (;;)
			pause();
	}
	ck_assert_msg(other > 0, "fork: %s", strerror(errno));
	snprintf(text, sizeof(text), "%ld\n", (long)other);
	harness_write_path(pidfile, text, 0644);
	fd = open(pidfile, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd != -1 && flock(fd, LOCK_EX) == 0, "locking %s: %s",
	    pidfile, strerror(errno));
	forkline_run(&r, reload, HARNESS_READY_MS);
	kill(other, SIGKILL);
	ck_assert_msg(waitpid(other, NULL, 0) == other, "waitpid");
	close(fd);
	run_assert_exit(&r, 1, "-s reload with a pid file held by another "
	    "program");
	ck_assert_msg(strstr(r.err, "not a forkline master") != NULL, "-s "
	    "with another program's pid: expected \"not a forkline "
	    "master\", got %s", harness_quote(r.err, strlen(r.err)));
	run_result_free(&r);
}
END_TEST

static Suite *
daemon_suite(void)
{
	Suite	*s = suite_create("daemon");
	TCase	*tc;

	tc = tcase_create("daemon");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, detached_sweep);
	tcase_add_test(tc, test_daemon);
	tcase_add_test(tc, test_pidfile_race);
	tcase_add_test(tc, test_signal_not_master);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(daemon_suite);
}
