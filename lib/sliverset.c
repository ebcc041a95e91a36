/* sliverset: format, parse and verify the signed sliver set and ticket.
 *
 * Guarantees: see lib/sliverset.h.  The parser reads the document in one
 * pass, each line through line_take() with the exact prefix the format
 * fixes at that point, so an unknown, missing, duplicated or reordered
 * field is a syntax error; numbers through num.h (one spelling), hashes
 * through hex.h (lowercase), names through label.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/grant.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/line.h"
#include "lib/num.h"
#include "lib/sha256.h"
#include "lib/sliverset.h"

const char *const sliverset_attr_names[SLIVERSET_NATTR] = {
	SLIVERSET_A_CPU_SHARE, SLIVERSET_A_CPU_PCT, SLIVERSET_A_MEM_MAX,
	SLIVERSET_A_TASKS_MAX, SLIVERSET_A_DISK_MAX, SLIVERSET_A_NET_MIN_RATE,
	SLIVERSET_A_NET_MAX_RATE, SLIVERSET_A_NET_MAX_BYTES_PER_DAY,
};

static const char sliverset_magic[] = "epoxy-slivers 1";
static const char sliverset_ticket_magic[] = "epoxy-ticket 1";

int sliverset_name_ok(const char *s, size_t n)
{
	return n >= 1 && n <= SLIVERSET_NAME_MAX && label_check(LABEL_TAG, s, n) == 0 &&
	       s[0] != '.' && s[0] != '-' && s[0] != '_';
}

static int sliverset_entry_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > SLIVERSET_ENTRY_MAX || s[0] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* a non-empty canonical grant list (lib/grant.h) */
static int sliverset_grants_ok(const char *s, size_t n)
{
	struct grant g[GRANT_MAX];
	size_t cnt;

	return n > 0 && n <= GRANT_LIST_MAX && grant_list_parse(s, n, g, &cnt) == 0;
}

/* ---------------------------------------------------------------- format */

static int sliverset_put(char *out, size_t cap, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int sliverset_put(char *out, size_t cap, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out + *o, cap - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *o)
		return -ENOSPC;
	*o += (size_t)n;
	return 0;
}

static int sliverset_format_one(const struct sliver *v, char *out, size_t cap, size_t *o)
{
	char h[65];
	size_t a;
	int rc;

	if (!sliverset_name_ok(v->name, strnlen(v->name, sizeof(v->name))) ||
	    !sliverset_entry_ok(v->entry, strnlen(v->entry, sizeof(v->entry))) ||
	    v->expires <= 0 || v->image_bytes == 0 || v->image_bytes > SLIVERSET_VALUE_MAX)
		return -EINVAL;
	hex_encode(v->image, 32, h);
	rc = sliverset_put(out, cap, o, "sliver %s\n image sha256:%s bytes %" PRIu64
			   " url /v1/image/%s\n entry %s\n expires %" PRId64 "\n", v->name, h,
			   v->image_bytes, h, v->entry, v->expires);
	for (a = 0; rc == 0 && a < SLIVERSET_NATTR; a++)
		rc = v->attr[a] > SLIVERSET_VALUE_MAX ? -EINVAL :
			sliverset_put(out, cap, o, " %s %" PRIu64 "\n", sliverset_attr_names[a],
				      v->attr[a]);
	if (rc == 0 && v->grants[0])
		rc = sliverset_grants_ok(v->grants, strnlen(v->grants, sizeof(v->grants))) ?
		     sliverset_put(out, cap, o, " grants %s\n", v->grants) : -EINVAL;
	return rc;
}

int sliverset_format(const struct sliverset *ss, char *out, size_t cap, size_t *outlen)
{
	char nonce[65];
	size_t o = 0, i;
	int rc;

	if (label_check_str(LABEL_HOST, ss->node) < 0 || ss->n > SLIVERSET_MAX_SLIVERS ||
	    (ss->ticket && ss->n != 1) || ss->serial > SLIVERSET_VALUE_MAX ||
	    ss->issued < 0 || ss->expires < 0)
		return -EINVAL;
	if (ss->ticket) {
		hex_encode(ss->nonce, 32, nonce);
		rc = sliverset_put(out, cap, &o, "%s\nnode %s\nnonce %s\nexpires %" PRId64 "\n",
				   sliverset_ticket_magic, ss->node, nonce, ss->expires);
	} else {
		rc = sliverset_put(out, cap, &o, "%s\nnode %s\nserial %" PRIu64 "\nissued %"
				   PRId64 "\n", sliverset_magic, ss->node, ss->serial, ss->issued);
	}
	for (i = 0; rc == 0 && i < ss->n; i++) {
		if (i && strcmp(ss->sl[i - 1].name, ss->sl[i].name) >= 0)
			return -EINVAL;
		rc = sliverset_format_one(&ss->sl[i], out, cap, &o);
	}
	if (rc == 0)
		rc = sliverset_put(out, cap, &o, "end\n");
	if (rc == 0)
		*outlen = o;
	return rc;
}

