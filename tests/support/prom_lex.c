/*
 * prom_lex: the tokens of the Prometheus text format, for prom.c. See
 * prom_int.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/prom_int.h"

static int	 label_cmp(const void *, const void *);

bool
prom_problem(struct checker *c, const char *fmt, ...)
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
size_t
prom_name_len(const char *p, const char *end, bool label)
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
bool
prom_parse_float(const char *p, size_t len, double *out)
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

bool
prom_ends_with(const char *s, const char *suffix)
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
char *
prom_canonical(const char *name, const struct label *labels, int n,
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

/* {a="x",b="y"} at *pp (which is left after it); count, or -1. */
int
prom_parse_labels(struct checker *c, const char **pp, const char *end,
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
			return (void)prom_problem(c, "too many labels"), -1;
		if ((n = prom_name_len(p, end, true)) == 0 || n > NAME_MAX_LEN)
			return (void)prom_problem(c, "bad label name"), -1;
		if (n >= 2 && p[0] == '_' && p[1] == '_')
			return (void)prom_problem(c, "reserved label name "
			    "%.*s", (int)n, p), -1;
		memcpy(labels[k].name, p, n);
		labels[k].name[n] = '\0';
		p += n;
		for (i = 0; i < k; i++)
			if (strcmp(labels[i].name, labels[k].name) == 0)
				return (void)prom_problem(c, "label %s twice",
				    labels[k].name), -1;
		if (end - p < 2 || p[0] != '=' || p[1] != '"')
			return (void)prom_problem(c, "expected =\" after "
			    "label %s", labels[k].name), -1;
		for (p += 2, vl = 0; p < end && *p != '"'; p++) {
			ch = *p;
			if (ch == '\\') {
				if (++p == end || (*p != '\\' && *p != '"' &&
				    *p != 'n'))
					return (void)prom_problem(c, "bad "
					    "escape in the value of %s",
					    labels[k].name), -1;
				ch = *p == 'n' ? '\n' : *p;
			}
			if (vl == VALUE_MAX_LEN)
				return (void)prom_problem(c, "label value too "
				    "long"), -1;
			labels[k].value[vl++] = ch;
		}
		if (p == end)
			return (void)prom_problem(c, "unterminated value of "
			    "label %s", labels[k].name), -1;
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
		return (void)prom_problem(c, "expected , or } after a "
		    "label"), -1;
	}
}

const char *
prom_label_value(const struct label *labels, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(labels[i].name, name) == 0)
			return labels[i].value;
	return NULL;
}
