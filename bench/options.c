/*
 * options: forkline-bench's command line. See options.h.
 */
#include <netinet/in.h>

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/options.h"

#define NS_PER_US	1000ull
#define NS_PER_MS	1000000ull
#define NS_PER_S	1000000000ull
#define FRAC_DIGITS_MAX	9	/* nanoseconds of a second */

/* Options without a short form. */
enum {
	OPT_BLOCK = 256,
	OPT_INFLIGHT,
	OPT_EXPECT_FAULTS,
};

/* Which options were given, to reject those the mode does not use. */
struct given {
	bool	 pipeline, rate, block, inflight, request, expect;
};

static int	 parse_mode(const char *text, enum bench_mode *mode,
		    char *err, size_t errlen);
static int	 parse_rate(const char *text, double *rate, char *err,
		    size_t errlen);
static int	 parse_positive_duration(const char *text, const char *what,
		    uint64_t *ns, char *err, size_t errlen);
static int	 parse_option(int ch, const char *arg, struct bench_options *o,
		    struct given *g, char *err, size_t errlen);
static int	 check_combination(const struct bench_options *o,
		    const struct given *g, char *err, size_t errlen);
static int	 unknown_option(const char *arg, char *err, size_t errlen);
static int	 hex_digit(char c);

static const char short_options[] = ":m:c:d:w:r:e:P:R:t:jqhV";

static const struct option long_options[] = {
	{ "mode",	required_argument, NULL, 'm' },
	{ "conns",	required_argument, NULL, 'c' },
	{ "duration",	required_argument, NULL, 'd' },
	{ "warmup",	required_argument, NULL, 'w' },
	{ "request",	required_argument, NULL, 'r' },
	{ "expect",	required_argument, NULL, 'e' },
	{ "pipeline",	required_argument, NULL, 'P' },
	{ "rate",	required_argument, NULL, 'R' },
	{ "block",	required_argument, NULL, OPT_BLOCK },
	{ "inflight",	required_argument, NULL, OPT_INFLIGHT },
	{ "timeout",	required_argument, NULL, 't' },
	{ "expect-faults", required_argument, NULL, OPT_EXPECT_FAULTS },
	{ "json",	no_argument,	   NULL, 'j' },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, 'V' },
	{ NULL,		0,		   NULL, 0 },
};

static const char help_text[] =
    "usage: forkline-bench [options] [HOST:PORT | [V6]:PORT | unix:PATH]\n"
    "\n"
    "Load generator for line and echo servers (default target "
    BENCH_DEFAULT_TARGET ").\n"
    "\n"
    "  -m, --mode MODE       rr (default): request, reply, next request;\n"
    "                        stream: bulk bytes through an echo server;\n"
    "                        connect: connect, one request, reply, close\n"
    "  -c, --conns N         connections (default 16)\n"
    "  -d, --duration T      measured time (default 10s; 500ms, 10s, 2m;\n"
    "                        a plain number is seconds)\n"
    "  -w, --warmup T        unmeasured time first (default 1s; 0 allowed)\n"
    "  -r, --request TEXT    request for rr and connect (default "
    "\"PING\\n\");\n"
    "                        escapes \\n \\r \\t \\\\ \\0 \\xHH\n"
    "  -e, --expect TEXT     every reply must be exactly TEXT (escapes as "
    "above);\n"
    "                        without it, any line ending in \\n is a "
    "reply\n"
    "  -P, --pipeline K      rr: K requests in flight per connection "
    "(default 1)\n"
    "  -R, --rate N          rr: open loop, N requests/s in total, latency "
    "from\n"
    "                        each request's scheduled time (at most 1024 "
    "in flight\n"
    "                        per connection; more are counted as "
    "\"behind\")\n"
    "      --block BYTES     stream: write size (default 16k)\n"
    "      --inflight BYTES  stream: most bytes not yet echoed per "
    "connection\n"
    "                        (default 64k)\n"
    "  -t, --timeout T       a reply or connect slower than T is an error "
    "and the\n"
    "                        connection is reopened (default 5s)\n"
    "      --expect-faults SPEC\n"
    "                        rr and connect: compare the errors with the "
    "faults\n"
    "                        the server injects, as reset=1%,error=0.5% "
    "(kinds:\n"
    "                        crash reset stall close error); exit status "
    "1 if a\n"
    "                        rate is outside its 99.9% interval\n"
    "  -j, --json            one JSON object on stdout instead of the "
    "report\n"
    "  -q, --quiet           no progress line on a terminal\n"
    "  -V, --version         print the version and exit\n"
    "  -h, --help            print this help and exit\n"
    "\n"
    "Examples:\n"
    "  forkline-bench -c 64 -d 10s 127.0.0.1:7007\n"
    "  forkline-bench -r 'PING\\r\\n' -e '+PONG\\r\\n' 127.0.0.1:6379\n"
    "  forkline-bench -m stream --block 64k unix:/run/forkline/echo.sock\n"
    "\n"
    "Exit status: 0 no errors, 1 errors, 2 could not connect, 64 usage "
    "error,\n71 operating-system error (e.g. too few file descriptors). "
    "With\n--expect-faults, 1 is errors the faults do not explain, or a "
    "rate outside\nits interval.\n";

