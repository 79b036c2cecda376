/*
 * escape: bytes a peer chose, made safe to print.
 *
 * Some text in our logs, the access log and /status comes from the other
 * end of a connection: the path a unix-socket client bound to (any bytes
 * but NUL, newlines included), the request in hand of a hung worker. Printed
 * as it is, it could forge log lines, drive a terminal (ESC sequences), end
 * a quoted field early or make /status invalid JSON.
 *
 * The escaped form is printable ASCII. Every byte outside 0x20..0x7e, and
 * '"', '\'' and '\\', becomes "\xHH" (two lower-case hex digits); nothing
 * else changes. Bytes of valid UTF-8 are escaped too: UTF-8 can carry C1
 * controls and bidirectional overrides, which mislead a reader as much as
 * ESC does. The result can stand inside '...' or "..." quotes; a backslash
 * in it always starts "\xHH", so it can be undone.
 *
 * The output is always NUL-terminated and never ends inside a "\xHH":
 * what does not fit is left off.
 */
#ifndef FORKLINE_ESCAPE_H
#define FORKLINE_ESCAPE_H

#include <stddef.h>

/*
 * Escape src[0 .. srclen) into dst (dstlen bytes, room for the NUL
 * included). Spaces are kept: for text between quotes. Returns the
 * length written (without the NUL).
 */
size_t	 esc_text(char *dst, size_t dstlen, const void *src, size_t srclen);

/*
 * The same, and spaces too become "\x20": for an unquoted field of a
 * "key=value key=value" line, such as the access log's peer.
 */
size_t	 esc_field(char *dst, size_t dstlen, const void *src,
	    size_t srclen);

/*
 * Copy escaped text (a result of the above) into a smaller dst, cutting
 * before an escape that would not fit whole. Returns the length copied.
 */
size_t	 esc_copy(char *dst, size_t dstlen, const char *escaped);

#endif
