/*
 * prom: see prom.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/prom.h"

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

static bool	 problem(struct checker *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static size_t	 name_len(const char *, const char *, bool);
static bool	 parse_float(const char *, size_t, double *);
static bool	 ends_with(const char *, const char *);
static char	*canonical(const char *, const struct label *, int,
		    const char *);
static bool	 end_family(struct checker *);
static bool	 meta_line(struct checker *, const char *, const char *);
static int	 parse_labels(struct checker *, const char **, const char *,
		    struct label *);
static bool	 sample_line(struct checker *, const char *, const char *);
static bool	 histogram_sample(struct checker *, const char *,
		    const struct label *, int, double);
static void	 checker_free(struct checker *);

static bool
problem(struct checker *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!c->failed) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (c->err != NULL)
			snprintf(c->err, c->errlen, "line %d: %s", c->lineno,
			    msg);
		c->failed = true;
	}
	return false;
}

/* Length of the metric (or, if label, label) name at p, before end. */
static size_t
name_len(const char *p, const char *end, bool label)
{
	size_t n = 0;
	char ch;

	for (; p + n < end; n++) {
		ch = p[n];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    ch == '_' || (!label && ch == ':'))
			continue;
		if (n > 0 && ch >= '0' && ch <= '9')
			continue;
		break;
	}
	return n;
}

