/*
 * clients: see clients.h.
 *
 * Nothing here asserts: Check's assertions belong to the test's main
 * thread. A thread that cannot even start is reported by clients_start.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/chaos/clients.h"
#include "tests/support/harness.h"

#define SLICE_MS	100	/* how often a blocked client looks at stop */
#define LINE_MAX_LEN	256
#define RECONNECT_MS	10	/* after a failed connect: no busy loop */

struct clients;

struct client {
	struct clients	*set;
	int		 id;
	pthread_t	 thread;
	bool		 started;
	int		 fd;
	char		 in[LINE_MAX_LEN];	/* bytes after the last line */
	size_t		 have;
	pid_t		 pid;		/* serving worker; 0 before INFO */
	int64_t		 since_ms;	/* when INFO named it */
	bool		 identified;	/* INFO answered at least once */
	long		 seq;
	/* Counters, read after the join. */
	long		 requests, connects, byes, by_kind[OUT_NKINDS];
	long		 min_gen, max_gen;
	/* The ending after clients_final (under the set's lock). */
	enum outcome	 end;
	int64_t		 ended_ms;
};

struct clients {
	struct clients_spec	 spec;
	struct client		 c[CLIENTS_MAX];
	atomic_bool		 stop;
	atomic_bool		 final;
	atomic_int		 identified;
	pthread_mutex_t		 lock;		/* errors, endings */
	int			 nended;
	struct chaos_error	 errors[CLIENTS_ERRORS_KEPT];
	int			 nerrors;
};

static void	*client_main(void *arg);
static bool	 client_connect_once(struct client *c);
static enum outcome client_exchange(struct client *c, const char *req,
		    char *line, size_t len);
static enum outcome client_send_text(struct client *c, const char *text);
static enum outcome client_read_reply(struct client *c, char *line,
		    size_t len);
static enum outcome client_identify(struct client *c);
static enum outcome client_loop(struct client *c);
static void	 client_note(struct client *c, enum outcome o,
		    const char *detail);
static bool	 client_end(struct client *c, enum outcome o);
static int	 wait_fd(struct client *c, short events, int64_t deadline);

const char *
outcome_name(enum outcome o)
{
	static const char *const names[OUT_NKINDS] = {
		[OUT_OK] = "ok",
		[OUT_BYE] = "bye",
		[OUT_STOPPED] = "stopped",
		[OUT_CONNECT] = "connect",
		[OUT_EOF] = "eof",
		[OUT_RESET] = "reset",
		[OUT_TIMEOUT] = "timeout",
		[OUT_TRUNCATED] = "truncated",
		[OUT_WRONG] = "wrong-reply",
	};

	return o < OUT_NKINDS ? names[o] : "?";
}

const char *
clients_kinds_text(const struct clients_totals *t)
{
	static char	 buf[256];
	size_t		 off = 0;
	int		 k;

	buf[0] = '\0';
	for (k = OUT_FIRST_ERROR; k < OUT_NKINDS; k++)
		if (t->by_kind[k] > 0)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "%s%s %ld", off > 0 ? ", " : "",
			    outcome_name((enum outcome)k), t->by_kind[k]);
	return off > 0 ? buf : "none";
}

struct clients *
clients_start(const struct clients_spec *spec)
{
	struct clients	*set;
	int		 i, err;

	ck_assert_msg(spec->n >= 1 && spec->n <= CLIENTS_MAX,
	    "clients: %d clients asked, 1..%d possible", spec->n,
	    CLIENTS_MAX);
	set = calloc(1, sizeof(*set));
	ck_assert_msg(set != NULL, "clients: out of memory");
	set->spec = *spec;
	pthread_mutex_init(&set->lock, NULL);
	for (i = 0; i < spec->n; i++) {
		struct client	*c = &set->c[i];

		c->set = set;
		c->id = i;
		c->fd = -1;
		c->min_gen = -1;
		err = pthread_create(&c->thread, NULL, client_main, c);
		if (err != 0) {
			clients_stop(set);
			ck_abort_msg("clients: pthread_create for client %d: "
			    "%s", i, strerror(err));
		}
		c->started = true;
	}
	return set;
}

int
clients_identified(struct clients *c)
{
	return atomic_load(&c->identified);
}

void
clients_final(struct clients *c)
{
	atomic_store(&c->final, true);
}

bool
clients_wait_ended(struct clients *c, int timeout_ms)
{
	int64_t	 deadline = harness_now_ms() + timeout_ms;
	int	 n;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		n = c->nended;
		pthread_mutex_unlock(&c->lock);
		if (n == c->spec.n)
			return true;
		if (harness_now_ms() >= deadline)
			return false;
		harness_sleep_ms(5);
	}
}

enum outcome
clients_ending(const struct clients *c, int i, int64_t *at_ms)
{
	*at_ms = c->c[i].ended_ms;
	return c->c[i].end;
}

