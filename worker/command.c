/*
 * command: parse one request line of the line protocol (see command.h).
 *
 * The command word runs from the first non-blank byte to the next space.
 * Lines are length-delimited and may hold any bytes, NUL included, so
 * nothing here uses the str* functions on client data, and case folding
 * is ASCII-only (no locale).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/hot.h"
#include "worker/command.h"

/* Longest client word quoted back in "unknown command" replies. */
#define COMMAND_QUOTE_MAX	32

enum arg_type {
	ARG_NONE,		/* only blanks may follow the word */
	ARG_TEXT,		/* the rest of the line, byte for byte */
	ARG_NUMBER,		/* decimal, 0 .. a limit */
	ARG_DURATION,		/* ARG_NUMBER in ms, or with a unit */
};

struct command_def {
	const char		*name;
	enum command_kind	 kind;
	enum arg_type		 arg;
	const char		*unit;	/* ARG_NUMBER: for the error reply */
};

static const struct command_def commands[] = {
	{ "PING",	CMD_PING,	ARG_NONE,	NULL },
	{ "ECHO",	CMD_ECHO,	ARG_TEXT,	NULL },
	{ "TIME",	CMD_TIME,	ARG_NONE,	NULL },
	{ "INFO",	CMD_INFO,	ARG_NONE,	NULL },
	{ "SLEEP",	CMD_SLEEP,	ARG_DURATION,	"milliseconds" },
	{ "BLOB",	CMD_BLOB,	ARG_NUMBER,	"a byte count" },
	{ "HELP",	CMD_HELP,	ARG_NONE,	NULL },
	{ "QUIT",	CMD_QUIT,	ARG_NONE,	NULL },
	{ "FAULT",	CMD_FAULT,	ARG_TEXT,	NULL },
};

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static bool	 is_blank(char c);
static size_t	 skip_blanks(const char *s, size_t i, size_t len);
static bool	 word_equal(const char *word, size_t len, const char *name);
static const struct command_def *command_lookup(const char *word, size_t len);
static uint64_t	 command_limit(enum command_kind kind,
		    const struct command_limits *limits);
static bool	 parse_number(const char *s, size_t len, uint64_t max,
		    uint64_t *out);
static bool	 parse_duration(const char *s, size_t len, uint64_t max,
		    uint64_t *out);
static void	 sanitise(const char *word, size_t len, char *buf,
		    size_t bufsz);
static void	 command_arg(const struct command_def *def, const char *rest,
		    size_t restlen, const struct command_limits *limits,
		    struct command *out);

/*
 * Parse line[0 .. len) (without its ending) into *out. Never fails: a bad
 * request gives kind CMD_INVALID and the reply text in out->error. For
 * ECHO and FAULT, out->arg points into line (never NULL, even when arglen is 0).
 */
HOT void
command_parse(const char *line, size_t len,
    const struct command_limits *limits, struct command *out)
{
	const struct command_def *def;
	const char	*word, *rest;
	size_t		 i, wlen, mlen, restlen;
	char		 quoted[COMMAND_QUOTE_MAX + sizeof("...")];

	memset(out, 0, sizeof(*out));
	out->kind = CMD_INVALID;

	i = skip_blanks(line, 0, len);
	if (i == len) {
		snprintf(out->error, sizeof(out->error), "empty command");
		return;
	}
	word = line + i;
	for (wlen = 0; i + wlen < len && word[wlen] != ' '; wlen++)
		;
	/* "PING\t" is a word followed by blanks, not a word with a tab. */
	for (mlen = wlen; mlen > 0 && word[mlen - 1] == '\t'; mlen--)
		;

	if ((def = command_lookup(word, mlen)) == NULL) {
		sanitise(word, wlen, quoted, sizeof(quoted));
		snprintf(out->error, sizeof(out->error),
		    "unknown command '%s' (try HELP)", quoted);
		return;
	}

	/* The argument starts after the single space that ends the word. */
	rest = word + wlen;
	restlen = len - i - wlen;
	if (restlen > 0) {
		rest++;
		restlen--;
	}
	command_arg(def, rest, restlen, limits, out);
}

/* Canonical upper-case name of a kind; "INVALID" for anything else. */
const char *
command_name(enum command_kind kind)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if (commands[i].kind == kind)
			return commands[i].name;
	return "INVALID";
}

static HOT void
command_arg(const struct command_def *def, const char *rest, size_t restlen,
    const struct command_limits *limits, struct command *out)
{
	uint64_t	 max;

	switch (def->arg) {
	case ARG_NONE:
		if (skip_blanks(rest, 0, restlen) != restlen) {
			snprintf(out->error, sizeof(out->error),
			    "%s takes no argument", def->name);
			return;
		}
		break;
	case ARG_TEXT:
		out->arg = rest;
		out->arglen = restlen;
		break;
	case ARG_NUMBER:
	case ARG_DURATION:
		max = command_limit(def->kind, limits);
		if (!(def->arg == ARG_NUMBER ?
		    parse_number(rest, restlen, max, &out->number) :
		    parse_duration(rest, restlen, max, &out->number))) {
			out->number = 0;
			snprintf(out->error, sizeof(out->error),
			    "%s needs %s 0..%" PRIu64, def->name, def->unit,
			    max);
			return;
		}
		break;
	}
	out->kind = def->kind;
}

