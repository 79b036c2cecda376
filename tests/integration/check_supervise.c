/*
 * Integration tests of supervision (DESIGN.md "Supervision", "Signals"):
 * crashed workers replaced and logged once, crash loops that do not spin,
 * fatal_after, hung workers killed (and long requests not taken for hangs),
 * recycling without a lost request, the dynamic pool growing and
 * shrinking, TTIN/TTOU, and the workers' end when the master is SIGKILLed.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/backoff.h"
#include "tests/support/harness.h"
#include "tests/support/json.h"
#include "tests/support/load.h"

#define SLACK_MS		6000

/* Write conf to a new file, start the server with -c FILE and extra. */
static void
start_with_config(struct server *s, const char *conf,
    const char *const extra[], bool wait_ready)
{
	static char	 path[HARNESS_PATH_MAX];
	const char	*args[16] = { "-c", path };
	int		 i;

	harness_write_file(path, sizeof(path), "supervise-", ".conf", conf);
	for (i = 0; extra[i] != NULL; i++)
		args[i + 2] = extra[i];
	args[i + 2] = NULL;
	if (wait_ready)
		server_start(s, args);
	else
		server_launch(s, args);
}

/* Worker pids from the master's "started worker N (pid P, ..." lines. */
static int
started_pids(const struct server *s, pid_t *out, int max)
{
	const char	*key = "started worker ";
	char		*text, *p;
	long		 slot, pid;
	int		 n = 0;

	if ((text = server_log_read(s, NULL)) == NULL)
		return 0;
	for (p = text; n < max && (p = strstr(p, key)) != NULL; p++)
		if (sscanf(p, "started worker %ld (pid %ld,", &slot,
		    &pid) == 2)
			out[n++] = (pid_t)pid;
	free(text);
	return n;
}

/* ", and the worker is still alive (state S, ...)", or "" if it is gone. */
static const char *
still_alive(pid_t pid)
{
	static char	 text[256];
	char		 what[192];

	if (!ps_alive(pid))
		return "";
	snprintf(text, sizeof(text), ", and the worker is still alive (%s)",
	    ps_describe(pid, what, sizeof(what)));
	return text;
}

/* Wait for gone's replacement; assert exactly one pid is new. */
static void
assert_replaced(const struct server *s, pid_t gone, int n,
    const struct pidset *before, int timeout_ms, const char *what)
{
	struct replaced	 r = { s, gone, n, { { 0 }, 0 } };
	int		 i, fresh = 0;

	ck_assert_msg(harness_wait_until(worker_replaced, &r, timeout_ms),
	    "%s: expected worker %ld gone and the master back to %d workers "
	    "within %d ms; it has %d children [%s]%s", what, (long)gone, n,
	    timeout_ms, r.now.n, pidset_text(&r.now), still_alive(gone));
	for (i = 0; i < r.now.n; i++)
		if (!pidset_has(before, r.now.pids[i]))
			fresh++;
	ck_assert_msg(fresh == 1, "%s: expected exactly one new worker pid, "
	    "found %d (before [%s])", what, fresh, pidset_text(before));
}

/*
 * 1. SIGSEGV one worker of four: it is replaced by a new pid and the
 * master logs its crash exactly once.
 */
START_TEST(test_crash_replaced)
{
	static const char *const args[] = { "-w", "4", NULL };
	struct pidset	 before;
	struct server	 s;
	char		 needle[64];
	pid_t		 victim;

	server_start(&s, args);
	server_wait_workers(&s, 4, before.pids);
	before.n = 4;
	victim = before.pids[1];
	ck_assert_int_eq(kill(victim, SIGSEGV), 0);
	assert_replaced(&s, victim, 4, &before, HARNESS_READY_MS,
	    "after SIGSEGV of a worker");

	snprintf(needle, sizeof(needle), "(pid %ld) crashed", (long)victim);
	assert_log(&s, log_wait_count(&s, needle, 0, 1, HARNESS_READY_MS),
	    needle, "expected a master line \"worker N %s: ...\"", needle);
	client_ping(&s);
	harness_sleep_ms(300);	/* room for a duplicate to show */
	assert_log(&s, log_count(&s, needle, 0) == 1, needle, "expected "
	    "exactly one \"%s\" line, found %d", needle,
	    log_count(&s, needle, 0));
	assert_log(&s, log_count(&s, "crashed", 0) == 1, "crashed",
	    "one worker crashed; expected one \"crashed\" line in all");
	server_stop_expect_zero(&s);
}
END_TEST

