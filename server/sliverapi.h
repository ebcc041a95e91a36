/* sliverapi: GET /v1/node/slivers, the node's signed sliver set (issue 14
 * point 2; docs/slivers.md).
 *
 * Guarantees:
 *  - answered only over mutual TLS, to a client certificate that
 *    nodeid_peer() accepts and the store vouches for on this very request
 *    (store_nodecert_check): a revoked or deleted host is refused; the set
 *    is the one of the certificate's host, never of a host the request
 *    names;
 *  - the set is resolved by the store (store_sliver_list: precedence and
 *    expiry there), formatted by lib/sliverset.c and signed with the
 *    online key (the key of session statements) over its exact bytes;
 *  - its serial is the store's per-host serial (store_sliver_serial) of
 *    the set's content: strictly greater after every change that reaches
 *    the host, equal otherwise; ETag is "<serial>";
 *  - If-None-Match "<serial>" with the current serial answers 304 at
 *    once, or with ?wait=N (1..SLIVERAPI_WAIT_MAX s) holds the request,
 *    checking its serial at once after every admin change of this epoxyd
 *    (sliverapi_kick) and every second otherwise (an expiry, another
 *    epoxyd on the same store), and answers 200 with the new set as soon
 *    as the serial moves, else 304 when N is over, or at once when its
 *    client hung up.  A held request keeps its epoxyd worker: at most
 *    SLIVERAPI_WAITERS, and never more than half of epoxyd's threads, are
 *    held at once (the boot chain and the admin API keep the other half),
 *    and a request past that cap answers 304 at once (the node polls again
 *    after its jitter). */
#ifndef EPOXY_SLIVERAPI_H
#define EPOXY_SLIVERAPI_H

#include "lib/nodeproto.h"
#include "server/http.h"

#define SLIVERAPI_PATH NODEPROTO_NODE_SLIVERS_PATH
#define SLIVERAPI_WAIT_MAX NODEPROTO_SLIVERS_WAIT_MAX
#define SLIVERAPI_WAITERS 4

/* Wakes every held poll to check its serial now (admin.c: every change). */
void sliverapi_kick(void);
int sliverapi_get(struct srv *srv, const struct http_req *req, struct http_resp *resp);
/* Before any body (none is taken): the client certificate, as above. */
int sliverapi_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp);

#endif
