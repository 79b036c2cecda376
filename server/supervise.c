/*
 * supervise: start, reap and replace workers.
 *
 * Children are reaped by pid, slot by slot, never with waitpid(-1): the
 * master reaps only what it started. A worker that dies young is restarted
 * after a delay that doubles on each early death, so a worker that cannot
 * start never turns the master into a fork loop.
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "server/master.h"
#include "worker/worker.h"

/* A worker that lived this long was not crash-looping. */
#define STABLE_AFTER_MS		1000
#define RESTART_DELAY_MIN_MS	100
#define RESTART_DELAY_MAX_MS	10000

static int	 spawn(struct master *, struct slot *);
static void	 slot_exited(struct master *, struct slot *, int);
static void	 schedule_restart(struct slot *);
static void	 arm_restart_timer(struct master *);

int
supervise_init(struct master *m)
{
	int i;

	m->nslots = m->conf->workers;
	m->slots = calloc((size_t)m->nslots, sizeof(*m->slots));
	if (m->slots == NULL)
		return -1;
	for (i = 0; i < m->nslots; i++) {
		m->slots[i].num = i + 1;
		m->slots[i].state = SLOT_EMPTY;
		m->slots[i].restart_delay_ms = 0;
	}
	return 0;
}

void
supervise_free(struct master *m)
{
	free(m->slots);
	m->slots = NULL;
	m->nslots = 0;
}

/*
 * Fork one worker into slot s. The child never returns from worker_main.
 * Pending stdio is flushed first so the child cannot write it out again.
 */
static int
spawn(struct master *m, struct slot *s)
{
	int fds[CONF_LISTEN_MAX];
	struct worker_env env;
	pid_t pid;
	int i;

	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		log_warn("fork for worker %d", s->num);
		return -1;
	}
	if (pid == 0) {
		for (i = 0; i < m->nlisteners; i++)
			fds[i] = m->listeners[i].fd;
		env = (struct worker_env){
			.conf = m->conf,
			.listeners = fds,
			.nlisteners = m->nlisteners,
			.lifeline = m->lifeline[0],
			.slot = s->num,
			.generation = m->generation,
			.master = m->pid,
		};
		worker_main(&env);
	}
	s->pid = pid;
	s->state = SLOT_RUNNING;
	s->started_ms = now_ms();
	log_debug("started worker %d (pid %ld)", s->num, (long)pid);
	return 0;
}

void
supervise_start_all(struct master *m)
{
	int i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].state == SLOT_EMPTY &&
		    spawn(m, &m->slots[i]) == -1)
			schedule_restart(&m->slots[i]);
	arm_restart_timer(m);
}

static void
schedule_restart(struct slot *s)
{
	s->state = SLOT_EMPTY;
	s->pid = 0;
	s->start_at_ms = now_ms() + s->restart_delay_ms;
	s->restart_delay_ms = s->restart_delay_ms == 0 ? RESTART_DELAY_MIN_MS :
	    s->restart_delay_ms * 2;
	if (s->restart_delay_ms > RESTART_DELAY_MAX_MS)
		s->restart_delay_ms = RESTART_DELAY_MAX_MS;
}

/* One timer serves every slot: it fires at the earliest start_at. */
static void
arm_restart_timer(struct master *m)
{
	struct timeval tv;
	int64_t earliest = INT64_MAX, wait;
	int i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].state == SLOT_EMPTY &&
		    m->slots[i].start_at_ms < earliest)
			earliest = m->slots[i].start_at_ms;
	if (earliest == INT64_MAX || m->state != MASTER_RUNNING) {
		evtimer_del(m->restart_timer);
		return;
	}
	wait = earliest - now_ms();
	if (wait < 0)
		wait = 0;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(m->restart_timer, &tv);
}

void
supervise_restart_due(struct master *m)
{
	int64_t now = now_ms();
	int i;

	for (i = 0; i < m->nslots; i++) {
		struct slot *s = &m->slots[i];

		if (s->state != SLOT_EMPTY || s->start_at_ms > now)
			continue;
		s->restarts++;
		if (spawn(m, s) == -1)
			schedule_restart(s);
		else
			log_info("worker %d restarted (pid %ld)", s->num,
			    (long)s->pid);
	}
	arm_restart_timer(m);
}

/*
 * Log how the worker ended and queue its replacement: at once after a long
 * life, after the slot's growing delay after a short one.
 */
static void
slot_exited(struct master *m, struct slot *s, int status)
{
	char how[96];
	int64_t lived = now_ms() - s->started_ms;
	bool stable = lived >= STABLE_AFTER_MS;
	pid_t pid = s->pid;

	describe_wait_status(status, how, sizeof(how));
	if (m->state != MASTER_RUNNING) {
		log_debug("worker %d (pid %ld) %s", s->num, (long)pid, how);
		s->state = SLOT_EMPTY;
		s->pid = 0;
		return;
	}
	if (stable)
		s->restart_delay_ms = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && stable)
		log_info("worker %d (pid %ld) %s; replacing it", s->num,
		    (long)pid, how);
	else
		log_warnx("worker %d (pid %ld) %s after %lld ms; restarting "
		    "in %lld ms", s->num, (long)pid, how, (long long)lived,
		    (long long)s->restart_delay_ms);
	schedule_restart(s);
}

/*
 * Called on SIGCHLD (from the event loop, so waitpid is safe here). Each
 * slot's own pid is polled; several exits may share one SIGCHLD.
 */
void
supervise_reap(struct master *m)
{
	pid_t r;
	int i, status, reaped = 0;

	for (i = 0; i < m->nslots; i++) {
		struct slot *s = &m->slots[i];

		if (s->state == SLOT_EMPTY)
			continue;
		r = waitpid(s->pid, &status, WNOHANG);
		if (r == 0)
			continue;
		if (r == -1) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			log_warn("waitpid(%ld) for worker %d", (long)s->pid,
			    s->num);
			s->state = SLOT_EMPTY;
			s->pid = 0;
			continue;
		}
		slot_exited(m, s, status);
		reaped++;
	}
	if (reaped == 0)
		return;
	if (m->state == MASTER_RUNNING)
		supervise_restart_due(m);
	else
		master_worker_gone(m);
}

void
supervise_signal_all(struct master *m, int sig)
{
	int i;

	for (i = 0; i < m->nslots; i++) {
		struct slot *s = &m->slots[i];

		if (s->state == SLOT_EMPTY)
			continue;
		if (kill(s->pid, sig) == -1 && errno != ESRCH)
			log_warn("kill(worker %d, pid %ld, %s)", s->num,
			    (long)s->pid, sigabbrev_np(sig));
		s->state = SLOT_STOPPING;
	}
}

int
supervise_running(const struct master *m)
{
	int i, n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].state != SLOT_EMPTY)
			n++;
	return n;
}
