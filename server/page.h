/* page: epoxyd's status page for admins, under /ui/ on the HTTPS listener
 * (the router refuses /ui/ on the plain-HTTP listener, 403 EPOXY-E2206).
 *
 * Guarantees:
 *  - every page but the login form, the stylesheet and /ui/refresh.js (both
 *    constant text of our own) needs an admin: the
 *    admin credential ("Authorization: Epoxy-Admin <hex>", checked by
 *    admin_check_cred exactly as the admin API checks it, with its
 *    throttle) or a session cookie from the login form; a node
 *    certificate or a node token is refused (403 EPOXY-E2361) and an
 *    unauthenticated request gets only the login form (401 EPOXY-E2360);
 *  - a session is 32 random bytes (getrandom) sent once in a cookie
 *    "HttpOnly; Secure; SameSite=Strict; Path=/ui" and kept by epoxyd only
 *    as its SHA-256, with the admin's name and an expiry of PAGE_SESSION_TTL
 *    seconds, in a table of PAGE_SESSIONS_MAX (the oldest goes when full);
 *    logout forgets it; a restart forgets them all;
 *  - every answer carries Content-Security-Policy PAGE_CSP,
 *    X-Content-Type-Options nosniff, Cache-Control no-store and
 *    Referrer-Policy no-referrer; pages hold no inline script and no inline
 *    style, and the policy allows scripts, fetches and stylesheets from
 *    epoxyd itself only (no 'unsafe-inline', no 'unsafe-eval');
 *    every value from the store goes through server/html.c;
 *  - the fleet view is fleet_list() (server/fleet.c), the query behind
 *    GET /admin/v1/fleet; the rollout view /ui/rollout/<channel> reads
 *    store_rollout_get and store_rollout_hosts, the queries behind GET
 *    /admin/v1/rollouts/<channel>?hosts=1; each page is capped at
 *    PAGE_OUT_MAX bytes. */
#ifndef EPOXY_PAGE_H
#define EPOXY_PAGE_H

#include <stddef.h>

#include "server/http.h"

#define PAGE_BODY_MAX 1024          /* the login form */
#define PAGE_OUT_MAX (4u << 20)     /* one page */
#define PAGE_SESSIONS_MAX 64
#define PAGE_SESSION_TTL 3600
#define PAGE_COOKIE "__Secure-epoxy-ui"
#define PAGE_CSP "default-src 'none'; script-src 'self'; connect-src 'self'; " \
	"style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; " \
	"base-uri 'none'"

int page_handle(struct srv *srv, const struct http_req *req,
		struct http_resp *resp);

/* The value of cookie PAGE_COOKIE in a Cookie header, when it is 64
 * lowercase hex digits: 0 and out set; else -EPX_E_PAGE_AUTH.  The header
 * is "name=value" pairs separated by "; ", as browsers send it. */
int page_cookie(const char *hdr, char out[65]);

#endif
