/*
 * config: forkline's configuration.
 *
 * Three layers, later ones win: embedded defaults (conf_defaults), an INI file
 * (conf_load_file, parsed with inih), command-line overrides (conf_set with
 * the same section/key names, or the listen helpers). Every value is checked
 * where it is set; conf_validate checks what spans keys. Errors name the file,
 * line, section, key and the accepted range, and are returned in a
 * caller-supplied buffer; nothing here prints or exits.
 *
 * The code, by concern: keys.c (the key table, defaults, conf_set),
 * values.c (value types: parsing and formatting), load.c (files and
 * conf_build), rules.c (conf_validate), print.c (conf_print); what they
 * share is conf/keys.h.
 */
#ifndef FORKLINE_CONFIG_H
#define FORKLINE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log_level.h"

#define CONF_LISTEN_MAX		16
#define CONF_ADDR_MAX		128	/* address text: NET_ADDR_TEXT_MAX */
#define CONF_WORKERS_MAX	8192	/* [workers] start, max, spares */
#define CONF_NAME_MAX		64	/* user and group names */
#define CONF_PATH_MAX		256	/* file paths in the configuration */
#define CONF_ERR_MAX		512

enum conf_protocol {
	CONF_PROTO_LINE,
	CONF_PROTO_ECHO,
};

enum conf_pool_mode {
	CONF_POOL_STATIC,	/* exactly `start` workers */
	CONF_POOL_DYNAMIC,	/* between min_spare idle and max in all */
};

/* How a fault's delay is drawn (docs/FAULTS.md, "Delays"). */
enum conf_distribution {
	CONF_DIST_FIXED,
	CONF_DIST_UNIFORM,
	CONF_DIST_NORMAL,
	CONF_DIST_EXPONENTIAL,
	CONF_DIST_PARETO,
};

#define CONF_PPM_ONE	1000000	/* a probability of 1, in millionths */

/*
 * [faults]: what a worker injects (docs/FAULTS.md). Probabilities are in
 * millionths. A connection's FAULT command sets its own copy, with the
 * same keys, through conf_faults_set (conf/faults.c).
 */
struct conf_faults {
	int64_t		 latency_ms;
	int64_t		 jitter_ms;
	enum conf_distribution distribution;
	int		 reset_ppm;
	int		 stall_ppm;
	int		 error_ppm;
	int		 close_ppm;
	int		 crash_ppm;
	size_t		 bandwidth;		/* bytes/s; 0: no limit */
	int		 seed;			/* 0: the master chooses */
	bool		 allow_client;
};

struct conf {
	/* [server] */
	char		 listen[CONF_LISTEN_MAX][CONF_ADDR_MAX];
	int		 nlisten;
	enum conf_protocol protocol;
	int		 backlog;
	int64_t		 grace_period_ms;
	unsigned	 unix_mode;
	char		 user[CONF_NAME_MAX];	/* "": do not switch */
	char		 group[CONF_NAME_MAX];	/* "": the user's group */
	bool		 allow_root;
	char		 pid_file[CONF_PATH_MAX];	/* "": none */

	/* [workers] */
	enum conf_pool_mode pool_mode;		/* key "mode" */
	int		 workers;		/* key "start" */
	int		 min_ready;		/* 0: all of start */
	int		 min_spare;
	int		 max_spare;
	int		 max_workers;		/* key "max" */
	int		 spawn_rate;		/* workers per second */
	int		 max_requests;		/* 0: never recycle */
	int		 max_requests_jitter;
	size_t		 max_rss;		/* bytes; 0: no limit */
	int		 recycle_concurrency;
	int64_t		 heartbeat_interval_ms;
	int64_t		 worker_timeout_ms;
	int64_t		 kill_grace_ms;
	int64_t		 restart_backoff_initial_ms;
	int64_t		 restart_backoff_max_ms;
	int64_t		 fatal_after_ms;	/* 0: never give up */

	/* [connection] */
	int64_t		 idle_timeout_ms;
	int64_t		 send_timeout_ms;
	size_t		 max_line;
	int64_t		 max_sleep_ms;
	size_t		 max_blob;
	int64_t		 park_after_ms;	/* 0: idle connections stay */
	int		 max_parked;	/* 0: from the lobby's RLIMIT_NOFILE */

