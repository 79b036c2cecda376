/*
 * Integration tests of where the lines go: a [log] target file and its
 * reopening on SIGUSR1 (common/log.c, server/logfiles.c), the access log
 * (worker/worker.c), and journal priorities when stderr is the journal.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/harness.h"

/* Room for a file's path in a harness_mkdtemp directory. */
#define PATH_LEN	(HARNESS_PATH_MAX + 32)

static long
file_size(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Does one of pid's fds name path? */
static bool
holds_file(pid_t pid, const char *path)
{
	return ps_holds(pid, path);
}

struct release_wait {
	const struct server	*s;
	const char		*path;
	pid_t			 holder;
};

static bool
released(void *arg)
{
	struct release_wait	*w = arg;
	pid_t			 kids[HARNESS_MAX_PIDS];
	int			 i, n;

	w->holder = w->s->pid;
	if (holds_file(w->s->pid, w->path))
		return false;
	n = server_workers(w->s, kids, HARNESS_MAX_PIDS);
	for (i = 0; i < n; i++)
		if (holds_file((w->holder = kids[i]), w->path))
			return false;
	return true;
}

/*
 * After SIGUSR1: the master and every worker have let go of the renamed
 * file (each reopened by path), seen in /proc/PID/fd.
 */
static void
wait_released(const struct server *s, const char *path)
{
	struct release_wait	 w = { s, path, 0 };

	ck_assert_msg(harness_wait_until(released, &w, HARNESS_READY_MS),
	    "after SIGUSR1 pid %ld (the master is %ld) still has the renamed "
	    "%s open after %d ms: it did not reopen it", (long)w.holder,
	    (long)s->pid, path, HARNESS_READY_MS);
}

/*
 * 1. [log] target = a file: the master's and the workers' lines go there,
 * from the first (start-up lines are also copied to stderr, for a
 * terminal; nothing after them). Renamed (as logrotate does) and
 * SIGUSR1: the master and every worker reopen it, the new file gets the
 * lines that follow (a worker's "connected", a reload), the renamed one
 * nothing more.
 */
START_TEST(test_log_file_reopen)
{
	char		 dir[HARNESS_PATH_MAX], logf[PATH_LEN];
	char		 old[PATH_LEN + 8], conf[HARNESS_PATH_MAX];
	char		 text[PATH_LEN + 32], *o;
	const char	*args[] = { "-v", "-c", conf, "-w", "2", NULL };
	struct server	 s;
	long		 old_size;
	int		 fd;

	log_dir_make(dir, sizeof(dir));
	snprintf(logf, sizeof(logf), "%s/forkline.log", dir);
	snprintf(old, sizeof(old), "%s.1", logf);
	snprintf(text, sizeof(text), "[log]\ntarget = %s\n", logf);
	harness_write_file(conf, sizeof(conf), "logfile-", ".conf", text);
	server_start(&s, args);
	log_file_wait(logf, " listening on ", 1, "a start-up line in the "
	    "log file");
	log_file_wait(logf, " started: ", 1, "the log file");
	log_file_wait(logf, " ready: ", 1, "the log file");
	log_file_wait(logf, ": connected", 1, "a worker's line (the "
	    "readiness probe)");
	/* Start-up lines are copied to stderr (a terminal); nothing after. */
	ck_assert_msg(!server_log_contains(&s, " ready: ") &&
	    !server_log_contains(&s, ": connected") &&
	    !server_log_contains(&s, " worker "), "with a log file, lines "
	    "after start-up still went to stderr (%s)", s.log);

	ck_assert_msg(rename(logf, old) == 0, "rename %s: %s", logf,
	    strerror(errno));
	server_signal(&s, SIGUSR1);
	log_file_wait(logf, "SIGUSR1: log files reopened", 1, "SIGUSR1 "
	    "with the log file renamed");
	wait_released(&s, old);
	old_size = file_size(old);

	fd = client_connect(s.port);
	client_request(fd, "PING\n", "PONG\n");
	close(fd);
	log_file_wait(logf, ": connected", 1, "a worker's line after the "
	    "reopen");
	server_signal(&s, SIGHUP);
	log_file_wait(logf, "reload: generation 2 serving", 1, "a reload "
	    "after the reopen");
	server_stop_expect_zero(&s);
	log_file_wait(logf, " stopped", 1, "the master's last line");
	ck_assert_msg(!server_log_contains(&s, "SIGUSR1") &&
	    !server_log_contains(&s, "reload") &&
	    !server_log_contains(&s, " stopped"), "with a log file, lines "
	    "after start-up went to stderr (%s)", s.log);
	o = harness_read_file(old, NULL);
	ck_assert_msg(file_size(old) == old_size, "the renamed log %s grew "
	    "from %ld to %ld bytes after the reopen: %s", old, old_size,
	    file_size(old), harness_quote(o != NULL ? o + old_size : "",
	    o != NULL ? strlen(o + old_size) : 0));
	free(o);
}
END_TEST

/* One access log line, parsed. */
struct access_line {
	int			 port;
	long			 pid;
	long long		 duration_ms;
	unsigned long long	 requests, bytes_in, bytes_out;
	char			 end[32];
};

/* The line for the client at port; false if there is none. */
static bool
access_find(const char *path, int port, struct access_line *a,
    char *raw, size_t rawlen)
{
	char	*text = harness_read_file(path, NULL), *line, *save = NULL;
	char	 key[40];
	bool	 found = false;
	int	 end;

	snprintf(key, sizeof(key), " peer=127.0.0.1:%d ", port);
	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL;
	    line != NULL && !found; line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, key) == NULL)
			continue;
		snprintf(raw, rawlen, "%s", line);
		end = 0;
		found = sscanf(strstr(line, key), " peer=127.0.0.1:%d pid=%ld "
		    "worker=%*d duration_ms=%lld requests=%llu bytes_in=%llu "
		    "bytes_out=%llu end=\"%31[^\"]\"%n", &a->port, &a->pid,
		    &a->duration_ms, &a->requests, &a->bytes_in,
		    &a->bytes_out, a->end, &end) == 7 &&
		    strstr(line, key)[end] == '\0';
		ck_assert_msg(found, "malformed access log line %s",
		    harness_quote(raw, strlen(raw)));
	}
	free(text);
	return found;
}

