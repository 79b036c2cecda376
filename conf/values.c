/*
 * values: what a value may be. The value types of the key table, read
 * from text and written back the way a person would write them, and the
 * checks of the string keys. See keys.h.
 *
 * Nothing here knows a key's place in struct conf or writes an error: a
 * parser says whether the text is well-formed and fits, a check what it
 * accepts, and keys.c says which key it was and why it was refused.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/net.h"
#include "common/prob.h"
#include "conf/config.h"
#include "conf/keys.h"

static enum parse_result parse_number(const char *text, int base,
		    const struct conf_unit *units, int64_t limit,
		    int64_t *out);
static int	 name_index(const char *const *names, size_t n,
		    const char *name, int64_t *out);
static int	 protocol_parse(const char *name, int64_t *out);
static const char *protocol_name(int64_t v);
static int	 loglevel_parse(const char *name, int64_t *out);
static const char *loglevel_name(int64_t v);
static int	 poolmode_parse(const char *name, int64_t *out);
static const char *poolmode_name(int64_t v);
static int	 bool_parse(const char *name, int64_t *out);
static const char *bool_name(int64_t v);
static int	 distribution_parse(const char *name, int64_t *out);
static const char *distribution_name(int64_t v);
static enum parse_result probability_parse(const char *text, int64_t *out);
static void	 probability_format(int64_t ppm, char *buf, size_t len);
static bool	 is_bare_port(const char *v);

static const struct conf_unit plain_units[] = {
	{ "", 1 },
	{ NULL, 0 },
};

/* A bare number is seconds; "ms" is matched whole, never as "m" + junk. */
static const struct conf_unit duration_units[] = {
	{ "h", HOUR },
	{ "m", MIN },
	{ "s", SEC },
	{ "ms", 1 },
	{ "", SEC },
	{ NULL, 0 },
};

/* Lower-case "k" first so that conf_print writes "8k" (and "1M"). */
static const struct conf_unit size_units[] = {
	{ "M", MIB },
	{ "m", MIB },
	{ "k", KIB },
	{ "K", KIB },
	{ "", 1 },
	{ NULL, 0 },
};

const struct conf_typeinfo conf_types[] = {
	[CONF_T_LISTEN] = { .noun = "an address" },
	[CONF_T_PROTOCOL] = { .noun = "a protocol",
	    .parse_name = protocol_parse, .name = protocol_name },
	[CONF_T_INT] = { .noun = "an integer", .base = 10,
	    .units = plain_units },
	[CONF_T_MODE] = { .noun = "an octal mode", .base = 8,
	    .units = plain_units, .example = true },
	[CONF_T_DURATION] = { .noun = "a duration", .base = 10,
	    .units = duration_units, .example = true },
	[CONF_T_SIZE] = { .noun = "a size", .base = 10, .units = size_units,
	    .example = true },
	[CONF_T_LOGLEVEL] = { .noun = "a log level",
	    .parse_name = loglevel_parse, .name = loglevel_name },
	[CONF_T_POOLMODE] = { .noun = "a pool mode",
	    .parse_name = poolmode_parse, .name = poolmode_name },
	[CONF_T_BOOL] = { .noun = "yes or no", .parse_name = bool_parse,
	    .name = bool_name },
	[CONF_T_STRING] = { .noun = "a string" },
	[CONF_T_PROBABILITY] = { .noun = "a probability", .base = 10,
	    .example = true, .parse = probability_parse,
	    .format = probability_format },
	[CONF_T_DISTRIBUTION] = { .noun = "a distribution",
	    .parse_name = distribution_parse, .name = distribution_name },
};

static const char *const protocol_names[] = {
	[CONF_PROTO_LINE] = "line",
	[CONF_PROTO_ECHO] = "echo",
};

static const char *const poolmode_names[] = {
	[CONF_POOL_STATIC] = "static",
	[CONF_POOL_DYNAMIC] = "dynamic",
};

static const char *const distribution_names[] = {
	[CONF_DIST_FIXED] = "fixed",
	[CONF_DIST_UNIFORM] = "uniform",
	[CONF_DIST_NORMAL] = "normal",
	[CONF_DIST_EXPONENTIAL] = "exponential",
	[CONF_DIST_PARETO] = "pareto",
};

int
conf_parse_duration(const char *text, int64_t *ms)
{
	return parse_number(text, 10, duration_units, INT64_MAX, ms) ==
	    PARSE_OK ? 0 : -1;
}