static const char crash_conf[] =
    "[workers]\n"
    "restart_backoff_initial = 100ms\n"
    "restart_backoff_max = 2s\n"
    "fatal_after = 0\n";

/* Every worker crashes at once: start, wait for the master's own line. */
static void
start_crashing(struct server *s, const char *conf)
{
	static const char *const extra[] = { "-w", "4", "-v", NULL };

	ck_assert_int_eq(setenv("FORKLINE_TEST_FAULT", "crash-on-start", 1),
	    0);
	start_with_config(s, conf, extra, false);
	unsetenv("FORKLINE_TEST_FAULT");
	if (!server_log_wait(s, " started: ", HARNESS_READY_MS)) {
		server_wait(s, 0);
		assert_log(s, false, "", "no \"started\" line from the master "
		    "within %d ms; it %s", HARNESS_READY_MS, s->reaped ?
		    harness_describe_status(s->status) : "is running");
	}
}

/* SIGTERM: the master exits 0 within a few seconds, no worker left. */
static void
stop_crashing(struct server *s)
{
	pid_t	 pids[4096];
	int	 n;

	server_signal(s, SIGTERM);
	if (!server_wait(s, 3000))
		assert_log(s, false, "SIGTERM", "a crash-looping master did "
		    "not exit within 3 s of SIGTERM");
	server_assert_exit(s, 0, "SIGTERM during a crash loop");
	n = started_pids(s, pids, 4096);
	ps_assert_gone(pids, n, 2000, "workers of a stopped master");
}

/*
 * 2a. A worker that crashes on start is restarted with a per-slot
 * exponential backoff: 4 slots from 100 ms doubling to 2 s fork about 30
 * times in 5 s, never hundreds. After CRASHLOOP_DEATHS early deaths the
 * one-line-per-crash stops.
 */
/*
 * A young worker killed from outside after it served a connection is
 * back at once: with restart_backoff_initial = 20s any backoff would hold
 * the slot for at least 10 s. (test_crash_loop_backoff covers workers
 * that die before serving anyone.)
 */
START_TEST(test_young_killed_after_serving)
{
	static const char conf[] = "[workers]\nrestart_backoff_initial = 20s\n"
	    "restart_backoff_max = 1m\n";
	static const char *const extra[] = { "-w", "2", NULL };
	struct info_reply info;
	struct pidset	 before;
	struct server	 s;
	int		 fd;

	start_with_config(&s, conf, extra, true);
	server_wait_workers(&s, 2, before.pids);
	before.n = 2;
	fd = client_open(&s);
	client_info(fd, &info);
	close(fd);
	ck_assert_int_eq(kill((pid_t)info.pid, SIGKILL), 0);
	assert_replaced(&s, (pid_t)info.pid, 2, &before, 8000,
	    "a worker killed 1 s after its start, having served a client");
	server_stop_expect_zero(&s);
}
END_TEST

START_TEST(test_crash_loop_backoff)
{
	struct server	 s;
	int		 forks, crashed;
	int64_t		 t0;

	start_crashing(&s, crash_conf);
	t0 = harness_now_ms();
	while (harness_now_ms() - t0 < 5000) {
		ck_assert_msg(!server_wait(&s, 0), "the master %s during a "
		    "crash loop with fatal_after = 0 (log %s)",
		    harness_describe_status(s.status), s.log);
		harness_sleep_ms(50);
	}
	forks = log_count(&s, "started worker ", 0);
	crashed = log_count(&s, "crashed", 0);
	assert_log(&s, forks > 4 && forks < 60, "started worker",
	    "crash loop, 4 slots, backoff 100 ms .. 2 s: expected between 5 "
	    "and 59 forks in 5 s, counted %d \"started worker\" lines", forks);
	assert_log(&s, crashed >= 1 && crashed <= CRASHLOOP_DEATHS + 2,
	    "crashed", "%d forks that crashed: expected 1..%d \"crashed\" "
	    "lines (individual lines stop after %d early deaths), found %d",
	    forks, CRASHLOOP_DEATHS + 2, CRASHLOOP_DEATHS, crashed);
	stop_crashing(&s);
}
END_TEST

