/*
 * Integration tests of fault injection (docs/FAULTS.md): what a client
 * sees of each key of [faults], the echo protocol with faults, the FAULT
 * command, configuration errors and -t, the counters in /metrics, /status,
 * forkline status and the access log, [faults] reloaded in place under
 * load, and the rate of a fault against its binomial interval.
 *
 * A server whose replies are faulted cannot be waited for with a PING:
 * such servers start with server_start_quiet, which waits for the
 * master's "ready:" line and leaves each worker's first connection to the
 * test (the seed tests count on it).
 */
#include <sys/socket.h>

#include <check.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"
#include "tests/support/json.h"
#include "tests/support/load.h"
#include "tests/support/prom.h"

#define EX_CONFIG	78
#define RUN_MS		10000	/* forkline -t, forkline status */
#define REPORT_MS	5000	/* for the workers' counters to arrive */
#define SLACK_US	1000	/* the test's clock against the server's */
#define LATE_MS		3000	/* generous bound on a delay's overshoot */
#define SETTLE_MS	200	/* after a reload's log line */
#define INJECTED	"ERR injected fault\n"
#define INJECTED_LEN	19
#define CRASHES		6	/* more than a crash loop's five */
#define PATTERN_CONNS	6	/* connections of a seed run */
#define PATTERN_REQS	10	/* requests on each */
#define RATE_REQUESTS	12000	/* the statistical test */
#define RATE_BATCH	200	/* pipelined in one write */
#define Z_999		3.290527	/* two-sided 99.9 % normal quantile */

#define ARGS(...)	((const char *const []){ __VA_ARGS__, NULL })

/* The kinds counted in forkline_faults_injected_total, in order. */
enum { K_LATENCY, K_RESET, K_STALL, K_ERROR, K_CLOSE, K_BANDWIDTH, K_CRASH,
	NKINDS };
static const char *const kinds[NKINDS] = {
	"latency", "reset", "stall", "error", "close", "bandwidth", "crash",
};

static void	 start_conf(struct server *s, char *path, size_t len,
		    const char *conf, bool quiet);
static int64_t	 timed_request(int fd, const char *request, char *reply,
		    size_t len);
static void	 expect_reset(int fd, const char *what);
static void	 expect_broken(int fd, const char *what);
static char	*fault(int fd, const char *request);
static char	*fault_ok(int fd, const char *request);
static bool	 fault_field(const char *line, const char *key, char *out,
		    size_t len);
static void	 fault_pattern(int port, int conns, int reqs, char *out);
static void	 fault_replies(int fd, int n, char *out);
static long	 logged_seed(const struct server *s);
static bool	 master_line_has(const struct server *s, const char *a,
		    const char *b);
static bool	 line_logged(void *arg);
static char	*admin_body(int port, const char *path, char **whole);
static bool	 metrics_counts(int port, double got[NKINDS], char *text,
		    size_t len);
static void	 wait_metrics(int port, const double want[NKINDS],
		    const char *what);
static void	 assert_status_counts(int port, const double want[NKINDS]);
static char	*access_line(const char *path, int port);
static void	 assert_access_faults(const char *path, int port,
		    const char *want, const char *end);
static void	 wait_reload_in_place(const struct server *s, int n,
		    struct load *l);
static void	 wilson(long k, long n, double z, double *lo, double *hi);
static Suite	*faults_suite(void);

/*
 * Helpers.
 */

/* Write conf to a new file and start a server on it; path in path. */
static void
start_conf(struct server *s, char *path, size_t len, const char *conf,
    bool quiet)
{
	harness_write_file(path, len, "faults-", ".conf", conf);
	if (quiet)
		server_start_quiet(s, ARGS("-c", path));
	else
		server_start(s, ARGS("-c", path));
}

/*
 * Send request, read one reply line into reply; returns the time from
 * the send to the whole line, in microseconds. Asserts a line came.
 */
static int64_t
timed_request(int fd, const char *request, char *reply, size_t len)
{
	int64_t	 t0 = harness_now_us();
	int	 r;

	client_send(fd, request);
	r = client_read_line(fd, reply, len, HARNESS_REPLY_MS);
	ck_assert_msg(r > 0, "%s: expected a reply line, got %s",
	    harness_quote(request, strlen(request)), client_result_name(r));
	return harness_now_us() - t0;
}

/* The connection is reset (ECONNRESET), without a byte of a reply. */
static void
expect_reset(int fd, const char *what)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	char		 buf[256];
	ssize_t		 n;
	int		 err;

	ck_assert_msg(poll(&pfd, 1, HARNESS_REPLY_MS * harness_slow()) == 1,
	    "%s: expected a reset, the connection stayed silent for %d ms",
	    what, HARNESS_REPLY_MS);
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	err = errno;
	ck_assert_msg(n == -1 && err == ECONNRESET, "%s: expected ECONNRESET "
	    "(a TCP reset), got %s", what, n > 0 ? harness_quote(buf,
	    (size_t)n) : n == 0 ? "an orderly close (FIN)" : strerror(err));
}

/* The connection ends (EOF or reset) without a byte of a reply. */
static void
expect_broken(int fd, const char *what)
{
	size_t	 len;
	int	 how;
	char	*data = client_read_all(fd, &len, &how, HARNESS_REPLY_MS);

	ck_assert_msg(len == 0 && (how == CLIENT_EOF || how == CLIENT_RESET),
	    "%s: expected the connection to break with no reply, got %s and "
	    "%s", what, harness_quote(data, len), client_result_name(how));
	free(data);
}

/* Send a FAULT request, return its reply without the line ending (a
 * harness_scratch buffer). */
static char *
fault(int fd, const char *request)
{
	char	*line = harness_scratch();
	char	 req[256];
	int	 r;

	snprintf(req, sizeof(req), "%s\n", request);
	client_send(fd, req);
	r = client_read_line(fd, line, HARNESS_SCRATCH_LEN, HARNESS_REPLY_MS);
	ck_assert_msg(r > 0, "%s: expected a reply line, got %s", request,
	    client_result_name(r));
	line[r - 1] = '\0';
	return line;
}

/* fault(), asserting the reply is the "OK ..." line. */
static char *
fault_ok(int fd, const char *request)
{
	char	*reply = fault(fd, request);

	ck_assert_msg(strncmp(reply, "OK latency=", 11) == 0, "%s: expected "
	    "the \"OK latency=...\" line, got \"%s\"", request, reply);
	return reply;
}

/* The value of " key=" in a FAULT reply, up to the next blank. */
static bool
fault_field(const char *line, const char *key, char *out, size_t len)
{
	char		 pat[64];
	const char	*p;
	size_t		 n;

	snprintf(pat, sizeof(pat), " %s=", key);
	if ((p = strstr(line, pat)) == NULL)
		return false;
	p += strlen(pat);
	n = strcspn(p, " ");
	snprintf(out, len, "%.*s", (int)n, p);
	return true;
}

/*
 * n PINGs one at a time on fd: 'P' for each PONG, 'E' for each injected
 * error, in out (n + 1 bytes).
 */
static void
fault_replies(int fd, int n, char *out)
{
	char	 line[256];
	int	 i;

	for (i = 0; i < n; i++) {
		client_send(fd, "PING\n");
		ck_assert_msg(client_read_line(fd, line, sizeof(line),
		    HARNESS_REPLY_MS) > 0, "PING %d: no reply line", i + 1);
		if (strcmp(line, "PONG\n") == 0)
			out[i] = 'P';
		else if (strcmp(line, INJECTED) == 0)
			out[i] = 'E';
		else
			ck_abort_msg("PING %d: expected PONG or an injected "
			    "error, got %s", i + 1, harness_quote(line,
			    strlen(line)));
	}
	out[n] = '\0';
}

/*
 * A run of a seed test: conns connections one after the other, each
 * with reqs PINGs; what each got, with '|' between connections.
 */
static void
fault_pattern(int port, int conns, int reqs, char *out)
{
	int	 c, fd;

	for (c = 0; c < conns; c++) {
		fd = client_connect(port);
		fault_replies(fd, reqs, out);
		close(fd);
		out += reqs;
		*out++ = '|';
	}
	*out = '\0';
}

/* The seed in the master's "faults: seed N" line; asserts there is one. */
static long
logged_seed(const struct server *s)
{
	char	*text, *p;
	long	 seed = -1;

	ck_assert_msg(log_wait_count(s, "faults: seed ", 0, 1,
	    HARNESS_READY_MS), "no \"faults: seed N\" line in the master's "
	    "log (%s)", s->log);
	text = server_log_read(s, NULL);
	ck_assert_ptr_nonnull(text);
	p = strstr(text, "faults: seed ");
	ck_assert_msg(p != NULL && sscanf(p, "faults: seed %ld", &seed) == 1,
	    "cannot read the seed of %s", harness_quote(p, 40));
	free(text);
	return seed;
}

