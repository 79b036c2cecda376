/*
 * admin_pages: see admin_pages.h.
 */
#include <event2/buffer.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/proc.h"
#include "server/admin_pages.h"
#include "server/listeners.h"

static void	 json_string(struct evbuffer *, const char *, size_t);
static void	 text_printable(struct evbuffer *, const char *, size_t);
static int64_t	 wall_ms(void);
static bool	 shows_peer(const struct slot *);
static void	 status_faults(const struct core *, const struct totals *,
		    struct evbuffer *);
static void	 text_faults(const struct core *, const struct totals *,
		    struct evbuffer *);
static void	 metrics_faults(const struct totals *, struct evbuffer *);
static void	 status_lobby(const struct parking *, const struct totals *,
		    struct evbuffer *);
static void	 text_lobby(const struct parking *, const struct totals *,
		    struct evbuffer *);
static void	 metrics_lobby(const struct parking *, const struct totals *,
		    struct evbuffer *);
static void	 histogram(struct evbuffer *, const char *, const char *,
		    const uint64_t *, uint64_t);

/* Handoffs by reason, as /status and /metrics name them: idle parks and
 * drains by why the worker drained. */
static const struct {
	const char	*name;
	enum stop_reason why;		/* drains; STOP_NREASONS: parked */
} handoff_reasons[] = {
	{ "idle", STOP_NREASONS },
	{ "reload", STOP_RELOAD },
	{ "recycle", STOP_RECYCLED },
	{ "shrink", STOP_RETIRED },
	{ "upgrade", STOP_SHUTDOWN },	/* a stop hands over only then */
};
#define NHANDOFF_REASONS (sizeof(handoff_reasons) / sizeof(handoff_reasons[0]))

static uint64_t
handoffs_for(const struct totals *t, size_t i)
{
	if (handoff_reasons[i].why == STOP_NREASONS)
		return t->handoffs[HEALTH_HANDOFF_PARKED];
	return t->drained[handoff_reasons[i].why];
}

