/*
 * Fuzz worker/command.c: command_parse on any bytes, with any limits.
 *
 * Input: max_sleep_ms and max_blob as fuzz_take_varint numbers, then the
 * line (without its ending; any bytes, NUL included). The line is copied
 * into a buffer of exactly its length, so AddressSanitizer sees a read
 * past its end.
 *
 * Invariants, beyond not crashing:
 * - kind is in range; the fields a kind does not use are zero;
 * - ECHO's and FAULT's argument lies inside the line and runs to its end;
 * - an INVALID error is a non-empty NUL-terminated string shorter than
 *   COMMAND_ERROR_MAX, of printable ASCII only (it is sent to the client
 *   after "ERR ": no control bytes, no line ending);
 * - SLEEP and BLOB numbers are within their limits;
 * - the result agrees with a small reference model of docs/PROTOCOL.md
 *   (which word, which argument, which number);
 * - parsing is deterministic: a copy of the line at another address gives
 *   the same result.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "worker/command.h"

/* What the reference model expects. */
struct expect {
	enum command_kind kind;
	size_t		 argoff;	/* ECHO */
	uint64_t	 number;	/* SLEEP, BLOB */
	const char	*name;		/* the word's command, or NULL */
};

static void	 check_result(const char *line, size_t len,
		    const struct command_limits *limits,
		    const struct command *c);
static void	 check_error(const struct command *c);
static void	 reference(const char *line, size_t len,
		    const struct command_limits *limits, struct expect *e);
static bool	 word_is(const char *word, size_t len, const char *name);
static bool	 only_blanks(const char *s, size_t len);
static bool	 ref_number(const char *s, size_t len, uint64_t max,
		    uint64_t *out);
static bool	 ref_duration(const char *s, size_t len, uint64_t max,
		    uint64_t *out);
static void	 check_same(const struct command *a, const char *line_a,
		    const struct command *b, const char *line_b);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct command_limits limits;
	struct command first, again;
	char *line, *copy;

	limits.max_sleep_ms = fuzz_take_varint(&in);
	limits.max_blob = fuzz_take_varint(&in);
	/* malloc(0) may give NULL; one byte more keeps the pointer real. */
	line = malloc(in.n + 1);
	copy = malloc(in.n + 1);
	if (line == NULL || copy == NULL)
		abort();
	memcpy(line, in.p, in.n);
	memcpy(copy, in.p, in.n);

	command_parse(line, in.n, &limits, &first);
	check_result(line, in.n, &limits, &first);
	FUZZ_REQUIRE(memcmp(line, in.p, in.n) == 0, "the line was modified");

	command_parse(copy, in.n, &limits, &again);
	check_same(&first, line, &again, copy);

	free(line);
	free(copy);
	return 0;
}

static void
check_result(const char *line, size_t len,
    const struct command_limits *limits, const struct command *c)
{
	struct expect e;

	FUZZ_REQUIRE(c->kind >= CMD_PING && c->kind <= CMD_INVALID,
	    "kind %d", (int)c->kind);
	reference(line, len, limits, &e);
	FUZZ_REQUIRE(c->kind == e.kind, "kind %s, the reference says %s",
	    command_name(c->kind), command_name(e.kind));

	if (c->kind == CMD_ECHO || c->kind == CMD_FAULT) {
		FUZZ_REQUIRE(c->arg != NULL, "%s without an argument pointer",
		    command_name(c->kind));
		FUZZ_REQUIRE(c->arg >= line && c->arg <= line + len,
		    "%s argument outside the line", command_name(c->kind));
		FUZZ_REQUIRE(c->arglen == len - (size_t)(c->arg - line),
		    "%s argument of %zu bytes does not run to the end of "
		    "the line", command_name(c->kind), c->arglen);
		FUZZ_REQUIRE((size_t)(c->arg - line) == e.argoff,
		    "%s argument at %zu, the reference says %zu",
		    command_name(c->kind), (size_t)(c->arg - line), e.argoff);
	} else
		FUZZ_REQUIRE(c->arg == NULL && c->arglen == 0,
		    "%s has an argument", command_name(c->kind));

	if (c->kind == CMD_SLEEP)
		FUZZ_REQUIRE(c->number <= limits->max_sleep_ms,
		    "SLEEP %llu over %llu", (unsigned long long)c->number,
		    (unsigned long long)limits->max_sleep_ms);
	if (c->kind == CMD_BLOB)
		FUZZ_REQUIRE(c->number <= limits->max_blob,
		    "BLOB %llu over %llu", (unsigned long long)c->number,
		    (unsigned long long)limits->max_blob);
	if (c->kind == CMD_SLEEP || c->kind == CMD_BLOB)
		FUZZ_REQUIRE(c->number == e.number, "number %llu, the "
		    "reference says %llu", (unsigned long long)c->number,
		    (unsigned long long)e.number);
	else
		FUZZ_REQUIRE(c->number == 0, "%s has a number",
		    command_name(c->kind));

	if (c->kind == CMD_INVALID) {
		check_error(c);
		/* A known word with a bad argument is named in the reply. */
		if (e.name != NULL)
			FUZZ_REQUIRE(strncmp(c->error, e.name,
			    strlen(e.name)) == 0, "error '%s' does not name %s",
			    c->error, e.name);
	} else
		FUZZ_REQUIRE(c->error[0] == '\0', "%s with an error '%.*s'",
		    command_name(c->kind), COMMAND_ERROR_MAX - 1, c->error);
}

