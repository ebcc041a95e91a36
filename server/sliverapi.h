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
 *    once, or with ?wait=N (1..SLIVERAPI_WAIT_MAX s), when the server
 *    can hold requests (srv->hold_ok: epoxyd), asks to be held
 *    (resp->hold_until, no answer): epoxyd parks the connection outside
 *    its worker threads (server/hold.h) and dispatches it again when an
 *    admin change of this epoxyd kicks (sliverapi_kick), every few
 *    seconds (an expiry, another epoxyd on the same store) and at
 *    req->held_until; each dispatch checks the node's certificate and
 *    serial again and answers 200 as soon as the serial moved, 304 when
 *    N is over or the client hung up.  Without hold_ok (the in-process
 *    harnesses) it answers 304 at once;
 *  - GET /v1/image/<64 hex> (NODEPROTO_IMAGE_PATH, node/nm/nmimage.h)
 *    serves, to the same authenticated node only, the published image
 *    object that a live sliver of that node's own set names, and only
 *    while it is at most NODEPROTO_IMAGE_MAX bytes and exactly its
 *    recorded length (data_dir/objects/<hex>, no symlink): any other
 *    name is 404 (E2202) whether the image exists or not, so a node
 *    cannot probe for images of slices it does not have. */
#ifndef EPOXY_SLIVERAPI_H
#define EPOXY_SLIVERAPI_H

#include <stdint.h>

#include "lib/nodeproto.h"
#include "server/http.h"

#define SLIVERAPI_PATH NODEPROTO_NODE_SLIVERS_PATH
#define SLIVERAPI_WAIT_MAX NODEPROTO_SLIVERS_WAIT_MAX

/* Wakes every held poll to check its serial now (admin.c: every change). */
void sliverapi_kick(void);
/* Waits up to ms for a kick after *gen (then updated); 1 when kicked
 * (server/hold.c's thread). */
int sliverapi_kicked(uint64_t *gen, int ms);
int sliverapi_get(struct srv *srv, const struct http_req *req, struct http_resp *resp);
/* Before any body (none is taken): the client certificate, as above. */
/* GET NODEPROTO_IMAGE_PATH<hex>: the image, as above. */
int sliverapi_image(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int sliverapi_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp);

#endif
