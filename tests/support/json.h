/*
 * json: a small strict JSON (RFC 8259) validator for the tests, and two
 * accessors for what they check in /status.
 *
 * Accepted: one value (object, array, string, number, true, false, null)
 * with optional whitespace around it, nothing after; strings in valid
 * UTF-8 with no raw control characters and only the escapes \" \\ \/ \b
 * \f \n \r \t \uXXXX (surrogates paired); numbers as the RFC's grammar
 * (no leading zeros, no "+", no bare "."). Nesting is bounded at
 * JSON_DEPTH_MAX. Duplicate object keys are not looked for.
 *
 * A path is dotted object keys ("totals.requests"); keys holding a "."
 * cannot be named.
 */
#ifndef FORKLINE_TEST_JSON_H
#define FORKLINE_TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_DEPTH_MAX	64

/* True if text[0..len) is one valid JSON text; else why not (with the
 * byte offset) in err. */
bool	 json_validate(const char *text, size_t len, char *err,
	    size_t errlen);
/* The number at path, in *out; false if text is invalid or path does not
 * lead to a number. */
bool	 json_number_at(const char *text, size_t len, const char *path,
	    double *out);
/* The number of elements of the array at path; -1 if text is invalid or
 * path does not lead to an array. */
int	 json_array_len_at(const char *text, size_t len, const char *path);

#endif