/*
 * 2b. In a crash loop the master sums up the suppressed crashes in one
 * "crash loop:" line per window (CRASHLOOP_WINDOW_MS), and still stops at
 * once on SIGTERM.
 */
START_TEST(test_crash_loop_summary)
{
	int		 wait_ms = CRASHLOOP_WINDOW_MS + 3000;
	struct server	 s;
	int		 crashed;

	start_crashing(&s, crash_conf);
	assert_log(&s, log_wait_count(&s, "crash loop: ", 0, 1, wait_ms),
	    "crash", "expected a \"crash loop: N more workers died early\" "
	    "line within %d ms of starting", wait_ms);
	crashed = log_count(&s, "crashed", 0);
	assert_log(&s, crashed <= CRASHLOOP_DEATHS + 2, "crashed",
	    "expected at most %d \"crashed\" lines in a crash loop, found "
	    "%d", CRASHLOOP_DEATHS + 2, crashed);
	assert_log(&s, log_count(&s, "crash loop: ", 0) == 1, "crash loop",
	    "expected one summary per %d s window",
	    CRASHLOOP_WINDOW_MS / 1000);
	stop_crashing(&s);
}
END_TEST

/*
 * 3. fatal_after: when no worker has served for that long, the master
 * gives up with status 69 and leaves no worker behind.
 */
START_TEST(test_fatal_after)
{
	static const char conf[] =
	    "[workers]\n"
	    "restart_backoff_initial = 100ms\n"
	    "restart_backoff_max = 2s\n"
	    "fatal_after = 1s\n";
	struct server	 s;
	pid_t		 pids[4096];
	int		 n;

	start_crashing(&s, conf);
	if (!server_wait(&s, 1000 + SLACK_MS))
		assert_log(&s, false, "fatal", "fatal_after = 1s and every "
		    "worker crashes: the master still runs %d ms later",
		    1000 + SLACK_MS);
	n = started_pids(&s, pids, 4096);
	ps_assert_gone(pids, n, 2000, "workers of a master that gave up");
	assert_log(&s, WIFEXITED(s.status) && WEXITSTATUS(s.status) == 69,
	    "fatal", "fatal_after: expected exit status 69; the master %s",
	    harness_describe_status(s.status));
	assert_log(&s, n >= 1, "started worker", "no worker was started");
}
END_TEST

static const char hang_conf[] =
    "[workers]\n"
    "heartbeat_interval = 100ms\n"
    "worker_timeout = 1s\n"
    "kill_grace = 500ms\n"
    "[connection]\n"
    "max_sleep = 10s\n";

/*
 * 4a. A stopped worker sends no heartbeat: after worker_timeout and
 * kill_grace it is killed, replaced, and logged as hung.
 */
