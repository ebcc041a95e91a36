/* html: the one HTML escaper of epoxyd's status page (server/page*.c).
 *
 * Guarantees:
 *  - html_escape() turns any bytes into text that an HTML parser reads as
 *    character data in element content and in double- or single-quoted
 *    attribute values: '&' '<' '>' '"' '\'' become entities, every control
 *    byte (below 0x20 but '\n' with HTML_NL, and 0x7f) and every byte from
 *    0x80 becomes the visible text "\xNN"; nothing else is emitted, so the
 *    output never holds '<', '>', '"' or '\'';
 *  - it never writes past cap and always NUL-terminates when cap > 0;
 *  - a page is a struct record_buf (lib/record.h) made by html_buf_init():
 *    it grows up to its max and then sets err = -EPX_E_PAGE_TOOBIG once,
 *    dropping the rest: a page is complete or refused, never cut;
 *  - html_raw() is for markup written in our own source only: every value
 *    that came from the store, a request or a node goes through html_text(). */
#ifndef EPOXY_HTML_H
#define EPOXY_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "lib/record.h"

#define HTML_NL 1                /* keep '\n' (a console tail in <pre>) */
#define HTML_ESC_MAX 6           /* longest replacement of one byte: "&quot;" */

/* Escapes n bytes of in into out (cap bytes with the NUL).  Returns the
 * output length, or -ENOSPC when it does not fit (out then holds "" when
 * cap > 0). */
long html_escape(const char *in, size_t n, char *out, size_t cap, int flags);

void html_buf_init(struct record_buf *b, size_t max);
void html_buf_free(struct record_buf *b);
/* Our own markup, verbatim. */
void html_raw(struct record_buf *b, const char *s);
/* Our own markup from a format: arguments must be numbers or our literals. */
void html_rawf(struct record_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Untrusted text (n bytes), escaped by html_escape(). */
void html_text(struct record_buf *b, const char *s, size_t n, int flags);
/* The same for a NUL-terminated string. */
void html_textz(struct record_buf *b, const char *s);

#endif
