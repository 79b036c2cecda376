/*
 * Unit tests for bench/histogram.c: bucket edges, the 1/64 relative
 * error bound, percentiles of known distributions, merge, min, max,
 * mean, and the empty histogram.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench/histogram.h"
#include "tests/support/rng.h"

#define SAMPLES	200000

/* Big: one per test, not on the stack. */
static struct histogram	 h1, h2, h3;

static Suite	*histogram_suite(void);

START_TEST(test_exact_below_128)
{
	uint64_t	 v;

	/* 0..63 are the exact buckets; 64..127 have width 1 too. */
	for (v = 0; v < 2 * HIST_SUB; v++) {
		ck_assert_uint_eq(hist_index(v), v);
		ck_assert_uint_eq(hist_bucket_low(v), v);
		ck_assert_uint_eq(hist_bucket_high(v), v);
	}
	ck_assert_uint_eq(hist_index(128), 128);
	ck_assert_uint_eq(hist_bucket_high(128), 129);	/* width 2 from here */
	ck_assert_uint_eq(hist_index(129), 128);
	ck_assert_uint_eq(hist_index(130), 129);
}
END_TEST

START_TEST(test_powers_of_two)
{
	unsigned	 k;

	/* 2^k opens row k - 6 (a row is HIST_SUB buckets) for k >= 6. */
	for (k = HIST_SUB_BITS; k < 64; k++) {
		uint64_t p = (uint64_t)1 << k;
		size_t	 i = (size_t)HIST_SUB * (k - HIST_SUB_BITS + 1);

		ck_assert_uint_eq(hist_index(p), i);
		ck_assert_uint_eq(hist_bucket_low(i), p);
		ck_assert_uint_eq(hist_index(p - 1), i - 1);
		ck_assert_uint_eq(hist_bucket_high(i - 1), p - 1);
	}
}
END_TEST

