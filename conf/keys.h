/*
 * keys: what the files of conf/ share, and nothing outside conf/ needs.
 *
 * Every key is a row in one table (keys.c): section, name, value type,
 * accepted range and where it lives in struct conf. Loading, range checks,
 * error texts and printing all walk that table, so a new key is one new
 * row (plus its field, its default and its paragraph in forkline.conf).
 *
 * Values travel through the table as int64_t: integers, octal modes,
 * durations in milliseconds, sizes in bytes and enum indices all fit. How
 * each type is read and written is values.c.
 *
 * The files call one way only: load.c uses rules.c and keys.c, rules.c
 * and print.c use keys.c, and keys.c and print.c use values.c.
 */
#ifndef FORKLINE_CONF_KEYS_H
#define FORKLINE_CONF_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

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
	CONF_T_PROBABILITY,	/* int, millionths: "5%", "0.05" */
	CONF_T_DISTRIBUTION,	/* enum conf_distribution */
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
	/* Numbers with a syntax of their own (probabilities): both set. */
	enum parse_result	(*parse)(const char *, int64_t *);
	void			(*format)(int64_t, char *, size_t);
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

/* keys.c: the sections and the keys, in the order conf_print writes them. */
extern const char *const	 conf_sections[];
extern const size_t		 conf_nsections;
extern const struct conf_key	 conf_keys[];
extern const size_t		 conf_nkeys;

/* keys.c: errors, and finding, setting and reading one key. */

/* Format an error into err, which may be NULL or empty (then nothing). */
void	 conf_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
bool	 conf_section_known(const char *section);
void	 conf_sections_list(char *buf, size_t len);

/*
 * Find the descriptor of section/name. A NULL or empty section is a key
 * written before any [section] line. Returns NULL with the reason in err.
 */
const struct conf_key *conf_lookup(const char *section, const char *name,
	    char *err, size_t errlen);

/*
 * Parse value as key's type, check its range and store it. Returns 0, or
 * -1 with "[section] key: reason" in err and conf unchanged.
 */
int	 conf_apply(struct conf *conf, const struct conf_key *key,
	    const char *value, char *err, size_t errlen);

/* A numeric or named key's value (not LISTEN or STRING: 0). */
int64_t	 conf_get(const struct conf *conf, const struct conf_key *key);

/* values.c: the value types. */
extern const struct conf_typeinfo conf_types[];

enum parse_result conf_parse_value(enum conf_type type, const char *text,
	    int64_t *out);

/*
 * Write v the way a user would: names for enums, "0660" for modes, the
 * largest unit that divides v exactly for durations and sizes ("250ms",
 * "5m", "8k"), and a bare "0" for zero.
 */
void	 conf_format_value(enum conf_type type, int64_t v, char *buf,
	    size_t len);

/* "1..65535", "10ms..24h", "16..1M", or "line, echo" for named types. */
void	 conf_format_accepted(const struct conf_key *key, char *buf,
	    size_t len);

/*
 * values.c: the checks of the string keys, each NULL for a value it
 * accepts, else what is accepted; and the form [admin] listen is stored in.
 */
const char *conf_check_name(const char *v);
const char *conf_check_path(const char *v);
const char *conf_check_log_target(const char *v);
const char *conf_check_access_log(const char *v);
const char *conf_check_admin_listen(const char *v);
void	 conf_canon_admin_listen(const char *v, char *out, size_t len);

#endif
