/*
 * master: the event loop. Signals arrive as libevent events, so their
 * callbacks run in the loop and may fork, reap and log freely.
 *
 * Stopping follows libdill's grace period: close the lifeline (every worker
 * sees EOF, finishes the request in hand, says goodbye and exits), wait up
 * to grace_period, then SIGKILL whatever is left. The master exits once the
 * last worker is reaped: no zombies, no orphans.
 */
#include <errno.h>
#include <fcntl.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/master.h"

#define EXIT_OSERR	71

static void	 on_signal(evutil_socket_t, short, void *);
static void	 on_restart_timer(evutil_socket_t, short, void *);
static void	 on_grace_timer(evutil_socket_t, short, void *);
static void	 stop_graceful(struct master *, const char *);
static void	 stop_now(struct master *, const char *);
static int	 add_signal(struct master *, int);
static int	 master_init(struct master *, struct conf *);
static void	 master_free(struct master *);

static const int handled_signals[] = {
	SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2,
	SIGTTIN, SIGTTOU,
};

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct master *m = arg;

	(void)what;
	switch (sig) {
	case SIGCHLD:
		supervise_reap(m);
		break;
	case SIGTERM:
		stop_graceful(m, "SIGTERM");
		break;
	case SIGINT:
		/* A second Ctrl-C means "now". */
		if (m->state == MASTER_STOPPING)
			stop_now(m, "second SIGINT");
		else
			stop_graceful(m, "SIGINT");
		break;
	case SIGQUIT:
		stop_now(m, "SIGQUIT");
		break;
	default:
		log_warnx("%s received: not supported in this version; "
		    "ignored", sigabbrev_np((int)sig) ? sigabbrev_np((int)sig) :
		    "signal");
		break;
	}
}

static void
on_restart_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	supervise_restart_due(arg);
}

static void
on_grace_timer(evutil_socket_t fd, short what, void *arg)
{
	struct master *m = arg;

	(void)fd;
	(void)what;
	log_warnx("grace period of %lld ms over: killing %d worker%s still "
	    "busy", (long long)m->conf->grace_period_ms, supervise_running(m),
	    supervise_running(m) == 1 ? "" : "s");
	supervise_signal_all(m, SIGKILL);
}

/* Drop the lifeline's write end: EOF for every worker at once. */
static void
close_lifeline(struct master *m)
{
	if (m->lifeline[1] != -1) {
		close(m->lifeline[1]);
		m->lifeline[1] = -1;
	}
}

static void
stop_graceful(struct master *m, const char *why)
{
	struct timeval tv;

	if (m->state != MASTER_RUNNING)
		return;
	m->state = MASTER_STOPPING;
	log_info("%s: stopping gracefully (grace period %lld ms, %d "
	    "workers)", why, (long long)m->conf->grace_period_ms,
	    supervise_running(m));
	evtimer_del(m->restart_timer);
	close_lifeline(m);
	tv.tv_sec = m->conf->grace_period_ms / 1000;
	tv.tv_usec = (m->conf->grace_period_ms % 1000) * 1000;
	evtimer_add(m->grace_timer, &tv);
	master_worker_gone(m);
}

static void
stop_now(struct master *m, const char *why)
{
	if (m->state == MASTER_QUITTING)
		return;
	m->state = MASTER_QUITTING;
	log_info("%s: stopping now", why);
	evtimer_del(m->restart_timer);
	evtimer_del(m->grace_timer);
	close_lifeline(m);
	supervise_signal_all(m, SIGKILL);
	master_worker_gone(m);
}

/* While stopping: leave the loop once no worker is left. */
void
master_worker_gone(struct master *m)
{
	if (m->state != MASTER_RUNNING && supervise_running(m) == 0)
		event_base_loopbreak(m->base);
}

static int
add_signal(struct master *m, int sig)
{
	struct event *ev;

	ev = evsignal_new(m->base, sig, on_signal, m);
	if (ev == NULL || evsignal_add(ev, NULL) == -1) {
		log_errorx("cannot install a handler for %s",
		    sigabbrev_np(sig));
		if (ev != NULL)
			event_free(ev);
		return -1;
	}
	m->signals[m->nsignals++] = ev;
	return 0;
}

static int
master_init(struct master *m, struct conf *conf)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->conf = conf;
	m->pid = getpid();
	m->generation = 1;
	m->lifeline[0] = m->lifeline[1] = -1;
	signal(SIGPIPE, SIG_IGN);

	if ((m->base = event_base_new()) == NULL) {
		log_errorx("cannot create the event loop");
		return -1;
	}
	for (i = 0; i < sizeof(handled_signals) / sizeof(handled_signals[0]);
	    i++)
		if (add_signal(m, handled_signals[i]) == -1)
			return -1;
	m->restart_timer = evtimer_new(m->base, on_restart_timer, m);
	m->grace_timer = evtimer_new(m->base, on_grace_timer, m);
	if (m->restart_timer == NULL || m->grace_timer == NULL) {
		log_errorx("cannot create timers");
		return -1;
	}
	if (pipe2(m->lifeline, O_CLOEXEC) == -1) {
		log_error("pipe2 for the lifeline");
		return -1;
	}
	if (listeners_open(m) == -1)
		return -1;
	if (supervise_init(m) == -1) {
		log_error("allocating %d worker slots", conf->workers);
		return -1;
	}
	return 0;
}

/* Tear down in the reverse order of master_init. */
static void
master_free(struct master *m)
{
	int i;

	supervise_free(m);
	listeners_close(m);
	close_lifeline(m);
	if (m->lifeline[0] != -1)
		close(m->lifeline[0]);
	if (m->grace_timer != NULL)
		event_free(m->grace_timer);
	if (m->restart_timer != NULL)
		event_free(m->restart_timer);
	for (i = 0; i < m->nsignals; i++)
		event_free(m->signals[i]);
	if (m->base != NULL)
		event_base_free(m->base);
}

int
master_run(struct conf *conf)
{
	struct master m;
	int status = 0;

	proctitle_set("forkline: master");
	if (master_init(&m, conf) == -1) {
		master_free(&m);
		return EXIT_OSERR;
	}
	log_info("forkline %s started: %d workers, %s protocol",
	    FORKLINE_VERSION, conf->workers,
	    conf_protocol_name(conf->protocol));
	supervise_start_all(&m);
	if (event_base_dispatch(m.base) == -1) {
		log_errorx("event loop failed");
		status = EXIT_OSERR;
	}
	log_info("stopped");
	master_free(&m);
	return status;
}
