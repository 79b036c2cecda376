/*
 * log: see log.h. A line is formatted into one stack buffer and written with
 * a single write(2): the master and every worker share stderr, and a pipe or
 * the journal keeps each write of up to PIPE_BUF bytes in one piece.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define LOG_LINE_MAX	2048
#define LOG_ROLE_MAX	32

static enum log_level	 log_level = LOG_LEVEL_INFO;
static char		 log_role[LOG_ROLE_MAX] = "master";

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static void	 log_emit(enum log_level, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));
static size_t	 log_timestamp(char *, size_t);

void
log_init(enum log_level level, const char *role)
{
	log_level = level;
	snprintf(log_role, sizeof(log_role), "%s", role);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_set_role(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(log_role, sizeof(log_role), fmt, ap);
	va_end(ap);
}

int
log_level_parse(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((size_t)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "unknown";
	return level_names[level];
}

/* "2026-11-22T13:45:01.123Z": UTC with milliseconds, sortable. */
static size_t
log_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, len - n, ".%03ldZ",
	    ts.tv_nsec / 1000000);
	return n < len ? n : len - 1;
}

/*
 * errnum >= 0 appends ": strerror(errnum)". Over-long messages are cut, never
 * split across writes. errno is preserved for the caller.
 */
static void
log_emit(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n, room;
	int saved_errno = errno;
	int r;

	if (level > log_level)
		return;
	n = log_timestamp(line, sizeof(line));
	room = sizeof(line) - 1 - n;	/* keep one byte for "\n" */
	r = snprintf(line + n, room, " forkline[%ld] %s %s: ", (long)getpid(),
	    log_role, level_names[level]);
	n += r > 0 && (size_t)r < room ? (size_t)r : room - 1;
	room = sizeof(line) - 1 - n;
	r = vsnprintf(line + n, room, fmt, ap);
	n += r > 0 && (size_t)r < room ? (size_t)r : (r > 0 ? room - 1 : 0);
	if (errnum >= 0) {
		room = sizeof(line) - 1 - n;
		r = snprintf(line + n, room, ": %s", strerror(errnum));
		n += r > 0 && (size_t)r < room ? (size_t)r : (r > 0 ? room - 1 : 0);
	}
	line[n++] = '\n';
	/* Nothing sensible to do if stderr is gone. */
	if (write(STDERR_FILENO, line, n) < 0)
		(void)0;
	errno = saved_errno;
}

#define LOG_FN(name, level, with_errno)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list ap;						\
	int errnum = (with_errno) ? errno : -1;			\
								\
	va_start(ap, fmt);					\
	log_emit(level, errnum, fmt, ap);			\
	va_end(ap);						\
}

LOG_FN(log_error, LOG_LEVEL_ERROR, 1)
LOG_FN(log_errorx, LOG_LEVEL_ERROR, 0)
LOG_FN(log_warn, LOG_LEVEL_WARN, 1)
LOG_FN(log_warnx, LOG_LEVEL_WARN, 0)
LOG_FN(log_info, LOG_LEVEL_INFO, 0)
LOG_FN(log_debug, LOG_LEVEL_DEBUG, 0)

void
fatal(int status, const char *fmt, ...)
{
	va_list ap;
	int errnum = errno;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, errnum, fmt, ap);
	va_end(ap);
	exit(status);
}

void
fatalx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, -1, fmt, ap);
	va_end(ap);
	exit(status);
}