struct access_wait {
	const char	*path;
	int		 port;
	struct access_line *a;
	char		 raw[512];
};

static bool
access_has(void *arg)
{
	struct access_wait	*w = arg;

	return access_find(w->path, w->port, w->a, w->raw, sizeof(w->raw));
}

/* Wait for the client at port's line and check it. */
static void
assert_access(const struct server *s, const char *path, int port,
    unsigned long long requests, unsigned long long in,
    unsigned long long out, const char *end)
{
	struct access_line	 a;
	struct access_wait	 w = { path, port, &a, "" };
	char			*text;

	if (!harness_wait_until(access_has, &w, HARNESS_READY_MS)) {
		text = harness_read_file(path, NULL);
		ck_abort_msg("no access log line for the client at port %d in "
		    "%s within %d ms; the file: %s", port, path,
		    HARNESS_READY_MS, text == NULL ? "(missing)" :
		    harness_quote(text, strlen(text)));
	}
	ck_assert_msg(a.requests == requests && a.bytes_in == in &&
	    a.bytes_out == out && strcmp(a.end, end) == 0 &&
	    a.duration_ms >= 0, "access log line %s: expected requests=%llu "
	    "bytes_in=%llu bytes_out=%llu end=\"%s\"", harness_quote(w.raw,
	    strlen(w.raw)), requests, in, out, end);
	ck_assert_msg(server_is_worker(s, (pid_t)a.pid), "access log line %s: "
	    "pid %ld is not one of the master's workers",
	    harness_quote(w.raw, strlen(w.raw)), a.pid);
}

/* No byte below 0x20 but "\n", none above 0x7e, two quotes a line. */
static void
assert_clean(const char *path)
{
	size_t		 len, i;
	char		*text = harness_read_file(path, &len);
	unsigned char	 c;
	int		 quotes = 0;

	ck_assert_msg(text != NULL, "cannot read %s", path);
	for (i = 0; i < len; i++) {
		c = (unsigned char)text[i];
		ck_assert_msg(c == '\n' || (c >= 0x20 && c < 0x7f), "byte %#x "
		    "at offset %zu of the access log: %s", c, i,
		    harness_quote(text, len));
		if (text[i] == '"')
			quotes++;
		if (text[i] == '\n') {
			ck_assert_msg(quotes == 2, "an access log line with %d "
			    "quotes: %s", quotes, harness_quote(text, len));
			quotes = 0;
		}
	}
	ck_assert_msg(strstr(text, "FOO") == NULL, "request text in the "
	    "access log: %s", harness_quote(text, len));
	free(text);
}

