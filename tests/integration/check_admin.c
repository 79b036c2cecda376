/*
 * Integration tests of the admin HTTP endpoint: /healthz, /status,
 * /metrics, errors, and health while workers cannot start.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"

static int	 free_port(void);
static char	*http_get(int port, const char *request, int *status);
static int	 count(const char *text, const char *needle);
static Suite	*admin_suite(void);

static int
free_port(void)
{
	int fd, port;

	fd = harness_listen_tcp(&port);
	close(fd);
	return port;
}

/* Send a raw request, read the whole answer; the status code in *status. */
static char *
http_get(int port, const char *request, int *status)
{
	size_t len;
	int fd, how;
	char *text;

	fd = client_connect(port);
	client_send(fd, request);
	text = client_read_all(fd, &len, &how, 10000);
	close(fd);
	ck_assert_msg(text != NULL && sscanf(text, "HTTP/1.%*d %d", status) == 1,
	    "no HTTP status line for %s", harness_quote(request,
	    strlen(request)));
	return text;
}

static int
count(const char *text, const char *needle)
{
	int n = 0;

	for (; (text = strstr(text, needle)) != NULL; text += strlen(needle))
		n++;
	return n;
}

START_TEST(test_admin_pages)
{
	char admin[32], want[64];
	const char *args[] = { "-w", "3", "-a", admin, NULL };
	struct server s;
	char *text;
	int port = free_port(), status, fd, i;

	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	server_start(&s, args);
	fd = client_connect(s.port);
	client_request(fd, "PING\n", "PONG\n");

	/* Healthy once all 3 report ready (PING needed only one). */
	for (i = 0, text = NULL; i < 100; i++) {
		free(text);
		text = http_get(port, "GET /healthz HTTP/1.0\r\n\r\n",
		    &status);
		if (status == 200)
			break;
		ck_assert_msg(strstr(text, "starting") != NULL, "%s", text);
		harness_sleep_ms(50);
	}
	ck_assert_int_eq(status, 200);
	ck_assert_msg(strstr(text, "\r\n\r\nok\n") != NULL, "%s", text);
	free(text);

	text = http_get(port, "GET /status HTTP/1.0\r\n\r\n", &status);
	ck_assert_int_eq(status, 200);
	ck_assert_msg(strstr(text, "application/json") != NULL, "%s", text);
	snprintf(want, sizeof(want), "\"pid\":%ld,", (long)s.pid);
	ck_assert_msg(strstr(text, want) != NULL, "no master pid: %s", text);
	ck_assert_msg(count(text, "\"slot\":") == 3, "expected 3 worker rows: "
	    "%s", text);
	ck_assert_msg(strstr(text, "\"state\":\"busy\"") != NULL,
	    "the worker serving our connection is not busy: %s", text);
	ck_assert_msg(strstr(text, "\"connection_age_ms\":") != NULL, "%s",
	    text);
	free(text);

	text = http_get(port, "GET /metrics HTTP/1.0\r\n\r\n", &status);
	ck_assert_int_eq(status, 200);
	ck_assert_msg(strstr(text, "# TYPE forkline_requests_total counter\n")
	    != NULL && strstr(text, "forkline_workers{state=\"busy\"} 1\n") !=
	    NULL && strstr(text, "forkline_generation 1\n") != NULL,
	    "metrics: %s", text);
	ck_assert_int_eq(count(text, "forkline_worker_requests_total{"), 3);
	free(text);

	text = http_get(port, "GET /nope HTTP/1.0\r\n\r\n", &status);
	ck_assert_int_eq(status, 404);
	free(text);
	/*
	 * Only GET and HEAD (libevent answers other methods with 501 Not
	 * Implemented); and no request body at all (413).
	 */
	text = http_get(port, "POST /status HTTP/1.0\r\n\r\n", &status);
	ck_assert_int_eq(status, 501);
	free(text);
	text = http_get(port, "GET /status HTTP/1.0\r\nContent-Length: 1"
	    "\r\n\r\nx", &status);
	ck_assert_int_eq(status, 413);
	free(text);

	/* Bounded: an oversized header is refused, the master carries on. */
	{
		char big[16 * 1024 + 64];

		memset(big, 'a', sizeof(big));
		memcpy(big, "GET /status HTTP/1.0\r\nX: ", 25);
		memcpy(big + sizeof(big) - 5, "\r\n\r\n", 5);
		text = http_get(port, big, &status);
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
	int port = free_port(), status = 0, i;

	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	setenv("FORKLINE_TEST_FAULT", "crash-on-start", 1);
	server_launch(&s, args);
	unsetenv("FORKLINE_TEST_FAULT");
	ck_assert_msg(server_log_wait(&s, "admin endpoint on", 10000),
	    "the admin endpoint did not start");
	for (i = 0; i < 100; i++) {
		free(text);
		text = http_get(port, "GET /healthz HTTP/1.0\r\n\r\n",
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

static Suite *
admin_suite(void)
{
	Suite *su = suite_create("admin");
	TCase *tc = tcase_create("admin");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_admin_pages);
	tcase_add_test(tc, test_healthz_unavailable);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return harness_main(admin_suite);
}
