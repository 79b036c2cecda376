/*
 * Integration tests of the command line and of what the binary binds by
 * itself: usage, version, usage errors (64), configuration check and errors
 * (78), bind failure (71), -l 127.0.0.1:0 and unix sockets.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <check.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"

#define EX_USAGE	64
#define EX_OSERR	71
#define EX_CONFIG	78
#define RUN_MS		10000

/* Arguments of one run, NULL-terminated. */
#define ARGS(...)	((const char *const []){ __VA_ARGS__, NULL })

static void
assert_matches(const char *text, const char *pattern, const char *what)
{
	regex_t	 re;
	int	 r;

	ck_assert_msg(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB |
	    REG_NEWLINE) == 0, "bad pattern %s", pattern);
	r = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	ck_assert_msg(r == 0, "%s: expected a match for /%s/ in %s", what,
	    pattern, harness_quote(text, strlen(text)));
}

static void
assert_contains(const char *text, const char *needle, const char *what)
{
	ck_assert_msg(strstr(text, needle) != NULL, "%s: expected %s in %s",
	    what, harness_quote(needle, strlen(needle)),
	    harness_quote(text, strlen(text)));
}

/* -h and --help: usage on stdout, exit 0. */
START_TEST(test_help)
{
	static const char *const flags[] = { "-h", "--help" };
	struct run_result	 r;

	forkline_run(&r, ARGS(flags[_i]), RUN_MS);
	run_assert_exit(&r, 0, flags[_i]);
	ck_assert_msg(strcasestr(r.out, "usage") != NULL &&
	    strstr(r.out, "-l") != NULL, "%s: expected a usage text naming "
	    "the options on stdout, got %s", flags[_i],
	    harness_quote(r.out, strlen(r.out)));
	/* The main usage's two lines together, then `forkline status`. */
	ck_assert_msg(strstr(r.out, "[-a ADDR]\n                [--pid-file "
	    "FILE]") != NULL && strstr(r.out, "upgrade]\n       forkline "
	    "status ") != NULL, "%s: the usage of forkline status is not "
	    "after both lines of the main usage: %s", flags[_i],
	    harness_quote(r.out, strlen(r.out)));
	run_result_free(&r);
}
END_TEST

START_TEST(test_version)
{
	static const char *const flags[] = { "-V", "--version" };
	struct run_result	 r;

	forkline_run(&r, ARGS(flags[_i]), RUN_MS);
	run_assert_exit(&r, 0, flags[_i]);
	ck_assert_msg(strchr(r.out, '\n') == r.out + strlen(r.out) - 1,
	    "%s: expected one line, got %s", flags[_i],
	    harness_quote(r.out, strlen(r.out)));
	assert_matches(r.out, "^forkline [0-9]+\\.[0-9]+\\.[0-9]+$",
	    flags[_i]);
	run_result_free(&r);
}
END_TEST

/*
 * Usage errors: one line on stderr starting "forkline: ", exit 64. Each
 * also listens on port 0, so that a binary which wrongly accepted the
 * arguments would not take a fixed port while it runs to the time limit.
 */
static const char *const *const usage_errors[] = {
	ARGS("-z"),
	ARGS("--bogus"),
	ARGS("-l", "127.0.0.1:0", "-w", "abc"),
	ARGS("-l", "127.0.0.1:0", "--workers=-3"),
	ARGS("-l", "127.0.0.1:0", "-p", "ftp"),
	ARGS("-l", "127.0.0.1:0", "-w"),
	ARGS("-l", "127.0.0.1:0", "stray"),
};

START_TEST(test_usage_error)
{
	const char *const	*args = usage_errors[_i];
	struct run_result	 r;
	char			 what[256] = "forkline";
	int			 i;

	for (i = 0; args[i] != NULL; i++)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
		    " %s", args[i]);
	forkline_run(&r, args, RUN_MS);
	run_assert_exit(&r, EX_USAGE, what);
	ck_assert_msg(strncmp(r.err, "forkline: ", 10) == 0 &&
	    strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
	    "%s: expected exactly one line on stderr starting \"forkline: \", "
	    "got %s", what, harness_quote(r.err, strlen(r.err)));
	run_result_free(&r);
}
END_TEST

/* The remaining flags are accepted (with -t, so nothing is bound). */
static const char *const *const plain_flags[] = {
	ARGS("-t", "-v"),
	ARGS("-t", "--verbose"),
	ARGS("-t", "-q"),
	ARGS("--quiet", "--test-config"),
};

