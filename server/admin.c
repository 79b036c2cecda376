/*
 * admin: the master's HTTP endpoint (libevent's evhttp), off unless
 * [admin] listen or -a names an address.
 *
 *   GET /healthz   200 "ok" once min_ready workers serve; otherwise 503
 *                  and why (starting, crash loop, draining)
 *   GET /status    JSON: server, pool, totals, one row per worker
 *                  (?format=text: the table `forkline status` prints)
 *   GET /metrics   Prometheus text exposition
 *
 * Everything comes from what the master already knows (the workers'
 * reports): a request costs the workers nothing. Requests are small and
 * bounded (headers 8 KiB, no body, 5 s for the whole request, 64
 * connections at once: further ones wait in the kernel's queue), and the
 * handlers never block the event loop.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/master.h"

#define ADMIN_BACKLOG		64
#define ADMIN_HEADERS_MAX	8192
#define ADMIN_TIMEOUT_S		5
#define ADMIN_CONNS_MAX		64
#define ADMIN_ACCEPT_PAUSE_MS	250	/* after accept fails (EMFILE) */

/*
 * evhttp's timeout restarts with every byte, so a client sending one byte
 * a second would hold a connection for ever. Each connection's
 * bufferevent is made here (evhttp_set_bevcb), at most ADMIN_CONNS_MAX at
 * once, and the master's tick shuts down any older than ADMIN_TIMEOUT_S.
 * An extra reference keeps the bufferevent valid until the sweep sees
 * that evhttp has let go of it (it clears its callbacks when it does).
 */
struct admin_conn {
	struct bufferevent	*bev;		/* NULL: free */
	int64_t			 deadline_ms;
};

/* Room to track connections past the limit, to close them at once. */
#define ADMIN_TRACK_MAX		(4 * ADMIN_CONNS_MAX)

static struct admin_conn conns[ADMIN_TRACK_MAX];

/*
 * The listener stops accepting while ADMIN_CONNS_MAX connections are open
 * (the rest wait in the kernel's queue, costing the master no fd), and
 * for a while after accept fails: libevent would otherwise retry a
 * listener that stays readable at once, forever, and print a warning
 * each time (out of fds, a flood of connections held open made the
 * master spin and write 40,000 lines a second).
 */
static struct evconnlistener *listener;
static int64_t		 accept_resume_ms;	/* 0: not paused */
static unsigned long	 accept_failures;

static void	 on_healthz(struct evhttp_request *, void *);
static void	 on_status(struct evhttp_request *, void *);
static void	 on_metrics(struct evhttp_request *, void *);
static void	 on_other(struct evhttp_request *, void *);
static void	 reply(struct evhttp_request *, int, const char *,
		    const char *, struct evbuffer *);
static const char *health_problem(const struct master *);
static const char *slot_state_name(enum slot_state);
static int	 count_state(const struct master *, enum slot_state);
static int	 inherited_fd(void);
static void	 latency_histogram(struct evbuffer *, const struct totals *);
static struct bufferevent *new_conn(struct event_base *, void *);
static void	 on_accept_error(struct evconnlistener *, void *);
static int	 live_conns(void);
static void	 resume_accepting(void);
static void	 status_text(const struct master *, const struct totals *,
		    struct evbuffer *);
static bool	 wants_text(struct evhttp_request *);
static void	 json_string(struct evbuffer *, const char *, size_t);
static void	 text_printable(struct evbuffer *, const char *, size_t);

static const char *
slot_state_name(enum slot_state state)
{
	static const char *const names[] = {
		[SLOT_EMPTY] = "empty",
		[SLOT_STARTING] = "starting",
		[SLOT_IDLE] = "idle",
		[SLOT_BUSY] = "busy",
		[SLOT_DRAINING] = "draining",
	};

	return names[state];
}

static int
count_state(const struct master *m, enum slot_state state)
{
	return supervise_count(m, state, 0);
}

static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, struct evbuffer *body)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", type);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evhttp_send_reply(req, code, reason, body);
}

