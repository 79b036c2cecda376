/*
 * Integration tests of forkline-bench ($FORKLINE_BENCH_BIN) against the
 * real forkline: each mode for about a second with --json, checked for
 * traffic and zero errors; a wrong --expect, nothing listening, a bad
 * flag, SIGINT mid-run; --expect-faults against a server that injects
 * faults; and redis-server with its own protocol when it is installed.
 *
 * Speed is never asserted: "> 0" is all a rate must be. Every run has
 * fewer connections than the server has workers, since a worker serves
 * one connection at a time and the others would wait (and time out).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"
#include "tests/support/json.h"
#include "tests/support/logs.h"

#define ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })
#define ARGS_MAX	32
#define RUN_MS		60000	/* a 1 s run, on a slow and busy machine */
#define SIGINT_MS	10000	/* SIGINT to exit */
#define REDIS_READY_MS	10000
#define RELOAD_MS	10000	/* a reload in place, logged */

struct bench_run {
	int	 status;
	char	*out;		/* stdout and stderr */
	size_t	 len;
};

static const char	*bench_bin(void);
static void		 bench_launch(struct server *p, const char *target,
			    const char *const args[]);
static void		 bench_collect(struct server *p, struct bench_run *r,
			    int timeout_ms);
static void		 bench(struct bench_run *r, const char *target,
			    const char *const args[]);
static void		 assert_exit(const struct bench_run *r, int code,
			    const char *what);
static double		 num(const struct bench_run *r, const char *path);
static void		 assert_clean(const struct bench_run *r,
			    const char *mode, const char *rate_field);
static const char	*tcp_target(const struct server *s);

static const char *
bench_bin(void)
{
	const char	*bin = getenv("FORKLINE_BENCH_BIN");

	ck_assert_msg(bin != NULL && *bin != '\0', "FORKLINE_BENCH_BIN is "
	    "not set: run the suites with make integration");
	ck_assert_msg(access(bin, X_OK) == 0, "FORKLINE_BENCH_BIN=%s is not "
	    "executable", bin);
	return bin;
}

/* Start forkline-bench args... target (target may be NULL). */
static void
bench_launch(struct server *p, const char *target,
    const char *const args[])
{
	const char	*argv[ARGS_MAX];
	int		 n = 0, i;

	argv[n++] = bench_bin();
	for (i = 0; args[i] != NULL; i++) {
		ck_assert_int_lt(n, ARGS_MAX - 2);
		argv[n++] = args[i];
	}
	if (target != NULL)
		argv[n++] = target;
	argv[n] = NULL;
	server_launch_program(p, argv);
}

/* Wait for a launched run to end; its status and output in r. */
static void
bench_collect(struct server *p, struct bench_run *r, int timeout_ms)
{
	if (!server_wait(p, timeout_ms)) {
		kill(p->pid, SIGKILL);
		server_wait(p, HARNESS_STOP_MS);
		r->out = server_log_read(p, &r->len);
		ck_abort_msg("forkline-bench ran past %d ms; output: %s",
		    timeout_ms, r->out ? harness_quote(r->out, r->len) : "");
	}
	r->status = p->status;
	r->out = server_log_read(p, &r->len);
	ck_assert_msg(r->out != NULL, "cannot read %s", p->log);
}

static void
bench(struct bench_run *r, const char *target, const char *const args[])
{
	struct server	 p;

	bench_launch(&p, target, args);
	bench_collect(&p, r, RUN_MS);
}

static void
assert_exit(const struct bench_run *r, int code, const char *what)
{
	ck_assert_msg(WIFEXITED(r->status) && WEXITSTATUS(r->status) == code,
	    "%s: expected exit status %d; forkline-bench %s; output: %s",
	    what, code, harness_describe_status(r->status),
	    harness_quote(r->out, r->len));
}

/* The number at path in the run's JSON, which must be valid. */
static double
num(const struct bench_run *r, const char *path)
{
	char	 err[256];
	double	 v;

	ck_assert_msg(json_validate(r->out, r->len, err, sizeof(err)),
	    "the output is not one JSON object: %s: %s", err,
	    harness_quote(r->out, r->len));
	ck_assert_msg(json_number_at(r->out, r->len, path, &v),
	    "no number at %s in %s", path, harness_quote(r->out, r->len));
	return v;
}