/* [+-]digits[.digits][e[+-]digits] (or .digits), NaN, [+-]Inf. */
static bool
parse_float(const char *p, size_t len, double *out)
{
	char buf[64];
	size_t i = 0, digits = 0;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (strcmp(buf, "NaN") == 0 || strcmp(buf, "+Inf") == 0 ||
	    strcmp(buf, "-Inf") == 0 || strcmp(buf, "Inf") == 0) {
		*out = strtod(buf, NULL);
		return true;
	}
	if (buf[i] == '+' || buf[i] == '-')
		i++;
	for (; buf[i] >= '0' && buf[i] <= '9'; i++)
		digits++;
	if (buf[i] == '.')
		for (i++; buf[i] >= '0' && buf[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return false;
	if (buf[i] == 'e' || buf[i] == 'E') {
		i++;
		if (buf[i] == '+' || buf[i] == '-')
			i++;
		if (buf[i] < '0' || buf[i] > '9')
			return false;
		while (buf[i] >= '0' && buf[i] <= '9')
			i++;
	}
	if (buf[i] != '\0')
		return false;
	*out = strtod(buf, NULL);
	return true;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->name,
	    ((const struct label *)b)->name);
}

/* "name{a=\"..\",b=\"..\"}", labels sorted, skip (if not NULL) left out;
 * malloc'ed. Values are kept decoded: only compared, never printed. */
static char *
canonical(const char *name, const struct label *labels, int n,
    const char *skip)
{
	struct label sorted[LABELS_MAX];
	size_t len = strlen(name) + 3, off;
	char *s;
	int i;

	memcpy(sorted, labels, sizeof(*labels) * (size_t)n);
	qsort(sorted, (size_t)n, sizeof(*sorted), label_cmp);
	for (i = 0; i < n; i++)
		len += strlen(sorted[i].name) + strlen(sorted[i].value) + 4;
	if ((s = malloc(len)) == NULL)
		abort();
	off = (size_t)snprintf(s, len, "%s{", name);
	for (i = 0; i < n; i++)
		if (skip == NULL || strcmp(sorted[i].name, skip) != 0)
			off += (size_t)snprintf(s + off, len - off,
			    "%s=\"%s\"\x1f", sorted[i].name, sorted[i].value);
	snprintf(s + off, len - off, "}");
	return s;
}

/* The declared family is over: check its histograms. */
static bool
end_family(struct checker *c)
{
	struct hgroup *g;
	int i;
	bool ok = true;

	for (i = 0; i < c->ngroups; i++) {
		g = &c->groups[i];
		if (ok && g->buckets == 0)
			ok = problem(c, "histogram %s %s: no _bucket samples",
			    c->fam, g->base);
		else if (ok && !g->have_inf)
			ok = problem(c, "histogram %s %s: no le=\"+Inf\" "
			    "bucket", c->fam, g->base);
		else if (ok && !g->have_sum)
			ok = problem(c, "histogram %s %s: no _sum", c->fam,
			    g->base);
		else if (ok && !g->have_count)
			ok = problem(c, "histogram %s %s: no _count", c->fam,
			    g->base);
		else if (ok && g->inf != g->count)
			ok = problem(c, "histogram %s %s: +Inf bucket %g but "
			    "_count %g", c->fam, g->base, g->inf, g->count);
		free(g->base);
	}
	c->ngroups = 0;
	return ok;
}

/* "# HELP name text", "# TYPE name type", or another comment. */
static bool
meta_line(struct checker *c, const char *p, const char *end)
{
	static const char *const types[] = { "", "counter", "gauge",
	    "histogram", "summary", "untyped" };
	bool is_help;
	char name[NAME_MAX_LEN + 1];
	size_t n, tl;
	int i;

	if ((size_t)(end - p) >= 7 && memcmp(p, "# HELP ", 7) == 0)
		is_help = true;
	else if ((size_t)(end - p) >= 7 && memcmp(p, "# TYPE ", 7) == 0)
		is_help = false;
	else
		return true;		/* a comment */
	p += 7;
	if ((n = name_len(p, end, false)) == 0 || n > NAME_MAX_LEN)
		return problem(c, "bad metric name after # %s",
		    is_help ? "HELP" : "TYPE");
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	if (strcmp(name, c->fam) != 0) {
		if (!end_family(c))
			return false;
		for (i = 0; i < c->nfamilies; i++)
			if (strcmp(c->families[i], name) == 0)
				return problem(c, "family %s declared again "
				    "(its lines are not together)", name);
		if (c->nfamilies == SERIES_MAX)
			return problem(c, "too many families");
		if ((c->families[c->nfamilies++] = strdup(name)) == NULL)
			abort();
		snprintf(c->fam, sizeof(c->fam), "%s", name);
		c->type = T_NONE;
		c->help = c->typed = c->sampled = false;
	} else if (c->sampled)
		return problem(c, "# %s %s after its samples",
		    is_help ? "HELP" : "TYPE", name);
	if (is_help) {
		if (c->help)
			return problem(c, "second # HELP for %s", name);
		c->help = true;
		if (p == end)
			return true;
		if (*p++ != ' ')
			return problem(c, "no space after the name in # HELP");
		for (; p < end; p++)
			if (*p == '\\' && (p + 1 == end ||
			    (p[1] != '\\' && p[1] != 'n')))
				return problem(c, "bad escape in # HELP %s",
				    name);
			else if (*p == '\\')
				p++;
		return true;
	}
	if (c->typed)
		return problem(c, "second # TYPE for %s", name);
	if (p == end || *p++ != ' ')
		return problem(c, "no type in # TYPE %s", name);
	tl = (size_t)(end - p);
	for (i = 1; i < (int)(sizeof(types) / sizeof(types[0])); i++)
		if (strlen(types[i]) == tl && memcmp(p, types[i], tl) == 0)
			break;
	if (i == (int)(sizeof(types) / sizeof(types[0])))
		return problem(c, "unknown type \"%.*s\" for %s", (int)tl, p,
		    name);
	c->type = (enum type)i;
	c->typed = true;
	if (c->type == T_COUNTER && !ends_with(name, "_total"))
		return problem(c, "counter %s does not end in _total", name);
	return true;
}

/* {a="x",b="y"} at *pp (which is left after it); count, or -1. */
static int
parse_labels(struct checker *c, const char **pp, const char *end,
    struct label *labels)
{
	const char *p = *pp;
	size_t n, vl;
	int k = 0, i;
	char ch;

	if (p >= end || *p != '{')
		return 0;
	p++;
	if (p < end && *p == '}') {
		*pp = p + 1;
		return 0;
	}
	for (;;) {
		if (k == LABELS_MAX)
			return (void)problem(c, "too many labels"), -1;
		if ((n = name_len(p, end, true)) == 0 || n > NAME_MAX_LEN)
			return (void)problem(c, "bad label name"), -1;
		if (n >= 2 && p[0] == '_' && p[1] == '_')
			return (void)problem(c, "reserved label name %.*s", (int)n,
			    p), -1;
		memcpy(labels[k].name, p, n);
		labels[k].name[n] = '\0';
		p += n;
		for (i = 0; i < k; i++)
			if (strcmp(labels[i].name, labels[k].name) == 0)
				return (void)problem(c, "label %s twice",
				    labels[k].name), -1;
		if (end - p < 2 || p[0] != '=' || p[1] != '"')
			return (void)problem(c, "expected =\" after label %s",
			    labels[k].name), -1;
		for (p += 2, vl = 0; p < end && *p != '"'; p++) {
			ch = *p;
			if (ch == '\\') {
				if (++p == end || (*p != '\\' && *p != '"' &&
				    *p != 'n'))
					return (void)problem(c, "bad escape "
					    "in the value of %s",
					    labels[k].name), -1;
				ch = *p == 'n' ? '\n' : *p;
			}
			if (vl == VALUE_MAX_LEN)
				return (void)problem(c, "label value too "
				    "long"), -1;
			labels[k].value[vl++] = ch;
		}
		if (p == end)
			return (void)problem(c, "unterminated value of label %s",
			    labels[k].name), -1;
		labels[k++].value[vl] = '\0';
		p++;			/* '"' */
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}') {
			*pp = p + 1;
			return k;
		}
		return (void)problem(c, "expected , or } after a label"), -1;
	}
}

