/*
 * Integration tests of the process model: workers that die and are
 * replaced, idle timeouts, graceful and immediate stops, and process
 * titles.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"

#define DEFAULT_GRACE_MS	10000
#define SLACK_MS		5000

static void
start_with_config(struct server *s, char *path, size_t len,
    const char *conf, const char *const extra[])
{
	const char	*args[16] = { "-c", path };
	int		 i;

	harness_write_file(path, len, "lifecycle-", ".conf", conf);
	for (i = 0; extra[i] != NULL; i++) {
		ck_assert_msg(i + 3 < 16, "too many arguments");
		args[i + 2] = extra[i];
	}
	args[i + 2] = NULL;
	server_start(s, args);
}

/* Does line hold the decimal n as a whole number? */
static bool
has_number(const char *line, long n)
{
	char		 num[32];
	const char	*p = line;
	size_t		 len;

	len = (size_t)snprintf(num, sizeof(num), "%ld", n);
	while ((p = strstr(p, num)) != NULL) {
		if ((p == line || p[-1] < '0' || p[-1] > '9') &&
		    (p[len] < '0' || p[len] > '9'))
			return true;
		p += len;
	}
	return false;
}

struct death_note {
	const struct server	*s;
	size_t			 from;		/* log offset */
	pid_t			 pid;
	int			 slot;
};

/* A master line written after "from" that names the pid or the slot. */
static bool
master_logged_death(void *arg)
{
	struct death_note	*d = arg;
	char			*text, *line, *save = NULL, tag[64], slot[32];
	size_t			 len;
	bool			 found = false;

	if ((text = server_log_read(d->s, &len)) == NULL || len < d->from) {
		free(text);
		return false;
	}
	snprintf(tag, sizeof(tag), "forkline[%ld] master ", (long)d->s->pid);
	snprintf(slot, sizeof(slot), "worker %d", d->slot);
	for (line = strtok_r(text + d->from, "\n", &save);
	    line != NULL && !found; line = strtok_r(NULL, "\n", &save)) {
		line = strstr(line, tag);
		found = line != NULL && (has_number(line + strlen(tag),
		    (long)d->pid) || strstr(line, slot) != NULL);
	}
	free(text);
	return found;
}

/* Slot N from a worker's title "forkline: worker N"; 0 if not that. */
static int
worker_slot(pid_t pid)
{
	char	 title[128];
	int	 slot = 0, end = 0;

	if (!ps_cmdline(pid, title, sizeof(title)) ||
	    sscanf(title, "forkline: worker %d%n", &slot, &end) != 1 ||
	    title[end] != '\0')
		return 0;
	return slot;
}

static void
assert_replaced(const struct server *s, pid_t gone, int n,
    const struct pidset *before)
{
	struct replaced	 r = { s, gone, n, { { 0 }, 0 } };
	int		 i, fresh = 0;

	ck_assert_msg(harness_wait_until(worker_replaced, &r, HARNESS_READY_MS),
	    "after SIGKILL of worker %ld: expected the master to reap it and "
	    "be back to %d workers within %d ms; it has %d children%s",
	    (long)gone, n, HARNESS_READY_MS, r.now.n,
	    pidset_has(&r.now, gone) ? ", the killed one still among them" :
	    "");
	for (i = 0; i < r.now.n; i++)
		if (!pidset_has(before, r.now.pids[i]))
			fresh++;
	ck_assert_msg(fresh == 1, "after SIGKILL of worker %ld: expected "
	    "exactly one new worker pid, found %d", (long)gone, fresh);
}

/*
 * SIGKILL a worker serving nobody while two clients are mid-session: they
 * go on, the master replaces the worker and says so. Then SIGKILL the
 * worker of session A: A sees EOF, B goes on. Parking off, so that each
 * session stays on its worker: with it on, a quiet session may be parked
 * and taken up by another worker (under valgrind a wait here can pass
 * park_after, and a worker that sees B arrive before the others count
 * themselves idle parks A and takes B itself).
 */