static void
check_error(const struct command *c)
{
	const char *end = memchr(c->error, '\0', sizeof(c->error));
	const char *p;

	FUZZ_REQUIRE(end != NULL, "error not NUL-terminated");
	FUZZ_REQUIRE(end > c->error, "empty error");
	for (p = c->error; p < end; p++)
		FUZZ_REQUIRE(*p >= 0x20 && *p <= 0x7e, "byte 0x%02x at %zu "
		    "of the error '%s'", (unsigned char)*p,
		    (size_t)(p - c->error), c->error);
}

/*
 * The protocol as docs/PROTOCOL.md states it: leading blanks ignored, the
 * word runs to the first space (tabs at its end are blanks), the argument
 * follows that one space; names case-insensitive.
 */
static void
reference(const char *line, size_t len, const struct command_limits *limits,
    struct expect *e)
{
	size_t start = 0, wend, mend, argoff;
	enum command_kind k;
	const char *rest;
	size_t restlen;

	memset(e, 0, sizeof(*e));
	e->kind = CMD_INVALID;
	while (start < len && (line[start] == ' ' || line[start] == '\t'))
		start++;
	if (start == len)
		return;
	wend = start;
	while (wend < len && line[wend] != ' ')
		wend++;
	mend = wend;
	while (mend > start && line[mend - 1] == '\t')
		mend--;
	for (k = CMD_PING; k < CMD_INVALID; k++)
		if (word_is(line + start, mend - start, command_name(k)))
			break;
	if (k == CMD_INVALID)
		return;
	e->name = command_name(k);
	argoff = wend < len ? wend + 1 : wend;
	rest = line + argoff;
	restlen = len - argoff;
	switch (k) {
	case CMD_ECHO:
	case CMD_FAULT:
		e->argoff = argoff;
		break;
	case CMD_SLEEP:
		if (!ref_duration(rest, restlen, limits->max_sleep_ms,
		    &e->number))
			return;
		break;
	case CMD_BLOB:
		if (!ref_number(rest, restlen, limits->max_blob, &e->number))
			return;
		break;
	default:
		if (!only_blanks(rest, restlen))
			return;
		break;
	}
	e->kind = k;
}

static bool
word_is(const char *word, size_t len, const char *name)
{
	size_t i;
	char c;

	if (len != strlen(name))
		return false;
	for (i = 0; i < len; i++) {
		c = word[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - ('a' - 'A'));
		if (c != name[i])
			return false;
	}
	return true;
}

static bool
only_blanks(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* Blanks, digits, blanks; no overflow; at most max. */
static bool
ref_number(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	size_t i = 0, digits = 0;
	uint64_t v = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	if (digits == 0 || !only_blanks(s + i, len - i) || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * Blanks, a duration, blanks: digits, then optionally a point and digits,
 * then a unit ms, s, m or h or none (milliseconds). A fraction needs s, m
 * or h and must come to whole milliseconds. Computed in 128 bits from the
 * value as written, not the way command.c does it.
 */
static bool
ref_duration(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	size_t first = 0, end = len, i, u, n, point, sig;
	unsigned __int128 whole = 0, frac = 0, scale = 1, unit = 1, total;
	bool has_unit = false;

	while (first < len && (s[first] == ' ' || s[first] == '\t'))
		first++;
	while (end > first && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		n = strlen(units[u].suffix);
		if (end - first > n &&
		    memcmp(s + end - n, units[u].suffix, n) == 0) {
			unit = units[u].ms;
			end -= n;
			has_unit = true;
			break;
		}
	}
	for (point = first; point < end && s[point] != '.'; point++)
		;
	if (point == first)
		return false;
	for (i = first; i < point; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		whole = whole * 10 + (unsigned)(s[i] - '0');
		if (whole > max)
			return false;
	}
	if (point < end) {
		if (!has_unit || unit == 1 || point + 1 == end)
			return false;
		for (i = point + 1, sig = i; i < end; i++) {
			if (s[i] < '0' || s[i] > '9')
				return false;
			if (s[i] != '0')
				sig = i + 1;
		}
		/* Over 30 digits that matter are never whole ms (7 are not). */
		if (sig - point - 1 > 30)
			return false;
		for (i = point + 1; i < sig; i++) {
			frac = frac * 10 + (unsigned)(s[i] - '0');
			scale *= 10;
		}
		if (frac * unit % scale != 0)
			return false;
	}
	total = whole * unit + frac * unit / scale;
	if (total > max)
		return false;
	*out = (uint64_t)total;
	return true;
}

/* The same bytes at another address: the same command. */
static void
check_same(const struct command *a, const char *line_a,
    const struct command *b, const char *line_b)
{
	FUZZ_REQUIRE(a->kind == b->kind, "kind %d then %d", (int)a->kind,
	    (int)b->kind);
	FUZZ_REQUIRE(a->number == b->number, "number differs");
	FUZZ_REQUIRE(a->arglen == b->arglen, "arglen differs");
	FUZZ_REQUIRE((a->arg == NULL) == (b->arg == NULL) &&
	    (a->arg == NULL || a->arg - line_a == b->arg - line_b),
	    "arg differs");
	FUZZ_REQUIRE(strcmp(a->error, b->error) == 0, "error '%s' then '%s'",
	    a->error, b->error);
}