/* ----------------------------------------------------------------- parse */

struct sliverset_rd {
	const char *t;
	size_t len, pos;
};

/* The value of the next line, which must start with prefix. */
static long sliverset_take(struct sliverset_rd *r, const char *prefix, const char **v)
{
	return line_take(r->t, r->len, &r->pos, prefix, v);
}

static int sliverset_u64(struct sliverset_rd *r, const char *prefix, uint64_t min,
			 uint64_t *out)
{
	const char *v;
	long n = sliverset_take(r, prefix, &v);

	if (n < 0 || num_parse_u64(v, (size_t)n, SLIVERSET_VALUE_MAX, out) < 0 || *out < min)
		return -EPX_E_SLV_SYNTAX;
	return 0;
}

/* " image sha256:HEX bytes N url /v1/image/HEX" */
static int sliverset_image(struct sliverset_rd *r, struct sliver *v)
{
	const char *s, *b;
	long n = sliverset_take(r, " image sha256:", &s);
	size_t bl;

	if (n < 64 + 7 || hex_decode(s, 64, v->image, 32) < 0 || memcmp(s + 64, " bytes ", 7))
		return -EPX_E_SLV_SYNTAX;
	b = s + 71;
	for (bl = 0; b + bl < s + n && b[bl] != ' '; bl++)
		;
	if ( num_parse_u64(b, bl, SLIVERSET_VALUE_MAX, &v->image_bytes) < 0 ||
	    v->image_bytes == 0)
		return -EPX_E_SLV_SYNTAX;
	b += bl;
	if ((size_t)(s + n - b) != 15 + 64 || memcmp(b, " url /v1/image/", 15) ||
	    memcmp(b + 15, s, 64))
		return -EPX_E_SLV_SYNTAX;
	return 0;
}

static int sliverset_one(struct sliverset_rd *r, struct sliver *v)
{
	uint64_t x;
	const char *s;
	long n = sliverset_take(r, "sliver ", &s);
	size_t a;

	if (n < 0 || !sliverset_name_ok(s, (size_t)n))
		return -EPX_E_SLV_SYNTAX;
	memcpy(v->name, s, (size_t)n);
	v->name[n] = '\0';
	if (sliverset_image(r, v) < 0)
		return -EPX_E_SLV_SYNTAX;
	n = sliverset_take(r, " entry ", &s);
	if (n < 0 || !sliverset_entry_ok(s, (size_t)n))
		return -EPX_E_SLV_SYNTAX;
	memcpy(v->entry, s, (size_t)n);
	v->entry[n] = '\0';
	if (sliverset_u64(r, " expires ", 1, &x) < 0)
		return -EPX_E_SLV_SYNTAX;
	v->expires = (int64_t)x;
	for (a = 0; a < SLIVERSET_NATTR; a++) {
		char p[40];

		snprintf(p, sizeof(p), " %s ", sliverset_attr_names[a]);
		if (sliverset_u64(r, p, 0, &v->attr[a]) < 0)
			return -EPX_E_SLV_SYNTAX;
	}
	/* the optional grants line: absent, or a non-empty canonical list */
	if (r->len - r->pos > 8 && !memcmp(r->t + r->pos, " grants ", 8)) {
		n = sliverset_take(r, " grants ", &s);
		if (n < 0 || !sliverset_grants_ok(s, (size_t)n))
			return -EPX_E_SLV_SYNTAX;
		memcpy(v->grants, s, (size_t)n);
		v->grants[n] = '\0';
	}
	return 0;
}

