/*
 * keys: the key table, the embedded defaults, and setting one key from
 * text with its range checked and its error written. See keys.h.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "common/net.h"
#include "conf/config.h"
#include "conf/keys.h"

/* A listener is stored as net_parse_addr's canonical text, copied whole. */
_Static_assert(CONF_ADDR_MAX == NET_ADDR_TEXT_MAX,
    "conf's address text is net's");

static int	 apply_listen(struct conf *conf, const char *value,
		    char *err, size_t errlen);
static int	 apply_string(struct conf *conf, const struct conf_key *key,
		    const char *value, char *err, size_t errlen);
static int	 apply_number(struct conf *conf, const struct conf_key *key,
		    const char *value, char *err, size_t errlen);
static void	 put(struct conf *conf, const struct conf_key *key,
		    int64_t v);
static size_t	 string_max(const struct conf_key *key);
static void	 format_example(const struct conf_key *key, char *buf,
		    size_t len);

const char *const conf_sections[] = {
	"server", "workers", "connection", "log", "admin", "faults",
};
const size_t conf_nsections = sizeof(conf_sections) / sizeof(conf_sections[0]);

#define KEY(sec, name, type, min, max, field) \
	{ sec, name, type, min, max, offsetof(struct conf, field), NULL, NULL }
#define STRKEY(sec, name, field, check) \
	{ sec, name, CONF_T_STRING, 0, sizeof(((struct conf *)0)->field) - 1, \
	    offsetof(struct conf, field), check, NULL }
#define STRKEY_CANON(sec, name, field, check, canon) \
	{ sec, name, CONF_T_STRING, 0, sizeof(((struct conf *)0)->field) - 1, \
	    offsetof(struct conf, field), check, canon }

