/*
 * Fuzz worker/linebuf.c the way the worker drives it: read into
 * linebuf_space, linebuf_commit, then linebuf_next until it wants more.
 *
 * Input: a header, then the stream.
 *   byte 0       max_line: 0..127 if below 0x80, else with byte 1 a 15-bit
 *                value (0..32767, beyond the 16 KiB minimum buffer)
 *   next byte    the stream is the rest of the input repeated 1..8 times
 *                (long streams from short inputs: compaction only starts
 *                past three quarters of the buffer)
 *   next 4 bytes read sizes, used in turn: 1..240, or 2 KiB..32 KiB;
 *                a read never returns more than the space offered
 *
 * A reference splitter walks the same stream. Invariants:
 * - every line returned is the stream's next line (text, length, crlf),
 *   no longer than max_line, and the lines joined with their endings are
 *   the stream up to the last newline consumed;
 * - TOO_LONG exactly when the next line is longer than max_line: either
 *   complete, or its buffered part already too long (a final "\r" may
 *   still be half of "\r\n" and does not count);
 * - NEED_MORE only when no complete line is buffered and the partial one
 *   is not yet too long; asking again gives the same answer;
 * - linebuf_space always offers room (until TOO_LONG) inside the buffer;
 * - after linebuf_reset, other read sizes give the same lines and end.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "worker/linebuf.h"

#define NSIZES		4

struct stream {
	const char	*data;
	size_t		 len;
	size_t		 max_line;
	uint8_t		 sizes[NSIZES];
};

/* Where one pass over the stream ended. */
struct outcome {
	size_t		 consumed;	/* bytes returned as lines */
	size_t		 lines;
	bool		 too_long;
};

static size_t	 read_size(const struct stream *s, size_t k);
static void	 run_pass(struct linebuf *lb, const struct stream *s,
		    size_t shift, char *joined, struct outcome *out);
static bool	 drain(struct linebuf *lb, const struct stream *s,
		    size_t fed, char *joined, struct outcome *o);
static void	 check_line(const struct stream *s, size_t fed,
		    const struct line *l, struct outcome *o, char *joined);
static bool	 certainly_long(const char *p, size_t n, size_t max_line);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct stream s;
	struct outcome first, second;
	struct linebuf lb;
	unsigned repeat, i;
	uint8_t b;
	char *buf, *joined;

	b = fuzz_take_u8(&in);
	s.max_line = b < 0x80 ? b : ((size_t)(b & 0x7f) << 8 |
	    fuzz_take_u8(&in));
	repeat = 1 + fuzz_take_u8(&in) % 8;
	for (i = 0; i < NSIZES; i++)
		s.sizes[i] = fuzz_take_u8(&in);

	s.len = in.n * repeat;
	buf = malloc(s.len + 1);
	joined = malloc(s.len + 1);
	if (buf == NULL || joined == NULL)
		abort();
	for (i = 0; i < repeat; i++)
		memcpy(buf + (size_t)i * in.n, in.p, in.n);
	s.data = buf;

	if (linebuf_init(&lb, s.max_line) == -1)
		abort();
	run_pass(&lb, &s, 0, joined, &first);
	linebuf_reset(&lb);
	run_pass(&lb, &s, 1, joined, &second);
	FUZZ_REQUIRE(first.consumed == second.consumed &&
	    first.lines == second.lines && first.too_long == second.too_long,
	    "other read sizes, other end: %zu bytes %zu lines%s, then %zu "
	    "bytes %zu lines%s", first.consumed, first.lines,
	    first.too_long ? " TOO_LONG" : "", second.consumed, second.lines,
	    second.too_long ? " TOO_LONG" : "");

	linebuf_free(&lb);
	free(buf);
	free(joined);
	return 0;
}

static size_t
read_size(const struct stream *s, size_t k)
{
	uint8_t v = s->sizes[k % NSIZES];

	return v < 0xf0 ? (size_t)v + 1 : (size_t)(v - 0xef) * 2048;
}