static int sliverset_head(struct sliverset_rd *r, struct sliverset *ss)
{
	const char *s;
	long n;
	uint64_t x;

	if ((n = sliverset_take(r, sliverset_magic, &s)) == 0) {
		ss->ticket = 0;
	} else if ((n = sliverset_take(r, sliverset_ticket_magic, &s)) == 0) {
		ss->ticket = 1;
	} else {
		return -EPX_E_SLV_SYNTAX;
	}
	n = sliverset_take(r, "node ", &s);
	if (n < 0 || label_check(LABEL_HOST, s, (size_t)n) < 0)
		return -EPX_E_SLV_SYNTAX;
	memcpy(ss->node, s, (size_t)n);
	ss->node[n] = '\0';
	if (ss->ticket) {
		n = sliverset_take(r, "nonce ", &s);
		if (n != 64 || hex_decode(s, 64, ss->nonce, 32) < 0 ||
		    sliverset_u64(r, "expires ", 1, &x) < 0)
			return -EPX_E_SLV_SYNTAX;
		ss->expires = (int64_t)x;
		return 0;
	}
	if (sliverset_u64(r, "serial ", 1, &ss->serial) < 0 ||
	    sliverset_u64(r, "issued ", 0, &x) < 0)
		return -EPX_E_SLV_SYNTAX;
	ss->issued = (int64_t)x;
	return 0;
}

/* The body buf[0..*body_len) and its signature line, split and checked for
 * shape: the last line is "sig <16 hex> <even hex>". */
static int sliverset_split(const char *buf, size_t len, size_t *body_len,
			   struct doc_sig *sg)
{
	size_t i, hl;

	if (len > SLIVERSET_MAX_BYTES)
		return -EPX_E_SLV_TOOBIG;
	if (len < 2 || buf[len - 1] != '\n')
		return -EPX_E_SLV_SYNTAX;
	for (i = len - 1; i > 0 && buf[i - 1] != '\n'; i--)
		;
	hl = len - 1 - i;           /* the sig line without its newline */
	if (i == 0 || hl < 4 + 16 + 1 + 2 || memcmp(buf + i, "sig ", 4) ||
	    buf[i + 20] != ' ' || hex_decode(buf + i + 4, 16, sg->keyid, DOC_KEYID_LEN) < 0)
		return -EPX_E_SLV_SYNTAX;
	sg->der_len = (hl - 21) / 2;
	if ((hl - 21) % 2 || sg->der_len > DOC_MAX_DER ||
	    hex_decode(buf + i + 21, hl - 21, sg->der, sg->der_len) < 0)
		return -EPX_E_SLV_SYNTAX;
	*body_len = i;
	return 0;
}

static int sliverset_body(struct sliverset *ss, const char *body, size_t len)
{
	struct sliverset_rd r = { body, len, 0 };
	const char *s;
	int rc = sliverset_head(&r, ss);

	while (rc == 0 && r.pos < len && body[r.pos] == 's') {
		if (ss->n >= SLIVERSET_MAX_SLIVERS)
			return -EPX_E_SLV_TOOBIG;
		rc = sliverset_one(&r, &ss->sl[ss->n]);
		if (rc == 0 && ss->n && strcmp(ss->sl[ss->n - 1].name, ss->sl[ss->n].name) >= 0)
			rc = -EPX_E_SLV_SYNTAX;   /* sorted, no name twice */
		ss->n++;
	}
	if (rc == 0 && (sliverset_take(&r, "end", &s) != 0 || r.pos != len))
		rc = -EPX_E_SLV_SYNTAX;
	if (rc == 0 && ss->ticket && ss->n != 1)
		rc = -EPX_E_SLV_SYNTAX;
	return rc;
}

int sliverset_parse(struct sliverset *out, const char *buf, size_t len)
{
	struct doc_sig sg;
	size_t body_len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sliverset_split(buf, len, &body_len, &sg);
	if (rc == 0)
		rc = sliverset_body(out, buf, body_len);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int sliverset_verify_doc(struct sliverset *out, const char *buf, size_t len,
			 const struct sig_pub *online, const char *node, int want_ticket)
{
	struct doc_sig sg;
	uint8_t h[32];
	size_t body_len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sliverset_split(buf, len, &body_len, &sg);
	if (rc)
		return rc;
	sha256_buf(buf, body_len, h);
	if (!online || memcmp(sg.keyid, online->keyid, DOC_KEYID_LEN) ||
	    sig_verify(online, h, sg.der, sg.der_len) < 0)
		return -EPX_E_SLV_SIG;
	rc = sliverset_body(out, buf, body_len);
	if (rc == 0 && out->ticket != want_ticket)
		rc = -EPX_E_SLV_SYNTAX;
	if (rc == 0 && (!node || strcmp(out->node, node)))
		rc = -EPX_E_SLV_NODE;
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int sliverset_verify(struct sliverset *out, const char *buf, size_t len,
		     const struct sig_pub *online, const char *node, uint64_t last_serial)
{
	int rc = sliverset_verify_doc(out, buf, len, online, node, 0);

	if (rc == 0 && out->serial <= last_serial) {
		memset(out, 0, sizeof(*out));
		rc = -EPX_E_SLV_SERIAL;
	}
	return rc;
}