/* Is there a master line holding both a and b? */
static bool
master_line_has(const struct server *s, const char *a, const char *b)
{
	char	*text = server_log_read(s, NULL), *line, *save = NULL;
	char	 tag[64];
	bool	 found = false;

	snprintf(tag, sizeof(tag), "forkline[%ld] master ", (long)s->pid);
	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL;
	    line != NULL && !found; line = strtok_r(NULL, "\n", &save))
		found = strstr(line, tag) != NULL && strstr(line, a) != NULL &&
		    strstr(line, b) != NULL;
	free(text);
	return found;
}

/* For harness_wait_until: a master line holding both a and b. */
struct line_wait {
	const struct server	*s;
	const char		*a;
	const char		*b;
};

static bool
line_logged(void *arg)
{
	struct line_wait	*w = arg;

	return master_line_has(w->s, w->a, w->b);
}

/* GET path on the admin endpoint, 200 asserted; the body returned, the
 * whole answer in *whole (free it). */
static char *
admin_body(int port, const char *path, char **whole)
{
	char	 request[128], *p;
	int	 status;

	snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\n\r\n", path);
	*whole = harness_http_get(port, request, &status);
	ck_assert_msg(status == 200, "GET %s: %d: %s", path, status, *whole);
	p = strstr(*whole, "\r\n\r\n");
	ck_assert_msg(p != NULL, "GET %s: no end of headers: %s", path,
	    *whole);
	return p + 4;
}

/*
 * forkline_faults_injected_total{kind=...} of every kind from /metrics,
 * which must be valid exposition text; false if a kind is missing. What
 * was read, for messages, in text.
 */
static bool
metrics_counts(int port, double got[NKINDS], char *text, size_t len)
{
	char	 err[512], series[96], *whole;
	char	*body = admin_body(port, "/metrics", &whole);
	bool	 all = true;
	int	 k;

	ck_assert_msg(prom_validate(body, strlen(body), err, sizeof(err)),
	    "/metrics is not valid Prometheus text: %s\n%s", err, body);
	text[0] = '\0';
	for (k = 0; k < NKINDS; k++) {
		snprintf(series, sizeof(series),
		    "forkline_faults_injected_total{kind=\"%s\"}", kinds[k]);
		if (!prom_value(body, strlen(body), series, &got[k])) {
			got[k] = -1;
			all = false;
		}
		snprintf(text + strlen(text), len - strlen(text), "%s%s %g",
		    k > 0 ? ", " : "", kinds[k], got[k]);
	}
	free(whole);
	return all;
}

/* Wait until /metrics counts exactly want of every kind. */
static void
wait_metrics(int port, const double want[NKINDS], const char *what)
{
	double	 got[NKINDS];
	char	 seen[256], wanted[256] = "";
	int64_t	 deadline = harness_deadline(REPORT_MS);
	bool	 same;
	int	 k;

	for (k = 0; k < NKINDS; k++)
		snprintf(wanted + strlen(wanted), sizeof(wanted) -
		    strlen(wanted), "%s%s %g", k > 0 ? ", " : "", kinds[k],
		    want[k]);
	for (;;) {
		same = metrics_counts(port, got, seen, sizeof(seen));
		for (k = 0; same && k < NKINDS; k++)
			same = got[k] == want[k];
		if (same)
			return;
		ck_assert_msg(harness_now_ms() < deadline, "%s: "
		    "forkline_faults_injected_total after %d ms: %s (-1: no "
		    "such series); expected %s", what, REPORT_MS, seen,
		    wanted);
		harness_sleep_ms(50);
	}
}

/*
 * /status is valid JSON, its totals.faults_injected are want and its
 * totals.faults, the faults in force, are "off" (those of the test that
 * calls it are all its connections' own).
 */
static void
assert_status_counts(int port, const double want[NKINDS])
{
	char	 err[256], path[64], *whole;
	char	*body = admin_body(port, "/status", &whole);
	double	 v;
	int	 k;

	ck_assert_msg(json_validate(body, strlen(body), err, sizeof(err)),
	    "/status is not valid JSON: %s: %s", err, body);
	for (k = 0; k < NKINDS; k++) {
		snprintf(path, sizeof(path), "totals.faults_injected.%s",
		    kinds[k]);
		ck_assert_msg(json_number_at(body, strlen(body), path, &v) &&
		    v == want[k], "/status %s: expected %g: %s", path, want[k],
		    body);
	}
	ck_assert_msg(strstr(body, "\"faults\":\"off\"") != NULL, "/status "
	    "does not show the faults in force as \"faults\":\"off\": %s",
	    body);
	free(whole);
}

/* The access log line of the client at port (free it); NULL if none. */
static char *
access_line(const char *path, int port)
{
	char	*text = harness_read_file(path, NULL), *line, *save = NULL;
	char	 key[40], *found = NULL;

	snprintf(key, sizeof(key), " peer=127.0.0.1:%d ", port);
	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL;
	    line != NULL && found == NULL; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, key) != NULL)
			found = strdup(line);
	free(text);
	return found;
}

/*
 * The access log line of the client at port marks want, the kinds of
 * fault it had, comma separated in any order ("error,latency"); want
 * NULL: the line has no faults= at all. With end, its end="..." is that.
 */
static void
assert_access_faults(const char *path, int port, const char *want,
    const char *end)
{
	char	 needle[40], got[128], w[128], *line, *p, *tok, *save = NULL;
	size_t	 n;
	int	 nw = 0, ng;

	snprintf(needle, sizeof(needle), " peer=127.0.0.1:%d ", port);
	log_file_wait(path, needle, 1, "the access log line of a connection");
	line = access_line(path, port);
	ck_assert_ptr_nonnull(line);
	snprintf(got, sizeof(got), " end=\"%s\"", end != NULL ? end : "");
	ck_assert_msg(end == NULL || strstr(line, got) != NULL, "expected "
	    "end=\"%s\" on the access log line %s", end, harness_quote(line,
	    strlen(line)));
	p = strstr(line, " faults=");
	if (want == NULL) {
		ck_assert_msg(p == NULL, "a connection without faults has the "
		    "access log line %s", harness_quote(line, strlen(line)));
		free(line);
		return;
	}
	ck_assert_msg(p != NULL, "expected faults=%s on the access log line "
	    "%s", want, harness_quote(line, strlen(line)));
	p += strlen(" faults=");
	n = strcspn(p, " ");
	snprintf(got, sizeof(got), ",%.*s,", (int)n, p);
	ng = harness_count(got, ",") - 1;
	snprintf(w, sizeof(w), "%s", want);
	for (tok = strtok_r(w, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save), nw++) {
		snprintf(needle, sizeof(needle), ",%s,", tok);
		ck_assert_msg(strstr(got, needle) != NULL, "expected faults=%s "
		    "(any order) on the access log line %s", want,
		    harness_quote(line, strlen(line)));
	}
	ck_assert_msg(ng == nw, "expected faults=%s (any order) on the access "
	    "log line %s", want, harness_quote(line, strlen(line)));
	free(line);
}

/*
 * Drive the load l (if not NULL) until the master has logged n lines
 * "reload: only [faults] changed", then SETTLE_MS more: the line says
 * what the master decided, and the workers may hear of it a moment
 * later.
 */
static void
wait_reload_in_place(const struct server *s, int n, struct load *l)
{
	int64_t	 deadline = harness_deadline(HARNESS_READY_MS);

	while (log_count(s, "reload: only [faults] changed", 0) < n) {
		assert_log(s, harness_now_ms() < deadline, "reload", "expected "
		    "reload %d, which changes only [faults], to be applied in "
		    "place within %d ms", n, HARNESS_READY_MS);
		if (l != NULL)
			load_run(l, 20);
		else
			harness_sleep_ms(10);
	}
	if (l != NULL)
		load_run(l, SETTLE_MS);
	else
		harness_sleep_ms(SETTLE_MS);
}

/* The Wilson score interval of k successes in n at quantile z. */
static void
wilson(long k, long n, double z, double *lo, double *hi)
{
	double	 p = (double)k / (double)n, z2n = z * z / (double)n;
	double	 mid = (p + z2n / 2) / (1 + z2n);
	double	 half = z * sqrt(p * (1 - p) / (double)n +
		    z2n / (4 * (double)n)) / (1 + z2n);

	*lo = mid - half;
	*hi = mid + half;
}

/*
 * 1. Each key of [faults], seen from a client.
 */

/*
 * latency with the fixed distribution: every reply comes no sooner than
 * latency after its request, and the delays of pipelined requests add up
 * one after the other, the replies before a delay sent first.
 */