void
bench_options_default(struct bench_options *o)
{
	char	 err[128];

	memset(o, 0, sizeof(*o));
	o->action = BENCH_RUN;
	o->mode = BENCH_RR;
	/* The default parses: nothing to report. */
	(void)bench_parse_target(BENCH_DEFAULT_TARGET, &o->target, err,
	    sizeof(err));
	o->conns = 16;
	o->duration_ns = 10 * NS_PER_S;
	o->warmup_ns = 1 * NS_PER_S;
	o->timeout_ns = 5 * NS_PER_S;
	memcpy(o->request, "PING\n", 5);
	o->request_len = 5;
	o->pipeline = 1;
	o->block = 16 * 1024;
	o->inflight = 64 * 1024;
}

const char *
bench_options_help(void)
{
	return help_text;
}

const char *
bench_mode_name(enum bench_mode mode)
{
	switch (mode) {
	case BENCH_RR:
		return "rr";
	case BENCH_STREAM:
		return "stream";
	case BENCH_CONNECT:
		return "connect";
	}
	return "?";
}

int
bench_options_parse(int argc, char *const argv[], struct bench_options *o,
    char *err, size_t errlen)
{
	struct given	 g = { 0 };
	int		 ch;

	bench_options_default(o);
	optind = 0;	/* GNU: start over, even after an earlier parse */
	opterr = 0;	/* our own one-line messages */
	while ((ch = getopt_long(argc, argv, short_options, long_options,
	    NULL)) != -1) {
		if (ch == 'h' || ch == 'V') {
			o->action = ch == 'h' ? BENCH_HELP : BENCH_VERSION;
			return 0;
		}
		if (ch == ':')
			return bench_fail(err, errlen, "option '%s' needs a value",
			    argv[optind - 1]);
		if (ch == '?')
			return unknown_option(argv[optind - 1], err, errlen);
		if (parse_option(ch, optarg, o, &g, err, errlen) == -1)
			return -1;
	}
	if (optind < argc) {
		if (bench_parse_target(argv[optind], &o->target, err,
		    errlen) == -1)
			return -1;
		if (optind + 1 < argc)
			return bench_fail(err, errlen, "unexpected argument '%s' "
			    "(one target only)", argv[optind + 1]);
	}
	return check_combination(o, &g, err, errlen);
}

/*
 * getopt_long said '?': arg is the word it was reading. A long option it
 * knows but with "=value" sets optopt to the option's code.
 */
static int
unknown_option(const char *arg, char *err, size_t errlen)
{
	const char	*eq;

	if (strncmp(arg, "--", 2) != 0)
		return bench_fail(err, errlen, "unknown option '-%c'", optopt);
	if (optopt != 0 && (eq = strchr(arg, '=')) != NULL)
		return bench_fail(err, errlen, "option '%.*s' takes no value",
		    (int)(eq - arg), arg);
	return bench_fail(err, errlen, "unknown option '%s'", arg);
}

