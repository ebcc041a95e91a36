/* https: one HTTP/1.1 request over TLS (net/tls), with the response body streamed to
 * a callback.
 *
 * Guarantees: one connection per request ("Connection: close") unless the
 * caller sets keepalive: then one TLS connection carries the requests in
 * turn (HTTP/1.1 persistent connections, docs/protocol.md) while every
 * answer is a complete 2xx framed by Content-Length (or without a body)
 * whose server did not say "Connection: close", at most HTTPS_KEEP_MAX
 * requests and HTTPS_KEEP_IDLE_MS idle; a kept connection with unread
 * bytes waiting is never reused, and one the server closed before any
 * byte of the answer came back is replaced once by a new one.  The head is
 * capped (net/httpc.h); the body is capped by the request's body_max and
 * decoded from Content-Length, chunked or end-of-stream framing; a body
 * that ends early is -EPX_E_HTTP_TRUNC, one longer than its Content-Length
 * or a Content-Length above body_max is -EPX_E_HTTP_LENGTH, a chunked or
 * unframed body above body_max is -EPX_E_HTTP_BODYBIG; a body slower than
 * min_rate bytes/s over any HTTPS_RATE_WINDOW_MS is -EPX_E_HTTP_SLOW; the
 * whole exchange ends by the request's deadline (-EPX_E_HTTP_DEADLINE).
 * The bearer token is sent only in the Authorization header and wiped from
 * the request buffer after sending.  Nothing is printed here: progress goes
 * to the request's on_progress, if set. */
#ifndef EPOXY_NET_HTTPS_H
#define EPOXY_NET_HTTPS_H

#include <stddef.h>
#include <stdint.h>

#include "net/httpc.h"
#include "net/tls.h"

#define HTTPS_RATE_WINDOW_MS 2000
#define HTTPS_ERRBODY_MAX 256
#define HTTPS_BUF 262144           /* body bytes per on_data, at most */
#define HTTPS_KEEP_MAX 100              /* requests per kept connection */
#define HTTPS_KEEP_IDLE_MS 5000         /* epoxyd's header_timeout is 10 s */

struct https {
	struct tls_ctx tls;
	const char *addr;
	uint16_t port;
	const char *name;
	const char *user_agent;         /* "NAME" of "User-Agent: NAME/version" */
	const char *host_header;        /* "Host:" value when not name (a port
					 * an upload URL was signed with), or NULL */
	int keepalive;                  /* 1: keep the connection (zero the struct first) */
	/* the kept connection and what the client did, for its console */
	struct tls_conn conn;
	int open;
	unsigned conn_reqs;             /* requests on conn so far */
	int64_t idle_since;
	unsigned requests, handshakes, stale;
	const char *suite;              /* of the last handshake (tls_suite), or NULL */
};

struct https_req {
	const char *method;
	const char *path;
	const char *ctype;              /* with body */
	const char *body;
	size_t body_len;
	const uint8_t *bearer;          /* 32-byte token or NULL */
	uint64_t range_from;            /* > 0: "Range: bytes=N-" */
	const char *if_none_match;      /* "If-None-Match: <it>" or NULL; a 304
					 * answer is -EPX_E_HTTP_CODE with
					 * head.status 304 */
	/* one more header, "<xhdr_name>: <xhdr_val>", or NULL: written on
	 * its own, so it may be long (a ticket, NODEPROTO_TICKET_HEX_MAX) */
	const char *xhdr_name, *xhdr_val;
	uint64_t body_max;
	int64_t deadline;               /* absolute, tls_now_ms() scale */
	uint64_t min_rate;              /* bytes/s, 0: no check */
	const char *progress;           /* name for progress lines, or NULL */
	uint64_t progress_base, progress_total;
	/* told about once a second and at the end while progress is set:
	 * bytes done of total, rate in bytes/s */
	void (*on_progress)(const char *what, uint64_t done, uint64_t total,
			    uint64_t rate);
	/* called with the head of a 2xx answer before the body; may refuse */
	int (*on_head)(void *ctx, const struct httpc_head *h);
	/* called with each piece of body */
	int (*on_data)(void *ctx, const uint8_t *p, size_t n);
	void *ctx;
};

struct https_resp {
	struct httpc_head head;
	uint64_t body_len;
	int sent;                       /* the request reached the server */
	char reason[HTTPS_ERRBODY_MAX]; /* first line of an error answer */
};

/* Returns 0 for a 2xx answer whose body was delivered completely;
 * -EPX_E_HTTP_AUTH (401/403), -EPX_E_HTTP_BUSY (503, head.retry_after),
 * -EPX_E_HTTP_CODE (other) with resp->reason; or a transport error. */
int https_do(struct https *h, const struct https_req *r, struct https_resp *resp);
/* Closes the kept connection, if any (keepalive). */
void https_close(struct https *h);
/* Collects a body into buf (cap bytes) for small answers. */
struct https_buf {
	char *buf;
	size_t cap, len;
};
int https_buf_data(void *ctx, const uint8_t *p, size_t n);

#endif
