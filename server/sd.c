/*
 * sd: telling the service manager (systemd's sd_notify protocol) what the
 * master is doing. Every call is harmless when NOTIFY_SOCKET is not set.
 *
 *   READY=1             once min_ready workers have reported ready
 *   STATUS=...          every few seconds: workers, connections, req/s
 *   RELOADING=1 + MONOTONIC_USEC   on SIGHUP; READY=1 when it is over
 *   STOPPING=1          on a stop, with EXTEND_TIMEOUT_USEC for the drain
 *   WATCHDOG=1          at half of WATCHDOG_USEC, from the event loop, so
 *                       it stops if the loop stops
 *   MAINPID=            from a new master after a binary upgrade
 */
#include <event2/event.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/master.h"

#define STATUS_INTERVAL_MS	5000
/* Beyond the grace period, for the master's own exit. */
#define STOP_SLACK_MS		5000

static void	 on_status(evutil_socket_t, short, void *);
static void	 on_watchdog(evutil_socket_t, short, void *);
static void	 notify(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
static int	 serving(const struct master *);
static void	 status_text(struct master *, char *, size_t);

static void
notify(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((r = sd_notify(0, buf)) < 0)
		log_warnx("sd_notify(%s): %s", buf, strerror(-r));
}

static int
serving(const struct master *m)
{
	return supervise_count(m, SLOT_IDLE, m->generation) +
	    supervise_count(m, SLOT_BUSY, m->generation);
}

/* "4 workers (1 busy, 3 idle), 1834 connections, 52 req/s, 0 restarts" */
static void
status_text(struct master *m, char *buf, size_t len)
{
	struct totals t;
	int64_t now = now_ms(), span = now - m->status_at_ms;
	double rate = 0;

	supervise_totals(m, &t);
	if (span > 0 && t.requests >= m->status_requests)
		rate = (double)(t.requests - m->status_requests) * 1000 / span;
	snprintf(buf, len, "%d workers (%d busy, %d idle), %" PRIu64
	    " connections, %.0f req/s, %u restarts", supervise_alive(m),
	    supervise_count(m, SLOT_BUSY, 0), supervise_count(m, SLOT_IDLE, 0),
	    t.connections, rate, m->restarts);
	m->status_requests = t.requests;
	m->status_at_ms = now;
}

void
sd_status(struct master *m)
{
	char text[200];

	if (m->notify == NULL && !m->live)
		return;
	status_text(m, text, sizeof(text));
	if (m->notify != NULL)
		notify("STATUS=%s", text);
	if (m->live) {
		char line[220];

		snprintf(line, sizeof(line), "forkline: %s", text);
		log_set_live(line);
	}
}

static void
on_status(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sd_status(arg);
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify("WATCHDOG=1");
}

/* Timers for STATUS and the watchdog, if there is a manager to tell. */
int
sd_init(struct master *m)
{
	struct timeval tv = { STATUS_INTERVAL_MS / 1000, 0 };
	uint64_t usec;

	m->notify = getenv("NOTIFY_SOCKET");
	/* The live line (--live, a terminal) is refreshed every second. */
	if (m->live)
		tv = (struct timeval){ 1, 0 };
	if (m->notify == NULL && !m->live)
		return 0;
	m->status_timer = event_new(m->base, -1, EV_PERSIST, on_status, m);
	if (m->status_timer == NULL || event_add(m->status_timer, &tv) == -1)
		return -1;
	if (m->notify == NULL)
		return 0;
	m->status_at_ms = now_ms();
	if (sd_watchdog_enabled(0, &usec) > 0) {
		tv.tv_sec = (time_t)(usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		m->watchdog_timer = event_new(m->base, -1, EV_PERSIST,
		    on_watchdog, m);
		if (m->watchdog_timer == NULL ||
		    event_add(m->watchdog_timer, &tv) == -1)
			return -1;
		log_info("systemd watchdog: WATCHDOG=1 every %" PRIu64 " ms",
		    usec / 2000);
	}
	return 0;
}

void
sd_free(struct master *m)
{
	if (m->live)
		log_set_live(NULL);
	if (m->status_timer != NULL)
		event_free(m->status_timer);
	if (m->watchdog_timer != NULL)
		event_free(m->watchdog_timer);
}

/*
 * As workers become ready: READY=1 once min_ready of the current
 * generation serve (all of start when min_ready is 0). After a reload it
 * ends the RELOADING state.
 */
void
sd_worker_ready(struct master *m)
{
	int want = m->conf.min_ready > 0 ? m->conf.min_ready :
	    m->conf.workers;

	if (m->ready_sent || m->reloading || serving(m) < want)
		return;
	m->ready_sent = true;
	log_info("ready: %d worker%s serving", serving(m),
	    serving(m) == 1 ? "" : "s");
	if (m->notify != NULL) {
		/* After an upgrade we are the service's main process now. */
		if (m->upgrade_from != 0)
			notify("MAINPID=%ld\nREADY=1", (long)getpid());
		else
			notify("READY=1");
		sd_status(m);
	}
	upgrade_announce(m);
}

void
sd_reloading(struct master *m)
{
	struct timespec ts;

	m->ready_sent = false;
	if (m->notify == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify("RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading",
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* A rejected reload: still serving as before. */
void
sd_reload_failed(struct master *m)
{
	m->ready_sent = true;
	if (m->notify != NULL)
		notify("READY=1\nSTATUS=reload rejected; serving generation %u",
		    m->generation);
}

void
sd_stopping(struct master *m, int64_t drain_ms)
{
	if (m->notify == NULL)
		return;
	notify("STOPPING=1\nEXTEND_TIMEOUT_USEC=%" PRIu64 "\nSTATUS=stopping",
	    (uint64_t)(drain_ms + STOP_SLACK_MS) * 1000);
}
