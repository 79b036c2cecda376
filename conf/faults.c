/*
 * faults: [faults] as a set of its own. The worker's FAULT command sets a
 * connection's copy with the file's keys and syntax, and the master logs
 * what is on and tells whether a reload changed nothing else. The keys
 * are the table's (keys.c), so a value is read, checked and written here
 * exactly as in the file. See config.h.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "conf/keys.h"

#define PREFIX	"[faults] "

static bool	 is_fault_key(const struct conf_key *key);
static bool	 key_on(const struct conf_faults *f, const struct conf_key *key);
static bool	 same_value(const struct conf *a, const struct conf *b,
		    const struct conf_key *key);
static bool	 same_keys(const struct conf *a, const struct conf *b,
		    bool faults);

const char conf_faults_keys[] = "latency jitter distribution reset stall "
    "error close bandwidth crash seed";

static bool
is_fault_key(const struct conf_key *key)
{
	return strcmp(key->section, "faults") == 0;
}

int
conf_faults_set(struct conf_faults *f, const char *key, const char *value,
    char *err, size_t errlen)
{
	const struct conf_key *k;
	struct conf tmp;
	char why[CONF_ERR_MAX];

	if (strcmp(key, "allow_client") == 0) {
		conf_err(err, errlen, "allow_client: set in the configuration "
		    "only");
		return -1;
	}
	if ((k = conf_lookup("faults", key, NULL, 0)) == NULL) {
		conf_err(err, errlen, "%s: unknown key (keys: %s)", key,
		    conf_faults_keys);
		return -1;
	}
	tmp.faults = *f;
	if (conf_apply(&tmp, k, value, why, sizeof(why)) == -1) {
		conf_err(err, errlen, "%s", strncmp(why, PREFIX,
		    strlen(PREFIX)) == 0 ? why + strlen(PREFIX) : why);
		return -1;
	}
	*f = tmp.faults;
	return 0;
}

/* What the delay's two numbers mean depends on the distribution. */
int
conf_faults_check(const struct conf_faults *f, char *err, size_t errlen)
{
	char lat[32], jit[32];

	conf_format_value(CONF_T_DURATION, f->latency_ms, lat, sizeof(lat));
	conf_format_value(CONF_T_DURATION, f->jitter_ms, jit, sizeof(jit));
	switch (f->distribution) {
	case CONF_DIST_FIXED:
		if (f->jitter_ms == 0)
			return 0;
		conf_err(err, errlen, "jitter: %s is not used by distribution "
		    "= fixed (set jitter = 0, or another distribution)", jit);
		return -1;
	case CONF_DIST_UNIFORM:
		if (f->jitter_ms <= f->latency_ms)
			return 0;
		conf_err(err, errlen, "jitter: %s is more than latency (%s); "
		    "uniform draws between latency - jitter and latency + "
		    "jitter", jit, lat);
		return -1;
	case CONF_DIST_PARETO:
		if ((f->latency_ms > 0) == (f->jitter_ms > 0))
			return 0;
		conf_err(err, errlen, "distribution: pareto needs both "
		    "latency and jitter above 0 (latency = %s, jitter = %s)",
		    lat, jit);
		return -1;
	case CONF_DIST_NORMAL:
	case CONF_DIST_EXPONENTIAL:
		break;
	}
	return 0;
}

bool
conf_faults_any(const struct conf_faults *f)
{
	return f->latency_ms > 0 || f->jitter_ms > 0 || f->reset_ppm > 0 ||
	    f->stall_ppm > 0 || f->error_ppm > 0 || f->close_ppm > 0 ||
	    f->crash_ppm > 0 || f->bandwidth > 0;
}

/* Worth naming in a short list: a fault that is on, and how its delay
 * is drawn when there is one. */
static bool
key_on(const struct conf_faults *f, const struct conf_key *key)
{
	struct conf tmp;

	if (strcmp(key->name, "seed") == 0 ||
	    strcmp(key->name, "allow_client") == 0)
		return false;
	if (key->type == CONF_T_DISTRIBUTION)
		return f->latency_ms > 0 || f->jitter_ms > 0;
	tmp.faults = *f;
	return conf_get(&tmp, key) != 0;
}

void
conf_faults_format(const struct conf_faults *f, bool all, char *buf,
    size_t len)
{
	struct conf tmp;
	char value[32];
	size_t i, used = 0;

	buf[0] = '\0';
	tmp.faults = *f;
	for (i = 0; i < conf_nkeys && used < len; i++) {
		if (!is_fault_key(&conf_keys[i]) ||
		    strcmp(conf_keys[i].name, "allow_client") == 0 ||
		    (!all && !key_on(f, &conf_keys[i])))
			continue;
		conf_format_value(conf_keys[i].type,
		    conf_get(&tmp, &conf_keys[i]), value, sizeof(value));
		used += (size_t)snprintf(buf + used, len - used, "%s%s=%s",
		    used > 0 ? " " : "", conf_keys[i].name, value);
	}
	if (used == 0)
		snprintf(buf, len, "off");
}

static bool
same_value(const struct conf *a, const struct conf *b,
    const struct conf_key *key)
{
	int i;

	switch (key->type) {
	case CONF_T_LISTEN:
		if (a->nlisten != b->nlisten)
			return false;
		for (i = 0; i < a->nlisten; i++)
			if (strcmp(a->listen[i], b->listen[i]) != 0)
				return false;
		return true;
	case CONF_T_STRING:
		return strcmp((const char *)a + key->offset,
		    (const char *)b + key->offset) == 0;
	default:
		return conf_get(a, key) == conf_get(b, key);
	}
}

/* Key by key, so padding and the order of listeners as built count as
 * they do in the file: not at all, and in full. */
static bool
same_keys(const struct conf *a, const struct conf *b, bool faults)
{
	size_t i;

	for (i = 0; i < conf_nkeys; i++)
		if (is_fault_key(&conf_keys[i]) == faults &&
		    !same_value(a, b, &conf_keys[i]))
			return false;
	return true;
}

bool
conf_same_but_faults(const struct conf *a, const struct conf *b)
{
	return same_keys(a, b, false);
}

bool
conf_same_faults(const struct conf *a, const struct conf *b)
{
	return same_keys(a, b, true);
}
