/*
 * fuzz: what the libFuzzer harnesses in tests/fuzz/ share.
 *
 * A harness checks invariants, not only that nothing crashes: when one
 * does not hold, FUZZ_REQUIRE says which (file, line, the condition and a
 * message) and calls abort(), which libFuzzer reports as a crash and saves
 * the input for.
 *
 * Harnesses take their parameters (limits, chunk sizes) from the front of
 * the input with the fuzz_take_* readers: each consumes what it needs and
 * gives 0 when the input has run out, so every input is a valid one.
 */
#ifndef FORKLINE_FUZZ_H
#define FORKLINE_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_REQUIRE(cond, ...) do {					\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);	\
} while (0)

static void	 fuzz_fail(const char *file, int line, const char *cond,
		    const char *fmt, ...)
		    __attribute__((__noreturn__, __format__(printf, 4, 5),
		    __unused__));

static void
fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: invariant failed: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The unread rest of a fuzzer input. */
struct fuzz_input {
	const uint8_t	*p;
	size_t		 n;
};

static inline uint8_t
fuzz_take_u8(struct fuzz_input *in)
{
	uint8_t v;

	if (in->n == 0)
		return 0;
	v = in->p[0];
	in->p++;
	in->n--;
	return v;
}

/*
 * A number in a byte of length (0..8) and that many bytes, little-endian:
 * small numbers cost the fuzzer one or two bytes, the whole uint64_t range
 * is reachable.
 */
static inline uint64_t
fuzz_take_varint(struct fuzz_input *in)
{
	unsigned len = fuzz_take_u8(in) % 9, i;
	uint64_t v = 0;

	for (i = 0; i < len; i++)
		v |= (uint64_t)fuzz_take_u8(in) << (8 * i);
	return v;
}

#endif
