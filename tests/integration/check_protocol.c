/*
 * Integration tests of the protocols: the line protocol command by command
 * in both line endings, pipelining, limits, and the echo protocol; against
 * the real binary on an inherited 127.0.0.1 listener.
 */
#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/harness.h"

/* The documented defaults (conf/forkline.conf). */
#define DEFAULT_MAX_LINE	8192
#define DEFAULT_MAX_BLOB	1048576
#define DEFAULT_WORKERS		4

#define ECHO_BYTES		(1024 * 1024)
#define CONCURRENT_CLIENTS	64
#define CONCURRENT_MS		30000

struct exchange {
	const char	*request;	/* without the line ending */
	const char	*reply;
};

static const char *const endings[] = { "\n", "\r\n" };

/*
 * A session of plain request/reply pairs, in order on one connection;
 * errors in between must leave the connection usable.
 */
static const struct exchange session[] = {
	{ "PING", "PONG" },
	{ "ping", "PONG" },
	{ "PiNg", "PONG" },
	{ "ECHO hello world", "hello world" },
	{ "echo Mixed Case stays", "Mixed Case stays" },
	{ "ECHO", "" },
	{ "SLEEP 0", "OK" },
	{ "sleep 1", "OK" },
	{ "BLOB 0", "" },
	{ "BLOB 5", "abcde" },
	{ "blob 30", "abcdefghijklmnopqrstuvwxyzabcd" },
	{ "FOO", "ERR unknown command 'FOO' (try HELP)" },
	{ "PING", "PONG" },
	{ "PING x", "ERR PING takes no argument" },
	{ "SLEEP abc", "ERR SLEEP needs milliseconds 0..10000" },
	{ "SLEEP 10001", "ERR SLEEP needs milliseconds 0..10000" },
	{ "BLOB 1048577", "ERR BLOB needs a byte count 0..1048576" },
	{ "", "ERR empty command" },
	{ "ECHO still here", "still here" },
};

static struct server srv;

static void
start_default(void)
{
	static const char *const args[] = { NULL };

	server_start(&srv, args);
}

static void
stop_default(void)
{
	server_stop(&srv);
	server_assert_exit(&srv, 0, "SIGTERM after the test");
}

/* Send request + ending, expect reply + ending. */
#define exchange(fd, request, reply, ending) \
	exchange_at(__FILE__, __LINE__, (fd), (request), (reply), (ending))

static void
exchange_at(const char *file, int line, int fd, const char *request,
    const char *reply, const char *ending)
{
	char	 req[DEFAULT_MAX_LINE + 16], rep[DEFAULT_MAX_LINE + 16];

	snprintf(req, sizeof(req), "%s%s", request, ending);
	snprintf(rep, sizeof(rep), "%s%s", reply, ending);
	client_request_at(file, line, fd, req, rep);
}

/* Read one reply line and split off its ending, which must be ending. */
static void
read_reply(int fd, char *text, size_t len, const char *ending,
    const char *request)
{
	size_t	 elen = strlen(ending);
	bool	 ok;
	int	 r;

	r = client_read_line(fd, text, len, HARNESS_REPLY_MS);
	ck_assert_msg(r > 0, "%s: expected a reply line, got %s", request,
	    client_result_name(r));
	/* The right ending, and "\n" not the tail of a "\r\n". */
	ok = (size_t)r >= elen && strcmp(text + r - elen, ending) == 0 &&
	    (elen == 2 || r < 2 || text[r - 2] != '\r');
	ck_assert_msg(ok, "%s: expected the reply to end with %s, got %s",
	    request, harness_quote(ending, elen),
	    harness_quote(text, (size_t)r));
	text[r - elen] = '\0';
}

/* The BLOB pattern: byte i is 'a' + i % 26. */
static void
blob_fill(char *buf, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
}

START_TEST(test_session)
{
	const char	*ending = endings[_i];
	size_t		 i;
	int		 fd = client_open(&srv);

	for (i = 0; i < sizeof(session) / sizeof(session[0]); i++)
		exchange(fd, session[i].request, session[i].reply, ending);
	close(fd);
}
END_TEST