/* NULL when healthy; else why not, for /healthz and its 503. */
static const char *
health_problem(const struct master *m)
{
	int want = m->conf.min_ready > 0 ? m->conf.min_ready :
	    m->conf.workers;
	int serving = supervise_count(m, SLOT_IDLE, m->generation) +
	    supervise_count(m, SLOT_BUSY, m->generation);

	if (m->state != MASTER_RUNNING)
		return "draining";
	if (serving >= want)
		return NULL;
	if (m->crashloop.looping)
		return "crash loop";
	return "starting";
}

static void
on_healthz(struct evhttp_request *req, void *arg)
{
	struct master *m = arg;
	struct evbuffer *b = evbuffer_new();
	const char *problem = health_problem(m);

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (problem == NULL) {
		evbuffer_add_printf(b, "ok\n");
		reply(req, HTTP_OK, "OK", "text/plain", b);
	} else {
		evbuffer_add_printf(b, "%s\n", problem);
		reply(req, HTTP_SERVUNAVAIL, "Service Unavailable",
		    "text/plain", b);
	}
	evbuffer_free(b);
}

/*
 * A worker's peer comes escaped (common/escape.h), so it is printable
 * ASCII with no quote; its backslashes still need JSON's escaping. The
 * rest is for a report from a worker that misbehaves: it runs as another
 * user and reads untrusted input, and /status must stay valid JSON and
 * its table plain text whatever a worker sends.
 */
static void
json_string(struct evbuffer *b, const char *s, size_t len)
{
	unsigned char c;
	size_t i;

	evbuffer_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			evbuffer_add_printf(b, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			evbuffer_add_printf(b, "\\u%04x", c);
		else
			evbuffer_add(b, &s[i], 1);
	}
	evbuffer_add(b, "\"", 1);
}

static void
text_printable(struct evbuffer *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		evbuffer_add(b, s[i] >= 0x20 && s[i] <= 0x7e ? &s[i] : "?", 1);
}

static void
status_server(const struct master *m, struct evbuffer *b)
{
	int i;

	evbuffer_add_printf(b, "{\"server\":{\"version\":\"%s\",\"pid\":%ld,"
	    "\"uptime_ms\":%" PRId64 ",\"generation\":%u,\"protocol\":\"%s\","
	    "\"listeners\":[", FORKLINE_VERSION, (long)m->pid,
	    now_ms() - m->started_ms, m->generation,
	    conf_protocol_name(m->conf.protocol));
	/* Addresses are ours (numeric or a configured path): no escaping. */
	for (i = 0; i < m->nlisteners; i++)
		evbuffer_add_printf(b, "%s\"%s\"", i > 0 ? "," : "",
		    m->listeners[i].addr.text);
	evbuffer_add_printf(b, "]},");
}

static void
status_pool(const struct master *m, struct evbuffer *b)
{
	evbuffer_add_printf(b, "\"pool\":{\"mode\":\"%s\",\"target\":%d,"
	    "\"min_spare\":%d,\"max_spare\":%d,\"max\":%d,\"min_ready\":%d,"
	    "\"starting\":%d,\"idle\":%d,\"busy\":%d,\"draining\":%d,"
	    "\"queued\":%d},", conf_pool_mode_name(m->limits.mode),
	    m->limits.target, m->limits.min_spare, m->limits.max_spare,
	    m->limits.max, m->conf.min_ready, count_state(m, SLOT_STARTING),
	    count_state(m, SLOT_IDLE), count_state(m, SLOT_BUSY),
	    count_state(m, SLOT_DRAINING), listeners_queued(m));
}

