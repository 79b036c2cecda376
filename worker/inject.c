/*
 * inject: see inject.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/board.h"
#include "common/log.h"
#include "common/proc.h"
#include "worker/inject.h"
#include "worker/report.h"
#include "worker/worker.h"

/* Longest FAULT argument: every key with a long value fits. */
#define COMMAND_ARG_MAX		512

_Static_assert(sizeof(struct conf_faults) <= BOARD_CAP,
    "[faults] fits on the board");

static void	 count(struct conn *, enum health_fault);
static void	 reseed(struct conn *);
static void	 shape(struct conn *);
static _Noreturn void crash(struct conn *);
static void	 describe(const struct conn *, const char *, char *, size_t);
static void	 printable(char *);

static void
count(struct conn *c, enum health_fault kind)
{
	c->stats->faults[kind]++;
	c->faults.had |= 1u << kind;
}

static void
reseed(struct conn *c)
{
	fault_rng_seed(&c->faults.rng, (uint32_t)c->faults.f.seed,
	    c->env->slot, c->env->start, c->stats->connections);
}

/* A board that could not be read steadily is tried at the next request. */
void
inject_refresh(struct conn *c)
{
	struct fault_state *fs = &c->faults;
	struct conf_faults f;
	uint32_t version;
	int seed = fs->f.seed;

	if (board_read(c->env->board, &f, sizeof(f), &version) == -1)
		return;
	fs->board_seen = version;
	fs->allow_client = f.allow_client;
	if (fs->own)
		return;
	fs->f = f;
	fs->on = conf_faults_any(&f);
	shape(c);
	if (f.seed != seed)
		reseed(c);
}

/* The connection's writes follow its bandwidth from the next one on,
 * also when faults were just turned off. */
static void
shape(struct conn *c)
{
	c->bandwidth = c->faults.f.bandwidth;
	c->shaped = c->bandwidth > 0 || c->budgeted;
}

void
inject_begin(struct conn *c)
{
	memset(&c->faults, 0, sizeof(c->faults));
	c->faults.board_seen = UINT32_MAX;	/* odd: never a version */
	inject_refresh(c);
	reseed(c);
}

enum inject_verdict
inject_pick(struct conn *c)
{
	switch (fault_pick(&c->faults.f, &c->faults.rng)) {
	case FAULT_PICK_NONE:
		return INJECT_REPLY;
	case FAULT_PICK_CRASH:
		crash(c);
	case FAULT_PICK_RESET:
		count(c, HEALTH_FAULT_RESET);
		return INJECT_RESET;
	case FAULT_PICK_STALL:
		count(c, HEALTH_FAULT_STALL);
		return INJECT_STALL;
	case FAULT_PICK_CLOSE:
		count(c, HEALTH_FAULT_CLOSE);
		return INJECT_CLOSE;
	case FAULT_PICK_ERROR:
		count(c, HEALTH_FAULT_ERROR);
		return INJECT_ERROR;
	}
	return INJECT_REPLY;
}

/*
 * The master sees the count in a last report, and the exit as SIGABRT.
 * No core dump: a test that crashes a worker a thousand times must not
 * fill a disk (or systemd-coredump's store).
 */
static _Noreturn void
crash(struct conn *c)
{
	count(c, HEALTH_FAULT_CRASH);
	log_warnx("%s: injected fault: crash (aborting the worker)", c->peer);
	report_now();
	if (prctl(PR_SET_DUMPABLE, 0) == -1)
		log_warn("prctl(PR_SET_DUMPABLE)");
	signal(SIGABRT, SIG_DFL);
	abort();
}

int
inject_delay(struct conn *c)
{
	const struct conf_faults *f = &c->faults.f;
	int64_t us = fault_delay_us(f, &c->faults.rng);

	if (us > 0) {
		count(c, HEALTH_FAULT_LATENCY);
		if (conn_flush(c) == -1)
			return -1;
		conn_sleep_us(c, us);
	}
	if (f->bandwidth > 0)
		count(c, HEALTH_FAULT_BANDWIDTH);
	return 0;
}

