/* pusher_s3: epoxyd's answer to epoxy-pusher's "where do I upload this
 * bundle" (POST /v1/archive/<experiment>/<sha256>/url; docs/protocol.md,
 * "Archive"), checked before a byte of the bundle leaves the node.
 *
 *   put /v1/archive/<experiment>/<sha256>\n      the local backend: PUT the
 *                                                bundle to epoxyd itself
 *   url https://<archive>/<path>?<query>\n       the S3 backend: PUT it to this
 *   expires <unix time>\n                        presigned URL (epoxyd's clock),
 *   ttl <seconds>\n                              valid ttl s from the answer
 *
 * Guarantees of pusher_s3_answer:
 *  - the answer is at most PUSHER_S3_ANSWER_MAX bytes, exactly those lines
 *    in that order (lib/line.h), nothing before, between or after;
 *  - "put" names exactly this bundle's own path (experiment and hash);
 *  - "url" is https:// (net/'s client speaks nothing else) and its
 *    authority ("NAME" or "NAME:PORT") is byte for byte the archive host
 *    the pusher was configured with (--archive): an answer from epoxyd, or
 *    from anything that got between, can never send the node's data to
 *    another host, and the archive's TLS certificate is then checked for
 *    that name against --archive-ca; without --archive an S3 answer is
 *    refused (-EPX_E_PU_NOARCHIVE);
 *  - its path is non-empty segments of RFC 3986 unreserved bytes (never
 *    "." or ".."), ends in "/<experiment>/<any one segment>/<sha256>.tgz"
 *    (this bundle's object, under the node's name), and is followed by a
 *    non-empty query of unreserved bytes, '=', '&' and "%XX" escapes
 *    (lib/pct.h's rule), the whole request target at most
 *    PUSHER_S3_TARGET_MAX bytes;
 *  - expires is lib/num.h's i64 in 1..2^40 and ttl its u64 in
 *    1..PUSHER_S3_TTL_MAX;
 *  - out->target is the request target (path and query, NUL-terminated)
 *    and out->path_len the length of its path alone: the only part that
 *    may be logged (the query holds the signature, a capability);
 *  - anything else is -EPX_E_PU_ANSWER (or -EPX_E_PU_URLHOST for a URL of
 *    another scheme, host or object) and out is zeroed. */
#ifndef EPOXY_PUSHER_S3_H
#define EPOXY_PUSHER_S3_H

#include <stddef.h>
#include <stdint.h>

#define PUSHER_S3_ANSWER_MAX 2048
#define PUSHER_S3_TARGET_MAX 1536       /* net/https's request head holds it */
#define PUSHER_S3_AUTH_MAX 255          /* "NAME[:PORT]" */
#define PUSHER_S3_TTL_MAX 3600          /* epoxyd's s3_url_ttl range */
#define PUSHER_S3_EXPIRES_MAX (1ll << 40)

struct pusher_s3_url {
	int local;                      /* "put": upload to epoxyd at target */
	char target[PUSHER_S3_TARGET_MAX + 1];
	size_t path_len;                /* target[0..path_len): loggable */
	int64_t expires;                /* epoxyd's clock, informative */
	uint64_t ttl;                   /* s, counted from the answer */
};

/* Checks ans[0..len) for the bundle exp/sha; archive is the configured
 * "NAME[:PORT]" or NULL.  Returns 0, -EPX_E_PU_ANSWER, -EPX_E_PU_URLHOST
 * or -EPX_E_PU_NOARCHIVE. */
int pusher_s3_answer(const char *ans, size_t len, const char *archive, const char *exp,
		     const char *sha, struct pusher_s3_url *out);

#endif