START_TEST(test_flags_accepted)
{
	struct run_result	 r;

	forkline_run(&r, plain_flags[_i], RUN_MS);
	run_assert_exit(&r, 0, plain_flags[_i][1]);
	run_result_free(&r);
}
END_TEST

/*
 * -t prints the effective configuration: defaults, then the file, then
 * the command line (-w beats [workers] start, -l replaces the listen list).
 */
static const char *const check_flags[][8] = {
	{ "-t", "-w", "7", "-l", "127.0.0.1:2222", "-p", "echo", NULL },
	{ "--test-config", "--workers", "7", "--listen", "127.0.0.1:2222",
	    "--protocol", "echo", NULL },
	{ "--test-config", "--workers=7", "--listen=127.0.0.1:2222",
	    "--protocol=echo", NULL },
};

static void
assert_value(const char *ini, const char *section, const char *key,
    const char *want)
{
	char	 val[256];

	ck_assert_msg(ini_lookup(ini, section, key, val, sizeof(val)),
	    "-t output: no [%s] %s in %s", section, key,
	    harness_quote(ini, strlen(ini)));
	if (want != NULL)
		ck_assert_msg(strcmp(val, want) == 0, "-t output: [%s] %s = "
		    "\"%s\", expected \"%s\"", section, key, val, want);
}

