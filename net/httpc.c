/* httpc: strict response-head parser of the HTTPS client (net/https).
 *
 * Pure function over a bounded buffer: no allocation, no I/O, so it is
 * fuzzed directly (tests/fuzz/fuzz_httpc.c). */
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/num.h"
#include "net/httpc.h"

long httpc_head_end(const uint8_t *buf, size_t len)
{
	size_t i, lim = len < HTTPC_HEAD_MAX ? len : HTTPC_HEAD_MAX;

	for (i = 3; i < lim; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' &&
		    buf[i - 3] == '\r')
			return (long)(i + 1);
	return len >= HTTPC_HEAD_MAX ? -EPX_E_HTTP_HDRBIG : 0;
}

static int httpc_ieq(const char *a, size_t an, const char *b)
{
	size_t i;

	if (an != strlen(b))
		return 0;
	for (i = 0; i < an; i++) {
		char x = a[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (x != b[i])
			return 0;
	}
	return 1;
}

/* A decimal header value (lib/num.h's one spelling), at most INT64_MAX. */
static int httpc_dec(const char *s, size_t n, int64_t *out)
{
	uint64_t v;
	int rc = num_parse_u64(s, n, INT64_MAX, &v);

	if (rc == 0)
		*out = (int64_t)v;
	return rc;
}

static int httpc_status_line(struct httpc_head *h, const char *s, size_t n)
{
	int64_t code = 0;

	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 ||
	    (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
	    (n > 12 && s[12] != ' '))
		return -EPX_E_HTTP_STATUS;
	if (httpc_dec(s + 9, 3, &code) < 0 || code < 100 || code > 599)
		return -EPX_E_HTTP_STATUS;
	h->status = (int)code;
	h->close = s[7] == '0';
	return 0;
}

/* Content-Range: bytes FIRST-LAST/TOTAL */
static int httpc_content_range(struct httpc_head *h, const char *v, size_t n)
{
	const char *dash, *slash;
	int64_t first = 0, last = 0, total = 0;

	if (n < 6 || memcmp(v, "bytes ", 6) != 0)
		return -EPX_E_HTTP_HEADER;
	v += 6;
	n -= 6;
	dash = memchr(v, '-', n);
	slash = memchr(v, '/', n);
	if (!dash || !slash || slash < dash ||
	    httpc_dec(v, (size_t)(dash - v), &first) < 0 ||
	    httpc_dec(dash + 1, (size_t)(slash - dash - 1), &last) < 0 ||
	    httpc_dec(slash + 1, n - (size_t)(slash - v) - 1, &total) < 0 ||
	    last < first || last >= total)
		return -EPX_E_HTTP_HEADER;
	h->range_first = first;
	h->range_total = total;
	return 0;
}

static int httpc_field(struct httpc_head *h, const char *k, size_t kn,
		      const char *v, size_t vn)
{
	int64_t num = 0;

	if (httpc_ieq(k, kn, "content-length")) {
		if (httpc_dec(v, vn, &num) < 0 ||
		    (h->content_length >= 0 && h->content_length != num))
			return -EPX_E_HTTP_HEADER;
		h->content_length = num;
	} else if (httpc_ieq(k, kn, "transfer-encoding")) {
		if (!httpc_ieq(v, vn, "chunked") || h->chunked)
			return -EPX_E_HTTP_HEADER;
		h->chunked = 1;
	} else if (httpc_ieq(k, kn, "connection")) {
		if (httpc_ieq(v, vn, "close"))
			h->close = 1;
	} else if (httpc_ieq(k, kn, "retry-after")) {
		if (httpc_dec(v, vn, &num) < 0)
			return -EPX_E_HTTP_HEADER;
		h->retry_after = num > HTTPC_RETRY_AFTER_MAX ?
			HTTPC_RETRY_AFTER_MAX : (int)num;
	} else if (httpc_ieq(k, kn, "epoxy-next-token")) {
		if (h->next_token[0] || hex_check(v, vn, HTTPC_TOKEN_HEX) < 0)
			return -EPX_E_HTTP_HEADER;
		memcpy(h->next_token, v, vn);
		h->next_token[vn] = '\0';
	} else if (httpc_ieq(k, kn, "epoxy-node-credential")) {
		if (h->node_cred[0] || hex_check(v, vn, HTTPC_TOKEN_HEX) < 0)
			return -EPX_E_HTTP_HEADER;
		memcpy(h->node_cred, v, vn);
		h->node_cred[vn] = '\0';
	} else if (httpc_ieq(k, kn, "content-range")) {
		return httpc_content_range(h, v, vn);
	}
	return 0;
}

/* Checks one "Name: value" line and hands it to httpc_field(). */
static int httpc_header_line(struct httpc_head *h, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t kn, i, vs, ve;

	if (!colon || colon == s)
		return -EPX_E_HTTP_HEADER;
	kn = (size_t)(colon - s);
	for (i = 0; i < kn; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= ' ' || ch >= 127 || strchr("\"(),/:;<=>?@[\\]{}", ch))
			return -EPX_E_HTTP_HEADER;
	}
	for (i = kn + 1; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < ' ' && ch != '\t') || ch == 127)
			return -EPX_E_HTTP_HEADER;
	}
	vs = kn + 1;
	while (vs < n && (s[vs] == ' ' || s[vs] == '\t'))
		vs++;
	ve = n;
	while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
		ve--;
	return httpc_field(h, s, kn, s + vs, ve - vs);
}

int httpc_parse_head(struct httpc_head *h, const uint8_t *buf, size_t len)
{
	const char *s = (const char *)buf;
	size_t pos = 0, nlines = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	h->retry_after = -1;
	h->range_first = h->range_total = -1;
	if (len > HTTPC_HEAD_MAX)
		return -EPX_E_HTTP_HDRBIG;
	for (;;) {
		const char *lf = memchr(s + pos, '\n', len - pos);
		size_t n;

		if (!lf || lf == s + pos || lf[-1] != '\r')
			return nlines ? -EPX_E_HTTP_HEADER : -EPX_E_HTTP_STATUS;
		n = (size_t)(lf - (s + pos)) - 1;
		if (memchr(s + pos, '\0', n))
			return -EPX_E_HTTP_HEADER;
		if (nlines == 0)
			rc = httpc_status_line(h, s + pos, n);
		else if (n == 0)
			break;
		else if (s[pos] == ' ' || s[pos] == '\t')
			rc = -EPX_E_HTTP_HEADER;        /* obs-fold */
		else if (nlines > HTTPC_HEADERS_MAX)
			rc = -EPX_E_HTTP_HDRBIG;
		else
			rc = httpc_header_line(h, s + pos, n);
		if (rc < 0)
			goto fail;
		pos = (size_t)(lf - s) + 1;
		nlines++;
	}
	rc = -EPX_E_HTTP_HEADER;
	if (pos + 2 != len || (h->chunked && h->content_length >= 0))
		goto fail;
	return 0;
fail:
	httpc_head_wipe(h);
	return rc;
}

void httpc_head_wipe(struct httpc_head *h)
{
	explicit_bzero(h->next_token, sizeof(h->next_token));
	explicit_bzero(h->node_cred, sizeof(h->node_cred));
}
