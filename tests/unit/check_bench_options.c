/*
 * Unit tests for bench/options.c: the defaults, every option in its short
 * and long form, the value parsers (durations, sizes, escapes, targets,
 * numbers) and every error with its message. The SPEC of --expect-faults
 * itself is check_bench_faults.c's; here, how the option goes with the
 * others.
 */
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/options.h"

#define ARGS_MAX	32
#define ERR_LEN		512

#define NS_MS		1000000ull
#define NS_S		1000000000ull

static struct bench_options	 o;
static char			 err[ERR_LEN];

static int	 parse(const char *const args[]);
static void	 ok(const char *const args[]);
static void	 fails(const char *const args[], const char *want);
static Suite	*options_suite(void);

#define ARGS(...)	((const char *const[]){ __VA_ARGS__, NULL })
#define NELEM(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* Parse "forkline-bench args..." into o; the result of the parse. */
static int
parse(const char *const args[])
{
	char	*argv[ARGS_MAX];
	int	 argc = 0;

	argv[argc++] = (char *)"forkline-bench";
	for (; args[argc - 1] != NULL; argc++) {
		ck_assert_int_lt(argc, ARGS_MAX - 1);
		argv[argc] = (char *)args[argc - 1];
	}
	argv[argc] = NULL;
	err[0] = '\0';
	return bench_options_parse(argc, argv, &o, err, sizeof(err));
}

static void
ok(const char *const args[])
{
	ck_assert_msg(parse(args) == 0, "'%s ...' was refused: %s", args[0],
	    err);
}

/* The parse fails with exactly the message want. */
static void
fails(const char *const args[], const char *want)
{
	ck_assert_msg(parse(args) == -1, "'%s ...' was accepted, expected: "
	    "%s", args[0], want);
	ck_assert_str_eq(err, want);
}

START_TEST(test_defaults)
{
	const struct sockaddr_in *sin =
	    (const struct sockaddr_in *)&o.target.ss;
	const char *const none[] = { NULL };

	ok(none);
	ck_assert_int_eq(o.action, BENCH_RUN);
	ck_assert_int_eq(o.mode, BENCH_RR);
	ck_assert_str_eq(o.target.text, "127.0.0.1:7007");
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(sin->sin_port), 7007);
	ck_assert_uint_eq(o.conns, 16);
	ck_assert_uint_eq(o.duration_ns, 10 * NS_S);
	ck_assert_uint_eq(o.warmup_ns, 1 * NS_S);
	ck_assert_uint_eq(o.timeout_ns, 5 * NS_S);
	ck_assert_uint_eq(o.request_len, 5);
	ck_assert_mem_eq(o.request, "PING\n", 5);
	ck_assert_uint_eq(o.expect_len, 0);
	ck_assert_uint_eq(o.pipeline, 1);
	ck_assert(o.rate == 0);
	ck_assert_uint_eq(o.block, 16384);
	ck_assert_uint_eq(o.inflight, 65536);
	ck_assert(!o.json);
	ck_assert(!o.quiet);
	ck_assert(!o.faults.any);
}
END_TEST