/*
 * A completed --json run: exit 0, the mode, a non-zero rate_field, no
 * errors, a duration near the 1 s asked for, latencies in order.
 */
static void
assert_clean(const struct bench_run *r, const char *mode,
    const char *rate_field)
{
	char	 want[64];

	assert_exit(r, 0, mode);
	snprintf(want, sizeof(want), "\"mode\":\"%s\"", mode);
	ck_assert_msg(strstr(r->out, want) != NULL, "%s not in %s", want,
	    r->out);
	ck_assert_msg(strstr(r->out, "\"partial\":false") != NULL,
	    "not a complete run: %s", r->out);
	ck_assert_msg(num(r, rate_field) > 0, "%s is 0: %s", rate_field,
	    r->out);
	ck_assert_msg(num(r, "requests") > 0, "no requests: %s", r->out);
	ck_assert_msg(num(r, "errors_total") == 0, "errors: %s", r->out);
	ck_assert_msg(num(r, "duration_s") >= 0.9 &&
	    num(r, "duration_s") < 30, "duration_s is not about 1: %s",
	    r->out);
	ck_assert_msg(num(r, "latency_us.p50") > 0 &&
	    num(r, "latency_us.p50") <= num(r, "latency_us.p99") &&
	    num(r, "latency_us.p99") <= num(r, "latency_us.p999") &&
	    num(r, "latency_us.p999") <= num(r, "latency_us.max"),
	    "latencies out of order: %s", r->out);
	ck_assert_msg(num(r, "bytes_in") > 0 && num(r, "bytes_out") > 0,
	    "no bytes counted: %s", r->out);
}

static const char *
tcp_target(const struct server *s)
{
	static char	 buf[64];

	snprintf(buf, sizeof(buf), "127.0.0.1:%d", s->port);
	return buf;
}