const char *
admin_health_problem(const struct core *core, const struct supervisor *sup)
{
	if (core_stopping(core))
		return "draining";
	if (supervise_serving(sup, core->generation) >= core_ready_target(core))
		return NULL;
	if (sup->crashloop.looping)
		return "crash loop";
	return "starting";
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

/* Connection start times in reports are wall-clock milliseconds. */
static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
shows_peer(const struct slot *s)
{
	return s->state == SLOT_BUSY && s->last.conn_started_ms > 0;
}

static void
status_server(const struct core *core, struct evbuffer *b)
{
	int i;

	evbuffer_add_printf(b, "{\"server\":{\"version\":\"%s\",\"pid\":%ld,"
	    "\"uptime_ms\":%" PRId64 ",\"generation\":%u,\"protocol\":\"%s\","
	    "\"listeners\":[", FORKLINE_VERSION, (long)core->pid,
	    now_ms() - core->started_ms, core->generation,
	    conf_protocol_name(core->conf.protocol));
	/* Addresses are ours (numeric or a configured path): no escaping. */
	for (i = 0; i < core->nlisteners; i++)
		evbuffer_add_printf(b, "%s\"%s\"", i > 0 ? "," : "",
		    core->listeners[i].addr.text);
	evbuffer_add_printf(b, "]},");
}

static void
status_pool(const struct core *core, const struct supervisor *sup,
    struct evbuffer *b)
{
	const struct pool_limits *l = &sup->limits;

	evbuffer_add_printf(b, "\"pool\":{\"mode\":\"%s\",\"target\":%d,"
	    "\"min_spare\":%d,\"max_spare\":%d,\"max\":%d,\"min_ready\":%d,"
	    "\"starting\":%d,\"idle\":%d,\"busy\":%d,\"draining\":%d,"
	    "\"killing\":%d,\"backoff\":%d,\"queued\":%d},",
	    conf_pool_mode_name(l->mode), l->target, l->min_spare,
	    l->max_spare, l->max, core->conf.min_ready,
	    supervise_count(sup, SLOT_STARTING, 0),
	    supervise_count(sup, SLOT_IDLE, 0),
	    supervise_count(sup, SLOT_BUSY, 0),
	    supervise_count(sup, SLOT_DRAINING, 0),
	    supervise_count(sup, SLOT_KILLING, 0),
	    supervise_count(sup, SLOT_BACKOFF, 0), listeners_queued(core));
}

static void
status_totals(const struct core *core, const struct supervisor *sup,
    const struct totals *t, struct evbuffer *b)
{
	enum stop_reason why;

	evbuffer_add_printf(b, "\"totals\":{\"connections\":%" PRIu64
	    ",\"requests\":%" PRIu64 ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%"
	    PRIu64 ",\"restarts\":%u,\"crash_loop\":%s,\"exits\":{",
	    t->connections, t->requests, t->bytes_in, t->bytes_out,
	    sup->restarts, sup->crashloop.looping ? "true" : "false");
	for (why = STOP_NONE; why < STOP_NREASONS; why++)
		evbuffer_add_printf(b, "%s\"%s\":%" PRIu64, why > STOP_NONE ?
		    "," : "", stop_reason_name(why), sup->exits[why]);
	evbuffer_add_printf(b, "},");
	status_faults(core, t, b);
	evbuffer_add_printf(b, "},");
}

/* What [faults] holds now, and what was injected (docs/FAULTS.md). */
static void
status_faults(const struct core *core, const struct totals *t,
    struct evbuffer *b)
{
	char list[256];
	unsigned k;

	conf_faults_format(&core->conf.faults, false, list, sizeof(list));
	evbuffer_add_printf(b, "\"faults\":\"%s\",\"faults_injected\":{",
	    list);
	for (k = 0; k < HEALTH_FAULT_KINDS; k++)
		evbuffer_add_printf(b, "%s\"%s\":%" PRIu64, k > 0 ? "," : "",
		    health_fault_name(k), t->faults[k]);
	evbuffer_add_printf(b, "}");
}

static void
status_worker(const struct slot *s, int64_t now, int64_t wall, bool first,
    struct evbuffer *b)
{
	evbuffer_add_printf(b, "%s{\"slot\":%d,\"pid\":%ld,"
	    "\"generation\":%u,\"state\":\"%s\",\"connections\":%"
	    PRIu64 ",\"requests\":%" PRIu64 ",\"bytes_in\":%" PRIu64
	    ",\"bytes_out\":%" PRIu64 ",\"max_rss_kb\":%" PRIu64
	    ",\"age_ms\":%" PRId64 ",\"report_age_ms\":%" PRId64,
	    first ? "" : ",", s->num, (long)s->pid, s->generation,
	    slot_state_name(s->state), s->last.connections,
	    s->last.requests, s->last.bytes_in, s->last.bytes_out,
	    s->last.max_rss_kb, now - s->started_ms,
	    now - s->last_report_ms);
	if (shows_peer(s)) {
		evbuffer_add_printf(b, ",\"peer\":");
		json_string(b, s->last.peer, strnlen(s->last.peer,
		    sizeof(s->last.peer)));
		evbuffer_add_printf(b, ",\"connection_age_ms\":%" PRId64,
		    wall - s->last.conn_started_ms);
	}
	evbuffer_add_printf(b, "%s}", s->wants_recycle ?
	    ",\"recycling\":true" : "");
}

/* The lobby and the connections that moved (docs/OPERATIONS.md). */
static void
status_lobby(const struct parking *p, const struct totals *t,
    struct evbuffer *b)
{
	struct parking_view v;
	size_t i;

	parking_view(p, &v);
	evbuffer_add_printf(b, "\"lobby\":{\"pid\":%ld,\"ready\":%s,"
	    "\"parked\":%" PRIu64 ",\"parked_max\":%" PRIu64 ",\"woken\":%"
	    PRIu64 ",\"expired\":%" PRIu64 ",\"dropped\":%" PRIu64
	    ",\"restarts\":%u,\"handoffs\":{", (long)v.pid,
	    v.ready ? "true" : "false", v.parked, v.parked_max, v.woken,
	    v.expired, v.dropped, v.restarts);
	for (i = 0; i < NHANDOFF_REASONS; i++)
		evbuffer_add_printf(b, "%s\"%s\":%" PRIu64, i > 0 ? "," : "",
		    handoff_reasons[i].name, handoffs_for(t, i));
	evbuffer_add_printf(b, "},\"handoffs_taken\":%" PRIu64
	    ",\"handoffs_failed\":%" PRIu64 "},",
	    t->handoffs[HEALTH_HANDOFF_TAKEN],
	    t->handoffs[HEALTH_HANDOFF_FAILED]);
}

void
admin_status_json(const struct core *core, const struct supervisor *sup,
    const struct parking *p, struct evbuffer *b)
{
	const struct slot *s = NULL;
	int64_t now = now_ms(), wall = wall_ms();
	struct totals t;
	bool first = true;

	supervise_totals(sup, &t);
	status_server(core, b);
	status_pool(core, sup, b);
	status_totals(core, sup, &t, b);
	status_lobby(p, &t, b);
	evbuffer_add_printf(b, "\"workers\":[");
	while ((s = supervise_next(sup, s)) != NULL) {
		status_worker(s, now, wall, first, b);
		first = false;
	}
	evbuffer_add_printf(b, "]}\n");
}

static void
text_lobby(const struct parking *p, const struct totals *t,
    struct evbuffer *b)
{
	struct parking_view v;
	size_t i;

	parking_view(p, &v);
	if (v.pid != 0)
		evbuffer_add_printf(b, "lobby: pid %ld, %" PRIu64 " parked "
		    "(of %" PRIu64 "), ", (long)v.pid, v.parked, v.parked_max);
	else
		evbuffer_add_printf(b, "lobby: not running, ");
	evbuffer_add_printf(b, "%" PRIu64 " woken, %" PRIu64 " expired, %u "
	    "restarts; handoffs:", v.woken, v.expired, v.restarts);
	for (i = 0; i < NHANDOFF_REASONS; i++)
		evbuffer_add_printf(b, " %" PRIu64 " %s,", handoffs_for(t, i),
		    handoff_reasons[i].name);
	evbuffer_add_printf(b, " %" PRIu64 " failed\n",
	    t->handoffs[HEALTH_HANDOFF_FAILED]);
}

static void
text_header(const struct core *core, const struct supervisor *sup,
    const struct totals *t, struct evbuffer *b)
{
	const struct pool_limits *l = &sup->limits;
	int i;

	evbuffer_add_printf(b, "forkline %s: master pid %ld, up %" PRId64
	    " s, generation %u, %s protocol\n", FORKLINE_VERSION,
	    (long)core->pid, (now_ms() - core->started_ms) / 1000,
	    core->generation, conf_protocol_name(core->conf.protocol));
	evbuffer_add_printf(b, "listening on");
	for (i = 0; i < core->nlisteners; i++)
		evbuffer_add_printf(b, " %s", core->listeners[i].addr.text);
	evbuffer_add_printf(b, "\npool: %s, target %d, spare %d..%d, max %d; "
	    "%d starting, %d idle, %d busy, %d draining, %d killing; "
	    "%d queued\n", conf_pool_mode_name(l->mode), l->target,
	    l->min_spare, l->max_spare, l->max,
	    supervise_count(sup, SLOT_STARTING, 0),
	    supervise_count(sup, SLOT_IDLE, 0),
	    supervise_count(sup, SLOT_BUSY, 0),
	    supervise_count(sup, SLOT_DRAINING, 0),
	    supervise_count(sup, SLOT_KILLING, 0), listeners_queued(core));
	evbuffer_add_printf(b, "totals: %" PRIu64 " connections, %" PRIu64
	    " requests, %" PRIu64 " bytes in, %" PRIu64 " bytes out, %u "
	    "restarts%s\n", t->connections, t->requests, t->bytes_in,
	    t->bytes_out, sup->restarts, sup->crashloop.looping ?
	    ", CRASH LOOP" : "");
	text_faults(core, t, b);
	evbuffer_add_printf(b, "\n");
}

/* A line for faults, once any is on or was injected. */
static void
text_faults(const struct core *core, const struct totals *t,
    struct evbuffer *b)
{
	char list[256];
	uint64_t all = 0;
	unsigned k;

	for (k = 0; k < HEALTH_FAULT_KINDS; k++)
		all += t->faults[k];
	if (all == 0 && !conf_faults_any(&core->conf.faults))
		return;
	conf_faults_format(&core->conf.faults, false, list, sizeof(list));
	evbuffer_add_printf(b, "faults: %s; faults injected:", list);
	for (k = 0; k < HEALTH_FAULT_KINDS; k++)
		evbuffer_add_printf(b, " %" PRIu64 " %s%s", t->faults[k],
		    health_fault_name(k), k + 1 < HEALTH_FAULT_KINDS ? "," : "");
	evbuffer_add_printf(b, "\n");
}

void
admin_status_text(const struct core *core, const struct supervisor *sup,
    const struct parking *p, struct evbuffer *b)
{
	const struct slot *s = NULL;
	int64_t now = now_ms(), wall = wall_ms();
	struct totals t;

	supervise_totals(sup, &t);
	text_header(core, sup, &t, b);
	text_lobby(p, &t, b);
	evbuffer_add_printf(b, "%-5s %-8s %-4s %-9s %8s %10s %8s %9s %8s %9s  "
	    "%s\n", "SLOT", "PID", "GEN", "STATE", "CONNS", "REQUESTS", "RSS_KB",
	    "AGE_S", "REPORT_MS", "CONN_MS", "PEER");
	while ((s = supervise_next(sup, s)) != NULL) {
		evbuffer_add_printf(b, "%-5d %-8ld %-4u %-9s %8" PRIu64 " %10"
		    PRIu64 " %8" PRIu64 " %9" PRId64 " %8" PRId64, s->num,
		    (long)s->pid, s->generation, slot_state_name(s->state),
		    s->last.connections, s->last.requests, s->last.max_rss_kb,
		    (now - s->started_ms) / 1000, now - s->last_report_ms);
		if (!shows_peer(s)) {
			evbuffer_add_printf(b, " %9s\n", "-");
			continue;
		}
		evbuffer_add_printf(b, " %9" PRId64 "  ",
		    wall - s->last.conn_started_ms);
		text_printable(b, s->last.peer, strnlen(s->last.peer,
		    sizeof(s->last.peer)));
		evbuffer_add_printf(b, "\n");
	}
}

/* One metric: its HELP and TYPE lines. */
#define METRIC(b, name, type, help)					\
	evbuffer_add_printf((b), "# HELP " name " " help "\n# TYPE " name \
	    " " type "\n")

/* A metric with one value and no labels. */
#define METRIC_VALUE(b, name, type, help, fmt, value)			\
	do {								\
		METRIC(b, name, type, help);				\
		evbuffer_add_printf((b), name " " fmt "\n", (value));	\
	} while (0)

/*
 * The workers count into fixed buckets; Prometheus wants them cumulative,
 * with upper bounds in seconds.
 */
static void
histogram(struct evbuffer *b, const char *name, const char *help,
    const uint64_t *buckets, uint64_t sum_us)
{
	uint64_t cumulative = 0;
	int i;

	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name,
	    help, name);
	for (i = 0; i < HEALTH_LATENCY_BUCKETS - 1; i++) {
		cumulative += buckets[i];
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %" PRIu64 "\n",
		    name, health_latency_bounds_us[i] / 1e6, cumulative);
	}
	cumulative += buckets[i];
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name,
	    cumulative);
	evbuffer_add_printf(b, "%s_sum %.6f\n", name, sum_us / 1e6);
	evbuffer_add_printf(b, "%s_count %" PRIu64 "\n", name, cumulative);
}