START_TEST(test_hung_worker)
{
	static const char *const extra[] = { "-w", "2", NULL };
	struct pidset	 before;
	struct server	 s;
	char		 needle[64];
	pid_t		 victim;

	start_with_config(&s, hang_conf, extra, true);
	server_wait_workers(&s, 2, before.pids);
	before.n = 2;
	victim = before.pids[0];
	ck_assert_int_eq(kill(victim, SIGSTOP), 0);
	assert_replaced(&s, victim, 2, &before, 1000 + 500 + SLACK_MS,
	    "a SIGSTOPped worker, worker_timeout = 1s, kill_grace = 500ms");
	snprintf(needle, sizeof(needle), "(pid %ld)", (long)victim);
	assert_log(&s, log_wait_count(&s, "killed as hung", 0, 1, 2000),
	    needle, "expected \"worker N %s ...: killed as hung\"", needle);
	assert_log(&s, log_count(&s, "hung", 0) >= 1 &&
	    log_count(&s, needle, 0) >= 1, needle,
	    "the \"hung\" lines do not name the worker's pid %ld",
	    (long)victim);
	assert_log(&s, log_count(&s, "crashed", 0) == 0, "crashed",
	    "a worker killed as hung was also reported as crashed");
	client_ping(&s);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 4c. A worker being killed as hung serves nobody: from the moment the
 * master sends SIGABRT until its SIGKILL (kill_grace, long here), it must
 * not count as serving. A dynamic pool with min_spare = 0 does not replace
 * it, so with min_ready = start = 2, /healthz must say 503 and /status
 * must show one idle worker and the hung one as "killing".
 */
static const char killing_conf[] =
    "[workers]\n"
    "mode = dynamic\n"
    "start = 2\n"
    "min_ready = 2\n"
    "min_spare = 0\n"
    "max_spare = 2\n"
    "max = 2\n"
    "heartbeat_interval = 100ms\n"
    "worker_timeout = 1s\n"
    "kill_grace = 30s\n";

static char *
admin_get(int port, const char *path, int *status)
{
	char request[128];

	snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\n\r\n", path);
	return harness_http_get(port, request, status);
}

static const char *
body_start(const char *text)
{
	const char *p = strstr(text, "\r\n\r\n");

	ck_assert_msg(p != NULL, "no end of headers: %s", text);
	return p + 4;
}

START_TEST(test_killing_not_serving)
{
	char		 admin[32], row[96], *text;
	const char	*extra[] = { "-a", admin, NULL };
	struct server	 s;
	pid_t		 pids[2];
	double		 idle = -1;
	int		 port = harness_free_port(), status, i;

	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	start_with_config(&s, killing_conf, extra, true);
	server_wait_workers(&s, 2, pids);
	/* Healthy once both report ready (the harness's probe needed one). */
	for (i = 0, text = NULL, status = 0; i < 200 && status != 200; i++) {
		free(text);
		if (i > 0)
			harness_sleep_ms(25);
		text = admin_get(port, "/healthz", &status);
	}
	ck_assert_msg(status == 200, "/healthz before the hang: %d %s",
	    status, text != NULL ? text : "(no answer)");
	free(text);
	ck_assert_int_eq(kill(pids[0], SIGSTOP), 0);
	assert_log(&s, server_log_wait(&s, "hung; aborting it", 1000 +
	    SLACK_MS), "hung", "the stopped worker %ld was not found hung",
	    (long)pids[0]);

	text = admin_get(port, "/healthz", &status);
	ck_assert_msg(status == 503 && text != NULL &&
	    strstr(text, "starting") != NULL, "/healthz counts a worker "
	    "being killed as hung as serving: %d %s", status,
	    text != NULL ? text : "(no answer)");
	free(text);

	text = admin_get(port, "/status", &status);
	ck_assert_msg(status == 200 && text != NULL, "/status: %d", status);
	snprintf(row, sizeof(row), "\"pid\":%ld,\"generation\":1,"
	    "\"state\":\"killing\"", (long)pids[0]);
	ck_assert_msg(strstr(text, row) != NULL, "/status does not show "
	    "worker %ld as killing: %s", (long)pids[0], text);
	ck_assert_msg(json_number_at(body_start(text), strlen(body_start(text)),
	    "pool.idle", &idle) && idle == 1, "/status pool.idle = %g with "
	    "one worker hung: %s", idle, text);
	free(text);

	ck_assert_int_eq(kill(pids[0], SIGKILL), 0);
	assert_log(&s, log_wait_count(&s, "killed as hung", 0, 1, SLACK_MS),
	    "killed as hung", "no \"killed as hung\" line for %ld",
	    (long)pids[0]);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 4b. A request that takes longer than worker_timeout is not a hang:
 * the worker keeps sending heartbeats while it sleeps.
 */
START_TEST(test_long_request_not_hung)
{
	static const char *const extra[] = { "-w", "2", NULL };
	struct info_reply before, after;
	struct server	 s;
	int64_t		 t0, took;
	int		 fd;

	start_with_config(&s, hang_conf, extra, true);
	fd = client_open(&s);
	client_info(fd, &before);
	t0 = harness_now_ms();
	client_request(fd, "SLEEP 3000\n", "OK\n");
	took = harness_now_ms() - t0;
	client_info(fd, &after);
	ck_assert_msg(took >= 2900, "SLEEP 3000 answered after %lld ms",
	    (long long)took);
	ck_assert_msg(after.pid == before.pid, "the session moved from worker "
	    "%ld to %ld", before.pid, after.pid);
	close(fd);
	assert_log(&s, log_count(&s, "hung", 0) == 0, "hung",
	    "a worker busy in SLEEP 3000 (worker_timeout = 1s, heartbeats "
	    "every 100ms) was taken for hung");
	ck_assert_msg(ps_alive((pid_t)before.pid), "the sleeping worker %ld "
	    "is gone", before.pid);
	server_stop_expect_zero(&s);
}
END_TEST

/* Has the master logged that worker pid asks to be recycled? */
static bool
asked_recycle(const struct server *s, pid_t pid)
{
	char	 needle[64];

	snprintf(needle, sizeof(needle), "(pid %ld) asks to be recycled",
	    (long)pid);
	return log_count(s, needle, 0) > 0;
}

/*
 * 5. max_requests = 50 with 4 clients on 2 workers, 600 requests in
 * short connections: every worker past max_requests is recycled, no
 * request fails (a client told "BYE shutting down" reconnects and sends
 * again).
 */
START_TEST(test_recycle_no_loss)
{
	static const char conf[] = "[workers]\nmax_requests = 50\n";
	static const char *const extra[] = { "-w", "2", NULL };
	struct load_spec spec = { .clients = 4, .total = 600, .per_conn = 5,
	    .kind = LOAD_PING };
	const struct load_result *r;
	struct pidset	 before;
	struct server	 s;
	struct load	*l;
	int		 asked, recycled, i;

	start_with_config(&s, conf, extra, true);
	server_wait_workers(&s, 2, before.pids);
	before.n = 2;
	spec.port = s.port;
	l = load_new(&spec);
	ck_assert_msg(load_run(l, 60000), "600 requests not done within 60 "
	    "s: %s", load_describe(l));
	r = load_result(l);
	ck_assert_msg(r->failed == 0 && r->ok == 600, "recycling lost "
	    "requests: %s (server log %s)", load_describe(l), s.log);
	load_log(l, "recycling");
	load_free(l);

	/*
	 * Which workers reach max_requests is the kernel's choice: with
	 * EPOLLEXCLUSIVE a connection wakes one waiting worker, not each in
	 * turn, and one may take most of the load while the other stays
	 * under 50. Every first worker that asked is recycled, and at least
	 * one asked (600 requests on 2). A worker leaves once its
	 * replacement is up, which may be after the last reply.
	 */
	asked = 0;
	for (i = 0; i < before.n; i++) {
		if (!asked_recycle(&s, before.pids[i]))
			continue;
		asked++;
		ps_assert_gone(&before.pids[i], 1, HARNESS_READY_MS,
		    "a first worker that asked to be recycled");
	}
	/* Gone is dead, maybe not yet reaped and logged. */
	log_wait_count(&s, ") recycled after", 0, asked, HARNESS_READY_MS);
	recycled = log_count(&s, ") recycled after", 0);
	assert_log(&s, asked >= 1 && recycled >= asked, "recycled", "600 "
	    "requests on 2 workers with max_requests = 50: %d of the first "
	    "workers asked to be recycled (expected 1 or 2), %d \"recycled "
	    "after\" lines", asked, recycled);
	server_wait_workers(&s, 2, before.pids);
	assert_log(&s, log_count(&s, "crashed", 0) == 0, "crashed",
	    "a worker crashed during recycling");
	server_stop_expect_zero(&s);
}
END_TEST

struct count_at_most {
	const struct server	*s;
	int			 max;
	int			 n;
};

static bool
children_at_most(void *arg)
{
	struct count_at_most	*c = arg;
	pid_t			 pids[HARNESS_MAX_PIDS];

	c->n = server_workers(c->s, pids, HARNESS_MAX_PIDS);
	return c->n <= c->max;
}

/*
 * 6. Dynamic pool: 200 connections at once, each "SLEEP 1500", make the
 * pool grow well above start (toward max = 64); all are answered; once
 * they are gone, idle workers above max_spare are retired after the
 * 2 s idle grace.
 */
START_TEST(test_dynamic_grow_shrink)
{
	static const char conf[] =
	    "[workers]\n"
	    "mode = dynamic\n"
	    "start = 2\n"
	    "min_spare = 1\n"
	    "max_spare = 4\n"
	    "max = 64\n";
	static const char *const none[] = { NULL };
	struct load_spec spec = { .clients = 200, .total = 200, .per_conn = 1,
	    .kind = LOAD_SLEEP, .sleep_ms = 1500, .reply_ms = 50000 };
	struct count_at_most	 c;
	pid_t			 pids[HARNESS_MAX_PIDS];
	struct server		 s;
	struct load		*l;
	int64_t			 t0, peak_at = 0;
	int			 n, peak = 0;

	start_with_config(&s, conf, none, true);
	spec.port = s.port;
	l = load_new(&spec);
	t0 = harness_now_ms();
	while (!load_run(l, 100) && harness_now_ms() - t0 < 55000) {
		n = server_workers(&s, pids, HARNESS_MAX_PIDS);
		if (n > peak) {
			peak = n;
			peak_at = harness_now_ms() - t0;
		}
	}
	ck_assert_msg(load_done(l), "200 x SLEEP 1500 not done within 55 s: "
	    "%s", load_describe(l));
	ck_assert_msg(load_result(l)->failed == 0 &&
	    load_result(l)->ok == 200, "dynamic pool: %s (server log %s)",
	    load_describe(l), s.log);
	load_log(l, "dynamic pool");
	load_free(l);
	assert_log(&s, peak >= 20, "pool", "200 concurrent SLEEP 1500, "
	    "dynamic pool start 2, max 64: expected at least 20 workers at "
	    "some point, the most seen was %d (after %lld ms)", peak,
	    (long long)peak_at);
	ck_assert_msg(peak <= 64 + 4, "the pool grew to %d children, beyond "
	    "max = 64", peak);

	c = (struct count_at_most){ &s, 1 + 4 + 1, 0 };
	assert_log(&s, harness_wait_until(children_at_most, &c, 10000),
	    "retiring", "the load is over (peak %d workers): expected at most "
	    "%d workers (max_spare 4 + min_spare 1 + 1) within 10 s, the "
	    "master has %d", peak, c.max, c.n);
	client_ping(&s);
	server_stop_expect_zero(&s);
}
END_TEST

/* 7. SIGTTIN adds a worker to a static pool, SIGTTOU takes one away. */
START_TEST(test_ttin_ttou)
{
	static const char *const args[] = { "-w", "3", NULL };
	static const struct {
		int		 sig;
		const char	*line;
		int		 n;
	} steps[] = {
		{ SIGTTIN, "SIGTTIN: pool size now 4", 4 },
		{ SIGTTOU, "SIGTTOU: pool size now 3", 3 },
		{ SIGTTOU, "SIGTTOU: pool size now 2", 2 },
	};
	pid_t		 pids[HARNESS_MAX_PIDS];
	struct server	 s;
	size_t		 i;

	server_start(&s, args);
	server_wait_workers(&s, 3, pids);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		/* One at a time: two pending signals would merge into one. */
		server_signal(&s, steps[i].sig);
		assert_log(&s, server_log_wait(&s, steps[i].line,
		    HARNESS_READY_MS), "pool size", "after %s: expected \"%s\" "
		    "in the log", strsignal(steps[i].sig), steps[i].line);
		server_wait_workers(&s, steps[i].n, pids);
	}
	client_ping(&s);
	server_stop_expect_zero(&s);
}
END_TEST

/* Can a listening socket be bound on 127.0.0.1:port again? */
static bool
port_free(void *arg)
{
	struct sockaddr_in	 sin;
	int			 fd, on = 1, ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)*(int *)arg);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    listen(fd, 1) == 0;
	close(fd);
	return ok;
}

