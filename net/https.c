/* https: request writer and response reader of the client.
 *
 * Verification never happens here: this module only frames bytes and
 * enforces caps, deadlines and rates; its callers (for the agent, its
 * fetch and verify modules) decide what the bytes are worth. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "net/chunked.h"
#include "net/https.h"

struct https_rx {
	struct tls_conn *c;
	const struct https_req *r;
	struct https_resp *resp;
	int64_t win_start, last_progress, t0;
	uint64_t win_bytes;
	int ka;                         /* the request asked to keep the connection */
	int keep;                       /* ... and the answer allows it */
	size_t got;                     /* bytes of the answer received */
	uint8_t buf[HTTPS_BUF];
};

int https_buf_data(void *ctx, const uint8_t *p, size_t n)
{
	struct https_buf *b = ctx;

	if (n > b->cap - b->len)
		return -EPX_E_HTTP_BODYBIG;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

static int https_send(struct tls_conn *c, struct https *h,
		      const struct https_req *r, int ka)
{
	char req[2048], tok[65];
	int n, rc;

	if (r->bearer)
		hex_encode(r->bearer, 32, tok);
	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s/%s\r\n"
		     "Connection: %s\r\nAccept-Encoding: identity\r\n",
		     r->method, r->path, h->host_header ? h->host_header : h->name,
		     h->user_agent ? h->user_agent : "epoxy", EPOXY_VERSION,
		     ka ? "keep-alive" : "close");
	if (n > 0 && r->bearer)
		n += snprintf(req + n, sizeof(req) - (size_t)n,
			      "Authorization: Bearer %s\r\n", tok);
	if (n > 0 && (size_t)n < sizeof(req) && r->range_from)
		n += snprintf(req + n, sizeof(req) - (size_t)n,
			      "Range: bytes=%llu-\r\n",
			      (unsigned long long)r->range_from);
	if (n > 0 && (size_t)n < sizeof(req) && r->if_none_match)
		n += snprintf(req + n, sizeof(req) - (size_t)n,
			      "If-None-Match: %s\r\n", r->if_none_match);
	if (n > 0 && (size_t)n < sizeof(req) && r->body)
		n += snprintf(req + n, sizeof(req) - (size_t)n,
			      "Content-Type: %s\r\nContent-Length: %zu\r\n",
			      r->ctype, r->body_len);
	if (n > 0 && (size_t)n < sizeof(req) && !r->xhdr_name)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
	rc = -ENOSPC;
	if (n > 0 && (size_t)n < sizeof(req))
		rc = tls_write(c, req, (size_t)n);
	/* the extra header, then the head's end */
	if (rc == 0 && r->xhdr_name && r->xhdr_val) {
		rc = tls_write(c, r->xhdr_name, strlen(r->xhdr_name));
		if (rc == 0)
			rc = tls_write(c, ": ", 2);
		if (rc == 0)
			rc = tls_write(c, r->xhdr_val, strlen(r->xhdr_val));
	}
	if (rc == 0 && r->xhdr_name)
		rc = tls_write(c, "\r\n\r\n", r->xhdr_val ? 4 : 2);
	if (rc == 0 && r->body)
		rc = tls_write(c, r->body, r->body_len);
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(req, sizeof(req));
	return rc;
}

/* Reads more bytes, enforcing the rate window when a body is flowing. */
static long https_more(struct https_rx *x, uint8_t *p, size_t cap, int body)
{
	int64_t now, wake;
	long n;

	for (;;) {
		wake = body && x->r->min_rate ? x->win_start + HTTPS_RATE_WINDOW_MS
					      : x->c->deadline;
		n = tls_read(x->c, p, cap, wake);
		now = tls_now_ms();
		if (n > 0)
			x->win_bytes += (uint64_t)n;
		if (body && x->r->min_rate && now - x->win_start >= HTTPS_RATE_WINDOW_MS) {
			if (x->win_bytes * 1000 <
			    x->r->min_rate * (uint64_t)(now - x->win_start))
				return -EPX_E_HTTP_SLOW;
			x->win_start = now;
			x->win_bytes = 0;
		}
		if (n != -EAGAIN)
			return n;
	}
}

static void https_progress(struct https_rx *x, int last)
{
	const struct https_req *r = x->r;
	int64_t now = tls_now_ms(), ms;
	uint64_t done = r->progress_base + x->resp->body_len;

	if (!r->progress || !r->on_progress || (!last && now - x->last_progress < 1000))
		return;
	x->last_progress = now;
	ms = now - x->t0 > 0 ? now - x->t0 : 1;
	r->on_progress(r->progress, done, r->progress_total,
		       x->resp->body_len * 1000 / (uint64_t)ms);
}

