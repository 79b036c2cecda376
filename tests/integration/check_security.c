/*
 * Integration tests of what an attacker can reach: the admin endpoint
 * binds loopback unless told otherwise, and bytes a client chooses are
 * escaped wherever they are printed (log lines, the access log, the hang
 * report, /status as JSON and as a table).
 *
 * The privilege drop of the workers is tested in check_creds
 * (test_privilege_drop: uids, gids, groups, capabilities, no_new_privs).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"
#include "tests/support/json.h"
#include "tests/support/prom.h"

#define LISTENERS_MAX	16
#define ADDR_TEXT	64
#define ADMIN_CONNS_MAX	64	/* server/admin.c */
#define ADMIN_FLOOD	400	/* connections opened at once */

/*
 * The name a client binds its unix socket to, relative to the test's
 * directory: ESC, both quotes, a backslash, a newline, a space, a byte
 * that is not UTF-8. And how the server must print it.
 */
static const char nasty[] = "\x1b[2J\"'\\\n evil\xff";
static const char nasty_escaped[] =
    "\\x1b[2J\\x22\\x27\\x5c\\x0a\\x20evil\\xff";

struct listeners {
	char	 addr[LISTENERS_MAX][ADDR_TEXT];	/* "127.0.0.1:7007" */
	int	 n;
};

static bool	 pid_has_socket(pid_t pid, unsigned long inode);
static void	 listening_sockets(pid_t pid, struct listeners *out);
static bool	 has_listener(const struct listeners *l, const char *addr);
static int	 admin_port(const struct server *s);
static char	*http_body(int port, const char *path, size_t *len);
static bool	 printable_text(const char *text, size_t len, size_t *bad);
static char	*json_peer(const char *json);
static bool	 status_shows_peer(void *arg);
static int	 count_fds(pid_t pid);
static int	 connect_nonblocking(int port);
static bool	 healthz_200(void *arg);
static Suite	*security_suite(void);

/* Is inode among the sockets pid has open? */
static bool
pid_has_socket(pid_t pid, unsigned long inode)
{
	char dir[64], path[320], link[64], want[64];
	struct dirent *de;
	bool found = false;
	DIR *d;
	ssize_t n;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	ck_assert_msg((d = opendir(dir)) != NULL, "%s: %s", dir,
	    strerror(errno));
	while (!found && (de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found = strcmp(link, want) == 0;
	}
	closedir(d);
	return found;
}

/*
 * The TCP sockets pid listens on, from /proc/net/tcp and tcp6 (state 0A):
 * "127.0.0.1:PORT", "0.0.0.0:PORT", "[v6 hex]:PORT".
 */
static void
listening_sockets(pid_t pid, struct listeners *out)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512], addr[40];
	unsigned port, state, a;
	unsigned long inode;
	size_t i;
	FILE *f;

	out->n = 0;
	for (i = 0; i < 2; i++) {
		ck_assert_msg((f = fopen(files[i], "re")) != NULL, "%s: %s",
		    files[i], strerror(errno));
		while (fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %*x:%*x %x "
			    "%*x:%*x %*x:%*x %*x %*u %*u %lu", addr, &port,
			    &state, &inode) != 4 || state != 0x0a ||
			    !pid_has_socket(pid, inode))
				continue;
			ck_assert(out->n < LISTENERS_MAX);
			if (i == 0 && sscanf(addr, "%x", &a) == 1)
				/* The raw 32-bit word, in host byte order. */
				snprintf(out->addr[out->n++], ADDR_TEXT,
				    "%u.%u.%u.%u:%u", a & 0xff, (a >> 8) & 0xff,
				    (a >> 16) & 0xff, a >> 24, port);
			else
				snprintf(out->addr[out->n++], ADDR_TEXT,
				    "[%s]:%u", addr, port);
		}
		fclose(f);
	}
}

static bool
has_listener(const struct listeners *l, const char *addr)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->addr[i], addr) == 0)
			return true;
	return false;
}

/* The port of "admin endpoint on http://127.0.0.1:PORT/" in the log. */
static int
admin_port(const struct server *s)
{
	const char *key = "admin endpoint on http://127.0.0.1:";
	char *text, *p;
	int port;

	ck_assert_msg(server_log_wait(s, "admin endpoint on http://",
	    HARNESS_READY_MS), "no \"admin endpoint on\" line in %s", s->log);
	text = server_log_read(s, NULL);
	p = strstr(text, key);
	ck_assert_msg(p != NULL, "the admin endpoint is not on 127.0.0.1: %s",
	    strstr(text, "admin endpoint on"));
	port = atoi(p + strlen(key));
	free(text);
	ck_assert_int_gt(port, 0);
	return port;
}

