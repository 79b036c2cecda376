/*
 * escape: see escape.h.
 */
#include <stdbool.h>
#include <string.h>

#include "common/escape.h"

#define ESC_SEQ_LEN	4	/* "\xHH" */

static bool	 must_escape(unsigned char c, bool space);
static size_t	 escape(char *dst, size_t dstlen, const void *src,
		    size_t srclen, bool space);

static bool
must_escape(unsigned char c, bool space)
{
	if (c == ' ')
		return space;
	return c < 0x20 || c > 0x7e || c == '"' || c == '\'' || c == '\\';
}

static size_t
escape(char *dst, size_t dstlen, const void *src, size_t srclen, bool space)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = src;
	size_t i, n = 0;

	if (dstlen == 0)
		return 0;
	for (i = 0; i < srclen; i++) {
		if (!must_escape(p[i], space)) {
			if (n + 1 >= dstlen)
				break;
			dst[n++] = (char)p[i];
			continue;
		}
		if (n + ESC_SEQ_LEN >= dstlen)
			break;
		dst[n++] = '\\';
		dst[n++] = 'x';
		dst[n++] = hex[p[i] >> 4];
		dst[n++] = hex[p[i] & 0xf];
	}
	dst[n] = '\0';
	return n;
}

size_t
esc_text(char *dst, size_t dstlen, const void *src, size_t srclen)
{
	return escape(dst, dstlen, src, srclen, false);
}

size_t
esc_field(char *dst, size_t dstlen, const void *src, size_t srclen)
{
	return escape(dst, dstlen, src, srclen, true);
}

size_t
esc_copy(char *dst, size_t dstlen, const char *escaped)
{
	size_t n, i;

	if (dstlen == 0)
		return 0;
	n = strnlen(escaped, dstlen - 1);
	/* Cut short: an escape starting in the last three bytes is partial. */
	if (escaped[n] != '\0')
		for (i = n >= ESC_SEQ_LEN ? n - (ESC_SEQ_LEN - 1) : 0; i < n;
		    i++)
			if (escaped[i] == '\\') {
				n = i;
				break;
			}
	memcpy(dst, escaped, n);
	dst[n] = '\0';
	return n;
}
