/*
 * Unit tests of the heartbeat slots (common/beats.h): what a forked
 * worker publishes, the master reads whole, never half of one report and
 * half of the next; an empty or cleared slot reads as nothing; a writer
 * stopped in the middle of a copy makes the reader give up, not wait.
 */
#include <sys/wait.h>

#include <check.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/beats.h"

#define BEATS		20000

static void
fill(struct health_report *r, uint32_t pid, uint32_t seq)
{
	memset(r, 0, sizeof(*r));
	r->magic = HEALTH_MAGIC;
	r->pid = pid;
	r->seq = seq;
	r->requests = (uint64_t)seq * 3;
	r->bytes_in = (uint64_t)seq * 5;
	r->latency[HEALTH_LATENCY_BUCKETS - 1] = seq;
}

/* Every field tells the same seq: a torn copy would not. */
static bool
whole(const struct health_report *r)
{
	return r->magic == HEALTH_MAGIC && r->requests == (uint64_t)r->seq * 3 &&
	    r->bytes_in == (uint64_t)r->seq * 5 &&
	    r->latency[HEALTH_LATENCY_BUCKETS - 1] == r->seq;
}

START_TEST(test_beats_across_fork)
{
	struct beat_board *b = beats_create(8);
	struct health_report r, last = { 0 };
	int status;
	pid_t pid;

	ck_assert_ptr_nonnull(b);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		uint32_t seq;

		for (seq = 1; seq <= BEATS; seq++) {
			fill(&r, (uint32_t)getpid(), seq);
			beats_publish(b, 3, &r);
		}
		_exit(0);
	}
	/* Read while the child writes, until it is done. */
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (beats_read(b, 3, &r) != 1)
			continue;
		ck_assert_msg(whole(&r), "a torn heartbeat: seq %u, requests "
		    "%llu, bytes_in %llu", r.seq,
		    (unsigned long long)r.requests,
		    (unsigned long long)r.bytes_in);
		ck_assert_uint_ge(r.seq, last.seq);
		last = r;
	}
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(beats_read(b, 3, &r), 1);
	ck_assert_uint_eq(r.seq, BEATS);
	ck_assert_uint_eq(r.pid, (uint32_t)pid);
	ck_assert(whole(&r));
	/* The other slots saw nothing. */
	ck_assert_int_eq(beats_read(b, 2, &r), 0);
	ck_assert_int_eq(beats_read(b, 4, &r), 0);
	beats_destroy(b);
}
END_TEST

START_TEST(test_beats_empty_and_clear)
{
	struct beat_board *b = beats_create(4);
	struct health_report r, out;

	ck_assert_ptr_nonnull(b);
	memset(&out, 0x5a, sizeof(out));
	ck_assert_int_eq(beats_read(b, 1, &out), 0);
	ck_assert_uint_eq(out.magic, 0x5a5a5a5a);	/* untouched */
	fill(&r, 42, 7);
	beats_publish(b, 1, &r);
	ck_assert_int_eq(beats_read(b, 1, &out), 1);
	ck_assert_uint_eq(out.seq, 7);
	ck_assert_uint_eq(out.pid, 42);
	beats_clear(b, 1);
	ck_assert_int_eq(beats_read(b, 1, &out), 0);
	/* A new worker in the slot starts over. */
	fill(&r, 43, 1);
	beats_publish(b, 1, &r);
	ck_assert_int_eq(beats_read(b, 1, &out), 1);
	ck_assert_uint_eq(out.pid, 43);
	/* Out of range: nothing, and no write. */
	beats_publish(b, 4, &r);
	beats_clear(b, 9);
	ck_assert_int_eq(beats_read(b, 4, &out), 0);
	beats_destroy(b);
}
END_TEST

/* A worker stopped in the middle of its copy leaves the count odd. */
START_TEST(test_beats_writer_stopped)
{
	struct beat_board *b = beats_create(2);
	struct health_report r, out;

	ck_assert_ptr_nonnull(b);
	fill(&r, 42, 1);
	beats_publish(b, 1, &r);
	atomic_fetch_add(&b->slots[1].seq, 1);	/* as if a copy began */
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(beats_read(b, 1, &out), 0);
	ck_assert_uint_eq(out.seq, 0);
	atomic_fetch_add(&b->slots[1].seq, 1);	/* and ended */
	ck_assert_int_eq(beats_read(b, 1, &out), 1);
	ck_assert_uint_eq(out.seq, 1);
	beats_destroy(b);
}
END_TEST

static Suite *
beats_suite(void)
{
	Suite *s = suite_create("beats");
	TCase *tc = tcase_create("beats");

	tcase_add_test(tc, test_beats_across_fork);
	tcase_add_test(tc, test_beats_empty_and_clear);
	tcase_add_test(tc, test_beats_writer_stopped);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(beats_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
