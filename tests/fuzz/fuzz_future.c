/*
 * Fuzz the decoding half of common/future.c: future_buffer reading a
 * child's pipe into records (the workers' health reports), a string or
 * bytes, whatever sizes the writes arrive in.
 *
 * future_spawn forks; here the harness sets up the state it leaves in
 * the parent (the buffer, the non-blocking read end) on a pipe of its own
 * and plays the child, writing the stream in chunks.
 *
 * Input: a header, then the stream.
 *   byte 0      the type (records, string, bytes) and, in bit 7, whether
 *               the wait status comes before or after EOF
 *   varint      records: the record size, 1..PIPE_BUF (0 is
 *               sizeof(struct health_report)); else max_output, 0..65535
 *   4 bytes     write sizes, used in turn: 1..128, or 64..8192 bytes
 *
 * Invariants:
 * - records: after every future_buffer call, each complete record has been
 *   handed over exactly once, in order, byte for byte, from an aligned
 *   buffer, and only the incomplete tail is kept;
 * - string and bytes: the output is the stream's first max_output bytes,
 *   NUL-terminated, flagged truncated exactly when there was more;
 * - FUTURE_AGAIN while the write end is open, FUTURE_EOF once closed;
 * - on_done fires exactly once, when both EOF and the status are in, and
 *   nothing is handed over after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/future.h"
#include "common/health.h"
#include "tests/fuzz/fuzz.h"

#define NSIZES		4

/* What the callbacks have seen, against the stream. */
struct seen {
	const uint8_t	*stream;
	size_t		 record_size;
	size_t		 records;
	int		 done;
};

static void	 on_record(struct future *f, const void *record, void *arg);
static void	 on_done(struct future *f, const struct future_result *r,
		    void *arg);
static void	 set_up(struct future *f, const struct future_spec *spec,
		    int *write_fd);
static void	 check_state(const struct future *f, const struct seen *s,
		    size_t fed);
static size_t	 write_size(uint8_t v);
static void	 write_all(int fd, const uint8_t *p, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct future_spec spec;
	struct future f;
	struct seen s;
	uint8_t sizes[NSIZES], b;
	bool status_first;
	size_t fed = 0, n, k = 0, i;
	uint64_t v;
	int wfd;

	memset(&spec, 0, sizeof(spec));
	memset(&s, 0, sizeof(s));
	b = fuzz_take_u8(&in);
	spec.type = (enum future_type)(b % 3);
	status_first = (b & 0x80) != 0;
	v = fuzz_take_varint(&in);
	if (spec.type == FUTURE_RECORDS) {
		spec.record_size = v % (PIPE_BUF + 1);
		if (spec.record_size == 0)
			spec.record_size = sizeof(struct health_report);
	} else
		spec.max_output = (size_t)(v % 65536);
	for (i = 0; i < NSIZES; i++)
		sizes[i] = fuzz_take_u8(&in);
	spec.on_record = on_record;
	spec.on_done = on_done;
	spec.arg = &s;
	s.stream = in.p;
	s.record_size = spec.record_size;

	set_up(&f, &spec, &wfd);
	if (status_first) {
		f.reaped = true;	/* the child exited, its pipe is open */
		f.result.exited = true;
	}
	while (fed < in.n) {
		n = write_size(sizes[k++ % NSIZES]);
		if (n > in.n - fed)
			n = in.n - fed;
		write_all(wfd, in.p + fed, n);
		fed += n;
		FUZZ_REQUIRE(future_buffer(&f) == FUTURE_AGAIN,
		    "not AGAIN with the write end open");
		check_state(&f, &s, fed);
		FUZZ_REQUIRE(s.done == 0, "done before EOF");
	}
	close(wfd);
	FUZZ_REQUIRE(future_buffer(&f) == FUTURE_EOF, "no EOF once closed");
	FUZZ_REQUIRE(f.eof && f.fd == -1, "EOF not recorded");
	check_state(&f, &s, fed);
	if (!status_first) {
		FUZZ_REQUIRE(s.done == 0 && !f.done, "done without a status");
		f.reaped = true;
		f.result.exited = true;
		future_abandon_output(&f);	/* completes, as reaping does */
	}
	FUZZ_REQUIRE(s.done == 1 && f.done, "on_done fired %d times", s.done);
	FUZZ_REQUIRE(future_buffer(&f) == FUTURE_EOF, "EOF not sticky");
	FUZZ_REQUIRE(s.done == 1, "on_done fired again");
	future_free(&f);
	return 0;
}

/* What future_spawn leaves in the parent, on the harness's own pipe. */
static void
set_up(struct future *f, const struct future_spec *spec, int *write_fd)
{
	int fds[2];

	future_init(f);
	f->spec = *spec;
	f->cap = spec->type == FUTURE_RECORDS ? spec->record_size :
	    spec->max_output + 1;
	if ((f->buf = malloc(f->cap)) == NULL)
		abort();
	f->buf[0] = '\0';
	if (pipe2(fds, O_CLOEXEC) == -1 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1)
		abort();
	f->fd = fds[0];
	*write_fd = fds[1];
}

static void
on_record(struct future *f, const void *record, void *arg)
{
	struct seen *s = arg;
	const uint8_t *want = s->stream + s->records * s->record_size;

	(void)f;
	FUZZ_REQUIRE(s->done == 0, "a record after on_done");
	FUZZ_REQUIRE((uintptr_t)record % alignof(max_align_t) == 0,
	    "record %zu not aligned", s->records);
	FUZZ_REQUIRE(memcmp(record, want, s->record_size) == 0,
	    "record %zu is not the stream's", s->records);
	s->records++;
}

static void
on_done(struct future *f, const struct future_result *r, void *arg)
{
	struct seen *s = arg;

	FUZZ_REQUIRE(f->eof && f->reaped && r->exited, "done too early");
	s->done++;
}

static void
check_state(const struct future *f, const struct seen *s, size_t fed)
{
	const void *out;
	size_t len, want;

	out = future_output(f, &len);
	if (f->spec.type == FUTURE_RECORDS) {
		FUZZ_REQUIRE(s->records == fed / s->record_size,
		    "%zu records of %zu bytes handed over after %zu bytes",
		    s->records, s->record_size, fed);
		FUZZ_REQUIRE(f->len == fed % s->record_size,
		    "a tail of %zu kept, not %zu", f->len,
		    fed % s->record_size);
		FUZZ_REQUIRE(len == 0, "records have no output");
		return;
	}
	want = fed < f->spec.max_output ? fed : f->spec.max_output;
	FUZZ_REQUIRE(len == want && f->len == want, "%zu bytes of output "
	    "after %zu, max_output %zu", len, fed, f->spec.max_output);
	FUZZ_REQUIRE(memcmp(out, s->stream, len) == 0, "output is not the "
	    "stream");
	FUZZ_REQUIRE(((const char *)out)[len] == '\0', "not NUL-terminated");
	FUZZ_REQUIRE(f->truncated == (fed > f->spec.max_output),
	    "truncated %d after %zu bytes, max_output %zu", f->truncated, fed,
	    f->spec.max_output);
}

/* Byte by byte is slow (two syscalls a byte): mostly larger writes. */
static size_t
write_size(uint8_t v)
{
	return v < 0x80 ? (size_t)v + 1 : (size_t)(v - 0x7f) * 64;
}

static void
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			abort();
		}
		p += w;
		n -= (size_t)w;
	}
}
