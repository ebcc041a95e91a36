/* doc: the signed text envelope of keysets, manifests and statements.
 *
 * Guarantees to callers: after doc_split() returns 0, the document is at
 * most DOC_MAX_BYTES, every line is printable ASCII of at most DOC_MAX_LINE
 * bytes (newline included) with single spaces between words, the first line
 * is exactly the expected magic, every body line is "<key> <value>" with a
 * lowercase key, the body ends with "end\n", and everything after it is at
 * most DOC_MAX_SIGS well-formed "sig <keyid> <derhex>" lines.  Hashes of the
 * signed body and of the whole file are set.  Nothing is copied; nothing
 * about field meaning is checked here (see keyset, manifest, statement). */
#include <errno.h>
#include <string.h>

#include "lib/doc.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/sha256.h"

#define DOC_MIN_DER 8

/* Printable ASCII, no leading, trailing or doubled space, not empty. */
static int doc_line_chars_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
		if (s[i] == ' ' && s[i + 1] == ' ')
			return 0;
	}
	return 1;
}

static int doc_is_word(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(s, w, n) == 0;
}

/* A body field: [a-z][a-z0-9-]* then one space then a value. */
static int doc_field_ok(const char *s, size_t n)
{
	const char *sp = memchr(s, ' ', n);

	return n >= 3 && sp && sp < s + n - 1 &&
	       label_check(LABEL_FIELD, s, (size_t)(sp - s)) == 0;
}

/* "sig " 16 hex " " derhex */
static int doc_sig_parse(struct doc_sig *sg, const char *s, size_t n)
{
	size_t hexlen;

	if (n < 4 + 2 * DOC_KEYID_LEN + 1 || memcmp(s, "sig ", 4) != 0 ||
	    s[4 + 2 * DOC_KEYID_LEN] != ' ')
		return -EPX_E_SIG_SYNTAX;
	if (hex_decode(s + 4, 2 * DOC_KEYID_LEN, sg->keyid, DOC_KEYID_LEN) < 0)
		return -EPX_E_SIG_SYNTAX;
	hexlen = n - (4 + 2 * DOC_KEYID_LEN + 1);
	if (hexlen % 2 || hexlen / 2 > DOC_MAX_DER || hexlen / 2 < DOC_MIN_DER)
		return -EPX_E_SIG_SYNTAX;
	sg->der_len = hexlen / 2;
	if (hex_decode(s + n - hexlen, hexlen, sg->der, sg->der_len) < 0)
		return -EPX_E_SIG_SYNTAX;
	return 0;
}

enum doc_state { DOC_MAGIC, DOC_BODY, DOC_SIGS };

static int doc_line(struct doc *d, enum doc_state *st, const char *s, size_t n,
		    const char *magic)
{
	switch (*st) {
	case DOC_MAGIC:
		if (!doc_is_word(s, n, magic))
			return -EPX_E_MF_MAGIC;
		*st = DOC_BODY;
		return 0;
	case DOC_BODY:
		if (doc_is_word(s, n, "end")) {
			*st = DOC_SIGS;
			return 1;
		}
		return doc_field_ok(s, n) ? 0 : -EPX_E_MF_SYNTAX;
	case DOC_SIGS:
		if (d->nsigs >= DOC_MAX_SIGS)
			return -EPX_E_MF_TOOMANY;
		return doc_sig_parse(&d->sigs[d->nsigs++], s, n);
	}
	return -EINVAL;
}

int doc_split(struct doc *d, const char *buf, size_t len, const char *magic)
{
	enum doc_state st = DOC_MAGIC;
	const char *nl;
	size_t off = 0, n;
	int rc = -EPX_E_MF_SYNTAX;

	memset(d, 0, sizeof(*d));
	if (len > DOC_MAX_BYTES)
		return -EPX_E_MF_TOOBIG;
	while (off < len) {
		nl = memchr(buf + off, '\n', len - off);
		if (!nl)
			return st == DOC_MAGIC ? -EPX_E_MF_MAGIC : -EPX_E_MF_SYNTAX;
		n = (size_t)(nl - (buf + off));
		if (n + 1 > DOC_MAX_LINE || !doc_line_chars_ok(buf + off, n))
			return st == DOC_MAGIC ? -EPX_E_MF_MAGIC :
			       st == DOC_SIGS ? -EPX_E_SIG_SYNTAX : -EPX_E_MF_SYNTAX;
		rc = doc_line(d, &st, buf + off, n, magic);
		if (rc < 0)
			return rc;
		off += n + 1;
		if (rc == 1)
			d->body_len = off;
		if (st == DOC_BODY && d->pos == 0)
			d->pos = off;
	}
	if (st == DOC_MAGIC)
		return -EPX_E_MF_MAGIC;
	if (st != DOC_SIGS)
		return -EPX_E_MF_NOEND;
	d->body = buf;
	sha256_buf(buf, d->body_len, d->body_sha256);
	sha256_buf(buf, len, d->file_sha256);
	return 0;
}

int doc_next(struct doc *d, const char **key, size_t *klen,
	     const char **val, size_t *vlen)
{
	const char *s, *nl, *sp;
	size_t n;

	while (d->body && d->pos < d->body_len) {
		s = d->body + d->pos;
		nl = memchr(s, '\n', d->body_len - d->pos);
		if (!nl)
			return -EPX_E_MF_SYNTAX;
		n = (size_t)(nl - s);
		if (doc_is_word(s, n, "end"))
			return 0;
		d->pos += n + 1;
		sp = memchr(s, ' ', n);
		if (!sp)
			return -EPX_E_MF_SYNTAX;
		if (n >= 2 && s[0] == 'x' && s[1] == '-')
			continue;
		*key = s;
		*klen = (size_t)(sp - s);
		*val = sp + 1;
		*vlen = n - *klen - 1;
		return 1;
	}
	return d->body ? 0 : -EINVAL;
}
