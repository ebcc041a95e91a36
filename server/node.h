/* node: the node-facing endpoints of epoxyd (docs/protocol.md).
 *
 * Each handler is called by http_dispatch() after the method, listener and
 * rate checks; it fills resp and returns 0.  Every refusal is a 4xx answer
 * "EPOXY-Exxxx reason" that leaves the store unchanged apart from the audit
 * log entry the store itself appends for a refused token or credential;
 * every refusal is logged (never with the token).  Token endpoints redeem
 * the bearer token as the first store write, so a refused request changes
 * nothing else. */
#ifndef EPOXY_NODE_H
#define EPOXY_NODE_H

#include "server/http.h"

/* firmware leg (both listeners) */
int node_stage0(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int node_stage1_ipxe(struct srv *srv, const struct http_req *req, struct http_resp *resp);
/* /boot/stage1.efi, /boot/stage1/{vmlinuz,initramfs,cmdline} */
int node_bootfile(struct srv *srv, const struct http_req *req, struct http_resp *resp);
/* agent (HTTPS only) */
int node_session(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int node_manifest(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int node_dbx(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int node_artifact(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int node_joincred(struct srv *srv, const struct http_req *req, struct http_resp *resp);
/* /v1/joincred and /v1/report before their body is read (http_preauth):
 * the bearer token is looked up for the path's purpose, never spent, with
 * the host's address binding; refusals are answered in resp as the
 * handler would answer them. */
int node_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int node_report(struct srv *srv, const struct http_req *req, struct http_resp *resp);

/* Parses "bytes=N-" or "bytes=N-M" against size: off and len of the part.
 * Returns 0, 1 when hdr is empty (whole file), or -EPX_E_SRV_RANGE. */
int node_range(const char *hdr, uint64_t size, uint64_t *off, uint64_t *len);
/* 1 if the textual address peer lies in one of the host's registered
 * addresses (exact or CIDR "a.b.c.d/n", "x::/n"). */
int node_addr_match(const char *peer, const char *reg);

#endif
