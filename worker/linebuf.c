/*
 * linebuf: a fixed input buffer for the line protocol (see linebuf.h).
 *
 * Layout: data[0 .. start) is consumed, data[start .. end) is buffered and
 * not yet returned, data[end .. cap) is free for the next read.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hot.h"
#include "worker/linebuf.h"

/*
 * Never smaller than this, so that a client pipelining short requests is
 * read in large chunks rather than one line per read(2).
 */
#define LINEBUF_MIN_CAP		16384

static size_t	 linebuf_capacity(size_t max_line);
static void	 linebuf_compact(struct linebuf *lb);
static bool	 linebuf_certainly_long(const struct linebuf *lb);

int
linebuf_init(struct linebuf *lb, size_t max_line)
{
	memset(lb, 0, sizeof(*lb));
	if (max_line > SIZE_MAX - 2) {
		errno = EINVAL;
		return -1;
	}
	lb->cap = linebuf_capacity(max_line);
	if ((lb->data = malloc(lb->cap)) == NULL) {
		lb->cap = 0;
		return -1;
	}
	lb->max_line = max_line;
	return 0;
}

void
linebuf_free(struct linebuf *lb)
{
	free(lb->data);
	memset(lb, 0, sizeof(*lb));
}

void
linebuf_reset(struct linebuf *lb)
{
	lb->start = lb->end = 0;
}

/*
 * Return the free tail to read into and its size in *avail. The buffer is
 * compacted first when the tail has shrunk below a quarter of the buffer:
 * moving a partial line is cheaper than a read(2) for a few bytes. While
 * linebuf_next() has not said TOO_LONG, at most max_line + 1 bytes are
 * pending and cap >= max_line + 2, so *avail is at least 1.
 */
HOT char *
linebuf_space(struct linebuf *lb, size_t *avail)
{
	if (lb->start == lb->end)
		lb->start = lb->end = 0;
	else if (lb->start > 0 && lb->cap - lb->end < lb->cap / 4)
		linebuf_compact(lb);
	*avail = lb->cap - lb->end;
	return lb->data + lb->end;
}

/* Account for n bytes read into the space linebuf_space() returned. */
HOT void
linebuf_commit(struct linebuf *lb, size_t n)
{
	assert(n <= lb->cap - lb->end);
	lb->end += n;
}

const char *
linebuf_pending_data(const struct linebuf *lb)
{
	return lb->data + lb->start;
}

HOT size_t
linebuf_pending(const struct linebuf *lb)
{
	return lb->end - lb->start;
}

/*
 * Take the next complete line. On LINEBUF_LINE the line is consumed and
 * out->text points into the buffer until the next call on lb. NEED_MORE
 * and TOO_LONG consume nothing, so asking again gives the same answer.
 */
HOT enum linebuf_result
linebuf_next(struct linebuf *lb, struct line *out)
{
	const char	*p = lb->data + lb->start;
	const char	*nl;
	size_t		 n = lb->end - lb->start;
	size_t		 len;
	bool		 crlf;

	if (n == 0)
		return LINEBUF_NEED_MORE;
	if ((nl = memchr(p, '\n', n)) == NULL)
		return linebuf_certainly_long(lb) ?
		    LINEBUF_TOO_LONG : LINEBUF_NEED_MORE;

	len = (size_t)(nl - p);
	crlf = len > 0 && p[len - 1] == '\r';
	if (crlf)
		len--;
	if (len > lb->max_line)
		return LINEBUF_TOO_LONG;

	out->text = p;
	out->len = len;
	out->crlf = crlf;
	lb->start += (size_t)(nl - p) + 1;
	return LINEBUF_LINE;
}

static size_t
linebuf_capacity(size_t max_line)
{
	/* One maximal line with its "\r\n". */
	size_t	 cap = max_line + 2;

	return cap < LINEBUF_MIN_CAP ? LINEBUF_MIN_CAP : cap;
}

static HOT void
linebuf_compact(struct linebuf *lb)
{
	size_t	 n = lb->end - lb->start;

	memmove(lb->data, lb->data + lb->start, n);
	lb->start = 0;
	lb->end = n;
}

/*
 * With no "\n" buffered, is the line already known to be too long? Its
 * text is every pending byte except a final "\r", which may yet turn out
 * to be half of "\r\n".
 */
static HOT bool
linebuf_certainly_long(const struct linebuf *lb)
{
	size_t	 n = lb->end - lb->start;

	if (n > lb->max_line + 1)
		return true;
	return n == lb->max_line + 1 && lb->data[lb->end - 1] != '\r';
}
