/*
 * histogram: a log-linear histogram of unsigned 64-bit values (latencies
 * in nanoseconds), in the manner of HdrHistogram.
 *
 * Values below HIST_SUB (64) each have a bucket of their own. Above that,
 * every power-of-two range [2^k, 2^(k+1)) is split into HIST_SUB linear
 * sub-buckets of width 2^(k-6), so a bucket is never wider than 1/64 of
 * the values in it: any value read back is within 1/64 of the recorded
 * one. The whole uint64_t range is covered; the memory is fixed (about
 * 30 KB) and recording is an index computation and an increment, with no
 * allocation, so it can sit on a load generator's hot path.
 *
 * Percentiles are read back as the highest value of their bucket, kept
 * within the exact minimum and maximum that were recorded: a histogram of
 * one repeated value returns that value for every percentile.
 */
#ifndef FORKLINE_BENCH_HISTOGRAM_H
#define FORKLINE_BENCH_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS	6
#define HIST_SUB	(1u << HIST_SUB_BITS)	/* sub-buckets per range */
/* Exact buckets below HIST_SUB, then one row per msb 6..63. */
#define HIST_BUCKETS	(HIST_SUB + (64 - HIST_SUB_BITS) * HIST_SUB)

struct histogram {
	uint64_t	 counts[HIST_BUCKETS];
	uint64_t	 total;		/* values recorded */
	uint64_t	 sum;		/* for the mean (584 years of ns) */
	uint64_t	 min;		/* exact; UINT64_MAX while empty */
	uint64_t	 max;		/* exact; 0 while empty */
};

/* Empty h (also how one starts). */
void	 hist_reset(struct histogram *h);
/* Count one value. */
void	 hist_record(struct histogram *h, uint64_t v);
/* Add every value of src to dst. */
void	 hist_merge(struct histogram *dst, const struct histogram *src);
/*
 * The value at or below which p percent (0..100) of the values lie; 0
 * for an empty histogram. p <= 0 gives the minimum, p >= 100 the maximum.
 */
uint64_t hist_percentile(const struct histogram *h, double p);
uint64_t hist_count(const struct histogram *h);
uint64_t hist_max(const struct histogram *h);	/* 0 if empty */
uint64_t hist_min(const struct histogram *h);	/* 0 if empty */
double	 hist_mean(const struct histogram *h);	/* 0 if empty */

/* The bucket of v, and the lowest and highest values of a bucket. */
size_t	 hist_index(uint64_t v);
uint64_t hist_bucket_low(size_t index);
uint64_t hist_bucket_high(size_t index);

#endif
