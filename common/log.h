/*
 * log: one line per event, to stderr, with timestamp, pid, role and level.
 *
 * Every line is written with a single write(2) so lines from the master and
 * its workers, which share stderr, never interleave mid-line.
 *
 * Vocabulary (after OpenBSD's log.c): log_warn adds strerror(errno),
 * log_warnx does not; fatal/fatalx log and exit with the given status.
 */
#ifndef FORKLINE_LOG_H
#define FORKLINE_LOG_H

#include <stdarg.h>
#include <stdnoreturn.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void	 log_init(enum log_level level, const char *role);
void	 log_set_level(enum log_level level);
void	 log_set_role(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
int	 log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

void	 log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void fatal(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
noreturn void fatalx(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
