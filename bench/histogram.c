/*
 * histogram: log-linear histogram. See histogram.h.
 */
#include <string.h>

#include "bench/histogram.h"

void
hist_reset(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/*
 * Below HIST_SUB the index is the value. Above, the top HIST_SUB_BITS + 1
 * bits of v (its msb included) pick the sub-bucket: shifting v right by
 * (msb - HIST_SUB_BITS) leaves a number in [HIST_SUB, 2 * HIST_SUB), and
 * each msb adds a row of HIST_SUB buckets. For msb == HIST_SUB_BITS the
 * shift is 0, so the index is still the value: the two parts join up.
 */
size_t
hist_index(uint64_t v)
{
	unsigned	 msb, shift;

	if (v < HIST_SUB)
		return (size_t)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return (size_t)HIST_SUB * (shift + 1) + (size_t)((v >> shift) -
	    HIST_SUB);
}

uint64_t
hist_bucket_low(size_t index)
{
	size_t	 shift, sub;

	if (index < HIST_SUB)
		return index;
	shift = index / HIST_SUB - 1;
	sub = index % HIST_SUB;
	return (uint64_t)(HIST_SUB + sub) << shift;
}

uint64_t
hist_bucket_high(size_t index)
{
	size_t	 shift;

	if (index < HIST_SUB)
		return index;
	shift = index / HIST_SUB - 1;
	/* The last bucket ends at UINT64_MAX: low + width - 1 cannot wrap. */
	return hist_bucket_low(index) + ((uint64_t)1 << shift) - 1;
}

void
hist_record(struct histogram *h, uint64_t v)
{
	h->counts[hist_index(v)]++;
	h->total++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
hist_merge(struct histogram *dst, const struct histogram *src)
{
	size_t	 i;

	if (src->total == 0)
		return;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* The smallest rank (1-based) with at least p percent at or below it. */
static uint64_t
rank_of(uint64_t total, double p)
{
	/* Multiplied first: 99 * 1000 / 100 is exactly 990, whereas
	 * 0.99 * 1000 need not be. */
	double		 r = p * (double)total / 100.0;
	uint64_t	 rank = (uint64_t)r;

	if ((double)rank < r)
		rank++;
	if (rank < 1)
		rank = 1;
	return rank > total ? total : rank;
}

uint64_t
hist_percentile(const struct histogram *h, double p)
{
	uint64_t	 rank, seen = 0, v;
	size_t		 i;

	if (h->total == 0)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	rank = rank_of(h->total, p);
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			break;
	}
	/* i < HIST_BUCKETS: the counts add up to total >= rank. */
	v = hist_bucket_high(i);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

uint64_t
hist_count(const struct histogram *h)
{
	return h->total;
}

uint64_t
hist_max(const struct histogram *h)
{
	return h->max;
}

uint64_t
hist_min(const struct histogram *h)
{
	return h->total == 0 ? 0 : h->min;
}

double
hist_mean(const struct histogram *h)
{
	return h->total == 0 ? 0.0 : (double)h->sum / (double)h->total;
}
