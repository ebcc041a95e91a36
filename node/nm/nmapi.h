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
 *    and its answer body is capped at NMAPI_ANS_MAX. */
#ifndef EPOXY_NMAPI_H
#define EPOXY_NMAPI_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include "node/nm/nmticket.h"

#define NMAPI_MAGIC "epoxy-nm-api 1"
#define NMAPI_SOCKET_DEFAULT "/run/epoxy/nm/api.sock"
#define NMAPI_PATH_MAX 107                      /* sun_path less its NUL */
#define NMAPI_REQ_MAX (NMTICKET_BYTES_MAX + 64)
#define NMAPI_ANS_MAX (256 * 1024)
#define NMAPI_TIMEOUT_MS 5000
#define NMAPI_ANSWER_MS 120000
#define NMAPI_DRAIN_MAX (64 * 1024)             /* of a refused request, dropped */

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

int nmapi_parse(struct nmapi_req *r, const char *buf, size_t len);
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