void
clients_stop(struct clients *c)
{
	int	 i;

	atomic_store(&c->stop, true);
	for (i = 0; i < c->spec.n; i++)
		if (c->c[i].started) {
			pthread_join(c->c[i].thread, NULL);
			c->c[i].started = false;
		}
}

void
clients_totals(const struct clients *set, struct clients_totals *t)
{
	int	 i, k;

	memset(t, 0, sizeof(*t));
	t->min_generation = -1;
	for (i = 0; i < set->spec.n; i++) {
		const struct client *c = &set->c[i];

		t->requests += c->requests;
		t->connects += c->connects;
		t->byes += c->byes;
		for (k = OUT_FIRST_ERROR; k < OUT_NKINDS; k++) {
			t->by_kind[k] += c->by_kind[k];
			t->errors += c->by_kind[k];
		}
		if (c->min_gen != -1 && (t->min_generation == -1 ||
		    c->min_gen < t->min_generation))
			t->min_generation = c->min_gen;
		if (c->max_gen > t->max_generation)
			t->max_generation = c->max_gen;
	}
}

int
clients_nerrors(const struct clients *c)
{
	return c->nerrors;
}

const struct chaos_error *
clients_error(const struct clients *c, int i)
{
	return &c->errors[i];
}

void
clients_free(struct clients *c)
{
	if (c == NULL)
		return;
	clients_stop(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/*
 * One thread: connect, identify, loop; after an error note it and start
 * over, until told to stop (or, after clients_final, until the first
 * connection ends).
 */
static void *
client_main(void *arg)
{
	struct client	*c = arg;
	enum outcome	 o;

	while (!atomic_load(&c->set->stop)) {
		if (!client_connect_once(c)) {
			const char *why = strerror(errno);

			if (client_end(c, OUT_CONNECT))
				break;
			client_note(c, OUT_CONNECT, why);
			harness_sleep_ms(RECONNECT_MS);
			continue;
		}
		c->connects++;
		o = client_identify(c);
		if (o == OUT_OK)
			o = client_loop(c);
		close(c->fd);
		c->fd = -1;
		c->have = 0;
		if (o == OUT_BYE)
			c->byes++;
		if (o == OUT_STOPPED || client_end(c, o))
			break;
	}
	if (c->fd != -1)
		close(c->fd);
	return NULL;
}

/* After clients_final: note the ending; true when the thread must end. */
static bool
client_end(struct client *c, enum outcome o)
{
	if (!atomic_load(&c->set->final))
		return false;
	pthread_mutex_lock(&c->set->lock);
	c->end = o;
	c->ended_ms = harness_now_ms();
	c->set->nended++;
	pthread_mutex_unlock(&c->set->lock);
	return true;
}

/* A non-blocking socket connected to 127.0.0.1:port, in c->fd. */
static bool
client_connect_once(struct client *c)
{
	struct sockaddr_in	 sin;
	socklen_t		 elen = sizeof(int);
	int			 err = 0;

	c->pid = 0;
	c->have = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (c->fd == -1)
		return false;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)c->set->spec.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (errno != EINPROGRESS)
			err = errno;
		else if (wait_fd(c, POLLOUT, harness_now_ms() +
		    c->set->spec.reply_ms) <= 0)
			err = ETIMEDOUT;
		else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
		    &elen) == -1)
			err = errno;
	}
	if (err != 0) {
		close(c->fd);
		c->fd = -1;
		errno = err;
		return false;
	}
	return true;
}

/* INFO on a fresh connection: learn the worker's pid and generation. */
static enum outcome
client_identify(struct client *c)
{
	char		 line[LINE_MAX_LEN];
	struct info_reply info;
	enum outcome	 o;

	o = client_exchange(c, "INFO\n", line, sizeof(line));
	if (o != OUT_OK)
		return o;
	line[strcspn(line, "\n")] = '\0';
	if (!info_parse(line, &info)) {
		client_note(c, OUT_WRONG, line);
		return OUT_WRONG;
	}
	c->requests++;
	if (!c->identified) {
		c->identified = true;
		atomic_fetch_add(&c->set->identified, 1);
	}
	c->pid = (pid_t)info.pid;
	c->since_ms = harness_now_ms();
	if (c->min_gen == -1 || info.generation < c->min_gen)
		c->min_gen = info.generation;
	if (info.generation > c->max_gen)
		c->max_gen = info.generation;
	return OUT_OK;
}