/*
 * 2. [log] access_log: one line per connection, with the peer, the
 * worker, the requests and bytes each way and why it ended (QUIT, idle
 * timeout, client close); nothing a client sent (control characters,
 * quotes) gets in. Renamed and SIGUSR1: the next line goes to the new
 * file.
 */
START_TEST(test_access_log)
{
	static const char nasty[] = "FOO\x1b[31m\"x\n";
	char		 dir[HARNESS_PATH_MAX], acc[PATH_LEN];
	char		 old[PATH_LEN + 8];
	char		 conf[HARNESS_PATH_MAX], text[PATH_LEN + 64], line[256];
	const char	*args[] = { "-c", conf, "-w", "2", NULL };
	struct access_line a;
	struct server	 s;
	int		 fd, port, r;
	unsigned long long out;

	log_dir_make(dir, sizeof(dir));
	snprintf(acc, sizeof(acc), "%s/access.log", dir);
	snprintf(old, sizeof(old), "%s.1", acc);
	snprintf(text, sizeof(text), "[connection]\nidle_timeout = 200ms\n"
	    "[log]\naccess_log = %s\n", acc);
	harness_write_file(conf, sizeof(conf), "access-", ".conf", text);
	server_start(&s, args);

	/* QUIT after two requests. */
	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "PING\n", "PONG\n");
	client_request(fd, "ECHO hi\n", "hi\n");
	client_request(fd, "QUIT\n", "BYE\n");
	client_expect_close(fd, false);
	close(fd);
	assert_access(&s, acc, port, 3, 5 + 8 + 5, 5 + 3 + 4, "quit");

	/* Idle past idle_timeout. */
	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "PING\n", "PONG\n");
	client_expect(fd, "BYE idle timeout\n");
	client_expect_close(fd, false);
	close(fd);
	assert_access(&s, acc, port, 1, 5, 5 + 17, "idle timeout");
	access_find(acc, port, &a, text, sizeof(text));
	ck_assert_msg(a.duration_ms >= 200, "an idle timeout of 200 ms after "
	    "duration_ms=%lld", a.duration_ms);

	/* Control characters and a quote, then the client closes. */
	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "PING\n", "PONG\n");
	client_send(fd, nasty);
	r = client_read_line(fd, line, sizeof(line), HARNESS_REPLY_MS);
	ck_assert_msg(r > 0, "no reply to %s: %s", harness_quote(nasty,
	    strlen(nasty)), client_result_name(r));
	out = 5 + (unsigned long long)r;
	close(fd);
	assert_access(&s, acc, port, 2, 5 + strlen(nasty), out,
	    "client closed");
	assert_clean(acc);

	/* Rotated. */
	ck_assert_msg(rename(acc, old) == 0, "rename %s: %s", acc,
	    strerror(errno));
	server_signal(&s, SIGUSR1);
	ck_assert_msg(server_log_wait(&s, "SIGUSR1: log files reopened",
	    HARNESS_READY_MS), "no \"SIGUSR1: log files reopened\" in %s",
	    s.log);
	wait_released(&s, old);
	ck_assert_msg(file_size(acc) == 0, "after SIGUSR1 expected a new, "
	    "empty %s, its size is %ld", acc, file_size(acc));
	fd = client_connect(s.port);
	port = client_local_port(fd);
	client_request(fd, "QUIT\n", "BYE\n");
	client_expect_close(fd, false);
	close(fd);
	assert_access(&s, acc, port, 1, 5, 4, "quit");
	ck_assert_msg(!access_find(old, port, &a, text, sizeof(text)),
	    "the connection after SIGUSR1 was logged in the renamed %s", old);
	server_stop_expect_zero(&s);
}
END_TEST

/*
 * In the child, before exec: JOURNAL_STREAM naming the file its stderr
 * goes to (log_fd's), or with *mismatch another inode.
 */
