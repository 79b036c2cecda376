/*
 * rng: xorshift32 (and rng64: xorshift64) for the unit tests. A fixed
 * seed gives the same sequence everywhere, so a failure with random input
 * can be replayed.
 */
#ifndef FORKLINE_TEST_RNG_H
#define FORKLINE_TEST_RNG_H

#include <stdint.h>

static inline uint32_t
rng(uint32_t *state)
{
	uint32_t	 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* xorshift64, for tests that want values over the whole 64-bit range. */
static inline uint64_t
rng64(uint64_t *state)
{
	uint64_t	 x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

#endif
