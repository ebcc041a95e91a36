/* admin: the authenticated admin API that epoxyctl talks to.
 *
 * The router (server/http.c) includes this header and routes to
 * admin_handle() directly: http_dispatch() calls it for every request
 * whose path starts with "/admin/" that arrived on the HTTPS listener
 * (plain-HTTP admin requests are refused by the router before this).  admin_handle() must
 * authenticate the request itself (Authorization header: never log it),
 * fill resp (http_resp_error() for refusals, status 4xx with a stable
 * EPOXY-Exxxx code) and return 0; a negative return makes the router answer
 * 500 with that code.  Store writes must go through srv->store; the
 * server's clock is http_now(srv). */
#ifndef EPOXY_ADMIN_H
#define EPOXY_ADMIN_H

#include "server/http.h"

int admin_handle(struct srv *srv, const struct http_req *req,
		 struct http_resp *resp);
/* Authenticates req from its headers alone (epoxyd calls it before reading
 * any body): 0 and req->admin_authed set, -EPX_E_ADM_AUTH refused,
 * -EAGAIN the peer is locked out (429), another code the store failed. */
int admin_preauth(struct srv *srv, struct http_req *req);

/* The status page's login (server/page.c): checks cred (64 lowercase hex)
 * exactly as an admin request's credential is checked, with the same
 * refused-credential throttle and audit.  0 and actor "admin:<name>",
 * -EPX_E_ADM_AUTH refused, -EAGAIN the peer is locked out. */
int admin_check_cred(struct srv *srv, const struct http_req *req,
		     const char *cred, char actor[HTTP_ACTOR_MAX + 1]);

#endif
