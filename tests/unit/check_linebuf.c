/*
 * Unit tests for worker/linebuf.c.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/linebuf.h"
#include "tests/support/rng.h"

#define MAX_LINE	64

static struct linebuf	 lb;

static void	 setup(void);
static void	 teardown(void);
static void	 feed(struct linebuf *b, const char *s, size_t n);
static void	 expect_line(struct linebuf *b, const char *text, size_t len,
		    bool crlf);
static uint32_t	 rng(uint32_t *state);
static Suite	*linebuf_suite(void);

static void
setup(void)
{
	ck_assert_int_eq(linebuf_init(&lb, MAX_LINE), 0);
}

static void
teardown(void)
{
	linebuf_free(&lb);
}

/* Copy n bytes in through linebuf_space/commit, as a read(2) would. */
static void
feed(struct linebuf *b, const char *s, size_t n)
{
	size_t	 avail;
	char	*p;

	p = linebuf_space(b, &avail);
	ck_assert_uint_ge(avail, n);
	memcpy(p, s, n);
	linebuf_commit(b, n);
}

static void
expect_line(struct linebuf *b, const char *text, size_t len, bool crlf)
{
	struct line	 l;

	ck_assert_int_eq(linebuf_next(b, &l), LINEBUF_LINE);
	ck_assert_uint_eq(l.len, len);
	ck_assert_mem_eq(l.text, text, len);
	ck_assert(l.crlf == crlf);
}

START_TEST(test_init_capacity)
{
	struct linebuf	 big;

	ck_assert_uint_eq(lb.cap, 16384);
	ck_assert_uint_eq(linebuf_pending(&lb), 0);
	ck_assert_int_eq(linebuf_init(&big, 100000), 0);
	ck_assert_uint_eq(big.cap, 100002);
	linebuf_free(&big);
	ck_assert_ptr_null(big.data);
	ck_assert_int_eq(linebuf_init(&big, SIZE_MAX), -1);
	ck_assert_ptr_null(big.data);
}
END_TEST

START_TEST(test_empty_buffer)
{
	struct line	 l;

	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
}
END_TEST

START_TEST(test_one_line)
{
	struct line	 l;

	feed(&lb, "PING\n", 5);
	ck_assert_uint_eq(linebuf_pending(&lb), 5);
	expect_line(&lb, "PING", 4, false);
	ck_assert_uint_eq(linebuf_pending(&lb), 0);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	const char	*s = "ECHO hello world\r\n";
	struct line	 l;
	size_t		 i, n = strlen(s);

	for (i = 0; i < n - 1; i++) {
		feed(&lb, s + i, 1);
		ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
		ck_assert_uint_eq(linebuf_pending(&lb), i + 1);
	}
	feed(&lb, s + n - 1, 1);
	expect_line(&lb, "ECHO hello world", 16, true);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
}
END_TEST

START_TEST(test_endings)
{
	feed(&lb, "a\nb\r\nc\r\r\n\r\n\n", 12);
	expect_line(&lb, "a", 1, false);
	expect_line(&lb, "b", 1, true);
	/* Only the "\r" right before "\n" belongs to the ending. */
	expect_line(&lb, "c\r", 2, true);
	expect_line(&lb, "", 0, true);
	expect_line(&lb, "", 0, false);
}
END_TEST

START_TEST(test_lone_cr)
{
	struct line	 l;

	feed(&lb, "a\rb\r", 4);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
	feed(&lb, "c\n", 2);
	expect_line(&lb, "a\rb\rc", 5, false);
}
END_TEST

START_TEST(test_pipelined)
{
	const char	 in[] = "PING\nECHO a b\r\n\nTIME\r\nQUIT\nPAR";
	struct line	 l;

	feed(&lb, in, sizeof(in) - 1);
	expect_line(&lb, "PING", 4, false);
	expect_line(&lb, "ECHO a b", 8, true);
	expect_line(&lb, "", 0, false);
	expect_line(&lb, "TIME", 4, true);
	expect_line(&lb, "QUIT", 4, false);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
	ck_assert_uint_eq(linebuf_pending(&lb), 3);
	feed(&lb, "TIAL\n", 5);
	expect_line(&lb, "PARTIAL", 7, false);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
}
END_TEST

START_TEST(test_binary)
{
	const char	 in[] = "\0a\xff\x01\0\r\n\0\n";
	struct line	 l;

	feed(&lb, in, sizeof(in) - 1);
	expect_line(&lb, "\0a\xff\x01\0", 5, true);
	expect_line(&lb, "\0", 1, false);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
}
END_TEST

START_TEST(test_max_line_lf)
{
	char		 buf[MAX_LINE + 1];
	struct line	 l;

	memset(buf, 'x', MAX_LINE);
	buf[MAX_LINE] = '\n';
	feed(&lb, buf, MAX_LINE);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
	feed(&lb, buf + MAX_LINE, 1);
	expect_line(&lb, buf, MAX_LINE, false);
}
END_TEST

