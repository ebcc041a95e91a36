/* html: the status page's one escaper (see html.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "server/html.h"

/* The replacement of byte ch into rep (at least HTML_ESC_MAX + 1 bytes);
 * returns its length. */
static size_t html_one(unsigned char ch, char *rep, int flags)
{
	static const char hexd[] = "0123456789abcdef";
	const char *e = NULL;

	switch (ch) {
	case '&': e = "&amp;"; break;
	case '<': e = "&lt;"; break;
	case '>': e = "&gt;"; break;
	case '"': e = "&quot;"; break;
	case '\'': e = "&#39;"; break;
	default: break;
	}
	if (e) {
		memcpy(rep, e, strlen(e) + 1);
		return strlen(e);
	}
	if ((ch < 0x20 && !(ch == '\n' && (flags & HTML_NL))) || ch >= 0x7f) {
		rep[0] = '\\';
		rep[1] = 'x';
		rep[2] = hexd[ch >> 4];
		rep[3] = hexd[ch & 15];
		rep[4] = '\0';
		return 4;
	}
	rep[0] = (char)ch;
	rep[1] = '\0';
	return 1;
}

long html_escape(const char *in, size_t n, char *out, size_t cap, int flags)
{
	char rep[HTML_ESC_MAX + 1];
	size_t i, o = 0, k;

	if (cap == 0)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		k = html_one((unsigned char)in[i], rep, flags);
		if (k >= cap - o) {
			out[0] = '\0';
			return -ENOSPC;
		}
		memcpy(out + o, rep, k);
		o += k;
	}
	out[o] = '\0';
	return (long)o;
}

void html_buf_init(struct record_buf *b, size_t max)
{
	record_buf_init(b, max);
	b->toobig = -EPX_E_PAGE_TOOBIG;
}

void html_buf_free(struct record_buf *b)
{
	record_buf_free(b);
	html_buf_init(b, b->max);
}

void html_raw(struct record_buf *b, const char *s)
{
	record_buf_str(b, s);
}

void html_rawf(struct record_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void html_text(struct record_buf *b, const char *s, size_t n, int flags)
{
	char rep[HTML_ESC_MAX + 1];
	size_t i, k;

	for (i = 0; i < n && !b->err; i++) {
		k = html_one((unsigned char)s[i], rep, flags);
		record_buf_add(b, rep, k);
	}
}

void html_textz(struct record_buf *b, const char *s)
{
	html_text(b, s, strlen(s), 0);
}