START_TEST(test_every_option)
{
	ok(ARGS("-m", "stream", "-c", "64", "-d", "500ms", "-w", "0",
	    "--block", "64k", "--inflight", "1m", "-t", "2s", "-j", "-q",
	    "unix:/tmp/echo.sock"));
	ck_assert_int_eq(o.mode, BENCH_STREAM);
	ck_assert_uint_eq(o.conns, 64);
	ck_assert_uint_eq(o.duration_ns, 500 * NS_MS);
	ck_assert_uint_eq(o.warmup_ns, 0);
	ck_assert_uint_eq(o.block, 65536);
	ck_assert_uint_eq(o.inflight, 1048576);
	ck_assert_uint_eq(o.timeout_ns, 2 * NS_S);
	ck_assert(o.json && o.quiet);
	ck_assert_str_eq(o.target.text, "unix:/tmp/echo.sock");

	ok(ARGS("--mode=rr", "--conns=8192", "--duration", "2m", "--warmup",
	    "1.5s", "--request", "PING\\r\\n", "--expect", "+PONG\\r\\n",
	    "--pipeline", "8", "--timeout", "250ms", "--json", "--quiet",
	    "127.0.0.1:6379"));
	ck_assert_int_eq(o.mode, BENCH_RR);
	ck_assert_uint_eq(o.conns, 8192);
	ck_assert_uint_eq(o.duration_ns, 120 * NS_S);
	ck_assert_uint_eq(o.warmup_ns, 1500 * NS_MS);
	ck_assert_uint_eq(o.request_len, 6);
	ck_assert_mem_eq(o.request, "PING\r\n", 6);
	ck_assert_uint_eq(o.expect_len, 7);
	ck_assert_mem_eq(o.expect, "+PONG\r\n", 7);
	ck_assert_uint_eq(o.pipeline, 8);
	ck_assert_uint_eq(o.timeout_ns, 250 * NS_MS);
	ck_assert(o.json && o.quiet);
	ck_assert_str_eq(o.target.text, "127.0.0.1:6379");

	ok(ARGS("-R", "2000", "-r", "version\\r\\n", "-e", "VERSION 1\\r\\n"));
	ck_assert(o.rate == 2000);
	ck_assert_uint_eq(o.pipeline, 1);
	ok(ARGS("--rate=0.5"));
	ck_assert(o.rate == 0.5);
	ok(ARGS("-m", "connect", "-jq", "-c1"));
	ck_assert_int_eq(o.mode, BENCH_CONNECT);
	ck_assert(o.json && o.quiet);
	ck_assert_uint_eq(o.conns, 1);
	/* Options after the target are taken too. */
	ok(ARGS("127.0.0.1:9", "-c", "3"));
	ck_assert_uint_eq(o.conns, 3);
	ck_assert_str_eq(o.target.text, "127.0.0.1:9");
}
END_TEST

START_TEST(test_expect_faults)
{
	ok(ARGS("--expect-faults", "reset=1%,error=2%", "-e", "PONG\\n"));
	ck_assert(o.faults.any);
	ck_assert(o.faults.given[BENCH_FAULT_RESET]);
	ck_assert(o.faults.given[BENCH_FAULT_ERROR]);
	ck_assert(!o.faults.given[BENCH_FAULT_CRASH]);
	ck_assert_uint_eq(o.faults.ppm[BENCH_FAULT_RESET], 10000);
	ck_assert_uint_eq(o.faults.ppm[BENCH_FAULT_ERROR], 20000);
	/* Without error, no --expect is needed; connect mode and --rate
	 * and a pipeline go with it. */
	ok(ARGS("-m", "connect", "--expect-faults=crash=0.5%"));
	ck_assert_uint_eq(o.faults.ppm[BENCH_FAULT_CRASH], 5000);
	ok(ARGS("-R", "1000", "--expect-faults", "stall=0.1%,close=0.05"));
	ok(ARGS("-P", "8", "-r", "PING\\r\\n", "-e", "PONG\\r\\n",
	    "--expect-faults", "error=1%"));
	/* The last one given is the one. */
	ok(ARGS("--expect-faults", "reset=1%", "--expect-faults", "close=1%"));
	ck_assert(!o.faults.given[BENCH_FAULT_RESET]);
	ck_assert(o.faults.given[BENCH_FAULT_CLOSE]);
}
END_TEST

/* -h and -V are actions; help wins over what follows it, even a bad
 * value. */
static const struct {
	const char *const	*args;
	enum bench_action	 action;
} actions[] = {
	{ ARGS("-h"), BENCH_HELP },
	{ ARGS("--help"), BENCH_HELP },
	{ ARGS("-V"), BENCH_VERSION },
	{ ARGS("--version"), BENCH_VERSION },
	{ ARGS("-h", "-c", "0"), BENCH_HELP },
};

START_TEST(test_actions)
{
	ok(actions[_i].args);
	ck_assert_int_eq(o.action, actions[_i].action);
}
END_TEST

START_TEST(test_help_text)
{
	ck_assert_ptr_nonnull(strstr(bench_options_help(), "--inflight"));
	ck_assert_ptr_nonnull(strstr(bench_options_help(), "usage: "
	    "forkline-bench"));
}
END_TEST

/* The parser keeps no state from one call to the next. */
START_TEST(test_parse_twice)
{
	ok(ARGS("-m", "stream", "-c", "5"));
	ok(ARGS("-P", "4"));
	ck_assert_int_eq(o.mode, BENCH_RR);
	ck_assert_uint_eq(o.conns, 16);
	ck_assert_uint_eq(o.pipeline, 4);
}
END_TEST

