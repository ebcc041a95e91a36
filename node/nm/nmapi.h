/* nmapi: the node manager's local API (issue 14 point 2) on a Unix
 * socket: list the slivers of the plan, redeem a ticket, the sensors'
 * snapshot as JSON (usage) or Prometheus text (metrics; nmsense.h)
 * (docs/man/epoxy-nm.8 "LOCAL API", docs/protocol.md).
 *
 * Request (the client writes it whole, then shuts its side down):
 *   epoxy-nm-api 1\n
 *   list\n | usage\n | metrics\n  | redeem N\n<N bytes: the ticket>
 * Answer (then the server closes):
 *   ok\n<body>                    | refused EPOXY-ENNNN <text>\n
 *
 * Guarantees:
 *  - nmapi_parse reads exactly buf[0..len) and accepts exactly the
 *    forms above, one spelling each: the magic line, the verb line, for
 *    redeem N in 1..NMTICKET_BYTES_MAX (lib/num.h, no sign, no leading
 *    zero) and exactly N bytes after it, nothing else; codes, in this
 *    order: -EPX_E_NM_API_TOOBIG (len over NMAPI_REQ_MAX),
 *    -EPX_E_NM_API_REQ.  Lines go through line_take (lib/line.h);
 *  - the socket is made in a directory owned by root and writable by
 *    nobody else (made 0700 when missing), bound under umask 0177 and
 *    chmod 0600: only root can connect; a caller whose SO_PEERCRED uid is
 *    not 0 is refused as well (-EPX_E_NM_API_PEER);
 *  - one client at a time, each with a deadline of NMAPI_TIMEOUT_MS for
 *    its whole request (SO_RCVTIMEO / SO_SNDTIMEO): a client that stalls
 *    costs at most that; a request past its cap is refused, and the rest
 *    of it (up to NMAPI_DRAIN_MAX) read and dropped after the answer so
 *    the client gets the answer, not a reset;
 *  - a client (nmapi_call) waits up to NMAPI_ANSWER_MS for the answer:
 *    the node manager answers a redeem once its apply (crun) is done,
 *    which took over 5 s on a loaded QEMU node (tests/qemu/run-slivers);
 *  - the handler runs with the caller's lock (nm.c holds its one mutex),
 *    and its answer body is capped at NMAPI_ANS_MAX.
 *
 * The same API over HTTPS (--api-listen ADDR:PORT; nmapi_tls_*), through
 * net/tls's server side (one TLS code path with the node's client):
 *   GET /list | GET /usage | GET /metrics | POST /redeem (the ticket as
 *   the body, Content-Length 1..NMTICKET_BYTES_MAX)
 * answered 200 with the same body as "ok", or 4xx with the Unix answer's
 * "refused EPOXY-ENNNN text" line.
 *  - the server's certificate is the node's current one (from the node
 *    CA), handed over in memory by the caller's ident function before
 *    each connection and switched when it was renewed; its key is wiped
 *    from every buffer here after use;
 *  - a client must present a certificate issued directly by the pinned
 *    fleet CA (net/tls.h: tls_ctx_init_server), valid by the node's
 *    clock: no certificate, another CA (or a node certificate, through
 *    the node CA) and an expired one are refused in the handshake with
 *    -EPX_E_TLS_PEER_NOCERT, _CA, _EXPIRED, passed to the log function;
 *  - one connection at a time, at most NMAPI_TLS_BACKLOG more waiting in
 *    the kernel; each has NMAPI_TIMEOUT_MS for its handshake and request,
 *    and NMAPI_TIMEOUT_MS more to take its answer once it is ready; a request head over NMAPI_HTTP_HEAD_MAX or a body
 *    over NMTICKET_BYTES_MAX is refused (413, -EPX_E_NM_API_HTTPBIG);
 *  - nmapi_http_parse reads exactly buf[0..len): 0 for one whole
 *    request and nothing after it, NMAPI_MORE for a proper prefix of one
 *    within the caps, else -EPX_E_NM_API_HTTPBIG or -EPX_E_NM_API_HTTP
 *    (a request line other than the four above with HTTP/1.1 or 1.0,
 *    a header line that is not "Name: value", more than
 *    NMAPI_HTTP_HEADERS_MAX headers, Transfer-Encoding, a Content-Length
 *    twice, not in lib/num.h's one spelling, or on a GET). */
