/*
 * Unit tests for conf/ (config.h): defaults, files, overrides, every error
 * path and its message, the value parsers, conf_print's round trip and the
 * shipped example file.
 *
 * Configuration files are written to mkstemp files in /tmp and removed
 * right after loading, before any assertion can end the test.
 */
#include <sys/stat.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "conf/config.h"

static int	 load_bytes(struct conf *conf, const char *text, size_t len,
		    char *path, size_t pathlen, char *err);
static int	 load_text(struct conf *conf, const char *text, char *path,
		    size_t pathlen, char *err);
static void	 assert_conf_equal(const struct conf *a,
		    const struct conf *b);
static void	 assert_contains(const char *haystack, const char *needle);
static void	 assert_load_error(const char *text, int line,
		    const char *message);
static Suite	*conf_suite(void);

/*
 * Write len bytes of text to a fresh temporary file, load it on top of
 * conf and remove the file. The file's path is left in path for checking
 * messages.
 */
static int
load_bytes(struct conf *conf, const char *text, size_t len, char *path,
    size_t pathlen, char *err)
{
	char tmpl[] = "/tmp/check_conf.XXXXXX";
	int fd, rc;

	fd = mkstemp(tmpl);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	snprintf(path, pathlen, "%s", tmpl);
	err[0] = '\0';
	rc = conf_load_file(conf, tmpl, err, CONF_ERR_MAX);
	unlink(tmpl);
	return rc;
}

static int
load_text(struct conf *conf, const char *text, char *path, size_t pathlen,
    char *err)
{
	return load_bytes(conf, text, strlen(text), path, pathlen, err);
}

static void
assert_conf_equal(const struct conf *a, const struct conf *b)
{
	int i;

	ck_assert_int_eq(a->nlisten, b->nlisten);
	for (i = 0; i < a->nlisten; i++)
		ck_assert_str_eq(a->listen[i], b->listen[i]);
	ck_assert_int_eq(a->protocol, b->protocol);
	ck_assert_int_eq(a->backlog, b->backlog);
	ck_assert_int_eq(a->grace_period_ms, b->grace_period_ms);
	ck_assert_uint_eq(a->unix_mode, b->unix_mode);
	ck_assert_int_eq(a->workers, b->workers);
	ck_assert_int_eq(a->pool_mode, b->pool_mode);
	ck_assert_int_eq(a->min_spare, b->min_spare);
	ck_assert_int_eq(a->max_spare, b->max_spare);
	ck_assert_int_eq(a->max_workers, b->max_workers);
	ck_assert_int_eq(a->spawn_rate, b->spawn_rate);
	ck_assert_int_eq(a->max_requests, b->max_requests);
	ck_assert_int_eq(a->max_requests_jitter, b->max_requests_jitter);
	ck_assert_uint_eq(a->max_rss, b->max_rss);
	ck_assert_int_eq(a->recycle_concurrency, b->recycle_concurrency);
	ck_assert_int_eq(a->heartbeat_interval_ms, b->heartbeat_interval_ms);
	ck_assert_int_eq(a->worker_timeout_ms, b->worker_timeout_ms);
	ck_assert_int_eq(a->kill_grace_ms, b->kill_grace_ms);
	ck_assert_int_eq(a->restart_backoff_initial_ms,
	    b->restart_backoff_initial_ms);
	ck_assert_int_eq(a->restart_backoff_max_ms, b->restart_backoff_max_ms);
	ck_assert_int_eq(a->fatal_after_ms, b->fatal_after_ms);
	ck_assert_int_eq(a->idle_timeout_ms, b->idle_timeout_ms);
	ck_assert_int_eq(a->send_timeout_ms, b->send_timeout_ms);
	ck_assert_uint_eq(a->max_line, b->max_line);
	ck_assert_int_eq(a->max_sleep_ms, b->max_sleep_ms);
	ck_assert_uint_eq(a->max_blob, b->max_blob);
	ck_assert_int_eq(a->log_level, b->log_level);
	ck_assert_str_eq(a->user, b->user);
	ck_assert_str_eq(a->group, b->group);
	ck_assert_int_eq(a->allow_root, b->allow_root);
	ck_assert_msg(conf_same_faults(a, b), "[faults] differ");
	ck_assert_str_eq(a->pid_file, b->pid_file);
	ck_assert_int_eq(a->min_ready, b->min_ready);
	ck_assert_str_eq(a->log_target, b->log_target);
	ck_assert_str_eq(a->access_log, b->access_log);
	ck_assert_str_eq(a->admin_listen, b->admin_listen);
}

static void
assert_contains(const char *haystack, const char *needle)
{
	ck_assert_msg(strstr(haystack, needle) != NULL,
	    "'%s' does not contain '%s'", haystack, needle);
}

/*
 * Loading text must fail with exactly "PATH:LINE: message", and leave the
 * configuration it was applied to untouched.
 */
static void
assert_load_error(const char *text, int line, const char *message)
{
	struct conf conf, def;
	char path[64], err[CONF_ERR_MAX], want[CONF_ERR_MAX + 64];

	conf_defaults(&conf);
	conf_defaults(&def);
	ck_assert_int_eq(load_text(&conf, text, path, sizeof(path), err), -1);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, message);
	ck_assert_str_eq(err, want);
	assert_conf_equal(&conf, &def);
}

