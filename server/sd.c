/*
 * sd: see sd.h.
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
#include "server/sd.h"

#define STATUS_INTERVAL_MS	5000
/* Beyond the grace period, for the master's own exit. */
#define STOP_SLACK_MS		5000

static void	 on_status(evutil_socket_t, short, void *);
static void	 on_watchdog(evutil_socket_t, short, void *);
static void	 notify(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 sd_status(struct sd *);
static void	 status_text(struct sd *, char *, size_t);

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

/* "4 workers (1 busy, 3 idle), 1834 connections, 12 parked, 52 req/s,
 * 0 restarts" */
static void
status_text(struct sd *sd, char *buf, size_t len)
{
	const struct supervisor *sup = sd->sup;
	struct parking_view pv = { 0 };
	struct totals t;
	int64_t now = now_ms(), span = now - sd->status_at_ms;
	double rate = 0;

	supervise_totals(sup, &t);
	if (sd->parking != NULL)
		parking_view(sd->parking, &pv);
	if (span > 0 && t.requests >= sd->status_requests)
		rate = (double)(t.requests - sd->status_requests) * 1000 / span;
	snprintf(buf, len, "%d workers (%d busy, %d idle), %" PRIu64
	    " connections, %" PRIu64 " parked, %.0f req/s, %u restarts",
	    supervise_alive(sup), supervise_count(sup, SLOT_BUSY, 0),
	    supervise_count(sup, SLOT_IDLE, 0), t.connections, pv.parked,
	    rate, sup->restarts);
	sd->status_requests = t.requests;
	sd->status_at_ms = now;
}

static void
sd_status(struct sd *sd)
{
	char text[200];

	if (sd->notify == NULL && !sd->live)
		return;
	status_text(sd, text, sizeof(text));
	if (sd->notify != NULL)
		notify("STATUS=%s", text);
	if (sd->live) {
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
sd_init(struct sd *sd, const struct core *core,
    const struct supervisor *sup, bool live)
{
	struct timeval tv = { STATUS_INTERVAL_MS / 1000, 0 };
	uint64_t usec;

	memset(sd, 0, sizeof(*sd));
	sd->core = core;
	sd->sup = sup;
	sd->live = live;
	sd->notify = getenv("NOTIFY_SOCKET");
	/* The live line (--live, a terminal) is refreshed every second. */
	if (sd->live)
		tv = (struct timeval){ 1, 0 };
	if (sd->notify == NULL && !sd->live)
		return 0;
	sd->status_timer = event_new(core->base, -1, EV_PERSIST, on_status, sd);
	if (sd->status_timer == NULL || event_add(sd->status_timer, &tv) == -1)
		return -1;
	if (sd->notify == NULL)
		return 0;
	sd->status_at_ms = now_ms();
	if (sd_watchdog_enabled(0, &usec) > 0) {
		tv.tv_sec = (time_t)(usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		sd->watchdog_timer = event_new(core->base, -1, EV_PERSIST,
		    on_watchdog, sd);
		if (sd->watchdog_timer == NULL ||
		    event_add(sd->watchdog_timer, &tv) == -1)
			return -1;
		log_info("systemd watchdog: WATCHDOG=1 every %" PRIu64 " ms",
		    usec / 2000);
	}
	return 0;
}

void
sd_free(struct sd *sd)
{
	if (sd->live)
		log_set_live(NULL);
	if (sd->status_timer != NULL)
		event_free(sd->status_timer);
	if (sd->watchdog_timer != NULL)
		event_free(sd->watchdog_timer);
}

bool
sd_ready(struct sd *sd, int serving)
{
	if (sd->ready_sent || serving < core_ready_target(sd->core))
		return false;
	sd->ready_sent = true;
	log_info("ready: %d worker%s serving", serving,
	    serving == 1 ? "" : "s");
	if (sd->notify != NULL) {
		/* After an upgrade we are the service's main process now. */
		if (sd->core->upgrade_from != 0)
			notify("MAINPID=%ld\nREADY=1", (long)getpid());
		else
			notify("READY=1");
		sd_status(sd);
	}
	return true;
}

void
sd_reloading(struct sd *sd)
{
	struct timespec ts;

	sd->ready_sent = false;
	if (sd->notify == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify("RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=reloading",
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* A rejected reload: still serving as before. */
void
sd_reload_failed(struct sd *sd)
{
	sd->ready_sent = true;
	if (sd->notify != NULL)
		notify("READY=1\nSTATUS=reload rejected; serving generation %u",
		    sd->core->generation);
}

void
sd_stopping(struct sd *sd, int64_t drain_ms)
{
	if (sd->notify == NULL)
		return;
	notify("STOPPING=1\nEXTEND_TIMEOUT_USEC=%" PRIu64 "\nSTATUS=stopping",
	    (uint64_t)(drain_ms + STOP_SLACK_MS) * 1000);
}