int
conf_parse_size(const char *text, size_t *bytes)
{
	int64_t limit = (uint64_t)SIZE_MAX < (uint64_t)INT64_MAX ?
	    (int64_t)SIZE_MAX : INT64_MAX;
	int64_t v;

	if (parse_number(text, 10, size_units, limit, &v) != PARSE_OK)
		return -1;
	*bytes = (size_t)v;
	return 0;
}

const char *
conf_protocol_name(enum conf_protocol protocol)
{
	if ((size_t)protocol >= sizeof(protocol_names) /
	    sizeof(protocol_names[0]))
		return "unknown";
	return protocol_names[protocol];
}

const char *
conf_pool_mode_name(enum conf_pool_mode mode)
{
	if ((size_t)mode >= sizeof(poolmode_names) / sizeof(poolmode_names[0]))
		return "unknown";
	return poolmode_names[mode];
}

const char *
conf_distribution_name(enum conf_distribution dist)
{
	if ((size_t)dist >= sizeof(distribution_names) /
	    sizeof(distribution_names[0]))
		return "unknown";
	return distribution_names[dist];
}

enum parse_result
conf_parse_value(enum conf_type type, const char *text, int64_t *out)
{
	const struct conf_typeinfo *t = &conf_types[type];

	if (t->parse != NULL)
		return t->parse(text, out);
	if (t->parse_name != NULL)
		return t->parse_name(text, out) == 0 ? PARSE_OK : PARSE_BAD;
	return parse_number(text, t->base, t->units, INT64_MAX, out);
}

void
conf_format_value(enum conf_type type, int64_t v, char *buf, size_t len)
{
	const struct conf_typeinfo *t = &conf_types[type];
	const struct conf_unit *u;

	if (t->name != NULL) {
		snprintf(buf, len, "%s", t->name(v));
		return;
	}
	if (t->format != NULL) {
		t->format(v, buf, len);
		return;
	}
	if (t->base == 8) {
		snprintf(buf, len, "%04" PRIo64, (uint64_t)v);
		return;
	}
	if (v == 0 || t->units == NULL) {
		snprintf(buf, len, "%" PRId64, v);
		return;
	}
	for (u = t->units; u->suffix != NULL; u++)
		if (v % u->factor == 0)
			break;
	if (u->suffix == NULL)
		snprintf(buf, len, "%" PRId64, v);
	else
		snprintf(buf, len, "%" PRId64 "%s", v / u->factor, u->suffix);
}

void
conf_format_accepted(const struct conf_key *key, char *buf, size_t len)
{
	char lo[32], hi[32];
	size_t used = 0;
	int64_t v;

	if (key->type == CONF_T_BOOL) {
		snprintf(buf, len, "yes or no (or true/false, on/off, 1/0)");
		return;
	}
	if (conf_types[key->type].name == NULL) {
		conf_format_value(key->type, key->min, lo, sizeof(lo));
		conf_format_value(key->type, key->max, hi, sizeof(hi));
		snprintf(buf, len, "%s..%s", lo, hi);
		return;
	}
	buf[0] = '\0';
	for (v = key->min; v <= key->max && used < len; v++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    v > key->min ? ", " : "", conf_types[key->type].name(v));
}

/* User and group names ("" for none): what useradd accepts. */
const char *
conf_check_name(const char *v)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.'))
			return "a user or group name: letters, digits, _ - .";
	return NULL;
}

const char *
conf_check_path(const char *v)
{
	return v[0] == '\0' || v[0] == '/' ? NULL :
	    "an absolute path, or nothing for none";
}

const char *
conf_check_log_target(const char *v)
{
	if (strcmp(v, "stderr") == 0 || strcmp(v, "syslog") == 0 ||
	    v[0] == '/')
		return NULL;
	return "stderr, syslog, or an absolute file path";
}

const char *
conf_check_access_log(const char *v)
{
	if (strcmp(v, "off") == 0 || v[0] == '/')
		return NULL;
	return "off, or an absolute file path";
}

/*
 * The admin endpoint has no authentication: a port alone means loopback,
 * never every interface. Another host must be asked for by address.
 */
const char *
conf_check_admin_listen(const char *v)
{
	char err[CONF_ERR_MAX];
	struct net_addr addr;

	if (strcmp(v, "off") == 0 || is_bare_port(v) ||
	    net_parse_addr(v, &addr, err, sizeof(err)) == 0)
		return NULL;
	return "off, a port (on 127.0.0.1), or an address like the listen "
	    "key's (127.0.0.1:7008, unix:/path)";
}

