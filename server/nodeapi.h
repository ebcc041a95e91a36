/* nodeapi: the node-identity endpoints of epoxyd (docs/protocol.md, "Node
 * identity"; lib/nodeproto.h names them).
 *
 * Guarantees:
 *  - /v1/node/csr issues a certificate only for a request that passes
 *    nodeid_csr_check() for the named host AND a join credential of that
 *    host that is unused and unexpired; the request is checked and the
 *    certificate made before the credential is spent, so a refused request
 *    changes nothing but the audit log; a spent credential never works
 *    twice;
 *  - /v1/node/heartbeat and /v1/node/renew answer only a request whose TLS
 *    client certificate passes nodeid_peer() and whose serial the store
 *    still vouches for (store_nodecert_check, on every request): deleting
 *    or revoking the host ends it at once;
 *  - the host turns "joined" at its first authenticated heartbeat only;
 *  - nothing secret is logged: no credential, no key (the server never
 *    sees the node's private key at all). */
#ifndef EPOXY_NODEAPI_H
#define EPOXY_NODEAPI_H

#include "lib/label.h"
#include "server/http.h"
#include "server/nodeid.h"

int nodeapi_csr(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int nodeapi_heartbeat(struct srv *srv, const struct http_req *req, struct http_resp *resp);
/* The node endpoints before their body is read (http_preauth): heartbeat
 * and renew need the client certificate of a live host, csr a bearer
 * credential in its one form (spent only by nodeapi_csr). */
#define NODEAPI_SEEN 16384     /* certificates remembered as checked */
#define NODEAPI_SEEN_WAYS 4    /* ... in sets of 4 (a direct-mapped table
				* of 8192 lost half of 5,000 nodes to
				* collisions) */

/* Who the TLS client is: its node certificate's host and serial, vouched
 * for by the store now (a revoked or deleted host, or a certificate of an
 * old credential, is refused).  The one check for every node-certificate
 * endpoint (node API, sliver set, archive).  A certificate whose exact
 * bytes (SHA-256) nodeid_peer() accepted is remembered (NODEAPI_SEEN
 * entries, 4-way set-associative, about 2.6 MB): its signature is
 * not checked again, but its validity window, the node CA in use (a
 * reload makes another: nodeid_gen) and the store's word on its serial
 * (revocation, deletion) are, on every call.  A held poll is dispatched
 * every HOLD_CHECK_MS and each request identified twice (preauth,
 * handler): at 5,000 nodes, verifications serialised under the node CA's
 * lock were epoxyd's limit (bench/slivers/README.md).  An archive-only
 * certificate (nodeid.h, NODEID_ARCHIVE) is refused here,
 * -EPX_E_NID_ARCHONLY (403, as every refusal of a certificate). */
int nodeapi_identify(struct srv *srv, const struct http_req *req,
		     char host[LABEL_HOST_MAX + 1], char serial[NODEID_SERIAL_HEX + 1]);
/* The same, for the archive's upload endpoints only (server/archive.c,
 * archive_s3.c): a node's certificate or its archive-only one. */
int nodeapi_identify_archive(struct srv *srv, const struct http_req *req,
			     char host[LABEL_HOST_MAX + 1], char serial[NODEID_SERIAL_HEX + 1]);
int nodeapi_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int nodeapi_renew(struct srv *srv, const struct http_req *req, struct http_resp *resp);
/* POST NODEPROTO_NODE_ARCHIVE_CERT_PATH (csr), with the node's own
 * certificate (never an archive-only one): an archive-only certificate of
 * the same host on the request's key, node_cert_ttl long, recorded in the
 * store like the node's (so the host's revocation ends it). */
int nodeapi_archive_cert(struct srv *srv, const struct http_req *req, struct http_resp *resp);

#endif