static const char *
label_value(const struct label *labels, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(labels[i].name, name) == 0)
			return labels[i].value;
	return NULL;
}

static bool
histogram_sample(struct checker *c, const char *name,
    const struct label *labels, int n, double v)
{
	const char *suffix = name + strlen(c->fam);
	const char *le = label_value(labels, n, "le");
	struct hgroup *g = NULL;
	char *base;
	double bound;
	int i;

	if (strcmp(suffix, "_bucket") != 0 && strcmp(suffix, "_sum") != 0 &&
	    strcmp(suffix, "_count") != 0)
		return problem(c, "%s is not a sample of histogram %s", name,
		    c->fam);
	if ((le != NULL) != (strcmp(suffix, "_bucket") == 0))
		return problem(c, "%s: le %s", name, le != NULL ?
		    "on a sample other than _bucket" : "missing");
	base = canonical("", labels, n, "le");
	for (i = 0; i < c->ngroups && g == NULL; i++)
		if (strcmp(c->groups[i].base, base) == 0)
			g = &c->groups[i];
	if (g == NULL) {
		if (c->ngroups == SERIES_MAX)
			return free(base), problem(c, "too many histograms");
		g = &c->groups[c->ngroups++];
		memset(g, 0, sizeof(*g));
		g->base = base;
	} else
		free(base);
	if (strcmp(suffix, "_sum") == 0) {
		g->have_sum = true;
		return true;
	}
	if (isnan(v) || v < 0)
		return problem(c, "%s: count %g", name, v);
	if (strcmp(suffix, "_count") == 0) {
		g->have_count = true;
		g->count = v;
		return true;
	}
	if (!parse_float(le, strlen(le), &bound) || isnan(bound))
		return problem(c, "%s: le=\"%s\" is not a number", name, le);
	if (g->buckets > 0 && !(bound > g->last_le))
		return problem(c, "%s: le=\"%s\" not above the previous "
		    "bucket's", name, le);
	if (g->buckets > 0 && v < g->last_count)
		return problem(c, "%s{le=\"%s\"}: %g below the previous "
		    "bucket's %g (buckets are cumulative)", name, le, v,
		    g->last_count);
	g->buckets++;
	g->last_le = bound;
	g->last_count = v;
	if (isinf(bound) && bound > 0) {
		g->have_inf = true;
		g->inf = v;
	}
	return true;
}

