/*
 * admin: see admin.h. The HTTP side: the socket, the handlers, and the
 * bounds on connections; the pages themselves come from admin_pages.c.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/admin.h"
#include "server/admin_pages.h"

#define ADMIN_BACKLOG		64
#define ADMIN_HEADERS_MAX	8192
#define ADMIN_TIMEOUT_S		5
#define ADMIN_ACCEPT_PAUSE_MS	250	/* after accept fails (EMFILE) */

static void	 on_healthz(struct evhttp_request *, void *);
static void	 on_status(struct evhttp_request *, void *);
static void	 on_metrics(struct evhttp_request *, void *);
static void	 on_other(struct evhttp_request *, void *);
static void	 reply(struct evhttp_request *, int, const char *,
		    const char *, struct evbuffer *);
static bool	 wants_text(struct evhttp_request *);
static int	 inherited_fd(void);
static struct bufferevent *new_conn(struct event_base *, void *);
static void	 on_accept_error(struct evconnlistener *, void *);
static int	 live_conns(const struct admin *);
static int	 tracked_conns(const struct admin *);
static void	 close_conn(struct admin_conn *);
static void	 evict_oldest(struct admin *);
static void	 resume_accepting(struct admin *);
static int	 admin_serve(struct admin *, int, char *, size_t);

/*
 * A HEAD answer has the headers of the GET one and no body: evhttp
 * would send the body, and leave out its length, which breaks the
 * framing of the next answer on a kept-alive connection.
 */
static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *type, struct evbuffer *body)
{
	struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
	char length[32];

	evhttp_add_header(headers, "Content-Type", type);
	evhttp_add_header(headers, "Cache-Control", "no-store");
	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, code, reason, body);
		return;
	}
	snprintf(length, sizeof(length), "%zu", evbuffer_get_length(body));
	evhttp_add_header(headers, "Content-Length", length);
	evhttp_send_reply(req, code, reason, NULL);
}

static void
on_healthz(struct evhttp_request *req, void *arg)
{
	const struct admin *a = arg;
	struct evbuffer *b = evbuffer_new();
	const char *problem = admin_health_problem(a->core, a->sup);

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (problem == NULL) {
		evbuffer_add_printf(b, "ok\n");
		reply(req, HTTP_OK, "OK", "text/plain", b);
	} else {
		evbuffer_add_printf(b, "%s\n", problem);
		reply(req, HTTP_SERVUNAVAIL, "Service Unavailable",
		    "text/plain", b);
	}
	evbuffer_free(b);
}

static bool
wants_text(struct evhttp_request *req)
{
	const char *query = evhttp_uri_get_query(
	    evhttp_request_get_evhttp_uri(req));

	return query != NULL && strcmp(query, "format=text") == 0;
}

static void
on_status(struct evhttp_request *req, void *arg)
{
	const struct admin *a = arg;
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	if (wants_text(req)) {
		admin_status_text(a->core, a->sup, a->parking, b);
		reply(req, HTTP_OK, "OK", "text/plain", b);
	} else {
		admin_status_json(a->core, a->sup, a->parking, b);
		reply(req, HTTP_OK, "OK", "application/json", b);
	}
	evbuffer_free(b);
}

static void
on_metrics(struct evhttp_request *req, void *arg)
{
	const struct admin *a = arg;
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	admin_metrics(a->core, a->sup, a->parking, b);
	reply(req, HTTP_OK, "OK", "text/plain; version=0.0.4", b);
	evbuffer_free(b);
}

static void
on_other(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, HTTP_NOTFOUND, "try /healthz, /status or "
	    "/metrics");
}

/* FORKLINE_UPGRADE_ADMIN_FD, set by an old master's upgrade child. */
static int
inherited_fd(void)
{
	const char *env = getenv("FORKLINE_UPGRADE_ADMIN_FD");
	int fd;

	if (env == NULL)
		return -1;
	fd = (int)strtol(env, NULL, 10);
	unsetenv("FORKLINE_UPGRADE_ADMIN_FD");
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return fd;
}