static void
status_workers(const struct master *m, struct evbuffer *b)
{
	const struct slot *s;
	struct timespec ts;
	int64_t now = now_ms(), wall;
	int i, n = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	evbuffer_add_printf(b, "\"workers\":[");
	for (i = 0; i < m->slots_hi; i++) {
		s = &m->slots[i];
		if (s->state == SLOT_EMPTY)
			continue;
		evbuffer_add_printf(b, "%s{\"slot\":%d,\"pid\":%ld,"
		    "\"generation\":%u,\"state\":\"%s\",\"connections\":%"
		    PRIu64 ",\"requests\":%" PRIu64 ",\"bytes_in\":%" PRIu64
		    ",\"bytes_out\":%" PRIu64 ",\"max_rss_kb\":%" PRIu64
		    ",\"age_ms\":%" PRId64 ",\"report_age_ms\":%" PRId64,
		    n++ > 0 ? "," : "", s->num, (long)s->pid, s->generation,
		    slot_state_name(s->state), s->last.connections,
		    s->last.requests, s->last.bytes_in, s->last.bytes_out,
		    s->last.max_rss_kb, now - s->started_ms,
		    now - s->last_report_ms);
		if (s->state == SLOT_BUSY && s->last.conn_started_ms > 0) {
			evbuffer_add_printf(b, ",\"peer\":");
			json_string(b, s->last.peer, strnlen(s->last.peer,
			    sizeof(s->last.peer)));
			evbuffer_add_printf(b, ",\"connection_age_ms\":%"
			    PRId64, wall - s->last.conn_started_ms);
		}
		evbuffer_add_printf(b, "%s}", s->wants_recycle ?
		    ",\"recycling\":true" : "");
	}
	evbuffer_add_printf(b, "]}\n");
}

/* /status?format=text: the table `forkline status` prints. */
static void
status_text(const struct master *m, const struct totals *t,
    struct evbuffer *b)
{
	const struct slot *s;
	struct timespec ts;
	int64_t now = now_ms(), wall;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	evbuffer_add_printf(b, "forkline %s: master pid %ld, up %" PRId64
	    " s, generation %u, %s protocol\n", FORKLINE_VERSION, (long)m->pid,
	    (now - m->started_ms) / 1000, m->generation,
	    conf_protocol_name(m->conf.protocol));
	evbuffer_add_printf(b, "listening on");
	for (i = 0; i < m->nlisteners; i++)
		evbuffer_add_printf(b, " %s", m->listeners[i].addr.text);
	evbuffer_add_printf(b, "\npool: %s, target %d, spare %d..%d, max %d; "
	    "%d starting, %d idle, %d busy, %d draining; %d queued\n",
	    conf_pool_mode_name(m->limits.mode), m->limits.target,
	    m->limits.min_spare, m->limits.max_spare, m->limits.max,
	    count_state(m, SLOT_STARTING), count_state(m, SLOT_IDLE),
	    count_state(m, SLOT_BUSY), count_state(m, SLOT_DRAINING),
	    listeners_queued(m));
	evbuffer_add_printf(b, "totals: %" PRIu64 " connections, %" PRIu64
	    " requests, %" PRIu64 " bytes in, %" PRIu64 " bytes out, %u "
	    "restarts%s\n\n", t->connections, t->requests, t->bytes_in,
	    t->bytes_out, m->restarts, m->crashloop.looping ?
	    ", CRASH LOOP" : "");
	evbuffer_add_printf(b, "%-5s %-8s %-4s %-9s %8s %10s %8s %9s %8s %9s  "
	    "%s\n", "SLOT", "PID", "GEN", "STATE", "CONNS", "REQUESTS", "RSS_KB",
	    "AGE_S", "REPORT_MS", "CONN_MS", "PEER");
	for (i = 0; i < m->slots_hi; i++) {
		s = &m->slots[i];
		if (s->state == SLOT_EMPTY)
			continue;
		evbuffer_add_printf(b, "%-5d %-8ld %-4u %-9s %8" PRIu64 " %10"
		    PRIu64 " %8" PRIu64 " %9" PRId64 " %8" PRId64, s->num,
		    (long)s->pid, s->generation, slot_state_name(s->state),
		    s->last.connections, s->last.requests, s->last.max_rss_kb,
		    (now - s->started_ms) / 1000, now - s->last_report_ms);
		if (s->state == SLOT_BUSY && s->last.conn_started_ms > 0) {
			evbuffer_add_printf(b, " %9" PRId64 "  ",
			    wall - s->last.conn_started_ms);
			text_printable(b, s->last.peer, strnlen(s->last.peer,
			    sizeof(s->last.peer)));
			evbuffer_add_printf(b, "\n");
		} else
			evbuffer_add_printf(b, " %9s\n", "-");
	}
}

