/*
 * proto_line: the line protocol (docs/PROTOCOL.md). Each request is one
 * line; each reply is one line with the request's own line ending. All
 * requests that arrive in one read are answered and their replies written
 * together; a long request (SLEEP, a large BLOB) flushes what came before it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hot.h"
#include "common/log.h"
#include "common/proc.h"
#include "worker/command.h"
#include "worker/handover.h"
#include "worker/inject.h"
#include "worker/linebuf.h"
#include "worker/proto.h"
#include "worker/stats.h"
#include "worker/worker.h"

/*
 * The BLOB reply's bytes, 'a' + i % 26, 2520 alphabets (63 KiB) long. It is
 * built by the preprocessor into read-only data, so every worker shares
 * the executable's pages instead of filling its own copy: a worker that
 * filled one at start-up had 64 KiB more private memory, idle.
 */
#define ALPHABET	"abcdefghijklmnopqrstuvwxyz"
#define TIMES5(s)	s s s s s
#define TIMES7(s)	s s s s s s s
#define TIMES8(s)	s s s s s s s s
#define TIMES9(s)	s s s s s s s s s
static const char	 blob_pattern[] =
    TIMES8(TIMES9(TIMES7(TIMES5(ALPHABET))));
#define BLOB_CHUNK	(sizeof(blob_pattern) - 1)	/* 26 * 2520 */

enum reply_result {
	REPLY_MORE,		/* keep reading requests */
	REPLY_CLOSE,		/* QUIT: the reply is queued, then close */
	REPLY_BROKEN,		/* the client cannot be written to */
	REPLY_RESET,		/* injected: close with a reset */
	REPLY_STALL,		/* injected: say nothing until idle_timeout */
	REPLY_CUT,		/* injected: half a reply went, then close */
};

/* One connection's progress through the protocol. */
struct session {
	struct conn	*c;
	struct command_limits limits;	/* conf's, copied: see handle_line */
	int64_t		 idle_timeout_ms;
	int64_t		 idle_deadline;	/* restarts with each whole line */
	bool		 crlf;		/* the last request's line ending */
	bool		 stop_seen;	/* a stop came; answering what is in */
	bool		 park_failed;	/* not again until the next request */
	int64_t		 arrived_ms;	/* handed over to us then; else 0 */
	enum proto_end	 end;		/* why it ended, once it has */
};

/* Allocated once per worker by proto_init: no allocation per request. */
static struct linebuf	 inbuf;

static enum reply_result handle_line(struct session *, const struct line *);
static enum reply_result answer(struct conn *, const struct command *, bool);
static enum reply_result answer_faulted(struct conn *, const struct command *,
		    bool);
static enum reply_result answer_cut(struct conn *, const struct command *,
		    bool);
static size_t	 long_reply_length(const struct command *, bool);
static int	 reply(struct conn *, const char *, size_t, bool);
static int	 reply_str(struct conn *, const char *, bool);
static int	 reply_time(struct conn *, bool);
static int	 reply_info(struct conn *, bool);
static int	 reply_blob(struct conn *, uint64_t, bool);
static enum proto_end say_bye(struct conn *, const char *, bool,
		    enum proto_end);
static bool	 answer_buffered(struct session *);
static void	 stall(struct session *);
static bool	 receive_more(struct session *);
static bool	 pass_on(struct session *, enum handoff_reason);
static void	 resume(struct session *);

static const char help_text[] = "OK commands: PING ECHO TIME INFO SLEEP "
    "BLOB HELP QUIT FAULT (see docs/PROTOCOL.md)";

int
proto_init(const struct conf *conf)
{
	return linebuf_init(&inbuf, conf->max_line);
}

const char *
proto_end_name(enum proto_end end)
{
	static const char *const names[] = {
		[PROTO_END_CLIENT_CLOSED] = "client closed",
		[PROTO_END_QUIT] = "quit",
		[PROTO_END_IDLE] = "idle timeout",
		[PROTO_END_STOP] = "shutting down",
		[PROTO_END_TOO_LONG] = "line too long",
		[PROTO_END_ERROR] = "error",
		[PROTO_END_RESET] = "injected reset",
		[PROTO_END_STALL] = "injected stall",
		[PROTO_END_CUT] = "injected close",
		[PROTO_END_HANDED] = "handed over",
	};

	return names[end];
}

