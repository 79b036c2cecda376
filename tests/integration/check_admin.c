/*
 * Integration tests of the admin HTTP endpoint: /healthz, /status,
 * /metrics, errors, and health while workers cannot start.
 */
#include <sys/socket.h>
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"
#include "tests/support/json.h"
#include "tests/support/prom.h"

#define REQUESTS	25	/* sent by the counting tests */
#define CONNECTIONS	5	/* over this many connections */
#define REPORT_MS	5000	/* for the workers' reports to arrive */
#define SLOWLORIS_BOUND_MS 7000	/* the admin timeout (5 s) and a margin */

static const char *body_of(const char *text);
static void	 admin_launch(struct server *s, int admin_port,
		    const char *conf);
static bool	 healthz_ok(int port, char *why, size_t len);
static void	 send_requests(const struct server *s);
static char	*get_page(int port, const char *path);
static double	 status_requests(int port, char **text);
static double	 metrics_requests(int port, char **text);
static Suite	*admin_suite(void);

/* The body of an HTTP answer (after the blank line); asserts there is one. */
static const char *
body_of(const char *text)
{
	const char *p = strstr(text, "\r\n\r\n");

	ck_assert_msg(p != NULL, "no end of headers: %s", text);
	return p + 4;
}

/*
 * Start a server with the admin endpoint on admin_port and, if conf is not
 * NULL, that configuration; wait until /healthz says 200 without sending
 * anything to the workers (server_start's probe would be a request).
 */
static void
admin_launch(struct server *s, int admin_port, const char *conf)
{
	char admin[32], path[HARNESS_PATH_MAX], why[256] = "";
	const char *args[8];
	int n = 0;
	int64_t deadline;

	snprintf(admin, sizeof(admin), "127.0.0.1:%d", admin_port);
	if (conf != NULL) {
		harness_write_file(path, sizeof(path), "admin-", ".conf",
		    conf);
		args[n++] = "-c";
		args[n++] = path;
	} else {
		args[n++] = "-w";
		args[n++] = "3";
	}
	args[n++] = "-a";
	args[n++] = admin;
	args[n] = NULL;
	server_launch(s, args);
	ck_assert_msg(server_log_wait(s, "admin endpoint on", 10000),
	    "the admin endpoint did not start (log %s)", s->log);
	deadline = harness_now_ms() + HARNESS_READY_MS;
	while (!healthz_ok(admin_port, why, sizeof(why))) {
		ck_assert_msg(harness_now_ms() < deadline, "/healthz not 200 "
		    "within %d ms of starting: %s", HARNESS_READY_MS, why);
		harness_sleep_ms(20);
	}
}

/* GET /healthz: true on 200; the answer's body in why otherwise. */
static bool
healthz_ok(int port, char *why, size_t len)
{
	char *text;
	int status;

	text = harness_http_get(port, "GET /healthz HTTP/1.0\r\n\r\n", &status);
	snprintf(why, len, "%d %s", status, body_of(text));
	free(text);
	return status == 200;
}

/* REQUESTS PINGs over CONNECTIONS connections, each closed after. */
static void
send_requests(const struct server *s)
{
	int c, i, fd;

	for (c = 0; c < CONNECTIONS; c++) {
		fd = client_connect(s->port);
		for (i = 0; i < REQUESTS / CONNECTIONS; i++)
			client_request(fd, "PING\n", "PONG\n");
		close(fd);
	}
}

/* GET path: 200 asserted, the whole answer returned. */
static char *
get_page(int port, const char *path)
{
	char request[128];
	char *text;
	int status;

	snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\n\r\n", path);
	text = harness_http_get(port, request, &status);
	ck_assert_msg(status == 200, "GET %s: %d: %s", path, status, text);
	return text;
}

/* GET /status, asserted valid JSON; totals.requests returned, the answer
 * left in *text (free it). */
