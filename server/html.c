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

void html_buf_init(struct html_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void html_buf_free(struct html_buf *b)
{
	free(b->buf);
	html_buf_init(b, b->max);
}

/* Room for n more bytes (+ NUL) within max. */
static int html_room(struct html_buf *b, size_t n)
{
	size_t want, ncap;
	char *p;

	if (b->err)
		return 0;
	if (n > b->max || b->len > b->max - n) {
		b->err = -EPX_E_PAGE_TOOBIG;
		return 0;
	}
	want = b->len + n + 1;
	if (want <= b->cap)
		return 1;
	ncap = b->cap ? b->cap : 4096;
	while (ncap < want)
		ncap *= 2;
	p = realloc(b->buf, ncap);
	if (!p) {
		b->err = -ENOMEM;
		return 0;
	}
	b->buf = p;
	b->cap = ncap;
	return 1;
}

static void html_add(struct html_buf *b, const char *s, size_t n)
{
	if (!html_room(b, n))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void html_raw(struct html_buf *b, const char *s)
{
	html_add(b, s, strlen(s));
}

void html_rawf(struct html_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!b->err)
			b->err = -EPX_E_PAGE_TOOBIG;
		return;
	}
	html_add(b, tmp, (size_t)n);
}

void html_text(struct html_buf *b, const char *s, size_t n, int flags)
{
	char rep[HTML_ESC_MAX + 1];
	size_t i, k;

	for (i = 0; i < n && !b->err; i++) {
		k = html_one((unsigned char)s[i], rep, flags);
		html_add(b, rep, k);
	}
}

void html_textz(struct html_buf *b, const char *s)
{
	html_text(b, s, strlen(s), 0);
}
