/*
 * json: see json.h. Recursive descent, one function per production.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/json.h"

#define KEY_MAX	256	/* longest key compared by the accessors */

struct parser {
	const char	*start;
	const char	*p;
	const char	*end;
	const char	*err;	/* first error, or NULL */
	const char	*err_at;
	int		 depth;
};

static bool	 fail(struct parser *, const char *);
static void	 skip_ws(struct parser *);
static bool	 literal(struct parser *, const char *);
static bool	 hex4(struct parser *, unsigned *);
static bool	 utf8_char(struct parser *);
static bool	 string(struct parser *, char *, size_t, size_t *);
static bool	 number(struct parser *);
static bool	 array(struct parser *, int *);
static bool	 object(struct parser *);
static bool	 value(struct parser *);
static bool	 lookup(const char *, size_t, const char *, struct parser *);

static bool
fail(struct parser *ps, const char *why)
{
	if (ps->err == NULL) {
		ps->err = why;
		ps->err_at = ps->p;
	}
	return false;
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static bool
literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return fail(ps, "invalid literal");
	ps->p += n;
	return true;
}

static bool
hex4(struct parser *ps, unsigned *out)
{
	unsigned v = 0;
	int i;
	char c;

	if (ps->end - ps->p < 4)
		return fail(ps, "short \\u escape");
	for (i = 0; i < 4; i++) {
		c = *ps->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(ps, "bad hex digit in \\u escape");
	}
	*out = v;
	return true;
}

/* One well-formed UTF-8 sequence of 2 to 4 bytes (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static bool
utf8_char(struct parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->p;
	unsigned c = s[0], cp, min;
	int n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return fail(ps, "invalid UTF-8 lead byte");
	if (ps->end - ps->p < n + 1)
		return fail(ps, "truncated UTF-8 sequence");
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return fail(ps, "invalid UTF-8 continuation byte");
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return fail(ps, "invalid UTF-8 code point");
	ps->p += n + 1;
	return true;
}

/*
 * A string; its bytes, escapes decoded (a \u escape or a non-ASCII
 * character becomes one '?': keys compared by the accessors are ASCII),
 * go to buf if not NULL, cut at buflen - 1; the whole decoded length in
 * *outlen.
 */
static bool
string(struct parser *ps, char *buf, size_t buflen, size_t *outlen)
{
	const char *from;
	size_t n = 0;
	unsigned u, lo;
	char c;

	if (ps->p >= ps->end || *ps->p != '"')
		return fail(ps, "expected a string");
	ps->p++;
	for (;;) {
		if (ps->p >= ps->end)
			return fail(ps, "unterminated string");
		from = ps->p;
		c = *ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if ((unsigned char)c < 0x20)
			return fail(ps, "control character in string");
		if ((unsigned char)c >= 0x80) {
			if (!utf8_char(ps))
				return false;
			if (buf != NULL && n + 1 < buflen)
				buf[n] = '?';
			n++;
			continue;
		}
		ps->p++;
		if (c == '\\') {
			if (ps->p >= ps->end)
				return fail(ps, "unterminated escape");
			c = *ps->p++;
			switch (c) {
			case '"': case '\\': case '/':
				break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (!hex4(ps, &u))
					return false;
				if (u >= 0xdc00 && u <= 0xdfff)
					return fail(ps, "lone low surrogate");
				if (u >= 0xd800 && u <= 0xdbff) {
					if (ps->end - ps->p < 2 ||
					    ps->p[0] != '\\' || ps->p[1] != 'u')
						return fail(ps, "lone high "
						    "surrogate");
					ps->p += 2;
					if (!hex4(ps, &lo))
						return false;
					if (lo < 0xdc00 || lo > 0xdfff)
						return fail(ps, "bad surrogate "
						    "pair");
				}
				c = '?';
				break;
			default:
				ps->p = from;
				return fail(ps, "invalid escape");
			}
		}
		if (buf != NULL && n + 1 < buflen)
			buf[n] = c;
		n++;
	}
	if (buf != NULL && buflen > 0)
		buf[n < buflen ? n : buflen - 1] = '\0';
	if (outlen != NULL)
		*outlen = n;
	return true;
}

