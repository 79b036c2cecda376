/*
 * logs: a server's log, its master's lines, log files. See logs.h.
 */
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/logs.h"

#define LOG_LINES_SHOWN	8

static bool	 log_has(void *arg);
static bool	 master_line(const char *line, const char *tag);
static bool	 file_has(void *arg);

char *
server_log_read(const struct server *s, size_t *len)
{
	return harness_read_file(s->log, len);
}

size_t
server_log_size(const struct server *s)
{
	struct stat	 st;

	return stat(s->log, &st) == 0 ? (size_t)st.st_size : 0;
}

bool
server_log_contains(const struct server *s, const char *needle)
{
	char	*text = server_log_read(s, NULL);
	bool	 found = text != NULL && strstr(text, needle) != NULL;

	free(text);
	return found;
}

struct log_wait {
	const struct server	*s;
	const char		*needle;
};

static bool
log_has(void *arg)
{
	struct log_wait	*w = arg;

	return server_log_contains(w->s, w->needle);
}

bool
server_log_wait(const struct server *s, const char *needle, int timeout_ms)
{
	struct log_wait	 w = { s, needle };

	return harness_wait_until(log_has, &w, timeout_ms);
}

static bool
master_line(const char *line, const char *tag)
{
	return strstr(line, tag) != NULL;
}

int
log_count(const struct server *s, const char *needle, size_t from)
{
	char	*text, *line, *save = NULL, tag[64];
	size_t	 len;
	int	 n = 0;

	if ((text = server_log_read(s, &len)) == NULL)
		return 0;
	if (from > len)
		from = len;
	snprintf(tag, sizeof(tag), "forkline[%ld] master ", (long)s->pid);
	for (line = strtok_r(text + from, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (master_line(line, tag) && strstr(line, needle) != NULL)
			n++;
	free(text);
	return n;
}

bool
log_wait_count(const struct server *s, const char *needle, size_t from,
    int n, int timeout_ms)
{
	int64_t	 deadline = harness_deadline(timeout_ms);

	for (;;) {
		if (log_count(s, needle, from) >= n)
			return true;
		if (harness_now_ms() >= deadline)
			return false;
		harness_sleep_ms(10);
	}
}

const char *
log_lines(const struct server *s, const char *needle)
{
	static char	 out[2048];
	char		*text, *line, *save = NULL, tag[64];
	size_t		 off = 0;
	int		 n = 0;

	out[0] = '\0';
	if ((text = server_log_read(s, NULL)) == NULL)
		return "(unreadable log)";
	snprintf(tag, sizeof(tag), "forkline[%ld] master ", (long)s->pid);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (!master_line(line, tag) || strstr(line, needle) == NULL)
			continue;
		if (n++ < LOG_LINES_SHOWN && off < sizeof(out) - 1)
			off += (size_t)snprintf(out + off, sizeof(out) - off,
			    "\n  %.200s", line);
	}
	if (n > LOG_LINES_SHOWN && off < sizeof(out) - 1)
		snprintf(out + off, sizeof(out) - off, "\n  ... (%d lines in "
		    "all)", n);
	free(text);
	return out[0] != '\0' ? out : " (none)";
}

void
log_dir_make(char *out, size_t len)
{
	ck_assert_msg(chmod(harness_dir(), 0711) == 0, "chmod %s: %s",
	    harness_dir(), strerror(errno));
	harness_mkdtemp(out, len);
	ck_assert_msg(chmod(out, 0755) == 0, "chmod %s: %s", out,
	    strerror(errno));
}

int
log_file_count(const char *path, const char *needle)
{
	char	*text = harness_read_file(path, NULL), *p;
	int	 n = 0;

	for (p = text; p != NULL && (p = strstr(p, needle)) != NULL; n++)
		p = strchr(p, '\n') != NULL ? strchr(p, '\n') : p + 1;
	free(text);
	return n;
}

struct file_wait {
	const char	*path;
	const char	*needle;
	int		 n;
};

static bool
file_has(void *arg)
{
	struct file_wait	*w = arg;

	return log_file_count(w->path, w->needle) >= w->n;
}

void
log_file_wait(const char *path, const char *needle, int n,
    const char *what)
{
	struct file_wait	 w = { path, needle, n };
	char			*text;

	if (harness_wait_until(file_has, &w, HARNESS_READY_MS))
		return;
	text = harness_read_file(path, NULL);
	ck_abort_msg("%s: expected %d line%s with \"%s\" in %s within %d ms, "
	    "found %d; the file: %s", what, n, n == 1 ? "" : "s", needle, path,
	    HARNESS_READY_MS, log_file_count(path, needle), text == NULL ?
	    "(missing)" : harness_quote(text, strlen(text)));
}
