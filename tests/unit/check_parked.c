/*
 * Unit tests for lobby/parked.c.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lobby/parked.h"
#include "tests/support/rng.h"

#define MAX	64

static struct parked_table	 t;

static void	 setup(void);
static void	 teardown(void);
static uint32_t	 add(int fd, int64_t deadline);
static void	 check_heap(const struct parked_table *pt);
static Suite	*parked_suite(void);

static void
setup(void)
{
	ck_assert_int_eq(parked_init(&t, MAX), 0);
}

static void
teardown(void)
{
	parked_free(&t);
}

static uint32_t
add(int fd, int64_t deadline)
{
	struct handoff h;

	memset(&h, 0, sizeof(h));
	h.idle_deadline_ms = deadline;
	return parked_add(&t, fd, &h);
}

/* Every held entry is where it thinks it is, and no child beats its
 * parent. */
static void
check_heap(const struct parked_table *pt)
{
	uint32_t pos, i;

	for (pos = 0; pos < pt->nheap; pos++) {
		i = pt->heap[pos];
		ck_assert_int_eq(pt->e[i].state, PARKED_HELD);
		ck_assert_uint_eq(pt->e[i].heap_pos, pos);
		if (pos > 0)
			ck_assert_int_le(pt->e[pt->heap[(pos - 1) / 2]].h.
			    idle_deadline_ms, pt->e[i].h.idle_deadline_ms);
	}
}

START_TEST(test_init_limits)
{
	struct parked_table big;

	ck_assert_int_eq(parked_init(&big, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(parked_init(&big, (size_t)PARKED_LIMIT + 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(t.max, MAX);
	ck_assert_uint_eq(parked_first_deadline(&t), PARKED_NONE);
	ck_assert(parked_next_deadline(&t) == INT64_MAX);
	ck_assert_uint_eq(parked_wake_head(&t), PARKED_NONE);
}
END_TEST

START_TEST(test_fill_and_reuse)
{
	uint32_t i, first;

	for (i = 0; i < MAX; i++)
		ck_assert_uint_eq(add((int)i + 100, 1000 - i), i);
	ck_assert(parked_full(&t));
	ck_assert_uint_eq(add(7, 5), PARKED_NONE);
	first = parked_first_deadline(&t);
	ck_assert_uint_eq(first, MAX - 1);
	ck_assert_int_eq(parked_get(&t, first)->fd, 100 + MAX - 1);
	parked_release(&t, 10);
	ck_assert(!parked_full(&t));
	ck_assert_uint_eq(t.used, MAX - 1);
	ck_assert_uint_eq(add(9, 5), 10);	/* the slot just freed */
	ck_assert_uint_eq(parked_first_deadline(&t), 10);
	check_heap(&t);
}
END_TEST

START_TEST(test_wake_fifo_order)
{
	uint32_t a, b, c;

	a = add(1, 300);
	b = add(2, 100);
	c = add(3, 200);
	parked_to_wake(&t, c);
	parked_to_wake(&t, a);
	ck_assert_uint_eq(t.nheap, 1);
	ck_assert_uint_eq(t.used, 3);
	ck_assert_uint_eq(parked_first_deadline(&t), b);
	ck_assert_uint_eq(parked_wake_head(&t), c);
	parked_release(&t, c);
	ck_assert_uint_eq(parked_wake_head(&t), a);
	parked_to_wake(&t, b);
	ck_assert(parked_next_deadline(&t) == INT64_MAX);
	parked_release(&t, a);
	ck_assert_uint_eq(parked_wake_head(&t), b);
	parked_release(&t, b);
	ck_assert_uint_eq(parked_wake_head(&t), PARKED_NONE);
	ck_assert_uint_eq(t.used, 0);
	/* The FIFO works again once emptied. */
	a = add(4, 1);
	parked_to_wake(&t, a);
	ck_assert_uint_eq(parked_wake_head(&t), a);
}
END_TEST

START_TEST(test_release_free_is_harmless)
{
	uint32_t a = add(1, 10);

	parked_release(&t, a);
	parked_release(&t, a);
	ck_assert_uint_eq(t.used, 0);
	ck_assert_uint_eq(add(2, 10), a);
	ck_assert_uint_eq(add(3, 10), 1);
}
END_TEST

/* Random adds, wakes and releases: expiring in deadline order always
 * yields the smallest deadline still held. */
START_TEST(test_random_against_scan)
{
	uint32_t state = 12345, i, best, op;
	int64_t d;
	int step;

	for (step = 0; step < 20000; step++) {
		op = rng(&state) % 4;
		if (op == 0 && !parked_full(&t)) {
			add(step, (int64_t)(rng(&state) % 1000));
		} else if (op == 1 && t.nheap > 0) {
			i = t.heap[rng(&state) % t.nheap];
			parked_to_wake(&t, i);
		} else if (op == 2 && parked_wake_head(&t) != PARKED_NONE) {
			parked_release(&t, parked_wake_head(&t));
		} else if (op == 3 && t.nheap > 0) {
			best = PARKED_NONE;
			for (i = 0; i < t.fresh; i++)
				if (t.e[i].state == PARKED_HELD &&
				    (best == PARKED_NONE ||
				    t.e[i].h.idle_deadline_ms <
				    t.e[best].h.idle_deadline_ms))
					best = i;
			d = parked_next_deadline(&t);
			ck_assert(d == t.e[best].h.idle_deadline_ms);
			parked_release(&t, parked_first_deadline(&t));
		}
		check_heap(&t);
	}
}
END_TEST

static Suite *
parked_suite(void)
{
	Suite	*s = suite_create("parked");
	TCase	*tc;

	tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init_limits);
	tcase_add_test(tc, test_fill_and_reuse);
	tcase_add_test(tc, test_wake_fifo_order);
	tcase_add_test(tc, test_release_free_is_harmless);
	tcase_add_test(tc, test_random_against_scan);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(parked_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