static HOT int
reply(struct conn *c, const char *text, size_t len, bool crlf)
{
	if (conn_queue(c, text, len) == -1)
		return -1;
	return conn_queue(c, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
}

static HOT int
reply_str(struct conn *c, const char *text, bool crlf)
{
	return reply(c, text, strlen(text), crlf);
}

static int
reply_time(struct conn *c, bool crlf)
{
	struct timespec ts;
	char buf[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	format_time(&ts, buf, sizeof(buf));
	return reply_str(c, buf, crlf);
}

static int
reply_info(struct conn *c, bool crlf)
{
	const struct worker_stats *st = c->stats;
	char buf[160];

	snprintf(buf, sizeof(buf), "pid=%ld worker=%d generation=%u "
	    "connections=%llu requests=%llu", (long)getpid(),
	    c->env->slot, c->env->generation,
	    (unsigned long long)st->connections,
	    (unsigned long long)st->requests);
	return reply_str(c, buf, crlf);
}

/* n bytes of 'a' + i % 26; large ones stream past the output buffer. */
static int
reply_blob(struct conn *c, uint64_t n, bool crlf)
{
	size_t chunk;

	if (n + 2 <= CONN_OUT_CAP - c->outlen)
		return reply(c, blob_pattern, (size_t)n, crlf);
	while (n > 0) {
		chunk = n < BLOB_CHUNK ? (size_t)n : BLOB_CHUNK;
		if (conn_write(c, blob_pattern, chunk) == -1)
			return -1;
		n -= chunk;
	}
	return reply(c, "", 0, crlf);
}

/* The reply to cmd, queued (or streamed, for a large BLOB). */
static HOT enum reply_result
answer(struct conn *c, const struct command *cmd, bool crlf)
{
	char err[COMMAND_ERROR_MAX + 8], fault[INJECT_REPLY_MAX];
	int r = 0;

	switch (cmd->kind) {
	case CMD_PING:
		r = reply_str(c, "PONG", crlf);
		break;
	case CMD_ECHO:
		r = reply(c, cmd->arg, cmd->arglen, crlf);
		break;
	case CMD_TIME:
		r = reply_time(c, crlf);
		break;
	case CMD_INFO:
		r = reply_info(c, crlf);
		break;
	case CMD_SLEEP:
		if (conn_flush(c) == -1)
			return REPLY_BROKEN;
		/* The request in hand is finished even if a stop comes. */
		conn_sleep(c, (int64_t)cmd->number);
		r = reply_str(c, "OK", crlf);
		break;
	case CMD_BLOB:
		r = reply_blob(c, cmd->number, crlf);
		break;
	case CMD_HELP:
		r = reply_str(c, help_text, crlf);
		break;
	case CMD_QUIT:
		r = reply_str(c, "BYE", crlf);
		return r == -1 ? REPLY_BROKEN : REPLY_CLOSE;
	case CMD_FAULT:
		inject_command(c, cmd->arg, cmd->arglen, fault, sizeof(fault));
		r = reply_str(c, fault, crlf);
		break;
	case CMD_INVALID:
		snprintf(err, sizeof(err), "ERR %s", cmd->error);
		r = reply_str(c, err, crlf);
		break;
	}
	return r == -1 ? REPLY_BROKEN : REPLY_MORE;
}

/*
 * The length of a reply that may not fit the output buffer (ECHO of a
 * long line, BLOB), known before it is written; 0 for the short ones,
 * which are measured in the buffer instead.
 */
static size_t
long_reply_length(const struct command *cmd, bool crlf)
{
	size_t eol = crlf ? 2 : 1;

	if (cmd->kind == CMD_ECHO)
		return cmd->arglen + eol;
	if (cmd->kind == CMD_BLOB)
		return (size_t)cmd->number + eol;
	return 0;
}

/* INJECT_CLOSE: half of the reply, then the connection is broken. */
static enum reply_result
answer_cut(struct conn *c, const struct command *cmd, bool crlf)
{
	size_t known = long_reply_length(cmd, crlf);

	if (conn_flush(c) == -1)
		return REPLY_BROKEN;
	if (known > 0)
		inject_cut(c, known);
	if (answer(c, cmd, crlf) == REPLY_BROKEN)
		return REPLY_CUT;
	if (known == 0)
		inject_cut(c, c->outlen);
	conn_flush(c);
	return REPLY_CUT;
}

/* With faults on: the request's draw decides what, if anything, goes. */
static enum reply_result
answer_faulted(struct conn *c, const struct command *cmd, bool crlf)
{
	enum inject_verdict v = inject_pick(c);

	switch (v) {
	case INJECT_RESET:
		inject_reset(c);
		return REPLY_RESET;
	case INJECT_STALL:
		return REPLY_STALL;
	case INJECT_REPLY:
	case INJECT_ERROR:
	case INJECT_CLOSE:
		break;
	}
	if (inject_delay(c) == -1)
		return REPLY_BROKEN;
	if (v == INJECT_CLOSE)
		return answer_cut(c, cmd, crlf);
	if (v == INJECT_ERROR)
		return reply_str(c, INJECT_ERROR_TEXT, crlf) == -1 ?
		    REPLY_BROKEN : REPLY_MORE;
	return answer(c, cmd, crlf);
}

/*
 * FAULT itself is never faulted, so a client can always turn faults off.
 * Two clock reads: the request's start, and its end, which also restarts
 * the idle deadline. Nothing here reads conf: its limits were copied into
 * the session, so a request touches no page of it.
 */
static HOT enum reply_result
handle_line(struct session *s, const struct line *line)
{
	struct conn *c = s->c;
	struct command cmd;
	int64_t started_us = now_us(), ended_us;
	enum reply_result rr;

	c->stats->requests++;
	stats_note_request(c->stats, line->text, line->len,
	    started_us / 1000);
	command_parse(line->text, line->len, &s->limits, &cmd);
	if (cmd.kind != CMD_FAULT && inject_on(c))
		rr = answer_faulted(c, &cmd, line->crlf);
	else
		rr = answer(c, &cmd, line->crlf);
	if (rr != REPLY_BROKEN) {
		ended_us = now_us();
		stats_note_latency(c->stats, ended_us - started_us);
		s->idle_deadline = ended_us / 1000 + s->idle_timeout_ms;
		c->clock_ms = ended_us / 1000;
	}
	return rr;
}

static enum proto_end
say_bye(struct conn *c, const char *text, bool crlf, enum proto_end end)
{
	if (reply_str(c, text, crlf) == -1 || conn_flush(c) == -1)
		return PROTO_END_ERROR;
	return end;
}

/* An injected stall: silence until idle_timeout after the request. */
static void
stall(struct session *s)
{
	size_t avail;
	char *space;

	linebuf_reset(&inbuf);
	space = linebuf_space(&inbuf, &avail);
	inject_stall(s->c, space, avail, now_ms() + s->idle_timeout_ms);
	s->end = PROTO_END_STALL;
}

/*
 * Answer every complete line buffered, then flush. The idle deadline
 * restarts only when a whole line has arrived, so a client that dribbles
 * a byte at a time cannot hold a worker past idle_timeout. False once the
 * connection is done (s->end says why).
 */
static HOT bool
answer_buffered(struct session *s)
{
	enum linebuf_result lr;
	struct line line;

	while ((lr = linebuf_next(&inbuf, &line)) == LINEBUF_LINE) {
		s->crlf = line.crlf;
		switch (handle_line(s, &line)) {
		case REPLY_CLOSE:
			s->end = conn_flush(s->c) == -1 ? PROTO_END_ERROR :
			    PROTO_END_QUIT;
			return false;
		case REPLY_BROKEN:
			s->end = PROTO_END_ERROR;
			return false;
		case REPLY_RESET:
			s->end = PROTO_END_RESET;
			return false;
		case REPLY_STALL:
			stall(s);
			return false;
		case REPLY_CUT:
			s->end = PROTO_END_CUT;
			return false;
		case REPLY_MORE:
			break;
		}
		/* At max_requests: what is left goes on with the connection. */
		if (handover_at_limit(s->c)) {
			if (conn_flush(s->c) == 0 && pass_on(s, HANDOFF_DRAIN))
				return false;
			break;
		}
	}
	if (lr == LINEBUF_TOO_LONG) {
		s->end = say_bye(s->c, "ERR line too long", s->crlf,
		    PROTO_END_TOO_LONG);
		return false;
	}
	if (conn_flush(s->c) == -1) {
		s->end = PROTO_END_ERROR;
		return false;
	}
	return true;
}

/*
 * Wait for more requests until the idle deadline and take them into the
 * line buffer. On a stop, requests that already reached us are answered
 * before the goodbye, once: a client that keeps sending cannot hold the
 * stop back. False once the connection is done (s->end says why).
 */
static HOT bool
receive_more(struct session *s)
{
	int64_t last;
	size_t avail, got = 0;
	char *space = linebuf_space(&inbuf, &avail);
	ssize_t n;

	/* Quiet since its last request, or since it came here. */
	last = s->idle_deadline - s->idle_timeout_ms;
	if (last < s->arrived_ms)
		last = s->arrived_ms;
	if (linebuf_pending(&inbuf) == 0 && !s->park_failed && !s->stop_seen)
		handover_arm_park(s->c, last);
	else
		s->c->park_at_ms = 0;
	switch (conn_receive(s->c, space, avail, s->idle_deadline, &got)) {
	case CONN_READABLE:
		s->park_failed = false;
		break;
	case CONN_CLOSED:
		s->end = PROTO_END_CLIENT_CLOSED;
		return false;
	case CONN_TIMEOUT:
		s->end = say_bye(s->c, "BYE idle timeout", s->crlf,
		    PROTO_END_IDLE);
		return false;
	case CONN_IDLE:
		if (pass_on(s, HANDOFF_IDLE))
			return false;
		s->park_failed = true;
		return true;
	case CONN_STOP:
		if (s->stop_seen) {
			if (handover_on_drain(s->c) &&
			    pass_on(s, HANDOFF_DRAIN))
				return false;
			s->end = say_bye(s->c, "BYE shutting down", s->crlf,
			    PROTO_END_STOP);
			return false;
		}
		s->stop_seen = true;
		n = conn_read(s->c, space, avail);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			s->end = n == 0 ? PROTO_END_CLIENT_CLOSED :
			    PROTO_END_ERROR;
			return false;
		}
		got = n > 0 ? (size_t)n : 0;
		break;
	case CONN_ERROR:
		s->end = PROTO_END_ERROR;
		return false;
	}
	linebuf_commit(&inbuf, got);
	return true;
}

/*
 * Let the connection go on elsewhere, with the bytes of a request not
 * yet whole: true when it has gone (s->end says so).
 */
static bool
pass_on(struct session *s, enum handoff_reason why)
{
	struct handover_state st = { .crlf = s->crlf,
	    .idle_deadline_ms = s->idle_deadline,
	    .partial = linebuf_pending_data(&inbuf),
	    .partial_len = linebuf_pending(&inbuf) };

	if (handover_pass(s->c, why, &st) == -1)
		return false;
	s->end = PROTO_END_HANDED;
	return true;
}

/* A connection from another process: its line ending, its idle deadline,
 * and what it had sent of a request. */
static void
resume(struct session *s)
{
	const struct handoff *h = s->c->arrived;
	size_t avail;
	char *space = linebuf_space(&inbuf, &avail);

	s->crlf = (h->flags & HANDOFF_CRLF) != 0;
	s->idle_deadline = h->idle_deadline_ms;
	s->arrived_ms = now_ms();
	/* A smaller max_line since: what fits, and the line is too long. */
	if (avail > h->partial_len)
		avail = h->partial_len;
	memcpy(space, s->c->arrived_partial, avail);
	linebuf_commit(&inbuf, avail);
}

/* Answer what is buffered, wait for more, until the connection is done. */
HOT enum proto_end
proto_line_serve(struct conn *c)
{
	const struct conf *conf = c->env->conf;
	struct session s = { .c = c,
	    .limits = { .max_sleep_ms = (uint64_t)conf->max_sleep_ms,
	    .max_blob = conf->max_blob },
	    .idle_timeout_ms = conf->idle_timeout_ms };

	s.idle_deadline = now_ms() + s.idle_timeout_ms;
	linebuf_reset(&inbuf);
	if (c->arrived != NULL)
		resume(&s);
	while (answer_buffered(&s) && receive_more(&s))
		;
	return s.end;
}
