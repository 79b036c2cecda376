/*
 * prom: a small strict checker of the Prometheus text exposition format
 * (version 0.0.4) for the tests, and a lookup of one sample's value.
 *
 * Checked, line by line (each ends in "\n"; empty lines are ignored):
 * - "# HELP name text" (escapes \\ and \n only) and "# TYPE name type",
 *   type one of counter, gauge, histogram, summary, untyped; both come,
 *   once each, before any sample of the family, and a family's lines are
 *   contiguous (a name is never declared again); other "# " lines are
 *   comments;
 * - samples "name{label="value",...} value [timestamp]", single spaces:
 *   metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 *   [a-zA-Z_][a-zA-Z0-9_]* (not "__..."), no label twice, values quoted
 *   with the escapes \\ \" \n only, the value a float (or NaN, +Inf,
 *   -Inf), the timestamp an integer;
 * - every sample belongs to the family declared last: a counter's (name
 *   ending in _total) is the name itself, non-negative; a gauge's or an
 *   untyped one's the name; a histogram's name_bucket (with an le label),
 *   name_sum and name_count; a summary's name (with quantile), name_sum
 *   and name_count;
 * - a histogram, for each set of labels besides le: buckets in increasing
 *   le order with non-decreasing counts, the last le="+Inf" and equal to
 *   name_count, and a name_sum;
 * - no series (name and label set) twice.
 */
#ifndef FORKLINE_TEST_PROM_H
#define FORKLINE_TEST_PROM_H

#include <stdbool.h>
#include <stddef.h>

/* True if text[0..len) passes; else the first problem, with its line
 * number, in err. */
bool	 prom_validate(const char *text, size_t len, char *err,
	    size_t errlen);
/* The value of the sample whose text before the value is exactly series
 * ("forkline_requests_total", "forkline_workers{state=\"idle\"}"); false
 * if there is none. */
bool	 prom_value(const char *text, size_t len, const char *series,
	    double *out);

#endif