START_TEST(test_quit)
{
	const char	*ending = endings[_i];
	int		 fd = client_open(&srv);

	exchange(fd, "PING", "PONG", ending);
	exchange(fd, "quit", "BYE", ending);
	client_expect_close(fd, false);
	close(fd);
}
END_TEST

START_TEST(test_time)
{
	const char	*ending = endings[_i];
	char		 req[16], text[256];
	regex_t		 re;
	struct tm	 tm;
	time_t		 t, now;
	int		 fd = client_open(&srv);

	snprintf(req, sizeof(req), "TIME%s", ending);
	client_send(fd, req);
	read_reply(fd, text, sizeof(text), ending, "TIME");
	ck_assert(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	    "[0-9]{2}\\.[0-9]{3}Z$", REG_EXTENDED | REG_NOSUB) == 0);
	ck_assert_msg(regexec(&re, text, 0, NULL, 0) == 0, "TIME: expected "
	    "ISO-8601 UTC with milliseconds like 2026-11-22T13:45:01.123Z, "
	    "got %s", harness_quote(text, strlen(text)));
	regfree(&re);

	memset(&tm, 0, sizeof(tm));
	ck_assert_msg(strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) != NULL,
	    "TIME: %s is not a valid date and time", text);
	t = timegm(&tm);
	now = time(NULL);
	ck_assert_msg(t >= now - 10 && t <= now + 10, "TIME: %s is not the "
	    "current UTC time (test clock says %lld seconds since the epoch, "
	    "server %lld)", text, (long long)now, (long long)t);
	close(fd);
}
END_TEST

START_TEST(test_info)
{
	const char		*ending = endings[_i];
	struct info_reply	 a, b;
	char			 req[16], text[256];
	int			 fd = client_open(&srv);

	snprintf(req, sizeof(req), "info%s", ending);
	client_send(fd, req);
	read_reply(fd, text, sizeof(text), ending, "INFO");
	ck_assert_msg(info_parse(text, &a), "INFO: expected \"pid=N worker=N "
	    "generation=N connections=N requests=N\", got %s",
	    harness_quote(text, strlen(text)));
	ck_assert_msg(server_is_worker(&srv, (pid_t)a.pid), "INFO: pid=%ld "
	    "is not a child of the master %ld", a.pid, (long)srv.pid);
	ck_assert_msg(a.worker >= 1 && a.worker <= DEFAULT_WORKERS,
	    "INFO: worker=%ld, expected a slot in 1..%d", a.worker,
	    DEFAULT_WORKERS);
	ck_assert_msg(a.generation == 1, "INFO: generation=%ld, expected 1 "
	    "(no reload happened)", a.generation);
	ck_assert_msg(a.connections >= 1 && a.requests >= 1, "INFO: "
	    "connections=%ld requests=%ld, expected both to count this "
	    "connection and request (>= 1)", a.connections, a.requests);

	client_send(fd, req);
	read_reply(fd, text, sizeof(text), ending, "INFO");
	ck_assert(info_parse(text, &b));
	ck_assert_msg(b.pid == a.pid && b.worker == a.worker &&
	    b.connections == a.connections && b.requests == a.requests + 1,
	    "INFO twice on one connection: expected the same pid, worker and "
	    "connections and one more request; got %s after pid=%ld worker=%ld "
	    "connections=%ld requests=%ld", text, a.pid, a.worker,
	    a.connections, a.requests);
	close(fd);
}
END_TEST

START_TEST(test_help)
{
	static const char	 prefix[] =
	    "OK commands: PING ECHO TIME INFO SLEEP BLOB HELP QUIT FAULT";
	const char		*ending = endings[_i];
	char			 req[16], text[1024];
	int			 fd = client_open(&srv);

	snprintf(req, sizeof(req), "Help%s", ending);
	client_send(fd, req);
	read_reply(fd, text, sizeof(text), ending, "HELP");
	ck_assert_msg(strncmp(text, prefix, sizeof(prefix) - 1) == 0,
	    "HELP: expected a line starting %s, got %s",
	    harness_quote(prefix, sizeof(prefix) - 1),
	    harness_quote(text, strlen(text)));
	/* One line only: the next reply is the next request's. */
	exchange(fd, "PING", "PONG", ending);
	close(fd);
}
END_TEST