/* Connections that count against ADMIN_CONNS_MAX: not being closed. */
static int
live_conns(const struct admin *a)
{
	int i, live = 0;

	for (i = 0; i < ADMIN_TRACK_MAX; i++)
		if (a->conns[i].bev != NULL && !a->conns[i].closing)
			live++;
	return live;
}

/* Every bufferevent we hold a reference to, closing or not. */
static int
tracked_conns(const struct admin *a)
{
	int i, n = 0;

	for (i = 0; i < ADMIN_TRACK_MAX; i++)
		if (a->conns[i].bev != NULL)
			n++;
	return n;
}

/* Shut a connection down; evhttp lets go of it, the tick releases it. */
static void
close_conn(struct admin_conn *c)
{
	shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
	c->closing = true;
}

/*
 * Make room for a new connection at the cap: close the one open longest
 * without finishing (a slow or idle client), so that a health check is
 * answered now, not when the slow ones time out.
 */
static void
evict_oldest(struct admin *a)
{
	struct admin_conn *oldest = NULL;
	int i;

	for (i = 0; i < ADMIN_TRACK_MAX; i++) {
		struct admin_conn *c = &a->conns[i];

		if (c->bev != NULL && !c->closing && (oldest == NULL ||
		    c->deadline_ms < oldest->deadline_ms))
			oldest = c;
	}
	if (oldest != NULL)
		close_conn(oldest);
}

/*
 * Each connection gets a tracked bufferevent. At ADMIN_CONNS_MAX open
 * the oldest is closed to make room; the listener stops only when the
 * table of connections still being closed is full, until the tick has
 * released some. (Returning NULL would not refuse a connection: evhttp
 * would make a bufferevent of its own, beyond our sight.)
 */
static struct bufferevent *
new_conn(struct event_base *base, void *arg)
{
	struct admin *a = arg;
	struct bufferevent *bev;
	int i, free_at = -1;

	if (a->accept_failures > 0) {
		log_info("admin: accepting again after %lu failed attempts",
		    a->accept_failures);
		a->accept_failures = 0;
	}
	if (live_conns(a) >= ADMIN_CONNS_MAX)
		evict_oldest(a);
	for (i = 0; i < ADMIN_TRACK_MAX && free_at == -1; i++)
		if (a->conns[i].bev == NULL)
			free_at = i;
	if (free_at == -1)
		return NULL;
	if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	bufferevent_incref(bev);
	a->conns[free_at] = (struct admin_conn){
		.bev = bev,
		.deadline_ms = now_ms() + ADMIN_TIMEOUT_S * 1000,
	};
	if (tracked_conns(a) + 1 >= ADMIN_TRACK_MAX && a->listener != NULL)
		evconnlistener_disable(a->listener);
	return bev;
}

/*
 * accept failed for want of fds or memory: pause, say so once. libevent
 * hands this callback the listener's own argument, which evhttp set to
 * itself, so the endpoint it belongs to is found through erring_admin
 * (there is one endpoint per master).
 */
static struct admin *erring_admin;

static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct admin *a = erring_admin;
	int err = errno;

	(void)arg;

	evconnlistener_disable(lev);
	a->accept_resume_ms = now_ms() + ADMIN_ACCEPT_PAUSE_MS;
	if (a->accept_failures++ == 0)
		log_warnx("admin: accept: %s; pausing admin accepts, retrying "
		    "every %d ms", strerror(err), ADMIN_ACCEPT_PAUSE_MS);
}

/* Accept again once below the limit and past any pause. */
static void
resume_accepting(struct admin *a)
{
	if (a->listener == NULL || tracked_conns(a) + 1 >= ADMIN_TRACK_MAX ||
	    (a->accept_resume_ms != 0 && now_ms() < a->accept_resume_ms))
		return;
	a->accept_resume_ms = 0;
	evconnlistener_enable(a->listener);
}