	/* [log] */
	enum log_level	 log_level;
	char		 log_target[CONF_PATH_MAX];	/* stderr, syslog, PATH */
	char		 access_log[CONF_PATH_MAX];	/* "": off */

	/* [admin] */
	char		 admin_listen[CONF_ADDR_MAX];	/* "off" */

	/* [faults] */
	struct conf_faults faults;
};

void	 conf_defaults(struct conf *conf);

/*
 * Where a configuration comes from: the file and the command-line
 * overrides. Kept by the master so a reload rebuilds the configuration
 * with the same overrides on top of the new file.
 */
struct conf_source {
	const char	*path;			/* NULL: defaults only */
	const char	*listen[CONF_LISTEN_MAX];	/* -l */
	int		 nlisten;
	const char	*workers;		/* -w */
	const char	*protocol;		/* -p */
	const char	*pid_file;		/* --pid-file */
	const char	*admin;			/* -a */
	bool		 daemon;		/* -d: stderr target = syslog */
	int		 verbosity;		/* -1 -q, 0, 1 -v */
};

enum conf_error {
	CONF_OK,
	CONF_ERR_FILE,		/* the file: exit 78 */
	CONF_ERR_FLAG,		/* a command-line value: exit 64 */
	CONF_ERR_INVALID,	/* the combination: exit 78 */
};

/* Defaults, then the file, then the overrides, then conf_validate. */
enum conf_error conf_build(const struct conf_source *src, struct conf *conf,
	    char *err, size_t errlen);

/*
 * Apply an INI file on top of conf. The first "listen" in the file replaces
 * the listen list it started with; later ones add to it. Returns 0, or -1
 * with "PATH:LINE: [section] key: reason" in err (for an unreadable file:
 * "PATH: strerror").
 */
int	 conf_load_file(struct conf *conf, const char *path, char *err,
	    size_t errlen);

/*
 * Set one key. "listen" adds to the list. Returns 0, or -1 with
 * "[section] key: reason (accepted: ...)" in err.
 */
int	 conf_set(struct conf *conf, const char *section, const char *key,
	    const char *value, char *err, size_t errlen);

void	 conf_listen_clear(struct conf *conf);

/* Checks spanning keys (at least one listener, no duplicate listener). */
int	 conf_validate(const struct conf *conf, char *err, size_t errlen);

/* Print the effective configuration as a loadable INI file. */
void	 conf_print(const struct conf *conf, FILE *out);

const char *conf_protocol_name(enum conf_protocol protocol);
const char *conf_pool_mode_name(enum conf_pool_mode mode);
const char *conf_distribution_name(enum conf_distribution dist);

/*
 * faults.c: a set of faults on its own, for the FAULT command and the log.
 *
 * conf_faults_set sets one key of [faults] (not allow_client) from text,
 * with the file's syntax; -1 with "KEY: reason" in err and f unchanged.
 * conf_faults_check is what spans the keys (jitter against latency and
 * the distribution): 0, or -1 with the reason. conf_faults_any says
 * whether any fault is on; conf_faults_format writes "latency=20ms
 * jitter=5ms ..." (every key with all, else only those that are on, or
 * "off").
 */
int	 conf_faults_set(struct conf_faults *f, const char *key,
	    const char *value, char *err, size_t errlen);
int	 conf_faults_check(const struct conf_faults *f, char *err,
	    size_t errlen);
bool	 conf_faults_any(const struct conf_faults *f);
void	 conf_faults_format(const struct conf_faults *f, bool all, char *buf,
	    size_t len);
/* Every key conf_faults_set takes, space-separated. */
extern const char conf_faults_keys[];
/* Are two configurations the same but for [faults]? And [faults]? */
bool	 conf_same_but_faults(const struct conf *a, const struct conf *b);
bool	 conf_same_faults(const struct conf *a, const struct conf *b);

/*
 * Value parsers, exposed for tests. Durations: a number with a unit
 * ms, s, m or h ("250ms", "10s", "5m"); a bare number means seconds.
 * Sizes: a number with an optional k or M suffix (1024 and 1024*1024).
 * Both return 0, or -1 on anything else (sign, junk, overflow).
 */
int	 conf_parse_duration(const char *text, int64_t *ms);
int	 conf_parse_size(const char *text, size_t *bytes);

#endif
