/* page_html: the status page's views, drawn as HTML into a struct
 * record_buf (html_buf_init(), server/html.h) from the store (see page.h
 * for who may see them).
 *
 * Guarantees:
 *  - every value from the store, a node or a request goes through
 *    html_text()/html_textz(); markup comes only from this file;
 *  - no inline script, no inline style (the page's CSP forbids both; the
 *    one script is page_html_js, served as /ui/refresh.js): widths of the
 *    boot timeline are attributes of an inline SVG, colours come from
 *    page_html_css;
 *  - lists are capped (PAGE_HTML_SESSIONS, PAGE_HTML_REPORTS,
 *    FLEET_AUDIT_MAX, PAGE_HTML_RO_HOSTS, PAGE_HTML_FAILS); the whole page
 *    by the buffer's max;
 *  - an admin's page has a part with id "live" that page_html_js swaps
 *    for the same part of a fresh copy of the page every
 *    PAGE_HTML_REFRESH seconds, and a plain "refresh" link that reloads it. */
#ifndef EPOXY_PAGE_HTML_H
#define EPOXY_PAGE_HTML_H

#include "server/fleet.h"
#include "server/html.h"
#include "server/http.h"

#define PAGE_HTML_SESSIONS 10        /* newest boot sessions on a host page */
#define PAGE_HTML_REPORTS 64         /* newest reports read for their timelines */
#define PAGE_HTML_RO_HOSTS 5000      /* hosts of a rollout page (the rest: epoxyctl) */
#define PAGE_HTML_FAILS 32           /* failed hosts listed with their console tail */
#define PAGE_HTML_TAIL_END 512       /* bytes of a failed host's tail on a rollout page */
#define PAGE_HTML_REFRESH 5          /* seconds between refresh.js's updates */

extern const char page_html_css[];
/* refresh.js: same-origin fetch of the page itself, no eval, no inline code */
extern const char page_html_js[];

/* The login form; code (a refusal's, 0 for none) shown as "EPOXY-Exxxx". */
void page_html_login(struct record_buf *b, const char *msg, int code);
/* Fleet at a glance under filter f.  0 or a store code. */
int page_html_fleet(struct srv *srv, const struct fleet_filter *f, const char *actor,
		    struct record_buf *b);
/* One host: -EPX_E_PAGE_NOTFOUND when there is no such host. */
int page_html_host(struct srv *srv, const char *name, const char *actor,
		   struct record_buf *b);
int page_html_releases(struct srv *srv, const char *actor, struct record_buf *b);
/* A channel's rollout (store_rollout_get and store_rollout_hosts, the
 * queries of GET /admin/v1/rollouts/<channel>?hosts=1): its state, its
 * failures with their codes and console tails, its waves with each host's
 * state.  -EPX_E_PAGE_NOTFOUND for a malformed channel, -EPX_E_RO_NONE
 * when the channel never had a rollout. */
int page_html_rollout(struct srv *srv, const char *channel, const char *actor,
		      struct record_buf *b);

#endif
