/*
 * Integration test of scale-out behind HAProxy (deploy/haproxy.cfg): two
 * forkline instances behind one TCP frontend, health-checked on their
 * admin endpoints' /healthz; one is stopped gracefully (SIGTERM) under
 * load, and no client request fails (a "BYE shutting down" is answered
 * by reconnecting and sending the request again, as load.h does).
 *
 * Skipped (and passing) when haproxy is not on PATH; "make integration"
 * installs it with scripts/install-deps --test-tools.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/harness.h"
#include "tests/support/load.h"

#define SCALEOUT_WORKERS	8	/* per instance: one alone takes all clients */
#define SCALEOUT_CLIENTS	8
#define SCALEOUT_LOAD_MS	3500	/* no new request after */
#define SCALEOUT_BEFORE_MS	1000	/* load before the stop, at least */
#define SCALEOUT_PROBES		4	/* INFO connections to see the balance */

struct ping_arg {
	int	 port;
};

static bool	 find_haproxy(char *out, size_t len);
static long	 requests_total(int admin_port);
static bool	 try_ping(void *arg);
static void	 haproxy_command(const char *sock, const char *cmd);
static void	 write_haproxy_cfg(char *out, size_t len, const char *sock,
		    int front,
		    const struct server *a, int admin_a,
		    const struct server *b, int admin_b);
static int	 owner_of(pid_t pid, const struct server *a,
		    const struct server *b);
static Suite	*scaleout_suite(void);

/* haproxy's path from PATH, if it is there. */
static bool
find_haproxy(char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];
	const char *p, *end;
	size_t n;

	if (path == NULL)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
		    "/sbin:/bin";
	for (p = path; *p != '\0'; p = *end == ':' ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0 || n >= sizeof(dir))
			continue;
		memcpy(dir, p, n);
		dir[n] = '\0';
		if ((size_t)snprintf(out, len, "%s/haproxy", dir) >= len)
			continue;
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* forkline_requests_total from an admin endpoint's /metrics. */
static long
requests_total(int admin_port)
{
	static const char name[] = "\nforkline_requests_total ";
	char *text, *at;
	int status;
	long n;

	text = harness_http_get(admin_port, "GET /metrics HTTP/1.0\r\n\r\n", &status);
	ck_assert_msg(status == 200 && (at = strstr(text, name)) != NULL,
	    "admin port %d: no forkline_requests_total in /metrics: %s",
	    admin_port, text);
	n = strtol(at + strlen(name), NULL, 10);
	free(text);
	return n;
}

/* PING -> PONG on a fresh connection, without asserting. */
static bool
try_ping(void *arg)
{
	const struct ping_arg *pa = arg;
	struct sockaddr_in sin;
	char line[64];
	bool ok = false;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return false;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)pa->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    send(fd, "PING\n", 5, MSG_NOSIGNAL) == 5 &&
	    client_read_line(fd, line, sizeof(line), 1000) > 0)
		ok = strcmp(line, "PONG\n") == 0;
	close(fd);
	return ok;
}

/*
 * deploy/haproxy.cfg with this test's ports (and maxconn matching the
 * instances' worker count). Logs at notice and above go to haproxy's
 * stderr, the log file of its struct server: server state changes, not
 * one line per connection.
 */
static void
write_haproxy_cfg(char *out, size_t len, const char *sock, int front,
    const struct server *a, int admin_a, const struct server *b, int admin_b)
{
	char text[2048];

	snprintf(text, sizeof(text),
	    "global\n"
	    "\tlog stderr format short local0 notice\n"
	    "\tmaxconn 4096\n"
	    "\tstats socket %s mode 600 level admin\n"
	    "defaults\n"
	    "\tmode tcp\n"
	    "\tlog global\n"
	    "\toption tcplog\n"
	    "\tretries 3\n"
	    "\toption redispatch 1\n"
	    "\ttimeout connect 2s\n"
	    "\ttimeout client 65s\n"
	    "\ttimeout server 65s\n"
	    "\ttimeout client-fin 5s\n"
	    "\ttimeout server-fin 5s\n"
	    "\ttimeout queue 10s\n"
	    "\ttimeout check 1s\n"
	    "frontend forkline\n"
	    "\tbind 127.0.0.1:%d\n"
	    "\tdefault_backend forkline\n"
	    "backend forkline\n"
	    "\tbalance leastconn\n"
	    "\toption httpchk GET /healthz\n"
	    "\thttp-check expect status 200\n"
	    "\tdefault-server check inter 500ms fall 2 rise 2 maxconn %d\n"
	    "\tdefault-server observe layer4 error-limit 1 on-error mark-down\n"
	    "\tserver forkline-a 127.0.0.1:%d check port %d\n"
	    "\tserver forkline-b 127.0.0.1:%d check port %d\n",
	    sock, front, SCALEOUT_WORKERS, a->port, admin_a, b->port, admin_b);
	harness_write_file(out, len, "haproxy-", ".cfg", text);
}