/*
 * 10. SIGKILL the master: every worker sees the lifeline's EOF. The one
 * in the middle of "SLEEP 500" finishes it; then all of them exit and
 * the listening socket is released.
 */
START_TEST(test_master_sigkill)
{
	static const char *const args[] = { "-w", "4", NULL };
	struct pidset	 workers;
	struct server	 s;
	char		 line[256], *rest;
	size_t		 len;
	int		 fd, r, how, port;

	server_start(&s, args);
	server_wait_workers(&s, 4, workers.pids);
	workers.n = 4;
	port = s.port;
	ck_assert_msg(!port_free(&port), "127.0.0.1:%d can be bound while the "
	    "server listens there: this check could not see a leak", port);
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	client_send(fd, "SLEEP 500\n");
	client_wait_consumed(fd);
	server_signal(&s, SIGKILL);
	ck_assert_msg(server_wait(&s, 2000), "SIGKILLed master not reaped");

	r = client_read_line(fd, line, sizeof(line), HARNESS_REPLY_MS);
	ck_assert_msg(r > 0 && strcmp(line, "OK\n") == 0, "master SIGKILLed "
	    "during SLEEP 500: expected the worker to finish it with \"OK\\n\", "
	    "got %s", r > 0 ? harness_quote(line, (size_t)r) :
	    client_result_name(r));
	/* A goodbye may come (the worker stops), then the close. */
	rest = client_read_all(fd, &len, &how, HARNESS_REPLY_MS);
	ck_assert_msg(how == CLIENT_EOF && (len == 0 ||
	    strcmp(rest, "BYE shutting down\n") == 0), "after \"OK\": expected "
	    "the connection closed (EOF, perhaps after \"BYE shutting "
	    "down\"), got %s after %s", client_result_name(how),
	    harness_quote(rest, len));
	free(rest);
	close(fd);

	ps_assert_gone(workers.pids, workers.n, 2000, "workers of a master "
	    "killed by SIGKILL");
	ck_assert_msg(harness_wait_until(port_free, &port, 2000), "the workers "
	    "are gone but 127.0.0.1:%d cannot be bound: something still "
	    "listens there", port);
}
END_TEST

