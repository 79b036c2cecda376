/*
 * logs: what a server wrote. Its log (stdout and stderr, captured by the
 * harness), the master's lines in it, and log files the server writes by
 * itself ([log] target, access_log).
 */
#ifndef FORKLINE_TEST_LOGS_H
#define FORKLINE_TEST_LOGS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tests/support/server.h"

/* The whole log, as harness_read_file, and searches in it. */
char	*server_log_read(const struct server *s, size_t *len);
size_t	 server_log_size(const struct server *s);
bool	 server_log_contains(const struct server *s, const char *needle);
bool	 server_log_wait(const struct server *s, const char *needle,
	    int timeout_ms);

/* Lines written by the master (tag "forkline[PID] master ") holding
 * needle, in the log from byte offset from on. */
int	 log_count(const struct server *s, const char *needle, size_t from);
/* Wait until log_count(s, needle, from) >= n; false after timeout_ms. */
bool	 log_wait_count(const struct server *s, const char *needle,
	    size_t from, int n, int timeout_ms);
/* The first master lines holding needle and their number, for failure
 * messages; a static buffer. */
const char *log_lines(const struct server *s, const char *needle);

/* Unless cond, fail with the printf-style message, quoting the master
 * lines of s that hold needle. */
#define assert_log(s, cond, needle, ...) do {				\
	if (!(cond)) {							\
		char	 m_[1024];					\
		snprintf(m_, sizeof(m_), __VA_ARGS__);			\
		ck_abort_msg("%s\nmaster log lines with \"%s\":%s\n"	\
		    "(log: %s)", m_, (needle), log_lines((s), (needle)),	\
		    (s)->log);						\
	}								\
} while (0)

/*
 * A fresh directory for log files that the workers' user (nobody) may
 * reach, as /var/log/forkline would be: workers reopen files by path.
 * Its path in out.
 */
void	 log_dir_make(char *out, size_t len);
/* Lines of the file at path holding needle (0 if there is no file). */
int	 log_file_count(const char *path, const char *needle);
/* Wait until path has n lines holding needle; assert with what, quoting
 * the file, otherwise. */
void	 log_file_wait(const char *path, const char *needle, int n,
	    const char *what);

#endif