static void
metrics_lobby(const struct parking *p, const struct totals *t,
    struct evbuffer *b)
{
	struct parking_view v;
	size_t i;

	parking_view(p, &v);
	METRIC_VALUE(b, "forkline_parked_connections", "gauge",
	    "Idle connections held by the lobby.", "%" PRIu64, v.parked);
	METRIC_VALUE(b, "forkline_parked_connections_max", "gauge",
	    "The lobby's bound on parked connections.", "%" PRIu64,
	    v.parked_max);
	METRIC_VALUE(b, "forkline_lobby_restarts_total", "counter",
	    "Times the lobby was restarted.", "%u", v.restarts);
	METRIC_VALUE(b, "forkline_parked_expired_total", "counter",
	    "Parked connections closed at idle_timeout.", "%" PRIu64,
	    v.expired);
	METRIC(b, "forkline_handoffs_total", "counter",
	    "Connections passed on by a worker, by reason.");
	for (i = 0; i < NHANDOFF_REASONS; i++)
		evbuffer_add_printf(b, "forkline_handoffs_total{reason=\"%s\"} "
		    "%" PRIu64 "\n", handoff_reasons[i].name, handoffs_for(t, i));
	METRIC_VALUE(b, "forkline_handoffs_failed_total", "counter",
	    "Handoffs that failed: the connection stayed where it was.",
	    "%" PRIu64, t->handoffs[HEALTH_HANDOFF_FAILED] + v.dropped);
	histogram(b, "forkline_handoff_duration_seconds", "From a "
	    "connection's handoff to the worker that takes it.",
	    t->handoff_latency, t->handoff_latency_sum_us);
}

