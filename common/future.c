/*
 * future: see future.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/future.h"
#include "common/proc.h"

#define READ_CHUNK	4096
#define KEEP_MAX	63

static void	 child_run(const struct future_spec *, int, int,
		    future_child_fn, void *);
static void	 take_records(struct future *, const unsigned char *, size_t);
static void	 take_output(struct future *, const unsigned char *, size_t);
static void	 set_result(struct future *, int);
static void	 complete_if_ready(struct future *);
static int	 wait_pipe_or_exit(struct future *, int, int64_t);
static void	 get_cancel(struct future *, int, int64_t);

/*
 * In the child: keep only the write end and the fds asked for, so one
 * child never holds another's pipe (its EOF would never come).
 */
static void
child_run(const struct future_spec *spec, int rfd, int wfd,
    future_child_fn fn, void *arg)
{
	int keep[KEEP_MAX + 1];
	int i, n = spec->nkeep < KEEP_MAX ? spec->nkeep : KEEP_MAX;

	(void)rfd;
	signals_reset();
	for (i = 0; i < n; i++)
		keep[i] = spec->keep_fds[i];
	keep[n] = wfd;
	close_fds_except(keep, n + 1);
	fn(wfd, arg);
	_exit(0);
}

void
future_init(struct future *f)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

int
future_spawn(struct future *f, const struct future_spec *spec,
    future_child_fn fn, void *arg)
{
	sigset_t all, old;
	int fds[2], saved;

	future_init(f);
	f->spec = *spec;
	if (spec->type == FUTURE_RECORDS) {
		if (spec->record_size == 0 || spec->record_size > PIPE_BUF) {
			errno = EINVAL;
			return -1;
		}
		f->cap = spec->record_size;
	} else
		f->cap = spec->max_output + 1;	/* room for the NUL */
	if ((f->buf = malloc(f->cap)) == NULL)
		return -1;
	f->buf[0] = '\0';	/* a STRING with no output yet is "" */
	if (pipe2(fds, O_CLOEXEC) == -1)
		goto fail;
	fflush(NULL);	/* or the child would write our stdio buffers too */
	/*
	 * Every signal stays blocked from before the fork until the child
	 * has reset its handlers (child_run; signals_reset unblocks them
	 * last). Until then the child has the caller's handlers and fds: a
	 * signal sent to it the moment it exists would run the caller's
	 * handler in the child. libevent's handler writes the signal's
	 * number to a socketpair that the child shares with the master's
	 * loop, so the master would read a SIGTERM meant for a worker just
	 * forked (a reload undone in the tick that restarted the worker) as
	 * a SIGTERM of its own, and stop. Blocked, the signal waits for the
	 * default disposition and acts on the child alone.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	f->pid = fork();
	if (f->pid == 0)
		child_run(spec, fds[0], fds[1], fn, arg);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (f->pid == -1) {
		close(fds[0]);
		close(fds[1]);
		errno = saved;
		goto fail;
	}
	close(fds[1]);
	f->fd = fds[0];
	if (fcntl(f->fd, F_SETFL, O_NONBLOCK) == -1)
		abort();	/* cannot fail on a fresh pipe */
	return 0;
fail:
	saved = errno;
	free(f->buf);
	f->buf = NULL;
	errno = saved;
	return -1;
}

/* Complete the partial record first, then whole ones, keep the tail. */
static void
take_records(struct future *f, const unsigned char *data, size_t n)
{
	size_t size = f->spec.record_size, need;

	if (f->len > 0) {
		need = size - f->len;
		if (n < need) {
			memcpy(f->buf + f->len, data, n);
			f->len += n;
			return;
		}
		memcpy(f->buf + f->len, data, need);
		f->len = 0;
		data += need;
		n -= need;
		f->spec.on_record(f, f->buf, f->spec.arg);
	}
	for (; n >= size; data += size, n -= size) {
		/* Copy out: the callback may rely on the record's alignment. */
		memcpy(f->buf, data, size);
		f->spec.on_record(f, f->buf, f->spec.arg);
	}
	memcpy(f->buf, data, n);
	f->len = n;
}

static void
take_output(struct future *f, const unsigned char *data, size_t n)
{
	size_t room = f->spec.max_output - f->len;

	if (n > room) {
		f->truncated = true;
		n = room;
	}
	memcpy(f->buf + f->len, data, n);
	f->len += n;
	f->buf[f->len] = '\0';
}

