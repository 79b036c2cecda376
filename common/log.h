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
#include <stdbool.h>
#include <stddef.h>
#include <stdnoreturn.h>
#include <sys/types.h>

#include "common/log_level.h"

void	 log_init(enum log_level level, const char *role);

/*
 * Choose where lines go: "stderr" (with "<N>" syslog priority prefixes
 * when JOURNAL_STREAM says stderr is the journal), "syslog" (facility
 * daemon), or an absolute file path, opened for appending (created with
 * mode 0640, owned by uid/gid when those are not -1, so a worker running
 * as that user can reopen it). Returns 0, or -1 with a reason in err.
 */
int	 log_open(const char *target, uid_t uid, gid_t gid, char *err,
	    size_t errlen);

/*
 * A live status line at the bottom of a terminal (stderr target only):
 * log lines clear it, print, and draw it again. NULL ends it. In a
 * forked child the line is only cleared, never drawn: the master redraws.
 */
void	 log_set_live(const char *text);

/* While on, lines also go to stderr (start-up, before detaching). */
void	 log_mirror_stderr(bool on);

/* Reopen a file target (after logrotate moved it). 0, or -1 with errno. */
int	 log_reopen(void);

/*
 * A child's own log file (the access log) after a rotation: open path
 * again (appending, not through a symlink) onto fd, whose number its
 * writers keep. -1 with errno set; fd is then untouched.
 */
int	 log_reopen_at(int fd, const char *path);

/* The file target's fd, for the keep list of a forked worker; else -1. */
int	 log_fd(void);

/* In a forked child: syslog needs its own connection. */
void	 log_after_fork(void);
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