static void
metrics_traffic(const struct totals *t, struct evbuffer *b)
{
	METRIC_VALUE(b, "forkline_connections_total", "counter",
	    "Connections served.", "%" PRIu64, t->connections);
	METRIC_VALUE(b, "forkline_requests_total", "counter",
	    "Requests served.", "%" PRIu64, t->requests);
	METRIC_VALUE(b, "forkline_received_bytes_total", "counter",
	    "Bytes read from clients.", "%" PRIu64, t->bytes_in);
	METRIC_VALUE(b, "forkline_sent_bytes_total", "counter",
	    "Bytes written to clients.", "%" PRIu64, t->bytes_out);
}

static void
metrics_faults(const struct totals *t, struct evbuffer *b)
{
	unsigned k;

	METRIC(b, "forkline_faults_injected_total", "counter",
	    "Faults injected on purpose ([faults], FAULT), by kind.");
	for (k = 0; k < HEALTH_FAULT_KINDS; k++)
		evbuffer_add_printf(b, "forkline_faults_injected_total"
		    "{kind=\"%s\"} %" PRIu64 "\n", health_fault_name(k),
		    t->faults[k]);
}

static void
metrics_states(const struct supervisor *sup, struct evbuffer *b)
{
	enum slot_state st;

	METRIC(b, "forkline_workers", "gauge", "Worker processes by state.");
	for (st = SLOT_STARTING; st < SLOT_NSTATES; st++)
		if (slot_has_process(st))
			evbuffer_add_printf(b, "forkline_workers{state=\"%s\"} "
			    "%d\n", slot_state_name(st),
			    supervise_count(sup, st, 0));
}