START_TEST(test_sleep)
{
	const char	*ending = endings[_i];
	int64_t		 t0, elapsed;
	int		 fd = client_open(&srv);

	t0 = harness_now_ms();
	exchange(fd, "SLEEP 100", "OK", ending);
	elapsed = harness_now_ms() - t0;
	ck_assert_msg(elapsed >= 100, "SLEEP 100 answered after %lld ms, "
	    "expected at least 100", (long long)elapsed);
	close(fd);
}
END_TEST

START_TEST(test_blob_max)
{
	const char	*ending = endings[_i];
	size_t		 elen = strlen(ending), n = DEFAULT_MAX_BLOB;
	char		*want = malloc(n + elen), *got = malloc(n + elen);
	char		 req[32];
	int		 fd = client_open(&srv);

	ck_assert(want != NULL && got != NULL);
	blob_fill(want, n);
	memcpy(want + n, ending, elen);
	snprintf(req, sizeof(req), "BLOB %zu%s", n, ending);
	client_send(fd, req);
	ck_assert_msg(client_read_exact(fd, got, n + elen, HARNESS_REPLY_MS),
	    "BLOB %zu: fewer than %zu bytes arrived", n, n + elen);
	ck_assert_msg(memcmp(got, want, n + elen) == 0, "BLOB %zu: the reply "
	    "is not the a..z pattern followed by the line ending", n);
	exchange(fd, "PING", "PONG", ending);
	free(want);
	free(got);
	close(fd);
}
END_TEST

/*
 * Ten requests in one write, answered in order, each in its own ending;
 * one request in three writes; nothing answered after QUIT.
 */
START_TEST(test_pipelining)
{
	static const char	 batch[] =
	    "PING\nECHO one\nBLOB 3\nFOO\nping\r\nECHO two\r\n\nSLEEP 1\n"
	    "PING x\r\nECHO ten\n";
	static const char *const replies[] = {
		"PONG\n", "one\n", "abc\n",
		"ERR unknown command 'FOO' (try HELP)\n", "PONG\r\n",
		"two\r\n", "ERR empty command\n", "OK\n",
		"ERR PING takes no argument\r\n", "ten\n",
	};
	size_t			 i;
	int			 fd = client_open(&srv);

	client_send(fd, batch);
	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		client_expect(fd, replies[i]);

	/* A request split across writes, the first part already read. */
	client_send(fd, "EC");
	client_wait_consumed(fd);
	client_send(fd, "HO split");
	client_wait_consumed(fd);
	client_request(fd, "\r\n", "split\r\n");

	/* Nothing after QUIT is answered. */
	client_send(fd, "PING\nQUIT\nPING\n");
	client_expect(fd, "PONG\n");
	client_expect(fd, "BYE\n");
	client_expect_close(fd, true);
	close(fd);
}
END_TEST

/*
 * A line of exactly max_line bytes is served; one byte more gets
 * "ERR line too long" and the connection is closed. The server may close
 * with part of the long line unread, which the kernel turns into a reset.
 */
static void
check_max_line(const struct server *s, size_t max_line)
{
	char	*line = malloc(max_line + 3), *reply = malloc(max_line + 3);
	int	 fd = client_open(s);

	ck_assert(line != NULL && reply != NULL);
	memcpy(line, "ECHO ", 5);
	memset(line + 5, 'x', max_line - 5);
	strcpy(line + max_line, "\n");
	memset(reply, 'x', max_line - 5);
	strcpy(reply + max_line - 5, "\n");
	client_request(fd, line, reply);

	memset(line, 'y', max_line + 1);
	strcpy(line + max_line + 1, "\n");
	client_request(fd, line, "ERR line too long\n");
	client_expect_close(fd, true);
	close(fd);
	free(line);
	free(reply);
}