START_TEST(test_rr)
{
	struct server		 s;
	struct bench_run	 r;

	server_start(&s, ARGS("-w", "4"));
	bench(&r, tcp_target(&s), ARGS("-m", "rr", "-c", "2", "-d", "1",
	    "-w", "0", "-j", "-q"));
	assert_clean(&r, "rr", "requests_per_s");
	ck_assert_msg(num(&r, "conns") == 2 && num(&r, "pipeline") == 1 &&
	    num(&r, "rate") == 0, "options not reported: %s", r.out);
	/* Every reply is "PONG\n" to a "PING\n": 5 bytes each way. */
	ck_assert_msg(num(&r, "bytes_in") == 5 * num(&r, "requests"),
	    "bytes_in is not 5 per request: %s", r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

START_TEST(test_rr_pipeline)
{
	struct server		 s;
	struct bench_run	 r;

	server_start(&s, ARGS("-w", "4"));
	bench(&r, tcp_target(&s), ARGS("-P", "8", "-c", "2", "-d", "1",
	    "-w", "0", "-j", "-q", "-e", "PONG\\n"));
	assert_clean(&r, "rr", "requests_per_s");
	ck_assert_msg(num(&r, "pipeline") == 8, "pipeline: %s", r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

/* Open loop: the schedule bounds the requests, whatever the server. */
START_TEST(test_rr_rate)
{
	struct server		 s;
	struct bench_run	 r;
	double			 requests, duration;

	server_start(&s, ARGS("-w", "4"));
	bench(&r, tcp_target(&s), ARGS("-R", "2000", "-c", "2", "-d", "1",
	    "-w", "0", "-j", "-q"));
	assert_clean(&r, "rr", "requests_per_s");
	ck_assert_msg(num(&r, "rate") == 2000, "rate: %s", r.out);
	requests = num(&r, "requests");
	duration = num(&r, "duration_s");
	ck_assert_msg(requests <= 2000 * duration + 10, "%.0f requests in "
	    "%.3f s at 2000/s: more than were scheduled: %s", requests,
	    duration, r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

START_TEST(test_stream)
{
	struct server		 s;
	struct bench_run	 r;

	server_start(&s, ARGS("-w", "4", "-p", "echo"));
	bench(&r, tcp_target(&s), ARGS("-m", "stream", "-c", "2", "-d", "1",
	    "-w", "0", "-j", "-q", "--block", "4k", "--inflight", "32k"));
	assert_clean(&r, "stream", "mb_per_s");
	/* What is echoed was sent, and at most 32k per connection is not
	 * back yet. */
	ck_assert_msg(num(&r, "bytes_in") <= num(&r, "bytes_out") &&
	    num(&r, "bytes_out") - num(&r, "bytes_in") <= 2 * 32768,
	    "bytes in and out do not fit --inflight: %s", r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

START_TEST(test_connect)
{
	struct server		 s;
	struct bench_run	 r;

	server_start(&s, ARGS("-w", "4"));
	bench(&r, tcp_target(&s), ARGS("-m", "connect", "-c", "2", "-d", "1",
	    "-w", "0", "-j", "-q"));
	assert_clean(&r, "connect", "connects_per_s");
	/* One connection per request, and at most one per connection
	 * still open at the end. */
	ck_assert_msg(num(&r, "connects") >= num(&r, "requests") &&
	    num(&r, "connects") <= num(&r, "requests") + 2,
	    "connects and requests differ: %s", r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

START_TEST(test_unix_socket)
{
	char			 dir[HARNESS_PATH_MAX];
	char			 addr[HARNESS_PATH_MAX + 16];
	struct server		 s;
	struct bench_run	 r;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(addr, sizeof(addr), "unix:%s/sock", dir);
	server_start_unbound(&s, ARGS("-l", addr, "-w", "4"));
	bench(&r, addr, ARGS("-c", "2", "-d", "1", "-w", "0", "-j", "-q"));
	assert_clean(&r, "rr", "requests_per_s");
	ck_assert_msg(strstr(r.out, addr) != NULL, "target %s not in %s",
	    addr, r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

/* The text report, and a warmup that is not counted. */
START_TEST(test_text_report)
{
	static const char *const lines[] = {
		"mode:       rr\n", "conns:      2\n", "pipeline:   1\n",
		"rate:       closed loop\n", "duration:   ", "throughput: ",
		" requests/s\n", "latency:    p50 ",
		("errors:     0 (refused 0, reset 0, timeout 0, short 0, "
		"wrong 0, other 0, behind 0)\n"),
		"partial:    no\n",
	};
	struct server		 s;
	struct bench_run	 r;
	size_t			 i;

	server_start(&s, ARGS("-w", "4"));
	bench(&r, tcp_target(&s), ARGS("-c", "2", "-d", "1", "-w", "500ms",
	    "-q"));
	assert_exit(&r, 0, "text report");
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_msg(strstr(r.out, lines[i]) != NULL, "%s not in "
		    "the report: %s", harness_quote(lines[i], strlen(lines[i])),
		    r.out);
	/* The connections opened in the warmup, not in the measured time. */
	ck_assert_msg(strstr(r.out, "connects:   0\n") != NULL, "connects "
	    "made in the warmup were counted: %s", r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

START_TEST(test_expect_mismatch)
{
	struct server		 s;
	struct bench_run	 r;

	server_start(&s, ARGS("-w", "4"));
	bench(&r, tcp_target(&s), ARGS("-c", "2", "-d", "1", "-w", "0", "-j",
	    "-q", "-e", "PANG\\n"));
	assert_exit(&r, 1, "replies other than --expect");
	ck_assert_msg(num(&r, "errors.wrong") > 0 &&
	    num(&r, "errors_total") == num(&r, "errors.wrong") &&
	    num(&r, "requests") == 0, "expected only wrong replies: %s",
	    r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

START_TEST(test_nothing_listening)
{
	char			 target[64], want[128];
	struct bench_run	 r;

	snprintf(target, sizeof(target), "127.0.0.1:%d", harness_free_port());
	bench(&r, target, ARGS("-d", "1", "-j", "-q"));
	assert_exit(&r, 2, "nobody listening");
	snprintf(want, sizeof(want), "forkline-bench: cannot connect to %s: "
	    "Connection refused\n", target);
	ck_assert_str_eq(r.out, want);
	free(r.out);
}
END_TEST

START_TEST(test_bad_flag)
{
	struct bench_run	 r;

	bench(&r, NULL, ARGS("--mode", "fast"));
	assert_exit(&r, 64, "--mode fast");
	ck_assert_str_eq(r.out, "forkline-bench: --mode: 'fast' is not one "
	    "of rr, stream, connect (try 'forkline-bench -h')\n");
	free(r.out);

	bench(&r, NULL, ARGS("-c", "lots"));
	assert_exit(&r, 64, "-c lots");
	ck_assert_msg(strstr(r.out, "--conns: 'lots' is not a number") !=
	    NULL, "unexpected message: %s", r.out);
	free(r.out);

	bench(&r, NULL, ARGS("--help"));
	assert_exit(&r, 0, "--help");
	ck_assert_msg(strstr(r.out, "usage: forkline-bench") != NULL,
	    "no usage in %s", r.out);
	free(r.out);
}
END_TEST

/* SIGINT stops a 60 s run at once, with the report marked partial. */
START_TEST(test_sigint_partial)
{
	struct server		 s, p;
	struct bench_run	 r;
	int64_t			 t0;

	server_start(&s, ARGS("-w", "4"));
	bench_launch(&p, tcp_target(&s), ARGS("-c", "2", "-d", "60", "-w",
	    "0", "-j", "-q"));
	harness_sleep_ms(2000);	/* some requests served, on a busy machine */
	t0 = harness_now_ms();
	server_signal(&p, SIGINT);
	bench_collect(&p, &r, SIGINT_MS);
	ck_assert_msg(harness_now_ms() - t0 < SIGINT_MS, "slow to stop");
	assert_exit(&r, 0, "SIGINT");
	ck_assert_msg(strstr(r.out, "\"partial\":true") != NULL, "not "
	    "partial: %s", r.out);
	ck_assert_msg(num(&r, "requests") > 0 && num(&r, "duration_s") < 30,
	    "expected about 2 s of requests: %s", r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * A server whose workers inject reset = 2 % and error = 5 %, set by a
 * reload in place once it serves (its readiness probe must not be
 * faulted).
 */
static void
faults_server(struct server *s, char *path, size_t pathlen)
{
	harness_write_file(path, pathlen, "faults-", ".conf",
	    "[workers]\nstart = 4\n");
	server_start(s, ARGS("-c", path));
	harness_rewrite_file(path, "[workers]\nstart = 4\n[faults]\n"
	    "reset = 2%\nerror = 5%\nseed = 7\n");
	server_signal(s, SIGHUP);
	ck_assert_msg(server_log_wait(s, "only [faults] changed", RELOAD_MS),
	    "no reload in place of [faults] (log %s)", s->log);
}

/*
 * The faults the server injects, expected: exit 0, every outcome counted
 * once (a reply, or the error that ended its connection), and each kind
 * seen. Expected wrong (reset 10 %): exit 1, the reset line outside.
 */
START_TEST(test_expect_faults)
{
	char			 path[HARNESS_PATH_MAX], want[128];
	struct server		 s;
	struct bench_run	 r;

	faults_server(&s, path, sizeof(path));
	bench(&r, tcp_target(&s), ARGS("-c", "2", "-d", "1", "-w", "0", "-j",
	    "-q", "-e", "PONG\\n", "--expect-faults", "reset=2%,error=5%"));
	assert_exit(&r, 0, "the faults the server injects");
	ck_assert_msg(num(&r, "errors.reset") > 0 && num(&r, "errors.wrong") >
	    0 && num(&r, "errors_total") == num(&r, "errors.reset") +
	    num(&r, "errors.wrong"), "expected resets and error replies "
	    "only: %s", r.out);
	ck_assert_msg(num(&r, "attempted") == num(&r, "requests") +
	    num(&r, "errors_total"), "attempted is not replies and errors: "
	    "%s", r.out);
	ck_assert_int_eq(json_array_len_at(r.out, r.len, "faults.checks"), 2);
	/* Every wrong reply was the injected one. */
	snprintf(want, sizeof(want), "{\"kind\":\"error\",\"expected\":"
	    "0.049,\"seen\":%.0f,", num(&r, "errors.wrong"));
	ck_assert_msg(strstr(r.out, want) != NULL, "%s not in %s", want,
	    r.out);
	snprintf(want, sizeof(want), "{\"kind\":\"reset\",\"expected\":"
	    "0.02,\"seen\":%.0f,\"of\":%.0f,", num(&r, "errors.reset"),
	    num(&r, "attempted"));
	ck_assert_msg(strstr(r.out, want) != NULL, "%s not in %s", want,
	    r.out);
	ck_assert_msg(strstr(r.out, "\"unexplained_errors\":0,\"ok\":true}")
	    != NULL, "not ok: %s", r.out);
	free(r.out);

	bench(&r, tcp_target(&s), ARGS("-c", "2", "-d", "1", "-w", "0", "-q",
	    "-e", "PONG\\n", "--expect-faults", "reset=10%,error=5%"));
	assert_exit(&r, 1, "a reset rate that is not the server's");
	ck_assert_msg(strstr(r.out, "faults expected against seen (99.9% "
	    "Wilson score interval):\n  reset   10.000%   seen ") != NULL,
	    "no fault report: %s", r.out);
	ck_assert_msg(strstr(r.out, "   outside\n  error   4.500%   seen ") !=
	    NULL, "the reset line is not outside: %s", r.out);
	free(r.out);

	/* Errors no fault given explains: the error replies. */
	bench(&r, tcp_target(&s), ARGS("-c", "2", "-d", "1", "-w", "0", "-q",
	    "-e", "PONG\\n", "--expect-faults", "reset=2%"));
	assert_exit(&r, 1, "error replies not expected");
	ck_assert_msg(strstr(r.out, "  errors the faults do not explain: ") !=
	    NULL, "unexplained errors not reported: %s", r.out);
	free(r.out);
	server_stop_expect_zero(&s);
}
END_TEST

static bool
redis_ready(void *arg)
{
	int	 fd, port = *(int *)arg;
	char	 line[64];
	bool	 ok;

	/* client_connect asserts; probe with a plain connect first. */
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return false;
	{
		struct sockaddr_in sin = { .sin_family = AF_INET,
		    .sin_port = htons((uint16_t)port),
		    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	}
	if (ok) {
		client_send(fd, "PING\r\n");
		ok = client_read_line(fd, line, sizeof(line), 2000) > 0 &&
		    strcmp(line, "+PONG\r\n") == 0;
	}
	close(fd);
	return ok;
}

/* Another server's line protocol: redis, with --expect and a pipeline. */
START_TEST(test_redis)
{
	char			 port_text[16], target[32];
	struct server		 redis;
	struct bench_run	 r;
	int			 port;

	if (system("command -v redis-server >/dev/null 2>&1") != 0) {
		fprintf(stderr, "check_bench: redis-server is not installed "
		    "(scripts/install-deps --bench); test_redis skipped\n");
		return;
	}
	port = harness_free_port();
	snprintf(port_text, sizeof(port_text), "%d", port);
	server_launch_program(&redis, ARGS("/usr/bin/env", "redis-server",
	    "--port", port_text, "--bind", "127.0.0.1", "--save", "",
	    "--appendonly", "no"));
	ck_assert_msg(harness_wait_until(redis_ready, &port, REDIS_READY_MS),
	    "redis-server did not answer PING on port %d", port);
	snprintf(target, sizeof(target), "127.0.0.1:%d", port);
	bench(&r, target, ARGS("-c", "4", "-P", "4", "-d", "1", "-w", "0",
	    "-j", "-q", "-r", "PING\\r\\n", "-e", "+PONG\\r\\n"));
	assert_clean(&r, "rr", "requests_per_s");
	ck_assert_msg(num(&r, "bytes_in") == 7 * num(&r, "requests"),
	    "bytes_in is not 7 per +PONG: %s", r.out);
	free(r.out);
	server_stop(&redis);
}
END_TEST

static Suite *
bench_suite(void)
{
	Suite	*s = suite_create("bench");
	TCase	*tc;

	tc = tcase_create("modes");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_rr);
	tcase_add_test(tc, test_rr_pipeline);
	tcase_add_test(tc, test_rr_rate);
	tcase_add_test(tc, test_stream);
	tcase_add_test(tc, test_connect);
	tcase_add_test(tc, test_unix_socket);
	tcase_add_test(tc, test_text_report);
	tcase_add_test(tc, test_redis);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_expect_mismatch);
	tcase_add_test(tc, test_nothing_listening);
	tcase_add_test(tc, test_bad_flag);
	tcase_add_test(tc, test_sigint_partial);
	tcase_add_test(tc, test_expect_faults);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(bench_suite);
}
