/*
 * forkline-bench: a load generator for forkline and other line or echo
 * servers. main() and the report; the load itself is client.c.
 *
 * Exit status: 0 the run completed with no errors, 1 with errors, 2 no
 * connection could be made, 64 usage error, 71 operating-system error.
 * With --expect-faults, 1 means errors the faults do not explain, or a
 * fault's rate outside its interval.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/client.h"
#include "bench/faults.h"
#include "bench/histogram.h"
#include "bench/options.h"

#define EXIT_ERRORS	1
#define EXIT_NOCONNECT	2
#define EXIT_USAGE	64
#define EXIT_OSERR	71
#define ERR_MAX		512

static void	 report_text(const struct bench_options *o,
		    const struct bench_result *r);
static void	 report_json(const struct bench_options *o,
		    const struct bench_result *r);
static void	 report_faults_text(const struct bench_options *o,
		    const struct bench_result *r);
static void	 report_faults_json(const struct bench_options *o,
		    const struct bench_result *r);
static size_t	 fault_checks(const struct bench_options *o,
		    const struct bench_result *r,
		    struct bench_fault_check *out);
static uint64_t	 errors_unexplained(const struct bench_faults *f,
		    const struct bench_stats *st);
static bool	 faults_ok(const struct bench_options *o,
		    const struct bench_result *r);
static const char *percent(double rate, char *buf, size_t len);
static void	 json_string(const char *s);
static double	 per_second(uint64_t count, double seconds);
static double	 us(uint64_t ns);

/* The histogram is 30 KB: not on the stack. */
static struct bench_result	 result;

