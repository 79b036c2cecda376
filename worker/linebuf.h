/*
 * linebuf: the worker's input buffer, split into lines.
 *
 * Pure: no I/O. The caller reads into linebuf_space(), commits what it read,
 * then takes complete lines with linebuf_next() until it says more input is
 * needed. A line ends at "\n"; a "\r" right before it is part of the ending,
 * not the text. Lines may hold any bytes, NUL included. The buffer is
 * allocated once (linebuf_init) and never grows: a line whose text is longer
 * than max_line is reported as LINEBUF_TOO_LONG as soon as that is certain,
 * even before its end has arrived.
 */
#ifndef FORKLINE_LINEBUF_H
#define FORKLINE_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

struct linebuf {
	char	*data;
	size_t	 cap;
	size_t	 start;		/* first unconsumed byte */
	size_t	 end;		/* one past the last byte read */
	size_t	 max_line;
};

struct line {
	const char	*text;	/* not NUL-terminated; valid until next call */
	size_t		 len;	/* without the line ending */
	bool		 crlf;	/* ended with "\r\n" rather than "\n" */
};

enum linebuf_result {
	LINEBUF_LINE,		/* *out holds a complete line */
	LINEBUF_NEED_MORE,	/* no complete line buffered */
	LINEBUF_TOO_LONG,	/* the next line is longer than max_line */
};

/* Allocate room for at least one maximal line plus read slack. 0 or -1. */
int	 linebuf_init(struct linebuf *lb, size_t max_line);
void	 linebuf_free(struct linebuf *lb);
void	 linebuf_reset(struct linebuf *lb);

/* Free room to read into (compacts first); *avail > 0 unless TOO_LONG. */
char	*linebuf_space(struct linebuf *lb, size_t *avail);
void	 linebuf_commit(struct linebuf *lb, size_t n);
size_t	 linebuf_pending(const struct linebuf *lb);
/* The linebuf_pending bytes: what has not been taken as lines. */
const char *linebuf_pending_data(const struct linebuf *lb);

enum linebuf_result linebuf_next(struct linebuf *lb, struct line *out);

#endif