void
inject_cut(struct conn *c, size_t reply_len)
{
	c->budgeted = true;
	c->send_budget = reply_len / 2;
	c->shaped = true;
}

void
inject_reset(struct conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	c->outlen = 0;
	if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == -1)
		log_warn("%s: setsockopt(SO_LINGER)", c->peer);
}

void
inject_stall(struct conn *c, char *buf, size_t len, int64_t deadline_ms)
{
	size_t got;

	if (conn_flush(c) == -1)
		return;
	while (conn_receive(c, buf, len, deadline_ms, &got) == CONN_READABLE)
		;
}

/*
 * An error quotes the client's word back: like the parser's "unknown
 * command" reply, every byte outside printable ASCII becomes '?', so the
 * reply is one line of text whatever was sent.
 */
static void
printable(char *text)
{
	for (; *text != '\0'; text++)
		if ((unsigned char)*text < 0x20 || (unsigned char)*text > 0x7e)
			*text = '?';
}

/* "OK latency=0 jitter=0 ...": the reply to every FAULT that worked. */
static void
describe(const struct conn *c, const char *lead, char *reply, size_t len)
{
	char list[256];

	conf_faults_format(&c->faults.f, true, list, sizeof(list));
	snprintf(reply, len, "%s%s", lead, list);
}

/*
 * Every pair is applied to a copy and the copy checked as a whole, so one
 * bad pair changes nothing. The arguments are copied to be cut into
 * words: client bytes are not strings, and a NUL ends a word early (and
 * then fails as an unknown key or a bad value).
 */
void
inject_command(struct conn *c, const char *arg, size_t len, char *reply,
    size_t replylen)
{
	char words[COMMAND_ARG_MAX + 1], why[CONF_ERR_MAX], *w, *save, *eq;
	struct conf_faults next = c->faults.f;
	bool seeded = false, any = false;

	inject_on(c);
	if (!c->faults.allow_client) {
		snprintf(reply, replylen, "ERR faults are disabled");
		return;
	}
	if (len > COMMAND_ARG_MAX) {
		snprintf(reply, replylen, "ERR FAULT: arguments longer than "
		    "%d bytes", COMMAND_ARG_MAX);
		return;
	}
	if (memchr(arg, '\0', len) != NULL) {
		snprintf(reply, replylen, "ERR FAULT: a NUL byte in the "
		    "arguments");
		return;
	}
	memcpy(words, arg, len);
	words[len] = '\0';
	for (w = strtok_r(words, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (strcmp(w, "off") == 0 && !any &&
		    strtok_r(NULL, " \t", &save) == NULL) {
			memset(&next, 0, sizeof(next));
			next.distribution = CONF_DIST_UNIFORM;
			next.seed = c->faults.f.seed;
			any = true;
			break;
		}
		any = true;
		if ((eq = strchr(w, '=')) == NULL || eq == w) {
			snprintf(reply, replylen, "ERR FAULT: '%.64s' is not "
			    "KEY=VALUE (FAULT off stands alone)", w);
			printable(reply);
			return;
		}
		*eq = '\0';
		if (conf_faults_set(&next, w, eq + 1, why, sizeof(why)) == -1) {
			snprintf(reply, replylen, "ERR FAULT %s", why);
			printable(reply);
			return;
		}
		seeded |= strcmp(w, "seed") == 0;
	}
	if (conf_faults_check(&next, why, sizeof(why)) == -1) {
		snprintf(reply, replylen, "ERR FAULT %s", why);
		return;
	}
	if (any) {
		c->faults.f = next;
		c->faults.own = true;
		c->faults.on = conf_faults_any(&next);
		shape(c);
		if (seeded)
			reseed(c);
	}
	describe(c, "OK ", reply, replylen);
}

void
inject_describe(const struct conn *c, char *buf, size_t len)
{
	size_t used = 0;
	unsigned k;

	buf[0] = '\0';
	for (k = 0; k < HEALTH_FAULT_KINDS && used < len; k++)
		if (c->faults.had & (1u << k))
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
			    used > 0 ? "," : "", health_fault_name(k));
}