START_TEST(test_line_too_long)
{
	check_max_line(&srv, DEFAULT_MAX_LINE);
}
END_TEST

/* Limits come from the configuration file and show in the errors. */
START_TEST(test_limits_from_config)
{
	static const char	 conf[] =
	    "[connection]\n"
	    "max_line = 100\n"
	    "max_sleep = 250ms\n"
	    "max_blob = 1k\n";
	char			 path[HARNESS_PATH_MAX], blob[1024 + 2];
	const char		*args[] = { "-c", path, NULL };
	struct server		 s;
	int			 fd;

	harness_write_file(path, sizeof(path), "limits-", ".conf", conf);
	server_start(&s, args);
	fd = client_open(&s);
	client_request(fd, "SLEEP 251\n",
	    "ERR SLEEP needs milliseconds 0..250\n");
	client_request(fd, "SLEEP 250\n", "OK\n");
	client_request(fd, "BLOB 1025\n",
	    "ERR BLOB needs a byte count 0..1024\n");
	blob_fill(blob, 1024);
	strcpy(blob + 1024, "\n");
	client_request(fd, "BLOB 1024\n", blob);
	close(fd);
	check_max_line(&s, 100);
	server_stop(&s);
	server_assert_exit(&s, 0, "SIGTERM");
}
END_TEST

/*
 * Echo: write and read at once (a server that echoes as it reads would
 * deadlock a client that wrote everything first), then half-close and
 * expect the rest and EOF.
 */
static void
echo_roundtrip(const struct server *s, const unsigned char *data, size_t len)
{
	unsigned char	*back = malloc(len + 1);
	size_t		 sent = 0, got = 0;
	int64_t		 deadline = harness_now_ms() + CONCURRENT_MS;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 fd = client_open(s), left;
	bool		 eof = false;

	ck_assert(back != NULL);
	pfd.fd = fd;
	while (!eof) {
		left = (int)(deadline - harness_now_ms());
		ck_assert_msg(left > 0, "echo: after %d ms, %zu of %zu bytes "
		    "sent, %zu echoed, no EOF", CONCURRENT_MS, sent, len, got);
		pfd.events = POLLIN | (sent < len ? POLLOUT : 0);
		if (poll(&pfd, 1, left) <= 0)
			continue;
		if (sent < len && (pfd.revents & POLLOUT)) {
			n = send(fd, data + sent, len - sent,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			ck_assert_msg(n > 0 || errno == EAGAIN,
			    "echo: send: %s", strerror(errno));
			sent += n > 0 ? (size_t)n : 0;
			if (sent == len)
				ck_assert(shutdown(fd, SHUT_WR) == 0);
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, back + got, len + 1 - got, MSG_DONTWAIT);
			ck_assert_msg(n >= 0 || errno == EAGAIN, "echo: recv "
			    "after %zu bytes: %s", got, strerror(errno));
			eof = n == 0;
			got += n > 0 ? (size_t)n : 0;
			ck_assert_msg(got <= len, "echo: more bytes came back "
			    "(%zu) than were sent (%zu)", got, len);
		}
	}
	ck_assert_msg(sent == len && got == len, "echo: EOF after %zu bytes "
	    "back, %zu sent", got, sent);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(back[i] == data[i], "echo: byte %zu differs: "
		    "sent 0x%02x, got 0x%02x", i, data[i], back[i]);
	free(back);
	close(fd);
}

START_TEST(test_echo_random_mib)
{
	static const char *const args[] = { "-p", "echo", NULL };
	unsigned char	*data = malloc(ECHO_BYTES);
	size_t		 off = 0;
	ssize_t		 n;
	struct server	 s;

	ck_assert(data != NULL);
	while (off < ECHO_BYTES) {
		n = getrandom(data + off, ECHO_BYTES - off, 0);
		ck_assert(n > 0);
		off += (size_t)n;
	}
	server_start(&s, args);
	echo_roundtrip(&s, data, ECHO_BYTES);
	server_stop(&s);
	server_assert_exit(&s, 0, "SIGTERM");
	free(data);
}
END_TEST

