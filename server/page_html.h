/* page_html: the status page's views, drawn as HTML into a struct
 * record_buf (html_buf_init(), server/html.h) from the store (see page.h
 * for who may see them).
 *
 * Guarantees:
 *  - every value from the store, a node or a request goes through
 *    html_text()/html_textz(); markup comes only from this file;
 *  - no script, no inline style (the page's CSP forbids both): widths of the
 *    boot timeline are attributes of an inline SVG, colours come from
 *    page_html_css;
 *  - lists are capped (PAGE_HTML_SESSIONS, PAGE_HTML_REPORTS,
 *    FLEET_AUDIT_MAX); the whole page by the buffer's max. */
#ifndef EPOXY_PAGE_HTML_H
#define EPOXY_PAGE_HTML_H

#include "server/fleet.h"
#include "server/html.h"
#include "server/http.h"

#define PAGE_HTML_SESSIONS 10        /* newest boot sessions on a host page */
#define PAGE_HTML_REPORTS 64         /* newest reports read for their timelines */

extern const char page_html_css[];

/* The login form; code (a refusal's, 0 for none) shown as "EPOXY-Exxxx". */
void page_html_login(struct record_buf *b, const char *msg, int code);
/* Fleet at a glance under filter f.  0 or a store code. */
int page_html_fleet(struct srv *srv, const struct fleet_filter *f, const char *actor,
		    struct record_buf *b);
/* One host: -EPX_E_PAGE_NOTFOUND when there is no such host. */
int page_html_host(struct srv *srv, const char *name, const char *actor,
		   struct record_buf *b);
int page_html_releases(struct srv *srv, const char *actor, struct record_buf *b);

#endif
