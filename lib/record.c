/* record: records of the admin API, one form-encoded line each.
 *
 * Guarantees: parsing never reads outside [s, s+len), never writes outside
 * it (decoding only shrinks), refuses malformed escapes, NUL bytes, bad or
 * duplicate keys and more than RECORD_MAX_FIELDS fields; output buffers
 * never grow past their max and stay NUL-terminated. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/record.h"

void record_buf_init(struct record_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
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
		b->err = -EPX_E_ADM_TOOBIG;
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

void record_buf_printf(struct record_buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		if (!b->err)
			b->err = -EPX_E_ADM_TOOBIG;
		return;
	}
	record_buf_add(b, tmp, (size_t)n);
}

static int record_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~' || c == ':' || c == '/';
}

void record_buf_field(struct record_buf *b, const char *key, const char *val)
{
	static const char hexd[] = "0123456789ABCDEF";
	const unsigned char *p;
	char esc[3];

	if (b->len && b->buf[b->len - 1] != '\n')
		record_buf_add(b, "&", 1);
	record_buf_str(b, key);
	record_buf_add(b, "=", 1);
	for (p = (const unsigned char *)val; *p; p++) {
		if (record_plain(*p)) {
			record_buf_add(b, (const char *)p, 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hexd[*p >> 4];
		esc[2] = hexd[*p & 15];
		record_buf_add(b, esc, 3);
	}
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

static int record_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..len) in place; NUL-terminates at the (shorter) end. */
static int record_decode(char *s, size_t len)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (len - i < 3)
				return -EPX_E_ADM_FORM;
			hi = record_hexval(s[i + 1]);
			lo = record_hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EPX_E_ADM_FORM;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return -EPX_E_ADM_FORM;
		s[o++] = c;
	}
	s[o] = '\0';
	return 0;
}

static int record_key_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > RECORD_MAX_KEY)
		return 0;
	for (i = 0; i < n; i++) {
		char c = k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* Splits one "k=v" pair at p[0..n) (p[n] is writable: '&' or the end). */
static int record_pair(struct record *r, char *p, size_t n)
{
	char *eq = memchr(p, '=', n);
	size_t klen, i;
	int rc = -EPX_E_ADM_FORM;

	if (!eq)
		return rc;
	klen = (size_t)(eq - p);
	if (!record_key_ok(p, klen))
		return rc;
	if (r->n >= RECORD_MAX_FIELDS)
		return -EPX_E_ADM_TOOBIG;
	*eq = '\0';
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], p))
			return rc;
	rc = record_decode(eq + 1, n - klen - 1);
	if (rc)
		return rc;
	r->key[r->n] = p;
	r->val[r->n] = eq + 1;
	r->n++;
	return 0;
}

int record_parse(struct record *r, char *s, size_t len)
{
	size_t start = 0, i;
	int rc;

	r->n = 0;
	if (len > RECORD_MAX_LINE)
		return -EPX_E_ADM_TOOBIG;
	if (len == 0)
		return 0;
	if (memchr(s, '\0', len) || memchr(s, '\n', len))
		return -EPX_E_ADM_FORM;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '&')
			continue;
		rc = record_pair(r, s + start, i - start);
		if (rc)
			return rc;
		start = i + 1;
	}
	return 0;
}

const char *record_get(const struct record *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key))
			return r->val[i];
	return NULL;
}

int record_each(char *buf, size_t len,
		  int (*fn)(const struct record *r, void *arg), void *arg)
{
	struct record r;
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

void record_json_rec(FILE *f, const struct record *r)
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
