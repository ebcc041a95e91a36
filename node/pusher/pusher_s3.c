/* pusher_s3: epoxyd's answer to "where do I upload" (see pusher_s3.h).
 *
 * Order: size cap -> "put" line (exact path) or "url" line -> scheme ->
 * authority -> path segments -> object name -> query -> "expires" ->
 * "ttl" -> end of answer. */
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/line.h"
#include "lib/num.h"
#include "lib/pct.h"
#include "node/pusher/pusher_s3.h"

/* "put <ARCHIVE_PATH><exp>/<sha>": exactly this bundle's own path */
static int pusher_s3_put(const char *v, size_t n, const char *exp, const char *sha,
			 struct pusher_s3_url *out)
{
	char want[160];
	int w = snprintf(want, sizeof(want), "/v1/archive/%s/%s", exp, sha);

	if (w <= 0 || (size_t)w >= sizeof(want) || n != (size_t)w || memcmp(v, want, n))
		return -EPX_E_PU_ANSWER;
	memcpy(out->target, want, n + 1);
	out->path_len = n;
	out->local = 1;
	return 0;
}

/* segments of unreserved bytes, none empty, "." or ".." */
static int pusher_s3_path(const char *p, size_t n)
{
	size_t i, seg = 0;

	if (n < 2 || p[0] != '/')
		return -EPX_E_PU_URLHOST;
	for (i = 1; i <= n; i++) {
		if (i == n || p[i] == '/') {
			const char *s = p + i - seg;

			if (seg == 0 || (seg == 1 && s[0] == '.') ||
			    (seg == 2 && s[0] == '.' && s[1] == '.'))
				return -EPX_E_PU_URLHOST;
			seg = 0;
			continue;
		}
		if (!pct_unreserved((unsigned char)p[i]))
			return -EPX_E_PU_URLHOST;
		seg++;
	}
	return 0;
}

/* the path ends in "/<exp>/<one segment>/<sha>.tgz" */
static int pusher_s3_object(const char *p, size_t n, const char *exp, const char *sha)
{
	char tail[96];
	size_t el = strlen(exp), tl, i;
	int w = snprintf(tail, sizeof(tail), "/%s.tgz", sha);

	if (w <= 0 || (size_t)w >= sizeof(tail))
		return -EPX_E_PU_URLHOST;
	tl = (size_t)w;
	if (n < tl || memcmp(p + n - tl, tail, tl))
		return -EPX_E_PU_URLHOST;
	n -= tl;        /* p[0..n) ends with the node's segment */
	i = n;
	while (i > 0 && p[i - 1] != '/')
		i--;
	if (i == 0 || i == n || i - 1 < el + 1)
		return -EPX_E_PU_URLHOST;
	i--;            /* p[i] is the '/' before the node's segment */
	if (memcmp(p + i - el, exp, el) || p[i - el - 1] != '/')
		return -EPX_E_PU_URLHOST;
	return 0;
}

/* unreserved, '=', '&' and "%XX" (two hex digits), not empty */
static int pusher_s3_query(const char *q, size_t n)
{
	size_t i;

	if (n == 0)
		return -EPX_E_PU_URLHOST;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)q[i];

		if (pct_unreserved(c) || c == '=' || c == '&')
			continue;
		if (c != '%' || n - i < 3 || hex_nibble_ci(q[i + 1]) < 0 ||
		    hex_nibble_ci(q[i + 2]) < 0)
			return -EPX_E_PU_URLHOST;
		i += 2;
	}
	return 0;
}

static int pusher_s3_url(const char *v, size_t n, const char *archive, const char *exp,
			 const char *sha, struct pusher_s3_url *out)
{
	const char *t, *q;
	size_t al, tl, pl;
	int rc;

	if (n < 8 || memcmp(v, "https://", 8))
		return -EPX_E_PU_URLHOST;
	if (!archive)
		return -EPX_E_PU_NOARCHIVE;
	al = strlen(archive);
	v += 8;
	n -= 8;
	if (al == 0 || al > PUSHER_S3_AUTH_MAX || n <= al || memcmp(v, archive, al) ||
	    v[al] != '/')
		return -EPX_E_PU_URLHOST;
	t = v + al;
	tl = n - al;
	if (tl > PUSHER_S3_TARGET_MAX)
		return -EPX_E_PU_ANSWER;
	q = memchr(t, '?', tl);
	if (!q)
		return -EPX_E_PU_URLHOST;
	pl = (size_t)(q - t);
	rc = pusher_s3_path(t, pl);
	if (rc == 0)
		rc = pusher_s3_object(t, pl, exp, sha);
	if (rc == 0)
		rc = pusher_s3_query(q + 1, tl - pl - 1);
	if (rc < 0)
		return rc;
	memcpy(out->target, t, tl);
	out->target[tl] = '\0';
	out->path_len = pl;
	return 0;
}

static int pusher_s3_parse(const char *ans, size_t len, const char *archive, const char *exp,
			   const char *sha, struct pusher_s3_url *out)
{
	const char *v;
	size_t pos = 0;
	long n;
	int rc;

	if (len > PUSHER_S3_ANSWER_MAX)
		return -EPX_E_PU_ANSWER;
	n = line_take(ans, len, &pos, "put ", &v);
	if (n >= 0)
		return pos == len ? pusher_s3_put(v, (size_t)n, exp, sha, out) : -EPX_E_PU_ANSWER;
	n = line_take(ans, len, &pos, "url ", &v);
	if (n < 0)
		return -EPX_E_PU_ANSWER;
	rc = pusher_s3_url(v, (size_t)n, archive, exp, sha, out);
	if (rc < 0)
		return rc;
	n = line_take(ans, len, &pos, "expires ", &v);
	if (n <= 0 || num_parse_i64(v, (size_t)n, 1, PUSHER_S3_EXPIRES_MAX, &out->expires) < 0)
		return -EPX_E_PU_ANSWER;
	n = line_take(ans, len, &pos, "ttl ", &v);
	if (n <= 0 || num_parse_u64(v, (size_t)n, PUSHER_S3_TTL_MAX, &out->ttl) < 0 ||
	    out->ttl == 0 || pos != len)
		return -EPX_E_PU_ANSWER;
	return 0;
}

int pusher_s3_answer(const char *ans, size_t len, const char *archive, const char *exp,
		     const char *sha, struct pusher_s3_url *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!exp || !sha || hex_check_str(sha, 64) < 0)
		return -EPX_E_PU_ANSWER;
	rc = pusher_s3_parse(ans, len, archive, exp, sha, out);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
