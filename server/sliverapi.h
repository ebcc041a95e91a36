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
 *    cannot probe for images of slices it does not have;
 *  - ... except with its ticket: an image no sliver of the set names is
 *    served when the request carries NODEPROTO_TICKET_HEADER, the hex of
 *    a ticket (lib/ticket.h) that sliverapi_ticket_check accepts for the
 *    client certificate's host, at the server's time, for exactly that
 *    image (a ticket sliver the node redeemed before its set names it,
 *    PlanetLab's delegated creation).  A refused ticket is the same 404
 *    (E2202) as no ticket; its own code (E2281-E2285) goes to the log
 *    only, so nothing is learnt of the image; the header is never
 *    logged.  A header over NODEPROTO_TICKET_HEX_MAX is refused
 *    the same way (E2281 in the log), before it is decoded. */
#ifndef EPOXY_SLIVERAPI_H
#define EPOXY_SLIVERAPI_H

#include <stdint.h>

#include "lib/nodeproto.h"
#include "lib/sig.h"
#include "server/http.h"

#define SLIVERAPI_PATH NODEPROTO_NODE_SLIVERS_PATH
#define SLIVERAPI_WAIT_MAX NODEPROTO_SLIVERS_WAIT_MAX

/* Wakes every held poll to check its serial now (admin.c: every change). */
void sliverapi_kick(void);
/* Waits up to ms for a kick after *gen (then updated); 1 when kicked
 * (server/hold.c's thread). */
int sliverapi_kicked(uint64_t *gen, int ms);
int sliverapi_get(struct srv *srv, const struct http_req *req, struct http_resp *resp);
/* The ticket check of GET /v1/image/HEX: hdr[0..len) the header's value
 * (hex of a ticket document), host the client certificate's, hex the
 * image asked for (64 hex), now the server's clock.  0 when the ticket's
 * signature is by online, its node is host, it has not expired and its
 * sliver names that image; else -EPX_E_SRV_TK_FORM (empty, over
 * NODEPROTO_TICKET_HEX_MAX, odd, not hex), -EPX_E_SRV_TK_SIG, _NODE,
 * _EXPIRED, _IMAGE or -ENOMEM. */
int sliverapi_ticket_check(const struct sig_pub *online, const char *hdr, size_t len,
			   const char *host, const char *hex, int64_t now);
/* Before any body (none is taken): the client certificate, as above. */
/* GET NODEPROTO_IMAGE_PATH<hex>: the image, as above. */
int sliverapi_image(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int sliverapi_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp);

#endif