/* One option with its value into o; g notes that it was given. */
static int
parse_option(int ch, const char *arg, struct bench_options *o,
    struct given *g, char *err, size_t errlen)
{
	switch (ch) {
	case 'm':
		return parse_mode(arg, &o->mode, err, errlen);
	case 'c':
		return bench_parse_uint(arg, "--conns", 1, BENCH_CONNS_MAX,
		    &o->conns, err, errlen);
	case 'd':
		return parse_positive_duration(arg, "--duration",
		    &o->duration_ns, err, errlen);
	case 'w':
		return bench_parse_duration(arg, "--warmup", &o->warmup_ns,
		    err, errlen);
	case 't':
		return parse_positive_duration(arg, "--timeout",
		    &o->timeout_ns, err, errlen);
	case 'r':
		g->request = true;
		return bench_unescape(arg, "--request", o->request,
		    sizeof(o->request), &o->request_len, err, errlen);
	case 'e':
		g->expect = true;
		return bench_unescape(arg, "--expect", o->expect,
		    sizeof(o->expect), &o->expect_len, err, errlen);
	case 'P':
		g->pipeline = true;
		return bench_parse_uint(arg, "--pipeline", 1,
		    BENCH_PIPELINE_MAX, &o->pipeline, err, errlen);
	case 'R':
		g->rate = true;
		return parse_rate(arg, &o->rate, err, errlen);
	case OPT_BLOCK:
		g->block = true;
		if (bench_parse_size(arg, "--block", &o->block, err,
		    errlen) == -1)
			return -1;
		if (o->block < 1 || o->block > BENCH_BLOCK_MAX)
			return bench_fail(err, errlen, "--block: '%s' is out of "
			    "range: 1 byte to 1m (%d bytes)", arg,
			    BENCH_BLOCK_MAX);
		return 0;
	case OPT_INFLIGHT:
		g->inflight = true;
		if (bench_parse_size(arg, "--inflight", &o->inflight, err,
		    errlen) == -1)
			return -1;
		if (o->inflight < 1 || o->inflight > BENCH_INFLIGHT_BYTES_MAX)
			return bench_fail(err, errlen, "--inflight: '%s' is out of "
			    "range: 1 byte to 64m (%d bytes)", arg,
			    BENCH_INFLIGHT_BYTES_MAX);
		return 0;
	case OPT_EXPECT_FAULTS:
		return bench_parse_faults(arg, &o->faults, err, errlen);
	case 'j':
		o->json = true;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	}
	return bench_fail(err, errlen, "option '%c' is not handled", ch);
}

/* Options that the chosen mode would silently ignore are mistakes. */
static int
check_combination(const struct bench_options *o, const struct given *g,
    char *err, size_t errlen)
{
	const char	*mode = bench_mode_name(o->mode);

	if (o->mode != BENCH_RR && g->pipeline)
		return bench_fail(err, errlen, "--pipeline applies to --mode rr "
		    "only, not %s", mode);
	if (o->mode != BENCH_RR && g->rate)
		return bench_fail(err, errlen, "--rate applies to --mode rr only, "
		    "not %s", mode);
	if (g->pipeline && g->rate)
		return bench_fail(err, errlen, "--pipeline and --rate do not go "
		    "together: with --rate, requests go out when due, up to "
		    "%d in flight per connection", BENCH_INFLIGHT_MAX);
	if (o->mode != BENCH_STREAM && (g->block || g->inflight))
		return bench_fail(err, errlen, "%s applies to --mode stream only, "
		    "not %s", g->block ? "--block" : "--inflight", mode);
	if (o->mode == BENCH_STREAM && (g->request || g->expect))
		return bench_fail(err, errlen, "%s applies to --mode rr and connect "
		    "only: stream sends a byte pattern and checks its echo",
		    g->request ? "--request" : "--expect");
	if (o->mode == BENCH_STREAM && o->faults.any)
		return bench_fail(err, errlen, "--expect-faults applies to --mode rr "
		    "and connect only: in stream mode the server's requests "
		    "are its reads, which the client cannot count");
	if (o->faults.given[BENCH_FAULT_ERROR] && (o->expect_len == 0 ||
	    o->expect[o->expect_len - 1] != '\n'))
		return bench_fail(err, errlen, "--expect-faults error: needs --expect "
		    "with a reply that ends in \\n (such as 'PONG\\n'), to "
		    "tell the error reply from the answer");
	return 0;
}

