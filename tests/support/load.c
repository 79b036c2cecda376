/*
 * load: a load's life, the loop that moves its clients (load_client.c)
 * and the thread that may run it. See load.h and load_int.h.
 *
 * On a thread of its own (load_start) nothing here asserts: Check's
 * assertions belong to the test's thread. What would have failed the test
 * there (a system call of the test's own) stops the thread instead and is
 * asserted by load_stop.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/load_int.h"

#define POLL_MAX_MS	50
#define SLICE_MS	100	/* a thread looks at load_stop this often */

static int	 poll_wait(const struct load *, int64_t, int64_t);
static void	*driver(void *);

struct load *
load_new(const struct load_spec *spec)
{
	struct load	*l;
	int		 i;

	ck_assert_msg(spec->clients >= 1 && spec->clients <= LOAD_CLIENTS_MAX,
	    "load: %d clients (1..%d)", spec->clients, LOAD_CLIENTS_MAX);
	l = calloc(1, sizeof(*l));
	ck_assert_msg(l != NULL, "out of memory");
	l->c = calloc((size_t)spec->clients, sizeof(*l->c));
	l->pfd = calloc((size_t)spec->clients, sizeof(*l->pfd));
	l->who = calloc((size_t)spec->clients, sizeof(*l->who));
	ck_assert_msg(l->c != NULL && l->pfd != NULL && l->who != NULL,
	    "out of memory");
	l->spec = *spec;
	if (l->spec.reply_ms <= 0)
		l->spec.reply_ms = LOAD_REPLY_MS;
	l->res.min_generation = -1;
	for (i = 0; i < spec->clients; i++) {
		l->c[i].id = i;
		l->c[i].fd = -1;
		l->c[i].state = C_READY;
	}
	return l;
}

const char *
load_quote(struct load *l, const void *data, size_t n)
{
	l->nextq = (l->nextq + 1) % LOAD_QUOTES;
	return harness_quote_buf(l->quotes[l->nextq], sizeof(l->quotes[0]),
	    data, n);
}

/* The test's own fault: fail it, or with a thread stop and tell later. */
void
load_fatal(struct load *l, const char *fmt, ...)
{
	char	 msg[sizeof(l->fatal)];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!l->threaded)
		ck_abort_msg("load: %s", msg);
	if (l->fatal[0] == '\0')
		snprintf(l->fatal, sizeof(l->fatal), "%s", msg);
	atomic_store(&l->stop, true);
}

bool
load_done(const struct load *l)
{
	int	 i;

	for (i = 0; i < l->spec.clients; i++)
		if (l->c[i].state != C_DONE)
			return false;
	return true;
}

/* How long poll may sleep: not past end, nor a pause that is over. */
static int
poll_wait(const struct load *l, int64_t now, int64_t end_ms)
{
	int64_t	 wait = end_ms - now;
	int	 i;

	if (wait > POLL_MAX_MS)
		wait = POLL_MAX_MS;
	for (i = 0; i < l->spec.clients; i++)
		if (l->c[i].state == C_READY && l->c[i].retry_at - now < wait)
			wait = l->c[i].retry_at - now;
	return wait > 0 ? (int)wait : 0;
}

bool
load_run(struct load *l, int ms)
{
	int64_t	 now, end_ms;
	int	 i, n, np;

	if (!l->begun) {
		l->begun = true;
		l->started_ms = harness_now_ms();
	}
	end_ms = harness_now_ms() + ms;
	while (!atomic_load(&l->stop)) {
		now = harness_now_ms();
		for (i = 0; i < l->spec.clients; i++)
			load_advance(l, &l->c[i], now);
		if (load_done(l) || now >= end_ms)
			break;
		np = 0;
		for (i = 0; i < l->spec.clients; i++) {
			struct load_client	*c = &l->c[i];
			short			 ev;

			if (c->state == C_CONNECTING || c->state == C_SENDING)
				ev = POLLOUT;
			else if (c->state == C_WAITING)
				ev = POLLIN;
			else
				continue;
			l->pfd[np] = (struct pollfd){ c->fd, ev, 0 };
			l->who[np++] = i;
		}
		n = poll(l->pfd, (nfds_t)np, poll_wait(l, now, end_ms));
		if (n == -1 && errno != EINTR) {
			load_fatal(l, "poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < np && n > 0; i++)
			if (l->pfd[i].revents != 0)
				load_on_event(l, &l->c[l->who[i]]);
	}
	return load_done(l);
}

static void *
driver(void *arg)
{
	struct load	*l = arg;

	while (!atomic_load(&l->stop) && !load_run(l, SLICE_MS))
		;
	return NULL;
}

void
load_start(struct load *l)
{
	int	 err;

	ck_assert_msg(!l->threaded, "load_start: already started");
	l->threaded = true;
	if ((err = pthread_create(&l->thread, NULL, driver, l)) != 0) {
		l->threaded = false;
		ck_abort_msg("load_start: pthread_create: %s", strerror(err));
	}
}

void
load_stop(struct load *l)
{
	if (!l->threaded)
		return;
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
	l->threaded = false;
	ck_assert_msg(l->fatal[0] == '\0', "load: %s", l->fatal);
}

int
load_identified(const struct load *l)
{
	return atomic_load(&l->identified);
}

void
load_final(struct load *l)
{
	atomic_store(&l->final, true);
}

bool
load_wait_ended(const struct load *l, int timeout_ms)
{
	int64_t	 deadline = harness_now_ms() + timeout_ms;

	for (;;) {
		if (atomic_load(&l->nended) == l->spec.clients)
			return true;
		if (harness_now_ms() >= deadline)
			return false;
		harness_sleep_ms(5);
	}
}

void
load_free(struct load *l)
{
	int	 i;

	if (l == NULL)
		return;
	load_stop(l);
	for (i = 0; i < l->spec.clients; i++)
		if (l->c[i].fd != -1)
			close(l->c[i].fd);
	free(l->errors);
	free(l->pfd);
	free(l->who);
	free(l->c);
	free(l);
}