/* In section order: conf_print writes them in this order. */
const struct conf_key conf_keys[] = {
	KEY("server", "listen", CONF_T_LISTEN, 1, CONF_LISTEN_MAX, listen),
	KEY("server", "protocol", CONF_T_PROTOCOL,
	    CONF_PROTO_LINE, CONF_PROTO_ECHO, protocol),
	KEY("server", "backlog", CONF_T_INT, 1, 65535, backlog),
	KEY("server", "grace_period", CONF_T_DURATION, 0, HOUR,
	    grace_period_ms),
	KEY("server", "unix_mode", CONF_T_MODE, 0, 0777, unix_mode),
	STRKEY("server", "user", user, conf_check_name),
	STRKEY("server", "group", group, conf_check_name),
	KEY("server", "allow_root", CONF_T_BOOL, 0, 1, allow_root),
	STRKEY("server", "pid_file", pid_file, conf_check_path),
	KEY("workers", "mode", CONF_T_POOLMODE,
	    CONF_POOL_STATIC, CONF_POOL_DYNAMIC, pool_mode),
	KEY("workers", "start", CONF_T_INT, 1, CONF_WORKERS_MAX, workers),
	KEY("workers", "min_ready", CONF_T_INT, 0, CONF_WORKERS_MAX, min_ready),
	KEY("workers", "min_spare", CONF_T_INT, 0, CONF_WORKERS_MAX, min_spare),
	KEY("workers", "max_spare", CONF_T_INT, 1, CONF_WORKERS_MAX, max_spare),
	KEY("workers", "max", CONF_T_INT, 1, CONF_WORKERS_MAX, max_workers),
	KEY("workers", "spawn_rate", CONF_T_INT, 1, 1024, spawn_rate),
	KEY("workers", "max_requests", CONF_T_INT, 0, 1000000000,
	    max_requests),
	KEY("workers", "max_requests_jitter", CONF_T_INT, 0, 1000000000,
	    max_requests_jitter),
	KEY("workers", "max_rss", CONF_T_SIZE, 0, 1024LL * MIB, max_rss),
	KEY("workers", "recycle_concurrency", CONF_T_INT, 1, 1024,
	    recycle_concurrency),
	KEY("workers", "heartbeat_interval", CONF_T_DURATION, 50, MIN,
	    heartbeat_interval_ms),
	KEY("workers", "worker_timeout", CONF_T_DURATION, 100, HOUR,
	    worker_timeout_ms),
	KEY("workers", "kill_grace", CONF_T_DURATION, 0, MIN, kill_grace_ms),
	KEY("workers", "restart_backoff_initial", CONF_T_DURATION, 10, MIN,
	    restart_backoff_initial_ms),
	KEY("workers", "restart_backoff_max", CONF_T_DURATION, 10, HOUR,
	    restart_backoff_max_ms),
	KEY("workers", "fatal_after", CONF_T_DURATION, 0, 24 * HOUR,
	    fatal_after_ms),
	KEY("connection", "idle_timeout", CONF_T_DURATION, 10, 24 * HOUR,
	    idle_timeout_ms),
	KEY("connection", "send_timeout", CONF_T_DURATION, 10, HOUR,
	    send_timeout_ms),
	KEY("connection", "max_line", CONF_T_SIZE, 16, MIB, max_line),
	KEY("connection", "max_sleep", CONF_T_DURATION, 0, HOUR, max_sleep_ms),
	KEY("connection", "max_blob", CONF_T_SIZE, 0, 64 * MIB, max_blob),
	KEY("connection", "park_after", CONF_T_DURATION, 0, HOUR,
	    park_after_ms),
	KEY("connection", "max_parked", CONF_T_INT, 0, 10000000, max_parked),
	KEY("log", "level", CONF_T_LOGLEVEL,
	    LOG_LEVEL_ERROR, LOG_LEVEL_DEBUG, log_level),
	STRKEY("log", "target", log_target, conf_check_log_target),
	STRKEY("log", "access_log", access_log, conf_check_access_log),
	STRKEY_CANON("admin", "listen", admin_listen,
	    conf_check_admin_listen, conf_canon_admin_listen),
	KEY("faults", "latency", CONF_T_DURATION, 0, HOUR, faults.latency_ms),
	KEY("faults", "jitter", CONF_T_DURATION, 0, HOUR, faults.jitter_ms),
	KEY("faults", "distribution", CONF_T_DISTRIBUTION,
	    CONF_DIST_FIXED, CONF_DIST_PARETO, faults.distribution),
	KEY("faults", "reset", CONF_T_PROBABILITY, 0, CONF_PPM_ONE,
	    faults.reset_ppm),
	KEY("faults", "stall", CONF_T_PROBABILITY, 0, CONF_PPM_ONE,
	    faults.stall_ppm),
	KEY("faults", "error", CONF_T_PROBABILITY, 0, CONF_PPM_ONE,
	    faults.error_ppm),
	KEY("faults", "close", CONF_T_PROBABILITY, 0, CONF_PPM_ONE,
	    faults.close_ppm),
	KEY("faults", "bandwidth", CONF_T_SIZE, 0, 1024LL * MIB,
	    faults.bandwidth),
	KEY("faults", "crash", CONF_T_PROBABILITY, 0, CONF_PPM_ONE,
	    faults.crash_ppm),
	KEY("faults", "seed", CONF_T_INT, 0, INT_MAX, faults.seed),
	KEY("faults", "allow_client", CONF_T_BOOL, 0, 1, faults.allow_client),
};
const size_t conf_nkeys = sizeof(conf_keys) / sizeof(conf_keys[0]);

void
conf_defaults(struct conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	snprintf(conf->listen[0], sizeof(conf->listen[0]), "127.0.0.1:7007");
	conf->nlisten = 1;
	conf->protocol = CONF_PROTO_LINE;
	conf->backlog = 1024;
	conf->grace_period_ms = 10 * SEC;
	conf->unix_mode = 0660;
	conf->allow_root = false;
	conf->pool_mode = CONF_POOL_STATIC;
	conf->workers = 4;
	conf->min_spare = 2;
	conf->max_spare = 8;
	conf->max_workers = 256;
	conf->spawn_rate = 32;
	conf->max_requests = 0;
	conf->max_requests_jitter = 0;
	conf->max_rss = 0;
	conf->recycle_concurrency = 1;
	conf->heartbeat_interval_ms = 1 * SEC;
	conf->worker_timeout_ms = 30 * SEC;
	conf->kill_grace_ms = 2 * SEC;
	conf->restart_backoff_initial_ms = 100;
	conf->restart_backoff_max_ms = 30 * SEC;
	conf->fatal_after_ms = 60 * SEC;
	conf->idle_timeout_ms = 60 * SEC;
	conf->send_timeout_ms = 30 * SEC;
	conf->max_line = 8 * KIB;
	conf->max_sleep_ms = 10 * SEC;
	conf->max_blob = MIB;
	conf->park_after_ms = 1 * SEC;
	conf->max_parked = 0;
	conf->log_level = LOG_LEVEL_INFO;
	snprintf(conf->log_target, sizeof(conf->log_target), "stderr");
	snprintf(conf->access_log, sizeof(conf->access_log), "off");
	snprintf(conf->admin_listen, sizeof(conf->admin_listen), "off");
	conf->faults.distribution = CONF_DIST_UNIFORM;
}