static bool
number(struct parser *ps)
{
#define DIGIT(ps) ((ps)->p < (ps)->end && *(ps)->p >= '0' && *(ps)->p <= '9')
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (!DIGIT(ps))
		return fail(ps, "expected a digit");
	if (*ps->p == '0') {
		ps->p++;
		if (DIGIT(ps))
			return fail(ps, "leading zero in number");
	} else
		while (DIGIT(ps))
			ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!DIGIT(ps))
			return fail(ps, "expected a digit after '.'");
		while (DIGIT(ps))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!DIGIT(ps))
			return fail(ps, "expected a digit in exponent");
		while (DIGIT(ps))
			ps->p++;
	}
	return true;
#undef DIGIT
}

/* An array; its number of elements in *count unless NULL. */
static bool
array(struct parser *ps, int *count)
{
	int n = 0;

	ps->p++;			/* '[' */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		goto done;
	}
	for (;;) {
		if (!value(ps))
			return false;
		n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			break;
		}
		return fail(ps, "expected ',' or ']' in array");
	}
done:
	if (count != NULL)
		*count = n;
	return true;
}

static bool
object(struct parser *ps)
{
	ps->p++;			/* '{' */
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return true;
	}
	for (;;) {
		skip_ws(ps);
		if (!string(ps, NULL, 0, NULL))
			return false;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return fail(ps, "expected ':' after key");
		ps->p++;
		if (!value(ps))
			return false;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return true;
		}
		return fail(ps, "expected ',' or '}' in object");
	}
}

/* A value with the whitespace before it. */
static bool
value(struct parser *ps)
{
	bool ok;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "expected a value");
	if (++ps->depth > JSON_DEPTH_MAX)
		return fail(ps, "nested too deeply");
	switch (*ps->p) {
	case '{': ok = object(ps); break;
	case '[': ok = array(ps, NULL); break;
	case '"': ok = string(ps, NULL, 0, NULL); break;
	case 't': ok = literal(ps, "true"); break;
	case 'f': ok = literal(ps, "false"); break;
	case 'n': ok = literal(ps, "null"); break;
	default: ok = number(ps); break;
	}
	ps->depth--;
	return ok;
}

bool
json_validate(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser ps = { text, text, text + len, NULL, NULL, 0 };

	if (value(&ps)) {
		skip_ws(&ps);
		if (ps.p == ps.end)
			return true;
		fail(&ps, "trailing garbage after the value");
	}
	if (err != NULL)
		snprintf(err, errlen, "%s at byte %td", ps.err,
		    ps.err_at - ps.start);
	return false;
}

/*
 * Validate text, then leave ps at the value path names (after its
 * whitespace); false if there is none.
 */
static bool
lookup(const char *text, size_t len, const char *path, struct parser *ps)
{
	char key[KEY_MAX];
	const char *seg, *dot;
	size_t seglen, keylen;
	bool found;

	if (!json_validate(text, len, NULL, 0))
		return false;
	*ps = (struct parser){ text, text, text + len, NULL, NULL, 0 };
	skip_ws(ps);
	for (seg = path; *seg != '\0'; seg = *dot == '.' ? dot + 1 : dot) {
		dot = strchr(seg, '.');
		if (dot == NULL)
			dot = seg + strlen(seg);
		seglen = (size_t)(dot - seg);
		if (*ps->p != '{')
			return false;
		ps->p++;
		found = false;
		/* Valid JSON: only members to walk, no errors. */
		for (skip_ws(ps); *ps->p == '"'; ) {
			string(ps, key, sizeof(key), &keylen);
			skip_ws(ps);
			ps->p++;	/* ':' */
			skip_ws(ps);
			if (keylen == seglen && memcmp(key, seg, seglen) == 0) {
				found = true;
				break;
			}
			value(ps);
			skip_ws(ps);
			if (*ps->p == ',')
				ps->p++;
			skip_ws(ps);
		}
		if (!found)
			return false;
	}
	return true;
}

bool
json_number_at(const char *text, size_t len, const char *path, double *out)
{
	struct parser ps;
	const char *from;
	char buf[64];

	if (!lookup(text, len, path, &ps))
		return false;
	from = ps.p;
	if (*from != '-' && (*from < '0' || *from > '9'))
		return false;
	number(&ps);
	if ((size_t)(ps.p - from) >= sizeof(buf))
		return false;
	memcpy(buf, from, (size_t)(ps.p - from));
	buf[ps.p - from] = '\0';
	*out = strtod(buf, NULL);
	return true;
}

int
json_array_len_at(const char *text, size_t len, const char *path)
{
	struct parser ps;
	int n;

	if (!lookup(text, len, path, &ps) || *ps.p != '[')
		return -1;
	return array(&ps, &n) ? n : -1;
}
