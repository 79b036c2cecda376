/*
 * Integration tests of the lobby (lobby/lobby.c, worker/handover.c,
 * server/parking.c): connections that are not tied to a worker. A quiet
 * connection is parked in the lobby and woken to any idle worker when its
 * client sends again; a draining worker (reload, recycling, a smaller
 * pool) hands its connection over instead of saying BYE; a real stop
 * still says "BYE shutting down". idle_timeout and the access log go on
 * working for connections the lobby holds, and a lobby that dies is
 * restarted.
 *
 * Where a connection is, the test sees in /proc: the server's socket of
 * a client connection (from /proc/net/tcp) is parked when it is one of
 * the lobby's fds.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"

#define PATH_LEN	(HARNESS_PATH_MAX + 32)
#define LOBBY_TITLE	"forkline: lobby"
#define WORKER_TITLE	"forkline: worker"

/* Start with config text conf and args "-c FILE" (and "-w N" if n > 0). */
static void
start_conf(struct server *s, char *path, size_t len, const char *conf,
    int workers, bool quiet)
{
	char		 w[16];
	const char	*args[] = { "-c", path, workers > 0 ? "-w" : NULL, w,
	    NULL };

	snprintf(w, sizeof(w), "%d", workers);
	harness_write_file(path, len, "lobby-", ".conf", conf);
	if (quiet)
		server_start_quiet(s, args);
	else
		server_start(s, args);
}

/* The master's children whose title starts with prefix: count, pids. */
static int
children_titled(const struct server *s, const char *prefix, pid_t *out,
    int max)
{
	pid_t	 kids[HARNESS_MAX_PIDS];
	char	 title[128];
	int	 i, n, got = 0;

	n = ps_children(s->pid, kids, HARNESS_MAX_PIDS);
	for (i = 0; i < n && got < max; i++)
		if (ps_cmdline(kids[i], title, sizeof(title)) &&
		    strncmp(title, prefix, strlen(prefix)) == 0 &&
		    ps_alive(kids[i]))
			out[got++] = kids[i];
	return got;
}

struct lobby_wait {
	const struct server	*s;
	pid_t			 not;	/* a lobby that does not count */
	pid_t			 pid;
};

static bool
lobby_found(void *arg)
{
	struct lobby_wait	*w = arg;
	pid_t			 pid;

	/* ps_children leaves the lobby out: ps_lobby finds it. */
	pid = ps_lobby(w->s->pid);
	if (pid == 0 || pid == w->not || !ps_alive(pid))
		return false;
	w->pid = pid;
	return true;
}

/* The lobby's pid, once there is one other than not. */
static pid_t
lobby_pid(const struct server *s, pid_t not)
{
	struct lobby_wait	 w = { s, not, 0 };

	if (!harness_wait_until(lobby_found, &w, HARNESS_READY_MS))
		server_fail(s, "no child of the master (pid %ld) titled \"%s\""
		    "%s within %d ms", (long)s->pid, LOBBY_TITLE, not != 0 ?
		    " besides the killed one" : "", HARNESS_READY_MS);
	return w.pid;
}

/* The workers of the master: count, pids in a pidset. */
static void
workers_now(const struct server *s, struct pidset *set)
{
	set->n = children_titled(s, WORKER_TITLE, set->pids,
	    HARNESS_MAX_PIDS);
}

struct workers_wait {
	const struct server	*s;
	int			 n;
	struct pidset		 now;
};

static bool
has_workers(void *arg)
{
	struct workers_wait	*w = arg;

	workers_now(w->s, &w->now);
	return w->now.n == w->n;
}

static void
wait_workers(const struct server *s, int n, struct pidset *out)
{
	struct workers_wait	 w = { .s = s, .n = n };

	if (!harness_wait_until(has_workers, &w, HARNESS_READY_MS))
		server_fail(s, "expected %d workers within %d ms, there are "
		    "%d [%s]", n, HARNESS_READY_MS, w.now.n,
		    pidset_text(&w.now));
	*out = w.now;
}

/*
 * The inode of the server's socket of client connection fd, from
 * /proc/net/tcp (its local address is our peer, its remote one us); 0
 * if there is none yet.
 */
