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
#include "tests/support/prom_int.h"

static bool	 end_family(struct checker *);
static bool	 meta_line(struct checker *, const char *, const char *);
static bool	 sample_line(struct checker *, const char *, const char *);
static bool	 histogram_sample(struct checker *, const char *,
		    const struct label *, int, double);
static void	 checker_free(struct checker *);

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
			ok = prom_problem(c, "histogram %s %s: no _bucket "
			    "samples", c->fam, g->base);
		else if (ok && !g->have_inf)
			ok = prom_problem(c, "histogram %s %s: no le=\"+Inf\" "
			    "bucket", c->fam, g->base);
		else if (ok && !g->have_sum)
			ok = prom_problem(c, "histogram %s %s: no _sum", c->fam,
			    g->base);
		else if (ok && !g->have_count)
			ok = prom_problem(c, "histogram %s %s: no _count",
			    c->fam, g->base);
		else if (ok && g->inf != g->count)
			ok = prom_problem(c, "histogram %s %s: +Inf bucket %g "
			    "but _count %g", c->fam, g->base, g->inf, g->count);
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
	if ((n = prom_name_len(p, end, false)) == 0 || n > NAME_MAX_LEN)
		return prom_problem(c, "bad metric name after # %s",
		    is_help ? "HELP" : "TYPE");
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	if (strcmp(name, c->fam) != 0) {
		if (!end_family(c))
			return false;
		for (i = 0; i < c->nfamilies; i++)
			if (strcmp(c->families[i], name) == 0)
				return prom_problem(c, "family %s declared "
				    "again (its lines are not together)", name);
		if (c->nfamilies == SERIES_MAX)
			return prom_problem(c, "too many families");
		if ((c->families[c->nfamilies++] = strdup(name)) == NULL)
			abort();
		snprintf(c->fam, sizeof(c->fam), "%s", name);
		c->type = T_NONE;
		c->help = c->typed = c->sampled = false;
	} else if (c->sampled)
		return prom_problem(c, "# %s %s after its samples",
		    is_help ? "HELP" : "TYPE", name);
	if (is_help) {
		if (c->help)
			return prom_problem(c, "second # HELP for %s", name);
		c->help = true;
		if (p == end)
			return true;
		if (*p++ != ' ')
			return prom_problem(c, "no space after the name in "
			    "# HELP");
		for (; p < end; p++)
			if (*p == '\\' && (p + 1 == end ||
			    (p[1] != '\\' && p[1] != 'n')))
				return prom_problem(c, "bad escape in # HELP "
				    "%s", name);
			else if (*p == '\\')
				p++;
		return true;
	}
	if (c->typed)
		return prom_problem(c, "second # TYPE for %s", name);
	if (p == end || *p++ != ' ')
		return prom_problem(c, "no type in # TYPE %s", name);
	tl = (size_t)(end - p);
	for (i = 1; i < (int)(sizeof(types) / sizeof(types[0])); i++)
		if (strlen(types[i]) == tl && memcmp(p, types[i], tl) == 0)
			break;
	if (i == (int)(sizeof(types) / sizeof(types[0])))
		return prom_problem(c, "unknown type \"%.*s\" for %s", (int)tl,
		    p, name);
	c->type = (enum type)i;
	c->typed = true;
	if (c->type == T_COUNTER && !prom_ends_with(name, "_total"))
		return prom_problem(c, "counter %s does not end in _total",
		    name);
	return true;
}