START_TEST(test_worker_killed)
{
	static const char	 conf[] = "[connection]\npark_after = 0\n";
	static const char *const args[] = { "-w", "4", NULL };
	char			 path[HARNESS_PATH_MAX];
	struct info_reply	 ia, ib, again;
	struct pidset		 before;
	struct death_note	 note;
	struct server		 s;
	char			 req[64];
	pid_t			 victim = 0;
	int			 a, b, i;

	start_with_config(&s, path, sizeof(path), conf, args);
	server_wait_workers(&s, 4, before.pids);
	before.n = 4;
	a = client_open(&s);
	b = client_open(&s);
	client_info(a, &ia);
	client_info(b, &ib);
	ck_assert_msg(ia.pid != ib.pid, "two open sessions are served by "
	    "the same worker %ld; a worker should serve one at a time", ia.pid);
	for (i = 0; i < before.n && victim == 0; i++)
		if (before.pids[i] != ia.pid && before.pids[i] != ib.pid)
			victim = before.pids[i];
	ck_assert_msg(victim != 0, "no idle worker among the master's "
	    "children");

	note = (struct death_note){ &s, server_log_size(&s), victim,
	    worker_slot(victim) };
	ck_assert_int_eq(kill(victim, SIGKILL), 0);
	for (i = 0; i < 5; i++) {
		snprintf(req, sizeof(req), "ECHO a-%d\n", i);
		client_request(a, req, req + 5);
		snprintf(req, sizeof(req), "ECHO b-%d\n", i);
		client_request(b, req, req + 5);
	}
	assert_replaced(&s, victim, 4, &before);
	ck_assert_msg(harness_wait_until(master_logged_death, &note,
	    HARNESS_READY_MS), "expected a master log line about the death of "
	    "worker %d (pid %ld)", note.slot, (long)victim);
	client_info(a, &again);
	ck_assert_msg(again.pid == ia.pid, "session A moved from worker %ld "
	    "to %ld", ia.pid, again.pid);

	before.n = server_workers(&s, before.pids, HARNESS_MAX_PIDS);
	ck_assert_int_eq(kill((pid_t)ia.pid, SIGKILL), 0);
	client_expect_close(a, false);
	for (i = 0; i < 3; i++)
		client_request(b, "PING\n", "PONG\n");
	client_info(b, &again);
	ck_assert_msg(again.pid == ib.pid, "session B moved from worker %ld "
	    "to %ld", ib.pid, again.pid);
	assert_replaced(&s, (pid_t)ia.pid, 4, &before);
	close(a);
	close(b);
	server_stop_expect_zero(&s);
}
END_TEST