#ifndef EPOXY_NMAPI_H
#define EPOXY_NMAPI_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "net/tls.h"
#include "node/nm/nmticket.h"

#define NMAPI_MAGIC "epoxy-nm-api 1"
#define NMAPI_SOCKET_DEFAULT "/run/epoxy/nm/api.sock"
#define NMAPI_PATH_MAX 107                      /* sun_path less its NUL */
#define NMAPI_REQ_MAX (NMTICKET_BYTES_MAX + 64)
#define NMAPI_ANS_MAX (256 * 1024)
#define NMAPI_TIMEOUT_MS 5000
#define NMAPI_ANSWER_MS 120000
#define NMAPI_DRAIN_MAX (64 * 1024)             /* of a refused request, dropped */

#define NMAPI_HTTP_HEAD_MAX 8192
#define NMAPI_HTTP_HEADERS_MAX 32
#define NMAPI_HTTP_REQ_MAX (NMAPI_HTTP_HEAD_MAX + NMTICKET_BYTES_MAX)
#define NMAPI_TLS_BACKLOG 8
#define NMAPI_MORE 1

enum nmapi_op { NMAPI_LIST = 1, NMAPI_REDEEM, NMAPI_USAGE, NMAPI_METRICS };

struct nmapi_req {
	enum nmapi_op op;
	const char *body;               /* the ticket, inside the request */
	size_t body_len;
};

/* Answers one request into f (the body of "ok"); 0 or a code. */
typedef int (*nmapi_fn)(void *ctx, const struct nmapi_req *r, FILE *f);

struct nmapi {
	int fd;
	char path[NMAPI_PATH_MAX + 1];
	nmapi_fn fn;
	void *ctx;
	pthread_t th;
};

/* The HTTPS side's identity: when the node's certificate is no longer
 * generation *gen, writes it (PEM) and its key (PEM) into cert and key,
 * sets *gen and returns 1; 0 when unchanged, or a code (no certificate
 * yet).  Called in the API's thread. */
typedef int (*nmapi_ident_fn)(void *ctx, unsigned *gen, char *cert, size_t ccap, size_t *clen,
			      char *key, size_t kcap, size_t *klen);
/* A refused connection: its code and the peer ("ADDR:PORT"). */
typedef void (*nmapi_log_fn)(void *ctx, int rc, const char *peer);

struct nmapi_tls {
	int fd;
	const char *ca;                 /* the pinned fleet CA's file */
	nmapi_fn fn;
	nmapi_ident_fn ident;
	nmapi_log_fn log;
	void *ctx;
	unsigned gen;                   /* of the identity in tls[cur] */
	struct tls_ctx tls[2];          /* built in place, never copied */
	int live[2], cur;
	pthread_t th;
};

int nmapi_parse(struct nmapi_req *r, const char *buf, size_t len);
int nmapi_http_parse(struct nmapi_req *r, const char *buf, size_t len);
/* Listens on addr ("A.B.C.D:PORT", PORT 1..65535) for TLS clients of ca.
 * 0, -EPX_E_NM_USAGE (the form) or -EPX_E_NM_API_LISTEN. */
int nmapi_tls_listen(struct nmapi_tls *a, const char *addr, const char *ca);
/* Serves one connection; 0 or the code it was refused with (logged). */
int nmapi_tls_serve_one(struct nmapi_tls *a);
/* Serves forever in a thread of its own. */
int nmapi_tls_start(struct nmapi_tls *a, nmapi_fn fn, nmapi_ident_fn ident, nmapi_log_fn log,
		    void *ctx);
/* Makes the socket (see above).  0 or -EPX_E_NM_API_SOCKET. */
int nmapi_listen(struct nmapi *a, const char *path);
/* Serves one connection: read, parse, fn, answer.  0, or the code that
 * was answered (also logged by the caller's fn, not here). */
int nmapi_serve_one(struct nmapi *a);
/* Serves forever in a thread of its own. */
int nmapi_start(struct nmapi *a, nmapi_fn fn, void *ctx);
/* The client: sends req[0..len) to path, the answer's body (NUL-ended,
 * heap) into *body.  0, -EPX_E_NM_API_CONNECT, -EPX_E_NM_API_ANSWER, or
 * -EPX_E_NM_API_REFUSED with the server's code in *code (its number). */
int nmapi_call(const char *path, const char *req, size_t len, char **body, int *code);

#endif
