/*
 * proc: see proc.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/hot.h"
#include "common/proc.h"

extern char **environ;

static char	*title_start;	/* the argv strings' memory ... */
static size_t	 title_len;	/* ... and how much of it is contiguous */
static char	*env_copy;	/* the environment, moved (see below) */

static int	 int_compare(const void *, const void *);

/*
 * argv[] and environ[] strings sit back to back at the top of the stack.
 * Copy the environment to the heap so the whole span can hold a title; if
 * the copy fails, keep the title within argv's own strings.
 *
 * The copy is one block, the pointer array followed by the strings, held
 * here for the life of the process: unsetenv() (sd_listen_fds, a binary
 * upgrade) drops strings from environ and setenv() may move environ to an
 * array of libc's, but nothing of the block is ever lost or freed.
 */
void
proctitle_init(int argc, char **argv)
{
	char *end, *p;
	char **env;
	size_t size;
	int i, n;

	if (argc < 1 || argv[0] == NULL)
		return;
	title_start = argv[0];
	end = argv[0] + strlen(argv[0]) + 1;
	for (i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	size = sizeof(*env);
	for (n = 0; environ[n] != NULL; n++)
		size += sizeof(*env) + strlen(environ[n]) + 1;
	if (env_copy == NULL && (env_copy = malloc(size)) != NULL) {
		env = (char **)(void *)env_copy;
		p = env_copy + ((size_t)n + 1) * sizeof(*env);
		for (i = 0; i < n; i++) {
			if (environ[i] == end)
				end = environ[i] + strlen(environ[i]) + 1;
			env[i] = p;
			p = stpcpy(p, environ[i]) + 1;
		}
		env[n] = NULL;
		environ = env;
	}
	title_len = (size_t)(end - title_start);
}

void
proctitle_set(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (title_start == NULL || title_len < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(title_start, title_len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Zero the rest so ps does not show the old arguments' tails. */
	if ((size_t)n < title_len)
		memset(title_start + n, 0, title_len - (size_t)n);
}

static int
int_compare(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

void
close_fds_except(const int *keep, int nkeep)
{
	int sorted[64];
	unsigned int from = 3;
	int i, n = nkeep < 64 ? nkeep : 64;

	memcpy(sorted, keep, (size_t)n * sizeof(int));
	qsort(sorted, (size_t)n, sizeof(int), int_compare);
	for (i = 0; i < n; i++) {
		if (sorted[i] < (int)from)
			continue;
		if ((unsigned int)sorted[i] > from)
			close_range(from, (unsigned int)sorted[i] - 1, 0);
		from = (unsigned int)sorted[i] + 1;
	}
	close_range(from, ~0U, 0);
}

void
signals_reset(void)
{
	struct sigaction sa;
	sigset_t all;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		sigaction(sig, &sa, NULL);	/* EINVAL for reserved ones */
	}
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

void
signals_ignore_terminal(void)
{
	static const int sigs[] = { SIGINT, SIGQUIT, SIGHUP, SIGPIPE };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void
format_time(const struct timespec *ts, char *buf, size_t len)
{
	struct tm tm;
	size_t n;

	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts->tv_nsec / 1000000);
}

HOT int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

HOT int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void *
map_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void
unmap_shared(void *p, size_t len)
{
	if (p != NULL)
		munmap(p, len);
}
