/* record: records of the admin API, one form-encoded line each.
 *
 * Guarantees: a record line is a form of lib/form.h (one parser, one
 * percent-encoder for the whole tree): parsing never reads outside
 * [s, s+len], never writes outside it, refuses malformed escapes, %00,
 * control bytes, bad or duplicate keys and more than RECORD_MAX_FIELDS
 * fields; output buffers never grow past their max and stay
 * NUL-terminated. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/pct.h"
#include "lib/record.h"

void record_buf_init(struct record_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
	b->toobig = -EPX_E_ADM_TOOBIG;
}

void record_buf_free(struct record_buf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

void record_buf_wipe(struct record_buf *b)
{
	if (b->buf)
		explicit_bzero(b->buf, b->cap);
	record_buf_free(b);
}

static int record_buf_reserve(struct record_buf *b, size_t n)
{
	size_t want, ncap;
	char *nb;

	if (b->err)
		return b->err;
	if (n > b->max || b->len > b->max - n) {
		b->err = b->toobig;
		return b->err;
	}
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap *= 2;
	nb = malloc(ncap);
	if (!nb) {
		b->err = -ENOMEM;
		return b->err;
	}
	if (b->buf) {
		memcpy(nb, b->buf, b->len);
		/* the old copy may hold a secret: never leave it in the heap */
		explicit_bzero(b->buf, b->cap);
		free(b->buf);
	}
	b->buf = nb;
	b->cap = ncap;
	b->buf[b->len] = '\0';
	return 0;
}

void record_buf_add(struct record_buf *b, const char *s, size_t n)
{
	if (record_buf_reserve(b, n))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void record_buf_str(struct record_buf *b, const char *s)
{
	record_buf_add(b, s, strlen(s));
}

void record_buf_vprintf(struct record_buf *b, const char *fmt, va_list ap)
{
	char tmp[512];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);

	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!b->err)
			b->err = b->toobig;
		return;
	}
	record_buf_add(b, tmp, (size_t)n);
}

void record_buf_printf(struct record_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void record_buf_field(struct record_buf *b, const char *key, const char *val)
{
	size_t n = strlen(val), enc = pct_encoded_len(val, n);

	if (b->len && b->buf[b->len - 1] != '\n')
		record_buf_add(b, "&", 1);
	record_buf_str(b, key);
	record_buf_add(b, "=", 1);
	if (record_buf_reserve(b, enc))
		return;
	/* reserve left room for enc bytes and the NUL */
	if (pct_encode(val, n, b->buf + b->len, enc + 1, NULL) < 0) {
		b->err = b->toobig;
		return;
	}
	b->len += enc;
}

void record_buf_fieldu(struct record_buf *b, const char *key, unsigned long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", v);
	record_buf_field(b, key, num);
}

void record_buf_endrec(struct record_buf *b)
{
	record_buf_add(b, "\n", 1);
}

int record_parse(struct form *r, char *s, size_t len)
{
	int rc;

	r->n = 0;
	if (len > RECORD_MAX_LINE)
		return -EPX_E_ADM_TOOBIG;
	rc = form_parse(r, s, len, RECORD_MAX_FIELDS, RECORD_MAX_LINE);
	if (rc < 0) {
		r->n = 0;
		return rc == -EPX_E_FORM_TOOBIG ? -EPX_E_ADM_TOOBIG : -EPX_E_ADM_FORM;
	}
	return 0;
}

int record_each(char *buf, size_t len,
		  int (*fn)(const struct form *r, void *arg), void *arg)
{
	struct form r;
	size_t off = 0;
	char *nl;
	int rc;

	while (off < len) {
		size_t n;

		nl = memchr(buf + off, '\n', len - off);
		if (!nl)
			return -EPX_E_ADM_FORM; /* every record ends in '\n' */
		n = (size_t)(nl - (buf + off));
		*nl = '\0';
		rc = record_parse(&r, buf + off, n);
		if (rc)
			return rc;
		rc = fn(&r, arg);
		if (rc)
			return rc;
		off += n + 1;
	}
	return 0;
}

void record_json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if (*p >= 0x80)
			fputs("\\ufffd", f); /* never emit invalid UTF-8 */
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void record_json_rec(FILE *f, const struct form *r)
{
	size_t i;

	fputc('{', f);
	for (i = 0; i < r->n; i++) {
		if (i)
			fputs(", ", f);
		record_json_str(f, r->key[i]);
		fputs(": ", f);
		record_json_str(f, r->val[i]);
	}
	fputc('}', f);
}