void
admin_tick(struct admin *a)
{
	bufferevent_data_cb readcb;
	int64_t now = now_ms();
	int i;

	for (i = 0; i < ADMIN_TRACK_MAX; i++) {
		if (a->conns[i].bev == NULL)
			continue;
		bufferevent_getcb(a->conns[i].bev, &readcb, NULL, NULL, NULL);
		if (readcb == NULL) {
			bufferevent_decref(a->conns[i].bev);
			a->conns[i].bev = NULL;
		} else if (now >= a->conns[i].deadline_ms)
			close_conn(&a->conns[i]);
	}
	resume_accepting(a);
}

/* Serve HTTP on fd, with the bounds of admin.h. */
static int
admin_serve(struct admin *a, int fd, char *err, size_t errlen)
{
	struct evhttp_bound_socket *bound;

	if ((a->http = evhttp_new(a->core->base)) == NULL ||
	    (bound = evhttp_accept_socket_with_handle(a->http, fd)) == NULL) {
		snprintf(err, errlen, "cannot serve admin requests on %s",
		    a->sock.addr.text);
		return -1;
	}
	a->listener = evhttp_bound_socket_get_listener(bound);
	erring_admin = a;
	evconnlistener_set_error_cb(a->listener, on_accept_error);
	evhttp_set_bevcb(a->http, new_conn, a);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(a->http, ADMIN_HEADERS_MAX);
	evhttp_set_max_body_size(a->http, 0);
	evhttp_set_timeout(a->http, ADMIN_TIMEOUT_S);
	evhttp_set_cb(a->http, "/healthz", on_healthz, a);
	evhttp_set_cb(a->http, "/status", on_status, a);
	evhttp_set_cb(a->http, "/metrics", on_metrics, a);
	evhttp_set_gencb(a->http, on_other, a);
	return 0;
}

int
admin_open(struct admin *a, const struct core *core,
    const struct supervisor *sup, char *err, size_t errlen)
{
	char why[CONF_ERR_MAX];
	struct net_addr addr;
	int fd;

	memset(a, 0, sizeof(*a));
	a->core = core;
	a->sup = sup;
	a->sock.fd = -1;
	if (strcmp(core->conf.admin_listen, "off") == 0)
		return 0;
	if (net_parse_addr(core->conf.admin_listen, &addr, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "[admin] listen %s", why);
		return -1;
	}
	/* A binary upgrade hands the old master's admin socket over. */
	if ((fd = inherited_fd()) != -1)
		;
	else if ((fd = net_listen(&addr, ADMIN_BACKLOG, 0600, why,
	    sizeof(why))) == -1) {
		/* A unix admin socket (0600) is for the owner only. */
		snprintf(err, errlen, "cannot listen for admin requests on %s",
		    why);
		return -1;
	}
	a->sock.fd = fd;
	a->sock.owned = true;
	if (addr.ss.ss_family == AF_UNIX || net_local_addr(fd,
	    &a->sock.addr) == -1)
		a->sock.addr = addr;
	if (admin_serve(a, fd, err, errlen) == -1)
		return -1;
	log_info("admin endpoint on http://%s/ (healthz, status, metrics)",
	    a->sock.addr.text);
	return 0;
}

void
admin_disown(struct admin *a)
{
	a->sock.owned = false;
}

void
admin_close(struct admin *a)
{
	if (a->http != NULL)
		evhttp_free(a->http);	/* closes the bound socket too */
	a->http = NULL;
	a->listener = NULL;
	erring_admin = NULL;
	admin_tick(a);			/* drop our references */
	if (a->sock.fd != -1 && a->sock.owned &&
	    a->sock.addr.ss.ss_family == AF_UNIX)
		unlink(a->sock.addr.text + strlen("unix:"));
	a->sock.fd = -1;
}
