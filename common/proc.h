/*
 * proc: process housekeeping shared by the master and its workers.
 */
#ifndef FORKLINE_PROC_H
#define FORKLINE_PROC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Process titles as ps(1) shows them ("forkline: worker 3"). proctitle_init
 * must run first thing in main: it moves the environment out of the way so
 * the argv area can be overwritten.
 */
void	 proctitle_init(int argc, char **argv);
void	 proctitle_set(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* len bytes of zeroed memory that the children forked after this call
 * share with the caller (the idle page, the beats, the fault board).
 * NULL with errno set. */
void	*map_shared(size_t len);
void	 unmap_shared(void *p, size_t len);

/* Close every fd >= 3 except those in keep[0..nkeep). */
void	 close_fds_except(const int *keep, int nkeep);

/* Restore the default disposition of every catchable signal and unblock
 * all: a forked child must not run the master's handlers. */
void	 signals_reset(void);

/*
 * A child of the master (worker, lobby): ignore SIGINT, SIGQUIT, SIGHUP
 * and SIGPIPE. The master decides about stops, and a Ctrl-C or Ctrl-\ at
 * the terminal reaches the whole process group, children included.
 */
void	 signals_ignore_terminal(void);

/* "2026-11-22T13:45:01.123Z": UTC, milliseconds, sortable. */
struct timespec;
void	 format_time(const struct timespec *ts, char *buf, size_t len);

/* Monotonic clock in milliseconds, and in microseconds. */
int64_t	 now_ms(void);
int64_t	 now_us(void);

#endif