static HOT bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static HOT size_t
skip_blanks(const char *s, size_t i, size_t len)
{
	while (i < len && is_blank(s[i]))
		i++;
	return i;
}

/* ASCII case-insensitive; name is upper case. */
static HOT bool
word_equal(const char *word, size_t len, const char *name)
{
	size_t	 i;
	char	 c;

	for (i = 0; i < len; i++) {
		if (name[i] == '\0')
			return false;
		c = word[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != name[i])
			return false;
	}
	return name[len] == '\0';
}

static HOT const struct command_def *
command_lookup(const char *word, size_t len)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if (word_equal(word, len, commands[i].name))
			return &commands[i];
	return NULL;
}

static HOT uint64_t
command_limit(enum command_kind kind, const struct command_limits *limits)
{
	switch (kind) {
	case CMD_SLEEP:
		return limits->max_sleep_ms;
	case CMD_BLOB:
		return limits->max_blob;
	default:
		return 0;
	}
}

/*
 * Blanks, one or more decimal digits, blanks: nothing else (no sign, no
 * hex, no exponent). False if malformed, if it overflows, or if > max.
 */
static bool
parse_number(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	size_t		 i, first;
	uint64_t	 n = 0, d;

	i = first = skip_blanks(s, 0, len);
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		d = (uint64_t)(s[i] - '0');
		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	if (i == first || skip_blanks(s, i, len) != len || n > max)
		return false;
	*out = n;
	return true;
}

/*
 * A duration as the configuration writes one, in milliseconds: digits
 * with a unit ms, s, m or h ("250ms", "10s"), or digits alone, which are
 * milliseconds here. With s, m or h a decimal fraction may come before
 * the unit if it makes whole milliseconds ("1.5s", not "1.0005s"); a
 * plain number has none. Blanks around it; false on anything else, on
 * overflow, or if > max.
 */
static bool
parse_duration(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	static const struct { const char *name; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	size_t i, first, end, dot, fend, u, ulen;
	uint64_t whole, frac = 0, scale = 1, unit = 1;

	first = skip_blanks(s, 0, len);
	for (end = len; end > first && is_blank(s[end - 1]); end--)
		;
	for (i = first; i < end && s[i] >= '0' && s[i] <= '9'; i++)
		;
	for (dot = i; i < end && (s[i] == '.' || (i > dot &&
	    s[i] >= '0' && s[i] <= '9')); i++)
		;
	ulen = end - i;
	for (u = 0; ulen > 0 && u < sizeof(units) / sizeof(units[0]); u++)
		if (strlen(units[u].name) == ulen &&
		    memcmp(s + i, units[u].name, ulen) == 0)
			break;
	if (ulen > 0 && u == sizeof(units) / sizeof(units[0]))
		return false;
	if (ulen > 0)
		unit = units[u].ms;
	if (!parse_number(s + first, dot - first, UINT64_MAX, &whole))
		return false;
	if (i > dot) {
		/*
		 * ".5": digits after the dot, and a unit to make it ms.
		 * Trailing zeros say nothing ("1.50s" is "1.5s"); past them,
		 * more than 7 digits never make whole milliseconds of an
		 * hour, so 9 keep frac * unit far from overflow.
		 */
		if (i - dot < 2 || unit == 1)
			return false;
		for (fend = i; fend > dot + 2 && s[fend - 1] == '0'; fend--)
			;
		if (fend - dot > 10 || !parse_number(s + dot + 1,
		    fend - dot - 1, UINT64_MAX, &frac))
			return false;
		for (u = dot + 1; u < fend; u++)
			scale *= 10;
		if (frac * unit % scale != 0)
			return false;
	}
	frac = frac * unit / scale;
	if (frac > max || whole > (max - frac) / unit)
		return false;
	*out = whole * unit + frac;
	return true;
}

/*
 * Copy a client's word for quoting in a reply: at most COMMAND_QUOTE_MAX
 * bytes, then "...", and anything but printable non-space ASCII as '?', so
 * a client cannot put control bytes (or a fake line ending) in our reply.
 */
static void
sanitise(const char *word, size_t len, char *buf, size_t bufsz)
{
	size_t		 i, n;
	unsigned char	 c;

	n = len > COMMAND_QUOTE_MAX ? COMMAND_QUOTE_MAX : len;
	if (n > bufsz - sizeof("..."))
		n = bufsz - sizeof("...");
	for (i = 0; i < n; i++) {
		c = (unsigned char)word[i];
		buf[i] = (c >= 0x21 && c <= 0x7e) ? (char)c : '?';
	}
	buf[n] = '\0';
	if (n < len)
		memcpy(buf + n, "...", sizeof("..."));
}