/* GET path; asserts 200 and returns the body (free it). */
static char *
http_body(int port, const char *path, size_t *len)
{
	char req[256], *text, *body;
	int status;

	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	text = harness_http_get(port, req, &status);
	ck_assert_msg(status == 200, "GET %s: status %d", path, status);
	body = strstr(text, "\r\n\r\n");
	ck_assert(body != NULL);
	body = strdup(body + 4);
	free(text);
	*len = strlen(body);
	return body;
}

/* Printable ASCII and newlines only; where it is not, in *bad. */
static bool
printable_text(const char *text, size_t len, size_t *bad)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((text[i] < 0x20 || text[i] > 0x7e) && text[i] != '\n') {
			*bad = i;
			return false;
		}
	return true;
}

/* For harness_wait_until: /status names this peer (JSON escapes undone). */
struct peer_wait {
	int		 port;
	const char	*peer;
};

static bool
status_shows_peer(void *arg)
{
	const struct peer_wait *w = arg;
	size_t len;
	char *body = http_body(w->port, "/status", &len);
	char *peer;
	bool found = false;

	if (strstr(body, "\"peer\":\"") != NULL) {
		peer = json_peer(body);
		found = strcmp(peer, w->peer) == 0;
		free(peer);
	}
	free(body);
	return found;
}

