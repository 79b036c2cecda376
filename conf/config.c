/*
 * config: defaults, INI files (inih), command-line overrides, validation.
 * See config.h.
 *
 * Every key is a row in one table: section, name, value type, accepted
 * range and where it lives in struct conf. Parsing, range checks, error
 * texts and conf_print all walk that table, so a new key is one new row
 * (plus its field, its default and its paragraph in forkline.conf).
 *
 * Values travel through the table as int64_t: integers, octal modes,
 * durations in milliseconds, sizes in bytes and enum indices all fit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "common/log.h"
#include "common/net.h"
#include "conf/config.h"

/* A listener is stored as net_parse_addr's canonical text, copied whole. */
_Static_assert(CONF_ADDR_MAX == NET_ADDR_TEXT_MAX,
    "conf's address text is net's");

#define KIB		1024
#define MIB		(1024 * 1024)
#define SEC		1000
#define MIN		(60 * SEC)
#define HOUR		(60 * MIN)

enum conf_type {
	CONF_T_LISTEN,		/* char[][], repeatable */
	CONF_T_PROTOCOL,	/* enum conf_protocol */
	CONF_T_INT,		/* int, decimal */
	CONF_T_MODE,		/* unsigned, octal */
	CONF_T_DURATION,	/* int64_t milliseconds */
	CONF_T_SIZE,		/* size_t bytes */
	CONF_T_LOGLEVEL,	/* enum log_level */
	CONF_T_POOLMODE,	/* enum conf_pool_mode */
	CONF_T_BOOL,		/* bool: yes or no */
	CONF_T_STRING,		/* char[max + 1], checked by the key's check */
};

enum parse_result {
	PARSE_OK,
	PARSE_BAD,		/* not the expected syntax */
	PARSE_RANGE,		/* well-formed but too large */
};

/* A number's suffix and what it multiplies by. */
struct conf_unit {
	const char	*suffix;
	int64_t		 factor;
};

/*
 * How a value type is read and written. Numeric types have a base and a
 * unit table (listed largest first, which is the order conf_print tries
 * them in); named types (enums) have a name lookup both ways instead.
 */
struct conf_typeinfo {
	const char		*noun;		/* "a duration" */
	int			 base;
	const struct conf_unit	*units;
	bool			 example;	/* show "e.g. DEFAULT" */
	int			(*parse_name)(const char *, int64_t *);
	const char		*(*name)(int64_t);
};

struct conf_key {
	const char	*section;
	const char	*name;
	enum conf_type	 type;
	int64_t		 min;
	int64_t		 max;		/* STRING: the longest value */
	size_t		 offset;	/* into struct conf */
	/* STRING: NULL if value is acceptable, else what is accepted. */
	const char	*(*check)(const char *value);
	/* STRING, optional: store this form of an accepted value instead. */
	void		(*canon)(const char *value, char *out, size_t len);
};

/* State of one conf_load_file, shared by the inih reader and handler. */
struct conf_file {
	struct conf	 conf;	/* working copy, kept on success */
	const char	*path;
	FILE		*fp;
	int		 lineno;	/* of the line inih is working on */
	bool		 listen_seen;
	bool		 failed;
	int		 errline;
	char		*err;
	size_t		 errlen;
};