/* PING and ECHO, each reply checked, until something else happens. */
static enum outcome
client_loop(struct client *c)
{
	char		 req[64], want[64], line[LINE_MAX_LEN];
	enum outcome	 o;

	for (;;) {
		if (c->seq % 2 == 0) {
			snprintf(req, sizeof(req), "PING\n");
			snprintf(want, sizeof(want), "PONG\n");
		} else {
			snprintf(req, sizeof(req), "ECHO c%d-%ld\n", c->id,
			    c->seq);
			snprintf(want, sizeof(want), "c%d-%ld\n", c->id,
			    c->seq);
		}
		o = client_exchange(c, req, line, sizeof(line));
		if (o != OUT_OK)
			return o;
		if (strcmp(line, want) != 0) {
			char	 d[96];

			/* Not harness_quote: its buffers are shared. */
			snprintf(d, sizeof(d), "%.*s -> \"%.*s\"",
			    (int)strcspn(req, "\n"), req,
			    (int)strcspn(line, "\r\n"), line);
			client_note(c, OUT_WRONG, d);
			return OUT_WRONG;
		}
		c->seq++;
		c->requests++;
		if (c->set->spec.pause_ms > 0)
			harness_sleep_ms(c->set->spec.pause_ms);
		if (atomic_load(&c->set->stop))
			return OUT_STOPPED;
	}
}

/*
 * Send req, read one line into line. An error is noted here (with the
 * request) unless the stop or clients_final explains it.
 */
static enum outcome
client_exchange(struct client *c, const char *req, char *line, size_t len)
{
	enum outcome	 o;
	char		 d[96];

	o = client_send_text(c, req);
	if (o == OUT_OK)
		o = client_read_reply(c, line, len);
	if (o == OUT_OK && strcmp(line, "BYE shutting down\n") == 0)
		return OUT_BYE;
	if (o >= OUT_FIRST_ERROR) {
		snprintf(d, sizeof(d), "%.*s", (int)strcspn(req, "\n"), req);
		client_note(c, o, d);
	}
	return o;
}

/* Record an error, unless it is an ending after clients_final. */
static void
client_note(struct client *c, enum outcome o, const char *detail)
{
	struct clients		*set = c->set;
	struct chaos_error	*e;

	if (atomic_load(&set->final))
		return;
	c->by_kind[o]++;
	pthread_mutex_lock(&set->lock);
	if (set->nerrors < CLIENTS_ERRORS_KEPT) {
		e = &set->errors[set->nerrors++];
		e->at_ms = harness_now_ms();
		e->pid = c->pid;
		e->since_ms = c->since_ms;
		e->client = c->id;
		e->kind = o;
		snprintf(e->detail, sizeof(e->detail), "%s", detail);
	}
	pthread_mutex_unlock(&set->lock);
}

/*
 * poll for events until deadline, in slices so that a stop is seen: 1
 * ready, 0 timeout, -1 stopped (or poll failed).
 */
static int
wait_fd(struct client *c, short events, int64_t deadline)
{
	struct pollfd	 pfd = { c->fd, events, 0 };
	int64_t		 left;
	int		 r;

	for (;;) {
		if (atomic_load(&c->set->stop))
			return -1;
		left = deadline - harness_now_ms();
		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
		if (r > 0)
			return 1;
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

static enum outcome
client_send_text(struct client *c, const char *text)
{
	int64_t	 deadline = harness_now_ms() + c->set->spec.reply_ms;
	size_t	 len = strlen(text);
	ssize_t	 n;
	int	 w;

	while (len > 0) {
		n = send(c->fd, text, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			text += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return OUT_RESET;
		if ((w = wait_fd(c, POLLOUT, deadline)) <= 0)
			return w == 0 ? OUT_TIMEOUT : OUT_STOPPED;
	}
	return OUT_OK;
}

/* One line, its '\n' included, NUL-terminated; what follows is kept. */
static enum outcome
client_read_reply(struct client *c, char *line, size_t len)
{
	int64_t	 deadline = harness_now_ms() + c->set->spec.reply_ms;
	char	*nl;
	size_t	 n;
	ssize_t	 got;
	int	 w;

	for (;;) {
		if ((nl = memchr(c->in, '\n', c->have)) != NULL) {
			n = (size_t)(nl - c->in) + 1;
			if (n >= len)
				n = len - 1;
			memcpy(line, c->in, n);
			line[n] = '\0';
			c->have -= (size_t)(nl - c->in) + 1;
			memmove(c->in, nl + 1, c->have);
			return OUT_OK;
		}
		if (c->have == sizeof(c->in)) {
			snprintf(line, len, "%.*s", (int)c->have, c->in);
			return OUT_WRONG;
		}
		got = recv(c->fd, c->in + c->have, sizeof(c->in) - c->have,
		    MSG_DONTWAIT);
		if (got > 0) {
			c->have += (size_t)got;
			continue;
		}
		if (got == 0)
			return c->have > 0 ? OUT_TRUNCATED : OUT_EOF;
		if (errno != EAGAIN && errno != EINTR)
			return OUT_RESET;
		if ((w = wait_fd(c, POLLIN, deadline)) <= 0)
			return w == 0 ? OUT_TIMEOUT : OUT_STOPPED;
	}
}
