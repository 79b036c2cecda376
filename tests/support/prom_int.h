/*
 * prom_int: the inside of the Prometheus text checker, shared by prom.c
 * (families, samples, histograms) and prom_lex.c (names, numbers, label
 * sets, and the first problem found).
 */
#ifndef FORKLINE_TEST_PROM_INT_H
#define FORKLINE_TEST_PROM_INT_H

#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX_LEN	200
#define VALUE_MAX_LEN	1024
#define LABELS_MAX	32
#define SERIES_MAX	4096

enum type { T_NONE, T_COUNTER, T_GAUGE, T_HISTOGRAM, T_SUMMARY, T_UNTYPED };

struct label {
	char	 name[NAME_MAX_LEN + 1];
	char	 value[VALUE_MAX_LEN + 1];
};

/* One histogram's buckets, sum and count for one set of labels. */
struct hgroup {
	char	*base;		/* canonical labels without le */
	int	 buckets;
	double	 last_le;
	double	 last_count;
	bool	 have_inf, have_sum, have_count;
	double	 inf, count;
};

struct checker {
	int		 lineno;
	char		*err;
	size_t		 errlen;
	bool		 failed;
	/* The family declared last. */
	char		 fam[NAME_MAX_LEN + 1];
	enum type	 type;
	bool		 help, typed, sampled;
	/* Every family declared and every series seen. */
	char		*families[SERIES_MAX];
	int		 nfamilies;
	char		*series[SERIES_MAX];
	int		 nseries;
	struct hgroup	 groups[SERIES_MAX];
	int		 ngroups;
};

/* Note the first problem (with its line number); returns false. */
bool	 prom_problem(struct checker *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Length of the metric (or, if label, label) name at p, before end. */
size_t	 prom_name_len(const char *p, const char *end, bool label);
/* A sample value or le: a float, NaN, [+-]Inf. */
bool	 prom_parse_float(const char *p, size_t len, double *out);
bool	 prom_ends_with(const char *s, const char *suffix);
/* A series' name and labels, sorted, skip left out; malloc'ed. */
char	*prom_canonical(const char *name, const struct label *labels, int n,
	    const char *skip);
/* {a="x",b="y"} at *pp (which is left after it); count, or -1. */
int	 prom_parse_labels(struct checker *c, const char **pp,
	    const char *end, struct label *labels);
/* The value of label name, NULL if it has none. */
const char *prom_label_value(const struct label *labels, int n,
	    const char *name);

#endif