enum future_io
future_buffer(struct future *f)
{
	unsigned char chunk[READ_CHUNK];
	ssize_t n;

	if (f->fd == -1)
		return FUTURE_EOF;
	for (;;) {
		n = read(f->fd, chunk, sizeof(chunk));
		if (n > 0) {
			if (f->spec.type == FUTURE_RECORDS)
				take_records(f, chunk, (size_t)n);
			else
				take_output(f, chunk, (size_t)n);
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return FUTURE_AGAIN;
		return FUTURE_ERROR;
	}
	close(f->fd);
	f->fd = -1;
	f->eof = true;
	complete_if_ready(f);
	return FUTURE_EOF;
}

static void
set_result(struct future *f, int status)
{
	memset(&f->result, 0, sizeof(f->result));
	if (WIFEXITED(status)) {
		f->result.exited = true;
		f->result.code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		f->result.signaled = true;
		f->result.signal = WTERMSIG(status);
		f->result.core_dumped = WCOREDUMP(status) != 0;
	}
	f->reaped = true;
	f->kill_at_ms = 0;
}

int
future_reap(struct future *f)
{
	pid_t r;
	int status;

	if (f->reaped)
		return 1;
	do {
		r = waitpid(f->pid, &status, WNOHANG);
	} while (r == -1 && errno == EINTR);
	if (r <= 0)
		return r;
	set_result(f, status);
	complete_if_ready(f);
	return 1;
}

static void
complete_if_ready(struct future *f)
{
	if (f->done || !f->eof || !f->reaped)
		return;
	f->done = true;
	if (f->spec.on_done != NULL)
		f->spec.on_done(f, &f->result, f->spec.arg);
}

void
future_abandon_output(struct future *f)
{
	if (f->fd != -1) {
		close(f->fd);
		f->fd = -1;
	}
	f->eof = true;
	complete_if_ready(f);
}

int
future_collect(struct future *f)
{
	int r = future_reap(f);

	if (r == 1 && !f->done && future_buffer(f) != FUTURE_EOF)
		future_abandon_output(f);
	return r;
}

void
future_cancel(struct future *f, int64_t grace_ms)
{
	if (f->reaped)
		return;
	kill(f->pid, SIGTERM);
	f->kill_at_ms = now_ms() + grace_ms;
}

void
future_cancel_tick(struct future *f)
{
	if (!f->reaped && f->kill_at_ms != 0 && now_ms() >= f->kill_at_ms) {
		kill(f->pid, SIGKILL);
		f->kill_at_ms = 0;
	}
}

/*
 * After the child is gone, how long to wait for EOF before deciding that a
 * grandchild holds the write end.
 */
#define ORPHAN_PIPE_LINGER_MS	100

/* Wait for the pipe or the child; 0 on timeout, 1 otherwise. */
static int
wait_pipe_or_exit(struct future *f, int pidfd, int64_t deadline)
{
	/* Once reaped, the pidfd stays readable: leave it out or we spin. */
	struct pollfd pfd[2] = {
		{ .fd = f->reaped ? -1 : pidfd, .events = POLLIN },
		{ .fd = f->fd, .events = POLLIN },
	};
	int64_t left = deadline - now_ms();
	int n;

	if (left <= 0)
		return 0;
	n = poll(pfd, f->fd == -1 ? 1 : 2, left > INT_MAX ? INT_MAX :
	    (int)left);
	return n == 0 ? 0 : 1;	/* EINTR and errors: look again */
}

/*
 * Kill the child after its grace period and wait for it. With a pidfd the
 * waits below are bounded and involve no polling loop.
 */
static void
get_cancel(struct future *f, int pidfd, int64_t grace_ms)
{
	int64_t deadline;

	future_cancel(f, grace_ms);
	deadline = f->kill_at_ms;
	while (future_reap(f) == 0) {
		if (wait_pipe_or_exit(f, pidfd, deadline) == 0 ||
		    now_ms() >= deadline) {
			kill(f->pid, SIGKILL);
			deadline = now_ms() + 60000;
		}
		future_buffer(f);	/* keep the pipe from filling */
	}
}

int
future_get(struct future *f, int64_t timeout_ms, int64_t grace_ms)
{
	int64_t deadline = now_ms() + timeout_ms, linger = 0;
	int pidfd;

	if ((pidfd = (int)syscall(SYS_pidfd_open, f->pid, 0)) == -1)
		return -1;
	while (!f->done) {
		if (future_buffer(f) == FUTURE_ERROR)
			break;
		if (future_reap(f) == 1 && !f->eof) {
			if (linger == 0)
				linger = now_ms() + ORPHAN_PIPE_LINGER_MS;
			else if (now_ms() >= linger)
				future_abandon_output(f);
		}
		if (f->done)
			break;
		if (wait_pipe_or_exit(f, pidfd, linger != 0 && linger < deadline
		    ? linger : deadline) == 0 && now_ms() >= deadline) {
			get_cancel(f, pidfd, grace_ms);
			future_abandon_output(f);
			close(pidfd);
			errno = ETIMEDOUT;
			return -1;
		}
	}
	close(pidfd);
	return f->done ? 0 : -1;
}

const void *
future_output(const struct future *f, size_t *len)
{
	if (len != NULL)
		*len = f->spec.type == FUTURE_RECORDS ? 0 : f->len;
	return f->buf;
}

void
future_free(struct future *f)
{
	if (f->fd != -1)
		close(f->fd);
	f->fd = -1;
	free(f->buf);
	f->buf = NULL;
}

void
future_describe(const struct future_result *r, char *buf, size_t len)
{
	if (r->exited)
		snprintf(buf, len, "exited with status %d", r->code);
	else if (r->signaled)
		snprintf(buf, len, "killed by signal %d (%s)%s", r->signal,
		    strsignal(r->signal), r->core_dumped ? ", core dumped" :
		    "");
	else
		snprintf(buf, len, "ended in an unknown way");
}