static bool
wants_text(struct evhttp_request *req)
{
	const char *query = evhttp_uri_get_query(
	    evhttp_request_get_evhttp_uri(req));

	return query != NULL && strcmp(query, "format=text") == 0;
}

static void
on_status(struct evhttp_request *req, void *arg)
{
	struct master *m = arg;
	struct evbuffer *b = evbuffer_new();
	enum stop_reason why;
	struct totals t;

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	supervise_totals(m, &t);
	if (wants_text(req)) {
		status_text(m, &t, b);
		reply(req, HTTP_OK, "OK", "text/plain", b);
		evbuffer_free(b);
		return;
	}
	status_server(m, b);
	status_pool(m, b);
	evbuffer_add_printf(b, "\"totals\":{\"connections\":%" PRIu64
	    ",\"requests\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%"
	    PRIu64 ",\"restarts\":%u,\"crash_loop\":%s,\"exits\":{",
	    t.connections, t.requests, t.bytes_in, t.bytes_out, m->restarts,
	    m->crashloop.looping ? "true" : "false");
	for (why = STOP_NONE; why < STOP_NREASONS; why++)
		evbuffer_add_printf(b, "%s\"%s\":%" PRIu64, why > STOP_NONE ?
		    "," : "", stop_reason_name(why), m->exits[why]);
	evbuffer_add_printf(b, "}},");
	status_workers(m, b);
	reply(req, HTTP_OK, "OK", "application/json", b);
	evbuffer_free(b);
}

/* One metric: its HELP and TYPE lines, then what fmt adds. */
#define METRIC(b, name, type, help)					\
	evbuffer_add_printf((b), "# HELP " name " " help "\n# TYPE " name \
	    " " type "\n")

static void
on_metrics(struct evhttp_request *req, void *arg)
{
	struct master *m = arg;
	struct evbuffer *b = evbuffer_new();
	enum stop_reason why;
	struct totals t;
	enum slot_state st;
	int i;

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	supervise_totals(m, &t);
	METRIC(b, "forkline_workers", "gauge", "Worker processes by state.");
	for (st = SLOT_STARTING; st < SLOT_NSTATES; st++)
		evbuffer_add_printf(b, "forkline_workers{state=\"%s\"} %d\n",
		    slot_state_name(st), count_state(m, st));
	METRIC(b, "forkline_connections_total", "counter",
	    "Connections served.");
	evbuffer_add_printf(b, "forkline_connections_total %" PRIu64 "\n",
	    t.connections);
	METRIC(b, "forkline_requests_total", "counter", "Requests served.");
	evbuffer_add_printf(b, "forkline_requests_total %" PRIu64 "\n",
	    t.requests);
	METRIC(b, "forkline_received_bytes_total", "counter",
	    "Bytes read from clients.");
	evbuffer_add_printf(b, "forkline_received_bytes_total %" PRIu64 "\n",
	    t.bytes_in);
	METRIC(b, "forkline_sent_bytes_total", "counter",
	    "Bytes written to clients.");
	evbuffer_add_printf(b, "forkline_sent_bytes_total %" PRIu64 "\n",
	    t.bytes_out);
	METRIC(b, "forkline_restarts_total", "counter",
	    "Workers restarted after a crash or a failed fork.");
	evbuffer_add_printf(b, "forkline_restarts_total %u\n", m->restarts);
	METRIC(b, "forkline_worker_exits_total", "counter",
	    "Worker exits, by reason.");
	for (why = STOP_NONE; why < STOP_NREASONS; why++)
		evbuffer_add_printf(b, "forkline_worker_exits_total{reason=\"%s\"} "
		    "%" PRIu64 "\n", stop_reason_name(why), m->exits[why]);
	METRIC(b, "forkline_crash_loop", "gauge",
	    "1 while workers keep dying early.");
	evbuffer_add_printf(b, "forkline_crash_loop %d\n",
	    m->crashloop.looping ? 1 : 0);
	METRIC(b, "forkline_generation", "gauge",
	    "Configuration generation (1 + reloads).");
	evbuffer_add_printf(b, "forkline_generation %u\n", m->generation);
	METRIC(b, "forkline_listen_queue", "gauge",
	    "Connections waiting in the TCP accept queues.");
	evbuffer_add_printf(b, "forkline_listen_queue %d\n",
	    listeners_queued(m));
	latency_histogram(b, &t);
	METRIC(b, "forkline_worker_requests_total", "counter",
	    "Requests served, per worker process.");
	for (i = 0; i < m->slots_hi; i++)
		if (m->slots[i].state != SLOT_EMPTY)
			evbuffer_add_printf(b, "forkline_worker_requests_total"
			    "{worker=\"%d\",pid=\"%ld\"} %" PRIu64 "\n",
			    m->slots[i].num, (long)m->slots[i].pid,
			    m->slots[i].last.requests);
	reply(req, HTTP_OK, "OK", "text/plain; version=0.0.4", b);
	evbuffer_free(b);
}