/* One command on haproxy's runtime API; it answers nothing on success. */
static void
haproxy_command(const char *sock, const char *cmd)
{
	size_t len;
	int fd, how;
	char *text;

	fd = client_connect_unix(sock);
	client_send(fd, cmd);
	text = client_read_all(fd, &len, &how, 5000);
	close(fd);
	ck_assert_msg(text != NULL && how == CLIENT_EOF &&
	    strspn(text, "\r\n") == len, "haproxy %s: %s", harness_quote(cmd,
	    strlen(cmd)), text != NULL ? harness_quote(text, len) :
	    client_result_name(how));
	free(text);
}

/* 1 or 2: which instance's worker pid is; 0 if neither's. */
static int
owner_of(pid_t pid, const struct server *a, const struct server *b)
{
	if (server_is_worker(a, pid))
		return 1;
	if (server_is_worker(b, pid))
		return 2;
	return 0;
}

START_TEST(test_scaleout_graceful_stop)
{
	char haproxy[PATH_MAX], cfg[HARNESS_PATH_MAX], admin1[32], admin2[32];
	char workers[16], sock[HARNESS_PATH_MAX];
	const char *args1[] = { "-w", workers, "-a", admin1, NULL };
	const char *args2[] = { "-w", workers, "-a", admin2, NULL };
	const char *hargv[] = { haproxy, "-f", cfg, "-db", NULL };
	struct server s1, s2, hap;
	struct load_spec spec;
	struct load *l;
	const struct load_result *res;
	struct info_reply info;
	struct ping_arg pa;
	int fds[SCALEOUT_PROBES], seen[3] = { 0, 0, 0 };
	int port1, port2, front, i, who;
	long ok_at_stop, r1, r2, r2_at_stop;
	int64_t started, stop_at;

	if (!find_haproxy(haproxy, sizeof(haproxy))) {
		printf("haproxy not installed: skipping\n");
		fflush(stdout);
		return;
	}

	port1 = harness_free_port();
	port2 = harness_free_port();
	snprintf(admin1, sizeof(admin1), "127.0.0.1:%d", port1);
	snprintf(admin2, sizeof(admin2), "127.0.0.1:%d", port2);
	snprintf(workers, sizeof(workers), "%d", SCALEOUT_WORKERS);
	server_start(&s1, args1);
	server_start(&s2, args2);

	front = harness_free_port();
	snprintf(sock, sizeof(sock), "%s/haproxy.sock", harness_dir());
	write_haproxy_cfg(cfg, sizeof(cfg), sock, front, &s1, port1, &s2, port2);
	server_launch_program(&hap, hargv);
	pa.port = front;
	if (!harness_wait_until(try_ping, &pa, HARNESS_READY_MS)) {
		char *log = server_log_read(&hap, NULL);

		ck_abort_msg("haproxy on 127.0.0.1:%d never answered PING "
		    "with PONG; its log (%s):\n%s", front, hap.log,
		    log != NULL ? log : "(unreadable)");
	}

	/*
	 * The balance: connections held open at once go to both instances
	 * (leastconn alternates between them).
	 */
	for (i = 0; i < SCALEOUT_PROBES; i++) {
		fds[i] = client_connect(front);
		client_info(fds[i], &info);
		who = owner_of((pid_t)info.pid, &s1, &s2);
		ck_assert_msg(who != 0, "INFO through haproxy: pid %ld is a "
		    "worker of neither instance", info.pid);
		seen[who]++;
	}
	for (i = 0; i < SCALEOUT_PROBES; i++)
		close(fds[i]);
	ck_assert_msg(seen[1] > 0 && seen[2] > 0, "%d connections held at "
	    "once through haproxy: %d on instance 1, %d on instance 2",
	    SCALEOUT_PROBES, seen[1], seen[2]);

	/* Load through haproxy; new connections every 20 requests. */
	memset(&spec, 0, sizeof(spec));
	spec.port = front;
	spec.clients = SCALEOUT_CLIENTS;
	spec.duration_ms = SCALEOUT_LOAD_MS;
	spec.per_conn = 20;
	spec.kind = LOAD_PING_ECHO;
	l = load_new(&spec);
	res = load_result(l);
	started = harness_now_ms();

	/*
	 * Before the stop, both instances have served requests of the load
	 * (their counters come with the workers' heartbeats, so poll).
	 */
	r1 = r2 = 0;
	while (harness_now_ms() - started < SCALEOUT_BEFORE_MS ||
	    r1 == 0 || r2 == 0) {
		load_run(l, 100);
		r1 = requests_total(port1);
		r2 = requests_total(port2);
		ck_assert_msg(harness_now_ms() - started < SCALEOUT_LOAD_MS -
		    1000, "after %lld ms of load, instance 1 counts %ld "
		    "requests and instance 2 %ld: not both serving (%s)",
		    (long long)(harness_now_ms() - started), r1, r2,
		    load_describe(l));
	}
	ck_assert_msg(res->failed == 0, "before the stop: %s",
	    load_describe(l));
	load_log(l, "scaleout, before the stop");

	/*
	 * Stop instance 1 gracefully in the middle of the load, both ways
	 * deploy/haproxy.cfg describes: run 0 drains it in haproxy first (no
	 * new connections; the ones open go on), run 1 sends SIGTERM alone.
	 * Either way none may fail: forkline serves what is already in its
	 * accept queue before it closes the listeners, and haproxy retries
	 * the refused connects on the other instance.
	 */
	ok_at_stop = res->ok;
	r2_at_stop = requests_total(port2);
	if (_i == 0)
		haproxy_command(sock,
		    "set server forkline/forkline-a state drain\n");
	stop_at = harness_now_ms();
	server_signal(&s1, SIGTERM);
	while (!load_run(l, 200))
		ck_assert_msg(harness_now_ms() - stop_at < 30000,
		    "the load did not end: %s", load_describe(l));
	load_log(l, "scaleout, at the end");
	ck_assert_msg(server_wait(&s1, HARNESS_STOP_MS),
	    "instance 1 did not exit after SIGTERM");
	server_assert_exit(&s1, 0, "graceful stop of instance 1 under load");

	/* Not one request failed; some were told goodbye and sent again. */
	ck_assert_msg(res->failed == 0, "requests failed: %s",
	    load_describe(l));
	ck_assert_msg(res->byes > 0, "no client saw \"BYE shutting down\": "
	    "the stop did not happen under load (%s)", load_describe(l));
	/* Traffic went on, through instance 2. */
	ck_assert_msg(res->ok - ok_at_stop >= 100, "only %ld requests "
	    "served after the stop (%s)", res->ok - ok_at_stop,
	    load_describe(l));
	for (i = 0; i < SCALEOUT_PROBES; i++) {
		fds[i] = client_connect(front);
		client_info(fds[i], &info);
		ck_assert_msg(owner_of((pid_t)info.pid, &s1, &s2) == 2,
		    "INFO through haproxy after the stop: pid %ld is not a "
		    "worker of instance 2", info.pid);
	}
	for (i = 0; i < SCALEOUT_PROBES; i++)
		close(fds[i]);
	for (i = 0; i < 50 && requests_total(port2) <= r2_at_stop; i++)
		harness_sleep_ms(100);
	ck_assert_msg(requests_total(port2) > r2_at_stop, "instance 2's "
	    "request count did not grow after the stop (%ld)", r2_at_stop);

	load_free(l);
	server_stop(&hap);
	server_stop_expect_zero(&s2);
}
END_TEST

static Suite *
scaleout_suite(void)
{
	Suite *su = suite_create("scaleout");
	TCase *tc = tcase_create("haproxy");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_scaleout_graceful_stop, 0, 2);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return harness_main(scaleout_suite);
}
