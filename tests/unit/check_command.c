/*
 * Unit tests for worker/command.c: one table of lines and what they parse to.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/command.h"

/* A literal and its length, NULs inside included. */
#define L(s)		s, sizeof(s) - 1

struct parse_case {
	const char		*line;
	size_t			 len;
	enum command_kind	 kind;
	const char		*arg;		/* ECHO */
	size_t			 arglen;
	uint64_t		 number;	/* SLEEP, BLOB */
	const char		*error;		/* CMD_INVALID */
};

#define OK(s, k)		{ L(s), k, NULL, 0, 0, NULL }
#define ECHO(s, a)		{ L(s), CMD_ECHO, L(a), 0, NULL }
#define NUM(s, k, n)		{ L(s), k, NULL, 0, n, NULL }
#define BAD(s, e)		{ L(s), CMD_INVALID, NULL, 0, 0, e }

#define SLEEP_ERR	"SLEEP needs milliseconds 0..10000"
#define BLOB_ERR	"BLOB needs a byte count 0..1048576"

static const struct command_limits limits = {
	.max_sleep_ms = 10000,
	.max_blob = 1048576,
};

static const struct parse_case cases[] = {
	/* Every command, any case. */
	OK("PING", CMD_PING), OK("ping", CMD_PING), OK("PiNg", CMD_PING),
	OK("TIME", CMD_TIME), OK("time", CMD_TIME), OK("tImE", CMD_TIME),
	OK("INFO", CMD_INFO), OK("info", CMD_INFO), OK("Info", CMD_INFO),
	OK("HELP", CMD_HELP), OK("help", CMD_HELP), OK("hElP", CMD_HELP),
	OK("QUIT", CMD_QUIT), OK("quit", CMD_QUIT), OK("QuIt", CMD_QUIT),
	ECHO("ECHO x", "x"), ECHO("echo x", "x"), ECHO("eChO x", "x"),
	NUM("SLEEP 5", CMD_SLEEP, 5), NUM("sleep 5", CMD_SLEEP, 5),
	NUM("SlEeP 5", CMD_SLEEP, 5),
	NUM("BLOB 7", CMD_BLOB, 7), NUM("blob 7", CMD_BLOB, 7),
	NUM("bLoB 7", CMD_BLOB, 7),

	/* Blanks around argument-less commands are tolerated. */
	OK("PING ", CMD_PING), OK("PING   ", CMD_PING), OK("PING \t ", CMD_PING),
	OK("PING\t", CMD_PING), OK("  PING", CMD_PING), OK("\tquit\t", CMD_QUIT),

	/* ...anything else is not. */
	BAD("PING x", "PING takes no argument"),
	BAD("ping 1", "PING takes no argument"),
	BAD("PING  \tx", "PING takes no argument"),
	BAD("time now", "TIME takes no argument"),
	BAD("info x", "INFO takes no argument"),
	BAD("Help me", "HELP takes no argument"),
	BAD("quit now", "QUIT takes no argument"),
	BAD("PING \0", "PING takes no argument"),

	/* ECHO: the rest after one space, byte for byte. */
	ECHO("ECHO", ""),
	ECHO("ECHO ", ""),
	ECHO("ECHO hello world", "hello world"),
	ECHO("ECHO  two spaces", " two spaces"),
	ECHO("ECHO trailing  ", "trailing  "),
	ECHO("ECHO \tTAB\t", "\tTAB\t"),
	ECHO("ECHO a\0b\xff\x01", "a\0b\xff\x01"),
	ECHO("ECHO \r", "\r"),
	ECHO("ECHO PING x", "PING x"),
	ECHO("  ECHO lead", "lead"),

	/* Numbers. */
	NUM("SLEEP 0", CMD_SLEEP, 0),
	NUM("SLEEP 10000", CMD_SLEEP, 10000),
	NUM("SLEEP 0010", CMD_SLEEP, 10),
	NUM("SLEEP   42  ", CMD_SLEEP, 42),
	NUM("SLEEP \t42\t", CMD_SLEEP, 42),
	BAD("SLEEP 10001", SLEEP_ERR),
	BAD("SLEEP", SLEEP_ERR),
	BAD("SLEEP ", SLEEP_ERR),
	BAD("SLEEP   ", SLEEP_ERR),
	BAD("SLEEP -1", SLEEP_ERR),
	BAD("SLEEP +1", SLEEP_ERR),
	BAD("SLEEP 1x", SLEEP_ERR),
	BAD("SLEEP 1 2", SLEEP_ERR),
	BAD("SLEEP 0x10", SLEEP_ERR),
	BAD("SLEEP 1.5", SLEEP_ERR),
	BAD("SLEEP 1e3", SLEEP_ERR),
	/* Durations as the configuration writes them; bare is ms here. */
	NUM("SLEEP 10ms", CMD_SLEEP, 10), NUM("SLEEP 2s", CMD_SLEEP, 2000),
	NUM("SLEEP 1.5s", CMD_SLEEP, 1500), NUM("sleep 0.25s", CMD_SLEEP, 250),
	NUM("SLEEP 0ms", CMD_SLEEP, 0), NUM("SLEEP 10s", CMD_SLEEP, 10000),
	NUM("SLEEP  250ms ", CMD_SLEEP, 250),
	BAD("SLEEP 10001ms", SLEEP_ERR), BAD("SLEEP 11s", SLEEP_ERR),
	BAD("SLEEP 1m", SLEEP_ERR), BAD("SLEEP 1h", SLEEP_ERR),
	BAD("SLEEP 1.5ms", SLEEP_ERR), BAD("SLEEP 1.0005s", SLEEP_ERR),
	BAD("SLEEP .5s", SLEEP_ERR), BAD("SLEEP 1.s", SLEEP_ERR),
	NUM("SLEEP 1.50s", CMD_SLEEP, 1500),
	NUM("SLEEP 1.500000000000000000000s", CMD_SLEEP, 1500),
	NUM("SLEEP 0.000000000000000000000s", CMD_SLEEP, 0),
	NUM("SLEEP 0.0001h", CMD_SLEEP, 360),
	BAD("SLEEP 0.00000001h", SLEEP_ERR), BAD("SLEEP 1.0.0s", SLEEP_ERR),
	BAD("SLEEP 1..5s", SLEEP_ERR), BAD("SLEEP 10 ms", SLEEP_ERR),
	BAD("SLEEP 10MS", SLEEP_ERR), BAD("SLEEP ms", SLEEP_ERR),
	BAD("SLEEP 10sec", SLEEP_ERR), BAD("SLEEP 99999999999999999999s",
	    SLEEP_ERR), BAD("SLEEP 0.99999999999h", SLEEP_ERR),
	BAD("SLEEP 5\0", SLEEP_ERR),
	BAD("SLEEP 18446744073709551615", SLEEP_ERR),
	BAD("SLEEP 18446744073709551616", SLEEP_ERR),
	BAD("SLEEP 99999999999999999999999999", SLEEP_ERR),
	NUM("BLOB 0", CMD_BLOB, 0),
	NUM("BLOB 1048576", CMD_BLOB, 1048576),
	NUM("blob 1 ", CMD_BLOB, 1),
	BAD("BLOB 1048577", BLOB_ERR),
	BAD("BLOB", BLOB_ERR),
	BAD("BLOB abc", BLOB_ERR),
	BAD("BLOB -0", BLOB_ERR),
	BAD("BLOB 18446744073709551616", BLOB_ERR),

	/* Empty. */
	BAD("", "empty command"),
	BAD(" ", "empty command"),
	BAD("   ", "empty command"),
	BAD(" \t ", "empty command"),

	/* Unknown words, quoted back safely. */
	BAD("FOO", "unknown command 'FOO' (try HELP)"),
	BAD("foo bar baz", "unknown command 'foo' (try HELP)"),
	BAD("PINGPONG", "unknown command 'PINGPONG' (try HELP)"),
	BAD("PIN", "unknown command 'PIN' (try HELP)"),
	BAD("ECHO\tx", "unknown command 'ECHO?x' (try HELP)"),
	BAD("SLEEP\t5", "unknown command 'SLEEP?5' (try HELP)"),
	BAD("PING\0", "unknown command 'PING?' (try HELP)"),
	BAD("PI\0NG", "unknown command 'PI?NG' (try HELP)"),
	BAD("\0", "unknown command '?' (try HELP)"),
	BAD("a\r\nb\x1b[2J", "unknown command 'a??b?[2J' (try HELP)"),
	/* "\?" because "??'" is a trigraph in ISO C. */
	BAD("\x7f\x80\xff\x01", "unknown command '???\?' (try HELP)"),
	BAD("'quoted'", "unknown command ''quoted'' (try HELP)"),
	BAD("0123456789abcdef0123456789abcdef",
	    "unknown command '0123456789abcdef0123456789abcdef' (try HELP)"),
	BAD("0123456789abcdef0123456789abcdefX",
	    "unknown command '0123456789abcdef0123456789abcdef...' (try HELP)"),
	BAD("\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
	    "\n\n\n\n\n\n\n",
	    "unknown command '????????????????????????????????...' (try HELP)"),
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static Suite	*command_suite(void);

START_TEST(test_parse_table)
{
	const struct parse_case	*c = &cases[_i];
	struct command		 cmd;

	memset(&cmd, 0xa5, sizeof(cmd));
	command_parse(c->line, c->len, &limits, &cmd);
	ck_assert_msg(cmd.kind == c->kind, "case %d: kind %s, want %s", _i,
	    command_name(cmd.kind), command_name(c->kind));
	if (c->kind == CMD_INVALID) {
		ck_assert_str_eq(cmd.error, c->error);
		return;
	}
	ck_assert_msg(cmd.error[0] == '\0', "case %d: error '%s'", _i,
	    cmd.error);
	if (c->kind == CMD_ECHO) {
		ck_assert_uint_eq(cmd.arglen, c->arglen);
		ck_assert_ptr_nonnull(cmd.arg);
		/* Points into the line itself, not a copy. */
		ck_assert(cmd.arg >= c->line && cmd.arg + cmd.arglen <=
		    c->line + c->len);
		ck_assert_mem_eq(cmd.arg, c->arg, c->arglen);
	} else
		ck_assert_uint_eq(cmd.arglen, 0);
	if (c->kind == CMD_SLEEP || c->kind == CMD_BLOB)
		ck_assert_uint_eq(cmd.number, c->number);
}
END_TEST

/* The length given is what counts: no reading past it, no strlen. */
START_TEST(test_length_delimited)
{
	struct command	 cmd;

	command_parse("PING x", 4, &limits, &cmd);
	ck_assert_int_eq(cmd.kind, CMD_PING);
	command_parse("SLEEP 123", 8, &limits, &cmd);
	ck_assert_int_eq(cmd.kind, CMD_SLEEP);
	ck_assert_uint_eq(cmd.number, 12);
	command_parse("ECHO abc", 6, &limits, &cmd);
	ck_assert_int_eq(cmd.kind, CMD_ECHO);
	ck_assert_uint_eq(cmd.arglen, 1);
	command_parse(NULL, 0, &limits, &cmd);
	ck_assert_int_eq(cmd.kind, CMD_INVALID);
	ck_assert_str_eq(cmd.error, "empty command");
}
END_TEST

START_TEST(test_full_range_limits)
{
	const struct command_limits	 wide = { UINT64_MAX, UINT64_MAX };
	struct command			 cmd;

	command_parse(L("SLEEP 18446744073709551615"), &wide, &cmd);
	ck_assert_int_eq(cmd.kind, CMD_SLEEP);
	ck_assert_uint_eq(cmd.number, UINT64_MAX);
	command_parse(L("BLOB 18446744073709551616"), &wide, &cmd);
	ck_assert_int_eq(cmd.kind, CMD_INVALID);
	ck_assert_str_eq(cmd.error,
	    "BLOB needs a byte count 0..18446744073709551615");
	command_parse(L("BLOB 184467440737095516150"), &wide, &cmd);
	ck_assert_int_eq(cmd.kind, CMD_INVALID);
}
END_TEST

START_TEST(test_zero_limits)
{
	const struct command_limits	 none = { 0, 0 };
	struct command			 cmd;

	command_parse(L("SLEEP 0"), &none, &cmd);
	ck_assert_int_eq(cmd.kind, CMD_SLEEP);
	ck_assert_uint_eq(cmd.number, 0);
	command_parse(L("SLEEP 1"), &none, &cmd);
	ck_assert_str_eq(cmd.error, "SLEEP needs milliseconds 0..0");
	command_parse(L("BLOB 1"), &none, &cmd);
	ck_assert_str_eq(cmd.error, "BLOB needs a byte count 0..0");
}
END_TEST

/* Whatever the client sends, the error fits and is NUL-terminated. */
START_TEST(test_error_bounded)
{
	char		 line[4096];
	struct command	 cmd;
	size_t		 i, n;

	for (i = 0; i < sizeof(line); i++)
		line[i] = (char)(i * 7);
	for (n = 0; n <= sizeof(line); n += 97) {
		memset(&cmd, 0xa5, sizeof(cmd));
		command_parse(line, n, &limits, &cmd);
		ck_assert_ptr_nonnull(memchr(cmd.error, '\0',
		    sizeof(cmd.error)));
	}
	memset(line, 'A', sizeof(line));
	command_parse(line, sizeof(line), &limits, &cmd);
	ck_assert_int_eq(cmd.kind, CMD_INVALID);
	ck_assert_uint_lt(strlen(cmd.error), COMMAND_ERROR_MAX);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(command_name(CMD_PING), "PING");
	ck_assert_str_eq(command_name(CMD_ECHO), "ECHO");
	ck_assert_str_eq(command_name(CMD_TIME), "TIME");
	ck_assert_str_eq(command_name(CMD_INFO), "INFO");
	ck_assert_str_eq(command_name(CMD_SLEEP), "SLEEP");
	ck_assert_str_eq(command_name(CMD_BLOB), "BLOB");
	ck_assert_str_eq(command_name(CMD_HELP), "HELP");
	ck_assert_str_eq(command_name(CMD_QUIT), "QUIT");
	ck_assert_str_eq(command_name(CMD_INVALID), "INVALID");
	ck_assert_str_eq(command_name((enum command_kind)99), "INVALID");
}
END_TEST

/* Every name command_name gives parses back to its kind. */
START_TEST(test_names_round_trip)
{
	struct command	 cmd;
	const char	*name;
	int		 k;

	for (k = CMD_PING; k < CMD_INVALID; k++) {
		name = command_name((enum command_kind)k);
		command_parse(name, strlen(name), &limits, &cmd);
		if (k == CMD_SLEEP || k == CMD_BLOB)
			ck_assert_int_eq(cmd.kind, CMD_INVALID);
		else
			ck_assert_int_eq(cmd.kind, k);
	}
}
END_TEST

static Suite *
command_suite(void)
{
	Suite	*s = suite_create("command");
	TCase	*tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_table, 0, (int)NCASES);
	tcase_add_test(tc, test_length_delimited);
	tcase_add_test(tc, test_full_range_limits);
	tcase_add_test(tc, test_zero_limits);
	tcase_add_test(tc, test_error_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_names_round_trip);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(command_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