START_TEST(test_idle_timeout)
{
	static const char	 conf[] =
	    "[connection]\nidle_timeout = 300ms\n";
	static const char *const none[] = { NULL };
	char			 path[HARNESS_PATH_MAX];
	struct server		 s;
	int64_t			 t0, elapsed;
	int			 fd, i;

	start_with_config(&s, path, sizeof(path), conf, none);

	fd = client_open(&s);
	t0 = harness_now_ms();
	client_expect(fd, "BYE idle timeout\n");
	elapsed = harness_now_ms() - t0;
	client_expect_close(fd, false);
	close(fd);
	ck_assert_msg(elapsed >= 250, "idle_timeout = 300ms, yet \"BYE idle "
	    "timeout\" came %lld ms after connecting", (long long)elapsed);

	/* Requests keep a connection alive past the timeout. */
	fd = client_open(&s);
	for (i = 0; i < 12; i++) {
		client_request(fd, "PING\n", "PONG\n");
		harness_sleep_ms(50);
	}
	client_expect(fd, "BYE idle timeout\n");
	client_expect_close(fd, false);
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * A worker reads an idle client with one blocking recv, woken every half
 * heartbeat (SO_RCVTIMEO) rather than polling. Over 2.5 s of silence,
 * with worker_timeout as short as the rules allow, its heartbeats must
 * keep coming (the master does not take it for hung), the idle timeout
 * must still fire on time, and a stop must still reach it.
 */
START_TEST(test_idle_client_blocking_read)
{
	static const char	 conf[] =
	    "[workers]\nstart = 1\nheartbeat_interval = 200ms\n"
	    "worker_timeout = 400ms\n"
	    "[connection]\nidle_timeout = 2500ms\n";
	static const char *const none[] = { NULL };
	char			 path[HARNESS_PATH_MAX];
	struct info_reply	 info, again;
	struct server		 s;
	int64_t			 t0, elapsed;
	int			 fd;

	start_with_config(&s, path, sizeof(path), conf, none);
	fd = client_open(&s);
	client_info(fd, &info);
	t0 = harness_now_ms();
	client_expect(fd, "BYE idle timeout\n");
	elapsed = harness_now_ms() - t0;
	client_expect_close(fd, false);
	close(fd);
	ck_assert_msg(elapsed >= 2400 && elapsed < 2500 + SLACK_MS,
	    "idle_timeout = 2500ms, yet \"BYE idle timeout\" came after "
	    "%lld ms", (long long)elapsed);
	ck_assert_msg(!server_log_contains(&s, "hung"), "a worker with an "
	    "idle client was taken for hung");

	fd = client_open(&s);
	client_info(fd, &again);
	ck_assert_msg(again.pid == info.pid, "worker %ld was replaced by %ld "
	    "while its client sat idle", info.pid, again.pid);
	harness_sleep_ms(700);		/* blocked in recv by now */
	server_signal(&s, SIGTERM);
	client_expect(fd, "BYE shutting down\n");
	client_expect_close(fd, false);
	close(fd);
	ck_assert_msg(server_wait(&s, HARNESS_STOP_MS), "no exit after "
	    "SIGTERM");
	server_assert_exit(&s, 0, "SIGTERM with an idle client");
}
END_TEST

/*
 * Graceful stop (SIGTERM, and SIGINT likewise) with three clients: A in
 * the middle of "SLEEP 1000", B idle after a CRLF request, C connected
 * without a word. A gets its "OK"; everyone gets "BYE shutting down" in
 * their own line ending and is closed; the master exits 0 leaving no
 * worker behind.
 */
START_TEST(test_graceful_stop)
{
	static const int	 sigs[] = { SIGTERM, SIGINT };
	static const char *const args[] = { "-w", "4", NULL };
	struct pidset		 workers;
	struct server		 s;
	int			 a, b, c, sig = sigs[_i];

	server_start(&s, args);
	server_wait_workers(&s, 4, workers.pids);
	workers.n = 4;
	a = client_open(&s);
	b = client_open(&s);
	c = client_open(&s);
	client_request(b, "PING\r\n", "PONG\r\n");
	client_wait_consumed(c);
	client_send(a, "SLEEP 1000\n");
	client_wait_consumed(a);

	server_signal(&s, sig);
	client_expect(b, "BYE shutting down\r\n");
	client_expect_close(b, false);
	client_expect(c, "BYE shutting down\n");
	client_expect_close(c, false);
	client_expect(a, "OK\n");
	client_expect(a, "BYE shutting down\n");
	client_expect_close(a, false);

	ck_assert_msg(server_wait(&s, DEFAULT_GRACE_MS + SLACK_MS), "the "
	    "master did not exit within grace_period (%d ms) + %d ms of "
	    "signal %d", DEFAULT_GRACE_MS, SLACK_MS, sig);
	server_assert_exit(&s, 0, strsignal(sig));
	ps_assert_gone(workers.pids, workers.n, 0,
	    "workers once the master has exited");
	close(a);
	close(b);
	close(c);
}
END_TEST

/*
 * A request that outlasts grace_period: the worker is killed, the master
 * still exits 0, and long before the request would have ended.
 */
START_TEST(test_grace_period_expiry)
{
	static const char	 conf[] =
	    "[server]\ngrace_period = 500ms\n[connection]\nmax_sleep = 10s\n";
	static const char *const args[] = { "-w", "2", NULL };
	char			 path[HARNESS_PATH_MAX], *rest;
	struct pidset		 workers;
	struct server		 s;
	size_t			 len;
	int			 fd, how;

	start_with_config(&s, path, sizeof(path), conf, args);
	server_wait_workers(&s, 2, workers.pids);
	workers.n = 2;
	fd = client_open(&s);
	client_send(fd, "SLEEP 5000\n");
	client_wait_consumed(fd);

	server_signal(&s, SIGTERM);
	ck_assert_msg(server_wait(&s, 4000), "grace_period = 500ms: the "
	    "master had not exited 4 s after SIGTERM while a worker was in "
	    "SLEEP 5000");
	server_assert_exit(&s, 0, "SIGTERM past grace_period");
	ps_assert_gone(workers.pids, workers.n, 0, "workers once the master "
	    "has exited");

	rest = client_read_all(fd, &len, &how, HARNESS_REPLY_MS);
	ck_assert_msg(how != CLIENT_TIMEOUT, "the killed worker's client "
	    "was not closed");
	ck_assert_msg(strstr(rest, "OK") == NULL, "the SLEEP 5000 cut short "
	    "by grace_period still answered: %s", harness_quote(rest, len));
	free(rest);
	close(fd);
}
END_TEST

/* SIGQUIT: stop now; the sleeping worker is killed, nobody gets "OK". */
START_TEST(test_sigquit)
{
	static const char *const args[] = { "-w", "2", NULL };
	struct pidset		 workers;
	struct server		 s;
	char			*rest;
	size_t			 len;
	int			 fd, how;

	server_start(&s, args);
	server_wait_workers(&s, 2, workers.pids);
	workers.n = 2;
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	client_send(fd, "SLEEP 5000\n");
	client_wait_consumed(fd);

	server_signal(&s, SIGQUIT);
	ck_assert_msg(server_wait(&s, 4000), "the master had not exited 4 s "
	    "after SIGQUIT (a graceful stop would wait for SLEEP 5000)");
	server_assert_exit(&s, 0, "SIGQUIT");
	ps_assert_gone(workers.pids, workers.n, 0, "workers once the master "
	    "has exited");
	rest = client_read_all(fd, &len, &how, HARNESS_REPLY_MS);
	ck_assert_msg(how != CLIENT_TIMEOUT, "the client of a killed worker "
	    "was not closed");
	ck_assert_msg(len == 0, "after SIGQUIT the client of a sleeping "
	    "worker received %s, expected nothing", harness_quote(rest, len));
	free(rest);
	close(fd);
}
END_TEST

struct titles {
	const struct server	*s;
	int			 n;
	char			 seen[512];
};

/* Every child titled "forkline: worker N", N covering 1..n. */
static bool
workers_titled(void *arg)
{
	struct titles	*t = arg;
	struct pidset	 set;
	char		 title[128];
	unsigned	 slots = 0;
	size_t		 off = 0;
	int		 i, slot;

	set.n = server_workers(t->s, set.pids, HARNESS_MAX_PIDS);
	t->seen[0] = '\0';
	for (i = 0; i < set.n; i++) {
		if (!ps_cmdline(set.pids[i], title, sizeof(title)))
			snprintf(title, sizeof(title), "?");
		off += (size_t)snprintf(t->seen + off, sizeof(t->seen) - off,
		    " \"%s\"", title);
		if (off >= sizeof(t->seen))
			off = sizeof(t->seen) - 1;
		slot = worker_slot(set.pids[i]);
		if (slot >= 1 && slot <= t->n)
			slots |= 1u << slot;
	}
	return set.n == t->n && slots == ((1u << (t->n + 1)) - 2);
}

/* Titles, and -w winning over [workers] start from the file. */
START_TEST(test_process_titles)
{
	static const char	 conf[] = "[workers]\nstart = 5\n";
	static const char *const args[] = { "-w", "3", NULL };
	char			 path[HARNESS_PATH_MAX], title[128];
	struct titles		 t;
	struct server		 s;

	start_with_config(&s, path, sizeof(path), conf, args);
	t = (struct titles){ &s, 3, "" };
	ck_assert_msg(ps_cmdline(s.pid, title, sizeof(title)) &&
	    strcmp(title, "forkline: master") == 0, "master cmdline: expected "
	    "\"forkline: master\", got \"%s\"", title);
	ck_assert_msg(harness_wait_until(workers_titled, &t, HARNESS_READY_MS),
	    "expected 3 workers titled \"forkline: worker 1\" .. \"forkline: "
	    "worker 3\", the master's children are:%s", t.seen);
	server_stop_expect_zero(&s);
}
END_TEST

static Suite *
lifecycle_suite(void)
{
	Suite	*s = suite_create("lifecycle");
	TCase	*tc;

	tc = tcase_create("workers");
	tcase_set_timeout(tc, 45);
	tcase_add_test(tc, test_worker_killed);
	suite_add_tcase(s, tc);

	/* Tagged: ps shows valgrind's own arguments for a process under
	 * valgrind, not the title, so make check-valgrind leaves it out. */
	tc = tcase_create("titles");
	tcase_set_tags(tc, "proctitle");
	tcase_set_timeout(tc, 45);
	tcase_add_test(tc, test_process_titles);
	suite_add_tcase(s, tc);

	tc = tcase_create("timeouts");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_idle_client_blocking_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("stop");
	tcase_set_timeout(tc, 45);
	tcase_add_loop_test(tc, test_graceful_stop, 0, 2);
	tcase_add_test(tc, test_grace_period_expiry);
	tcase_add_test(tc, test_sigquit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(lifecycle_suite);
}