static const struct {
	const char	*text;
	uint64_t	 ns;
} durations[] = {
	{ "500ms", 500 * NS_MS },
	{ "10s", 10 * NS_S },
	{ "2m", 120 * NS_S },
	{ "1h", 3600 * NS_S },
	{ "250us", 250000 },
	{ "1.5s", 1500 * NS_MS },
	{ "0.1", 100 * NS_MS },
	{ "10", 10 * NS_S },
	{ "0", 0 },
	{ "0.000000001", 1 },
	{ "1.25ms", 1250000 },
	{ "0.5m", 30 * NS_S },
	{ "168h", 168 * 3600 * NS_S },
	{ "007s", 7 * NS_S },
};

START_TEST(test_durations)
{
	uint64_t	 ns = 12345;

	ck_assert_msg(bench_parse_duration(durations[_i].text, "--x", &ns,
	    err, sizeof(err)) == 0, "'%s': %s", durations[_i].text, err);
	ck_assert_msg(ns == durations[_i].ns, "'%s' gave %llu ns, expected "
	    "%llu", durations[_i].text, (unsigned long long)ns,
	    (unsigned long long)durations[_i].ns);
}
END_TEST

static const char *const bad_durations[] = {
	"", "s", "10x", "-1", "+1", "1.2.3", "ms", "1e3", " 10s", "10 s",
	"10S", ".", "1d", "0x10", "1.0000000001s", "1234567890123",
};

START_TEST(test_bad_durations)
{
	char		 want[ERR_LEN];
	uint64_t	 ns;

	snprintf(want, sizeof(want), "--duration: '%s' is not a duration "
	    "(examples: 500ms, 10s, 2m; a plain number is seconds)",
	    bad_durations[_i]);
	fails(ARGS("-d", bad_durations[_i]), want);
	ck_assert_int_eq(bench_parse_duration(bad_durations[_i], "--duration",
	    &ns, err, sizeof(err)), -1);
	ck_assert_str_eq(err, want);
}
END_TEST

/* The limits themselves are accepted. */
START_TEST(test_duration_limits)
{
	ok(ARGS("-d", "1ms", "-w", "0", "-t", "1ms"));
	ok(ARGS("-d", "168h"));
}
END_TEST

static const struct {
	const char	*text;
	size_t		 n;
} sizes[] = {
	{ "4096", 4096 },
	{ "16k", 16384 },
	{ "16K", 16384 },
	{ "1m", 1048576 },
	{ "2M", 2097152 },
	{ "0", 0 },
};

