/*
 * faults: forkline-bench --expect-faults. See faults.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bench/faults.h"
#include "common/prob.h"

#define KINDS_LIST	"crash reset stall close error"


static int	 prob_check(const char *text, size_t len, const char *what,
		    int whatlen, uint32_t *ppm, char *err, size_t errlen);
static int	 kind_of(const char *name, size_t len);
static void	 check_fill(struct bench_fault_check *c, unsigned kinds,
		    double expected, uint64_t seen, uint64_t of);

static const char *const names[BENCH_FAULT_KINDS] = {
	"crash", "reset", "stall", "close", "error",
};

int
bench_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

const char *
bench_fault_name(enum bench_fault kind)
{
	return kind < BENCH_FAULT_KINDS ? names[kind] : "?";
}

static int
prob_check(const char *text, size_t len, const char *what, int whatlen,
    uint32_t *ppm, char *err, size_t errlen)
{
	switch (prob_parse(text, len, ppm)) {
	case PROB_OK:
		return 0;
	case PROB_RANGE:
		return bench_fail(err, errlen, "%.*s: '%.*s' is out of range (0 to "
		    "100%%)", whatlen, what, (int)len, text);
	case PROB_BAD:
		break;
	}
	return bench_fail(err, errlen, "%.*s: '%.*s' is not a probability "
	    "(examples: 5%%, 0.25%%, 0.05; to a millionth)", whatlen, what,
	    (int)len, text);
}

int
bench_parse_probability(const char *text, const char *what, uint32_t *ppm,
    char *err, size_t errlen)
{
	return prob_check(text, strlen(text), what, (int)strlen(what), ppm,
	    err, errlen);
}

static int
kind_of(const char *name, size_t len)
{
	int	 k;

	for (k = 0; k < BENCH_FAULT_KINDS; k++)
		if (strlen(names[k]) == len && memcmp(names[k], name, len) == 0)
			return k;
	return -1;
}

int
bench_parse_faults(const char *text, struct bench_faults *f, char *err,
    size_t errlen)
{
	char		 what[64];
	const char	*p = text, *comma, *eq;
	size_t		 len;
	int		 k;

	memset(f, 0, sizeof(*f));
	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		eq = memchr(p, '=', len);
		if (eq == NULL || eq == p)
			return bench_fail(err, errlen, "--expect-faults: '%.*s' is "
			    "not KIND=PROBABILITY (kinds: " KINDS_LIST "; "
			    "example: reset=1%%,error=0.5%%)", (int)len, p);
		if ((k = kind_of(p, (size_t)(eq - p))) == -1)
			return bench_fail(err, errlen, "--expect-faults: unknown "
			    "kind '%.*s' (kinds: " KINDS_LIST ")",
			    (int)(eq - p), p);
		if (f->given[k])
			return bench_fail(err, errlen, "--expect-faults: %s is "
			    "given twice", names[k]);
		snprintf(what, sizeof(what), "--expect-faults %s", names[k]);
		if (prob_check(eq + 1, len - (size_t)(eq + 1 - p), what,
		    (int)strlen(what), &f->ppm[k], err, errlen) == -1)
			return -1;
		f->given[k] = true;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	f->any = true;
	return 0;
}

double
bench_fault_expected(const struct bench_faults *f, enum bench_fault kind)
{
	double	 p;
	int	 j;

	if (kind >= BENCH_FAULT_KINDS)
		return 0;
	p = (double)f->ppm[kind] / BENCH_PPM_ONE;
	for (j = 0; j < (int)kind; j++)
		p *= 1.0 - (double)f->ppm[j] / BENCH_PPM_ONE;
	return p;
}

/*
 * Wilson (1927): the rates p for which seen is within z standard
 * deviations of n p, the score test inverted. Exact at the ends: no
 * rate below 0 or above 1, and 0 (1) is in the interval of 0 (n) seen.
 */
void
bench_wilson(uint64_t seen, uint64_t n, double z, double *low,
    double *high)
{
	double	 dn = (double)n, ph, z2, denom, center, half;

	if (n == 0) {
		*low = 0;
		*high = 1;
		return;
	}
	if (seen > n)
		seen = n;
	ph = (double)seen / dn;
	z2 = z * z;
	denom = 1 + z2 / dn;
	center = (ph + z2 / (2 * dn)) / denom;
	half = z / denom * sqrt(ph * (1 - ph) / dn + z2 / (4 * dn * dn));
	*low = seen == 0 ? 0 : fmax(0, center - half);
	*high = seen == n ? 1 : fmin(1, center + half);
}

static void
check_fill(struct bench_fault_check *c, unsigned kinds, double expected,
    uint64_t seen, uint64_t of)
{
	size_t	 used = 0;
	int	 k;

	c->label[0] = '\0';
	for (k = 0; k < BENCH_FAULT_KINDS; k++)
		if (kinds & (1u << k))
			used += (size_t)snprintf(c->label + used,
			    sizeof(c->label) - used, "%s%s",
			    used > 0 ? "+" : "", names[k]);
	c->kinds = kinds;
	c->expected = expected;
	c->seen = seen;
	c->of = of;
	bench_wilson(seen, of, BENCH_FAULT_Z, &c->low, &c->high);
	c->ok = expected >= c->low && expected <= c->high;
}

size_t
bench_faults_compare(const struct bench_faults *f,
    const struct bench_fault_seen *s, struct bench_fault_check *out)
{
	size_t		 n = 0;
	unsigned	 kinds;
	double		 expected;
	int		 k;

	if (f->given[BENCH_FAULT_CRASH]) {
		/* The crash line takes reset and close in if they are given. */
		kinds = 1u << BENCH_FAULT_CRASH;
		expected = bench_fault_expected(f, BENCH_FAULT_CRASH);
		for (k = BENCH_FAULT_RESET; k <= BENCH_FAULT_CLOSE; k++)
			if (k != BENCH_FAULT_STALL && f->given[k]) {
				kinds |= 1u << k;
				expected += bench_fault_expected(f,
				    (enum bench_fault)k);
			}
		check_fill(&out[n++], kinds, expected, s->resets + s->shorts,
		    s->attempted);
	}
	for (k = BENCH_FAULT_RESET; k < BENCH_FAULT_KINDS; k++) {
		uint64_t	 seen;

		if (!f->given[k] || (f->given[BENCH_FAULT_CRASH] &&
		    (k == BENCH_FAULT_RESET || k == BENCH_FAULT_CLOSE)))
			continue;
		switch (k) {
		case BENCH_FAULT_RESET:
			seen = s->resets;
			break;
		case BENCH_FAULT_STALL:
			seen = s->timeouts;
			break;
		case BENCH_FAULT_CLOSE:
			seen = s->shorts;
			break;
		default:
			seen = s->injected;
			break;
		}
		check_fill(&out[n++], 1u << k,
		    bench_fault_expected(f, (enum bench_fault)k), seen,
		    s->attempted);
	}
	return n;
}
