/*
 * Fuzz common/net.c: net_parse_addr on any text (listen and admin
 * addresses come from the configuration file and the command line).
 *
 * Input: one byte choosing the size of the error buffer (2..257 bytes,
 * allocated to exactly that size so AddressSanitizer sees a write past
 * it), then the text (cut at its first NUL, as a C string is).
 *
 * Invariants:
 * - on success: the length is the family's sockaddr size (within
 *   sockaddr_storage); the canonical text is non-empty and NUL-terminated
 *   in NET_ADDR_TEXT_MAX, has the family's form, and parses again to the
 *   same sockaddr, length and text; the port and the unix path are the
 *   ones written in the input;
 * - on failure: a non-empty error, NUL-terminated within its buffer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/net.h"
#include "tests/fuzz/fuzz.h"

static void	 check_success(const char *text, const struct net_addr *a,
		    char *err, size_t errlen);
static void	 check_form(const char *text, const struct net_addr *a);
static unsigned	 port_written(const char *text);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	size_t errlen = 2 + (size_t)fuzz_take_u8(&in);
	struct net_addr addr;
	char *text, *err;

	text = malloc(in.n + 1);
	err = malloc(errlen);
	if (text == NULL || err == NULL)
		abort();
	memcpy(text, in.p, in.n);
	text[in.n] = '\0';
	err[0] = '\0';

	if (net_parse_addr(text, &addr, err, errlen) == 0)
		check_success(text, &addr, err, errlen);
	else {
		FUZZ_REQUIRE(memchr(err, '\0', errlen) != NULL,
		    "error not NUL-terminated");
		FUZZ_REQUIRE(err[0] != '\0', "'%s' refused without a reason",
		    text);
	}
	free(text);
	free(err);
	return 0;
}

static void
check_success(const char *text, const struct net_addr *a, char *err,
    size_t errlen)
{
	struct net_addr again;
	socklen_t want;

	switch (a->ss.ss_family) {
	case AF_INET:
		want = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		want = sizeof(struct sockaddr_in6);
		break;
	case AF_UNIX:
		want = sizeof(struct sockaddr_un);
		break;
	default:
		fuzz_fail(__FILE__, __LINE__, "family", "'%s' parsed to "
		    "family %d", text, a->ss.ss_family);
	}
	FUZZ_REQUIRE(a->len == want && a->len <= sizeof(a->ss),
	    "'%s': length %u for family %d", text, (unsigned)a->len,
	    a->ss.ss_family);
	FUZZ_REQUIRE(memchr(a->text, '\0', sizeof(a->text)) != NULL,
	    "'%s': canonical text not NUL-terminated", text);
	check_form(text, a);

	FUZZ_REQUIRE(net_parse_addr(a->text, &again, err, errlen) == 0,
	    "'%s' parsed to '%s', which does not parse: %s", text, a->text,
	    err);
	FUZZ_REQUIRE(again.len == a->len && memcmp(&again.ss, &a->ss,
	    sizeof(a->ss)) == 0, "'%s' and its text '%s' are other "
	    "addresses", text, a->text);
	FUZZ_REQUIRE(strcmp(again.text, a->text) == 0, "'%s' -> '%s' -> '%s'",
	    text, a->text, again.text);
}

/* The canonical text's form, and the parts the input wrote. */
static void
check_form(const char *text, const struct net_addr *a)
{
	const struct sockaddr_in *sin = (const void *)&a->ss;
	const struct sockaddr_in6 *sin6 = (const void *)&a->ss;
	const struct sockaddr_un *sun = (const void *)&a->ss;

	switch (a->ss.ss_family) {
	case AF_INET:
		FUZZ_REQUIRE(a->text[0] >= '0' && a->text[0] <= '9',
		    "'%s' -> '%s'", text, a->text);
		FUZZ_REQUIRE(ntohs(sin->sin_port) == port_written(text),
		    "'%s': port %u", text, ntohs(sin->sin_port));
		FUZZ_REQUIRE(port_written(a->text) == port_written(text),
		    "'%s' -> '%s'", text, a->text);
		break;
	case AF_INET6:
		FUZZ_REQUIRE(a->text[0] == '[' && strstr(a->text, "]:") != NULL,
		    "'%s' -> '%s'", text, a->text);
		FUZZ_REQUIRE(ntohs(sin6->sin6_port) == port_written(text),
		    "'%s': port %u", text, ntohs(sin6->sin6_port));
		break;
	case AF_UNIX:
		FUZZ_REQUIRE(strncmp(text, "unix:/", 6) == 0 &&
		    strcmp(sun->sun_path, text + 5) == 0 &&
		    strcmp(a->text, text) == 0, "'%s' -> path '%s', text '%s'",
		    text, sun->sun_path, a->text);
		break;
	}
}

/* The decimal number after the last ':' (the caller knows it is one). */
static unsigned
port_written(const char *text)
{
	const char *p = strrchr(text, ':');
	unsigned v = 0;

	for (p++; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (unsigned)(*p - '0');
	return v;
}