static unsigned long
server_inode(int fd)
{
	struct sockaddr_in	 me, peer;
	socklen_t		 mlen = sizeof(me), plen = sizeof(peer);
	unsigned		 laddr, lport, raddr, rport;
	unsigned long		 ino, found = 0;
	char			 line[512];
	FILE			*f;

	if (getsockname(fd, (struct sockaddr *)&me, &mlen) == -1 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) == -1 ||
	    (f = fopen("/proc/net/tcp", "re")) == NULL)
		return 0;
	while (found == 0 && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %*d: %x:%x %x:%x %*x %*x:%*x %*x:%*x %*x "
		    "%*u %*u %lu", &laddr, &lport, &raddr, &rport, &ino) != 5)
			continue;
		if (laddr == peer.sin_addr.s_addr &&
		    lport == ntohs(peer.sin_port) &&
		    raddr == me.sin_addr.s_addr &&
		    rport == ntohs(me.sin_port))
			found = ino;
	}
	fclose(f);
	return found;
}

/* Does pid hold the socket with this inode? */
static bool
holds_socket(pid_t pid, unsigned long inode)
{
	char	 want[64];

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	return inode != 0 && ps_holds(pid, want);
}

struct parked_wait {
	pid_t		 lobby;
	int		 fd;
	unsigned long	 inode;
};

static bool
is_parked(void *arg)
{
	struct parked_wait	*w = arg;

	if (w->inode == 0)
		w->inode = server_inode(w->fd);
	return holds_socket(w->lobby, w->inode);
}

/* Wait until the lobby holds client connection fd. */
#define wait_parked(s, lobby, fd, ms) \
	wait_parked_at(__LINE__, (s), (lobby), (fd), (ms))
static void
wait_parked_at(int line, const struct server *s, pid_t lobby, int fd,
    int ms)
{
	struct parked_wait	 w = { lobby, fd, 0 };

	if (!harness_wait_until(is_parked, &w, ms))
		server_fail(s, "line %d: the lobby (pid %ld) did not hold the "
		    "connection from port %d (server socket inode %lu) within "
		    "%d ms", line, (long)lobby, client_local_port(fd), w.inode,
		    ms);
}

/* "reload: generation 2 serving" and every worker of before gone. */
static void
wait_reloaded(const struct server *s, const struct pidset *before)
{
	assert_log(s, server_log_wait(s, "reload: generation 2 serving",
	    HARNESS_READY_MS), "reload", "expected \"reload: generation 2 "
	    "serving\" after SIGHUP");
	ps_assert_gone(before->pids, before->n, HARNESS_READY_MS,
	    "generation 1 workers after the reload");
}

/* One access log line, parsed. */
struct access_line {
	long			 pid, worker;
	unsigned long long	 requests, bytes_in, bytes_out;
	char			 end[32];
};

/* Lines of the access log for the client at port; the last parsed in a. */
static int
access_lines(const char *path, int port, struct access_line *a)
{
	char	*text = harness_read_file(path, NULL), *line, *save = NULL;
	char	 key[40];
	int	 n = 0, end, port_seen;

	snprintf(key, sizeof(key), " peer=127.0.0.1:%d ", port);
	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, key) == NULL)
			continue;
		n++;
		end = 0;
		ck_assert_msg(sscanf(strstr(line, key), " peer=127.0.0.1:%d "
		    "pid=%ld worker=%ld duration_ms=%*d requests=%llu "
		    "bytes_in=%llu bytes_out=%llu end=\"%31[^\"]\"%n",
		    &port_seen, &a->pid, &a->worker, &a->requests,
		    &a->bytes_in, &a->bytes_out, a->end, &end) == 7 &&
		    strstr(line, key)[end] == '\0', "malformed access log "
		    "line %s", harness_quote(line, strlen(line)));
	}
	free(text);
	return n;
}

struct access_wait {
	const char	*path;
	int		 port;
	int		 n;
	struct access_line a;
};

static bool
has_access_line(void *arg)
{
	struct access_wait	*w = arg;

	w->n = access_lines(w->path, w->port, &w->a);
	return w->n > 0;
}

/* Wait for the line of port, and give it a moment for a second one. */
static void
access_wait(const char *path, int port, struct access_wait *w)
{
	char	*text;

	*w = (struct access_wait){ .path = path, .port = port };
	if (!harness_wait_until(has_access_line, w, HARNESS_REPLY_MS)) {
		text = harness_read_file(path, NULL);
		ck_abort_msg("no access log line for port %d in %s: %s", port,
		    path, text != NULL ? harness_quote(text, strlen(text)) :
		    "(no file)");
	}
	harness_sleep_ms(300);
	w->n = access_lines(path, port, &w->a);
}