/*
 * The workers count requests into fixed buckets; Prometheus wants them
 * cumulative, with upper bounds in seconds.
 */
static void
latency_histogram(struct evbuffer *b, const struct totals *t)
{
	uint64_t cumulative = 0;
	int i;

	METRIC(b, "forkline_request_duration_seconds", "histogram",
	    "Time from a request line to its reply, line protocol.");
	for (i = 0; i < HEALTH_LATENCY_BUCKETS - 1; i++) {
		cumulative += t->latency[i];
		evbuffer_add_printf(b, "forkline_request_duration_seconds_bucket"
		    "{le=\"%g\"} %" PRIu64 "\n",
		    health_latency_bounds_us[i] / 1e6, cumulative);
	}
	cumulative += t->latency[i];
	evbuffer_add_printf(b, "forkline_request_duration_seconds_bucket"
	    "{le=\"+Inf\"} %" PRIu64 "\n", cumulative);
	evbuffer_add_printf(b, "forkline_request_duration_seconds_sum %.6f\n",
	    t->latency_sum_us / 1e6);
	evbuffer_add_printf(b, "forkline_request_duration_seconds_count %"
	    PRIu64 "\n", cumulative);
}

static void
on_other(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, HTTP_NOTFOUND, "try /healthz, /status or "
	    "/metrics");
}

/* FORKLINE_UPGRADE_ADMIN_FD, set by an old master's upgrade child. */
static int
inherited_fd(void)
{
	const char *env = getenv("FORKLINE_UPGRADE_ADMIN_FD");
	int fd;

	if (env == NULL)
		return -1;
	fd = (int)strtol(env, NULL, 10);
	unsetenv("FORKLINE_UPGRADE_ADMIN_FD");
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return fd;
}

static int
live_conns(void)
{
	int i, live = 0;

	for (i = 0; i < ADMIN_TRACK_MAX; i++)
		if (conns[i].bev != NULL)
			live++;
	return live;
}

/*
 * The ADMIN_CONNS_MAX-th connection stops the listener until the tick
 * sees one gone. One beyond it all the same (the listener paused too
 * late) gets a deadline of now: the next tick closes it. (Returning NULL
 * would not refuse it: evhttp would make a bufferevent of its own,
 * beyond our sight.)
 */
static struct bufferevent *
new_conn(struct event_base *base, void *arg)
{
	struct bufferevent *bev;
	int i, free_at = -1, live = live_conns();

	(void)arg;
	if (accept_failures > 0) {
		log_info("admin: accepting again after %lu failed attempts",
		    accept_failures);
		accept_failures = 0;
	}
	for (i = 0; i < ADMIN_TRACK_MAX && free_at == -1; i++)
		if (conns[i].bev == NULL)
			free_at = i;
	if (free_at == -1)
		return NULL;
	if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	bufferevent_incref(bev);
	conns[free_at].bev = bev;
	conns[free_at].deadline_ms = live >= ADMIN_CONNS_MAX ? now_ms() :
	    now_ms() + ADMIN_TIMEOUT_S * 1000;
	if (live + 1 >= ADMIN_CONNS_MAX && listener != NULL)
		evconnlistener_disable(listener);
	return bev;
}