/* Feed the whole stream (as a client would), until the end or TOO_LONG. */
static void
run_pass(struct linebuf *lb, const struct stream *s, size_t shift,
    char *joined, struct outcome *out)
{
	size_t fed = 0, k = shift, avail, n;
	char *space;

	memset(out, 0, sizeof(*out));
	while (fed < s->len) {
		space = linebuf_space(lb, &avail);
		FUZZ_REQUIRE(avail > 0, "no room with %zu bytes pending",
		    linebuf_pending(lb));
		FUZZ_REQUIRE(space >= lb->data && space + avail <=
		    lb->data + lb->cap, "space outside the buffer");
		n = read_size(s, k++);
		if (n > avail)
			n = avail;
		if (n > s->len - fed)
			n = s->len - fed;
		memcpy(space, s->data + fed, n);
		linebuf_commit(lb, n);
		fed += n;
		if (!drain(lb, s, fed, joined, out))
			break;
	}
	FUZZ_REQUIRE(memcmp(joined, s->data, out->consumed) == 0,
	    "the lines and their endings are not the stream");
	if (!out->too_long)
		FUZZ_REQUIRE(memchr(s->data + out->consumed, '\n',
		    s->len - out->consumed) == NULL,
		    "a complete line was never returned");
}

/*
 * Take every line there is, as the worker does after a read. Returns
 * false after TOO_LONG (the worker closes the connection).
 */
static bool
drain(struct linebuf *lb, const struct stream *s, size_t fed, char *joined,
    struct outcome *o)
{
	const char *pending, *nl;
	enum linebuf_result r;
	struct line l;
	size_t n, len;

	while ((r = linebuf_next(lb, &l)) == LINEBUF_LINE)
		check_line(s, fed, &l, o, joined);
	pending = s->data + o->consumed;
	n = fed - o->consumed;
	FUZZ_REQUIRE(linebuf_pending(lb) == n, "%zu bytes pending, not %zu",
	    linebuf_pending(lb), n);
	FUZZ_REQUIRE(linebuf_next(lb, &l) == r, "asked again, another answer");
	nl = memchr(pending, '\n', n);
	if (r == LINEBUF_NEED_MORE) {
		FUZZ_REQUIRE(nl == NULL, "NEED_MORE with a line buffered");
		FUZZ_REQUIRE(!certainly_long(pending, n, s->max_line),
		    "NEED_MORE with %zu bytes of a line, max_line %zu", n,
		    s->max_line);
		return true;
	}
	FUZZ_REQUIRE(r == LINEBUF_TOO_LONG, "result %d", (int)r);
	if (nl != NULL) {
		len = (size_t)(nl - pending);
		if (len > 0 && pending[len - 1] == '\r')
			len--;
		FUZZ_REQUIRE(len > s->max_line, "TOO_LONG for a line of %zu, "
		    "max_line %zu", len, s->max_line);
	} else
		FUZZ_REQUIRE(certainly_long(pending, n, s->max_line),
		    "TOO_LONG with only %zu bytes of a line, max_line %zu", n,
		    s->max_line);
	o->too_long = true;
	return false;
}

/* l must be the stream's next line, complete within what was fed. */
static void
check_line(const struct stream *s, size_t fed, const struct line *l,
    struct outcome *o, char *joined)
{
	const char *p = s->data + o->consumed;
	const char *nl = memchr(p, '\n', fed - o->consumed);
	size_t len, ending;
	bool crlf;

	FUZZ_REQUIRE(nl != NULL, "a line before its newline arrived");
	len = (size_t)(nl - p);
	crlf = len > 0 && p[len - 1] == '\r';
	if (crlf)
		len--;
	FUZZ_REQUIRE(l->len == len && l->crlf == crlf, "line %zu: %zu bytes "
	    "crlf %d, the reference says %zu crlf %d", o->lines, l->len,
	    l->crlf, len, crlf);
	FUZZ_REQUIRE(l->len <= s->max_line, "a line of %zu, max_line %zu",
	    l->len, s->max_line);
	FUZZ_REQUIRE(memcmp(l->text, p, len) == 0, "line %zu: other bytes",
	    o->lines);
	ending = crlf ? 2 : 1;
	memcpy(joined + o->consumed, l->text, l->len);
	memcpy(joined + o->consumed + l->len, crlf ? "\r\n" : "\n", ending);
	o->consumed += l->len + ending;
	o->lines++;
}

/*
 * n bytes of a line without its "\n" yet: too long already? A final "\r"
 * may be the start of "\r\n", so it is not counted.
 */
static bool
certainly_long(const char *p, size_t n, size_t max_line)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n > max_line;
}