START_TEST(test_buckets_tile_the_range)
{
	size_t	 i;

	ck_assert_uint_eq(hist_bucket_low(0), 0);
	for (i = 0; i < HIST_BUCKETS; i++) {
		uint64_t lo = hist_bucket_low(i), hi = hist_bucket_high(i);

		ck_assert_uint_le(lo, hi);
		ck_assert_uint_eq(hist_index(lo), i);
		ck_assert_uint_eq(hist_index(hi), i);
		if (i + 1 < HIST_BUCKETS)
			ck_assert_uint_eq(hist_bucket_low(i + 1), hi + 1);
	}
	ck_assert_uint_eq(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
	ck_assert_uint_eq(hist_bucket_high(HIST_BUCKETS - 1), UINT64_MAX);
}
END_TEST

/*
 * Values spread over every magnitude: each lies in a bucket narrower
 * than 1/64 of it, so what a percentile reads back is within 1/64.
 */
START_TEST(test_relative_error_bound)
{
	uint64_t	 seed = 88172645463325252ull, v, lo, hi;
	int		 i;

	for (i = 0; i < SAMPLES; i++) {
		v = rng64(&seed);
		v >>= rng64(&seed) % 64;
		if (v == 0)
			continue;
		lo = hist_bucket_low(hist_index(v));
		hi = hist_bucket_high(hist_index(v));
		if (lo > v || hi < v)
			ck_abort_msg("%llu outside its bucket [%llu, %llu]",
			    (unsigned long long)v, (unsigned long long)lo,
			    (unsigned long long)hi);
		/* (hi - lo) / v <= 1/64; hi - lo < 2^57, so no overflow. */
		if ((hi - lo) * HIST_SUB > v)
			ck_abort_msg("bucket [%llu, %llu] is wider than 1/64 "
			    "of %llu", (unsigned long long)lo,
			    (unsigned long long)hi, (unsigned long long)v);
	}
}
END_TEST

START_TEST(test_empty)
{
	hist_reset(&h1);
	ck_assert_uint_eq(hist_count(&h1), 0);
	ck_assert_uint_eq(hist_percentile(&h1, 50), 0);
	ck_assert_uint_eq(hist_percentile(&h1, 99.9), 0);
	ck_assert_uint_eq(hist_percentile(&h1, 100), 0);
	ck_assert_uint_eq(hist_max(&h1), 0);
	ck_assert_uint_eq(hist_min(&h1), 0);
	ck_assert(hist_mean(&h1) == 0.0);
}
END_TEST

/* One value repeated reads back exactly: percentiles stay in [min, max]. */
START_TEST(test_single_value_exact)
{
	hist_reset(&h1);
	hist_record(&h1, 123456789);
	hist_record(&h1, 123456789);
	ck_assert_uint_eq(hist_percentile(&h1, 0), 123456789);
	ck_assert_uint_eq(hist_percentile(&h1, 50), 123456789);
	ck_assert_uint_eq(hist_percentile(&h1, 99.9), 123456789);
	ck_assert_uint_eq(hist_percentile(&h1, 100), 123456789);
	ck_assert_uint_eq(hist_max(&h1), 123456789);
	ck_assert_uint_eq(hist_min(&h1), 123456789);
	ck_assert(hist_mean(&h1) == 123456789.0);
}
END_TEST

/* |got - want| <= want / 64. */
static void
assert_near(uint64_t got, uint64_t want, const char *what)
{
	uint64_t	 diff = got > want ? got - want : want - got;

	ck_assert_msg(diff <= want / HIST_SUB, "%s: %llu, expected %llu "
	    "within 1/64", what, (unsigned long long)got,
	    (unsigned long long)want);
}

START_TEST(test_uniform_percentiles)
{
	uint64_t	 v;

	hist_reset(&h1);
	for (v = 1; v <= 100000; v++)
		hist_record(&h1, v * 1000);	/* 1 us .. 100 ms in ns */
	ck_assert_uint_eq(hist_count(&h1), 100000);
	assert_near(hist_percentile(&h1, 50), 50000000, "p50");
	assert_near(hist_percentile(&h1, 90), 90000000, "p90");
	assert_near(hist_percentile(&h1, 99), 99000000, "p99");
	assert_near(hist_percentile(&h1, 99.9), 99900000, "p99.9");
	ck_assert_uint_eq(hist_percentile(&h1, 100), 100000000);
	ck_assert_uint_eq(hist_max(&h1), 100000000);
	ck_assert_uint_eq(hist_min(&h1), 1000);
	ck_assert_uint_eq(hist_percentile(&h1, 0), 1000);
	ck_assert(hist_mean(&h1) == 50000500.0);
}
END_TEST

/* 990 fast and 10 slow: the tail shows only above p99. */
START_TEST(test_bimodal_percentiles)
{
	int	 i;

	hist_reset(&h1);
	for (i = 0; i < 990; i++)
		hist_record(&h1, 100);
	for (i = 0; i < 10; i++)
		hist_record(&h1, 50000);
	ck_assert_uint_eq(hist_percentile(&h1, 50), 100);
	ck_assert_uint_eq(hist_percentile(&h1, 99), 100);
	/* Rank 991 is the first slow one; its bucket is clamped to max. */
	ck_assert_uint_eq(hist_percentile(&h1, 99.01), 50000);
	ck_assert_uint_eq(hist_percentile(&h1, 99.9), 50000);
	ck_assert(hist_mean(&h1) == (990 * 100.0 + 10 * 50000.0) / 1000);
}
END_TEST

/* Exact values below 128, so percentiles are exact ranks there. */
START_TEST(test_small_exact_ranks)
{
	uint64_t	 v;

	hist_reset(&h1);
	for (v = 1; v <= 100; v++)
		hist_record(&h1, v);
	ck_assert_uint_eq(hist_percentile(&h1, 1), 1);
	ck_assert_uint_eq(hist_percentile(&h1, 50), 50);
	ck_assert_uint_eq(hist_percentile(&h1, 50.5), 51);
	ck_assert_uint_eq(hist_percentile(&h1, 90), 90);
	ck_assert_uint_eq(hist_percentile(&h1, 99), 99);
	ck_assert_uint_eq(hist_percentile(&h1, 99.9), 100);
}
END_TEST

START_TEST(test_merge)
{
	uint64_t	 seed = 42, v;
	size_t		 i;
	int		 n;

	hist_reset(&h1);
	hist_reset(&h2);
	hist_reset(&h3);
	for (n = 0; n < 10000; n++) {
		v = rng64(&seed) >> (rng64(&seed) % 50 + 14);
		hist_record(n % 3 == 0 ? &h1 : &h2, v);
		hist_record(&h3, v);
	}
	hist_merge(&h1, &h2);
	ck_assert_uint_eq(hist_count(&h1), hist_count(&h3));
	ck_assert_uint_eq(hist_max(&h1), hist_max(&h3));
	ck_assert_uint_eq(hist_min(&h1), hist_min(&h3));
	ck_assert(hist_mean(&h1) == hist_mean(&h3));
	for (i = 0; i < HIST_BUCKETS; i++)
		ck_assert_uint_eq(h1.counts[i], h3.counts[i]);
	ck_assert_uint_eq(hist_percentile(&h1, 99), hist_percentile(&h3, 99));

	/* Empty into full changes nothing; full into empty copies. */
	hist_reset(&h2);
	hist_merge(&h1, &h2);
	ck_assert_uint_eq(hist_count(&h1), 10000);
	ck_assert_uint_eq(hist_min(&h1), hist_min(&h3));
	hist_merge(&h2, &h3);
	ck_assert_uint_eq(hist_count(&h2), 10000);
	ck_assert_uint_eq(hist_min(&h2), hist_min(&h3));
	ck_assert_uint_eq(hist_max(&h2), hist_max(&h3));
}
END_TEST

START_TEST(test_min_max_mean_reset)
{
	hist_reset(&h1);
	hist_record(&h1, 7);
	hist_record(&h1, 0);
	hist_record(&h1, UINT64_MAX / 4);
	ck_assert_uint_eq(hist_min(&h1), 0);
	ck_assert_uint_eq(hist_max(&h1), UINT64_MAX / 4);
	ck_assert_uint_eq(hist_percentile(&h1, 100), UINT64_MAX / 4);
	ck_assert_uint_eq(hist_count(&h1), 3);
	hist_reset(&h1);
	ck_assert_uint_eq(hist_count(&h1), 0);
	ck_assert_uint_eq(hist_max(&h1), 0);
	hist_record(&h1, 5);
	hist_record(&h1, 15);
	ck_assert(hist_mean(&h1) == 10.0);
	ck_assert_uint_eq(hist_min(&h1), 5);
}
END_TEST

static Suite *
histogram_suite(void)
{
	Suite	*s = suite_create("bench_histogram");
	TCase	*tc;

	tc = tcase_create("buckets");
	tcase_add_test(tc, test_exact_below_128);
	tcase_add_test(tc, test_powers_of_two);
	tcase_add_test(tc, test_buckets_tile_the_range);
	tcase_add_test(tc, test_relative_error_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_single_value_exact);
	tcase_add_test(tc, test_uniform_percentiles);
	tcase_add_test(tc, test_bimodal_percentiles);
	tcase_add_test(tc, test_small_exact_ranks);
	tcase_add_test(tc, test_merge);
	tcase_add_test(tc, test_min_max_mean_reset);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(histogram_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