int
conf_set(struct conf *conf, const char *section, const char *key,
    const char *value, char *err, size_t errlen)
{
	const struct conf_key *k;

	if ((k = conf_lookup(section, key, err, errlen)) == NULL)
		return -1;
	return conf_apply(conf, k, value, err, errlen);
}

void
conf_listen_clear(struct conf *conf)
{
	memset(conf->listen, 0, sizeof(conf->listen));
	conf->nlisten = 0;
}

void
conf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

bool
conf_section_known(const char *section)
{
	size_t i;

	for (i = 0; i < conf_nsections; i++)
		if (strcmp(section, conf_sections[i]) == 0)
			return true;
	return false;
}

/* "server, workers, connection, log" */
void
conf_sections_list(char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < conf_nsections && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    i > 0 ? ", " : "", conf_sections[i]);
}

const struct conf_key *
conf_lookup(const char *section, const char *name, char *err, size_t errlen)
{
	char list[128];
	size_t i;

	conf_sections_list(list, sizeof(list));
	if (section == NULL || section[0] == '\0') {
		for (i = 0; i < conf_nkeys; i++)
			if (strcmp(conf_keys[i].name, name) == 0)
				break;
		if (i < conf_nkeys)
			conf_err(err, errlen, "key '%s' is outside any section "
			    "(it belongs under [%s])", name,
			    conf_keys[i].section);
		else
			conf_err(err, errlen, "key '%s' is outside any section "
			    "(sections: %s)", name, list);
		return NULL;
	}
	if (!conf_section_known(section)) {
		conf_err(err, errlen, "unknown section [%s] (sections: %s)",
		    section, list);
		return NULL;
	}
	for (i = 0; i < conf_nkeys; i++)
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	conf_err(err, errlen, "[%s] unknown key '%s'", section, name);
	return NULL;
}

int
conf_apply(struct conf *conf, const struct conf_key *key, const char *value,
    char *err, size_t errlen)
{
	char reason[CONF_ERR_MAX];

	switch (key->type) {
	case CONF_T_LISTEN:
		if (apply_listen(conf, value, reason, sizeof(reason)) == 0)
			return 0;
		conf_err(err, errlen, "[%s] %s: %s", key->section, key->name,
		    reason);
		return -1;
	case CONF_T_STRING:
		return apply_string(conf, key, value, err, errlen);
	default:
		return apply_number(conf, key, value, err, errlen);
	}
}

int64_t
conf_get(const struct conf *conf, const struct conf_key *key)
{
	const char *field = (const char *)conf + key->offset;

	switch (key->type) {
	case CONF_T_PROTOCOL:
		return *(const enum conf_protocol *)field;
	case CONF_T_INT:
		return *(const int *)field;
	case CONF_T_MODE:
		return *(const unsigned *)field;
	case CONF_T_DURATION:
		return *(const int64_t *)field;
	case CONF_T_SIZE:
		return (int64_t)*(const size_t *)field;
	case CONF_T_LOGLEVEL:
		return *(const enum log_level *)field;
	case CONF_T_POOLMODE:
		return *(const enum conf_pool_mode *)field;
	case CONF_T_BOOL:
		return *(const bool *)field;
	case CONF_T_PROBABILITY:
		return *(const int *)field;
	case CONF_T_DISTRIBUTION:
		return *(const enum conf_distribution *)field;
	case CONF_T_STRING:
		break;
	case CONF_T_LISTEN:
		break;
	}
	return 0;
}

/* Add a listener in its canonical form; refuse a full list or a repeat. */
static int
apply_listen(struct conf *conf, const char *value, char *err, size_t errlen)
{
	struct net_addr addr;
	int i;

	if (net_parse_addr(value, &addr, err, errlen) == -1)
		return -1;
	if (conf->nlisten >= CONF_LISTEN_MAX) {
		conf_err(err, errlen, "'%s': too many listen addresses "
		    "(at most %d)", value, CONF_LISTEN_MAX);
		return -1;
	}
	for (i = 0; i < conf->nlisten; i++) {
		if (strcmp(conf->listen[i], addr.text) != 0)
			continue;
		if (strcmp(value, addr.text) == 0)
			conf_err(err, errlen, "'%s' is given twice", value);
		else
			conf_err(err, errlen, "'%s' is given twice (as '%s')",
			    value, addr.text);
		return -1;
	}
	memcpy(conf->listen[conf->nlisten++], addr.text, sizeof(addr.text));
	return 0;
}