START_TEST(test_latency_fixed)
{
	char		 path[HARNESS_PATH_MAX], line[64];
	struct server	 s;
	int64_t		 t0, t[3], us;
	int		 fd, i;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[faults]\nlatency = 150ms\ndistribution = fixed\n", true);
	fd = client_connect(s.port);
	us = timed_request(fd, "PING\n", line, sizeof(line));
	ck_assert_str_eq(line, "PONG\n");
	ck_assert_msg(us >= 150000 - SLACK_US && us <= 150000 + LATE_MS * 1000,
	    "latency = 150ms (fixed): PING answered after %lld us",
	    (long long)us);

	t0 = harness_now_us();
	client_send(fd, "PING\nPING\nPING\n");
	for (i = 0; i < 3; i++) {
		client_expect(fd, "PONG\n");
		t[i] = harness_now_us() - t0;
	}
	close(fd);
	ck_assert_msg(t[0] >= 150000 - SLACK_US && t[2] >= 450000 - SLACK_US &&
	    t[2] <= 450000 + LATE_MS * 1000, "three pipelined PINGs with "
	    "latency = 150ms: replies after %lld, %lld, %lld us; expected "
	    "about 150, 300 and 450 ms", (long long)t[0], (long long)t[1],
	    (long long)t[2]);
	ck_assert_msg(t[2] - t[0] >= 250000, "three pipelined PINGs with "
	    "latency = 150ms: the first reply came %lld us before the last; "
	    "it should be sent before the two delays after it",
	    (long long)(t[2] - t[0]));
	server_stop_expect_zero(&s);
}
END_TEST

/* Each distribution, with jitter, in a file: accepted and printed. */
struct dist_conf {
	const char	*distribution;
	const char	*latency;
	const char	*jitter;
};

static const struct dist_conf dist_confs[] = {
	{ "fixed", "20ms", "0" },
	{ "uniform", "20ms", "5ms" },
	{ "normal", "20ms", "5ms" },
	{ "exponential", "20ms", "5ms" },
	{ "pareto", "20ms", "5ms" },
};

START_TEST(test_distribution_accepted)
{
	const struct dist_conf	*d = &dist_confs[_i];
	char			 path[HARNESS_PATH_MAX], text[256], val[64];
	struct run_result	 r;

	snprintf(text, sizeof(text), "[faults]\nlatency = %s\njitter = %s\n"
	    "distribution = %s\n", d->latency, d->jitter, d->distribution);
	harness_write_file(path, sizeof(path), "dist-", ".conf", text);
	forkline_run(&r, ARGS("-t", "-c", path), RUN_MS);
	run_assert_exit(&r, 0, text);
	ck_assert_msg(ini_lookup(r.out, "faults", "distribution", val,
	    sizeof(val)) && strcmp(val, d->distribution) == 0,
	    "-t with distribution = %s printed distribution = %s", d->distribution,
	    val);
	ck_assert_msg(ini_lookup(r.out, "faults", "jitter", val, sizeof(val)) &&
	    strcmp(val, d->jitter) == 0, "-t with jitter = %s printed "
	    "jitter = %s", d->jitter, val);
	ck_assert_msg(ini_lookup(r.out, "faults", "latency", val,
	    sizeof(val)) && strcmp(val, d->latency) == 0, "-t with latency = "
	    "%s printed latency = %s", d->latency, val);
	run_result_free(&r);
}
END_TEST

/*
 * The delays each distribution draws, measured (a connection's own
 * faults, set with FAULT, so one server serves the five): never below
 * their floor, uniform never above latency + jitter, and with jitter
 * they vary; uniform and normal spread on both sides of latency.
 */
struct dist_case {
	const char	*settings;
	int		 latency_ms;
	int		 lo_ms;		/* no delay below */
	int		 hi_ms;		/* none above (+ slack); 0: no bound */
	bool		 both_sides;	/* some below latency, some above */
};

static const struct dist_case dist_cases[] = {
	{ "latency=30ms jitter=0 distribution=fixed", 30, 30, 30, false },
	{ "latency=30ms jitter=20ms distribution=uniform", 30, 10, 50, true },
	{ "latency=40ms jitter=10ms distribution=normal", 40, 0, 0, true },
	{ "latency=20ms jitter=10ms distribution=exponential", 20, 20, 0,
	    false },
	{ "latency=20ms jitter=20ms distribution=pareto", 20, 20, 0, false },
};

#define DIST_SAMPLES	12