void
conf_canon_admin_listen(const char *v, char *out, size_t len)
{
	if (is_bare_port(v))
		snprintf(out, len, "127.0.0.1:%ld", strtol(v, NULL, 10));
	else
		snprintf(out, len, "%s", v);
}

/*
 * Digits in base, then exactly one of the suffixes in units (which may be
 * ""); the result is digits * factor, at most limit. No sign, no spaces,
 * no fraction. PARSE_RANGE means well-formed but too large.
 */
static enum parse_result
parse_number(const char *text, int base, const struct conf_unit *units,
    int64_t limit, int64_t *out)
{
	const char *p = text;
	uint64_t v = 0;
	bool overflow = false;
	int d;

	for (; *p >= '0' && *p <= '9'; p++) {
		d = *p - '0';
		if (d >= base)
			return PARSE_BAD;
		if (v > ((uint64_t)INT64_MAX - (uint64_t)d) / (uint64_t)base)
			overflow = true;
		else
			v = v * (uint64_t)base + (uint64_t)d;
	}
	if (p == text)
		return PARSE_BAD;
	for (; units->suffix != NULL; units++)
		if (strcmp(p, units->suffix) == 0)
			break;
	if (units->suffix == NULL)
		return PARSE_BAD;
	if (overflow || v > (uint64_t)limit / (uint64_t)units->factor)
		return PARSE_RANGE;
	*out = (int64_t)v * units->factor;
	return PARSE_OK;
}

/* The index of name (any case) in names[0..n), for the enum types. */
static int
name_index(const char *const *names, size_t n, const char *name,
    int64_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcasecmp(name, names[i]) == 0) {
			*out = (int64_t)i;
			return 0;
		}
	}
	return -1;
}

static int
protocol_parse(const char *name, int64_t *out)
{
	return name_index(protocol_names, sizeof(protocol_names) /
	    sizeof(protocol_names[0]), name, out);
}

static const char *
protocol_name(int64_t v)
{
	return conf_protocol_name((enum conf_protocol)v);
}

static int
loglevel_parse(const char *name, int64_t *out)
{
	enum log_level level;

	if (log_level_parse(name, &level) == -1)
		return -1;
	*out = level;
	return 0;
}

static const char *
loglevel_name(int64_t v)
{
	return log_level_name((enum log_level)v);
}

static int
poolmode_parse(const char *name, int64_t *out)
{
	return name_index(poolmode_names, sizeof(poolmode_names) /
	    sizeof(poolmode_names[0]), name, out);
}

static const char *
poolmode_name(int64_t v)
{
	return conf_pool_mode_name((enum conf_pool_mode)v);
}

static int
bool_parse(const char *name, int64_t *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(name, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(name, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static const char *
bool_name(int64_t v)
{
	return v ? "yes" : "no";
}

static int
distribution_parse(const char *name, int64_t *out)
{
	return name_index(distribution_names, sizeof(distribution_names) /
	    sizeof(distribution_names[0]), name, out);
}

static const char *
distribution_name(int64_t v)
{
	return conf_distribution_name((enum conf_distribution)v);
}

/* A probability in millionths (common/prob.c has the grammar). */
static enum parse_result
probability_parse(const char *text, int64_t *out)
{
	uint32_t ppm;

	switch (prob_parse(text, strlen(text), &ppm)) {
	case PROB_OK:
		*out = ppm;
		return PARSE_OK;
	case PROB_RANGE:
		return PARSE_RANGE;
	case PROB_BAD:
		break;
	}
	return PARSE_BAD;
}

/* As a percentage, with no more digits than it needs: "0", "0.25%". */
static void
probability_format(int64_t ppm, char *buf, size_t len)
{
	int digits = 4;
	int64_t frac = ppm % 10000;

	if (ppm == 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (frac == 0) {
		snprintf(buf, len, "%" PRId64 "%%", ppm / 10000);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%" PRId64 ".%0*" PRId64 "%%", ppm / 10000,
	    digits, frac);
}

/* Decimal 0..65535 and nothing else. */
static bool
is_bare_port(const char *v)
{
	size_t n = strspn(v, "0123456789");

	return n > 0 && n <= 5 && v[n] == '\0' && strtol(v, NULL, 10) <= 65535;
}