static double
status_requests(int port, char **text)
{
	char err[256];
	const char *body;
	double v;

	*text = get_page(port, "/status");
	body = body_of(*text);
	ck_assert_msg(json_validate(body, strlen(body), err, sizeof(err)),
	    "/status is not valid JSON: %s: %s", err, body);
	ck_assert_msg(json_number_at(body, strlen(body), "totals.requests",
	    &v), "/status has no totals.requests: %s", body);
	return v;
}

/* GET /metrics, asserted valid exposition text; forkline_requests_total
 * returned, the answer left in *text (free it). */
static double
metrics_requests(int port, char **text)
{
	char err[512];
	const char *body;
	double v;

	*text = get_page(port, "/metrics");
	body = body_of(*text);
	ck_assert_msg(prom_validate(body, strlen(body), err, sizeof(err)),
	    "/metrics is not valid Prometheus text: %s\n%s", err, body);
	ck_assert_msg(prom_value(body, strlen(body), "forkline_requests_total",
	    &v), "/metrics has no forkline_requests_total: %s", body);
	return v;
}

START_TEST(test_admin_pages)
{
	char admin[32], want[64];
	const char *args[] = { "-w", "3", "-a", admin, NULL };
	struct server s;
	char *text;
	int port = harness_free_port(), status, fd, i;

	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	server_start(&s, args);
	fd = client_connect(s.port);
	client_request(fd, "PING\n", "PONG\n");

	/* Healthy once all 3 report ready (PING needed only one). */
	for (i = 0, text = NULL; i < 100; i++) {
		free(text);
		text = harness_http_get(port, "GET /healthz HTTP/1.0\r\n\r\n",
		    &status);
		if (status == 200)
			break;
		ck_assert_msg(strstr(text, "starting") != NULL, "%s", text);
		harness_sleep_ms(50);
	}
	ck_assert_int_eq(status, 200);
	ck_assert_msg(strstr(text, "\r\n\r\nok\n") != NULL, "%s", text);
	free(text);

	/*
	 * The busy report of the worker serving fd may still be on its way
	 * (it raced the other workers' ready reports), and the idle report
	 * of the worker that served the harness's readiness probe goes out
	 * 5 ms after that connection closed: wait until ours is the one busy
	 * worker.
	 */
	for (i = 0, text = NULL; i < 100; i++) {
		free(text);
		text = harness_http_get(port, "GET /status HTTP/1.0\r\n\r\n",
		    &status);
		if (harness_count(text, "\"state\":\"busy\"") == 1)
			break;
		harness_sleep_ms(20);
	}
	ck_assert_int_eq(status, 200);
	ck_assert_msg(strstr(text, "application/json") != NULL, "%s", text);
	snprintf(want, sizeof(want), "\"pid\":%ld,", (long)s.pid);
	ck_assert_msg(strstr(text, want) != NULL, "no master pid: %s", text);
	ck_assert_msg(harness_count(text, "\"slot\":") == 3, "expected 3 worker rows: "
	    "%s", text);
	ck_assert_msg(strstr(text, "\"state\":\"busy\"") != NULL,
	    "the worker serving our connection is not busy: %s", text);
	/* The busy row names our client; nothing has exited yet. */
	ck_assert_msg(strstr(text, "\"peer\":\"127.0.0.1:") != NULL, "%s",
	    text);
	ck_assert_msg(strstr(text, "\"exits\":{\"crashed\":0,\"hung\":0,") !=
	    NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"connection_age_ms\":") != NULL, "%s",
	    text);
	free(text);

	text = harness_http_get(port, "GET /metrics HTTP/1.0\r\n\r\n", &status);
	ck_assert_int_eq(status, 200);
	ck_assert_msg(strstr(text, "# TYPE forkline_requests_total counter\n")
	    != NULL && strstr(text, "forkline_workers{state=\"busy\"} 1\n") !=
	    NULL && strstr(text, "forkline_generation 1\n") != NULL,
	    "metrics: %s", text);
	ck_assert_int_eq(harness_count(text, "forkline_worker_requests_total{"), 3);
	free(text);

	text = harness_http_get(port, "GET /nope HTTP/1.0\r\n\r\n", &status);
	ck_assert_int_eq(status, 404);
	free(text);
	/*
	 * Only GET and HEAD (libevent answers other methods with 501 Not
	 * Implemented); and no request body at all (413).
	 */
	text = harness_http_get(port, "POST /status HTTP/1.0\r\n\r\n", &status);
	ck_assert_int_eq(status, 501);
	free(text);
	text = harness_http_get(port, "GET /status HTTP/1.0\r\nContent-Length: 1"
	    "\r\n\r\nx", &status);
	ck_assert_int_eq(status, 413);
	free(text);

	/* Bounded: an oversized header is refused, the master carries on. */
	{
		char big[16 * 1024 + 64];

		memset(big, 'a', sizeof(big));
		memcpy(big, "GET /status HTTP/1.0\r\nX: ", 25);
		memcpy(big + sizeof(big) - 5, "\r\n\r\n", 5);
		text = harness_http_get(port, big, &status);
		ck_assert_msg(status >= 400 && status < 500, "status %d",
		    status);
		free(text);
	}
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/* While no worker can start, /healthz says 503 and why. */
START_TEST(test_healthz_unavailable)
{
	char admin[32];
	const char *args[] = { "-w", "2", "-a", admin, NULL };
	struct server s;
	char *text = NULL;
	int port = harness_free_port(), status = 0, i;

	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	setenv("FORKLINE_TEST_FAULT", "crash-on-start", 1);
	server_launch(&s, args);
	unsetenv("FORKLINE_TEST_FAULT");
	ck_assert_msg(server_log_wait(&s, "admin endpoint on", 10000),
	    "the admin endpoint did not start");
	for (i = 0; i < 100; i++) {
		free(text);
		text = harness_http_get(port, "GET /healthz HTTP/1.0\r\n\r\n",
		    &status);
		if (strstr(text, "crash loop") != NULL)
			break;
		harness_sleep_ms(100);
	}
	ck_assert_int_eq(status, 503);
	ck_assert_msg(strstr(text, "crash loop") != NULL, "%s", text);
	free(text);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * /status is valid JSON, with a row per live worker, and counts exactly the
 * requests sent once the workers have reported (on connection end, or on
 * their heartbeat).
 */
START_TEST(test_status_json)
{
	struct server s;
	pid_t pids[HARNESS_MAX_PIDS];
	char *text = NULL;
	const char *body;
	int port = harness_free_port(), rows, live;
	int64_t deadline;
	double v;

	admin_launch(&s, port, NULL);
	v = status_requests(port, &text);
	ck_assert_msg(v == 0, "totals.requests %g before any request: %s", v,
	    text);
	free(text);
	send_requests(&s);
	deadline = harness_now_ms() + REPORT_MS;
	for (;;) {
		v = status_requests(port, &text);
		if (v == REQUESTS || harness_now_ms() >= deadline)
			break;
		free(text);
		harness_sleep_ms(50);
	}
	ck_assert_msg(v == REQUESTS, "totals.requests %g, not the %d sent, "
	    "after %d ms: %s", v, REQUESTS, REPORT_MS, text);
	body = body_of(text);
	rows = json_array_len_at(body, strlen(body), "workers");
	live = server_workers(&s, pids, HARNESS_MAX_PIDS);
	ck_assert_msg(rows == live && live == 3, "%d worker rows, %d live "
	    "children (3 configured): %s", rows, live, body);
	free(text);
	server_stop_expect_zero(&s);
}
END_TEST

/* /metrics is valid exposition text and counts the requests sent. */
START_TEST(test_metrics_prometheus)
{
	struct server s;
	char *text = NULL;
	int port = harness_free_port();
	int64_t deadline;
	double v;

	admin_launch(&s, port, NULL);
	v = metrics_requests(port, &text);
	ck_assert_msg(v == 0, "forkline_requests_total %g before any "
	    "request: %s", v, text);
	free(text);
	send_requests(&s);
	deadline = harness_now_ms() + REPORT_MS;
	for (;;) {
		v = metrics_requests(port, &text);
		if (v == REQUESTS || harness_now_ms() >= deadline)
			break;
		free(text);
		harness_sleep_ms(50);
	}
	ck_assert_msg(v == REQUESTS, "forkline_requests_total %g, not the %d "
	    "sent, after %d ms: %s", v, REQUESTS, REPORT_MS, text);
	free(text);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * /healthz goes 503 "starting" when a worker dies and min_ready is no
 * longer met, and 200 again once its replacement is ready. The window is
 * widened by the restart backoff: a worker killed within 5 s of starting
 * died early, and its slot waits restart_backoff_initial (1 s, jittered
 * down to 0.5 s) or twice that before restarting.
 */
START_TEST(test_healthz_flips)
{
	static const char conf[] = "[workers]\nstart = 2\nmin_ready = 2\n"
	    "restart_backoff_initial = 1s\n";
	struct server s;
	struct replaced r;
	pid_t pids[2];
	char why[256] = "", last[256] = "";
	bool saw_503 = false, saw_200 = false;
	int port = harness_free_port();
	int64_t deadline;

	admin_launch(&s, port, conf);
	server_wait_workers(&s, 2, pids);
	/* First death: the slot restarts after its backoff (or at once if
	 * the worker is older than 5 s); then kill the young replacement. */
	ck_assert_int_eq(kill(pids[0], SIGKILL), 0);
	r = (struct replaced){ .s = &s, .gone = pids[0], .n = 2 };
	ck_assert_msg(harness_wait_until(worker_replaced, &r, 10000),
	    "worker %ld not replaced", (long)pids[0]);
	ck_assert_msg(pidset_has(&r.now, pids[1]), "the other worker %ld is "
	    "gone too: %s", (long)pids[1], pidset_text(&r.now));
	ck_assert_int_eq(kill(r.now.pids[0] == pids[1] ? r.now.pids[1] :
	    r.now.pids[0], SIGKILL), 0);
	deadline = harness_now_ms() + 3000;
	while (!saw_503 && harness_now_ms() < deadline) {
		if (!healthz_ok(port, why, sizeof(why))) {
			ck_assert_msg(strcmp(why, "503 starting\n") == 0,
			    "/healthz with a worker missing: %s", why);
			saw_503 = true;
		}
		harness_sleep_ms(10);
	}
	ck_assert_msg(saw_503, "/healthz stayed 200 for 3 s after a worker "
	    "was killed (min_ready = 2 of 2)");
	deadline = harness_now_ms() + 10000;
	while (!saw_200 && harness_now_ms() < deadline) {
		saw_200 = healthz_ok(port, why, sizeof(why));
		if (!saw_200)
			snprintf(last, sizeof(last), "%s", why);
		harness_sleep_ms(20);
	}
	ck_assert_msg(saw_200, "/healthz not back to 200 within 10 s of the "
	    "kill; last answer %s", last);
	server_wait_workers(&s, 2, pids);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * Malformed requests get a 4xx or are closed, and the master carries on:
 * a garbage request line, a request cut short, and a slowloris sending one
 * header byte per 100 ms, which the 5 s timeout must end.
 */
START_TEST(test_admin_malformed)
{
	struct server s;
	char *text, why[256], buf[512];
	int port = harness_free_port(), status, fd, n, fd2;
	int64_t started, deadline, ended = -1;
	bool checked_during = false;
	ssize_t got;
	struct pollfd pfd;

	admin_launch(&s, port, NULL);

	text = harness_http_get(port, "HELLO\r\n\r\n", &status);
	ck_assert_msg(status >= 400 && status < 500, "garbage request line: "
	    "%d: %s", status, text);
	free(text);

	fd = client_connect(port);
	client_send(fd, "GET /status HTTP/1.1\r\nHost: x");
	close(fd);
	ck_assert_msg(healthz_ok(port, why, sizeof(why)), "/healthz after a "
	    "truncated request: %s", why);

	fd = client_connect(port);
	client_send(fd, "GET /healthz HTTP/1.1\r\nX-Slow: ");
	started = harness_now_ms();
	deadline = started + SLOWLORIS_BOUND_MS + 500;
	for (n = 0; harness_now_ms() < deadline; n++) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 100) == 1) {
			got = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
			if (got > 0) {
				buf[got] = '\0';
				ck_assert_msg(sscanf(buf, "HTTP/1.%*d %d",
				    &status) == 1 && status >= 400 &&
				    status < 500, "slowloris answered: %s",
				    harness_quote(buf, (size_t)got));
			}
			ended = harness_now_ms();
			break;
		}
		if (send(fd, "a", 1, MSG_NOSIGNAL) != 1) {
			ck_assert_msg(errno == EPIPE || errno == ECONNRESET,
			    "send: %s", strerror(errno));
			ended = harness_now_ms();
			break;
		}
		/* Meanwhile others are served. */
		if (n == 20) {
			ck_assert_msg(healthz_ok(port, why, sizeof(why)),
			    "/healthz during a slowloris: %s", why);
			fd2 = client_connect(s.port);
			client_request(fd2, "PING\n", "PONG\n");
			close(fd2);
			checked_during = true;
		}
	}
	close(fd);
	ck_assert_msg(checked_during, "the slowloris ended after %d bytes",
	    n);
	/*
	 * evhttp's own timeout restarts with every byte; the master's
	 * whole-request deadline (5 s, checked on its tick) must end this.
	 */
	snprintf(buf, sizeof(buf), "a slowloris (one header byte per 100 ms, "
	    "%d sent) was %s after %lld ms; the admin deadline is 5 s", n,
	    ended == -1 ? "still connected" : "ended",
	    (long long)((ended == -1 ? harness_now_ms() : ended) - started));
	ck_assert_msg(ended != -1 && ended - started <= SLOWLORIS_BOUND_MS,
	    "%s", buf);

	ck_assert_msg(healthz_ok(port, why, sizeof(why)), "/healthz after "
	    "malformed requests: %s", why);
	fd = client_connect(s.port);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * HEAD has GET's headers, Content-Length included, and no body, so a GET
 * after it on the same kept-alive connection reads its own answer.
 */
START_TEST(test_head_framing)
{
	char admin[32];
	const char *args[] = { "-w", "1", "-a", admin, NULL };
	struct server s;
	char *text, *second, *length;
	size_t len;
	int port = harness_free_port(), fd, how;

	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	server_start(&s, args);
	fd = client_connect(port);
	client_send(fd, "HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	text = client_read_all(fd, &len, &how, 5000);
	close(fd);
	ck_assert_msg(text != NULL && harness_count(text, "HTTP/1.1 200 ") == 2,
	    "expected two answers: %s", text != NULL ? text : "");
	second = strstr(text + 1, "HTTP/1.1 200 ");
	length = strstr(text, "Content-Length: 3\r\n");
	ck_assert_msg(length != NULL && length < second,
	    "the HEAD answer has no Content-Length: %s", text);
	ck_assert_msg(strncmp(second - 4, "\r\n\r\n", 4) == 0, "the HEAD "
	    "answer has a body before the next answer: %s", text);
	ck_assert_msg(strstr(second, "\r\n\r\nok\n") != NULL, "the GET "
	    "answer after HEAD: %s", second);
	free(text);
	server_stop_expect_zero(&s);
}
END_TEST

static Suite *
admin_suite(void)
{
	Suite *su = suite_create("admin");
	TCase *tc = tcase_create("admin");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_admin_pages);
	tcase_add_test(tc, test_healthz_unavailable);
	tcase_add_test(tc, test_status_json);
	tcase_add_test(tc, test_metrics_prometheus);
	tcase_add_test(tc, test_healthz_flips);
	tcase_add_test(tc, test_admin_malformed);
	tcase_add_test(tc, test_head_framing);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return harness_main(admin_suite);
}