START_TEST(test_max_line_crlf)
{
	char		 buf[MAX_LINE + 2];
	struct line	 l;

	memset(buf, 'x', MAX_LINE);
	buf[MAX_LINE] = '\r';
	buf[MAX_LINE + 1] = '\n';
	/* max_line + 1 bytes ending in "\r": still possibly fine. */
	feed(&lb, buf, MAX_LINE + 1);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
	feed(&lb, buf + MAX_LINE + 1, 1);
	expect_line(&lb, buf, MAX_LINE, true);
}
END_TEST

START_TEST(test_too_long_with_newline)
{
	char		 buf[MAX_LINE + 3];
	struct line	 l;

	memset(buf, 'x', MAX_LINE + 1);
	buf[MAX_LINE + 1] = '\n';
	feed(&lb, buf, MAX_LINE + 2);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_TOO_LONG);
	/* Nothing consumed: asking again gives the same answer. */
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_TOO_LONG);
	ck_assert_uint_eq(linebuf_pending(&lb), MAX_LINE + 2);
}
END_TEST

START_TEST(test_too_long_with_crlf)
{
	char		 buf[MAX_LINE + 3];
	struct line	 l;

	memset(buf, 'x', MAX_LINE + 1);
	buf[MAX_LINE + 1] = '\r';
	buf[MAX_LINE + 2] = '\n';
	feed(&lb, buf, MAX_LINE + 3);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_TOO_LONG);
}
END_TEST

START_TEST(test_too_long_before_newline)
{
	char		 buf[MAX_LINE + 2];
	struct line	 l;
	size_t		 i;

	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < MAX_LINE; i++) {
		feed(&lb, buf, 1);
		ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
	}
	/* max_line + 1 text bytes, no "\r" that could start the ending. */
	feed(&lb, buf, 1);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_TOO_LONG);
}
END_TEST

START_TEST(test_too_long_after_cr)
{
	char		 buf[MAX_LINE + 2];
	struct line	 l;

	memset(buf, 'x', sizeof(buf));
	buf[MAX_LINE] = '\r';
	feed(&lb, buf, MAX_LINE + 1);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
	/* The "\r" was text after all. */
	feed(&lb, buf + MAX_LINE + 1, 1);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_TOO_LONG);
}
END_TEST

START_TEST(test_too_long_after_good_lines)
{
	char		 buf[MAX_LINE + 2];
	struct line	 l;

	feed(&lb, "ok\n", 3);
	memset(buf, 'y', sizeof(buf));
	feed(&lb, buf, sizeof(buf));
	expect_line(&lb, "ok", 2, false);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_TOO_LONG);
}
END_TEST

START_TEST(test_too_long_fills_buffer)
{
	struct line	 l;
	size_t		 avail, total = 0;
	char		*p;

	/* A client that never sends "\n": the buffer stays consistent. */
	for (;;) {
		p = linebuf_space(&lb, &avail);
		if (avail == 0)
			break;
		memset(p, 'z', avail);
		linebuf_commit(&lb, avail);
		total += avail;
		ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_TOO_LONG);
	}
	ck_assert_uint_eq(total, lb.cap);
	ck_assert_uint_eq(linebuf_pending(&lb), lb.cap);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_TOO_LONG);
}
END_TEST

START_TEST(test_reset)
{
	struct line	 l;

	feed(&lb, "half", 4);
	linebuf_reset(&lb);
	ck_assert_uint_eq(linebuf_pending(&lb), 0);
	ck_assert_int_eq(linebuf_next(&lb, &l), LINEBUF_NEED_MORE);
	feed(&lb, "new\n", 4);
	expect_line(&lb, "new", 3, false);
}
END_TEST

START_TEST(test_space_after_full_consume)
{
	size_t	 avail;

	feed(&lb, "abc\n", 4);
	expect_line(&lb, "abc", 3, false);
	(void)linebuf_space(&lb, &avail);
	ck_assert_uint_eq(avail, lb.cap);
}
END_TEST

START_TEST(test_compaction_partial_line)
{
	char		 big[16384];
	struct line	 l;
	size_t		 avail, used;

	/* Fill most of the buffer with short lines and a partial one. */
	used = 0;
	while (used + 8 <= lb.cap - 100) {
		memcpy(big + used, "1234567\n", 8);
		used += 8;
	}
	memcpy(big + used, "partial", 7);
	used += 7;
	feed(&lb, big, used);
	while (linebuf_next(&lb, &l) == LINEBUF_LINE)
		ck_assert_mem_eq(l.text, "1234567", 7);
	ck_assert_uint_eq(linebuf_pending(&lb), 7);
	(void)linebuf_space(&lb, &avail);
	ck_assert_uint_eq(lb.start, 0);
	ck_assert_uint_eq(avail, lb.cap - 7);
	feed(&lb, "!\n", 2);
	expect_line(&lb, "partial!", 8, false);
}
END_TEST

/*
 * 10,000 lines of random lengths 0..max_line with random bytes and
 * endings, streamed in random chunk sizes: every line must come out
 * whole and in order, and there must always be room to read.
 */
