/* s3sign: SigV4 query-string presigning (see s3sign.h).
 *
 * Order: check every input -> date stamps -> path (each segment encoded)
 * -> canonical query (sorted by name) -> canonical request -> its SHA-256
 * -> string to sign -> signing key -> signature appended to the query. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mbedtls/md.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/pct.h"
#include "lib/sha256.h"
#include "server/s3sign.h"

#define S3SIGN_ALGO "AWS4-HMAC-SHA256"
#define S3SIGN_SERVICE "s3"
#define S3SIGN_CANON_MAX (3 * S3SIGN_KEY_MAX + 4 * S3SIGN_FIELD_MAX + 1024)

struct s3sign_buf {
	char *p;
	size_t len, cap;
	int err;
};

static void s3sign_put(struct s3sign_buf *b, const char *s, size_t n)
{
	if (b->err || n >= b->cap - b->len) {
		b->err = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void s3sign_puts(struct s3sign_buf *b, const char *s)
{
	s3sign_put(b, s, strlen(s));
}

/* percent-encodes s[0..n) onto b (RFC 3986 unreserved kept) */
static void s3sign_put_pct(struct s3sign_buf *b, const char *s, size_t n)
{
	size_t w = 0;

	if (b->err || pct_encode(s, n, b->p + b->len, b->cap - b->len, &w) < 0) {
		b->err = 1;
		return;
	}
	b->len += w;
}

static int s3sign_hmac(const uint8_t *k, size_t klen, const char *msg, size_t mlen,
		       uint8_t out[32])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);

	if (!md || mbedtls_md_hmac(md, k, klen, (const unsigned char *)msg, mlen, out))
		return -EPX_E_S3_SIGN;
	return 0;
}

/* printable ASCII, 1..max bytes, no blank */
static int s3sign_field(const char *s, size_t max)
{
	size_t i, n = s ? strnlen(s, max + 1) : 0;

	if (n == 0 || n > max)
		return -EPX_E_S3_SIGN;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return -EPX_E_S3_SIGN;
	return 0;
}

int s3sign_key(const char *secret, const char *date, const char *region, const char *service,
	       uint8_t out[32])
{
	uint8_t k[4 + S3SIGN_SECRET_MAX], t[32];
	size_t n;
	int rc = -EPX_E_S3_SIGN;

	if (s3sign_field(secret, S3SIGN_SECRET_MAX) < 0 || s3sign_field(date, 8) < 0 ||
	    strlen(date) != 8 || s3sign_field(region, S3SIGN_FIELD_MAX) < 0 ||
	    s3sign_field(service, S3SIGN_FIELD_MAX) < 0)
		return -EPX_E_S3_SIGN;
	n = strlen(secret);
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, n);
	if (s3sign_hmac(k, 4 + n, date, 8, t) < 0 ||
	    s3sign_hmac(t, 32, region, strlen(region), t) < 0 ||
	    s3sign_hmac(t, 32, service, strlen(service), t) < 0 ||
	    s3sign_hmac(t, 32, "aws4_request", 12, out) < 0)
		goto cleanup;
	rc = 0;
cleanup:
	explicit_bzero(k, sizeof(k));
	explicit_bzero(t, sizeof(t));
	return rc;
}

int s3sign_key_check(const char *key)
{
	size_t n, i, seg = 0;

	if (s3sign_field(key, S3SIGN_KEY_MAX) < 0)
		return -EPX_E_S3_SIGN;
	n = strlen(key);
	if (key[0] == '/' || key[n - 1] == '/')
		return -EPX_E_S3_SIGN;
	for (i = 0; i <= n; i++) {
		if (i < n && key[i] != '/') {
			if (!pct_unreserved((unsigned char)key[i]))
				return -EPX_E_S3_SIGN;
			continue;
		}
		/* the segment is key[seg..i) */
		if (i == seg || (i - seg == 1 && key[seg] == '.') ||
		    (i - seg == 2 && key[seg] == '.' && key[seg + 1] == '.'))
			return -EPX_E_S3_SIGN;
		seg = i + 1;
	}
	return 0;
}

static int s3sign_bucket_check(const char *bucket)
{
	size_t i, n = strnlen(bucket, 64);

	if (n < 3 || n > 63 || bucket[0] == '.' || bucket[0] == '-')
		return -EPX_E_S3_SIGN;
	for (i = 0; i < n; i++)
		if (!((bucket[i] >= 'a' && bucket[i] <= 'z') ||
		      (bucket[i] >= '0' && bucket[i] <= '9') || bucket[i] == '.' ||
		      bucket[i] == '-'))
			return -EPX_E_S3_SIGN;
	return 0;
}

