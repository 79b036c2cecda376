/*
 * prob: see prob.h.
 */
#include <stdint.h>

#include "common/prob.h"

/*
 * Digits, an optional fraction,
 * then "%" or nothing (a fraction of one). Trailing zeros of the
 * fraction do not count; what is left must be a whole number of
 * millionths.
 */
enum prob_result
prob_parse(const char *text, size_t len, uint32_t *ppm)
{
	const char	*p = text, *end = text + len, *frac = NULL, *digits_end;
	uint64_t	 whole = 0, v;
	int		 scale, digits, i;

	for (; p < end && *p >= '0' && *p <= '9'; p++)
		if ((whole = whole * 10 + (uint64_t)(*p - '0')) >
		    PROB_ONE)
			whole = PROB_ONE + 1;	/* too big either way */
	if (p == text)
		return PROB_BAD;
	if (p < end && *p == '.') {
		frac = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == frac)
			return PROB_BAD;
	}
	digits_end = p;
	if (p + 1 == end && *p == '%')
		scale = 4;		/* 1 % is 10^4 millionths */
	else if (p == end)
		scale = 6;
	else
		return PROB_BAD;
	if (frac != NULL)
		while (digits_end > frac && digits_end[-1] == '0')
			digits_end--;
	digits = frac == NULL ? 0 : (int)(digits_end - frac);
	if (digits > scale)
		return PROB_BAD;	/* finer than a millionth */
	v = whole;
	for (i = 0; i < scale; i++)
		v = v * 10 + (uint64_t)(i < digits ? frac[i] - '0' : 0);
	if (v > PROB_ONE)
		return PROB_RANGE;
	*ppm = (uint32_t)v;
	return PROB_OK;
}

