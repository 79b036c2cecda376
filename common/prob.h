/*
 * prob: a probability as forkline writes one (docs/CONFIGURATION.md):
 * "5%", "0.25%", or a fraction of one, "0.05", to a millionth. The one
 * grammar for the configuration's [faults] and forkline-bench's
 * --expect-faults. Pure.
 */
#ifndef FORKLINE_PROB_H
#define FORKLINE_PROB_H

#include <stddef.h>
#include <stdint.h>

#define PROB_ONE	1000000		/* a probability of 1, in millionths */

enum prob_result {
	PROB_OK,
	PROB_BAD,	/* not a probability */
	PROB_RANGE,	/* well-formed, above 100 % */
};

/* text[0 .. len) in millionths into *ppm (untouched unless PROB_OK). */
enum prob_result prob_parse(const char *text, size_t len, uint32_t *ppm);

#endif
