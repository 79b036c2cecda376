/*
 * Fuzz common/handoff.c: handoff_decode on any message, as handoff_recv
 * hands it what recvmsg read from a channel another process writes to.
 *
 * Input: the message itself (header, then partial request bytes), copied
 * into a buffer of exactly its length so AddressSanitizer sees a read
 * past its end.
 *
 * Invariants, beyond not crashing:
 * - accepted: the magic is HANDOFF_MAGIC, reason < HANDOFF_NREASONS (and
 *   has a name), only known flags, partial_len <= HANDOFF_PARTIAL_MAX and
 *   len == sizeof(struct handoff) + partial_len, peer NUL-terminated
 *   within its field, started_nsec in [0, 1e9); the header is the
 *   message's first bytes, unchanged; a byte less is refused (a message
 *   has exactly one length that decodes);
 * - refused: a non-empty reason;
 * - the same bytes give the same answer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/handoff.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct handoff h, again;
	const char *why = NULL, *why2 = NULL;
	unsigned char *msg;
	int rc;

	msg = malloc(size > 0 ? size : 1);
	if (msg == NULL)
		abort();
	memcpy(msg, data, size);
	rc = handoff_decode(msg, size, &h, &why);
	FUZZ_REQUIRE(rc == 0 || rc == -1, "returned %d", rc);
	if (rc == -1) {
		FUZZ_REQUIRE(why != NULL && why[0] != '\0',
		    "refused without a reason");
	} else {
		FUZZ_REQUIRE(h.magic == HANDOFF_MAGIC, "magic 0x%08x",
		    (unsigned)h.magic);
		FUZZ_REQUIRE(h.reason < HANDOFF_NREASONS, "reason %u",
		    (unsigned)h.reason);
		FUZZ_REQUIRE(strcmp(handoff_reason_name(h.reason),
		    "invalid") != 0, "reason %u has no name",
		    (unsigned)h.reason);
		FUZZ_REQUIRE((h.flags & ~(HANDOFF_CRLF | HANDOFF_ECHO)) == 0,
		    "flags 0x%02x", (unsigned)h.flags);
		FUZZ_REQUIRE(h.partial_len <= HANDOFF_PARTIAL_MAX,
		    "partial_len %u", (unsigned)h.partial_len);
		FUZZ_REQUIRE(size == sizeof(h) + h.partial_len,
		    "length %zu, partial_len %u", size,
		    (unsigned)h.partial_len);
		FUZZ_REQUIRE(size <= HANDOFF_MSG_MAX, "length %zu", size);
		FUZZ_REQUIRE(memchr(h.peer, '\0', sizeof(h.peer)) != NULL,
		    "peer not terminated");
		FUZZ_REQUIRE(h.started_nsec >= 0 &&
		    h.started_nsec < 1000000000, "nsec %lld",
		    (long long)h.started_nsec);
		FUZZ_REQUIRE(memcmp(&h, data, sizeof(h)) == 0,
		    "header is not the message's first bytes");
		FUZZ_REQUIRE(handoff_decode(msg, size - 1, &again, &why2) ==
		    -1, "accepted with its last byte cut off");
	}
	why2 = NULL;
	FUZZ_REQUIRE(handoff_decode(msg, size, &again, &why2) == rc,
	    "a second decode answered otherwise");
	if (rc == 0)
		FUZZ_REQUIRE(memcmp(&h, &again, sizeof(h)) == 0,
		    "a second decode gave another header");
	else
		FUZZ_REQUIRE(why2 != NULL && strcmp(why, why2) == 0,
		    "'%s' then '%s'", why, why2 != NULL ? why2 : "(null)");
	free(msg);
	return 0;
}