static int s3sign_check(const struct s3sign *s, const char *method, const char *bucket,
			const char *key, int64_t now, unsigned expires)
{
	if (!s || s3sign_field(s->access_key, S3SIGN_FIELD_MAX) < 0 ||
	    s3sign_field(s->secret, S3SIGN_SECRET_MAX) < 0 ||
	    s3sign_field(s->region, S3SIGN_FIELD_MAX) < 0 ||
	    s3sign_field(s->host, S3SIGN_FIELD_MAX) < 0 ||
	    s3sign_field(method, 16) < 0 || s3sign_key_check(key) < 0)
		return -EPX_E_S3_SIGN;
	if (bucket && bucket[0] && s3sign_bucket_check(bucket) < 0)
		return -EPX_E_S3_SIGN;
	if (expires == 0 || expires > S3SIGN_EXPIRES_MAX || now < 0 || now > 253402300799LL)
		return -EPX_E_S3_SIGN;
	return 0;
}

/* "/<bucket>/<key>" with every segment encoded */
static void s3sign_path(struct s3sign_buf *b, const char *bucket, const char *key)
{
	const char *p = key, *slash;

	if (bucket && bucket[0]) {
		s3sign_puts(b, "/");
		s3sign_puts(b, bucket);
	}
	for (;;) {
		slash = strchr(p, '/');
		s3sign_puts(b, "/");
		s3sign_put_pct(b, p, slash ? (size_t)(slash - p) : strlen(p));
		if (!slash)
			break;
		p = slash + 1;
	}
}

/* the canonical query without the signature (names already sorted) */
static void s3sign_query(struct s3sign_buf *b, const struct s3sign *s, const char *date,
			 const char *stamp, unsigned expires)
{
	char scope[S3SIGN_FIELD_MAX * 2 + 64], num[16];

	snprintf(scope, sizeof(scope), "%s/%s/%s/%s/aws4_request", s->access_key, date,
		 s->region, S3SIGN_SERVICE);
	snprintf(num, sizeof(num), "%u", expires);
	s3sign_puts(b, "X-Amz-Algorithm=" S3SIGN_ALGO "&X-Amz-Credential=");
	s3sign_put_pct(b, scope, strlen(scope));
	s3sign_puts(b, "&X-Amz-Date=");
	s3sign_puts(b, stamp);
	s3sign_puts(b, "&X-Amz-Expires=");
	s3sign_puts(b, num);
	s3sign_puts(b, "&X-Amz-SignedHeaders=host");
}

/* hex SHA-256 of the canonical request of path?query */
static int s3sign_canon_hash(const char *method, const char *path, const char *query,
			     const char *host, char hex[65])
{
	char canon[S3SIGN_CANON_MAX];
	struct s3sign_buf c = { canon, 0, sizeof(canon), 0 };
	uint8_t h[SHA256_LEN];
	const char *parts[] = { method, "\n", path, "\n", query, "\nhost:", host,
				"\n\nhost\nUNSIGNED-PAYLOAD" };
	size_t i;

	canon[0] = '\0';
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		s3sign_puts(&c, parts[i]);
	if (c.err)
		return -EPX_E_S3_SIGN;
	sha256_buf(canon, c.len, h);
	hex_encode(h, SHA256_LEN, hex);
	return 0;
}

int s3sign_presign(const struct s3sign *s, const char *method, const char *bucket,
		   const char *key, int64_t now, unsigned expires, char *out, size_t cap)
{
	struct s3sign_buf b = { out, 0, cap, 0 };
	char stamp[32], date[16], sts[320], hash[65], sig[65], *query;
	uint8_t k[32], mac[32];
	time_t t = (time_t)now;
	struct tm tm;
	size_t qoff;
	int rc = -EPX_E_S3_SIGN;

	if (cap == 0)
		return -EPX_E_CODEC_SPACE;
	out[0] = '\0';
	if (s3sign_check(s, method, bucket, key, now, expires) < 0 || !gmtime_r(&t, &tm))
		return -EPX_E_S3_SIGN;
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	s3sign_path(&b, bucket, key);
	s3sign_puts(&b, "?");
	qoff = b.len;
	s3sign_query(&b, s, date, stamp, expires);
	if (b.err) {
		rc = -EPX_E_CODEC_SPACE;
		goto cleanup;
	}
	out[qoff - 1] = '\0';    /* path and query apart for the canonical request */
	query = out + qoff;
	rc = s3sign_canon_hash(method, out, query, s->host, hash);
	out[qoff - 1] = '?';
	if (rc < 0)
		goto cleanup;
	snprintf(sts, sizeof(sts), S3SIGN_ALGO "\n%s\n%s/%s/" S3SIGN_SERVICE "/aws4_request\n%s",
		 stamp, date, s->region, hash);
	rc = s3sign_key(s->secret, date, s->region, S3SIGN_SERVICE, k);
	if (rc == 0)
		rc = s3sign_hmac(k, sizeof(k), sts, strlen(sts), mac);
	if (rc < 0)
		goto cleanup;
	hex_encode(mac, sizeof(mac), sig);
	s3sign_puts(&b, "&X-Amz-Signature=");
	s3sign_puts(&b, sig);
	rc = b.err ? -EPX_E_CODEC_SPACE : 0;
cleanup:
	explicit_bzero(k, sizeof(k));
	explicit_bzero(mac, sizeof(mac));
	if (rc < 0)
		out[0] = '\0';
	return rc;
}
