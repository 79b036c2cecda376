/*
 * base: the harness's directory and files, time, text. See base.h.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/support/base.h"

#define QUOTE_MAX	200
#define SCRATCH_BUFS	6

static void	 no_core_dumps(void);
static int	 remove_entry(const char *path, const struct stat *st,
		    int type, struct FTW *ftw);
static void	 dir_remove(const char *path);

static char	 tmp_dir[HARNESS_PATH_MAX];
static pid_t	 tmp_owner;

/*
 * The tests crash workers on purpose (SIGSEGV, SIGABRT). Without this a
 * machine with core dumps on would collect a core per crash, and writing
 * one stretches the time a test waits for the crash to be seen (memcheck
 * writes its own, some 20 MB, next to its log). Every server the harness
 * starts inherits the limit.
 */
static void
no_core_dumps(void)
{
	struct rlimit	 none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) == -1)
		fprintf(stderr, "harness: setrlimit(RLIMIT_CORE, 0): %s\n",
		    strerror(errno));
}

/*
 * Temporary directory.
 */

void
harness_init(void)
{
	if (tmp_dir[0] != '\0')
		return;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/forkline-test.XXXXXX");
	if (mkdtemp(tmp_dir) == NULL) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", tmp_dir,
		    strerror(errno));
		exit(1);
	}
	tmp_owner = getpid();
	no_core_dumps();
}

void
harness_cleanup(void)
{
	if (tmp_dir[0] == '\0' || getpid() != tmp_owner)
		return;
	if (getenv("FORKLINE_TEST_KEEP") != NULL) {
		fprintf(stderr, "harness: logs kept in %s\n", tmp_dir);
		return;
	}
	dir_remove(tmp_dir);
	tmp_dir[0] = '\0';
}

int
harness_main(Suite *(*make)(void))
{
	SRunner	*sr;
	int	 failed;

	harness_init();
	sr = srunner_create(make());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* The failure messages name logs in the directory: keep them. */
	if (failed > 0)
		setenv("FORKLINE_TEST_KEEP", "1", 1);
	harness_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *
harness_dir(void)
{
	/* Used without harness_init (a unit test): clean up at exit. */
	if (tmp_dir[0] == '\0') {
		harness_init();
		atexit(harness_cleanup);
	}
	return tmp_dir;
}

static int
remove_entry(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) == -1 && errno != ENOENT)
		fprintf(stderr, "harness: remove %s: %s\n", path,
		    strerror(errno));
	return 0;
}

static void
dir_remove(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
harness_open_tmpfile(char *out, size_t outlen, const char *stem,
    const char *suffix)
{
	int	 fd, afd;

	snprintf(out, outlen, "%s/%sXXXXXX%s", harness_dir(), stem, suffix);
	fd = mkstemps(out, (int)strlen(suffix));
	ck_assert_msg(fd != -1, "mkstemps %s: %s", out, strerror(errno));
	afd = open(out, O_WRONLY | O_APPEND | O_CLOEXEC);
	ck_assert_msg(afd != -1, "open %s: %s", out, strerror(errno));
	close(fd);
	return afd;
}

void
harness_write_file(char *out, size_t outlen, const char *stem,
    const char *suffix, const char *text)
{
	size_t	 len = strlen(text);
	int	 fd;

	fd = harness_open_tmpfile(out, outlen, stem, suffix);
	ck_assert_msg(write(fd, text, len) == (ssize_t)len, "write %s: %s",
	    out, strerror(errno));
	close(fd);
}

void
harness_rewrite_file(const char *path, const char *text)
{
	char	 tmp[HARNESS_PATH_MAX + 64];
	size_t	 len = strlen(text);
	int	 fd;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd != -1, "open %s: %s", tmp, strerror(errno));
	ck_assert_msg(write(fd, text, len) == (ssize_t)len, "write %s: %s",
	    tmp, strerror(errno));
	close(fd);
	ck_assert_msg(rename(tmp, path) == 0, "rename %s: %s", tmp,
	    strerror(errno));
}

void
harness_mkdtemp(char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/dXXXXXX", harness_dir());
	ck_assert_msg(mkdtemp(out) != NULL, "mkdtemp %s: %s", out,
	    strerror(errno));
}

