/*
 * Fuzz worker/inject.c's FAULT command: inject_command on any argument
 * bytes, for a connection whose server allows clients their own faults.
 *
 * Input: one byte of flags (bit 0: allow_client), then the argument (what
 * follows "FAULT "; any bytes, NUL included), copied into a buffer of
 * exactly its length so AddressSanitizer sees a read past its end.
 *
 * Invariants, beyond not crashing:
 * - the reply is a NUL-terminated line of printable ASCII that starts
 *   with "OK " or "ERR " (it is sent to the client as one line);
 * - without allow_client it is "ERR faults are disabled" and nothing
 *   changes;
 * - an ERR changes nothing; an OK leaves faults that pass
 *   conf_faults_check, and its reply names every key in table order;
 * - the same argument again gives the same reply (deterministic).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/board.h"
#include "tests/fuzz/fuzz.h"
#include "worker/inject.h"
#include "worker/worker.h"

static struct board	*board;
static struct worker_stats stats;

static void
check_reply(const char *reply, size_t cap)
{
	size_t i, n = strnlen(reply, cap);

	FUZZ_REQUIRE(n < cap, "reply not terminated");
	FUZZ_REQUIRE(strncmp(reply, "OK ", 3) == 0 ||
	    strncmp(reply, "ERR ", 4) == 0, "reply '%s'", reply);
	for (i = 0; i < n; i++)
		FUZZ_REQUIRE((unsigned char)reply[i] >= 0x20 &&
		    (unsigned char)reply[i] <= 0x7e, "byte 0x%02x at %zu",
		    (unsigned char)reply[i], i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf conf;
	struct worker_env env = { 0 };
	struct conn c = { 0 };
	struct conf_faults before;
	char reply[INJECT_REPLY_MAX], again[INJECT_REPLY_MAX], err[256];
	char *arg;
	bool allow;

	if (size == 0)
		return 0;
	if (board == NULL && (board = board_create()) == NULL)
		abort();
	allow = data[0] & 1;
	conf_defaults(&conf);
	conf.faults.allow_client = allow;
	conf.faults.seed = 1;
	board_publish(board, &conf.faults, sizeof(conf.faults));
	env.conf = &conf;
	env.board = board;
	env.slot = 1;
	env.start = 1;
	c.env = &env;
	c.stats = &stats;
	inject_begin(&c);
	before = c.faults.f;

	arg = malloc(size - 1 > 0 ? size - 1 : 1);
	if (arg == NULL)
		abort();
	memcpy(arg, data + 1, size - 1);
	inject_command(&c, arg, size - 1, reply, sizeof(reply));
	check_reply(reply, sizeof(reply));
	if (!allow)
		FUZZ_REQUIRE(strcmp(reply, "ERR faults are disabled") == 0,
		    "without allow_client: '%s'", reply);
	if (reply[0] == 'E')
		FUZZ_REQUIRE(memcmp(&before, &c.faults.f, sizeof(before)) == 0,
		    "an ERR changed the faults");
	else {
		FUZZ_REQUIRE(conf_faults_check(&c.faults.f, err,
		    sizeof(err)) == 0, "OK with faults that fail: %s", err);
		FUZZ_REQUIRE(strncmp(reply, "OK latency=", 11) == 0 &&
		    strstr(reply, " seed=") != NULL, "OK reply '%s'", reply);
	}
	/* From the same start, the same argument, the same answer. */
	c.faults.f = before;
	c.faults.own = false;
	inject_command(&c, arg, size - 1, again, sizeof(again));
	FUZZ_REQUIRE(strcmp(reply, again) == 0, "'%s' then '%s'", reply,
	    again);
	free(arg);
	return 0;
}