static void	 conf_err(char *err, size_t errlen, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
static bool	 section_known(const char *section);
static void	 sections_list(char *buf, size_t len);
static const struct conf_key *conf_lookup(const char *section,
		    const char *name, char *err, size_t errlen);
static int	 conf_apply(struct conf *conf, const struct conf_key *key,
		    const char *value, char *err, size_t errlen);
static int	 conf_apply_listen(struct conf *conf, const char *value,
		    char *err, size_t errlen);
static int64_t	 conf_get(const struct conf *conf,
		    const struct conf_key *key);
static void	 conf_put(struct conf *conf, const struct conf_key *key,
		    int64_t v);
static enum parse_result parse_number(const char *text, int base,
		    const struct conf_unit *units, int64_t limit,
		    int64_t *out);
static enum parse_result parse_value(enum conf_type type,
		    const char *text, int64_t *out);
static void	 format_value(enum conf_type type, int64_t v, char *buf,
		    size_t len);
static void	 format_accepted(const struct conf_key *key, char *buf,
		    size_t len);
static void	 format_example(const struct conf_key *key, char *buf,
		    size_t len);
static int	 name_index(const char *const *names, size_t n,
		    const char *name, int64_t *out);
static int	 protocol_parse(const char *name, int64_t *out);
static const char *protocol_name(int64_t v);
static int	 loglevel_parse(const char *name, int64_t *out);
static enum conf_error build_override(struct conf *conf, const char *flag,
		    const char *section, const char *key, const char *value,
		    char *err, size_t errlen);
static int	 conf_apply_string(struct conf *conf,
		    const struct conf_key *key, const char *value, char *err,
		    size_t errlen);
static size_t	 string_max(const struct conf_key *key);
static const char *check_name(const char *v);
static const char *check_path(const char *v);
static const char *check_log_target(const char *v);
static const char *check_access_log(const char *v);
static const char *check_admin_listen(const char *v);
static bool	 is_bare_port(const char *v);
static void	 canon_admin_listen(const char *v, char *out, size_t len);
static int	 bool_parse(const char *name, int64_t *out);
static const char *bool_name(int64_t v);
static int	 validate_workers(const struct conf *conf, char *err,
		    size_t errlen);
static int	 poolmode_parse(const char *name, int64_t *out);
static const char *poolmode_name(int64_t v);
static const char *loglevel_name(int64_t v);
static int	 file_fail(struct conf_file *f, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
static int	 file_read_line(struct conf_file *f, char *buf, int size);
static int	 file_check_section(struct conf_file *f, const char *line);
static char	*file_reader(char *str, int num, void *stream);
static int	 file_handler(void *user, const char *section,
		    const char *name, const char *value);

static const char *const sections[] = {
	"server", "workers", "connection", "log", "admin",
};
#define NSECTIONS	(sizeof(sections) / sizeof(sections[0]))

#define KEY(sec, name, type, min, max, field) \
	{ sec, name, type, min, max, offsetof(struct conf, field), NULL, NULL }
#define STRKEY(sec, name, field, check) \
	{ sec, name, CONF_T_STRING, 0, sizeof(((struct conf *)0)->field) - 1, \
	    offsetof(struct conf, field), check, NULL }
#define STRKEY_CANON(sec, name, field, check, canon) \
	{ sec, name, CONF_T_STRING, 0, sizeof(((struct conf *)0)->field) - 1, \
	    offsetof(struct conf, field), check, canon }

/* In section order: conf_print writes them in this order. */
static const struct conf_key keys[] = {
	KEY("server", "listen", CONF_T_LISTEN, 1, CONF_LISTEN_MAX, listen),
	KEY("server", "protocol", CONF_T_PROTOCOL,
	    CONF_PROTO_LINE, CONF_PROTO_ECHO, protocol),
	KEY("server", "backlog", CONF_T_INT, 1, 65535, backlog),
	KEY("server", "grace_period", CONF_T_DURATION, 0, HOUR,
	    grace_period_ms),
	KEY("server", "unix_mode", CONF_T_MODE, 0, 0777, unix_mode),
	STRKEY("server", "user", user, check_name),
	STRKEY("server", "group", group, check_name),
	KEY("server", "allow_root", CONF_T_BOOL, 0, 1, allow_root),
	STRKEY("server", "pid_file", pid_file, check_path),
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
	KEY("log", "level", CONF_T_LOGLEVEL,
	    LOG_LEVEL_ERROR, LOG_LEVEL_DEBUG, log_level),
	STRKEY("log", "target", log_target, check_log_target),
	STRKEY("log", "access_log", access_log, check_access_log),
	STRKEY_CANON("admin", "listen", admin_listen, check_admin_listen,
	    canon_admin_listen),
};
#define NKEYS		(sizeof(keys) / sizeof(keys[0]))

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

static const struct conf_typeinfo types[] = {
	[CONF_T_LISTEN] = { "an address", 0, NULL, false, NULL, NULL },
	[CONF_T_PROTOCOL] = { "a protocol", 0, NULL, false,
	    protocol_parse, protocol_name },
	[CONF_T_INT] = { "an integer", 10, plain_units, false, NULL, NULL },
	[CONF_T_MODE] = { "an octal mode", 8, plain_units, true, NULL, NULL },
	[CONF_T_DURATION] = { "a duration", 10, duration_units, true,
	    NULL, NULL },
	[CONF_T_SIZE] = { "a size", 10, size_units, true, NULL, NULL },
	[CONF_T_LOGLEVEL] = { "a log level", 0, NULL, false,
	    loglevel_parse, loglevel_name },
	[CONF_T_POOLMODE] = { "a pool mode", 0, NULL, false,
	    poolmode_parse, poolmode_name },
	[CONF_T_BOOL] = { "yes or no", 0, NULL, false, bool_parse, bool_name },
	[CONF_T_STRING] = { "a string", 0, NULL, false, NULL, NULL },
};

static const char *const protocol_names[] = {
	[CONF_PROTO_LINE] = "line",
	[CONF_PROTO_ECHO] = "echo",
};

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
	conf->log_level = LOG_LEVEL_INFO;
	snprintf(conf->log_target, sizeof(conf->log_target), "stderr");
	snprintf(conf->access_log, sizeof(conf->access_log), "off");
	snprintf(conf->admin_listen, sizeof(conf->admin_listen), "off");
}

static enum conf_error
build_override(struct conf *conf, const char *flag, const char *section,
    const char *key, const char *value, char *err, size_t errlen)
{
	char reason[CONF_ERR_MAX];

	if (conf_set(conf, section, key, value, reason, sizeof(reason)) == 0)
		return CONF_OK;
	conf_err(err, errlen, "%s %s: %s", flag, value, reason);
	return CONF_ERR_FLAG;
}

enum conf_error
conf_build(const struct conf_source *src, struct conf *conf, char *err,
    size_t errlen)
{
	char reason[CONF_ERR_MAX];
	enum conf_error e = CONF_OK;
	int i;

	conf_defaults(conf);
	if (src->path != NULL &&
	    conf_load_file(conf, src->path, err, errlen) == -1)
		return CONF_ERR_FILE;
	if (src->nlisten > 0)
		conf_listen_clear(conf);
	for (i = 0; i < src->nlisten && e == CONF_OK; i++)
		e = build_override(conf, "-l", "server", "listen",
		    src->listen[i], err, errlen);
	if (e == CONF_OK && src->workers != NULL) {
		e = build_override(conf, "-w", "workers", "start",
		    src->workers, err, errlen);
		/* -w N means N workers, even past the file's max. */
		if (e == CONF_OK && conf->workers > conf->max_workers)
			conf->max_workers = conf->workers;
	}
	if (e == CONF_OK && src->protocol != NULL)
		e = build_override(conf, "-p", "server", "protocol",
		    src->protocol, err, errlen);
	if (e == CONF_OK && src->admin != NULL)
		e = build_override(conf, "-a", "admin", "listen", src->admin,
		    err, errlen);
	if (e == CONF_OK && src->pid_file != NULL)
		e = build_override(conf, "--pid-file", "server", "pid_file",
		    src->pid_file, err, errlen);
	/* A daemon's stderr is /dev/null, at start and after any reload. */
	if (e == CONF_OK && src->daemon && strcmp(conf->log_target, "stderr") == 0)
		snprintf(conf->log_target, sizeof(conf->log_target), "syslog");
	if (e != CONF_OK)
		return e;
	if (src->verbosity > 0)
		conf->log_level = LOG_LEVEL_DEBUG;
	else if (src->verbosity < 0)
		conf->log_level = LOG_LEVEL_WARN;
	if (conf_validate(conf, reason, sizeof(reason)) == -1) {
		/* Name the file, as the file's own errors do. */
		if (src->path != NULL)
			conf_err(err, errlen, "%s: %s", src->path, reason);
		else
			conf_err(err, errlen, "%s", reason);
		return CONF_ERR_INVALID;
	}
	return CONF_OK;
}

/*
 * The file is applied to a copy of conf, which is written back only when
 * the whole file is good: a bad file (say, on reload) leaves conf as it was.
 */
int
conf_load_file(struct conf *conf, const char *path, char *err, size_t errlen)
{
	struct conf_file f;
	int rc;

	memset(&f, 0, sizeof(f));
	f.conf = *conf;
	f.path = path;
	f.err = err;
	f.errlen = errlen;
	if ((f.fp = fopen(path, "r")) == NULL) {
		conf_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(file_reader, &f, file_handler, &f);
	fclose(f.fp);

	/* inih keeps going after a syntax error; we stop at our first. */
	if (rc > 0 && (!f.failed || rc < f.errline)) {
		conf_err(err, errlen, "%s:%d: syntax error (expected "
		    "'key = value' or '[section]')", path, rc);
		return -1;
	}
	if (f.failed)
		return -1;
	if (rc != 0) {
		conf_err(err, errlen, "%s: out of memory", path);
		return -1;
	}
	*conf = f.conf;
	return 0;
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

/*
 * conf_set already refuses a listener given twice; this catches lists
 * built any other way, and compares the canonical forms so that
 * "*:7007" and "0.0.0.0:7007" are the same listener.
 */
int
conf_validate(const struct conf *conf, char *err, size_t errlen)
{
	char canon[CONF_LISTEN_MAX][NET_ADDR_TEXT_MAX];
	char reason[CONF_ERR_MAX];
	struct net_addr addr;
	int i, j;

	if (conf->nlisten < 1) {
		conf_err(err, errlen, "[server] listen: no listen address "
		    "(give at least one)");
		return -1;
	}
	if (conf->nlisten > CONF_LISTEN_MAX) {
		conf_err(err, errlen, "[server] listen: too many listen "
		    "addresses (at most %d)", CONF_LISTEN_MAX);
		return -1;
	}
	for (i = 0; i < conf->nlisten; i++) {
		if (net_parse_addr(conf->listen[i], &addr, reason,
		    sizeof(reason)) == -1) {
			conf_err(err, errlen, "[server] listen: %s", reason);
			return -1;
		}
		memcpy(canon[i], addr.text, sizeof(canon[i]));
		for (j = 0; j < i; j++) {
			if (strcmp(canon[i], canon[j]) == 0) {
				conf_err(err, errlen, "[server] listen: '%s' "
				    "is given twice", canon[i]);
				return -1;
			}
		}
	}
	return validate_workers(conf, err, errlen);
}

/* Pool limits and timings that only make sense together. */
static int
validate_workers(const struct conf *conf, char *err, size_t errlen)
{
	if (conf->min_spare >= conf->max_spare) {
		conf_err(err, errlen, "[workers] min_spare (%d) must be less "
		    "than max_spare (%d)", conf->min_spare, conf->max_spare);
		return -1;
	}
	if (conf->pool_mode == CONF_POOL_DYNAMIC &&
	    conf->max_spare > conf->max_workers) {
		conf_err(err, errlen, "[workers] max_spare (%d) must not exceed "
		    "max (%d) in dynamic mode", conf->max_spare,
		    conf->max_workers);
		return -1;
	}
	if (conf->min_ready > conf->workers) {
		conf_err(err, errlen, "[workers] min_ready (%d) must not exceed "
		    "start (%d)", conf->min_ready, conf->workers);
		return -1;
	}
	if (conf->workers > conf->max_workers) {
		conf_err(err, errlen, "[workers] start (%d) must not exceed "
		    "max (%d)", conf->workers, conf->max_workers);
		return -1;
	}
	if (conf->worker_timeout_ms < 2 * conf->heartbeat_interval_ms) {
		conf_err(err, errlen, "[workers] worker_timeout (%lld ms) must "
		    "be at least twice heartbeat_interval (%lld ms)",
		    (long long)conf->worker_timeout_ms,
		    (long long)conf->heartbeat_interval_ms);
		return -1;
	}
	if (conf->restart_backoff_initial_ms > conf->restart_backoff_max_ms) {
		conf_err(err, errlen, "[workers] restart_backoff_initial "
		    "(%lld ms) must not exceed restart_backoff_max (%lld ms)",
		    (long long)conf->restart_backoff_initial_ms,
		    (long long)conf->restart_backoff_max_ms);
		return -1;
	}
	return 0;
}

void
conf_print(const struct conf *conf, FILE *out)
{
	char buf[64];
	size_t s, k;
	int i;

	fprintf(out, "# forkline configuration (effective values)\n");
	for (s = 0; s < NSECTIONS; s++) {
		fprintf(out, "\n[%s]\n", sections[s]);
		for (k = 0; k < NKEYS; k++) {
			if (strcmp(keys[k].section, sections[s]) != 0)
				continue;
			if (keys[k].type == CONF_T_LISTEN) {
				for (i = 0; i < conf->nlisten; i++)
					fprintf(out, "%s = %s\n", keys[k].name,
					    conf->listen[i]);
				continue;
			}
			if (keys[k].type == CONF_T_STRING) {
				fprintf(out, "%s = %s\n", keys[k].name,
				    (const char *)conf + keys[k].offset);
				continue;
			}
			format_value(keys[k].type, conf_get(conf, &keys[k]),
			    buf, sizeof(buf));
			fprintf(out, "%s = %s\n", keys[k].name, buf);
		}
	}
}

const char *
conf_protocol_name(enum conf_protocol protocol)
{
	if ((size_t)protocol >= sizeof(protocol_names) /
	    sizeof(protocol_names[0]))
		return "unknown";
	return protocol_names[protocol];
}

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

static void
conf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool
section_known(const char *section)
{
	size_t i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(section, sections[i]) == 0)
			return true;
	return false;
}

/* "server, workers, connection, log" */
static void
sections_list(char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < NSECTIONS && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    i > 0 ? ", " : "", sections[i]);
}

/*
 * Find the descriptor of section/name. A NULL or empty section is a key
 * written before any [section] line. Returns NULL with the reason in err.
 */
static const struct conf_key *
conf_lookup(const char *section, const char *name, char *err, size_t errlen)
{
	char list[128];
	size_t i;

	sections_list(list, sizeof(list));
	if (section == NULL || section[0] == '\0') {
		for (i = 0; i < NKEYS; i++)
			if (strcmp(keys[i].name, name) == 0)
				break;
		if (i < NKEYS)
			conf_err(err, errlen, "key '%s' is outside any section "
			    "(it belongs under [%s])", name, keys[i].section);
		else
			conf_err(err, errlen, "key '%s' is outside any section "
			    "(sections: %s)", name, list);
		return NULL;
	}
	if (!section_known(section)) {
		conf_err(err, errlen, "unknown section [%s] (sections: %s)",
		    section, list);
		return NULL;
	}
	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	conf_err(err, errlen, "[%s] unknown key '%s'", section, name);
	return NULL;
}

/*
 * Parse value as key's type, check its range and store it. Returns 0, or
 * -1 with "[section] key: reason" in err and conf unchanged.
 */
static int
conf_apply(struct conf *conf, const struct conf_key *key, const char *value,
    char *err, size_t errlen)
{
	const struct conf_typeinfo *t = &types[key->type];
	char reason[CONF_ERR_MAX], accepted[128], example[32];
	enum parse_result rc;
	int64_t v;

	if (key->type == CONF_T_LISTEN) {
		if (conf_apply_listen(conf, value, reason,
		    sizeof(reason)) == 0)
			return 0;
		conf_err(err, errlen, "[%s] %s: %s", key->section, key->name,
		    reason);
		return -1;
	}
	if (key->type == CONF_T_STRING)
		return conf_apply_string(conf, key, value, err, errlen);
	format_accepted(key, accepted, sizeof(accepted));
	rc = parse_value(key->type, value, &v);
	if (rc == PARSE_OK && v >= key->min && v <= key->max) {
		conf_put(conf, key, v);
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

/* The value must pass its check (for some keys "" unsets the key). */
static int
conf_apply_string(struct conf *conf, const struct conf_key *key,
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

/*
 * The longest value a string key takes: what its field holds, and no more
 * than fits on one line as conf_print writes it ("name = value"), so that
 * a printed configuration (forkline -t) always loads again. inih reads a
 * line into ini_max_line bytes; file_read_line keeps 3 for "\r\n" and NUL.
 */
static size_t
string_max(const struct conf_key *key)
{
	size_t line = ini_max_line > 3 ? (size_t)ini_max_line - 3 : 0;
	size_t used = strlen(key->name) + strlen(" = ");
	size_t fits = line > used ? line - used : 0;

	return fits < (size_t)key->max ? fits : (size_t)key->max;
}

/* User and group names ("" for none): what useradd accepts. */
static const char *
check_name(const char *v)
{
	const char *p;

	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.'))
			return "a user or group name: letters, digits, _ - .";
	return NULL;
}

static const char *
check_path(const char *v)
{
	return v[0] == '\0' || v[0] == '/' ? NULL :
	    "an absolute path, or nothing for none";
}

static const char *
check_log_target(const char *v)
{
	if (strcmp(v, "stderr") == 0 || strcmp(v, "syslog") == 0 ||
	    v[0] == '/')
		return NULL;
	return "stderr, syslog, or an absolute file path";
}

/* Decimal 0..65535 and nothing else. */
static bool
is_bare_port(const char *v)
{
	size_t n = strspn(v, "0123456789");

	return n > 0 && n <= 5 && v[n] == '\0' && strtol(v, NULL, 10) <= 65535;
}

/*
 * The admin endpoint has no authentication: a port alone means loopback,
 * never every interface. Another host must be asked for by address.
 */
static const char *
check_admin_listen(const char *v)
{
	char err[CONF_ERR_MAX];
	struct net_addr addr;

	if (strcmp(v, "off") == 0 || is_bare_port(v) ||
	    net_parse_addr(v, &addr, err, sizeof(err)) == 0)
		return NULL;
	return "off, a port (on 127.0.0.1), or an address like the listen "
	    "key's (127.0.0.1:7008, unix:/path)";
}

static void
canon_admin_listen(const char *v, char *out, size_t len)
{
	if (is_bare_port(v))
		snprintf(out, len, "127.0.0.1:%ld", strtol(v, NULL, 10));
	else
		snprintf(out, len, "%s", v);
}

static const char *
check_access_log(const char *v)
{
	if (strcmp(v, "off") == 0 || v[0] == '/')
		return NULL;
	return "off, or an absolute file path";
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

/* Add a listener in its canonical form; refuse a full list or a repeat. */
static int
conf_apply_listen(struct conf *conf, const char *value, char *err,
    size_t errlen)
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

static int64_t
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
	case CONF_T_STRING:
		break;
	case CONF_T_LISTEN:
		break;
	}
	return 0;
}

/* v is within the key's range, so every conversion below is exact. */
static void
conf_put(struct conf *conf, const struct conf_key *key, int64_t v)
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
	case CONF_T_STRING:
		break;
	case CONF_T_LISTEN:
		break;
	}
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

static enum parse_result
parse_value(enum conf_type type, const char *text, int64_t *out)
{
	const struct conf_typeinfo *t = &types[type];

	if (t->parse_name != NULL)
		return t->parse_name(text, out) == 0 ? PARSE_OK : PARSE_BAD;
	return parse_number(text, t->base, t->units, INT64_MAX, out);
}

/*
 * Write v the way a user would: names for enums, "0660" for modes, the
 * largest unit that divides v exactly for durations and sizes ("250ms",
 * "5m", "8k"), and a bare "0" for zero.
 */
static void
format_value(enum conf_type type, int64_t v, char *buf, size_t len)
{
	const struct conf_typeinfo *t = &types[type];
	const struct conf_unit *u;

	if (t->name != NULL) {
		snprintf(buf, len, "%s", t->name(v));
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

/* "1..65535", "10ms..24h", "16..1M", or "line, echo" for named types. */
static void
format_accepted(const struct conf_key *key, char *buf, size_t len)
{
	char lo[32], hi[32];
	size_t used = 0;
	int64_t v;

	if (key->type == CONF_T_BOOL) {
		snprintf(buf, len, "yes or no (or true/false, on/off, 1/0)");
		return;
	}
	if (types[key->type].name == NULL) {
		format_value(key->type, key->min, lo, sizeof(lo));
		format_value(key->type, key->max, hi, sizeof(hi));
		snprintf(buf, len, "%s..%s", lo, hi);
		return;
	}
	buf[0] = '\0';
	for (v = key->min; v <= key->max && used < len; v++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    v > key->min ? ", " : "", types[key->type].name(v));
}

/* The key's default, as an example of the syntax. */
static void
format_example(const struct conf_key *key, char *buf, size_t len)
{
	struct conf def;

	conf_defaults(&def);
	format_value(key->type, conf_get(&def, key), buf, len);
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

static const char *const poolmode_names[] = {
	[CONF_POOL_STATIC] = "static",
	[CONF_POOL_DYNAMIC] = "dynamic",
};

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

const char *
conf_pool_mode_name(enum conf_pool_mode mode)
{
	if ((size_t)mode >= sizeof(poolmode_names) / sizeof(poolmode_names[0]))
		return "unknown";
	return poolmode_names[mode];
}

static const char *
loglevel_name(int64_t v)
{
	return log_level_name((enum log_level)v);
}

/*
 * Record the file's first error as "PATH:LINE: message" and return 0,
 * which is what tells inih the handler failed.
 */
static int
file_fail(struct conf_file *f, const char *fmt, ...)
{
	char msg[CONF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_err(f->err, f->errlen, "%s:%d: %s", f->path, f->lineno, msg);
	f->failed = true;
	f->errline = f->lineno;
	return 0;
}

/*
 * Read one line into buf (size bytes, inih's line limit), without its
 * "\n" or "\r\n". Returns 1 for a line, 0 at the end of the file, -1 after
 * recording an error: a line that does not fit (inih would silently cut
 * it in two), a NUL byte, or a read error such as EISDIR.
 */
static int
file_read_line(struct conf_file *f, char *buf, int size)
{
	int c, n = 0, max = size - 3;	/* room for "\r\n" and NUL */

	while ((c = getc(f->fp)) != EOF && c != '\n') {
		if (c == '\0') {
			file_fail(f, "NUL byte in line");
			return -1;
		}
		if (n == size - 1)
			break;
		buf[n++] = (char)c;
	}
	if (c == EOF && ferror(f->fp)) {
		conf_err(f->err, f->errlen, "%s: %s", f->path,
		    strerror(errno));
		f->failed = true;
		f->errline = f->lineno;
		return -1;
	}
	if (c == EOF && n == 0)
		return 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n > max || (c != EOF && c != '\n')) {
		file_fail(f, "line too long (more than %d characters)", max);
		return -1;
	}
	buf[n] = '\0';
	return 1;
}

/*
 * inih only calls the handler for key = value lines, so an unknown
 * section without keys would go unnoticed, and a bad one with keys would
 * be reported at its first key. Check headers here, where the line number
 * is the header's. Text after "]" may only be a comment.
 */
static int
file_check_section(struct conf_file *f, const char *line)
{
	char name[CONF_ERR_MAX / 2], list[128];
	const char *end, *rest;

	if (line[0] != '[' || (end = strchr(line, ']')) == NULL)
		return 0;	/* not a header, or inih's syntax error */
	for (rest = end + 1; *rest == ' ' || *rest == '\t'; rest++)
		;
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		file_fail(f, "syntax error (expected 'key = value' or "
		    "'[section]')");
		return -1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(end - line - 1), line + 1);
	if (section_known(name))
		return 0;
	sections_list(list, sizeof(list));
	file_fail(f, "unknown section [%s] (sections: %s)", name, list);
	return -1;
}

/*
 * inih's fgets-style reader. Counting lines here is how the handler knows
 * its line number (Debian's inih is built without INI_HANDLER_LINENO).
 * Leading blanks are removed so inih never sees a continuation line: its
 * Python-style multi-line values would silently turn an indented stray
 * value into a second assignment; here it is a syntax error. Returning
 * NULL ends the parse, which is how we stop at the first error.
 */
static char *
file_reader(char *str, int num, void *stream)
{
	struct conf_file *f = stream;
	char *p;

	if (f->failed || num < 4)
		return NULL;
	f->lineno++;
	if (file_read_line(f, str, num) != 1)
		return NULL;
	p = str;
	if (f->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;		/* UTF-8 byte order mark */
	while (*p == ' ' || *p == '\t')
		p++;
	memmove(str, p, strlen(p) + 1);
	if (file_check_section(f, str) == -1)
		return NULL;
	return str;
}

static int
file_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_file *f = user;
	const struct conf_key *key;
	char reason[CONF_ERR_MAX];

	if (f->failed)
		return 0;
	if ((key = conf_lookup(section, name, reason, sizeof(reason))) == NULL)
		return file_fail(f, "%s", reason);
	/* The file's first listen replaces the list; later ones add. */
	if (key->type == CONF_T_LISTEN && !f->listen_seen) {
		conf_listen_clear(&f->conf);
		f->listen_seen = true;
	}
	if (conf_apply(&f->conf, key, value, reason, sizeof(reason)) == -1)
		return file_fail(f, "%s", reason);
	return 1;
}
