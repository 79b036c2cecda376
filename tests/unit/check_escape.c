/*
 * Unit tests for common/escape.c: what a peer's bytes look like in a log.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "tests/support/rng.h"

#define RANDOM_ROUNDS	2000
#define RANDOM_MAX	64

struct esc_case {
	const char	*what;
	const char	*in;
	size_t		 inlen;
	const char	*text;		/* esc_text */
	const char	*field;		/* esc_field */
};

#define IN(s)	(s), sizeof(s) - 1

static const struct esc_case cases[] = {
	{ "plain", IN("PING"), "PING", "PING" },
	{ "empty", IN(""), "", "" },
	{ "address", IN("127.0.0.1:5000"), "127.0.0.1:5000",
	    "127.0.0.1:5000" },
	{ "space", IN("ECHO a b"), "ECHO a b", "ECHO\\x20a\\x20b" },
	{ "terminal clear", IN("ECHO \x1b[2J"), "ECHO \\x1b[2J",
	    "ECHO\\x20\\x1b[2J" },
	{ "forged log line", IN("x\nforkline[1] master error: y"),
	    "x\\x0aforkline[1] master error: y",
	    "x\\x0aforkline[1]\\x20master\\x20error:\\x20y" },
	{ "carriage return", IN("a\rb"), "a\\x0db", "a\\x0db" },
	{ "tab", IN("a\tb"), "a\\x09b", "a\\x09b" },
	{ "NUL inside", IN("a\0b"), "a\\x00b", "a\\x00b" },
	{ "DEL", IN("\x7f"), "\\x7f", "\\x7f" },
	{ "double quote", IN("end=\"x\""), "end=\\x22x\\x22",
	    "end=\\x22x\\x22" },
	{ "single quote", IN("it's"), "it\\x27s", "it\\x27s" },
	{ "backslash", IN("a\\x41"), "a\\x5cx41", "a\\x5cx41" },
	{ "invalid UTF-8", IN("\xff\xfe\xc3\x28"), "\\xff\\xfe\\xc3(",
	    "\\xff\\xfe\\xc3(" },
	{ "valid UTF-8", IN("caf\xc3\xa9"), "caf\\xc3\\xa9",
	    "caf\\xc3\\xa9" },
	{ "C1 CSI in UTF-8", IN("\xc2\x9b" "2J"), "\\xc2\\x9b2J",
	    "\\xc2\\x9b2J" },
	{ "bidi override", IN("\xe2\x80\xae"), "\\xe2\\x80\\xae",
	    "\\xe2\\x80\\xae" },
	{ "printable punctuation", IN("[::1]:80 unix:/a/b~`!@#$%^&*()"),
	    "[::1]:80 unix:/a/b~`!@#$%^&*()",
	    "[::1]:80\\x20unix:/a/b~`!@#$%^&*()" },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static uint32_t	 rng(uint32_t *state);
static bool	 is_lower_hex(char c);
static size_t	 unescape(const char *s, unsigned char *out);
static Suite	*escape_suite(void);

START_TEST(test_table)
{
	const struct esc_case *c = &cases[_i];
	char out[256];
	size_t n;

	n = esc_text(out, sizeof(out), c->in, c->inlen);
	ck_assert_msg(strcmp(out, c->text) == 0, "%s: esc_text gave \"%s\", "
	    "expected \"%s\"", c->what, out, c->text);
	ck_assert_uint_eq(n, strlen(c->text));
	n = esc_field(out, sizeof(out), c->in, c->inlen);
	ck_assert_msg(strcmp(out, c->field) == 0, "%s: esc_field gave \"%s\", "
	    "expected \"%s\"", c->what, out, c->field);
	ck_assert_uint_eq(n, strlen(c->field));
}
END_TEST

/* Every byte value: printable ASCII but the quotes and '\' as itself. */
START_TEST(test_every_byte)
{
	unsigned char in;
	char out[8], want[8];
	int b;

	for (b = 0; b < 256; b++) {
		in = (unsigned char)b;
		esc_text(out, sizeof(out), &in, 1);
		if (b >= 0x20 && b <= 0x7e && b != '"' && b != '\'' &&
		    b != '\\')
			snprintf(want, sizeof(want), "%c", b);
		else
			snprintf(want, sizeof(want), "\\x%02x", b);
		ck_assert_msg(strcmp(out, want) == 0, "byte 0x%02x gave \"%s\", "
		    "expected \"%s\"", b, out, want);
	}
}
END_TEST

/* What does not fit is left off whole: never half an escape. */
START_TEST(test_truncation)
{
	static const char in[] = "ab\x1b" "cd";
	static const char *const want[] = {
		/* by dstlen */
		[1] = "", [2] = "a", [3] = "ab", [4] = "ab", [5] = "ab",
		[6] = "ab", [7] = "ab\\x1b", [8] = "ab\\x1bc",
		[9] = "ab\\x1bcd", [10] = "ab\\x1bcd",
	};
	char out[16];
	size_t len, n;

	for (len = 1; len < sizeof(want) / sizeof(want[0]); len++) {
		memset(out, '#', sizeof(out));
		n = esc_text(out, len, in, sizeof(in) - 1);
		ck_assert_msg(strcmp(out, want[len]) == 0, "dstlen %zu gave "
		    "\"%s\", expected \"%s\"", len, out, want[len]);
		ck_assert_uint_eq(n, strlen(want[len]));
		ck_assert(out[len] == '#');	/* nothing past dstlen */
	}
	/* dstlen 0 writes nothing at all. */
	out[0] = '#';
	ck_assert_uint_eq(esc_text(out, 0, in, sizeof(in) - 1), 0);
	ck_assert(out[0] == '#');
}
END_TEST

START_TEST(test_copy_cuts_whole_escapes)
{
	static const char escaped[] = "unix:/t/\\x1b[2J\\x0a";
	static const char *const want[] = {
		[1] = "", [6] = "unix:", [9] = "unix:/t/", [10] = "unix:/t/",
		[11] = "unix:/t/", [12] = "unix:/t/", [13] = "unix:/t/\\x1b",
		[16] = "unix:/t/\\x1b[2J", [19] = "unix:/t/\\x1b[2J",
		[20] = "unix:/t/\\x1b[2J\\x0a", [40] = "unix:/t/\\x1b[2J\\x0a",
	};
	char out[64];
	size_t len;

	for (len = 1; len < sizeof(want) / sizeof(want[0]); len++) {
		if (want[len] == NULL)
			continue;
		ck_assert_uint_eq(esc_copy(out, len, escaped),
		    strlen(want[len]));
		ck_assert_msg(strcmp(out, want[len]) == 0, "esc_copy into %zu "
		    "bytes gave \"%s\", expected \"%s\"", len, out, want[len]);
	}
	ck_assert_uint_eq(esc_copy(out, 0, escaped), 0);
}
END_TEST

static bool
is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Undo the escaping; returns the length. Asserts the form is well made. */
static size_t
unescape(const char *s, unsigned char *out)
{
	size_t n = 0;
	unsigned v;

	while (*s != '\0') {
		if (*s != '\\') {
			out[n++] = (unsigned char)*s++;
			continue;
		}
		ck_assert_msg(s[1] == 'x' && is_lower_hex(s[2]) &&
		    is_lower_hex(s[3]) && sscanf(s + 2, "%2x", &v) == 1,
		    "a backslash not followed by xHH in \"%s\"", s);
		out[n++] = (unsigned char)v;
		s += 4;
	}
	return n;
}

/*
 * Random bytes: the output is printable ASCII with no quote, a space only
 * from esc_text, and unescaping it gives the input back (or, when cut, a
 * prefix of it).
 */
START_TEST(test_random_roundtrip)
{
	unsigned char in[RANDOM_MAX], back[RANDOM_MAX * 4];
	char out[RANDOM_MAX * 4 + 1];
	uint32_t seed = 0x5eed1e55;
	size_t len, dstlen, n, i;
	int round;

	for (round = 0; round < RANDOM_ROUNDS; round++) {
		len = rng(&seed) % RANDOM_MAX;
		for (i = 0; i < len; i++)
			in[i] = (unsigned char)rng(&seed);
		dstlen = 1 + rng(&seed) % sizeof(out);
		if (round % 2 == 0)
			esc_text(out, dstlen, in, len);
		else
			esc_field(out, dstlen, in, len);
		for (i = 0; out[i] != '\0'; i++)
			ck_assert_msg(out[i] >= 0x20 && out[i] <= 0x7e &&
			    out[i] != '"' && out[i] != '\'' &&
			    (out[i] != ' ' || round % 2 == 0),
			    "byte 0x%02x in the output", (unsigned char)out[i]);
		n = unescape(out, back);
		ck_assert_uint_le(n, len);
		ck_assert_msg(memcmp(back, in, n) == 0, "round %d: unescaping "
		    "does not give the input back", round);
		if (dstlen > len * 4)
			ck_assert_uint_eq(n, len);	/* room for all */
	}
}
END_TEST

static Suite *
escape_suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_add_loop_test(tc, test_table, 0, (int)NCASES);
	tcase_add_test(tc, test_every_byte);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_copy_cuts_whole_escapes);
	tcase_add_test(tc, test_random_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(escape_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