static void
metrics_exits(const struct supervisor *sup, struct evbuffer *b)
{
	enum stop_reason why;

	METRIC_VALUE(b, "forkline_restarts_total", "counter",
	    "Workers restarted after a crash or a failed fork.", "%u",
	    sup->restarts);
	METRIC(b, "forkline_worker_exits_total", "counter",
	    "Worker exits, by reason.");
	for (why = STOP_NONE; why < STOP_NREASONS; why++)
		evbuffer_add_printf(b, "forkline_worker_exits_total{reason=\"%s\"} "
		    "%" PRIu64 "\n", stop_reason_name(why), sup->exits[why]);
	METRIC_VALUE(b, "forkline_crash_loop", "gauge",
	    "1 while workers keep dying early.", "%d",
	    sup->crashloop.looping ? 1 : 0);
}

void
admin_metrics(const struct core *core, const struct supervisor *sup,
    const struct parking *p, struct evbuffer *b)
{
	const struct slot *s = NULL;
	struct totals t;

	supervise_totals(sup, &t);
	metrics_states(sup, b);
	metrics_traffic(&t, b);
	metrics_exits(sup, b);
	METRIC_VALUE(b, "forkline_generation", "gauge",
	    "Configuration generation (1 + reloads).", "%u", core->generation);
	METRIC_VALUE(b, "forkline_listen_queue", "gauge",
	    "Connections waiting in the TCP accept queues.", "%d",
	    listeners_queued(core));
	histogram(b, "forkline_request_duration_seconds", "Time from a "
	    "request line to its reply, line protocol.", t.latency,
	    t.latency_sum_us);
	metrics_faults(&t, b);
	metrics_lobby(p, &t, b);
	METRIC(b, "forkline_worker_requests_total", "counter",
	    "Requests served, per worker process.");
	while ((s = supervise_next(sup, s)) != NULL)
		evbuffer_add_printf(b, "forkline_worker_requests_total"
		    "{worker=\"%d\",pid=\"%ld\"} %" PRIu64 "\n", s->num,
		    (long)s->pid, s->last.requests);
}