int
main(int argc, char **argv)
{
	struct bench_options	 o;
	char			 err[ERR_MAX];
	bool			 progress;

	if (bench_options_parse(argc, argv, &o, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkline-bench: %s (try 'forkline-bench "
		    "-h')\n", err);
		return EXIT_USAGE;
	}
	if (o.action == BENCH_HELP) {
		fputs(bench_options_help(), stdout);
		return 0;
	}
	if (o.action == BENCH_VERSION) {
		printf("forkline-bench %s\n", FORKLINE_VERSION);
		return 0;
	}
	/* A peer that closes mid-write is an error to count, not a death. */
	signal(SIGPIPE, SIG_IGN);
	if (bench_raise_fd_limit(o.conns, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkline-bench: %s\n", err);
		return EXIT_OSERR;
	}
	if (bench_probe(&o.target, o.timeout_ns, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkline-bench: %s\n", err);
		return EXIT_NOCONNECT;
	}
	progress = !o.quiet && isatty(STDERR_FILENO);
	if (bench_run(&o, progress, &result, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkline-bench: %s\n", err);
		return EXIT_OSERR;
	}
	if (o.json)
		report_json(&o, &result);
	else
		report_text(&o, &result);
	if (fflush(stdout) == EOF) {
		perror("forkline-bench: stdout");
		return EXIT_OSERR;
	}
	if (result.connects_ever == 0)
		return EXIT_NOCONNECT;
	if (o.faults.any)
		return faults_ok(&o, &result) ? 0 : EXIT_ERRORS;
	return bench_errors_total(&result.stats) > 0 ? EXIT_ERRORS : 0;
}

static double
per_second(uint64_t count, double seconds)
{
	return seconds > 0 ? (double)count / seconds : 0.0;
}

static double
us(uint64_t ns)
{
	return (double)ns / 1e3;
}

static void
report_text(const struct bench_options *o, const struct bench_result *r)
{
	const struct bench_stats *st = &r->stats;
	const struct histogram	*h = &r->latency;
	double			 d = r->duration_s;
	int			 i;

	printf("mode:       %s\n", bench_mode_name(o->mode));
	printf("target:     %s\n", o->target.text);
	printf("conns:      %u\n", o->conns);
	printf("pipeline:   %u\n", o->pipeline);
	if (o->mode == BENCH_STREAM)
		printf("block:      %zu bytes, at most %zu in flight\n",
		    o->block, o->inflight);
	if (o->rate > 0)
		printf("rate:       %.15g requests/s scheduled (open loop)\n",
		    o->rate);
	else
		printf("rate:       closed loop\n");
	printf("duration:   %.3f s measured, after %.3f s warmup\n", d,
	    (double)o->warmup_ns / 1e9);
	switch (o->mode) {
	case BENCH_RR:
		printf("throughput: %.1f requests/s\n",
		    per_second(st->requests, d));
		break;
	case BENCH_STREAM:
		printf("throughput: %.3f MB/s echoed (MB = 10^6 bytes)\n",
		    per_second(st->bytes_in, d) / 1e6);
		break;
	case BENCH_CONNECT:
		printf("throughput: %.1f connections/s\n",
		    per_second(st->connects, d));
		break;
	}
	printf("requests:   %llu\n", (unsigned long long)st->requests);
	printf("bytes:      %llu in, %llu out\n",
	    (unsigned long long)st->bytes_in,
	    (unsigned long long)st->bytes_out);
	printf("connects:   %llu\n", (unsigned long long)st->connects);
	printf("latency:    p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  "
	    "max %.1f  mean %.1f us\n", us(hist_percentile(h, 50)),
	    us(hist_percentile(h, 90)), us(hist_percentile(h, 99)),
	    us(hist_percentile(h, 99.9)), us(hist_max(h)),
	    hist_mean(h) / 1e3);
	printf("errors:     %llu (",
	    (unsigned long long)bench_errors_total(st));
	for (i = 0; i < BENCH_ERR_KINDS; i++)
		printf("%s%s %llu", i > 0 ? ", " : "",
		    bench_error_name((enum bench_error)i),
		    (unsigned long long)st->errors[i]);
	printf(")\n");
	printf("partial:    %s\n", r->partial ? "yes" : "no");
	if (o->faults.any)
		report_faults_text(o, r);
}

/* The checks of --expect-faults against what this run saw. */
static size_t
fault_checks(const struct bench_options *o, const struct bench_result *r,
    struct bench_fault_check *out)
{
	const struct bench_stats *st = &r->stats;
	struct bench_fault_seen	 seen = {
		.attempted = st->attempted,
		.resets = st->errors[BENCH_ERR_RESET],
		.shorts = st->errors[BENCH_ERR_SHORT],
		.timeouts = st->errors[BENCH_ERR_TIMEOUT],
		.injected = st->injected,
	};

	return bench_faults_compare(&o->faults, &seen, out);
}

/*
 * The errors that no fault given accounts for: every kind but those the
 * faults show as, and the wrong replies that were not the injected one.
 */
static uint64_t
errors_unexplained(const struct bench_faults *f,
    const struct bench_stats *st)
{
	uint64_t	 n = bench_errors_total(st);

	if (f->given[BENCH_FAULT_CRASH] || f->given[BENCH_FAULT_RESET])
		n -= st->errors[BENCH_ERR_RESET];
	if (f->given[BENCH_FAULT_CRASH] || f->given[BENCH_FAULT_CLOSE])
		n -= st->errors[BENCH_ERR_SHORT];
	if (f->given[BENCH_FAULT_STALL])
		n -= st->errors[BENCH_ERR_TIMEOUT];
	if (f->given[BENCH_FAULT_ERROR])
		n -= st->injected;
	return n;
}

static bool
faults_ok(const struct bench_options *o, const struct bench_result *r)
{
	struct bench_fault_check checks[BENCH_FAULT_KINDS];
	size_t		 i, n = fault_checks(o, r, checks);

	for (i = 0; i < n; i++)
		if (!checks[i].ok)
			return false;
	return errors_unexplained(&o->faults, &r->stats) == 0;
}

/* "1.000%", and "0.0250%" below 0.1 %: a millionth shows. */
static const char *
percent(double rate, char *buf, size_t len)
{
	double	 pc = rate * 100;

	snprintf(buf, len, pc > 0 && pc < 0.1 ? "%.4f%%" : "%.3f%%", pc);
	return buf;
}

/*
 * faults expected against seen (99.9% Wilson score interval):
 *   reset   1.000%   seen 201 of 20000 = 1.005%   interval 0.80%..1.27%   ok
 */
static void
report_faults_text(const struct bench_options *o,
    const struct bench_result *r)
{
	struct bench_fault_check checks[BENCH_FAULT_KINDS];
	const struct bench_fault_check *c;
	char		 e[16], rate[16], lo[16], hi[16];
	size_t		 i, n = fault_checks(o, r, checks);
	uint64_t	 other = errors_unexplained(&o->faults, &r->stats);
	int		 width = 7;

	for (i = 0; i < n; i++)
		if ((int)strlen(checks[i].label) > width)
			width = (int)strlen(checks[i].label);
	printf("faults expected against seen (%s Wilson score interval):\n",
	    BENCH_FAULT_CONFIDENCE);
	for (i = 0; i < n; i++) {
		c = &checks[i];
		printf("  %-*s %s   seen %llu of %llu = %s   interval %s..%s   "
		    "%s\n", width, c->label,
		    percent(c->expected, e, sizeof(e)),
		    (unsigned long long)c->seen, (unsigned long long)c->of,
		    percent(c->of > 0 ? (double)c->seen / (double)c->of : 0,
		    rate, sizeof(rate)), percent(c->low, lo, sizeof(lo)),
		    percent(c->high, hi, sizeof(hi)),
		    c->ok ? "ok" : "outside");
		if (strchr(c->label, '+') != NULL)
			printf("  (%s: a crash looks like a reset or a close, "
			    "so they are compared as one; seen = reset + "
			    "short)\n", c->label);
	}
	if (other > 0)
		printf("  errors the faults do not explain: %llu\n",
		    (unsigned long long)other);
}

/*
 * ,"sent":N,"attempted":N,"faults":{"confidence":99.9,"interval":
 * "wilson","checks":[{"kind":"reset","expected":0.01,...}],
 * "unexplained_errors":0,"ok":true}
 */
static void
report_faults_json(const struct bench_options *o,
    const struct bench_result *r)
{
	struct bench_fault_check checks[BENCH_FAULT_KINDS];
	const struct bench_fault_check *c;
	size_t		 i, n = fault_checks(o, r, checks);

	printf(",\"sent\":%llu,\"attempted\":%llu,\"faults\":{"
	    "\"confidence\":99.9,\"interval\":\"wilson\",\"checks\":[",
	    (unsigned long long)r->stats.sent,
	    (unsigned long long)r->stats.attempted);
	for (i = 0; i < n; i++) {
		c = &checks[i];
		printf("%s{\"kind\":\"%s\",\"expected\":%.9g,\"seen\":%llu,"
		    "\"of\":%llu,\"rate\":%.9g,\"low\":%.9g,\"high\":%.9g,"
		    "\"ok\":%s}", i > 0 ? "," : "", c->label, c->expected,
		    (unsigned long long)c->seen, (unsigned long long)c->of,
		    c->of > 0 ? (double)c->seen / (double)c->of : 0, c->low,
		    c->high, c->ok ? "true" : "false");
	}
	printf("],\"unexplained_errors\":%llu,\"ok\":%s}",
	    (unsigned long long)errors_unexplained(&o->faults, &r->stats),
	    faults_ok(o, r) ? "true" : "false");
}

/* The fields and their order are an interface (bench/run reads them). */
static void
report_json(const struct bench_options *o, const struct bench_result *r)
{
	const struct bench_stats *st = &r->stats;
	const struct histogram	*h = &r->latency;
	double			 d = r->duration_s;
	int			 i;

	printf("{\"version\":\"%s\",\"mode\":\"%s\",\"target\":",
	    FORKLINE_VERSION, bench_mode_name(o->mode));
	json_string(o->target.text);
	printf(",\"conns\":%u,\"pipeline\":%u,\"rate\":%.15g,", o->conns,
	    o->pipeline, o->rate);
	printf("\"duration_s\":%.3f,\"warmup_s\":%.3f,\"partial\":%s,", d,
	    (double)o->warmup_ns / 1e9, r->partial ? "true" : "false");
	printf("\"requests\":%llu,\"requests_per_s\":%.1f,",
	    (unsigned long long)st->requests, per_second(st->requests, d));
	printf("\"bytes_in\":%llu,\"bytes_out\":%llu,\"mb_per_s\":%.3f,",
	    (unsigned long long)st->bytes_in,
	    (unsigned long long)st->bytes_out,
	    per_second(st->bytes_in, d) / 1e6);
	printf("\"connects\":%llu,\"connects_per_s\":%.1f,",
	    (unsigned long long)st->connects, per_second(st->connects, d));
	printf("\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
	    "\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f},",
	    us(hist_percentile(h, 50)), us(hist_percentile(h, 90)),
	    us(hist_percentile(h, 99)), us(hist_percentile(h, 99.9)),
	    us(hist_max(h)), hist_mean(h) / 1e3);
	printf("\"errors\":{");
	for (i = 0; i < BENCH_ERR_KINDS; i++)
		printf("%s\"%s\":%llu", i > 0 ? "," : "",
		    bench_error_name((enum bench_error)i),
		    (unsigned long long)st->errors[i]);
	printf("},\"errors_total\":%llu",
	    (unsigned long long)bench_errors_total(st));
	if (o->faults.any)
		report_faults_json(o, r);
	printf("}\n");
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}