static int https_deliver(struct https_rx *x, const uint8_t *p, size_t n)
{
	int rc;

	if (n > x->r->body_max - x->resp->body_len)
		return -EPX_E_HTTP_BODYBIG;
	rc = x->r->on_data ? x->r->on_data(x->r->ctx, p, n) : 0;
	x->resp->body_len += n;
	https_progress(x, 0);
	return rc;
}

/* Body framed by Content-Length; then insists the stream ends. */
static int https_body_length(struct https_rx *x, size_t have)
{
	uint64_t want = (uint64_t)x->resp->head.content_length;
	uint8_t extra[64];
	long n;
	int rc;

	if (want > x->r->body_max)
		return -EPX_E_HTTP_LENGTH;
	if (have > want)
		return -EPX_E_HTTP_LENGTH;
	rc = https_deliver(x, x->buf, have);
	while (rc == 0 && x->resp->body_len < want) {
		uint64_t left = want - x->resp->body_len;

		n = https_more(x, x->buf, left < sizeof(x->buf) ? left : sizeof(x->buf), 1);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPX_E_HTTP_TRUNC;
		rc = https_deliver(x, x->buf, (size_t)n);
	}
	if (rc < 0)
		return rc;
	/* A server that sends more than it announced lies about the length.
	 * On a kept connection nothing may follow until the next request:
	 * what has arrived already is checked, without waiting.  Otherwise
	 * the stream must end now; a quiet open connection is accepted
	 * after a short grace period. */
	if (x->ka && !x->resp->head.close) {
		n = tls_read(x->c, extra, sizeof(extra), tls_now_ms());
		if (n > 0)
			return -EPX_E_HTTP_LENGTH;
		x->keep = n == -EAGAIN;
		return 0;
	}
	n = tls_read(x->c, extra, sizeof(extra), tls_now_ms() + 1000);
	if (n > 0)
		return -EPX_E_HTTP_LENGTH;
	return 0;
}

static int https_body_chunked(struct https_rx *x, size_t have)
{
	struct chunked ch;
	size_t used, out;
	long n = (long)have;
	int rc;

	chunked_init(&ch);
	for (;;) {
		uint8_t *p = x->buf;
		size_t len = (size_t)n;

		while (len > 0) {
			int done = chunked_feed(&ch, p, len, &used, &out);

			if (done < 0)
				return done;
			if (out && (rc = https_deliver(x, p, out)) < 0)
				return rc;
			if (done == 1)
				return 0;
			p += used;
			len -= used;
		}
		n = https_more(x, x->buf, sizeof(x->buf), 1);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPX_E_HTTP_TRUNC;
	}
}

static int https_body_eof(struct https_rx *x, size_t have)
{
	long n;
	int rc = https_deliver(x, x->buf, have);

	while (rc == 0) {
		n = https_more(x, x->buf, sizeof(x->buf), 1);
		if (n <= 0)
			return (int)n;
		rc = https_deliver(x, x->buf, (size_t)n);
	}
	return rc;
}

/* Reads the head into x->buf; moves leftover body bytes to the front. */
static int https_head(struct https_rx *x, size_t *have)
{
	size_t len = 0;
	long n, end = 0;
	int rc;

	while (end == 0) {
		if (len == HTTPC_HEAD_MAX)
			return -EPX_E_HTTP_HDRBIG;
		n = https_more(x, x->buf + len, HTTPC_HEAD_MAX - len, 0);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return len ? -EPX_E_HTTP_TRUNC : -EPX_E_TLS_IO;
		len += (size_t)n;
		x->got = len;
		end = httpc_head_end(x->buf, len);
		if (end < 0)
			return (int)end;
	}
	rc = httpc_parse_head(&x->resp->head, x->buf, (size_t)end);
	if (rc < 0)
		return rc;
	memmove(x->buf, x->buf + end, len - (size_t)end);
	*have = len - (size_t)end;
	return 0;
}

static int https_error_answer(struct https_rx *x, size_t have)
{
	struct https_resp *resp = x->resp;
	int status = resp->head.status;
	int64_t clen = resp->head.content_length;
	long got;
	size_t n, i;

	/* the first line of the body may come after the head (epoxyd's
	 * "EPOXY-Exxxx reason"): read up to it, within the reason's cap and
	 * the answer's Content-Length */
	while (have < sizeof(resp->reason) - 1 && !memchr(x->buf, '\n', have) &&
	       (clen < 0 || (int64_t)have < clen) &&
	       (got = https_more(x, x->buf + have, sizeof(resp->reason) - 1 - have, 0)) > 0)
		have += (size_t)got;
	n = have < sizeof(resp->reason) - 1 ? have : sizeof(resp->reason) - 1;
	memcpy(resp->reason, x->buf, n);
	for (i = 0; i < n; i++)
		if (resp->reason[i] == '\n' || resp->reason[i] == '\r' ||
		    (unsigned char)resp->reason[i] < ' ')
			break;
	resp->reason[i] = '\0';
	if (status == 401 || status == 403)
		return -EPX_E_HTTP_AUTH;
	if (status == 503)
		return -EPX_E_HTTP_BUSY;
	return -EPX_E_HTTP_CODE;
}