void
harness_write_path(const char *path, const char *text, mode_t mode)
{
	size_t	 len = strlen(text);
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ck_assert_msg(fd != -1, "open %s: %s", path, strerror(errno));
	ck_assert_msg(write(fd, text, len) == (ssize_t)len, "write %s: %s",
	    path, strerror(errno));
	close(fd);
}

char *
harness_read_file(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0, cap = 0, n;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			cap = cap * 2 + 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}


int
harness_count(const char *text, const char *needle)
{
	int	 n = 0;

	for (; (text = strstr(text, needle)) != NULL; text += strlen(needle))
		n++;
	return n;
}

/*
 * Time and text.
 */

int64_t
harness_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
harness_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * FORKLINE_TEST_SLOW=N multiplies every limit the harness waits with, for
 * a server that runs N times slower than usual: under valgrind (make
 * check-valgrind) or a sanitizer. 1 by default. Read here only; every
 * wait in the harness (and load.c's reply and log waits) computes its
 * deadline through harness_deadline. load_run's time is not a limit but
 * how long to drive the load, and is not scaled.
 */
int
harness_slow(void)
{
	static int	 factor;
	const char	*env;
	char		*end;
	long		 n;

	if (factor != 0)
		return factor;
	factor = 1;
	if ((env = getenv("FORKLINE_TEST_SLOW")) == NULL || *env == '\0')
		return factor;
	errno = 0;
	n = strtol(env, &end, 10);
	if (errno == 0 && *end == '\0' && n >= 1 && n <= 100)
		factor = (int)n;
	else
		fprintf(stderr, "harness: FORKLINE_TEST_SLOW=%s: expected a "
		    "whole number from 1 to 100; using 1\n", env);
	return factor;
}

int64_t
harness_deadline(int limit_ms)
{
	return harness_now_ms() + (int64_t)limit_ms * harness_slow();
}

void
harness_sleep_ms(int ms)
{
	struct timespec	 ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

bool
harness_wait_until(bool (*pred)(void *), void *arg, int timeout_ms)
{
	int64_t	 deadline = harness_deadline(timeout_ms);

	for (;;) {
		if (pred(arg))
			return true;
		if (harness_now_ms() >= deadline)
			return pred(arg);
		harness_sleep_ms(10);
	}
}

char *
harness_scratch(void)
{
	static char	 bufs[SCRATCH_BUFS][HARNESS_SCRATCH_LEN];
	static int	 next;

	next = (next + 1) % SCRATCH_BUFS;
	return bufs[next];
}

const char *
harness_describe_status(int status)
{
	char	*buf = harness_scratch();

	if (WIFEXITED(status))
		snprintf(buf, HARNESS_SCRATCH_LEN, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, HARNESS_SCRATCH_LEN, "was killed by signal %d "
		    "(%s)%s", WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, HARNESS_SCRATCH_LEN, "has wait status %#x",
		    status);
	return buf;
}

const char *
harness_quote(const void *data, size_t n)
{
	return harness_quote_buf(harness_scratch(), HARNESS_SCRATCH_LEN, data,
	    n);
}

/*
 * Rendered into a local buffer first: QUOTE_MAX bytes of at most 4
 * characters each, the quotes and the count fit in HARNESS_SCRATCH_LEN;
 * a shorter buf gets the start of it.
 */
const char *
harness_quote_buf(char *buf, size_t len, const void *data, size_t n)
{
	const unsigned char	*p = data;
	char			 text[HARNESS_SCRATCH_LEN], *o = text;
	size_t			 i;

	*o++ = '"';
	for (i = 0; i < n; i++) {
		if (p[i] == '\n')
			o += sprintf(o, "\\n");
		else if (p[i] == '\r')
			o += sprintf(o, "\\r");
		else if (p[i] == '"' || p[i] == '\\')
			o += sprintf(o, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			o += sprintf(o, "\\x%02x", p[i]);
		else
			*o++ = (char)p[i];
		if (i + 1 == QUOTE_MAX && n > QUOTE_MAX) {
			o += sprintf(o, "\"... (%zu bytes)", n);
			break;
		}
	}
	if (i == n)
		*o++ = '"';
	*o = '\0';
	snprintf(buf, len, "%s", text);
	return buf;
}