static bool
histogram_sample(struct checker *c, const char *name,
    const struct label *labels, int n, double v)
{
	const char *suffix = name + strlen(c->fam);
	const char *le = prom_label_value(labels, n, "le");
	struct hgroup *g = NULL;
	char *base;
	double bound;
	int i;

	if (strcmp(suffix, "_bucket") != 0 && strcmp(suffix, "_sum") != 0 &&
	    strcmp(suffix, "_count") != 0)
		return prom_problem(c, "%s is not a sample of histogram %s",
		    name, c->fam);
	if ((le != NULL) != (strcmp(suffix, "_bucket") == 0))
		return prom_problem(c, "%s: le %s", name, le != NULL ?
		    "on a sample other than _bucket" : "missing");
	base = prom_canonical("", labels, n, "le");
	for (i = 0; i < c->ngroups && g == NULL; i++)
		if (strcmp(c->groups[i].base, base) == 0)
			g = &c->groups[i];
	if (g == NULL) {
		if (c->ngroups == SERIES_MAX)
			return free(base), prom_problem(c, "too many "
			    "histograms");
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
		return prom_problem(c, "%s: count %g", name, v);
	if (strcmp(suffix, "_count") == 0) {
		g->have_count = true;
		g->count = v;
		return true;
	}
	if (!prom_parse_float(le, strlen(le), &bound) || isnan(bound))
		return prom_problem(c, "%s: le=\"%s\" is not a number", name,
		    le);
	if (g->buckets > 0 && !(bound > g->last_le))
		return prom_problem(c, "%s: le=\"%s\" not above the previous "
		    "bucket's", name, le);
	if (g->buckets > 0 && v < g->last_count)
		return prom_problem(c, "%s{le=\"%s\"}: %g below the previous "
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

	if ((n = prom_name_len(p, end, false)) == 0 || n > NAME_MAX_LEN)
		return prom_problem(c, "bad metric name");
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	if ((k = prom_parse_labels(c, &p, end, labels)) < 0)
		return false;
	if (p == end || *p++ != ' ')
		return prom_problem(c, "expected a space before the value");
	v = p;
	sp = memchr(v, ' ', (size_t)(end - v));
	if (!prom_parse_float(v, (size_t)((sp != NULL ? sp : end) - v), &value))
		return prom_problem(c, "bad value \"%.*s\"", (int)((sp != NULL ?
		    sp : end) - v), v);
	if (sp != NULL) {
		for (p = sp + 1, n = 0; p < end; p++, n++)
			if (!((*p >= '0' && *p <= '9') || (*p == '-' && n == 0)))
				break;
		if (p != end || n == 0 || (n == 1 && sp[1] == '-'))
			return prom_problem(c, "bad timestamp after the value");
	}
	/* Its family. */
	if (c->fam[0] == '\0' || strncmp(name, c->fam, strlen(c->fam)) != 0)
		return prom_problem(c, "sample %s is not in the family "
		    "declared last (%s)", name, c->fam[0] != '\0' ? c->fam :
		    "none");
	if (!c->help || !c->typed)
		return prom_problem(c, "sample %s before # %s", name,
		    !c->help ? "HELP" : "TYPE");
	c->sampled = true;
	switch (c->type) {
	case T_HISTOGRAM:
		if (!histogram_sample(c, name, labels, k, value))
			return false;
		break;
	case T_SUMMARY:
		if (strcmp(name, c->fam) == 0 ? prom_label_value(labels, k,
		    "quantile") == NULL : strcmp(name + strlen(c->fam),
		    "_sum") != 0 && strcmp(name + strlen(c->fam),
		    "_count") != 0)
			return prom_problem(c, "%s is not a sample of summary "
			    "%s", name, c->fam);
		break;
	default:
		if (strcmp(name, c->fam) != 0)
			return prom_problem(c, "sample %s is not in the family "
			    "declared last (%s)", name, c->fam);
		if (c->type == T_COUNTER && !(value >= 0))
			return prom_problem(c, "counter %s is %g", name, value);
		break;
	}
	key = prom_canonical(name, labels, k, NULL);
	for (i = 0; i < c->nseries; i++)
		if (strcmp(c->series[i], key) == 0) {
			free(key);
			return prom_problem(c, "series %.*s twice",
			    (int)(v - 1 - line), line);
		}
	if (c->nseries == SERIES_MAX) {
		free(key);
		return prom_problem(c, "too many series");
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
		ok = prom_problem(c, "the text does not end with a newline");
	for (; ok && p < end; p = nl + 1) {
		c->lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (memchr(p, '\r', (size_t)(nl - p)) != NULL ||
		    memchr(p, '\0', (size_t)(nl - p)) != NULL)
			ok = prom_problem(c, "CR or NUL in the line");
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
			return prom_parse_float(p + n + 1,
			    (size_t)((sp != NULL ? sp : nl) - p - n - 1), out);
		}
	}
	return false;
}