START_TEST(test_sizes)
{
	size_t	 n;

	ck_assert_int_eq(bench_parse_size(sizes[_i].text, "--block", &n, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(n, sizes[_i].n);
}
END_TEST

static const char *const bad_sizes[] = {
	"", "k", "16kb", "1g", "-1", "1.5k", "16 k", "0x10", "lots",
};

START_TEST(test_bad_sizes)
{
	char	 want[ERR_LEN];

	snprintf(want, sizeof(want), "--inflight: '%s' is not a size in bytes "
	    "(examples: 4096, 16k, 1m)", bad_sizes[_i]);
	fails(ARGS("-m", "stream", "--inflight", bad_sizes[_i]), want);
}
END_TEST

START_TEST(test_size_limits)
{
	ok(ARGS("-m", "stream", "--block", "1", "--inflight", "64m"));
	ck_assert_uint_eq(o.block, 1);
	ck_assert_uint_eq(o.inflight, 64u << 20);
	ok(ARGS("-m", "stream", "--block", "1m"));
}
END_TEST

/* -r and -e take escapes; a \\x takes two digits and no more. */
static const struct {
	const char	*option;	/* -r: the request, -e: expect */
	const char	*text;
	const char	*want;
	size_t		 len;
} escapes[] = {
	{ "-r", "a\\r\\n\\t\\\\\\0z", "a\r\n\t\\\0z", 7 },
	{ "-r", "\\x41\\x0a\\xFf\\x00", "A\n\xff\0", 4 },
	{ "-e", "plain text, no escapes", "plain text, no escapes", 22 },
	{ "-r", "\\x414", "A4", 2 },
};

START_TEST(test_escapes)
{
	ok(ARGS(escapes[_i].option, escapes[_i].text));
	if (strcmp(escapes[_i].option, "-r") == 0) {
		ck_assert_uint_eq(o.request_len, escapes[_i].len);
		ck_assert_mem_eq(o.request, escapes[_i].want, escapes[_i].len);
	} else {
		ck_assert_uint_eq(o.expect_len, escapes[_i].len);
		ck_assert_mem_eq(o.expect, escapes[_i].want, escapes[_i].len);
	}
}
END_TEST

/* A request of BENCH_TEXT_MAX bytes is taken, one more is not. */
START_TEST(test_long_request)
{
	char	 big[BENCH_TEXT_MAX + 2];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fails(ARGS("-r", big), "--request: longer than 4096 bytes");
	big[BENCH_TEXT_MAX] = '\0';
	ok(ARGS("-r", big));
	ck_assert_uint_eq(o.request_len, BENCH_TEXT_MAX);
}
END_TEST

START_TEST(test_targets)
{
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&o.target.ss;
	const struct sockaddr_un *sun =
	    (const struct sockaddr_un *)&o.target.ss;

	ok(ARGS("[::1]:7007"));
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_uint_eq(ntohs(sin6->sin6_port), 7007);
	ck_assert_str_eq(o.target.text, "[::1]:7007");
	ok(ARGS("unix:/run/forkline/forkline.sock"));
	ck_assert_int_eq(sun->sun_family, AF_UNIX);
	ck_assert_str_eq(sun->sun_path, "/run/forkline/forkline.sock");
	ok(ARGS("localhost:6379"));
	ck_assert_str_eq(o.target.text, "127.0.0.1:6379");
	ok(ARGS("10.1.2.3:65535"));
	ck_assert_str_eq(o.target.text, "10.1.2.3:65535");
}
END_TEST


START_TEST(test_number_limits)
{
	ok(ARGS("-c", "1000000", "-P", "1024"));
	ck_assert_uint_eq(o.conns, 1000000);
	ck_assert_uint_eq(o.pipeline, 1024);
}
END_TEST

static const char *const bad_rates[] = {
	"0", "0.0", "-5", "abc", "1e3", "inf", "nan", "1.2.3", "100000001",
	"", ".", "0x10", "1234567890123",
};

START_TEST(test_bad_rates)
{
	char	 want[ERR_LEN];

	snprintf(want, sizeof(want), "--rate: '%s' is not a rate in "
	    "requests/s (a number above 0, at most 100000000)",
	    bad_rates[_i]);
	fails(ARGS("-R", bad_rates[_i]), want);
}
END_TEST

static const struct {
	const char	*name;
	enum bench_mode	 mode;
} modes[] = {
	{ "rr", BENCH_RR },
	{ "stream", BENCH_STREAM },
	{ "connect", BENCH_CONNECT },
};

START_TEST(test_modes)
{
	ok(ARGS("-m", modes[_i].name));
	ck_assert_int_eq(o.mode, modes[_i].mode);
}
END_TEST

START_TEST(test_mode_name)
{
	ck_assert_str_eq(bench_mode_name(BENCH_STREAM), "stream");
}
END_TEST


/* The mode may come after the options it allows. */
START_TEST(test_mode_after_options)
{
	ok(ARGS("--block", "4k", "-m", "stream"));
	ok(ARGS("-r", "x\\n", "-e", "y\\n", "-m", "connect"));
}
END_TEST

/*
 * What the parser refuses, each with exactly its message: values out of
 * range or malformed, options unknown or misused, and options that do not
 * go with the mode or with each other.
 */
static const struct {
	const char *const	*args;
	const char		*want;
} refusals[] = {
	/* Durations. */
	{ ARGS("-d", "169h"), "--duration: '169h' is longer than 7 days" },
	{ ARGS("-w", "999999999999h"),
	    "--warmup: '999999999999h' is longer than 7 days" },
	/* Within the limit in whole hours, past it with the fraction. */
	{ ARGS("-d", "168.5h"), "--duration: '168.5h' is longer than 7 "
	    "days" },
	{ ARGS("-d", "0"), "--duration: '0' is too short (1ms at least)" },
	{ ARGS("-d", "999us"),
	    "--duration: '999us' is too short (1ms at least)" },
	{ ARGS("-t", "0s"), "--timeout: '0s' is too short (1ms at least)" },
	{ ARGS("-w", "soon"), "--warmup: 'soon' is not a duration "
	    "(examples: 500ms, 10s, 2m; a plain number is seconds)" },
	{ ARGS("--timeout", "5x"), "--timeout: '5x' is not a duration "
	    "(examples: 500ms, 10s, 2m; a plain number is seconds)" },
	/* Sizes. */
	{ ARGS("-m", "stream", "--block", "0"),
	    "--block: '0' is out of range: 1 byte to 1m (1048576 bytes)" },
	{ ARGS("-m", "stream", "--block", "1025k"),
	    "--block: '1025k' is out of range: 1 byte to 1m (1048576 bytes)" },
	{ ARGS("-m", "stream", "--inflight", "0"),
	    "--inflight: '0' is out of range: 1 byte to 64m (67108864 "
	    "bytes)" },
	{ ARGS("-m", "stream", "--inflight", "65m"),
	    "--inflight: '65m' is out of range: 1 byte to 64m (67108864 "
	    "bytes)" },
	/* Escapes and texts. */
	{ ARGS("-r", "PING\\q"), "--request: unknown escape '\\q' "
	    "(accepted: \\n \\r \\t \\\\ \\0 \\xHH)" },
	{ ARGS("-e", "PONG\\"), "--expect: a lone '\\' at the end "
	    "(write \\\\ for a backslash)" },
	{ ARGS("-r", "\\x4"), "--request: '\\x' needs two hex digits, "
	    "as in \\x0a" },
	{ ARGS("-r", "\\xg0"), "--request: '\\x' needs two hex digits, "
	    "as in \\x0a" },
	{ ARGS("-r", ""), "--request: must not be empty" },
	{ ARGS("-e", ""), "--expect: must not be empty" },
	/* Targets. */
	{ ARGS("example.com:80"), "target 'example.com:80': "
	    "'example.com' is not a numeric IPv4 address (names are not "
	    "resolved)" },
	{ ARGS("7007"), "target '7007': expected HOST:PORT, [IPV6]:PORT "
	    "or unix:/PATH" },
	{ ARGS("127.0.0.1:0"), "target '127.0.0.1:0': port 0 cannot be "
	    "connected to" },
	{ ARGS("[::1]:0"), "target '[::1]:0': port 0 cannot be connected "
	    "to" },
	{ ARGS("127.0.0.1:65536"), "target '127.0.0.1:65536': port must "
	    "be a number 0..65535" },
	{ ARGS("[::1]7007"), "target '[::1]7007': expected [IPV6]:PORT" },
	{ ARGS("unix:relative.sock"), "target 'unix:relative.sock': the "
	    "socket path must be absolute" },
	{ ARGS("127.0.0.1:1", "127.0.0.1:2"), "unexpected argument "
	    "'127.0.0.1:2' (one target only)" },
	/* Numbers. */
	{ ARGS("-c", "0"), "--conns: '0' is not a number from 1 to "
	    "1000000" },
	{ ARGS("-c", "abc"), "--conns: 'abc' is not a number from 1 to "
	    "1000000" },
	{ ARGS("-c", "1000001"), "--conns: '1000001' is not a number from "
	    "1 to 1000000" },
	{ ARGS("-c", "99999999999999999999999"), "--conns: "
	    "'99999999999999999999999' is not a number from 1 to 1000000" },
	{ ARGS("-c", "-1"), "--conns: '-1' is not a number from 1 to "
	    "1000000" },
	{ ARGS("-c", "8x"), "--conns: '8x' is not a number from 1 to "
	    "1000000" },
	{ ARGS("-c", ""), "--conns: '' is not a number from 1 to "
	    "1000000" },
	{ ARGS("-P", "0"), "--pipeline: '0' is not a number from 1 to "
	    "1024" },
	{ ARGS("-P", "1025"), "--pipeline: '1025' is not a number from 1 "
	    "to 1024" },
	/* Modes. */
	{ ARGS("-m", "echo"), "--mode: 'echo' is not one of rr, stream, "
	    "connect" },
	{ ARGS("--mode", "RR"), "--mode: 'RR' is not one of rr, stream, "
	    "connect" },
	/* Options unknown, given a value they take none, missing one. */
	{ ARGS("--bogus"), "unknown option '--bogus'" },
	{ ARGS("-x"), "unknown option '-x'" },
	{ ARGS("--json=yes"), "option '--json' takes no value" },
	{ ARGS("--bogus=1"), "unknown option '--bogus=1'" },
	{ ARGS("-jx"), "unknown option '-x'" },
	{ ARGS("-m"), "option '-m' needs a value" },
	{ ARGS("--mode"), "option '--mode' needs a value" },
	{ ARGS("--block"), "option '--block' needs a value" },
	/* Options that do not go with the mode, or with each other. */
	{ ARGS("-m", "stream", "-P", "4"), "--pipeline applies to --mode "
	    "rr only, not stream" },
	{ ARGS("-m", "connect", "-R", "100"), "--rate applies to --mode "
	    "rr only, not connect" },
	{ ARGS("-P", "4", "-R", "100"), "--pipeline and --rate do not go "
	    "together: with --rate, requests go out when due, up to 1024 in "
	    "flight per connection" },
	{ ARGS("--block", "4k"), "--block applies to --mode stream only, "
	    "not rr" },
	{ ARGS("-m", "connect", "--inflight", "4k"), "--inflight applies "
	    "to --mode stream only, not connect" },
	{ ARGS("-m", "stream", "-r", "PING\\n"), "--request applies to "
	    "--mode rr and connect only: stream sends a byte pattern and "
	    "checks its echo" },
	{ ARGS("-m", "stream", "-e", "PONG\\n"), "--expect applies to "
	    "--mode rr and connect only: stream sends a byte pattern and "
	    "checks its echo" },
	/* --expect-faults: the SPEC, the mode, and error's --expect. */
	{ ARGS("--expect-faults"), "option '--expect-faults' needs a "
	    "value" },
	{ ARGS("--expect-faults", "speed=1"), "--expect-faults: unknown "
	    "kind 'speed' (kinds: crash reset stall close error)" },
	{ ARGS("--expect-faults", "reset=1x"), "--expect-faults reset: '1x' "
	    "is not a probability (examples: 5%, 0.25%, 0.05; to a "
	    "millionth)" },
	{ ARGS("-m", "stream", "--expect-faults", "reset=1%"),
	    "--expect-faults applies to --mode rr and connect only: in "
	    "stream mode the server's requests are its reads, which the "
	    "client cannot count" },
	{ ARGS("--expect-faults", "error=1%"), "--expect-faults error: needs "
	    "--expect with a reply that ends in \\n (such as 'PONG\\n'), to "
	    "tell the error reply from the answer" },
	{ ARGS("-e", "PONG", "--expect-faults", "reset=1%,error=1%"),
	    "--expect-faults error: needs --expect with a reply that ends in "
	    "\\n (such as 'PONG\\n'), to tell the error reply from the "
	    "answer" },
};

START_TEST(test_refusals)
{
	fails(refusals[_i].args, refusals[_i].want);
}
END_TEST

static Suite *
options_suite(void)
{
	Suite	*s = suite_create("bench_options");
	TCase	*tc;

	tc = tcase_create("options");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_option);
	tcase_add_loop_test(tc, test_actions, 0, NELEM(actions));
	tcase_add_test(tc, test_help_text);
	tcase_add_test(tc, test_parse_twice);
	tcase_add_test(tc, test_expect_faults);
	tcase_add_loop_test(tc, test_modes, 0, NELEM(modes));
	tcase_add_test(tc, test_mode_name);
	tcase_add_test(tc, test_mode_after_options);
	tcase_add_loop_test(tc, test_refusals, 0, NELEM(refusals));
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_loop_test(tc, test_durations, 0, NELEM(durations));
	tcase_add_loop_test(tc, test_bad_durations, 0, NELEM(bad_durations));
	tcase_add_test(tc, test_duration_limits);
	tcase_add_loop_test(tc, test_sizes, 0, NELEM(sizes));
	tcase_add_loop_test(tc, test_bad_sizes, 0, NELEM(bad_sizes));
	tcase_add_test(tc, test_size_limits);
	tcase_add_loop_test(tc, test_escapes, 0, NELEM(escapes));
	tcase_add_test(tc, test_long_request);
	tcase_add_test(tc, test_targets);
	tcase_add_test(tc, test_number_limits);
	tcase_add_loop_test(tc, test_bad_rates, 0, NELEM(bad_rates));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(options_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