START_TEST(test_defaults)
{
	struct conf conf;
	char err[CONF_ERR_MAX];

	conf_defaults(&conf);
	ck_assert_int_eq(conf.nlisten, 1);
	ck_assert_str_eq(conf.listen[0], "127.0.0.1:7007");
	ck_assert_int_eq(conf.protocol, CONF_PROTO_LINE);
	ck_assert_int_eq(conf.backlog, 1024);
	ck_assert_int_eq(conf.grace_period_ms, 10000);
	ck_assert_uint_eq(conf.unix_mode, 0660);
	ck_assert_int_eq(conf.workers, 4);
	ck_assert_int_eq(conf.idle_timeout_ms, 60000);
	ck_assert_int_eq(conf.send_timeout_ms, 30000);
	ck_assert_uint_eq(conf.max_line, 8192);
	ck_assert_int_eq(conf.max_sleep_ms, 10000);
	ck_assert_uint_eq(conf.max_blob, 1048576);
	ck_assert_int_eq(conf.log_level, LOG_LEVEL_INFO);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
	ck_assert_str_eq(conf_protocol_name(CONF_PROTO_LINE), "line");
	ck_assert_str_eq(conf_protocol_name(CONF_PROTO_ECHO), "echo");
}
END_TEST

START_TEST(test_file_every_key)
{
	struct conf conf;
	char path[64], err[CONF_ERR_MAX];
	const char *text =
	    "# every key, none at its default\n"
	    "[server]\n"
	    "listen = 0.0.0.0:8000\n"
	    "listen = [::1]:8001\n"
	    "listen = unix:/tmp/forkline.sock\n"
	    "protocol = echo\n"
	    "backlog = 64\n"
	    "grace_period = 2500ms\n"
	    "unix_mode = 600\n"
	    "[workers]\n"
	    "start = 12\n"
	    "[connection]\n"
	    "idle_timeout = 5m\n"
	    "send_timeout = 2s\n"
	    "max_line = 16k\n"
	    "max_sleep = 0\n"
	    "max_blob = 3M\n"
	    "[log]\n"
	    "level = debug\n";

	conf_defaults(&conf);
	ck_assert_msg(load_text(&conf, text, path, sizeof(path), err) == 0,
	    "%s", err);
	ck_assert_int_eq(conf.nlisten, 3);
	ck_assert_str_eq(conf.listen[0], "0.0.0.0:8000");
	ck_assert_str_eq(conf.listen[1], "[::1]:8001");
	ck_assert_str_eq(conf.listen[2], "unix:/tmp/forkline.sock");
	ck_assert_int_eq(conf.protocol, CONF_PROTO_ECHO);
	ck_assert_int_eq(conf.backlog, 64);
	ck_assert_int_eq(conf.grace_period_ms, 2500);
	ck_assert_uint_eq(conf.unix_mode, 0600);
	ck_assert_int_eq(conf.workers, 12);
	ck_assert_int_eq(conf.idle_timeout_ms, 300000);
	ck_assert_int_eq(conf.send_timeout_ms, 2000);
	ck_assert_uint_eq(conf.max_line, 16384);
	ck_assert_int_eq(conf.max_sleep_ms, 0);
	ck_assert_uint_eq(conf.max_blob, 3 * 1048576);
	ck_assert_int_eq(conf.log_level, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
}
END_TEST

/* Comments, blank lines, indentation, CRLF, a BOM, "last wins". */
START_TEST(test_file_syntax_accepted)
{
	struct conf conf;
	char path[64], err[CONF_ERR_MAX];
	const char *text =
	    "\xEF\xBB\xBF; leading comment after a byte order mark\r\n"
	    "\r\n"
	    "[server]   # trailing comment\r\n"
	    "  backlog=10\r\n"
	    "\tbacklog = 20 ; inline comment, and the last value wins\r\n"
	    "protocol = ECHO\r\n"
	    "[log]\r\n"
	    "level = Warn\r\n"
	    "[server]\r\n"
	    "unix_mode = 0";		/* no final newline */

	conf_defaults(&conf);
	ck_assert_msg(load_text(&conf, text, path, sizeof(path), err) == 0,
	    "%s", err);
	ck_assert_int_eq(conf.backlog, 20);
	ck_assert_int_eq(conf.protocol, CONF_PROTO_ECHO);
	ck_assert_int_eq(conf.log_level, LOG_LEVEL_WARN);
	ck_assert_uint_eq(conf.unix_mode, 0);
	ck_assert_int_eq(conf.nlisten, 1);
	ck_assert_str_eq(conf.listen[0], "127.0.0.1:7007");
}
END_TEST

START_TEST(test_empty_file)
{
	struct conf conf, def;
	char path[64], err[CONF_ERR_MAX];

	conf_defaults(&conf);
	conf_defaults(&def);
	ck_assert_int_eq(load_text(&conf, "", path, sizeof(path), err), 0);
	assert_conf_equal(&conf, &def);
}
END_TEST

START_TEST(test_set_after_file)
{
	struct conf conf;
	char path[64], err[CONF_ERR_MAX];

	conf_defaults(&conf);
	ck_assert_int_eq(load_text(&conf, "[server]\nbacklog = 50\n"
	    "[connection]\nmax_line = 1k\n", path, sizeof(path), err), 0);
	ck_assert_int_eq(conf_set(&conf, "server", "backlog", "70", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set(&conf, "workers", "start", "9", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set(&conf, "log", "level", "error", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf.backlog, 70);
	ck_assert_int_eq(conf.workers, 9);
	ck_assert_int_eq(conf.log_level, LOG_LEVEL_ERROR);
	ck_assert_uint_eq(conf.max_line, 1024);	/* from the file, kept */
}
END_TEST

/*
 * The admin endpoint has no authentication: a port alone means loopback
 * (stored as the address, so -t prints what is bound); any other host is
 * named explicitly.
 */
static const struct {
	const char	*value;
	const char	*stored;
} admin_listen_ok[] = {
	{ "7008", "127.0.0.1:7008" },
	{ "0", "127.0.0.1:0" },
	{ "65535", "127.0.0.1:65535" },
	{ "00080", "127.0.0.1:80" },
	{ "*:7008", "*:7008" },
	{ "[::1]:7008", "[::1]:7008" },
	{ "off", "off" },
};

static const char *const admin_listen_bad[] = {
	"65536", "123456", "-1", "+80", " 80", "80 ", ":7008", "",
	"localhost",
};

START_TEST(test_admin_listen_ok)
{
	struct conf conf;
	char err[CONF_ERR_MAX];

	conf_defaults(&conf);
	ck_assert_msg(conf_set(&conf, "admin", "listen",
	    admin_listen_ok[_i].value, err, sizeof(err)) == 0, "'%s': %s",
	    admin_listen_ok[_i].value, err);
	ck_assert_str_eq(conf.admin_listen, admin_listen_ok[_i].stored);
}
END_TEST

START_TEST(test_admin_listen_bad)
{
	struct conf conf;
	char err[CONF_ERR_MAX];

	conf_defaults(&conf);
	ck_assert_msg(conf_set(&conf, "admin", "listen", admin_listen_bad[_i],
	    err, sizeof(err)) == -1, "'%s' was accepted",
	    admin_listen_bad[_i]);
	ck_assert_str_eq(conf.admin_listen, "off");
	assert_contains(err, "a port (on 127.0.0.1)");
}
END_TEST

START_TEST(test_listen_replace_append)
{
	struct conf conf;
	char path[64], err[CONF_ERR_MAX];

	/* A file without listen keeps the list. */
	conf_defaults(&conf);
	ck_assert_int_eq(load_text(&conf, "[server]\nbacklog = 5\n", path,
	    sizeof(path), err), 0);
	ck_assert_int_eq(conf.nlisten, 1);
	ck_assert_str_eq(conf.listen[0], "127.0.0.1:7007");

	/* The file's first listen replaces it, the second appends. */
	ck_assert_int_eq(load_text(&conf, "[server]\nlisten = *:9000\n"
	    "backlog = 6\nlisten = 127.0.0.1:9001\n", path, sizeof(path),
	    err), 0);
	ck_assert_int_eq(conf.nlisten, 2);
	ck_assert_str_eq(conf.listen[0], "0.0.0.0:9000");
	ck_assert_str_eq(conf.listen[1], "127.0.0.1:9001");

	/* A second file replaces again: each file starts its own list. */
	ck_assert_int_eq(load_text(&conf, "[server]\nlisten = [::]:9002\n",
	    path, sizeof(path), err), 0);
	ck_assert_int_eq(conf.nlisten, 1);
	ck_assert_str_eq(conf.listen[0], "[::]:9002");

	/* conf_set always appends... */
	ck_assert_int_eq(conf_set(&conf, "server", "listen", "127.0.0.1:1",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(conf.nlisten, 2);
	ck_assert_str_eq(conf.listen[1], "127.0.0.1:1");

	/* ...so the command line clears first. */
	conf_listen_clear(&conf);
	ck_assert_int_eq(conf.nlisten, 0);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), -1);
	ck_assert_int_eq(conf_set(&conf, "server", "listen", "unix:/tmp/x",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(conf.nlisten, 1);
	ck_assert_str_eq(conf.listen[0], "unix:/tmp/x");
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_too_many_listeners)
{
	struct conf conf;
	char text[4096], err[CONF_ERR_MAX], want[128];
	size_t used;
	int i;

	used = (size_t)snprintf(text, sizeof(text), "[server]\n");
	for (i = 0; i <= CONF_LISTEN_MAX; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "listen = 127.0.0.1:%d\n", 8000 + i);
	snprintf(want, sizeof(want), "[server] listen: '127.0.0.1:%d': too "
	    "many listen addresses (at most %d)", 8000 + CONF_LISTEN_MAX,
	    CONF_LISTEN_MAX);
	assert_load_error(text, CONF_LISTEN_MAX + 2, want);

	/* The same limit through conf_set. */
	conf_defaults(&conf);
	conf_listen_clear(&conf);
	for (i = 0; i < CONF_LISTEN_MAX; i++) {
		snprintf(text, sizeof(text), "127.0.0.1:%d", 8000 + i);
		ck_assert_int_eq(conf_set(&conf, "server", "listen", text,
		    err, sizeof(err)), 0);
	}
	ck_assert_int_eq(conf_set(&conf, "server", "listen", "127.0.0.1:1",
	    err, sizeof(err)), -1);
	assert_contains(err, "too many listen addresses (at most 16)");
	ck_assert_int_eq(conf.nlisten, CONF_LISTEN_MAX);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
}
END_TEST

/* A list built by hand, not through conf_set, is checked by conf_validate. */
START_TEST(test_duplicate_listener)
{
	struct conf conf;
	char err[CONF_ERR_MAX];

	conf_defaults(&conf);
	snprintf(conf.listen[1], sizeof(conf.listen[1]), "127.0.0.1:7007");
	conf.nlisten = 2;
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "[server] listen: '127.0.0.1:7007' is given "
	    "twice");
}
END_TEST

START_TEST(test_validate)
{
	struct conf conf;
	char err[CONF_ERR_MAX];

	conf_defaults(&conf);
	conf_listen_clear(&conf);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), -1);
	assert_contains(err, "[server] listen: no listen address");

	conf_defaults(&conf);
	snprintf(conf.listen[0], sizeof(conf.listen[0]), "nonsense");
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), -1);
	assert_contains(err, "[server] listen: 'nonsense'");
}
END_TEST

#define SECTIONS	"server, workers, connection, log, admin, faults"
#define SYNTAX_ERROR	"syntax error (expected 'key = value' or '[section]')"
#define UNKNOWN_SERVERR	"unknown section [serverr] (sections: " SECTIONS ")"

/*
 * Files that fail to load: at this line, with this message after
 * "PATH:LINE: ", and the configuration they were applied to untouched.
 */
static const struct {
	const char	*text;
	int		 line;
	const char	*message;
} file_errors[] = {
	/* A listener spelled differently, the same address. */
	{ "[server]\nlisten = 0.0.0.0:7007\nlisten = *:7007\n", 3,
	    "[server] listen: '*:7007' is given twice (as '0.0.0.0:7007')" },

	/* Reported at the header, with or without keys under it. */
	{ "[server]\n[serverr]\nbacklog = 5\n", 2, UNKNOWN_SERVERR },
	{ "# comment\n[serverr]\n", 2, UNKNOWN_SERVERR },
	{ "[server] junk\n", 1, SYNTAX_ERROR },

	{ "[server]\nbacklog = 5\n\nbakclog = 5\n", 4,
	    "[server] unknown key 'bakclog'" },
	/* A real key, in the wrong section. */
	{ "[workers]\nbacklog = 5\n", 2, "[workers] unknown key 'backlog'" },

	{ "# no section yet\nbacklog = 5\n[server]\n", 2,
	    "key 'backlog' is outside any section (it belongs under "
	    "[server])" },
	{ "nosuchkey = 5\n", 1, "key 'nosuchkey' is outside any section "
	    "(sections: " SECTIONS ")" },

	{ "[server]\nbacklog = 5\njust some words\n", 3, SYNTAX_ERROR },
	{ "[server\n", 1, SYNTAX_ERROR },
	/* An indented line is not a continuation of the value above it. */
	{ "[server]\nbacklog = 5\n    6\n", 3, SYNTAX_ERROR },
	/* The first error is the one reported. */
	{ "[server]\nbroken\nbacklog = 0\n", 2, SYNTAX_ERROR },
	{ "[server]\nbacklog = 0\nbroken\n", 2,
	    "[server] backlog: '0' out of range (accepted: 1..65535)" },
};

START_TEST(test_file_error)
{
	assert_load_error(file_errors[_i].text, file_errors[_i].line,
	    file_errors[_i].message);
}
END_TEST

/*
 * conf_set refusing an unknown key or section, a key without a section
 * and a listener given twice: its message alone, without "PATH:LINE: ",
 * and the configuration untouched.
 */
static const struct {
	const char	*section;
	const char	*key;
	const char	*value;
	const char	*message;
} set_errors[] = {
	{ "server", "bakclog", "5", "[server] unknown key 'bakclog'" },
	{ "serverr", "backlog", "5", UNKNOWN_SERVERR },
	{ NULL, "start", "5", "key 'start' is outside any section (it "
	    "belongs under [workers])" },
	/* The default listener, given again. */
	{ "server", "listen", "127.0.0.1:7007", "[server] listen: "
	    "'127.0.0.1:7007' is given twice" },
};

START_TEST(test_set_error)
{
	struct conf conf, def;
	char err[CONF_ERR_MAX];

	conf_defaults(&conf);
	conf_defaults(&def);
	ck_assert_int_eq(conf_set(&conf, set_errors[_i].section,
	    set_errors[_i].key, set_errors[_i].value, err, sizeof(err)), -1);
	ck_assert_str_eq(err, set_errors[_i].message);
	assert_conf_equal(&conf, &def);
}
END_TEST

START_TEST(test_long_line)
{
	static const char nul[] = "[server]\nbacklog = 1\0002\n";
	struct conf conf;
	char text[1024], path[64], err[CONF_ERR_MAX], want[CONF_ERR_MAX];
	int max = ini_max_line - 3;	/* less "\r\n" and NUL */

	/* The longest line that fits is accepted, CRLF or not... */
	snprintf(text, sizeof(text), "[server]\n#%0*d\nbacklog = 7\n#%0*d\r\n",
	    max - 1, 0, max - 1, 0);
	conf_defaults(&conf);
	ck_assert_msg(load_text(&conf, text, path, sizeof(path), err) == 0,
	    "%s", err);
	ck_assert_int_eq(conf.backlog, 7);

	/* ...one more character is an error, not two half lines. */
	snprintf(text, sizeof(text), "[server]\n#%0*d\nbacklog = 7\n", max,
	    0);
	snprintf(want, sizeof(want), "line too long (more than %d characters)",
	    max);
	assert_load_error(text, 2, want);
	snprintf(text, sizeof(text), "[server]\nlisten = unix:/%0*d\n", 400, 0);
	assert_load_error(text, 2, want);

	/* A NUL byte would hide the rest of its line from inih. */
	conf_defaults(&conf);
	ck_assert_int_eq(load_bytes(&conf, nul, sizeof(nul) - 1, path,
	    sizeof(path), err), -1);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(conf.backlog, 1024);
}
END_TEST

START_TEST(test_unreadable_file)
{
	struct conf conf, def;
	char err[CONF_ERR_MAX];

	conf_defaults(&conf);
	conf_defaults(&def);
	ck_assert_int_eq(conf_load_file(&conf, "/nonexistent/forkline.conf",
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/forkline.conf: No such file or "
	    "directory");
	ck_assert_int_eq(conf_load_file(&conf, "/tmp", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/tmp: Is a directory");
	assert_conf_equal(&conf, &def);
}
END_TEST

/*
 * A FIFO in the file's place is refused at once, without waiting for a
 * writer (the test would hang if it blocked), and so is a device.
 */
START_TEST(test_not_regular_file)
{
	char dir[] = "/tmp/check_conf.XXXXXX", fifo[64], want[128];
	char err[CONF_ERR_MAX];
	struct conf conf, def;

	conf_defaults(&conf);
	conf_defaults(&def);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/forkline.conf", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(conf_load_file(&conf, fifo, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: not a regular file", fifo);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(conf_load_file(&conf, "/dev/null", err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "/dev/null: not a regular file");
	assert_conf_equal(&conf, &def);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

/*
 * A bad value for each key, as the file and conf_set report it. conf_set
 * gives the message alone; the file adds "PATH:LINE: ".
 */
static const struct {
	const char	*section;
	const char	*key;
	const char	*value;
	const char	*message;
} bad_values[] = {
	{ "server", "listen", "localhost:80", "[server] listen: "
	    "'localhost:80': 'localhost' is not a numeric IPv4 address "
	    "(names are not resolved)" },
	{ "server", "listen", "127.0.0.1:65536", "[server] listen: "
	    "'127.0.0.1:65536': port must be a number 0..65535" },
	{ "server", "listen", "", NULL },
	{ "server", "protocol", "http", "[server] protocol: 'http' is not a "
	    "protocol (accepted: line, echo)" },
	{ "server", "protocol", "", NULL },
	{ "server", "backlog", "0", "[server] backlog: '0' out of range "
	    "(accepted: 1..65535)" },
	{ "server", "backlog", "65536", "[server] backlog: '65536' out of "
	    "range (accepted: 1..65535)" },
	{ "server", "backlog", "99999999999999999999", "[server] backlog: "
	    "'99999999999999999999' out of range (accepted: 1..65535)" },
	{ "server", "backlog", "-1", "[server] backlog: '-1' is not an "
	    "integer (accepted: 1..65535)" },
	{ "server", "backlog", "1k", "[server] backlog: '1k' is not an "
	    "integer (accepted: 1..65535)" },
	{ "server", "backlog", "", NULL },
	{ "server", "grace_period", "61m", "[server] grace_period: '61m' out "
	    "of range (accepted: 0..1h)" },
	{ "server", "grace_period", "3601", "[server] grace_period: '3601' "
	    "out of range (accepted: 0..1h)" },
	{ "server", "grace_period", "10sec", "[server] grace_period: '10sec' "
	    "is not a duration (accepted: 0..1h, e.g. 10s)" },
	{ "server", "unix_mode", "1000", "[server] unix_mode: '1000' out of "
	    "range (accepted: 0000..0777)" },
	{ "server", "unix_mode", "0678", "[server] unix_mode: '0678' is not "
	    "an octal mode (accepted: 0000..0777, e.g. 0660)" },
	{ "server", "unix_mode", "rw-rw----", NULL },
	{ "workers", "start", "0", "[workers] start: '0' out of range "
	    "(accepted: 1..8192)" },
	{ "workers", "start", "8193", "[workers] start: '8193' out of range "
	    "(accepted: 1..8192)" },
	{ "workers", "start", "four", "[workers] start: 'four' is not an "
	    "integer (accepted: 1..8192)" },
	{ "connection", "idle_timeout", "9ms", "[connection] idle_timeout: "
	    "'9ms' out of range (accepted: 10ms..24h)" },
	{ "connection", "idle_timeout", "25h", "[connection] idle_timeout: "
	    "'25h' out of range (accepted: 10ms..24h)" },
	{ "connection", "idle_timeout", "1.5s", "[connection] idle_timeout: "
	    "'1.5s' is not a duration (accepted: 10ms..24h, e.g. 1m)" },
	{ "connection", "send_timeout", "0", "[connection] send_timeout: '0' "
	    "out of range (accepted: 10ms..1h)" },
	{ "connection", "send_timeout", "3601s", "[connection] send_timeout: "
	    "'3601s' out of range (accepted: 10ms..1h)" },
	{ "connection", "send_timeout", "s", NULL },
	{ "connection", "max_line", "15", "[connection] max_line: '15' out of "
	    "range (accepted: 16..1M)" },
	{ "connection", "max_line", "1025k", "[connection] max_line: '1025k' "
	    "out of range (accepted: 16..1M)" },
	{ "connection", "max_line", "2x", "[connection] max_line: '2x' is not "
	    "a size (accepted: 16..1M, e.g. 8k)" },
	{ "connection", "max_sleep", "2h", "[connection] max_sleep: '2h' out "
	    "of range (accepted: 0..1h)" },
	{ "connection", "max_sleep", "-1s", "[connection] max_sleep: '-1s' is "
	    "not a duration (accepted: 0..1h, e.g. 10s)" },
	{ "connection", "max_blob", "65m", "[connection] max_blob: '65m' out "
	    "of range (accepted: 0..64M)" },
	{ "connection", "max_blob", "67108865", "[connection] max_blob: "
	    "'67108865' out of range (accepted: 0..64M)" },
	{ "connection", "max_blob", "1G", "[connection] max_blob: '1G' is not "
	    "a size (accepted: 0..64M, e.g. 1M)" },
	{ "log", "level", "verbose", "[log] level: 'verbose' is not a log "
	    "level (accepted: error, warn, info, debug)" },
	{ "log", "level", "", NULL },
	{ "faults", "reset", "120%", "[faults] reset: '120%' out of range "
	    "(accepted: 0..100%)" },
	{ "faults", "reset", "1.5", "[faults] reset: '1.5' out of range "
	    "(accepted: 0..100%)" },
	{ "faults", "error", "-1%", "[faults] error: '-1%' is not a "
	    "probability (accepted: 0..100%, e.g. 0)" },
	{ "faults", "close", "0.00005%", "[faults] close: '0.00005%' is not a "
	    "probability (accepted: 0..100%, e.g. 0)" },
	{ "faults", "crash", "5 %", NULL },
	{ "faults", "stall", ".5", NULL },
	{ "faults", "stall", "", NULL },
	{ "faults", "latency", "-5ms", "[faults] latency: '-5ms' is not a "
	    "duration (accepted: 0..1h, e.g. 0)" },
	{ "faults", "jitter", "2h", "[faults] jitter: '2h' out of range "
	    "(accepted: 0..1h)" },
	{ "faults", "distribution", "gauss", "[faults] distribution: 'gauss' "
	    "is not a distribution (accepted: fixed, uniform, normal, "
	    "exponential, pareto)" },
	{ "faults", "bandwidth", "2G", NULL },
	{ "faults", "seed", "-1", NULL },
	{ "faults", "allow_client", "maybe", NULL },
};

START_TEST(test_bad_value)
{
	struct conf conf, def;
	char err[CONF_ERR_MAX], text[256], want[CONF_ERR_MAX];
	const char *section = bad_values[_i].section;
	const char *key = bad_values[_i].key;
	const char *value = bad_values[_i].value;

	conf_defaults(&def);
	conf_defaults(&conf);
	ck_assert_int_eq(conf_set(&conf, section, key, value, err,
	    sizeof(err)), -1);
	assert_conf_equal(&conf, &def);
	if (bad_values[_i].message != NULL)
		ck_assert_str_eq(err, bad_values[_i].message);
	snprintf(want, sizeof(want), "[%s] %s: ", section, key);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "'%s' does not start with '%s'", err, want);
	if (strcmp(key, "listen") != 0)
		assert_contains(err, "(accepted: ");

	/* The file reports the same text after its path and line. */
	memcpy(want, err, sizeof(want));
	snprintf(text, sizeof(text), "# bad value\n[%s]\n%s = %s\n", section,
	    key, value);
	assert_load_error(text, 3, want);
}
END_TEST

/* Value parsers: what is accepted and what it means. */
static const struct {
	const char	*text;
	int64_t		 ms;
} good_durations[] = {
	{ "0", 0 }, { "0ms", 0 }, { "250ms", 250 }, { "10s", 10000 },
	{ "10", 10000 }, { "5m", 300000 }, { "1h", 3600000 },
	{ "007s", 7000 }, { "9223372036854775807ms", INT64_MAX },
	{ "2562047788015h", 2562047788015 * INT64_C(3600000) },
};

static const char *const bad_durations[] = {
	"", "10x", "-1s", "+1s", "1.5s", "s", "ms", " 5s", "5s ", "5 s", "5S",
	"5sec", "1h30m", "0x10", "99999999999999999999h",
	"9223372036854775808ms", "9223372036854775807s", "2562047788016h",
};

static const struct {
	const char	*text;
	size_t		 bytes;
} good_sizes[] = {
	{ "0", 0 }, { "16", 16 }, { "8k", 8192 }, { "8K", 8192 },
	{ "1M", 1048576 }, { "3m", 3145728 }, { "1000", 1000 },
};

static const char *const bad_sizes[] = {
	"", "10x", "-1", "+1", "1.5k", "k", "M", " 5", "5 ", "5 k", "8kb",
	"8KiB", "1G", "99999999999999999999", "9223372036854775807k",
};

START_TEST(test_parse_duration_good)
{
	int64_t ms = -1;

	ck_assert_msg(conf_parse_duration(good_durations[_i].text, &ms) == 0,
	    "'%s' refused", good_durations[_i].text);
	ck_assert_int_eq(ms, good_durations[_i].ms);
}
END_TEST

START_TEST(test_parse_duration_bad)
{
	int64_t ms = 12345;

	ck_assert_msg(conf_parse_duration(bad_durations[_i], &ms) == -1,
	    "'%s' accepted", bad_durations[_i]);
	ck_assert_int_eq(ms, 12345);
}
END_TEST

START_TEST(test_parse_size_good)
{
	size_t bytes = 1;

	ck_assert_msg(conf_parse_size(good_sizes[_i].text, &bytes) == 0,
	    "'%s' refused", good_sizes[_i].text);
	ck_assert_uint_eq(bytes, good_sizes[_i].bytes);
}
END_TEST

START_TEST(test_parse_size_bad)
{
	size_t bytes = 12345;

	ck_assert_msg(conf_parse_size(bad_sizes[_i], &bytes) == -1,
	    "'%s' accepted", bad_sizes[_i]);
	ck_assert_uint_eq(bytes, 12345);
}
END_TEST

/* Bounds are inclusive: the edge values themselves are accepted. */
START_TEST(test_range_edges)
{
	static const struct {
		const char *section, *key, *value;
	} edges[] = {
		{ "server", "backlog", "1" }, { "server", "backlog", "65535" },
		{ "server", "grace_period", "0" },
		{ "server", "grace_period", "60m" },
		{ "server", "unix_mode", "0" },
		{ "server", "unix_mode", "777" },
		{ "workers", "start", "1" }, { "workers", "start", "8192" },
		{ "connection", "idle_timeout", "10ms" },
		{ "connection", "idle_timeout", "24h" },
		{ "connection", "send_timeout", "10ms" },
		{ "connection", "send_timeout", "3600s" },
		{ "connection", "max_line", "16" },
		{ "connection", "max_line", "1024k" },
		{ "connection", "max_sleep", "0ms" },
		{ "connection", "max_sleep", "1h" },
		{ "connection", "max_blob", "0" },
		{ "connection", "max_blob", "64M" },
	};
	struct conf conf;
	char err[CONF_ERR_MAX];
	size_t i;

	conf_defaults(&conf);
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		ck_assert_msg(conf_set(&conf, edges[i].section, edges[i].key,
		    edges[i].value, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(conf.max_sleep_ms, 3600000);
	ck_assert_uint_eq(conf.max_blob, 64 * 1048576);
	ck_assert_uint_eq(conf.unix_mode, 0777);
}
END_TEST

START_TEST(test_print_round_trip)
{
	struct conf conf, back;
	char tmpl[] = "/tmp/check_conf.XXXXXX", err[CONF_ERR_MAX];
	char *text = NULL;
	size_t textlen = 0;
	FILE *fp, *mem;
	int fd, rc;

	conf_defaults(&conf);
	conf_listen_clear(&conf);
	ck_assert_int_eq(conf_set(&conf, "server", "listen", "*:7100", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set(&conf, "server", "listen", "[::1]:7101", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set(&conf, "server", "listen",
	    "unix:/run/forkline/x.sock", err, sizeof(err)), 0);
	conf.protocol = CONF_PROTO_ECHO;
	conf.backlog = 17;
	conf.grace_period_ms = 250;
	conf.unix_mode = 0604;
	conf.workers = 1024;
	conf.pool_mode = CONF_POOL_DYNAMIC;
	snprintf(conf.user, sizeof(conf.user), "nobody");
	conf.allow_root = true;
	snprintf(conf.pid_file, sizeof(conf.pid_file), "/run/forkline.pid");
	snprintf(conf.log_target, sizeof(conf.log_target), "/var/log/fl.log");
	conf.min_spare = 3;
	conf.max_spare = 9;
	conf.max_workers = 1024;
	conf.max_rss = 512 * 1024 * 1024;
	conf.recycle_concurrency = 2;
	conf.heartbeat_interval_ms = 250;
	conf.worker_timeout_ms = 5000;
	conf.idle_timeout_ms = 5 * 60000;
	conf.send_timeout_ms = 1001;
	conf.max_line = 1000;
	conf.max_sleep_ms = 0;
	conf.max_blob = 3 * 1024;
	conf.log_level = LOG_LEVEL_DEBUG;
	conf.faults.latency_ms = 20;
	conf.faults.jitter_ms = 5;
	conf.faults.distribution = CONF_DIST_PARETO;
	conf.faults.reset_ppm = 10000;
	conf.faults.error_ppm = 2500;
	conf.faults.crash_ppm = 1;
	conf.faults.bandwidth = 64 * 1024;
	conf.faults.seed = 42;
	conf.faults.allow_client = true;

	/* The text is what a person would write. */
	mem = open_memstream(&text, &textlen);
	ck_assert_ptr_nonnull(mem);
	conf_print(&conf, mem);
	fclose(mem);
	assert_contains(text, "[server]\nlisten = 0.0.0.0:7100\n"
	    "listen = [::1]:7101\nlisten = unix:/run/forkline/x.sock\n"
	    "protocol = echo\nbacklog = 17\ngrace_period = 250ms\n"
	    "unix_mode = 0604\n");
	assert_contains(text, "[workers]\nmode = dynamic\nstart = 1024\n"
	    "min_ready = 0\nmin_spare = 3\nmax_spare = 9\nmax = 1024\n");
	assert_contains(text, "unix_mode = 0604\nuser = nobody\ngroup = \n"
	    "allow_root = yes\npid_file = /run/forkline.pid\n");
	assert_contains(text, "[log]\nlevel = debug\ntarget = /var/log/fl.log\n"
	    "access_log = off\n");
	assert_contains(text, "max_rss = 512M\nrecycle_concurrency = 2\n"
	    "heartbeat_interval = 250ms\nworker_timeout = 5s\n");
	assert_contains(text, "[connection]\nidle_timeout = 5m\n"
	    "send_timeout = 1001ms\nmax_line = 1000\nmax_sleep = 0\n"
	    "max_blob = 3k\n");
	assert_contains(text, "[log]\nlevel = debug\n");
	assert_contains(text, "[faults]\nlatency = 20ms\njitter = 5ms\n"
	    "distribution = pareto\nreset = 1%\nstall = 0\nerror = 0.25%\n"
	    "close = 0\nbandwidth = 64k\ncrash = 0.0001%\nseed = 42\n"
	    "allow_client = yes\n");
	free(text);

	/* And it loads back to the same values. */
	fd = mkstemp(tmpl);
	ck_assert_int_ne(fd, -1);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	conf_print(&conf, fp);
	fclose(fp);
	conf_defaults(&back);
	rc = conf_load_file(&back, tmpl, err, sizeof(err));
	unlink(tmpl);
	ck_assert_msg(rc == 0, "%s", err);
	assert_conf_equal(&back, &conf);
}
END_TEST

START_TEST(test_print_defaults)
{
	struct conf conf, back;
	char tmpl[] = "/tmp/check_conf.XXXXXX", err[CONF_ERR_MAX];
	char *text = NULL;
	size_t textlen = 0;
	FILE *fp;
	int fd, rc;

	conf_defaults(&conf);
	fp = open_memstream(&text, &textlen);
	ck_assert_ptr_nonnull(fp);
	conf_print(&conf, fp);
	fclose(fp);
	assert_contains(text, "grace_period = 10s\nunix_mode = 0660\n");
	assert_contains(text, "max_line = 8k\nmax_sleep = 10s\n"
	    "max_blob = 1M\n");

	fd = mkstemp(tmpl);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, textlen), (ssize_t)textlen);
	close(fd);
	free(text);
	/* Start from other values so that the file has to set them all. */
	conf_defaults(&back);
	back.backlog = 1;
	back.max_blob = 0;
	back.log_level = LOG_LEVEL_ERROR;
	rc = conf_load_file(&back, tmpl, err, sizeof(err));
	unlink(tmpl);
	ck_assert_msg(rc == 0, "%s", err);
	assert_conf_equal(&back, &conf);
}
END_TEST

/* The documented example must load cleanly and change nothing. */
/*
 * Found by tests/fuzz/fuzz_config: "pid_file=/" and 187 characters fits
 * on a line, but conf_print's "pid_file = /..." did not, so forkline -t
 * printed a file that forkline refused. A string value is now at most
 * what fits on a line as "key = value"; the longest is printed and loaded
 * back, one more is refused with the reason.
 */
static const struct {
	const char	*section;
	const char	*key;
	int		 max;
} long_strings[] = {
	{ "server", "pid_file", 186 },
	{ "log", "target", 188 },
	{ "log", "access_log", 184 },
};

START_TEST(test_print_long_strings)
{
	const char *section = long_strings[_i].section;
	const char *key = long_strings[_i].key;
	int max = long_strings[_i].max;
	struct conf conf, back;
	char value[512], text[1024], path[64], err[CONF_ERR_MAX];
	char want[CONF_ERR_MAX];
	char *printed = NULL;
	size_t printedlen = 0;
	FILE *mem;

	/* The fuzzer's input: the file line fits, the printed one did not. */
	snprintf(text, sizeof(text), "[%s]\n%s=/%0*d\n", section, key, max, 0);
	snprintf(want, sizeof(want), "[%s] %s: longer than %d characters "
	    "(what fits on one line as '%s = VALUE')", section, key, max, key);
	conf_defaults(&conf);
	ck_assert_int_eq(load_text(&conf, text, path, sizeof(path), err), -1);
	assert_contains(err, want);
	ck_assert_int_eq(conf_set(&conf, section, key, text + strlen(section) +
	    strlen(key) + 4, err, sizeof(err)), -1);

	/* The longest accepted value prints as a line that loads again. */
	snprintf(value, sizeof(value), "/%0*d", max - 1, 0);
	conf_defaults(&conf);
	ck_assert_msg(conf_set(&conf, section, key, value, err,
	    sizeof(err)) == 0, "%s", err);
	mem = open_memstream(&printed, &printedlen);
	ck_assert_ptr_nonnull(mem);
	conf_print(&conf, mem);
	fclose(mem);
	conf_defaults(&back);
	ck_assert_msg(load_text(&back, printed, path, sizeof(path), err) == 0,
	    "%s", err);
	free(printed);
	assert_conf_equal(&back, &conf);
}
END_TEST

START_TEST(test_shipped_example)
{
	struct conf conf, def;
	char path[512], err[CONF_ERR_MAX];
	const char *srcdir = getenv("FORKLINE_SRCDIR");

	snprintf(path, sizeof(path), "%s/conf/forkline.conf",
	    srcdir != NULL ? srcdir : ".");
	conf_defaults(&conf);
	conf_defaults(&def);
	ck_assert_msg(conf_load_file(&conf, path, err, sizeof(err)) == 0,
	    "%s", err);
	assert_conf_equal(&conf, &def);
	ck_assert_int_eq(conf_validate(&conf, err, sizeof(err)), 0);
}
END_TEST

/* Every key in the example, uncommented, still gives the defaults. */
START_TEST(test_shipped_example_uncommented)
{
	struct conf conf, def;
	char path[512], line[256], err[CONF_ERR_MAX], tmpl[] =
	    "/tmp/check_conf.XXXXXX";
	const char *srcdir = getenv("FORKLINE_SRCDIR");
	FILE *in, *out;
	int fd, rc, nkeys = 0;

	snprintf(path, sizeof(path), "%s/conf/forkline.conf",
	    srcdir != NULL ? srcdir : ".");
	in = fopen(path, "r");
	ck_assert_ptr_nonnull(in);
	fd = mkstemp(tmpl);
	ck_assert_int_ne(fd, -1);
	out = fdopen(fd, "w");
	ck_assert_ptr_nonnull(out);
	while (fgets(line, sizeof(line), in) != NULL) {
		/* "#key = value" is a key; "# text" is prose. */
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' &&
		    strchr(line, '=') != NULL) {
			fputs(line + 1, out);
			nkeys++;
		} else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
	conf_defaults(&conf);
	conf_defaults(&def);
	rc = conf_load_file(&conf, tmpl, err, sizeof(err));
	unlink(tmpl);
	ck_assert_msg(rc == 0, "%s", err);
	/* Every key of the table is documented in the example. */
	ck_assert_int_eq(nkeys, 48);
	assert_conf_equal(&conf, &def);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("load");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_file_every_key);
	tcase_add_test(tc, test_file_syntax_accepted);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_set_after_file);
	tcase_add_test(tc, test_listen_replace_append);
	tcase_add_loop_test(tc, test_admin_listen_ok, 0,
	    (int)(sizeof(admin_listen_ok) / sizeof(admin_listen_ok[0])));
	tcase_add_loop_test(tc, test_admin_listen_bad, 0,
	    (int)(sizeof(admin_listen_bad) / sizeof(admin_listen_bad[0])));
	tcase_add_test(tc, test_range_edges);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_too_many_listeners);
	tcase_add_test(tc, test_duplicate_listener);
	tcase_add_test(tc, test_validate);
	tcase_add_loop_test(tc, test_file_error, 0,
	    (int)(sizeof(file_errors) / sizeof(file_errors[0])));
	tcase_add_loop_test(tc, test_set_error, 0,
	    (int)(sizeof(set_errors) / sizeof(set_errors[0])));
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_unreadable_file);
	tcase_add_test(tc, test_not_regular_file);
	tcase_add_loop_test(tc, test_bad_value, 0,
	    (int)(sizeof(bad_values) / sizeof(bad_values[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_duration_good, 0,
	    (int)(sizeof(good_durations) / sizeof(good_durations[0])));
	tcase_add_loop_test(tc, test_parse_duration_bad, 0,
	    (int)(sizeof(bad_durations) / sizeof(bad_durations[0])));
	tcase_add_loop_test(tc, test_parse_size_good, 0,
	    (int)(sizeof(good_sizes) / sizeof(good_sizes[0])));
	tcase_add_loop_test(tc, test_parse_size_bad, 0,
	    (int)(sizeof(bad_sizes) / sizeof(bad_sizes[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("print");
	tcase_add_test(tc, test_print_round_trip);
	tcase_add_test(tc, test_print_defaults);
	tcase_add_loop_test(tc, test_print_long_strings, 0,
	    (int)(sizeof(long_strings) / sizeof(long_strings[0])));
	tcase_add_test(tc, test_shipped_example);
	tcase_add_test(tc, test_shipped_example_uncommented);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
