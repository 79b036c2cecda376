/*
 * load_report: what the clients of a load saw, as counts, failures kept,
 * endings and text. See load.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/support/load_int.h"

const struct load_result *
load_result(const struct load *l)
{
	return &l->res;
}

int
load_nerrors(const struct load *l)
{
	return l->nerrors;
}

const struct load_error *
load_error(const struct load *l, int i)
{
	return i < l->nerrors ? &l->errors[i] : NULL;
}

int64_t
load_last_ok(const struct load *l, int i)
{
	return i >= 0 && i < l->spec.clients ? l->c[i].last_ok_ms : 0;
}

enum load_outcome
load_ending(const struct load *l, int i, int64_t *at_ms)
{
	*at_ms = l->c[i].ended_ms;
	return l->c[i].end;
}

const char *
load_outcome_name(enum load_outcome o)
{
	static const char *const names[LOAD_NKINDS] = {
		[LOAD_OK] = "ok",
		[LOAD_BYE] = "bye",
		[LOAD_CONNECT] = "connect",
		[LOAD_EOF] = "eof",
		[LOAD_RESET] = "reset",
		[LOAD_TIMEOUT] = "timeout",
		[LOAD_TRUNCATED] = "truncated",
		[LOAD_WRONG] = "wrong-reply",
	};

	return o < LOAD_NKINDS ? names[o] : "?";
}

const char *
load_kinds_text(const struct load_result *r)
{
	static char	 buf[256];
	size_t		 off = 0;
	int		 k;

	buf[0] = '\0';
	for (k = LOAD_FIRST_FAILURE; k < LOAD_NKINDS; k++)
		if (r->by_kind[k] > 0)
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "%s%s %ld", off > 0 ? ", " : "",
			    load_outcome_name((enum load_outcome)k),
			    r->by_kind[k]);
	return off > 0 ? buf : "none";
}

const char *
load_describe(const struct load *l)
{
	static char		 out[LOAD_FAILURES_SHOWN * 270 + 256];
	const struct load_result *r = &l->res;
	size_t			 off;
	int			 i;

	off = (size_t)snprintf(out, sizeof(out), "%ld ok, %ld failed, %ld "
	    "\"BYE shutting down\" (%ld requests sent again), %ld "
	    "connections, %ld requests started", r->ok, r->failed, r->byes,
	    r->resent, r->connects, l->issued);
	for (i = 0; i < l->nerrors && i < LOAD_FAILURES_SHOWN &&
	    off < sizeof(out); i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off,
		    "\n  failure: %s", l->errors[i].text);
	return out;
}

void
load_log(const struct load *l, const char *what)
{
	if (getenv("FORKLINE_TEST_VERBOSE") != NULL)
		fprintf(stderr, "%s: %s\n", what, load_describe(l));
}