static bool
sample_line(struct checker *c, const char *p, const char *end)
{
	struct label labels[LABELS_MAX];
	char name[NAME_MAX_LEN + 1], *key;
	const char *line = p, *v, *sp;
	double value;
	size_t n;
	int k, i;

	if ((n = name_len(p, end, false)) == 0 || n > NAME_MAX_LEN)
		return problem(c, "bad metric name");
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	if ((k = parse_labels(c, &p, end, labels)) < 0)
		return false;
	if (p == end || *p++ != ' ')
		return problem(c, "expected a space before the value");
	v = p;
	sp = memchr(v, ' ', (size_t)(end - v));
	if (!parse_float(v, (size_t)((sp != NULL ? sp : end) - v), &value))
		return problem(c, "bad value \"%.*s\"", (int)((sp != NULL ?
		    sp : end) - v), v);
	if (sp != NULL) {
		for (p = sp + 1, n = 0; p < end; p++, n++)
			if (!((*p >= '0' && *p <= '9') || (*p == '-' && n == 0)))
				break;
		if (p != end || n == 0 || (n == 1 && sp[1] == '-'))
			return problem(c, "bad timestamp after the value");
	}
	/* Its family. */
	if (c->fam[0] == '\0' || strncmp(name, c->fam, strlen(c->fam)) != 0)
		return problem(c, "sample %s is not in the family declared "
		    "last (%s)", name, c->fam[0] != '\0' ? c->fam : "none");
	if (!c->help || !c->typed)
		return problem(c, "sample %s before # %s", name,
		    !c->help ? "HELP" : "TYPE");
	c->sampled = true;
	switch (c->type) {
	case T_HISTOGRAM:
		if (!histogram_sample(c, name, labels, k, value))
			return false;
		break;
	case T_SUMMARY:
		if (strcmp(name, c->fam) == 0 ? label_value(labels, k,
		    "quantile") == NULL : strcmp(name + strlen(c->fam),
		    "_sum") != 0 && strcmp(name + strlen(c->fam),
		    "_count") != 0)
			return problem(c, "%s is not a sample of summary %s",
			    name, c->fam);
		break;
	default:
		if (strcmp(name, c->fam) != 0)
			return problem(c, "sample %s is not in the family "
			    "declared last (%s)", name, c->fam);
		if (c->type == T_COUNTER && !(value >= 0))
			return problem(c, "counter %s is %g", name, value);
		break;
	}
	key = canonical(name, labels, k, NULL);
	for (i = 0; i < c->nseries; i++)
		if (strcmp(c->series[i], key) == 0) {
			free(key);
			return problem(c, "series %.*s twice",
			    (int)(v - 1 - line), line);
		}
	if (c->nseries == SERIES_MAX) {
		free(key);
		return problem(c, "too many series");
	}
	c->series[c->nseries++] = key;
	return true;
}

static void
checker_free(struct checker *c)
{
	int i;

	for (i = 0; i < c->nfamilies; i++)
		free(c->families[i]);
	for (i = 0; i < c->nseries; i++)
		free(c->series[i]);
	for (i = 0; i < c->ngroups; i++)
		free(c->groups[i].base);
	free(c);
}

bool
prom_validate(const char *text, size_t len, char *err, size_t errlen)
{
	struct checker *c = calloc(1, sizeof(*c));
	const char *p = text, *end = text + len, *nl;
	bool ok = true;

	if (c == NULL)
		abort();
	c->err = err;
	c->errlen = errlen;
	if (len > 0 && text[len - 1] != '\n')
		ok = problem(c, "the text does not end with a newline");
	for (; ok && p < end; p = nl + 1) {
		c->lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (memchr(p, '\r', (size_t)(nl - p)) != NULL ||
		    memchr(p, '\0', (size_t)(nl - p)) != NULL)
			ok = problem(c, "CR or NUL in the line");
		else if (nl == p)
			continue;
		else if (*p == '#')
			ok = meta_line(c, p, nl);
		else
			ok = sample_line(c, p, nl);
	}
	c->lineno++;
	if (ok)
		ok = end_family(c);
	checker_free(c);
	return ok;
}

bool
prom_value(const char *text, size_t len, const char *series, double *out)
{
	const char *p = text, *end = text + len, *nl, *sp;
	size_t n = strlen(series);

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((size_t)(nl - p) > n && memcmp(p, series, n) == 0 &&
		    p[n] == ' ') {
			sp = memchr(p + n + 1, ' ', (size_t)(nl - p - n - 1));
			return parse_float(p + n + 1, (size_t)((sp != NULL ?
			    sp : nl) - p - n - 1), out);
		}
	}
	return false;
}