static int https_response(struct https_rx *x)
{
	struct httpc_head *hd = &x->resp->head;
	size_t have = 0;
	int rc;

	rc = https_head(x, &have);
	if (rc < 0)
		return rc;
	if (hd->status < 200 || hd->status > 299)
		return https_error_answer(x, have);
	if (x->r->on_head && (rc = x->r->on_head(x->r->ctx, hd)) < 0)
		return rc;
	x->win_start = x->t0 = tls_now_ms();
	x->win_bytes = have;
	if (hd->status == 204 || hd->status == 205)
		x->keep = x->ka && !hd->close && have == 0;
	else if (hd->chunked)
		rc = https_body_chunked(x, have);
	else if (hd->content_length >= 0)
		rc = https_body_length(x, have);
	else
		rc = https_body_eof(x, have);
	if (rc == 0)
		https_progress(x, 1);
	return rc;
}

void https_close(struct https *h)
{
	if (h->open)
		tls_close(&h->conn);
	h->open = 0;
}

/* The kept connection may carry one more request: within its caps, and
 * nothing unread waiting on it (the server closed it, or sent bytes
 * nobody asked for). */
static int https_reusable(struct https *h)
{
	struct pollfd p;

	if (!h->open || h->conn_reqs >= HTTPS_KEEP_MAX ||
	    tls_now_ms() - h->idle_since > HTTPS_KEEP_IDLE_MS)
		return 0;
	if (h->conn.roff < h->conn.rlen || mbedtls_ssl_get_bytes_avail(&h->conn.ssl))
		return 0;
	p.fd = h->conn.fd;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) == 0;
}

/* One request and its answer on c.  The receive state (an HTTPS_BUF
 * buffer) is the call's own, on the heap: off the stack, and never shared
 * by two threads (the node manager's image fetcher downloads an image
 * while its main thread holds a long poll). */
static int https_exchange(struct tls_conn *c, struct https *h,
			  const struct https_req *r, struct https_resp *resp,
			  int ka, int *keep, size_t *got)
{
	struct https_rx *x = calloc(1, sizeof(*x));
	int rc;

	*keep = 0;
	*got = 0;
	if (!x)
		return -ENOMEM;
	resp->sent = 1;         /* from the first byte on, assume the token spent */
	h->requests++;
	rc = https_send(c, h, r, ka);
	if (rc == 0) {
		x->c = c;
		x->r = r;
		x->resp = resp;
		x->ka = ka;
		rc = https_response(x);
	}
	*keep = rc == 0 && x->keep;
	*got = x->got;
	explicit_bzero(x->buf, sizeof(x->buf));
	free(x);
	return rc;
}

int https_do(struct https *h, const struct https_req *r, struct https_resp *resp)
{
	struct tls_conn c;
	size_t got;
	int rc, keep, reused, tries;

	memset(resp, 0, sizeof(*resp));
	if (!h->keepalive) {
		rc = tls_connect(&c, &h->tls, h->addr, h->port, h->name, r->deadline);
		if (rc < 0)
			return rc;
		h->handshakes++;
		h->suite = tls_suite(&c);
		rc = https_exchange(&c, h, r, resp, 0, &keep, &got);
		tls_close(&c);
		return rc;
	}
	for (tries = 0;; tries++) {
		reused = https_reusable(h);
		if (!reused) {
			https_close(h);
			rc = tls_connect(&h->conn, &h->tls, h->addr, h->port, h->name,
					 r->deadline);
			if (rc < 0)
				return rc;
			h->open = 1;
			h->conn_reqs = 0;
			h->handshakes++;
			h->suite = tls_suite(&h->conn);
		}
		h->conn.deadline = r->deadline;
		h->conn_reqs++;
		rc = https_exchange(&h->conn, h, r, resp, 1, &keep, &got);
		if (keep) {
			h->idle_since = tls_now_ms();
			return 0;
		}
		https_close(h);
		/* the server closed the kept connection as the request went
		 * out (its idle timeout): no byte of an answer came back, so
		 * nothing was answered; once more on a new connection */
		if (!reused || tries > 0 || got > 0 || rc != -EPX_E_TLS_IO)
			return rc;
		h->stale++;
		memset(resp, 0, sizeof(*resp));
	}
}