/* protocol = echo from the file: line commands are just bytes. */
START_TEST(test_echo_from_config)
{
	static const char	 conf[] = "[server]\nprotocol = echo\n";
	static const unsigned char data[] =
	    "PING\r\nQUIT\nHELP\n\0\xff\x01 no line ending at the end";
	char			 path[HARNESS_PATH_MAX];
	const char		*args[] = { "-c", path, NULL };
	struct server		 s;

	harness_write_file(path, sizeof(path), "echo-", ".conf", conf);
	server_start(&s, args);
	echo_roundtrip(&s, data, sizeof(data) - 1);
	server_stop(&s);
	server_assert_exit(&s, 0, "SIGTERM");
}
END_TEST

/*
 * 64 clients connect at once to 8 workers and each sends one ECHO. A
 * worker serves one connection at a time, so each client closes once it
 * has its reply, making room for the next.
 */
START_TEST(test_concurrent_clients)
{
	static const char *const args[] = { "-w", "8", NULL };
	struct pollfd	 pfd[CONCURRENT_CLIENTS];
	char		 want[CONCURRENT_CLIENTS][32], line[64], req[40];
	int		 i, r, done = 0;
	int64_t		 deadline;
	struct server	 s;

	server_start(&s, args);
	for (i = 0; i < CONCURRENT_CLIENTS; i++) {
		pfd[i].fd = client_open(&s);
		pfd[i].events = POLLIN;
	}
	for (i = 0; i < CONCURRENT_CLIENTS; i++) {
		snprintf(want[i], sizeof(want[i]), "client-%d\n", i);
		snprintf(req, sizeof(req), "ECHO client-%d\n", i);
		client_send(pfd[i].fd, req);
	}
	deadline = harness_now_ms() + CONCURRENT_MS;
	while (done < CONCURRENT_CLIENTS) {
		ck_assert_msg(harness_now_ms() < deadline, "%d of %d clients "
		    "got their reply within %d ms", done, CONCURRENT_CLIENTS,
		    CONCURRENT_MS);
		if (poll(pfd, CONCURRENT_CLIENTS, 100) <= 0)
			continue;
		for (i = 0; i < CONCURRENT_CLIENTS; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			r = client_read_line(pfd[i].fd, line, sizeof(line), 0);
			if (r == CLIENT_TIMEOUT)
				continue;	/* part of a line so far */
			ck_assert_msg(r > 0 && strcmp(line, want[i]) == 0,
			    "client %d: expected %s, got %s%s", i,
			    harness_quote(want[i], strlen(want[i])),
			    r > 0 ? "" : client_result_name(r),
			    harness_quote(line, strlen(line)));
			close(pfd[i].fd);
			pfd[i].fd = -1;
			done++;
		}
	}
	server_stop(&s);
	server_assert_exit(&s, 0, "SIGTERM");
}
END_TEST

static Suite *
protocol_suite(void)
{
	Suite	*s = suite_create("protocol");
	TCase	*tc;
	int	 nend = sizeof(endings) / sizeof(endings[0]);

	tc = tcase_create("line");
	tcase_add_checked_fixture(tc, start_default, stop_default);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_session, 0, nend);
	tcase_add_loop_test(tc, test_quit, 0, nend);
	tcase_add_loop_test(tc, test_time, 0, nend);
	tcase_add_loop_test(tc, test_info, 0, nend);
	tcase_add_loop_test(tc, test_help, 0, nend);
	tcase_add_loop_test(tc, test_sleep, 0, nend);
	tcase_add_loop_test(tc, test_blob_max, 0, nend);
	tcase_add_test(tc, test_pipelining);
	tcase_add_test(tc, test_line_too_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_limits_from_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("echo");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_echo_random_mib);
	tcase_add_test(tc, test_echo_from_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrency");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_concurrent_clients);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(protocol_suite);
}
