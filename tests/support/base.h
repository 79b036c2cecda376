/*
 * base: what every part of the test harness stands on. One temporary
 * directory per test binary and the files in it, the clock and the limits
 * the harness waits with, and text for failure messages.
 *
 * Everything that fails calls ck_assert_msg with a message saying what was
 * expected and what happened, so a test reads as a list of steps.
 *
 * Temporary files (logs, configs, captured output, unix sockets) live in one
 * directory per test binary: harness_init() creates it in main() before the
 * runner forks the tests, harness_cleanup() removes it with its contents
 * (harness_main() does both around running the suite).
 */
#ifndef FORKLINE_TEST_BASE_H
#define FORKLINE_TEST_BASE_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HARNESS_PATH_MAX	256
#define HARNESS_READY_MS	10000	/* server readiness */
#define HARNESS_STOP_MS		20000	/* SIGTERM to exit, in server_stop */
#define HARNESS_REPLY_MS	10000	/* one reply line */
#define HARNESS_MAX_PIDS	1024	/* children of a large dynamic pool */
#define HARNESS_SCRATCH_LEN	1024	/* one buffer of harness_scratch */

/* Directory and temporary files. */
void	 harness_init(void);
void	 harness_cleanup(void);
/*
 * A suite binary's main(): harness_init, run the suite make() returns
 * (CK_NORMAL), harness_cleanup. EXIT_SUCCESS if no test failed; if one
 * did, the directory is kept (as with FORKLINE_TEST_KEEP), since the
 * failure messages name the logs in it.
 */
int	 harness_main(Suite *(*make)(void));
const char *harness_dir(void);
/*
 * Create "<dir>/<stem>XXXXXX<suffix>", its path in out; returns an
 * O_WRONLY|O_APPEND fd on it (close-on-exec).
 */
int	 harness_open_tmpfile(char *out, size_t outlen, const char *stem,
	    const char *suffix);
/* Write text to a new file "<dir>/<stem>XXXXXX<suffix>"; path in out. */
void	 harness_write_file(char *out, size_t outlen, const char *stem,
	    const char *suffix, const char *text);
/* Create or truncate path with mode, and write text to it. */
void	 harness_write_path(const char *path, const char *text, mode_t mode);
/*
 * Replace path's contents the way an editor or a deployment tool does:
 * write "<path>.new" and rename it over path, so a reader never sees half
 * a file.
 */
void	 harness_rewrite_file(const char *path, const char *text);
/* The whole file, NUL-terminated (free it), length in *len unless len is
 * NULL; NULL if unreadable. */
char	*harness_read_file(const char *path, size_t *len);
/* A fresh subdirectory of the harness directory; path in out. */
void	 harness_mkdtemp(char *out, size_t outlen);

/* How many times needle occurs in text (non-overlapping). */
int	 harness_count(const char *text, const char *needle);

/* Time. */
int64_t	 harness_now_ms(void);		/* monotonic */
/* The same clock in microseconds: for delays a test measures to the
 * millisecond or below, where whole milliseconds would round away. */
int64_t	 harness_now_us(void);
/*
 * Every limit the harness waits with (the HARNESS_*_MS above, and each
 * timeout_ms argument of the harness) is multiplied by FORKLINE_TEST_SLOW
 * (a whole number, 1 unless set), for a server that runs that many times
 * slower: under valgrind or a sanitizer. harness_slow returns the factor,
 * harness_deadline the monotonic time limit_ms (scaled) from now. Times
 * a test measures itself are not scaled.
 */
int	 harness_slow(void);
int64_t	 harness_deadline(int limit_ms);
void	 harness_sleep_ms(int ms);
/*
 * Call pred(arg) every 10 ms until it returns true or timeout_ms passes.
 * Returns the last result.
 */
bool	 harness_wait_until(bool (*pred)(void *), void *arg, int timeout_ms);

/*
 * Text for messages. The results are in rotating static buffers (six of
 * HARNESS_SCRATCH_LEN bytes, harness_scratch hands out the next one), so
 * several fit in one message; only the test's main thread may use them.
 */
char	*harness_scratch(void);
/* "exited with status 3", "was killed by signal 9 (Killed)" ... */
const char *harness_describe_status(int status);
/* Printable rendering of n bytes ("\r", "\n", "\xNN"), cut after ~200. */
const char *harness_quote(const void *data, size_t n);
/* The same into buf (len bytes), for another thread than the test's. */
const char *harness_quote_buf(char *buf, size_t len, const void *data,
	    size_t n);

#endif