static int
parse_mode(const char *text, enum bench_mode *mode, char *err,
    size_t errlen)
{
	static const enum bench_mode modes[] = { BENCH_RR, BENCH_STREAM,
	    BENCH_CONNECT };
	size_t	 i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(text, bench_mode_name(modes[i])) == 0) {
			*mode = modes[i];
			return 0;
		}
	return bench_fail(err, errlen, "--mode: '%s' is not one of rr, stream, "
	    "connect", text);
}

int
bench_parse_uint(const char *text, const char *what, unsigned min,
    unsigned max, unsigned *out, char *err, size_t errlen)
{
	unsigned long long	 v = 0;
	const char		*p;

	for (p = text; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (p == text || (*p != '\0' && v <= max) || v < min || v > max)
		return bench_fail(err, errlen, "%s: '%s' is not a number from %u "
		    "to %u", what, text, min, max);
	*out = (unsigned)v;
	return 0;
}

/*
 * Digits with at most one '.', no sign, exponent, "inf" or hex: strtod
 * would take all of those.
 */
static int
parse_rate(const char *text, double *rate, char *err, size_t errlen)
{
	const char	*p;
	int		 dots = 0, digits = 0;

	for (p = text; *p != '\0'; p++) {
		if (*p == '.')
			dots++;
		else if (*p >= '0' && *p <= '9')
			digits++;
		else
			break;
	}
	if (*p == '\0' && dots <= 1 && digits > 0 && digits <= 12) {
		*rate = strtod(text, NULL);
		if (*rate > 0 && *rate <= BENCH_RATE_MAX)
			return 0;
	}
	return bench_fail(err, errlen, "--rate: '%s' is not a rate in requests/s "
	    "(a number above 0, at most %.0f)", text, BENCH_RATE_MAX);
}

/*
 * "<digits>[.<digits>]<unit>" with unit us, ms, s, m or h (none: s), in
 * integer arithmetic so that "0.1s" is exactly 100 ms.
 */
int
bench_parse_duration(const char *text, const char *what, uint64_t *ns,
    char *err, size_t errlen)
{
	static const struct { const char *name; uint64_t ns; } units[] = {
		{ "", NS_PER_S }, { "us", NS_PER_US }, { "ms", NS_PER_MS },
		{ "s", NS_PER_S }, { "m", 60 * NS_PER_S },
		{ "h", 3600 * NS_PER_S },
	};
	uint64_t	 whole = 0, frac = 0, scale = 1, mult = 0, v;
	const char	*p = text;
	size_t		 i;
	int		 digits = 0, fdigits = 0;

	for (; *p >= '0' && *p <= '9' && digits < 12; p++, digits++)
		whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && fdigits < FRAC_DIGITS_MAX;
		    p++, fdigits++) {
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].name) == 0)
			mult = units[i].ns;
	if (digits + fdigits == 0 || mult == 0)
		return bench_fail(err, errlen, "%s: '%s' is not a duration "
		    "(examples: 500ms, 10s, 2m; a plain number is seconds)",
		    what, text);
	/* 12 digits of hours would wrap: compare before multiplying. */
	if (whole > BENCH_DURATION_MAX_NS / mult)
		return bench_fail(err, errlen, "%s: '%s' is longer than 7 days",
		    what, text);
	/*
	 * frac < 10^9 and mult up to 3.6e12: divide first where that is
	 * exact (scale divides mult); otherwise mult <= 10^6 and the
	 * product fits.
	 */
	v = whole * mult + (mult % scale == 0 ? frac * (mult / scale) :
	    frac * mult / scale);
	if (v > BENCH_DURATION_MAX_NS)
		return bench_fail(err, errlen, "%s: '%s' is longer than 7 days",
		    what, text);
	*ns = v;
	return 0;
}