/* The first "peer" string of /status, JSON escapes undone (free it). */
static char *
json_peer(const char *json)
{
	const char *p = strstr(json, "\"peer\":\"");
	char *out, *o;

	ck_assert_msg(p != NULL, "no busy worker's peer in /status: %s", json);
	out = o = malloc(strlen(p));
	ck_assert(out != NULL);
	for (p += strlen("\"peer\":\""); *p != '"'; p++) {
		ck_assert_msg(*p != '\0', "unterminated peer in /status");
		if (*p == '\\') {
			p++;
			ck_assert_msg(*p == '\\' || *p == '"', "an unexpected "
			    "JSON escape \\%c in the peer", *p);
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/*
 * 1. The admin endpoint is off by default: the master listens on the
 * service address only. Given a port alone it listens on 127.0.0.1:PORT,
 * on no other address, and answers there.
 */
START_TEST(test_admin_loopback_only)
{
	const char *off[] = { "-w", "1", NULL };
	const char *port_only[] = { "-w", "1", "-a", "0", NULL };
	char service[ADDR_TEXT], admin[ADDR_TEXT], *body;
	struct listeners l;
	struct server s;
	size_t len;
	int port;

	server_start(&s, off);
	listening_sockets(s.pid, &l);
	snprintf(service, sizeof(service), "127.0.0.1:%d", s.port);
	ck_assert_msg(l.n == 1 && has_listener(&l, service), "without -a the "
	    "master listens on %d sockets (%s first), expected only %s", l.n,
	    l.n > 0 ? l.addr[0] : "none", service);
	ck_assert(!server_log_contains(&s, "admin endpoint"));
	server_stop_expect_zero(&s);

	server_start(&s, port_only);
	port = admin_port(&s);
	listening_sockets(s.pid, &l);
	snprintf(service, sizeof(service), "127.0.0.1:%d", s.port);
	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	ck_assert_msg(l.n == 2 && has_listener(&l, service) &&
	    has_listener(&l, admin), "with -a 0 the master listens on %d "
	    "sockets (%s, %s), expected %s and %s", l.n,
	    l.n > 0 ? l.addr[0] : "none", l.n > 1 ? l.addr[1] : "none",
	    service, admin);
	body = http_body(port, "/healthz", &len);
	ck_assert_str_eq(body, "ok\n");
	free(body);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 2. A unix-socket client bound to a name full of control bytes: while it
 * is served, /status shows its peer escaped (valid JSON; the table plain
 * text) and the worker's title is untouched; afterwards the log and the
 * access log have it escaped, one line each, and no raw byte of it.
 */
START_TEST(test_peer_escaped)
{
	char sock[HARNESS_PATH_MAX + 16], acc[HARNESS_PATH_MAX + 16];
	char conf[3 * HARNESS_PATH_MAX], path[HARNESS_PATH_MAX];
	char want[256], title[64], err[256];
	const char *args[] = { "-c", path, "-v", "-a", "127.0.0.1:0",
	    NULL };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct info_reply info;
	struct server s;
	struct peer_wait want_peer;
	char *body, *peer, *text;
	size_t len, bad;
	int fd, port;

	snprintf(sock, sizeof(sock), "%s/srv.sock", harness_dir());
	snprintf(acc, sizeof(acc), "%s/access.log", harness_dir());
	snprintf(conf, sizeof(conf), "[server]\nlisten = unix:%s\n"
	    "[workers]\nstart = 2\n[log]\naccess_log = %s\n", sock, acc);
	harness_write_file(path, sizeof(path), "peer-", ".conf", conf);
	server_start_unbound(&s, args);
	port = admin_port(&s);

	/* Relative to our directory, so the name stays short. */
	ck_assert_msg(chdir(harness_dir()) == 0, "chdir: %s", strerror(errno));
	memcpy(sun.sun_path, nasty, sizeof(nasty));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1 && bind(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == 0, "bind %s: %s", harness_quote(nasty,
	    strlen(nasty)), strerror(errno));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert(strlen(sock) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "connect to %s: %s", sock, strerror(errno));
	client_request(fd, "ECHO \x1b[2J\n", "\x1b[2J\n");
	client_info(fd, &info);
	snprintf(want, sizeof(want), "unix:%s", nasty_escaped);

	/*
	 * Busy: its peer in /status, once its report is in. A worker that
	 * served the harness's probe a moment ago may still show that peer
	 * until its report of this connection goes out (at most half a
	 * heartbeat, when the client sits idle): wait for ours.
	 */
	want_peer.port = port;
	want_peer.peer = want;
	ck_assert_msg(harness_wait_until(status_shows_peer, &want_peer,
	    HARNESS_REPLY_MS), "no busy worker with peer %s in /status",
	    harness_quote(want, strlen(want)));
	body = http_body(port, "/status", &len);
	ck_assert_msg(json_validate(body, len, err, sizeof(err)), "/status "
	    "with a hostile peer is not valid JSON: %s", err);
	peer = json_peer(body);
	ck_assert_msg(strcmp(peer, want) == 0, "/status shows the peer as %s, "
	    "expected %s", harness_quote(peer, strlen(peer)),
	    harness_quote(want, strlen(want)));
	free(peer);
	free(body);
	body = http_body(port, "/status?format=text", &len);
	ck_assert_msg(printable_text(body, len, &bad), "/status?format=text "
	    "has byte 0x%02x at %zu", (unsigned char)body[bad], bad);
	ck_assert_msg(strstr(body, want) != NULL, "/status?format=text does "
	    "not show the peer as %s: %s", want, body);
	free(body);
	body = http_body(port, "/metrics", &len);
	ck_assert_msg(prom_validate(body, len, err, sizeof(err)), "/metrics: "
	    "%s", err);
	free(body);
	ck_assert(ps_cmdline((pid_t)info.pid, title, sizeof(title)));
	ck_assert_msg(strncmp(title, "forkline: worker ", 17) == 0,
	    "the busy worker's title is %s", harness_quote(title,
	    strlen(title)));
	close(fd);
	unlink(nasty);

	/* The log: "PEER: connected" escaped, and nothing raw anywhere. */
	snprintf(want, sizeof(want), "unix:%s: connected", nasty_escaped);
	ck_assert_msg(server_log_wait(&s, "closed: client closed",
	    HARNESS_REPLY_MS), "no \"closed\" line in %s", s.log);
	ck_assert_msg(server_log_contains(&s, want), "no %s in %s",
	    harness_quote(want, strlen(want)), s.log);
	server_stop_expect_zero(&s);
	text = server_log_read(&s, &len);
	ck_assert_msg(printable_text(text, len, &bad), "the log has byte "
	    "0x%02x at %zu: %s", (unsigned char)text[bad], bad,
	    harness_quote(text + (bad > 40 ? bad - 40 : 0), 80));
	free(text);

	/* The access log: one line per connection, the peer escaped. */
	snprintf(want, sizeof(want), " peer=unix:%s pid=%ld ", nasty_escaped,
	    info.pid);
	text = harness_read_file(acc, &len);
	ck_assert_msg(text != NULL, "no access log %s", acc);
	ck_assert_msg(printable_text(text, len, &bad), "the access log has "
	    "byte 0x%02x at %zu", (unsigned char)text[bad], bad);
	ck_assert_msg(strstr(text, want) != NULL, "no %s in the access log: "
	    "%s", harness_quote(want, strlen(want)), text);
	ck_assert_int_eq(harness_count(text, "\n"), harness_count(text,
	    " peer="));
	free(text);
}
END_TEST

/*
 * 3. The report of a hung worker quotes the request in hand: escaped, so
 * a request cannot forge log lines or drive the terminal of whoever
 * reads the log. SIGABRT is what the master sends a worker that stopped
 * reporting.
 */
START_TEST(test_hang_report_escaped)
{
	static const char request[] = "ECHO \x1b[2J'\"\\\xff\r tail";
	const char *args[] = { "-w", "2", NULL };
	struct info_reply info;
	struct server s;
	char want[256], line[128], *text;
	size_t len, bad;
	int fd, r;

	server_start(&s, args);
	fd = client_open(&s);
	client_info(fd, &info);
	client_send(fd, request);
	client_send(fd, "\n");
	r = client_read_line(fd, line, sizeof(line), HARNESS_REPLY_MS);
	/* What follows "ECHO ", then "\n". */
	ck_assert_int_eq(r, (int)strlen(request) - 5 + 1);
	ck_assert_msg(kill((pid_t)info.pid, SIGABRT) == 0, "kill: %s",
	    strerror(errno));
	snprintf(want, sizeof(want), "request 'ECHO \\x1b[2J\\x27\\x22\\x5c"
	    "\\xff\\x0d tail' for ");
	ck_assert_msg(server_log_wait(&s, want, HARNESS_REPLY_MS), "no %s in "
	    "the log %s", harness_quote(want, strlen(want)), s.log);
	close(fd);
	server_stop_expect_zero(&s);
	text = server_log_read(&s, &len);
	ck_assert_msg(printable_text(text, len, &bad), "the log has byte "
	    "0x%02x at %zu", (unsigned char)text[bad], bad);
	free(text);
}
END_TEST

static int
count_fds(pid_t pid)
{
	char dir[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)pid);
	ck_assert_msg((d = opendir(dir)) != NULL, "%s: %s", dir,
	    strerror(errno));
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Connect without waiting: the handshake completes, or not, meanwhile. */
static int
connect_nonblocking(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_msg(fd != -1, "socket: %s", strerror(errno));
	ck_assert_msg(connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
	    errno == EINPROGRESS, "connect to 127.0.0.1:%d: %s", port,
	    strerror(errno));
	return fd;
}

/* GET /healthz (it asserts an answer within 10 s) is 200. */
static bool
healthz_200(void *arg)
{
	char *text;
	int status;

	text = harness_http_get(*(int *)arg, "GET /healthz HTTP/1.0\r\n\r\n",
	    &status);
	free(text);
	return status == 200;
}

/*
 * 4. A flood of connections to the admin endpoint: the master holds at
 * most 64 of them (the rest wait in the kernel's queue, at no cost to
 * it), does not spin, and answers again once they are gone.
 */
START_TEST(test_admin_connection_flood)
{
	const char *args[] = { "-w", "2", "-a", "0", NULL };
	struct server s;
	int fds[ADMIN_FLOOD], i, port, base, held;
	long ticks;

	server_start(&s, args);
	port = admin_port(&s);
	base = count_fds(s.pid);
	for (i = 0; i < ADMIN_FLOOD; i++)
		fds[i] = connect_nonblocking(port);
	harness_sleep_ms(1000);
	ticks = ps_cpu_ticks(s.pid);
	harness_sleep_ms(1000);
	ticks = ps_cpu_ticks(s.pid) - ticks;
	held = count_fds(s.pid) - base;
	printf("check_security: %d admin connections at once: the master "
	    "holds %d, used %ld clock ticks in 1 s\n", ADMIN_FLOOD, held,
	    ticks);
	ck_assert_msg(held <= ADMIN_CONNS_MAX + 2, "with %d connections to the "
	    "admin endpoint, the master holds %d more fds than before (at most "
	    "%d expected)", ADMIN_FLOOD, held, ADMIN_CONNS_MAX);
	ck_assert_msg(ticks < 30, "the master used %ld clock ticks in 1 s "
	    "under an admin connection flood", ticks);
	for (i = 0; i < ADMIN_FLOOD; i++)
		close(fds[i]);
	ck_assert_msg(harness_wait_until(healthz_200, &port, 15000),
	    "/healthz did not answer 200 within 15 s of the flood's end");
	client_ping(&s);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 4b. 64 clients holding unfinished requests (the endpoint at its cap): a
 * health check is still answered at once, since a new connection closes
 * the one open longest, not after the slow ones time out (5 s). The
 * shipped deploy/haproxy.cfg and deploy/kubernetes.yaml give a probe 1 s.
 */
START_TEST(test_admin_healthz_at_cap)
{
	const char *args[] = { "-w", "2", "-a", "0", NULL };
	int fds[ADMIN_CONNS_MAX], i, port, status;
	int64_t started, took;
	struct server s;
	char *text;

	server_start(&s, args);
	port = admin_port(&s);
	for (i = 0; i < ADMIN_CONNS_MAX; i++) {
		fds[i] = connect_nonblocking(port);
		harness_sleep_ms(2);
		ck_assert_msg(write(fds[i], "GET /status HTTP/1.1\r\n", 23) ==
		    23 || errno == EAGAIN, "write: %s", strerror(errno));
	}
	harness_sleep_ms(300);		/* all of them held by the master */
	started = harness_now_ms();
	text = harness_http_get(port, "GET /healthz HTTP/1.0\r\n\r\n",
	    &status);
	took = harness_now_ms() - started;
	printf("check_security: /healthz with %d slow clients held: %d in "
	    "%lld ms\n", ADMIN_CONNS_MAX, status, (long long)took);
	ck_assert_msg(status == 200, "/healthz with %d slow clients: %d %s",
	    ADMIN_CONNS_MAX, status, text != NULL ? text : "");
	ck_assert_msg(took < 1000 * harness_slow(), "/healthz took %lld ms "
	    "with %d slow clients on the admin endpoint (a probe has 1 s)",
	    (long long)took, ADMIN_CONNS_MAX);
	free(text);
	for (i = 0; i < ADMIN_CONNS_MAX; i++)
		close(fds[i]);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 5. The master out of file descriptors (its limit lowered): the admin
 * listener pauses instead of retrying at once (libevent's default would
 * spin and print a warning per attempt), and serves again once fds are
 * back.
 */
START_TEST(test_admin_accept_emfile)
{
	const char *args[] = { "-w", "2", "-a", "0", NULL };
	struct rlimit old, low;
	struct server s;
	int fds[64], i, port;
	long ticks;

	server_start(&s, args);
	port = admin_port(&s);
	ck_assert_msg(server_log_wait(&s, "ready: 2 workers serving", 5000),
	    "the workers did not report ready");
	ck_assert_msg(prlimit(s.pid, RLIMIT_NOFILE, NULL, &old) == 0,
	    "prlimit: %s", strerror(errno));
	low = (struct rlimit){ (rlim_t)count_fds(s.pid) + 4, old.rlim_max };
	ck_assert_msg(prlimit(s.pid, RLIMIT_NOFILE, &low, NULL) == 0,
	    "prlimit: %s", strerror(errno));
	for (i = 0; i < 64; i++)
		fds[i] = connect_nonblocking(port);
	ck_assert_msg(server_log_wait(&s, "pausing admin accepts", 5000),
	    "no \"pausing admin accepts\" in %s", s.log);
	ticks = ps_cpu_ticks(s.pid);
	harness_sleep_ms(1000);
	ticks = ps_cpu_ticks(s.pid) - ticks;
	printf("check_security: the master out of fds used %ld clock ticks "
	    "in 1 s\n", ticks);
	ck_assert_msg(ticks < 30, "the master used %ld clock ticks in 1 s "
	    "while it could not accept admin connections: it spins", ticks);
	ck_assert(!server_log_contains(&s, "Error from accept"));
	/* The service itself is not the master's: it goes on. */
	client_ping(&s);
	for (i = 0; i < 64; i++)
		close(fds[i]);
	ck_assert_msg(prlimit(s.pid, RLIMIT_NOFILE, &old, NULL) == 0,
	    "prlimit: %s", strerror(errno));
	ck_assert_msg(harness_wait_until(healthz_200, &port, 15000),
	    "/healthz did not answer 200 within 15 s of the limit's return");
	ck_assert(server_log_contains(&s, "admin: accepting again"));
	server_stop_expect_zero(&s);
}
END_TEST

static Suite *
security_suite(void)
{
	Suite *su = suite_create("security");
	TCase *tc = tcase_create("security");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_admin_loopback_only);
	tcase_add_test(tc, test_peer_escaped);
	tcase_add_test(tc, test_hang_report_escaped);
	tcase_add_test(tc, test_admin_connection_flood);
	tcase_add_test(tc, test_admin_healthz_at_cap);
	tcase_add_test(tc, test_admin_accept_emfile);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return harness_main(security_suite);
}