/* accept failed for want of fds or memory: pause, say so once. */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	int err = errno;

	(void)arg;
	evconnlistener_disable(lev);
	accept_resume_ms = now_ms() + ADMIN_ACCEPT_PAUSE_MS;
	if (accept_failures++ == 0)
		log_warnx("admin: accept: %s; pausing admin accepts, retrying "
		    "every %d ms", strerror(err), ADMIN_ACCEPT_PAUSE_MS);
}

/* Accept again once below the limit and past any pause. */
static void
resume_accepting(void)
{
	if (listener == NULL || live_conns() >= ADMIN_CONNS_MAX ||
	    (accept_resume_ms != 0 && now_ms() < accept_resume_ms))
		return;
	accept_resume_ms = 0;
	evconnlistener_enable(listener);
}

/*
 * From the master's tick: release what evhttp freed, cut what is late,
 * accept again if there is room.
 */
void
admin_tick(struct master *m)
{
	bufferevent_data_cb readcb;
	int64_t now = now_ms();
	int i;

	(void)m;
	for (i = 0; i < ADMIN_TRACK_MAX; i++) {
		if (conns[i].bev == NULL)
			continue;
		bufferevent_getcb(conns[i].bev, &readcb, NULL, NULL, NULL);
		if (readcb == NULL) {
			bufferevent_decref(conns[i].bev);
			conns[i].bev = NULL;
		} else if (now >= conns[i].deadline_ms)
			shutdown(bufferevent_getfd(conns[i].bev), SHUT_RDWR);
	}
	resume_accepting();
}

int
admin_open(struct master *m)
{
	char err[CONF_ERR_MAX];
	struct evhttp_bound_socket *bound;
	struct net_addr addr;
	int fd;

	m->admin.fd = -1;
	if (strcmp(m->conf.admin_listen, "off") == 0)
		return 0;
	if (net_parse_addr(m->conf.admin_listen, &addr, err,
	    sizeof(err)) == -1) {
		log_errorx("[admin] listen %s", err);
		return -1;
	}
	/* A binary upgrade hands the old master's admin socket over. */
	if ((fd = inherited_fd()) != -1)
		;
	else if ((fd = net_listen(&addr, ADMIN_BACKLOG, 0600, err,
	    sizeof(err))) == -1) {
		/* A unix admin socket (0600) is for the owner only. */
		log_errorx("cannot listen for admin requests on %s", err);
		return -1;
	}
	m->admin.fd = fd;
	m->admin.owned = true;
	if (addr.ss.ss_family == AF_UNIX || net_local_addr(fd,
	    &m->admin.addr) == -1)
		m->admin.addr = addr;
	if ((m->http = evhttp_new(m->base)) == NULL ||
	    (bound = evhttp_accept_socket_with_handle(m->http, fd)) == NULL) {
		log_errorx("cannot serve admin requests on %s",
		    m->admin.addr.text);
		return -1;
	}
	listener = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(listener, on_accept_error);
	accept_resume_ms = 0;
	accept_failures = 0;
	evhttp_set_bevcb(m->http, new_conn, m);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(m->http, ADMIN_HEADERS_MAX);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, ADMIN_TIMEOUT_S);
	evhttp_set_cb(m->http, "/healthz", on_healthz, m);
	evhttp_set_cb(m->http, "/status", on_status, m);
	evhttp_set_cb(m->http, "/metrics", on_metrics, m);
	evhttp_set_gencb(m->http, on_other, m);
	log_info("admin endpoint on http://%s/ (healthz, status, metrics)",
	    m->admin.addr.text);
	return 0;
}

void
admin_close(struct master *m)
{
	/* After a handover the socket file belongs to the new master. */
	if (m->handover)
		m->admin.owned = false;
	if (m->http != NULL)
		evhttp_free(m->http);	/* closes the bound socket too */
	m->http = NULL;
	listener = NULL;
	admin_tick(m);			/* drop our references */
	if (m->admin.fd != -1 && m->admin.owned &&
	    m->admin.addr.ss.ss_family == AF_UNIX)
		unlink(m->admin.addr.text + strlen("unix:"));
	m->admin.fd = -1;
}