/* Every documented key is printed. */
static void
assert_complete(const char *ini)
{
	static const char *const keys[][2] = {
		{ "server", "listen" }, { "server", "protocol" },
		{ "server", "backlog" }, { "server", "grace_period" },
		{ "server", "unix_mode" }, { "workers", "start" },
		{ "connection", "idle_timeout" },
		{ "connection", "send_timeout" },
		{ "connection", "max_line" }, { "connection", "max_sleep" },
		{ "connection", "max_blob" }, { "log", "level" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_value(ini, keys[i][0], keys[i][1], NULL);
}

START_TEST(test_check_config_overrides)
{
	static const char	 conf[] =
	    "[server]\n"
	    "listen = 127.0.0.1:1111\n"
	    "listen = 127.0.0.1:1112\n"
	    "backlog = 77\n"
	    "[workers]\n"
	    "start = 3\n"
	    "[log]\n"
	    "level = debug\n";
	char			 path[HARNESS_PATH_MAX];
	const char		*args[16] = { "-c", path };
	struct run_result	 r;
	int			 i;

	harness_write_file(path, sizeof(path), "check-", ".conf", conf);
	for (i = 0; check_flags[_i][i] != NULL; i++)
		args[i + 2] = check_flags[_i][i];
	args[i + 2] = NULL;
	forkline_run(&r, args, RUN_MS);
	run_assert_exit(&r, 0, check_flags[_i][0]);
	assert_complete(r.out);
	assert_value(r.out, "workers", "start", "7");
	assert_value(r.out, "server", "listen", "127.0.0.1:2222");
	ck_assert_msg(ini_count(r.out, "server", "listen") == 1, "-t output: "
	    "-l should replace the file's two listen lines, got %d listen "
	    "lines", ini_count(r.out, "server", "listen"));
	assert_value(r.out, "server", "protocol", "echo");
	assert_value(r.out, "server", "backlog", "77");
	assert_value(r.out, "log", "level", "debug");
	run_result_free(&r);
}
END_TEST

/* Defaults, and the printed configuration loads back to itself. */
START_TEST(test_check_config_defaults_roundtrip)
{
	char			 path[HARNESS_PATH_MAX];
	struct run_result	 r, again;

	forkline_run(&r, ARGS("-t"), RUN_MS);
	run_assert_exit(&r, 0, "-t");
	assert_complete(r.out);
	assert_value(r.out, "server", "listen", "127.0.0.1:7007");
	assert_value(r.out, "server", "protocol", "line");
	assert_value(r.out, "server", "backlog", "1024");
	assert_value(r.out, "workers", "start", "4");
	assert_value(r.out, "log", "level", "info");

	harness_write_file(path, sizeof(path), "printed-", ".conf", r.out);
	forkline_run(&again, ARGS("-c", path, "-t"), RUN_MS);
	run_assert_exit(&again, 0, "-t on the output of -t");
	ini_settings(r.out);
	ini_settings(again.out);
	ck_assert_msg(strcmp(again.out, r.out) == 0, "-t output loaded back "
	    "prints different settings:\nfirst: %s\nagain: %s",
	    harness_quote(r.out, strlen(r.out)),
	    harness_quote(again.out, strlen(again.out)));
	run_result_free(&r);
	run_result_free(&again);
}
END_TEST

/* A bad value: exit 78 naming path:line, "[section] key", what's accepted. */
struct bad_config {
	const char	*text;
	int		 line;
	const char	*key;
	const char	*accepted;	/* must also appear, if not NULL */
};

static const struct bad_config bad_configs[] = {
	{ "[server]\nprotocol = line\nbacklog = 0\n", 3, "[server] backlog",
	    "1..65535" },
	{ "[server]\nprotocol = ftp\n", 2, "[server] protocol", "echo" },
	{ "[workers]\nstart = many\n", 2, "[workers] start", NULL },
	{ "# comment\n[connection]\nidle_timeout = soon\n", 3,
	    "[connection] idle_timeout", NULL },
	{ "[connection]\nmax_line = 12q\n", 2, "[connection] max_line", NULL },
	{ "[server]\ngrace_period = -1s\n", 2, "[server] grace_period", NULL },
	{ "[log]\n\nlevel = loud\n", 3, "[log] level", "debug" },
};

static void
assert_config_error(const struct run_result *r, const char *path,
    const struct bad_config *bad, const char *what)
{
	char	 where[HARNESS_PATH_MAX + 16];

	run_assert_exit(r, EX_CONFIG, what);
	snprintf(where, sizeof(where), "%s:%d:", path, bad->line);
	assert_contains(r->err, where, what);
	assert_contains(r->err, bad->key, what);
	assert_contains(r->err, "accepted", what);
	if (bad->accepted != NULL)
		assert_contains(r->err, bad->accepted, what);
}

START_TEST(test_bad_config)
{
	const struct bad_config	*bad = &bad_configs[_i];
	char			 path[HARNESS_PATH_MAX];
	struct run_result	 r;

	harness_write_file(path, sizeof(path), "bad-", ".conf", bad->text);
	forkline_run(&r, ARGS("-c", path, "-t"), RUN_MS);
	assert_config_error(&r, path, bad, "-t with a bad file");
	run_result_free(&r);
	forkline_run(&r, ARGS("-c", path, "-l", "127.0.0.1:0"), RUN_MS);
	assert_config_error(&r, path, bad, "starting with a bad file");
	run_result_free(&r);
}
END_TEST

START_TEST(test_missing_config)
{
	char			 path[HARNESS_PATH_MAX];
	struct run_result	 r;

	snprintf(path, sizeof(path), "%s/no-such-file.conf", harness_dir());
	forkline_run(&r, ARGS("-c", path, "-t"), RUN_MS);
	run_assert_exit(&r, EX_CONFIG, "-t with a missing file");
	assert_contains(r.err, path, "-t with a missing file");
	run_result_free(&r);
	forkline_run(&r, ARGS("--config", path, "-l", "127.0.0.1:0"), RUN_MS);
	run_assert_exit(&r, EX_CONFIG, "starting with a missing file");
	assert_contains(r.err, path, "starting with a missing file");
	run_result_free(&r);
}
END_TEST

/* The port is held by a listening socket of ours: exit 71 naming it. */
START_TEST(test_bind_conflict)
{
	struct run_result	 r;
	char			 addr[64];
	int			 held, port;

	held = harness_listen_tcp(&port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	forkline_run(&r, ARGS("-l", addr), RUN_MS);
	run_assert_exit(&r, EX_OSERR, addr);
	assert_contains(r.err, addr, "bind failure message");
	run_result_free(&r);
	close(held);
}
END_TEST

/*
 * A pool that cannot fit in the open-file limit is refused at start with
 * the numbers, not found out later as failed spawns. The test runs in
 * its own forked process, so lowering the limit here touches nothing else.
 */
START_TEST(test_fd_limit_too_small)
{
	struct rlimit		 rl = { .rlim_cur = 64, .rlim_max = 64 };
	struct run_result	 r;

	const char		*key = "[workers] start = 100 needs about 328 "
	    "open files in the master, but the limit is ";
	const char		*at;
	long			 seen;

	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	forkline_run(&r, ARGS("-l", "127.0.0.1:0", "-w", "100"), RUN_MS);
	run_assert_exit(&r, EX_OSERR, "-w 100 with 64 open files");
	assert_contains(r.err, key, "fd limit message");
	/*
	 * The limit the master saw: 64, or less under a wrapper that keeps
	 * descriptors of its own (valgrind reserves a dozen and lowers its
	 * client's limit to match).
	 */
	at = strstr(r.err, key) + strlen(key);
	seen = strtol(at, NULL, 10);
	ck_assert_msg(seen > 0 && seen <= 64, "fd limit message: the limit "
	    "named should be the 64 set (or a wrapper's less), not %ld", seen);
	run_result_free(&r);
}
END_TEST

/* -l 127.0.0.1:0: the log says which port, in the documented format. */
START_TEST(test_listen_port_zero)
{
	struct server	 s;
	char		 pattern[256], *log;
	int		 fd;

	server_start_unbound(&s, ARGS("-l", "127.0.0.1:0"));
	ck_assert_msg(s.port > 0, "no port in the \"listening on\" line");
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	client_request(fd, "ECHO port zero\n", "port zero\n");
	close(fd);
	server_stop(&s);
	server_assert_exit(&s, 0, "SIGTERM");

	snprintf(pattern, sizeof(pattern), "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"
	    "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z forkline\\[%ld\\] master "
	    "[A-Za-z]+: listening on 127\\.0\\.0\\.1:%d$", (long)s.pid, s.port);
	log = server_log_read(&s, NULL);
	ck_assert(log != NULL);
	assert_matches(log, pattern, "the log line for the listener");
	free(log);
}
END_TEST

/* Leave a socket file nobody listens on, as a killed server would. */
static void
make_stale_socket(const char *path)
{
	struct sockaddr_un	 sun;
	size_t			 len = strlen(path);
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_msg(len < sizeof(sun.sun_path), "%s: path too long", path);
	memcpy(sun.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert(fd != -1);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "bind %s: %s", path, strerror(errno));
	close(fd);
}

START_TEST(test_unix_socket)
{
	char		 dir[HARNESS_PATH_MAX], path[HARNESS_PATH_MAX + 8];
	char		 addr[HARNESS_PATH_MAX + 16];
	struct stat	 st;
	struct server	 s;
	int		 fd;

	harness_mkdtemp(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	snprintf(addr, sizeof(addr), "unix:%s", path);
	make_stale_socket(path);
	ck_assert(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));

	server_start_unbound(&s, ARGS("-l", addr));
	ck_assert_msg(strcmp(s.unix_path, path) == 0, "the log says "
	    "\"listening on unix:%s\", expected %s", s.unix_path, addr);
	fd = client_open(&s);
	client_request(fd, "PING\n", "PONG\n");
	client_request(fd, "ECHO over unix\r\n", "over unix\r\n");
	close(fd);
	ck_assert_msg(stat(path, &st) == 0 && S_ISSOCK(st.st_mode),
	    "%s is not a socket while the server runs", path);

	server_stop(&s);
	server_assert_exit(&s, 0, "SIGTERM");
	ck_assert_msg(stat(path, &st) == -1 && errno == ENOENT, "the socket "
	    "file %s is still there after a clean exit", path);
}
END_TEST

static Suite *
cli_suite(void)
{
	Suite	*s = suite_create("cli");
	TCase	*tc;
	int	 nusage = sizeof(usage_errors) / sizeof(usage_errors[0]);
	int	 nplain = sizeof(plain_flags) / sizeof(plain_flags[0]);
	int	 ncheck = sizeof(check_flags) / sizeof(check_flags[0]);
	int	 nbad = sizeof(bad_configs) / sizeof(bad_configs[0]);

	tc = tcase_create("options");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_help, 0, 2);
	tcase_add_loop_test(tc, test_version, 0, 2);
	tcase_add_loop_test(tc, test_usage_error, 0, nusage);
	tcase_add_loop_test(tc, test_flags_accepted, 0, nplain);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_check_config_overrides, 0, ncheck);
	tcase_add_test(tc, test_check_config_defaults_roundtrip);
	tcase_add_loop_test(tc, test_bad_config, 0, nbad);
	tcase_add_test(tc, test_missing_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("listen");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_bind_conflict);
	tcase_add_test(tc, test_fd_limit_too_small);
	tcase_add_test(tc, test_listen_port_zero);
	tcase_add_test(tc, test_unix_socket);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(cli_suite);
}