/* The value must pass its check (for some keys "" unsets the key). */
static int
apply_string(struct conf *conf, const struct conf_key *key,
    const char *value, char *err, size_t errlen)
{
	char *field = (char *)conf + key->offset;
	const char *accepted;
	size_t max = string_max(key);

	if (strlen(value) > max) {
		conf_err(err, errlen, "[%s] %s: longer than %zu characters "
		    "(what fits on one line as '%s = VALUE')", key->section,
		    key->name, max, key->name);
		return -1;
	}
	if ((accepted = key->check(value)) != NULL) {
		conf_err(err, errlen, "[%s] %s: '%s' is not accepted (accepted: "
		    "%s)", key->section, key->name, value, accepted);
		return -1;
	}
	if (key->canon != NULL)
		key->canon(value, field, (size_t)key->max + 1);
	else
		memcpy(field, value, strlen(value) + 1);
	return 0;
}

/* Numbers and names: the type's syntax, then the key's range. */
static int
apply_number(struct conf *conf, const struct conf_key *key,
    const char *value, char *err, size_t errlen)
{
	const struct conf_typeinfo *t = &conf_types[key->type];
	char accepted[128], example[32];
	enum parse_result rc;
	int64_t v;

	conf_format_accepted(key, accepted, sizeof(accepted));
	rc = conf_parse_value(key->type, value, &v);
	if (rc == PARSE_OK && v >= key->min && v <= key->max) {
		put(conf, key, v);
		return 0;
	}
	if (rc != PARSE_BAD) {
		conf_err(err, errlen, "[%s] %s: '%s' out of range "
		    "(accepted: %s)", key->section, key->name, value,
		    accepted);
		return -1;
	}
	if (t->example) {
		format_example(key, example, sizeof(example));
		conf_err(err, errlen, "[%s] %s: '%s' is not %s (accepted: %s, "
		    "e.g. %s)", key->section, key->name, value, t->noun,
		    accepted, example);
	} else
		conf_err(err, errlen, "[%s] %s: '%s' is not %s (accepted: %s)",
		    key->section, key->name, value, t->noun, accepted);
	return -1;
}

/* v is within the key's range, so every conversion below is exact. */
static void
put(struct conf *conf, const struct conf_key *key, int64_t v)
{
	char *field = (char *)conf + key->offset;

	switch (key->type) {
	case CONF_T_PROTOCOL:
		*(enum conf_protocol *)field = (enum conf_protocol)v;
		break;
	case CONF_T_INT:
		*(int *)field = (int)v;
		break;
	case CONF_T_MODE:
		*(unsigned *)field = (unsigned)v;
		break;
	case CONF_T_DURATION:
		*(int64_t *)field = v;
		break;
	case CONF_T_SIZE:
		*(size_t *)field = (size_t)v;
		break;
	case CONF_T_LOGLEVEL:
		*(enum log_level *)field = (enum log_level)v;
		break;
	case CONF_T_POOLMODE:
		*(enum conf_pool_mode *)field = (enum conf_pool_mode)v;
		break;
	case CONF_T_BOOL:
		*(bool *)field = v != 0;
		break;
	case CONF_T_PROBABILITY:
		*(int *)field = (int)v;
		break;
	case CONF_T_DISTRIBUTION:
		*(enum conf_distribution *)field = (enum conf_distribution)v;
		break;
	case CONF_T_STRING:
		break;
	case CONF_T_LISTEN:
		break;
	}
}

/*
 * The longest value a string key takes: what its field holds, and no more
 * than fits on one line as conf_print writes it ("name = value"), so that
 * a printed configuration (forkline -t) always loads again. inih reads a
 * line into ini_max_line bytes; load.c's line reader keeps 3 for "\r\n"
 * and NUL.
 */
static size_t
string_max(const struct conf_key *key)
{
	size_t line = ini_max_line > 3 ? (size_t)ini_max_line - 3 : 0;
	size_t used = strlen(key->name) + strlen(" = ");
	size_t fits = line > used ? line - used : 0;

	return fits < (size_t)key->max ? fits : (size_t)key->max;
}

/* The key's default, as an example of the syntax. */
static void
format_example(const struct conf_key *key, char *buf, size_t len)
{
	struct conf def;

	conf_defaults(&def);
	conf_format_value(key->type, conf_get(&def, key), buf, len);
}