START_TEST(test_distribution_delays)
{
	char			 path[HARNESS_PATH_MAX], line[64], req[96];
	char			*reply;
	const struct dist_case	*c;
	struct server		 s;
	int64_t			 us, lo, hi;
	size_t			 i;
	int			 fd, j, below, above;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[faults]\nallow_client = yes\nseed = 11\n", false);
	fd = client_connect(s.port);
	for (i = 0; i < sizeof(dist_cases) / sizeof(dist_cases[0]); i++) {
		c = &dist_cases[i];
		snprintf(req, sizeof(req), "FAULT %s", c->settings);
		reply = fault_ok(fd, req);
		ck_assert_msg(strstr(reply, strrchr(c->settings, ' ') + 1) !=
		    NULL, "%s: %s", req, reply);
		lo = INT64_MAX;
		hi = 0;
		below = above = 0;
		for (j = 0; j < DIST_SAMPLES; j++) {
			us = timed_request(fd, "PING\n", line, sizeof(line));
			ck_assert_str_eq(line, "PONG\n");
			lo = us < lo ? us : lo;
			hi = us > hi ? us : hi;
			below += us < (int64_t)c->latency_ms * 1000;
			above += us > (int64_t)c->latency_ms * 1000;
		}
		ck_assert_msg(lo >= (int64_t)c->lo_ms * 1000 - SLACK_US,
		    "%s: a delay of %lld us, below %d ms", c->settings,
		    (long long)lo, c->lo_ms);
		ck_assert_msg(c->hi_ms == 0 || hi <= (int64_t)c->hi_ms * 1000 +
		    LATE_MS * 1000, "%s: a delay of %lld us, far above %d ms",
		    c->settings, (long long)hi, c->hi_ms);
		ck_assert_msg(c->lo_ms == c->hi_ms || hi - lo >= 1000, "%s: "
		    "%d delays all within %lld us of each other: jitter has "
		    "no effect", c->settings, DIST_SAMPLES,
		    (long long)(hi - lo));
		ck_assert_msg(!c->both_sides || (below > 0 && above > 0),
		    "%s: of %d delays %d were below latency and %d above; "
		    "expected both", c->settings, DIST_SAMPLES, below, above);
	}
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/* reset = 100%: every request gets a TCP reset, never a reply. */
START_TEST(test_reset)
{
	char		 path[HARNESS_PATH_MAX];
	struct server	 s;
	int		 fd, i;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[faults]\nreset = 100%\n", true);
	for (i = 0; i < 2; i++) {
		fd = client_connect(s.port);
		client_send(fd, "PING\n");
		expect_reset(fd, "PING with reset = 100%");
		close(fd);
	}
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * stall = 100%: no reply, the connection stays open, then closes without
 * a BYE idle_timeout after the stalled request.
 */
START_TEST(test_stall)
{
	char		 path[HARNESS_PATH_MAX], c;
	struct pollfd	 pfd;
	struct server	 s;
	size_t		 len;
	int64_t		 t0, ms;
	char		*data;
	int		 fd, how;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[connection]\nidle_timeout = 1s\n[faults]\nstall = 100%\n", true);
	fd = client_connect(s.port);
	t0 = harness_now_ms();
	client_send(fd, "PING\n");
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	ck_assert_msg(poll(&pfd, 1, 600) == 0, "a stalled PING: the "
	    "connection became readable after %lld ms (revents %#x)",
	    (long long)(harness_now_ms() - t0), pfd.revents);
	ck_assert_msg(recv(fd, &c, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN,
	    "a stalled connection is not open and silent after 600 ms");
	data = client_read_all(fd, &len, &how, HARNESS_REPLY_MS);
	ms = harness_now_ms() - t0;
	ck_assert_msg(len == 0 && how == CLIENT_EOF, "a stalled connection "
	    "with idle_timeout = 1s: expected a close with nothing sent (no "
	    "BYE), got %s and %s", harness_quote(data, len),
	    client_result_name(how));
	ck_assert_msg(ms >= 999 && ms <= 1000 + LATE_MS, "a stalled "
	    "connection closed %lld ms after its request; idle_timeout is 1s",
	    (long long)ms);
	free(data);
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/* error = 100%: each request is answered "ERR injected fault", in its own
 * line ending, and the connection stays usable. */
START_TEST(test_error)
{
	char		 path[HARNESS_PATH_MAX];
	struct server	 s;
	int		 fd;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[faults]\nerror = 100%\n", true);
	fd = client_connect(s.port);
	client_request(fd, "PING\n", INJECTED);
	client_request(fd, "PING\r\n", "ERR injected fault\r\n");
	client_request(fd, "ECHO hello\n", INJECTED);
	client_request(fd, "INFO\n", INJECTED);
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/* close = 100%: the first half of the reply, then an orderly close. */
START_TEST(test_close)
{
	static const struct {
		const char	*request;
		const char	*half;
	} cases[] = {
		{ "PING\n", "PO" },		/* of "PONG\n" */
		{ "BLOB 9\n", "abcde" },	/* of "abcdefghi\n" */
	};
	char		 path[HARNESS_PATH_MAX];
	struct server	 s;
	size_t		 i, len;
	char		*data;
	int		 fd, how;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[faults]\nclose = 100%\n", true);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = client_connect(s.port);
		client_send(fd, cases[i].request);
		data = client_read_all(fd, &len, &how, HARNESS_REPLY_MS);
		ck_assert_msg(len == strlen(cases[i].half) &&
		    memcmp(data, cases[i].half, len) == 0 && how == CLIENT_EOF,
		    "%s with close = 100%%: expected %s then EOF, got %s then "
		    "%s", harness_quote(cases[i].request,
		    strlen(cases[i].request)), cases[i].half,
		    harness_quote(data, len), client_result_name(how));
		free(data);
		close(fd);
	}
	server_stop_expect_zero(&s);
}
END_TEST

/* bandwidth = 10k: BLOB 20000 trickles in about two seconds, intact. */
START_TEST(test_bandwidth)
{
	char		 path[HARNESS_PATH_MAX], *got, *want;
	struct server	 s;
	int64_t		 t0, ms;
	size_t		 i, n = 20001;
	int		 fd;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[faults]\nbandwidth = 10k\n", true);
	got = malloc(n);
	want = malloc(n);
	ck_assert(got != NULL && want != NULL);
	for (i = 0; i < n - 1; i++)
		want[i] = (char)('a' + i % 26);
	want[n - 1] = '\n';
	fd = client_connect(s.port);
	t0 = harness_now_ms();
	client_send(fd, "BLOB 20000\n");
	ck_assert_msg(client_read_exact(fd, got, n, HARNESS_REPLY_MS),
	    "BLOB 20000 at bandwidth = 10k: the reply did not arrive");
	ms = harness_now_ms() - t0;
	ck_assert_msg(memcmp(got, want, n) == 0, "BLOB 20000 at bandwidth = "
	    "10k: the bytes differ from the BLOB pattern");
	ck_assert_msg(ms >= 1500 && ms <= 2000 + 2 * LATE_MS, "BLOB 20000 at "
	    "bandwidth = 10k took %lld ms; expected about 2 s", (long long)ms);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	free(got);
	free(want);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * crash = 100%: the connection breaks, the master logs the crash as an
 * injected fault and restarts the worker at once (no back-off, though
 * restart_backoff_initial is 5 s), counts it, and serves again once a
 * reload has turned crash off. Six workers that die young are no crash
 * loop when their deaths were injected.
 */
START_TEST(test_crash)
{
	char		 path[HARNESS_PATH_MAX], conf[256], pidtext[48];
	double		 want[NKINDS] = { 0 };
	struct line_wait lw;
	char		*body, *whole;
	double		 loop;
	struct replaced	 r;
	struct info_reply info;
	struct server	 s;
	pid_t		 w[1];
	int		 admin = harness_free_port(), fd, i;

	snprintf(conf, sizeof(conf), "[workers]\nstart = 1\n"
	    "restart_backoff_initial = 5s\n[admin]\nlisten = 127.0.0.1:%d\n"
	    "[faults]\ncrash = 100%%\n", admin);
	start_conf(&s, path, sizeof(path), conf, true);
	for (i = 0; i < CRASHES; i++) {
		server_wait_workers(&s, 1, w);
		fd = client_connect(s.port);
		client_send(fd, "PING\n");
		expect_broken(fd, "PING with crash = 100%");
		close(fd);
		r = (struct replaced){ .s = &s, .gone = w[0], .n = 1 };
		ck_assert_msg(harness_wait_until(worker_replaced, &r, 2000),
		    "the worker (pid %ld) that crashed on purpose was not "
		    "replaced within 2 s (restart_backoff_initial = 5s must "
		    "not apply)", (long)w[0]);
		snprintf(pidtext, sizeof(pidtext), "(pid %ld) crashed: "
		    "killed by signal 6", (long)w[0]);
		lw = (struct line_wait){ &s, pidtext, "an injected fault" };
		ck_assert_msg(harness_wait_until(line_logged, &lw,
		    HARNESS_READY_MS), "expected a master line with \"%s\" "
		    "and \"an injected fault\":%s", pidtext,
		    log_lines(&s, "crashed"));
	}
	want[K_CRASH] = CRASHES;
	wait_metrics(admin, want, "after the injected crashes");
	body = admin_body(admin, "/metrics", &whole);
	ck_assert_msg(prom_value(body, strlen(body), "forkline_crash_loop",
	    &loop) && loop == 0, "after %d injected crashes in a row: %s",
	    CRASHES, body);
	free(whole);
	assert_log(&s, log_count(&s, "crash loop", 0) == 0, "crash loop",
	    "injected crashes were taken for a crash loop");

	snprintf(conf, sizeof(conf), "[workers]\nstart = 1\n"
	    "restart_backoff_initial = 5s\n[admin]\nlisten = 127.0.0.1:%d\n"
	    "[faults]\ncrash = 0\n", admin);
	harness_rewrite_file(path, conf);
	server_signal(&s, SIGHUP);
	wait_reload_in_place(&s, 1, NULL);
	fd = client_connect(s.port);
	client_request(fd, "PING\n", "PONG\n");
	client_info(fd, &info);
	ck_assert_msg(info.generation == 1, "INFO after a reload of [faults] "
	    "alone: generation=%ld, expected 1", info.generation);
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * seed: with one worker and one connection at a time, the same seed gives
 * the same faults; seed = 0 has the master choose one and log it (and
 * FAULT shows it), and that number repeats the run; another seed gives
 * other faults.
 */
START_TEST(test_seed_repeats)
{
	char		 path[HARNESS_PATH_MAX], conf[192], val[32];
	char		 a[PATTERN_CONNS * (PATTERN_REQS + 1) + 1];
	char		 b[sizeof(a)], c[sizeof(a)], *reply;
	struct server	 s;
	long		 seed;
	int		 fd;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[faults]\nerror = 30%\nseed = 0\nallow_client = yes\n", true);
	seed = logged_seed(&s);
	ck_assert_msg(seed >= 1 && seed <= 2147483647, "seed = 0: the master "
	    "logged \"faults: seed %ld\", not a seed in 1..2147483647", seed);
	fault_pattern(s.port, PATTERN_CONNS, PATTERN_REQS, a);
	fd = client_connect(s.port);
	reply = fault(fd, "FAULT");
	ck_assert_msg(fault_field(reply, "seed", val, sizeof(val)) &&
	    atol(val) == seed, "the master logged seed %ld, FAULT says %s",
	    seed, reply);
	close(fd);
	/* The chosen seed holds across a reload that changes [faults]. */
	harness_rewrite_file(path, "[workers]\nstart = 1\n"
	    "[faults]\nerror = 40%\nseed = 0\nallow_client = yes\n");
	server_signal(&s, SIGHUP);
	wait_reload_in_place(&s, 1, NULL);
	ck_assert_msg(log_wait_count(&s, "faults: seed ", 0, 2,
	    HARNESS_READY_MS), "no second \"faults: seed N\" line after a "
	    "reload that changed [faults]:%s", log_lines(&s, "faults:"));
	snprintf(val, sizeof(val), "faults: seed %ld;", seed);
	assert_log(&s, log_count(&s, val, 0) == 2, "faults: seed", "seed = 0: "
	    "expected the seed the master chose, %ld, in force after the "
	    "reload too", seed);
	server_stop_expect_zero(&s);
	ck_assert_msg(strchr(a, 'P') != NULL && strchr(a, 'E') != NULL,
	    "error = 30%%: %d requests gave %s", PATTERN_CONNS * PATTERN_REQS,
	    a);

	snprintf(conf, sizeof(conf), "[workers]\nstart = 1\n[faults]\n"
	    "error = 30%%\nseed = %ld\nallow_client = yes\n", seed);
	start_conf(&s, path, sizeof(path), conf, true);
	fault_pattern(s.port, PATTERN_CONNS, PATTERN_REQS, b);
	server_stop_expect_zero(&s);
	ck_assert_msg(strcmp(a, b) == 0, "seed %ld repeated: the faults "
	    "differ\nfirst:  %s\nsecond: %s", seed, a, b);

	snprintf(conf, sizeof(conf), "[workers]\nstart = 1\n[faults]\n"
	    "error = 30%%\nseed = %ld\nallow_client = yes\n",
	    seed == 2147483647 ? seed - 1 : seed + 1);
	start_conf(&s, path, sizeof(path), conf, true);
	fault_pattern(s.port, PATTERN_CONNS, PATTERN_REQS, c);
	server_stop_expect_zero(&s);
	ck_assert_msg(strcmp(a, c) != 0, "seeds %ld and the next gave the "
	    "same faults: %s", seed, a);
}
END_TEST

/*
 * 2. The echo protocol: error replaces a chunk's echo, latency delays
 * it, close echoes half of it and closes.
 */
START_TEST(test_echo_faults)
{
	char		 path[HARNESS_PATH_MAX], buf[64];
	struct server	 s;
	int64_t		 t0, us;
	size_t		 len;
	char		*data;
	int		 fd, i, how;

	start_conf(&s, path, sizeof(path), "[server]\nprotocol = echo\n"
	    "[workers]\nstart = 1\n[faults]\nerror = 100%\n", true);
	fd = client_connect(s.port);
	for (i = 0; i < 2; i++) {
		client_send(fd, i == 0 ? "hello" : "again, longer\n");
		ck_assert_msg(client_read_exact(fd, buf, INJECTED_LEN,
		    HARNESS_REPLY_MS) && memcmp(buf, INJECTED,
		    INJECTED_LEN) == 0, "echo with error = 100%%: expected %s "
		    "for chunk %d, got %s", harness_quote(INJECTED,
		    INJECTED_LEN), i + 1, harness_quote(buf, INJECTED_LEN));
		harness_sleep_ms(50);
		ck_assert_msg(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == -1 &&
		    errno == EAGAIN, "echo with error = 100%%: more than the "
		    "error reply for chunk %d", i + 1);
	}
	close(fd);
	server_stop_expect_zero(&s);

	start_conf(&s, path, sizeof(path), "[server]\nprotocol = echo\n"
	    "[workers]\nstart = 1\n[faults]\nlatency = 200ms\n"
	    "distribution = fixed\n", true);
	fd = client_connect(s.port);
	t0 = harness_now_us();
	client_send(fd, "abc");
	ck_assert_msg(client_read_exact(fd, buf, 3, HARNESS_REPLY_MS) &&
	    memcmp(buf, "abc", 3) == 0, "echo with latency = 200ms: no echo "
	    "of \"abc\"");
	us = harness_now_us() - t0;
	ck_assert_msg(us >= 200000 - SLACK_US && us <= 200000 + LATE_MS *
	    1000, "echo with latency = 200ms: the echo came after %lld us",
	    (long long)us);
	close(fd);
	server_stop_expect_zero(&s);

	start_conf(&s, path, sizeof(path), "[server]\nprotocol = echo\n"
	    "[workers]\nstart = 1\n[faults]\nclose = 100%\n", true);
	fd = client_connect(s.port);
	client_send(fd, "abcdef");
	data = client_read_all(fd, &len, &how, HARNESS_REPLY_MS);
	ck_assert_msg(len == 3 && memcmp(data, "abc", 3) == 0 &&
	    how == CLIENT_EOF, "echo of \"abcdef\" with close = 100%%: "
	    "expected \"abc\" then EOF, got %s then %s", harness_quote(data,
	    len), client_result_name(how));
	free(data);
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 3. The FAULT command.
 */

/* Without allow_client = yes FAULT is refused and changes nothing. */
START_TEST(test_fault_disabled)
{
	char		 path[HARNESS_PATH_MAX];
	struct server	 s;
	int		 fd;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[faults]\nlatency = 0\n", false);
	fd = client_connect(s.port);
	client_request(fd, "FAULT\n", "ERR faults are disabled\n");
	client_request(fd, "FAULT error=100%\n", "ERR faults are disabled\n");
	client_request(fd, "PING\n", "PONG\n");
	client_request(fd, "FAULT off\n", "ERR faults are disabled\n");
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * With allow_client = yes: FAULT shows the connection's faults, changes
 * them, turns them off; a bad request is refused whole, with a reason;
 * faults set on one connection stay on it; FAULT seed=N reseeds.
 */
START_TEST(test_fault_command)
{
	static const char base[] = "OK latency=0 jitter=0 "
	    "distribution=uniform reset=0 stall=0 error=0 close=0 bandwidth=0 "
	    "crash=0 seed=4242";
	static const char changed[] = "OK latency=10ms jitter=0 "
	    "distribution=uniform reset=5% stall=0 error=0 close=0 "
	    "bandwidth=0 crash=0 seed=4242";
	static const struct {
		const char	*request;
		const char	*reply;		/* exact, or NULL */
		const char	*holds;		/* in the reply, or NULL */
	} bad[] = {
		{ "FAULT reset=120%",
		    "ERR FAULT reset: '120%' out of range (accepted: 0..100%)",
		    NULL },
		{ "FAULT speed=1", NULL, "speed" },
		{ "FAULT allow_client=yes", NULL, "allow_client" },
		{ "FAULT reset", NULL, NULL },
		{ "FAULT error=50% reset=120%", NULL, "reset" },
		{ "FAULT error=50% speed=1", NULL, "speed" },
		{ "FAULT jitter=20ms", NULL, "jitter" },	/* > latency */
		{ "FAULT distribution=zipf", NULL, "distribution" },
		{ "FAULT latency=-1ms", NULL, "latency" },
	};
	char		 path[HARNESS_PATH_MAX], x[24], y[24], *reply;
	struct server	 s;
	size_t		 i;
	regex_t		 re;
	int		 fd, other;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 2\n"
	    "[faults]\nallow_client = yes\nseed = 4242\n", false);
	fd = client_connect(s.port);
	ck_assert_int_eq(regcomp(&re, "^OK latency=[^ ]+ jitter=[^ ]+ "
	    "distribution=[a-z]+ reset=[^ ]+ stall=[^ ]+ error=[^ ]+ "
	    "close=[^ ]+ bandwidth=[^ ]+ crash=[^ ]+ seed=[0-9]+$",
	    REG_EXTENDED | REG_NOSUB), 0);
	reply = fault(fd, "FAULT");
	ck_assert_msg(regexec(&re, reply, 0, NULL, 0) == 0, "FAULT: %s",
	    reply);
	ck_assert_msg(strcmp(reply, base) == 0, "FAULT on a new connection: "
	    "expected \"%s\", got \"%s\"", base, reply);
	reply = fault(fd, "FAULT reset=5% latency=10ms");
	ck_assert_msg(strcmp(reply, changed) == 0, "FAULT reset=5%% "
	    "latency=10ms: expected \"%s\", got \"%s\"", changed, reply);
	reply = fault(fd, "fault");
	ck_assert_msg(strcmp(reply, changed) == 0, "fault (lower case) after "
	    "a change: expected \"%s\", got \"%s\"", changed, reply);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reply = fault(fd, bad[i].request);
		ck_assert_msg(strncmp(reply, "ERR ", 4) == 0, "%s: "
		    "expected an \"ERR ...\" reply, got \"%s\"",
		    bad[i].request, reply);
		ck_assert_msg(bad[i].reply == NULL ||
		    strcmp(reply, bad[i].reply) == 0, "%s: expected \"%s\", "
		    "got \"%s\"", bad[i].request, bad[i].reply, reply);
		ck_assert_msg(bad[i].holds == NULL ||
		    strstr(reply, bad[i].holds) != NULL, "%s: expected the "
		    "reason to name %s, got \"%s\"", bad[i].request,
		    bad[i].holds, reply);
		reply = fault(fd, "FAULT");
		ck_assert_msg(strcmp(reply, changed) == 0, "after the refused "
		    "%s: expected the faults unchanged, \"%s\", got \"%s\"",
		    bad[i].request, changed, reply);
	}
	reply = fault(fd, "FAULT speed=1");
	ck_assert_msg(strstr(reply, "unknown key") != NULL, "FAULT speed=1: "
	    "expected the reason \"unknown key\", got \"%s\"", reply);

	reply = fault(fd, "FAULT off");
	ck_assert_msg(strcmp(reply, base) == 0, "FAULT off: expected \"%s\", "
	    "got \"%s\"", base, reply);
	client_request(fd, "PING\n", "PONG\n");

	/* One connection's faults are its own. */
	fault_ok(fd, "FAULT error=100%");
	client_request(fd, "PING\n", INJECTED);
	other = client_connect(s.port);
	client_request(other, "PING\n", "PONG\n");
	close(other);
	reply = fault(fd, "FAULT off");
	ck_assert_msg(strcmp(reply, base) == 0, "FAULT off: %s", reply);
	client_request(fd, "PING\n", "PONG\n");

	/* The same seed on the same connection: the same faults again. */
	reply = fault(fd, "FAULT seed=77 error=50%");
	ck_assert_msg(fault_field(reply, "seed", x, sizeof(x)) &&
	    strcmp(x, "77") == 0, "FAULT seed=77: %s", reply);
	fault_replies(fd, 20, x);
	fault_ok(fd, "FAULT seed=77");
	fault_replies(fd, 20, y);
	ck_assert_msg(strcmp(x, y) == 0 && strchr(x, 'E') != NULL &&
	    strchr(x, 'P') != NULL, "FAULT seed=77 with error=50%%, twice on "
	    "one connection: %s then %s; expected the same mix", x, y);
	regfree(&re);
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * FAULT's own reply is never delayed or faulted: with error = 100% and
 * latency = 1s in the file, FAULT answers at once and FAULT off brings
 * PONG back; a connection that set reset=100% still gets its FAULT reply.
 */
START_TEST(test_fault_never_faulted)
{
	char		 path[HARNESS_PATH_MAX], line[256], *reply;
	struct server	 s;
	int64_t		 us;
	int		 fd;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 1\n"
	    "[faults]\nerror = 100%\nlatency = 1s\ndistribution = fixed\n"
	    "allow_client = yes\n", true);
	fd = client_connect(s.port);
	us = timed_request(fd, "FAULT\n", line, sizeof(line));
	ck_assert_msg(strncmp(line, "OK latency=1s ", 14) == 0, "FAULT with "
	    "error = 100%%: %s", harness_quote(line, strlen(line)));
	ck_assert_msg(us < 700000, "FAULT with latency = 1s was answered "
	    "after %lld us: it was delayed", (long long)us);
	us = timed_request(fd, "FAULT off\n", line, sizeof(line));
	ck_assert_msg(strncmp(line, "OK latency=0 ", 13) == 0 && us < 700000,
	    "FAULT off with error = 100%% and latency = 1s: %s after %lld us",
	    harness_quote(line, strlen(line)), (long long)us);
	us = timed_request(fd, "PING\n", line, sizeof(line));
	ck_assert_msg(strcmp(line, "PONG\n") == 0 && us < 700000, "PING after "
	    "FAULT off: %s after %lld us", harness_quote(line, strlen(line)),
	    (long long)us);
	fault_ok(fd, "FAULT reset=100%");
	reply = fault_ok(fd, "FAULT");
	ck_assert_msg(strstr(reply, " reset=100% ") != NULL, "FAULT after "
	    "FAULT reset=100%%: %s", reply);
	fault_ok(fd, "FAULT off");
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 4. Configuration.
 */

/* A bad value in [faults]: exit 78 naming path:line and the key. */
struct bad_fault_conf {
	const char	*text;
	int		 line;
	const char	*key;
};

static const struct bad_fault_conf bad_fault_confs[] = {
	{ "[faults]\nlatency = 10ms\nspeed = 1\n", 3, "speed" },
	{ "[faults]\nreset = 120%\n", 2, "[faults] reset" },
	{ "[faults]\nlatency = -5ms\n", 2, "[faults] latency" },
	{ "[faults]\njitter = -1s\n", 2, "[faults] jitter" },
	{ "[faults]\nlatency = 2h\n", 2, "[faults] latency" },
	{ "[faults]\nerror = 1.5\n", 2, "[faults] error" },
	{ "[faults]\nstall = -1%\n", 2, "[faults] stall" },
	{ "[faults]\nbandwidth = 2G\n", 2, "[faults] bandwidth" },
	{ "[faults]\nseed = -1\n", 2, "[faults] seed" },
	{ "[faults]\nseed = 2147483648\n", 2, "[faults] seed" },
	{ "[faults]\ndistribution = zipf\n", 2, "[faults] distribution" },
	{ "[faults]\nallow_client = maybe\n", 2, "[faults] allow_client" },
};

START_TEST(test_config_bad_value)
{
	const struct bad_fault_conf *bad = &bad_fault_confs[_i];
	char			 path[HARNESS_PATH_MAX];
	char			 where[HARNESS_PATH_MAX + 16];
	struct run_result	 r;
	int			 i;

	harness_write_file(path, sizeof(path), "bad-", ".conf", bad->text);
	snprintf(where, sizeof(where), "%s:%d:", path, bad->line);
	for (i = 0; i < 2; i++) {
		forkline_run(&r, i == 0 ? ARGS("-t", "-c", path) :
		    ARGS("-c", path, "-l", "127.0.0.1:0"), RUN_MS);
		run_assert_exit(&r, EX_CONFIG, bad->text);
		ck_assert_msg(strstr(r.err, where) != NULL &&
		    strstr(r.err, bad->key) != NULL && strstr(r.err,
		    "[faults]") != NULL, "%s with %s: expected the error to "
		    "name %s and %s, got %s", i == 0 ? "-t" : "starting",
		    harness_quote(bad->text, strlen(bad->text)), where,
		    bad->key, harness_quote(r.err, strlen(r.err)));
		run_result_free(&r);
	}
}
END_TEST

/*
 * Values that do not go together (docs/FAULTS.md, "Delays"): exit 78
 * naming the keys. Like the other rules between keys
 * (CONFIGURATION.md), the message need not name a line.
 */
struct bad_fault_rule {
	const char	*text;
	const char	*keys[2];
};

static const struct bad_fault_rule bad_fault_rules[] = {
	{ "[faults]\nlatency = 10ms\njitter = 5ms\ndistribution = fixed\n",
	    { "distribution", "jitter" } },
	{ "[faults]\nlatency = 5ms\njitter = 10ms\ndistribution = uniform\n",
	    { "jitter", "latency" } },
	{ "[faults]\nlatency = 5ms\njitter = 10ms\n", { "jitter", "latency" } },
	{ "[faults]\nlatency = 10ms\ndistribution = pareto\n",
	    { "pareto", "jitter" } },
	{ "[faults]\njitter = 10ms\ndistribution = pareto\n",
	    { "pareto", "latency" } },
};

START_TEST(test_config_bad_rule)
{
	const struct bad_fault_rule *bad = &bad_fault_rules[_i];
	char			 path[HARNESS_PATH_MAX];
	struct run_result	 r;
	int			 i;

	harness_write_file(path, sizeof(path), "rule-", ".conf", bad->text);
	for (i = 0; i < 2; i++) {
		forkline_run(&r, i == 0 ? ARGS("-t", "-c", path) :
		    ARGS("-c", path, "-l", "127.0.0.1:0"), RUN_MS);
		run_assert_exit(&r, EX_CONFIG, bad->text);
		ck_assert_msg(strstr(r.err, "[faults]") != NULL &&
		    strstr(r.err, bad->keys[0]) != NULL &&
		    strstr(r.err, bad->keys[1]) != NULL, "%s with %s: "
		    "expected the error to name [faults], %s and %s, got %s",
		    i == 0 ? "-t" : "starting", harness_quote(bad->text,
		    strlen(bad->text)), bad->keys[0], bad->keys[1],
		    harness_quote(r.err, strlen(r.err)));
		run_result_free(&r);
	}
}
END_TEST

/*
 * -t prints [faults] (the defaults: every fault off), every key set is
 * printed as set, a fraction and a percentage are the same probability,
 * and the printed configuration loads back to itself.
 */
START_TEST(test_config_print)
{
	static const char *const defaults[][2] = {
		{ "latency", "0" }, { "jitter", "0" },
		{ "distribution", "uniform" }, { "reset", "0" },
		{ "stall", "0" }, { "error", "0" }, { "close", "0" },
		{ "bandwidth", "0" }, { "crash", "0" }, { "seed", "0" },
		{ "allow_client", "no" },
	};
	static const char full[] = "[faults]\nlatency = 20ms\njitter = 5ms\n"
	    "distribution = normal\nreset = 1%\nstall = 0.5%\n"
	    "error = 0.25%\nclose = 2%\nbandwidth = 64k\n"
	    "crash = 0.0001%\nseed = 42\nallow_client = yes\n";
	static const char *const set[][2] = {
		{ "latency", "20ms" }, { "jitter", "5ms" },
		{ "distribution", "normal" }, { "bandwidth", "64k" },
		{ "seed", "42" }, { "allow_client", "yes" },
	};
	static const char *const probabilities[] = {
		"reset", "stall", "error", "close", "crash",
	};
	char			 path[HARNESS_PATH_MAX], val[64], pct[64];
	struct run_result	 r, again;
	size_t			 i;

	forkline_run(&r, ARGS("-t"), RUN_MS);
	run_assert_exit(&r, 0, "-t");
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		ck_assert_msg(ini_lookup(r.out, "faults", defaults[i][0], val,
		    sizeof(val)) && strcmp(val, defaults[i][1]) == 0, "-t: "
		    "expected [faults] %s = %s, got %s", defaults[i][0],
		    defaults[i][1], harness_quote(r.out, strlen(r.out)));
	run_result_free(&r);

	harness_write_file(path, sizeof(path), "full-", ".conf", full);
	forkline_run(&r, ARGS("-t", "-c", path), RUN_MS);
	run_assert_exit(&r, 0, full);
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		ck_assert_msg(ini_lookup(r.out, "faults", set[i][0], val,
		    sizeof(val)) && strcmp(val, set[i][1]) == 0, "-t: "
		    "expected [faults] %s = %s, got %s", set[i][0], set[i][1],
		    harness_quote(r.out, strlen(r.out)));
	for (i = 0; i < sizeof(probabilities) / sizeof(probabilities[0]); i++)
		ck_assert_msg(ini_lookup(r.out, "faults", probabilities[i], val,
		    sizeof(val)) && strcmp(val, "0") != 0 && strcmp(val,
		    "0%") != 0, "-t with %s set: printed [faults] %s = %s",
		    probabilities[i], probabilities[i], val);
	harness_write_file(path, sizeof(path), "printed-", ".conf", r.out);
	forkline_run(&again, ARGS("-t", "-c", path), RUN_MS);
	run_assert_exit(&again, 0, "-t on the output of -t");
	ini_settings(r.out);
	ini_settings(again.out);
	ck_assert_msg(strcmp(r.out, again.out) == 0, "-t output loaded back "
	    "prints different settings:\nfirst: %s\nagain: %s",
	    harness_quote(r.out, strlen(r.out)),
	    harness_quote(again.out, strlen(again.out)));
	run_result_free(&r);
	run_result_free(&again);

	/* 0.05 and 5% are one probability. */
	harness_write_file(path, sizeof(path), "frac-", ".conf",
	    "[faults]\nreset = 5%\n");
	forkline_run(&r, ARGS("-t", "-c", path), RUN_MS);
	run_assert_exit(&r, 0, "reset = 5%");
	ck_assert(ini_lookup(r.out, "faults", "reset", pct, sizeof(pct)));
	run_result_free(&r);
	harness_write_file(path, sizeof(path), "frac-", ".conf",
	    "[faults]\nreset = 0.05\n");
	forkline_run(&r, ARGS("-t", "-c", path), RUN_MS);
	run_assert_exit(&r, 0, "reset = 0.05");
	ck_assert(ini_lookup(r.out, "faults", "reset", val, sizeof(val)));
	ck_assert_msg(strcmp(val, pct) == 0, "reset = 5%% prints %s, reset = "
	    "0.05 prints %s", pct, val);
	run_result_free(&r);
}
END_TEST

/*
 * 5. What was injected: faults set on their connections with FAULT, a
 * known number of each kind; /metrics, /status and forkline status count
 * exactly those, and the access log marks each connection's kinds.
 */
START_TEST(test_counters)
{
	char		 dir[HARNESS_PATH_MAX], acc[HARNESS_PATH_MAX + 16];
	char		 path[HARNESS_PATH_MAX], conf[512], admin[32];
	char		 count[32], *line;
	double		 want[NKINDS] = { 0 };
	struct run_result r;
	struct server	 s;
	size_t		 len;
	char		*data;
	int		 port = harness_free_port(), fd, stalled, i, how;
	int		 p_error, p_reset, p_close, p_latency, p_bandwidth;
	int		 p_stall, p_both, p_clean;

	log_dir_make(dir, sizeof(dir));
	snprintf(acc, sizeof(acc), "%s/access.log", dir);
	snprintf(admin, sizeof(admin), "127.0.0.1:%d", port);
	snprintf(conf, sizeof(conf), "[workers]\nstart = 3\n[connection]\n"
	    "idle_timeout = 1s\n[faults]\nallow_client = yes\n[admin]\n"
	    "listen = %s\n[log]\naccess_log = %s\n", admin, acc);
	start_conf(&s, path, sizeof(path), conf, false);
	wait_metrics(port, want, "before any fault");

	/* The stall first: it holds its worker until idle_timeout. */
	stalled = client_connect(s.port);
	p_stall = client_local_port(stalled);
	fault_ok(stalled, "FAULT stall=100%");
	client_send(stalled, "PING\n");
	want[K_STALL] = 1;

	fd = client_connect(s.port);
	p_error = client_local_port(fd);
	fault_ok(fd, "FAULT error=100%");
	for (i = 0; i < 4; i++)
		client_request(fd, "PING\n", INJECTED);
	close(fd);
	want[K_ERROR] = 4;

	fd = client_connect(s.port);
	p_reset = client_local_port(fd);
	fault_ok(fd, "FAULT reset=100%");
	client_send(fd, "PING\n");
	expect_reset(fd, "PING after FAULT reset=100%");
	close(fd);
	want[K_RESET] = 1;

	fd = client_connect(s.port);
	p_close = client_local_port(fd);
	fault_ok(fd, "FAULT close=100%");
	client_send(fd, "PING\n");
	data = client_read_all(fd, &len, &how, HARNESS_REPLY_MS);
	ck_assert_msg(len == 2 && memcmp(data, "PO", 2) == 0, "PING after "
	    "FAULT close=100%%: %s", harness_quote(data, len));
	free(data);
	close(fd);
	want[K_CLOSE] = 1;

	fd = client_connect(s.port);
	p_latency = client_local_port(fd);
	fault_ok(fd, "FAULT latency=5ms distribution=fixed");
	for (i = 0; i < 3; i++)
		client_request(fd, "PING\n", "PONG\n");
	close(fd);
	want[K_LATENCY] = 3;

	fd = client_connect(s.port);
	p_bandwidth = client_local_port(fd);
	fault_ok(fd, "FAULT bandwidth=1M");
	for (i = 0; i < 2; i++)
		client_request(fd, "PING\n", "PONG\n");
	close(fd);
	want[K_BANDWIDTH] = 2;

	/* An error reply is delayed too: two kinds on one connection. */
	fd = client_connect(s.port);
	p_both = client_local_port(fd);
	fault_ok(fd, "FAULT error=100% latency=5ms distribution=fixed");
	for (i = 0; i < 2; i++)
		client_request(fd, "PING\n", INJECTED);
	close(fd);
	want[K_ERROR] += 2;
	want[K_LATENCY] += 2;

	fd = client_connect(s.port);
	p_clean = client_local_port(fd);
	client_request(fd, "PING\n", "PONG\n");
	client_request(fd, "QUIT\n", "BYE\n");
	client_expect_close(fd, false);
	close(fd);

	client_expect_close(stalled, false);
	close(stalled);

	wait_metrics(port, want, "after faults of every kind but crash");
	assert_status_counts(port, want);
	forkline_run(&r, ARGS("status", "-a", admin), RUN_MS);
	run_assert_exit(&r, 0, "forkline status");
	line = strstr(r.out, "faults injected: ");
	ck_assert_msg(line != NULL, "forkline status after injected faults "
	    "has no \"faults injected:\" line: %s", r.out);
	line[strcspn(line, "\n")] = '\0';
	for (i = 0; i < NKINDS; i++) {
		snprintf(count, sizeof(count), "%g %s", want[i], kinds[i]);
		ck_assert_msg(strstr(line, count) != NULL, "forkline status: "
		    "expected \"%s\" in \"%s\"", count, line);
	}
	run_result_free(&r);

	assert_access_faults(acc, p_stall, "stall", "injected stall");
	assert_access_faults(acc, p_error, "error", "client closed");
	assert_access_faults(acc, p_reset, "reset", "injected reset");
	assert_access_faults(acc, p_close, "close", "injected close");
	assert_access_faults(acc, p_latency, "latency", "client closed");
	assert_access_faults(acc, p_bandwidth, "bandwidth", "client closed");
	assert_access_faults(acc, p_both, "error,latency", "client closed");
	assert_access_faults(acc, p_clean, NULL, "quit");
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 6. Reloads.
 */

/*
 * A reload that changes only [faults], under a load of persistent
 * connections, twice (latency 0 → 200ms → 0): applied in place, with no
 * error, no connection closed, no new worker, the same generation; each
 * connection takes the new faults at its next request, but one that set
 * its own with FAULT keeps them; the seed is logged again.
 */
START_TEST(test_reload_in_place_under_load)
{
	static const char conf0[] = "[workers]\nstart = 8\n"
	    "[faults]\nallow_client = yes\nseed = 9\n";
	static const char conf1[] = "[workers]\nstart = 8\n"
	    "[faults]\nallow_client = yes\nseed = 9\nlatency = 200ms\n"
	    "distribution = fixed\n";
	struct load_spec spec = { .clients = 4, .duration_ms = 3500,
	    .kind = LOAD_PING_ECHO, .identify = true };
	char		 path[HARNESS_PATH_MAX], line[64];
	const struct load_result *r;
	struct info_reply info;
	struct pidset	 before, after;
	struct server	 s;
	struct load	*l;
	int64_t		 us;
	int		 p, own, fd, i, seeds;

	start_conf(&s, path, sizeof(path), conf0, false);
	server_wait_workers(&s, 8, before.pids);
	before.n = 8;
	p = client_connect(s.port);
	client_request(p, "PING\n", "PONG\n");
	own = client_connect(s.port);
	fault_ok(own, "FAULT error=100%");
	seeds = log_count(&s, "faults: seed", 0);

	spec.port = s.port;
	l = load_new(&spec);
	ck_assert_msg(!load_run(l, 700), "the load ended early: %s",
	    load_describe(l));
	ck_assert_msg(load_result(l)->ok > 0, "no request served in 0.7 s: "
	    "%s", load_describe(l));

	harness_rewrite_file(path, conf1);
	server_signal(&s, SIGHUP);
	wait_reload_in_place(&s, 1, l);
	assert_log(&s, master_line_has(&s, "reload: only [faults] changed; "
	    "generation 1 serves on with: ", "latency=200ms"), "only [faults]",
	    "expected \"reload: only [faults] changed; generation 1 serves on "
	    "with: ...latency=200ms...\"");
	us = timed_request(p, "PING\n", line, sizeof(line));
	ck_assert_msg(strcmp(line, "PONG\n") == 0 && us >= 200000 - SLACK_US,
	    "a connection open across the reload to latency = 200ms: %s after "
	    "%lld us", harness_quote(line, strlen(line)), (long long)us);
	client_request(own, "PING\n", INJECTED);
	fd = client_connect(s.port);
	client_info(fd, &info);
	close(fd);
	ck_assert_msg(info.generation == 1, "after a reload of [faults] "
	    "alone a new connection is served by generation %ld",
	    info.generation);
	load_run(l, 700);

	harness_rewrite_file(path, conf0);
	server_signal(&s, SIGHUP);
	wait_reload_in_place(&s, 2, l);
	us = timed_request(p, "PING\n", line, sizeof(line));
	ck_assert_msg(strcmp(line, "PONG\n") == 0 && us < 150000, "a "
	    "connection open across the reload back to latency = 0: %s after "
	    "%lld us", harness_quote(line, strlen(line)), (long long)us);
	client_request(own, "PING\n", INJECTED);

	for (i = 0; i < 100 && !load_run(l, 100); i++)
		;
	ck_assert_msg(load_done(l), "the load did not end: %s",
	    load_describe(l));
	r = load_result(l);
	assert_log(&s, r->failed == 0 && r->ok > 0 && r->byes == 0,
	    "reload", "reloads of [faults] under load: %s", load_describe(l));
	ck_assert_msg(r->connects == spec.clients, "%ld connects for %d "
	    "clients: a connection was closed", r->connects, spec.clients);
	ck_assert_msg(r->min_generation == 1 && r->max_generation == 1,
	    "the load saw generations %ld..%ld", r->min_generation,
	    r->max_generation);
	load_log(l, "reload of [faults] under load");
	load_free(l);
	client_request(p, "PING\n", "PONG\n");
	close(p);
	close(own);

	assert_log(&s, log_count(&s, "starting generation", 0) == 0,
	    "generation", "a reload of [faults] alone started a generation");
	assert_log(&s, log_count(&s, "faults: seed", 0) >= seeds + 2,
	    "faults: seed", "expected \"faults: seed N\" after each of the two "
	    "reloads that changed [faults]");
	after.n = server_workers(&s, after.pids, HARNESS_MAX_PIDS);
	ck_assert_msg(after.n == 8, "after the reloads %d workers [%s]",
	    after.n, pidset_text(&after));
	for (i = 0; i < after.n; i++)
		ck_assert_msg(pidset_has(&before, after.pids[i]), "after a "
		    "reload of [faults] alone worker %ld is new (before: [%s])",
		    (long)after.pids[i], pidset_text(&before));
	server_stop_expect_zero(&s);
}
END_TEST

/* A reload that changes [faults] and another key: a new generation,
 * with the new faults. */
START_TEST(test_reload_new_generation)
{
	char		 path[HARNESS_PATH_MAX], line[128];
	struct info_reply info;
	struct server	 s;
	pid_t		 gen1[2];
	int64_t		 us;
	int		 fd;

	start_conf(&s, path, sizeof(path), "[workers]\nstart = 2\n", false);
	server_wait_workers(&s, 2, gen1);
	harness_rewrite_file(path, "[workers]\nstart = 2\n[connection]\n"
	    "idle_timeout = 30s\n[faults]\nlatency = 100ms\n"
	    "distribution = fixed\n");
	server_signal(&s, SIGHUP);
	assert_log(&s, log_wait_count(&s, "reload: generation 2 serving", 0,
	    1, HARNESS_READY_MS), "reload", "a reload of [faults] and "
	    "[connection] did not start generation 2");
	assert_log(&s, log_count(&s, "only [faults] changed", 0) == 0,
	    "only [faults]", "a reload that changed [connection] too was "
	    "taken for one of [faults] alone");
	ps_assert_gone(gen1, 2, HARNESS_READY_MS, "generation 1 workers");
	fd = client_connect(s.port);
	us = timed_request(fd, "INFO\n", line, sizeof(line));
	line[strcspn(line, "\n")] = '\0';
	ck_assert_msg(info_parse(line, &info) && info.generation == 2,
	    "INFO after the reload: %s", line);
	ck_assert_msg(us >= 100000 - SLACK_US, "generation 2 has latency = "
	    "100ms, yet INFO was answered after %lld us", (long long)us);
	close(fd);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * 7. error = 5% over 12000 requests on one connection (one worker, a
 * fixed seed: the same count every run): the rate is within its 99.9 %
 * binomial interval, and /metrics counts exactly what the client saw.
 */
START_TEST(test_error_rate)
{
	char		 path[HARNESS_PATH_MAX], conf[192], line[64];
	char		 batch[RATE_BATCH * 5 + 1];
	double		 want[NKINDS] = { 0 }, lo, hi;
	struct server	 s;
	long		 errors = 0, n;
	int		 port = harness_free_port(), fd, i, r;

	snprintf(conf, sizeof(conf), "[workers]\nstart = 1\n[faults]\n"
	    "error = 5%%\nseed = 20240601\n[admin]\nlisten = 127.0.0.1:%d\n",
	    port);
	start_conf(&s, path, sizeof(path), conf, true);
	for (i = 0; i < RATE_BATCH; i++)
		memcpy(batch + i * 5, "PING\n", 5);
	batch[RATE_BATCH * 5] = '\0';
	fd = client_connect(s.port);
	for (n = 0; n < RATE_REQUESTS; n += RATE_BATCH) {
		client_send(fd, batch);
		for (i = 0; i < RATE_BATCH; i++) {
			r = client_read_line(fd, line, sizeof(line),
			    HARNESS_REPLY_MS);
			ck_assert_msg(r > 0, "request %ld: %s", n + i + 1,
			    client_result_name(r));
			if (strcmp(line, INJECTED) == 0)
				errors++;
			else
				ck_assert_msg(strcmp(line, "PONG\n") == 0,
				    "request %ld: %s", n + i + 1,
				    harness_quote(line, strlen(line)));
		}
	}
	close(fd);
	wilson(errors, RATE_REQUESTS, Z_999, &lo, &hi);
	ck_assert_msg(lo <= 0.05 && 0.05 <= hi, "error = 5%%: %ld of %d "
	    "requests = %.3f%%; the 99.9%% interval %.3f%%..%.3f%% does not "
	    "hold 5%%", errors, RATE_REQUESTS, 100.0 * (double)errors /
	    RATE_REQUESTS, 100 * lo, 100 * hi);
	want[K_ERROR] = (double)errors;
	wait_metrics(port, want, "after the statistical run");
	server_stop_expect_zero(&s);
}
END_TEST

static Suite *
faults_suite(void)
{
	Suite	*s = suite_create("faults");
	TCase	*tc;

	tc = tcase_create("keys");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_latency_fixed);
	tcase_add_loop_test(tc, test_distribution_accepted, 0,
	    sizeof(dist_confs) / sizeof(dist_confs[0]));
	tcase_add_test(tc, test_distribution_delays);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_stall);
	tcase_add_test(tc, test_error);
	tcase_add_test(tc, test_close);
	tcase_add_test(tc, test_bandwidth);
	tcase_add_test(tc, test_crash);
	tcase_add_test(tc, test_seed_repeats);
	tcase_add_test(tc, test_echo_faults);
	suite_add_tcase(s, tc);

	tc = tcase_create("command");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fault_disabled);
	tcase_add_test(tc, test_fault_command);
	tcase_add_test(tc, test_fault_never_faulted);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_config_bad_value, 0,
	    sizeof(bad_fault_confs) / sizeof(bad_fault_confs[0]));
	tcase_add_loop_test(tc, test_config_bad_rule, 0,
	    sizeof(bad_fault_rules) / sizeof(bad_fault_rules[0]));
	tcase_add_test(tc, test_config_print);
	suite_add_tcase(s, tc);

	tc = tcase_create("counted");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_error_rate);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_reload_in_place_under_load);
	tcase_add_test(tc, test_reload_new_generation);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(faults_suite);
}