START_TEST(test_random_stream)
{
	enum { NLINES = 10000 };
	static char	 stream[NLINES * (MAX_LINE + 2)];
	static size_t	 lens[NLINES], offs[NLINES];
	static bool	 crlfs[NLINES];
	struct line	 l;
	uint32_t	 seed = 0x2545f491;
	size_t		 i, j, n, in = 0, total = 0, got = 0, avail, chunk;
	char		*p, c;

	for (i = 0; i < NLINES; i++) {
		lens[i] = rng(&seed) % (MAX_LINE + 1);
		crlfs[i] = rng(&seed) & 1;
		offs[i] = total;
		for (j = 0; j < lens[i]; j++) {
			do
				c = (char)rng(&seed);
			while (c == '\n');
			stream[total++] = c;
		}
		/* A text ending in "\r" would need "\r\n" to survive LF. */
		if (lens[i] > 0 && stream[total - 1] == '\r')
			stream[total - 1] = 'r';
		if (crlfs[i])
			stream[total++] = '\r';
		stream[total++] = '\n';
	}

	while (got < NLINES) {
		p = linebuf_space(&lb, &avail);
		ck_assert_uint_gt(avail, 0);
		chunk = 1 + rng(&seed) % (3 * MAX_LINE);
		n = chunk < avail ? chunk : avail;
		if (n > total - in)
			n = total - in;
		memcpy(p, stream + in, n);
		linebuf_commit(&lb, n);
		in += n;
		while (linebuf_next(&lb, &l) == LINEBUF_LINE) {
			ck_assert_uint_lt(got, NLINES);
			ck_assert_uint_eq(l.len, lens[got]);
			ck_assert_mem_eq(l.text, stream + offs[got], l.len);
			ck_assert(l.crlf == crlfs[got]);
			got++;
		}
		ck_assert_uint_le(lb.end, lb.cap);
		ck_assert_uint_le(linebuf_pending(&lb), MAX_LINE + 1);
	}
	ck_assert_uint_eq(in, total);
	ck_assert_uint_eq(linebuf_pending(&lb), 0);
}
END_TEST

/* Same with a max_line larger than the minimum buffer, tight capacity. */
START_TEST(test_random_stream_tight)
{
	enum { BIG = 40000, NLINES = 300 };
	struct linebuf	 b;
	struct line	 l;
	char		*stream;
	size_t		*lens, i, j, total = 0, in = 0, got = 0, off = 0;
	size_t		 avail, n;
	uint32_t	 seed = 12345;
	char		*p;

	ck_assert_int_eq(linebuf_init(&b, BIG), 0);
	ck_assert_uint_eq(b.cap, BIG + 2);
	stream = malloc((size_t)NLINES * (BIG + 2));
	lens = malloc(NLINES * sizeof(*lens));
	ck_assert_ptr_nonnull(stream);
	ck_assert_ptr_nonnull(lens);
	for (i = 0; i < NLINES; i++) {
		/* Every third line is maximal, with "\r\n". */
		lens[i] = i % 3 == 0 ? BIG : rng(&seed) % (BIG + 1);
		for (j = 0; j < lens[i]; j++)
			stream[total++] = (char)('a' + rng(&seed) % 26);
		if (i % 3 == 0)
			stream[total++] = '\r';
		stream[total++] = '\n';
	}
	while (got < NLINES) {
		p = linebuf_space(&b, &avail);
		ck_assert_uint_gt(avail, 0);
		n = 1 + rng(&seed) % 9000;
		if (n > avail)
			n = avail;
		if (n > total - in)
			n = total - in;
		memcpy(p, stream + in, n);
		linebuf_commit(&b, n);
		in += n;
		while (linebuf_next(&b, &l) == LINEBUF_LINE) {
			ck_assert_uint_eq(l.len, lens[got]);
			ck_assert_mem_eq(l.text, stream + off, l.len);
			off += l.len + (l.crlf ? 2 : 1);
			got++;
		}
	}
	ck_assert_uint_eq(off, total);
	free(lens);
	free(stream);
	linebuf_free(&b);
}
END_TEST

static Suite *
linebuf_suite(void)
{
	Suite	*s = suite_create("linebuf");
	TCase	*tc;

	tc = tcase_create("lines");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_init_capacity);
	tcase_add_test(tc, test_empty_buffer);
	tcase_add_test(tc, test_one_line);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_endings);
	tcase_add_test(tc, test_lone_cr);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_binary);
	tcase_add_test(tc, test_reset);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_max_line_lf);
	tcase_add_test(tc, test_max_line_crlf);
	tcase_add_test(tc, test_too_long_with_newline);
	tcase_add_test(tc, test_too_long_with_crlf);
	tcase_add_test(tc, test_too_long_before_newline);
	tcase_add_test(tc, test_too_long_after_cr);
	tcase_add_test(tc, test_too_long_after_good_lines);
	tcase_add_test(tc, test_too_long_fills_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("compaction");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_space_after_full_consume);
	tcase_add_test(tc, test_compaction_partial_line);
	tcase_add_test(tc, test_random_stream);
	tcase_add_test(tc, test_random_stream_tight);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(linebuf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