/*
 * 1. Idle clients do not deny service: with 2 workers, 6 connections
 * that send nothing are parked, and a 7th client's PING is answered at
 * once; then each idle client is served too.
 */
START_TEST(test_idle_clients_do_not_deny_service)
{
	char		 path[HARNESS_PATH_MAX];
	struct info_reply info;
	struct server	 s;
	int64_t		 t0, took;
	int		 idle[6], fd, i;

	start_conf(&s, path, sizeof(path), "[server]\n", 2, false);
	for (i = 0; i < 6; i++)
		idle[i] = client_connect(s.port);
	harness_sleep_ms(100);
	t0 = harness_now_ms();
	fd = client_connect(s.port);
	client_request(fd, "PING\n", "PONG\n");
	took = harness_now_ms() - t0;
	printf("check_lobby: a 7th client's PING behind 6 idle ones on 2 "
	    "workers took %lld ms\n", (long long)took);
	ck_assert_msg(took < 2000, "with 2 workers and 6 idle connections a "
	    "7th client's PING took %lld ms (expected < 2000)",
	    (long long)took);
	close(fd);
	for (i = 0; i < 6; i++) {
		t0 = harness_now_ms();
		client_info(idle[i], &info);
		took = harness_now_ms() - t0;
		ck_assert_msg(took < 2000, "idle client %d: INFO took %lld ms",
		    i, (long long)took);
		ck_assert_msg(server_is_worker(&s, (pid_t)info.pid), "idle "
		    "client %d: INFO from pid %ld, not a worker", i, info.pid);
	}
	for (i = 0; i < 6; i++)
		close(idle[i]);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 2. A parked connection keeps its idle_timeout: the lobby says "BYE idle
 * timeout" on time, with the line ending of the client's last request,
 * and closes. That the lobby said it, not a worker, its access log line
 * says (worker=0).
 */
START_TEST(test_parked_idle_timeout)
{
	char		 dir[HARNESS_PATH_MAX], acc[PATH_LEN];
	char		 path[HARNESS_PATH_MAX], conf[PATH_LEN + 96], line[64];
	struct access_wait w;
	struct server	 s;
	int64_t		 t0, took;
	int		 fd, crfd, r, port;

	log_dir_make(dir, sizeof(dir));
	snprintf(acc, sizeof(acc), "%s/access.log", dir);
	snprintf(conf, sizeof(conf), "[connection]\nidle_timeout = 500ms\n"
	    "park_after = 50ms\n[log]\naccess_log = %s\n", acc);
	start_conf(&s, path, sizeof(path), conf, 2, false);

	/* Silent from the start. */
	t0 = harness_now_ms();
	fd = client_connect(s.port);
	port = client_local_port(fd);
	r = client_read_line(fd, line, sizeof(line), 3000);
	took = harness_now_ms() - t0;
	ck_assert_msg(r > 0 && strcmp(line, "BYE idle timeout\n") == 0,
	    "a silent parked client: expected \"BYE idle timeout\\n\", got "
	    "%s", r > 0 ? harness_quote(line, (size_t)r) :
	    client_result_name(r));
	ck_assert_msg(took >= 400 && took <= 3000, "idle_timeout = 500ms: "
	    "the BYE came after %lld ms", (long long)took);
	client_expect_close(fd, false);
	close(fd);
	access_wait(acc, port, &w);
	ck_assert_msg(w.n == 1 && w.a.worker == 0 && strcmp(w.a.end,
	    "idle timeout") == 0, "a silent client after park_after = 50ms "
	    "and idle_timeout = 500ms: %d access lines, the last worker=%ld "
	    "end=\"%s\" (expected one, from the lobby: worker=0)", w.n,
	    w.a.worker, w.a.end);

	/* The last request ended in "\r\n": so does the goodbye. */
	crfd = client_connect(s.port);
	port = client_local_port(crfd);
	client_request(crfd, "PING\r\n", "PONG\r\n");
	t0 = harness_now_ms();
	r = client_read_line(crfd, line, sizeof(line), 3000);
	took = harness_now_ms() - t0;
	ck_assert_msg(r > 0 && strcmp(line, "BYE idle timeout\r\n") == 0,
	    "a parked client whose last request ended in CRLF: expected "
	    "\"BYE idle timeout\\r\\n\", got %s", r > 0 ?
	    harness_quote(line, (size_t)r) : client_result_name(r));
	ck_assert_msg(took >= 400 && took <= 3000, "idle_timeout = 500ms: "
	    "the BYE came %lld ms after the last reply", (long long)took);
	client_expect_close(crfd, false);
	close(crfd);
	access_wait(acc, port, &w);
	ck_assert_msg(w.n == 1 && w.a.worker == 0 && w.a.requests == 1 &&
	    w.a.bytes_out == 6 + 18, "a CRLF client expired: %d access "
	    "lines, the last worker=%ld requests=%llu bytes_out=%llu "
	    "(expected one, worker=0, 1, 24)", w.n, w.a.worker, w.a.requests,
	    w.a.bytes_out);
	server_stop_expect_zero(&s);
}
END_TEST

/* One round: each of n connections asks ECHO with its number. */
static void
echo_round(int *fds, int n, int round)
{
	char	 req[64], want[64];
	int	 i;

	for (i = 0; i < n; i++) {
		snprintf(req, sizeof(req), "ECHO c%d r%d\n", i, round);
		snprintf(want, sizeof(want), "c%d r%d\n", i, round);
		client_request(fds[i], req, want);
	}
}

/*
 * 3. SIGHUP under 16 persistent connections: the old workers hand their
 * connections over, no request gets anything but its reply (a BYE fails
 * it), and every connection's next INFO is from generation 2.
 */
START_TEST(test_reload_persistent_connections)
{
	char		 path[HARNESS_PATH_MAX];
	struct info_reply info;
	struct pidset	 gen1;
	struct server	 s;
	int		 fds[16], i, round = 0;
	int64_t		 deadline;

	start_conf(&s, path, sizeof(path), "[server]\n", 4, false);
	wait_workers(&s, 4, &gen1);
	for (i = 0; i < 16; i++)
		fds[i] = client_connect(s.port);
	for (; round < 10; round++)
		echo_round(fds, 16, round);
	server_signal(&s, SIGHUP);
	deadline = harness_deadline(HARNESS_READY_MS);
	/* Requests all through the drain, until generation 1 is gone. */
	while (harness_now_ms() < deadline) {
		echo_round(fds, 16, round++);
		if (round > 20 && server_log_contains(&s,
		    "reload: generation 2 serving") &&
		    !ps_alive(gen1.pids[0]) && !ps_alive(gen1.pids[1]) &&
		    !ps_alive(gen1.pids[2]) && !ps_alive(gen1.pids[3]))
			break;
	}
	wait_reloaded(&s, &gen1);
	for (i = 0; i < 16; i++) {
		client_info(fds[i], &info);
		ck_assert_msg(info.generation == 2, "connection %d after the "
		    "reload: INFO from pid %ld of generation %ld", i,
		    info.pid, info.generation);
		ck_assert_msg(!pidset_has(&gen1, (pid_t)info.pid), "connection "
		    "%d after the reload: served by worker %ld of generation 1",
		    i, info.pid);
	}
	echo_round(fds, 16, round);
	printf("check_lobby: 16 connections, %d rounds of requests through a "
	    "reload, none failed\n", round + 1);
	for (i = 0; i < 16; i++)
		close(fds[i]);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 4. A request split across a drain: the bytes read before the reload
 * travel with the connection, and the rest completes the request at a
 * worker of generation 2.
 */
START_TEST(test_partial_request_across_drain)
{
	char		 path[HARNESS_PATH_MAX];
	struct info_reply info;
	struct pidset	 gen1;
	struct server	 s;
	int		 fd;

	start_conf(&s, path, sizeof(path), "[server]\n", 2, false);
	wait_workers(&s, 2, &gen1);
	fd = client_connect(s.port);
	client_send(fd, "ECH");
	client_wait_consumed(fd);
	server_signal(&s, SIGHUP);
	wait_reloaded(&s, &gen1);
	client_send(fd, "O hi\n");
	client_expect(fd, "hi\n");
	client_info(fd, &info);
	ck_assert_msg(info.generation == 2 && !pidset_has(&gen1,
	    (pid_t)info.pid), "after the reload the split request's "
	    "connection is served by pid %ld of generation %ld", info.pid,
	    info.generation);
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 5. Recycling with max_requests = 20 under one persistent connection:
 * 200 requests, then more, never quiet for long enough to be parked:
 * every one answered, the worker is recycled and the connection moves
 * on to another worker while it keeps sending.
 */
START_TEST(test_recycle_persistent_connection)
{
	char		 path[HARNESS_PATH_MAX];
	struct info_reply first, now;
	struct server	 s;
	int64_t		 deadline;
	int		 fd, i;

	start_conf(&s, path, sizeof(path), "[workers]\nmax_requests = 20\n",
	    2, false);
	fd = client_connect(s.port);
	client_info(fd, &first);
	for (i = 0; i < 200; i++)
		client_request(fd, "PING\n", "PONG\n");
	/* Requests without a pause until INFO comes from another worker. */
	deadline = harness_deadline(3000);
	do {
		for (i = 0; i < 10; i++)
			client_request(fd, "PING\n", "PONG\n");
		client_info(fd, &now);
	} while (now.pid == first.pid && harness_now_ms() < deadline);
	ck_assert_msg(now.pid != first.pid, "max_requests = 20: after 200 "
	    "requests and 3 s more of them the connection is still served by "
	    "pid %ld, which has served %ld requests", now.pid, now.requests);
	/* Not "asks to be recycled after": the master's line once it is. */
	assert_log(&s, server_log_wait(&s, ") recycled after", 5000),
	    "recycl", "max_requests = 20 and a persistent connection: no "
	    "worker was recycled");
	for (i = 0; i < 20; i++)
		client_request(fd, "PING\n", "PONG\n");
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 6. SIGTTOU from 3 workers: the retired worker's connection (parked when
 * its client went quiet, so the worker was idle) keeps working at
 * another worker.
 */
START_TEST(test_shrink_keeps_connection)
{
	char		 path[HARNESS_PATH_MAX];
	struct info_reply info;
	struct pidset	 before, after;
	struct server	 s;
	long		 pids[10];
	pid_t		 retired = 0;
	int		 fds[10], n = 0, i, j, covered = 0;

	start_conf(&s, path, sizeof(path), "[connection]\n"
	    "park_after = 200ms\n", 3, false);
	wait_workers(&s, 3, &before);
	/* Connections until every worker has served one of them last. */
	while (n < 10 && covered < 3) {
		fds[n] = client_connect(s.port);
		client_info(fds[n], &info);
		pids[n++] = info.pid;
		for (covered = 0, i = 0; i < before.n; i++)
			for (j = 0; j < n; j++)
				if (pids[j] == (long)before.pids[i]) {
					covered++;
					break;
				}
	}
	ck_assert_msg(covered == 3, "10 connections were served by %d of the "
	    "3 workers", covered);
	server_signal(&s, SIGTTOU);
	assert_log(&s, log_wait_count(&s, "retiring 1 idle", 0, 1,
	    HARNESS_READY_MS), "pool", "no worker retired after SIGTTOU");
	wait_workers(&s, 2, &after);
	for (i = 0; i < before.n; i++)
		if (!pidset_has(&after, before.pids[i]))
			retired = before.pids[i];
	ck_assert_msg(retired != 0, "after SIGTTOU: workers [%s], before "
	    "[%s]", pidset_text(&after), pidset_text(&before));
	ps_wait_gone(retired, "the retired worker");
	for (i = 0; i < n; i++) {
		client_request(fds[i], "PING\n", "PONG\n");
		client_info(fds[i], &info);
		ck_assert_msg(info.pid != (long)retired && pidset_has(&after,
		    (pid_t)info.pid), "connection %d (last at pid %ld) after "
		    "SIGTTOU retired %ld: served by pid %ld", i, pids[i],
		    (long)retired, info.pid);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 7. A real stop still says goodbye: after SIGTERM a client in a worker
 * and a client in the lobby both get "BYE shutting down", then EOF.
 */
START_TEST(test_stop_says_goodbye)
{
	char		 path[HARNESS_PATH_MAX];
	struct server	 s;
	pid_t		 lobby;
	int		 parked, busy;

	start_conf(&s, path, sizeof(path), "[connection]\n"
	    "park_after = 100ms\n", 2, false);
	lobby = lobby_pid(&s, 0);
	parked = client_connect(s.port);
	client_request(parked, "PING\n", "PONG\n");
	wait_parked(&s, lobby, parked, HARNESS_REPLY_MS);
	busy = client_connect(s.port);
	client_request(busy, "PING\n", "PONG\n");
	server_signal(&s, SIGTERM);
	client_expect(busy, "BYE shutting down\n");
	client_expect_close(busy, false);
	client_expect(parked, "BYE shutting down\n");
	client_expect_close(parked, false);
	close(busy);
	close(parked);
	ck_assert_msg(server_wait(&s, HARNESS_STOP_MS), "the master did not "
	    "exit after SIGTERM");
	server_assert_exit(&s, 0, "SIGTERM with a parked connection");
}
END_TEST

/*
 * 8. The lobby killed: its parked clients see EOF, the master says so and
 * restarts it, and a new quiet connection is parked in the new lobby and
 * served again.
 */
START_TEST(test_lobby_killed)
{
	char		 path[HARNESS_PATH_MAX], want[96];
	struct server	 s;
	pid_t		 lobby, next;
	int		 a, b, fd;

	start_conf(&s, path, sizeof(path), "[connection]\n"
	    "park_after = 100ms\n", 2, false);
	lobby = lobby_pid(&s, 0);
	a = client_connect(s.port);
	client_request(a, "PING\n", "PONG\n");
	b = client_connect(s.port);
	client_request(b, "PING\n", "PONG\n");
	wait_parked(&s, lobby, a, HARNESS_REPLY_MS);
	wait_parked(&s, lobby, b, HARNESS_REPLY_MS);
	harness_sleep_ms(300);	/* its report of both has reached the master */
	ck_assert_int_eq(kill(lobby, SIGKILL), 0);
	client_expect_close(a, false);
	client_expect_close(b, false);
	close(a);
	close(b);
	snprintf(want, sizeof(want), "lobby (pid %ld) ", (long)lobby);
	assert_log(&s, log_wait_count(&s, want, 0, 1, HARNESS_READY_MS),
	    "lobby", "no word of the killed lobby");
	assert_log(&s, log_count(&s, "the 2 connections it held were closed",
	    0) == 1 && log_count(&s, "restarting it in", 0) == 1, "lobby",
	    "expected the master to say the lobby held 2 connections and is "
	    "restarted");
	next = lobby_pid(&s, lobby);
	fd = client_connect(s.port);
	client_request(fd, "PING\n", "PONG\n");
	wait_parked(&s, next, fd, HARNESS_REPLY_MS);
	client_request(fd, "PING\n", "PONG\n");
	client_request(fd, "ECHO again\n", "again\n");
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 9. The access log: a connection parked twice between its requests has
 * one line with its totals (QUIT counts as a request, as it does without
 * parking: PING ECHO PING QUIT is 4), and one that expires in the lobby
 * has the lobby's line, worker=0 end="idle timeout".
 */
START_TEST(test_access_log_totals)
{
	char		 dir[HARNESS_PATH_MAX], acc[PATH_LEN];
	char		 path[HARNESS_PATH_MAX], conf[PATH_LEN + 96];
	struct access_wait w;
	struct server	 s;
	pid_t		 lobby;
	int		 fd, port;

	log_dir_make(dir, sizeof(dir));
	snprintf(acc, sizeof(acc), "%s/access.log", dir);
	snprintf(conf, sizeof(conf), "[connection]\nidle_timeout = 1s\n"
	    "park_after = 100ms\n[log]\naccess_log = %s\n", acc);
	start_conf(&s, path, sizeof(path), conf, 2, false);
	lobby = lobby_pid(&s, 0);

	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "PING\n", "PONG\n");
	wait_parked(&s, lobby, fd, HARNESS_REPLY_MS);
	client_request(fd, "ECHO hi\n", "hi\n");
	wait_parked(&s, lobby, fd, HARNESS_REPLY_MS);
	client_request(fd, "PING\n", "PONG\n");
	client_request(fd, "QUIT\n", "BYE\n");
	client_expect_close(fd, false);
	close(fd);
	access_wait(acc, port, &w);
	ck_assert_msg(w.n == 1, "a connection parked twice has %d access log "
	    "lines", w.n);
	ck_assert_msg(w.a.requests == 4 && strcmp(w.a.end, "quit") == 0 &&
	    w.a.worker > 0, "PING, park, ECHO, park, PING, QUIT: logged "
	    "worker=%ld requests=%llu end=\"%s\" (expected a worker, 4, "
	    "quit)", w.a.worker, w.a.requests, w.a.end);
	ck_assert_msg(w.a.bytes_in == 5 + 8 + 5 + 5 &&
	    w.a.bytes_out == 5 + 3 + 5 + 4, "PING, park, ECHO, park, PING, "
	    "QUIT: logged bytes_in=%llu bytes_out=%llu (expected 23, 17)",
	    w.a.bytes_in, w.a.bytes_out);

	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "PING\n", "PONG\n");
	wait_parked(&s, lobby, fd, HARNESS_REPLY_MS);
	client_expect(fd, "BYE idle timeout\n");
	client_expect_close(fd, false);
	close(fd);
	access_wait(acc, port, &w);
	ck_assert_msg(w.n == 1, "a connection expired in the lobby has %d "
	    "access log lines", w.n);
	ck_assert_msg(w.a.worker == 0 && w.a.pid == (long)lobby &&
	    strcmp(w.a.end, "idle timeout") == 0 && w.a.requests == 1 &&
	    w.a.bytes_in == 5 && w.a.bytes_out == 5 + 17, "expired in the "
	    "lobby (pid %ld): logged pid=%ld worker=%ld requests=%llu "
	    "bytes_in=%llu bytes_out=%llu end=\"%s\"", (long)lobby, w.a.pid,
	    w.a.worker, w.a.requests, w.a.bytes_in, w.a.bytes_out, w.a.end);
	server_stop_expect_zero(&s);
}
END_TEST

static void
echo_expect(int fd, const char *text)
{
	char	 buf[64];
	size_t	 len = strlen(text);

	client_send(fd, text);
	ck_assert_msg(client_read_exact(fd, buf, len, HARNESS_REPLY_MS) &&
	    memcmp(buf, text, len) == 0, "echo: sent %s, got %s",
	    harness_quote(text, len), harness_quote(buf, len));
}

/*
 * 10. The echo protocol: a parked connection wakes and echoes, and both a
 * parked one and one in a worker echo on through a reload.
 */
START_TEST(test_echo_parks_and_reloads)
{
	char		 path[HARNESS_PATH_MAX];
	struct pidset	 gen1;
	struct server	 s;
	pid_t		 lobby;
	int		 parked, busy;

	start_conf(&s, path, sizeof(path), "[server]\nprotocol = echo\n"
	    "[connection]\npark_after = 100ms\n", 2, true);
	wait_workers(&s, 2, &gen1);
	lobby = lobby_pid(&s, 0);
	parked = client_connect(s.port);
	echo_expect(parked, "hello");
	wait_parked(&s, lobby, parked, HARNESS_REPLY_MS);
	echo_expect(parked, "woken\n");
	wait_parked(&s, lobby, parked, HARNESS_REPLY_MS);

	busy = client_connect(s.port);
	echo_expect(busy, "busy");
	server_signal(&s, SIGHUP);
	wait_reloaded(&s, &gen1);
	echo_expect(parked, "after the reload");
	echo_expect(busy, "busy after the reload");
	wait_parked(&s, lobby, parked, HARNESS_REPLY_MS);
	echo_expect(parked, "again\r\n");
	close(parked);
	close(busy);
	server_stop_expect_zero(&s);
}
END_TEST

static Suite *
lobby_suite(void)
{
	Suite *su = suite_create("lobby");
	TCase *tc = tcase_create("lobby");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_idle_clients_do_not_deny_service);
	tcase_add_test(tc, test_parked_idle_timeout);
	tcase_add_test(tc, test_reload_persistent_connections);
	tcase_add_test(tc, test_partial_request_across_drain);
	tcase_add_test(tc, test_recycle_persistent_connection);
	tcase_add_test(tc, test_shrink_keeps_connection);
	tcase_add_test(tc, test_stop_says_goodbye);
	tcase_add_test(tc, test_lobby_killed);
	tcase_add_test(tc, test_access_log_totals);
	tcase_add_test(tc, test_echo_parks_and_reloads);
	suite_add_tcase(su, tc);
	return su;
}

int
main(void)
{
	return harness_main(lobby_suite);
}
