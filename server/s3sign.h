/* s3sign: AWS Signature Version 4 query-string presigning (the S3
 * archive backend, issue 15 point 3): epoxyd hands a node a URL that lets
 * it do one request (PUT of one object) until the URL expires, and the
 * node never holds the archive's secret.
 *
 * Guarantees:
 *  - the URL is path style: /<bucket>/<key>?X-Amz-Algorithm=...&
 *    X-Amz-Signature=<64 hex>, query parameters in the canonical (sorted)
 *    order, every value and every path segment percent-encoded by lib/pct
 *    (RFC 3986 unreserved bytes only), so the URL a node sends is byte for
 *    byte the canonical request the signature covers;
 *  - the signature covers method, bucket, key, host, access key, region,
 *    date and expiry: change any one and the store refuses the request
 *    (SignatureDoesNotMatch);
 *  - only the "host" header is signed and the payload is UNSIGNED-PAYLOAD:
 *    what arrived is checked by epoxyd afterwards (size and SHA-256);
 *  - caps: key S3SIGN_KEY_MAX bytes of RFC 3986 unreserved bytes and '/'
 *    (so every client and server encodes it the same: not at all), without
 *    "//", a "." or ".." segment, or a leading/trailing '/'; bucket 3-63 of
 *    [a-z0-9.-]; expiry 1..S3SIGN_EXPIRES_MAX seconds; the access key,
 *    region and host printable, bounded; anything else -EPX_E_S3_SIGN and
 *    nothing written but an empty string;
 *  - the secret and every derived key are wiped before return; nothing is
 *    logged here. */
#ifndef EPOXY_S3SIGN_H
#define EPOXY_S3SIGN_H

#include <stddef.h>
#include <stdint.h>

#define S3SIGN_KEY_MAX 1024
#define S3SIGN_FIELD_MAX 128        /* access key, region, host */
#define S3SIGN_SECRET_MAX 128
#define S3SIGN_EXPIRES_MAX 604800u  /* SigV4's own limit: 7 days */
#define S3SIGN_URL_MAX 8192

struct s3sign {
	const char *access_key;
	const char *secret;
	const char *region;     /* e.g. "us-east-1" */
	const char *host;       /* the Host header the client sends: "127.0.0.1:8080" */
};

/* Writes the path and query of a presigned METHOD request for
 * /<bucket>/<key> (bucket NULL or "": /<key>, virtual-hosted style) made
 * at now (seconds since 1970, UTC) and valid for expires seconds, into
 * out[0..cap) with a NUL.  Returns 0, -EPX_E_S3_SIGN (an input out of its
 * cap or malformed) or -EPX_E_CODEC_SPACE (cap too small). */
int s3sign_presign(const struct s3sign *s, const char *method, const char *bucket,
		   const char *key, int64_t now, unsigned expires, char *out, size_t cap);

/* The SigV4 signing key of (secret, date "YYYYMMDD", region, service). */
int s3sign_key(const char *secret, const char *date, const char *region, const char *service,
	       uint8_t out[32]);

/* 0 if key is an object key s3sign accepts (see the caps above). */
int s3sign_key_check(const char *key);

#endif