static void
set_journal_stream(int log_fd, void *arg)
{
	const bool	*mismatch = arg;
	char		 journal[64];
	struct stat	 st;

	if (fstat(log_fd, &st) == -1)
		_exit(127);
	snprintf(journal, sizeof(journal), "%llu:%llu",
	    (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + (*mismatch ? 1 : 0));
	setenv("JOURNAL_STREAM", journal, 1);
}

/*
 * Start forkline args as the harness does, with JOURNAL_STREAM naming its
 * log file (or, with mismatch, another inode): what systemd does for a
 * service whose output goes to the journal.
 */
static void
spawn_journal(struct server *s, const char *const args[], bool mismatch)
{
	server_launch_with(s, args, set_journal_stream, &mismatch);
	/* Listening already (the socket is ours): PING waits for a worker. */
	client_ping_port(s->port);
}

/*
 * Every line is "<N>ROLE LEVEL: text", N the syslog priority of LEVEL:
 * no timestamp, no "forkline[PID]" (the journal records both itself).
 */
static void
assert_journal_lines(const struct server *s)
{
	static const char *const levels[] = {
		[3] = "error", [4] = "warn", [6] = "info", [7] = "debug",
	};
	char	*text = server_log_read(s, NULL), *line, *save = NULL;
	char	 level[8];
	regmatch_t m[4];
	regex_t	 re;
	int	 prio;

	ck_assert_msg(text != NULL, "cannot read %s", s->log);
	ck_assert_int_eq(regcomp(&re, "^<([0-7])>(master|lobby|worker [0-9]+) "
	    "(error|warn|info|debug): ", REG_EXTENDED), 0);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ck_assert_msg(regexec(&re, line, 4, m, 0) == 0, "with "
		    "JOURNAL_STREAM naming stderr, expected every line to be "
		    "\"<N>ROLE LEVEL: ...\" (no timestamp, no forkline[PID]), "
		    "got %s", harness_quote(line, strlen(line)));
		prio = line[1] - '0';
		snprintf(level, sizeof(level), "%.*s",
		    (int)(m[3].rm_eo - m[3].rm_so), line + m[3].rm_so);
		ck_assert_msg(prio < 8 && levels[prio] != NULL &&
		    strcmp(levels[prio], level) == 0, "a line of level %s with "
		    "priority <%d>: %s", level, prio, harness_quote(line,
		    strlen(line)));
	}
	regfree(&re);
	free(text);
}

/*
 * 3. JOURNAL_STREAM naming the server's stderr: every line, from the
 * first, starts with its syslog priority ("<6>" info, "<3>" error, "<7>"
 * debug, from the master and the workers), with no timestamp of ours.
 */
START_TEST(test_journal_priorities)
{
	char		 conf[HARNESS_PATH_MAX];
	const char	*args[] = { "-v", "-c", conf, NULL };
	struct server	 s;

	harness_write_file(conf, sizeof(conf), "journal-", ".conf",
	    "[workers]\nstart = 2\n");
	spawn_journal(&s, args, false);
	ck_assert_msg(server_log_wait(&s, "<7>worker 1 debug: ",
	    HARNESS_READY_MS), "expected the workers' debug lines in %s",
	    s.log);
	harness_rewrite_file(conf, "[workers]\nstart = many\n");
	server_signal(&s, SIGHUP);
	ck_assert_msg(server_log_wait(&s, "still serving generation 1",
	    HARNESS_READY_MS), "no reload error in %s", s.log);
	server_stop_expect_zero(&s);
	assert_journal_lines(&s);
	ck_assert_msg(server_log_contains(&s,
	    "<6>master info: listening on ") &&
	    server_log_contains(&s, "<6>master info: forkline ") &&
	    server_log_contains(&s, "<3>master error: reload: ") &&
	    server_log_contains(&s, "<7>master debug: ") &&
	    server_log_contains(&s, "<7>worker 1 debug: serving"), "expected "
	    "info (<6>, start-up lines too), error (<3>) and debug (<7>) lines "
	    "in %s", s.log);
}
END_TEST

/*
 * 4. JOURNAL_STREAM naming another file: stderr is not the journal, so
 * lines keep their timestamps and have no "<N>".
 */
START_TEST(test_journal_elsewhere)
{
	const char	*args[] = { "-w", "1", NULL };
	char		*text, *line, *save = NULL;
	struct server	 s;

	spawn_journal(&s, args, true);
	server_stop_expect_zero(&s);
	text = server_log_read(&s, NULL);
	ck_assert_msg(text != NULL && strstr(text, " started: ") != NULL,
	    "no start line in %s", s.log);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		ck_assert_msg(line[0] >= '1' && line[0] <= '9' &&
		    strstr(line, "Z forkline[") != NULL, "JOURNAL_STREAM for "
		    "another file: expected timestamped lines, got %s",
		    harness_quote(line, strlen(line)));
	free(text);
}
END_TEST

static Suite *
logs_suite(void)
{
	Suite	*s = suite_create("logs");
	TCase	*tc;

	tc = tcase_create("logs");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_log_file_reopen);
	tcase_add_test(tc, test_access_log);
	tcase_add_test(tc, test_journal_priorities);
	tcase_add_test(tc, test_journal_elsewhere);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(logs_suite);
}