static int
parse_positive_duration(const char *text, const char *what, uint64_t *ns,
    char *err, size_t errlen)
{
	uint64_t	 v;

	if (bench_parse_duration(text, what, &v, err, errlen) == -1)
		return -1;
	if (v < NS_PER_MS)
		return bench_fail(err, errlen, "%s: '%s' is too short (1ms at "
		    "least)", what, text);
	*ns = v;
	return 0;
}

/* "<digits>[k|m]", k = 1024, m = 1024 * 1024 (either case). */
int
bench_parse_size(const char *text, const char *what, size_t *out,
    char *err, size_t errlen)
{
	uint64_t	 v = 0, mult = 1;
	const char	*p = text;
	int		 digits = 0;

	for (; *p >= '0' && *p <= '9' && digits < 12; p++, digits++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (*p == 'k' || *p == 'K')
		mult = 1024, p++;
	else if (*p == 'm' || *p == 'M')
		mult = 1024 * 1024, p++;
	if (digits == 0 || *p != '\0')
		return bench_fail(err, errlen, "%s: '%s' is not a size in bytes "
		    "(examples: 4096, 16k, 1m)", what, text);
	*out = (size_t)(v * mult);
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
bench_unescape(const char *text, const char *what, char *out, size_t cap,
    size_t *len, char *err, size_t errlen)
{
	const char	*p;
	size_t		 n = 0;
	int		 hi, lo;
	char		 c;

	for (p = text; *p != '\0'; p++) {
		c = *p;
		if (c == '\\') {
			switch (*++p) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case '\\': c = '\\'; break;
			case '0': c = '\0'; break;
			case 'x':
				if ((hi = hex_digit(p[1])) == -1 ||
				    (lo = hex_digit(p[2])) == -1)
					return bench_fail(err, errlen, "%s: '\\x' "
					    "needs two hex digits, as in "
					    "\\x0a", what);
				c = (char)(hi * 16 + lo);
				p += 2;
				break;
			case '\0':
				return bench_fail(err, errlen, "%s: a lone '\\' at "
				    "the end (write \\\\ for a backslash)",
				    what);
			default:
				return bench_fail(err, errlen, "%s: unknown escape "
				    "'\\%c' (accepted: \\n \\r \\t \\\\ \\0 "
				    "\\xHH)", what, *p);
			}
		}
		if (n == cap)
			return bench_fail(err, errlen, "%s: longer than %zu bytes",
			    what, cap);
		out[n++] = c;
	}
	if (n == 0)
		return bench_fail(err, errlen, "%s: must not be empty", what);
	*len = n;
	return 0;
}

int
bench_parse_target(const char *text, struct net_addr *out, char *err,
    size_t errlen)
{
	char	 buf[NET_ADDR_TEXT_MAX + 16], why[NET_ADDR_TEXT_MAX + 128];

	/* The one name worth knowing without a resolver. */
	if (strncmp(text, "localhost:", 10) == 0 &&
	    strlen(text) < sizeof(buf) - 1) {
		snprintf(buf, sizeof(buf), "127.0.0.1:%s", text + 10);
		text = buf;
	}
	if (net_parse_addr(text, out, why, sizeof(why)) == -1)
		return bench_fail(err, errlen, "target %s", why);
	if ((out->ss.ss_family == AF_INET &&
	    ((struct sockaddr_in *)&out->ss)->sin_port == 0) ||
	    (out->ss.ss_family == AF_INET6 &&
	    ((struct sockaddr_in6 *)&out->ss)->sin6_port == 0))
		return bench_fail(err, errlen, "target '%s': port 0 cannot be "
		    "connected to", text);
	return 0;
}