static Suite *
supervise_suite(void)
{
	Suite	*s = suite_create("supervise");
	TCase	*tc;

	/*
	 * Tagged: memcheck does not always deliver a SIGSEGV sent with
	 * kill(2). It arrives through valgrind's handler for faults, which
	 * queues it by hand when the worker is running rather than waiting
	 * in a system call; in 3 of 15 runs here it was never delivered, and
	 * the worker went on waking in epoll_pwait with no signal pending.
	 * make check-valgrind leaves it out. The crash-loop tests below
	 * crash workers with raise(3), which memcheck delivers, and this one
	 * runs in make check and under both sanitizers.
	 */
	tc = tcase_create("crash-kill");
	tcase_set_tags(tc, "kill-sigsegv");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_crash_replaced);
	suite_add_tcase(s, tc);

	tc = tcase_create("crash");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_crash_loop_backoff);
	tcase_add_test(tc, test_young_killed_after_serving);
	tcase_add_test(tc, test_crash_loop_summary);
	tcase_add_test(tc, test_fatal_after);
	suite_add_tcase(s, tc);

	tc = tcase_create("hang");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hung_worker);
	tcase_add_test(tc, test_long_request_not_hung);
	tcase_add_test(tc, test_killing_not_serving);
	suite_add_tcase(s, tc);

	tc = tcase_create("pool");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_recycle_no_loss);
	tcase_add_test(tc, test_dynamic_grow_shrink);
	tcase_add_test(tc, test_ttin_ttou);
	suite_add_tcase(s, tc);

	tc = tcase_create("master");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_master_sigkill);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	struct rlimit	 no_core = { 0, 0 };

	/* Workers killed by SIGSEGV or SIGABRT must not write core files. */
	setrlimit(RLIMIT_CORE, &no_core);
	return harness_main(supervise_suite);
}
