/* Table test of the status page's pure parts: the one HTML escaper
 * (server/html.c: every dangerous byte, control bytes, caps, the growing
 * buffer's cap), the session cookie's parser (server/page.c) and the fleet
 * filter's parser (server/fleet.c: the page's and GET /admin/v1/fleet's);
 * then the pages through the real router and a real SQLite store, under
 * ASan: who gets what, the login/logout cycle, hostile store values never
 * reaching a page unescaped, the security headers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "server/config.h"
#include "store/store.h"
#include "server/fleet.h"
#include "server/html.h"
#include "server/page.h"
#include "tests/test.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *in;
	size_t n;             /* 0: strlen(in) */
	int flags;
	const char *out;      /* NULL: -ENOSPC with cap */
	size_t cap;           /* 0: 256 */
} escs[] = {
	{ "", 0, 0, "", 0 },
	{ "plain text 123", 0, 0, "plain text 123", 0 },
	{ "<", 0, 0, "&lt;", 0 },
	{ ">", 0, 0, "&gt;", 0 },
	{ "&", 0, 0, "&amp;", 0 },
	{ "\"", 0, 0, "&quot;", 0 },
	{ "'", 0, 0, "&#39;", 0 },
	{ "<script>alert(1)</script>", 0, 0,
	  "&lt;script&gt;alert(1)&lt;/script&gt;", 0 },
	{ "&amp;", 0, 0, "&amp;amp;", 0 },
	{ "&lt;b&gt;", 0, 0, "&amp;lt;b&amp;gt;", 0 },
	{ "a\"onmouseover=\"x", 0, 0, "a&quot;onmouseover=&quot;x", 0 },
	{ "' onload='x", 0, 0, "&#39; onload=&#39;x", 0 },
	{ "\x1b[31mred", 0, 0, "\\x1b[31mred", 0 },
	{ "a\nb", 0, 0, "a\\x0ab", 0 },
	{ "a\nb", 0, HTML_NL, "a\nb", 0 },
	{ "a\rb", 0, HTML_NL, "a\\x0db", 0 },
	{ "t\tb", 0, HTML_NL, "t\\x09b", 0 },
	{ "\x7f", 0, 0, "\\x7f", 0 },
	{ "\xc3\xa9", 0, 0, "\\xc3\\xa9", 0 },
	{ "\xff<", 0, 0, "\\xff&lt;", 0 },
	{ "a\0b", 3, 0, "a\\x00b", 0 },
	{ "\\", 0, 0, "\\", 0 },
	{ "`=/", 0, 0, "`=/", 0 },
	/* caps: the NUL needs its byte; a replacement is never cut */
	{ "abc", 0, 0, "abc", 4 },
	{ "abc", 0, 0, NULL, 3 },
	{ "<", 0, 0, "&lt;", 5 },
	{ "<", 0, 0, NULL, 4 },
	{ "a<", 0, 0, NULL, 5 },
	{ "", 0, 0, "", 1 },
};

static void test_escape(void)
{
	char out[256];
	size_t i;

	for (i = 0; i < N(escs); i++) {
		size_t n = escs[i].n ? escs[i].n : strlen(escs[i].in);
		size_t cap = escs[i].cap ? escs[i].cap : sizeof(out);
		long rc = html_escape(escs[i].in, n, out, cap, escs[i].flags);

		if (!escs[i].out)
			ok(rc == -ENOSPC && out[0] == '\0', "escape #%zu: -ENOSPC at cap %zu", i, cap);
		else
			ok(rc == (long)strlen(escs[i].out) && !strcmp(out, escs[i].out),
			   "escape #%zu", i);
	}
	ok(html_escape("a", 1, out, 0, 0) == -ENOSPC, "escape: cap 0 refused");
}

static void test_buf(void)
{
	struct record_buf b;
	size_t i;

	html_buf_init(&b, 16);
	html_raw(&b, "<p>");
	html_textz(&b, "<&>");
	ok(!b.err && !strcmp(b.buf, "<p>&lt;&amp;&gt;"), "buf: raw markup and escaped text");
	html_textz(&b, "x");
	ok(b.err == -EPX_E_PAGE_TOOBIG, "buf: past its max the page is refused");
	html_raw(&b, "y");
	ok(b.err == -EPX_E_PAGE_TOOBIG && b.len <= 16, "buf: nothing added after the cap");
	html_buf_free(&b);
	html_buf_init(&b, 1u << 20);
	for (i = 0; i < 10000; i++)
		html_textz(&b, "\"");
	ok(!b.err && b.len == 60000 && !strchr(b.buf, '"'), "buf: grows, 10000 quotes escaped");
	html_buf_free(&b);
	html_buf_init(&b, 64);
	html_rawf(&b, "<td>%d</td>", 42);
	ok(!b.err && !strcmp(b.buf, "<td>42</td>"), "buf: rawf of a number");
	html_buf_free(&b);
}

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
static const struct {
	const char *hdr;
	int rc;
} cookies[] = {
	{ PAGE_COOKIE "=" H64, 0 },
	{ "a=b; " PAGE_COOKIE "=" H64, 0 },
	{ PAGE_COOKIE "=" H64 "; theme=dark", 0 },
	{ "x=1;" PAGE_COOKIE "=" H64, 0 },
	{ "", -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=", -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=" H64 "0", -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	  -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	  -EPX_E_PAGE_AUTH },
	{ "x" PAGE_COOKIE "=" H64, -EPX_E_PAGE_AUTH },
	{ "epoxy-ui=" H64, -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE " =" H64, -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=\"" H64 "\"", -EPX_E_PAGE_AUTH },
	{ ";;;;", -EPX_E_PAGE_AUTH },
	{ "   ", -EPX_E_PAGE_AUTH },
};

static void test_cookie(void)
{
	char out[65];
	size_t i;

	for (i = 0; i < N(cookies); i++) {
		int rc = page_cookie(cookies[i].hdr, out);

		ok(rc == cookies[i].rc && (rc || !strcmp(out, H64)),
		   "cookie #%zu: %d", i, cookies[i].rc);
	}
}

static const struct {
	const char *k[3], *v[3];
	int admin, rc;
	const char *site, *state, *group;
	uint32_t release;
	size_t limit;
} filters[] = {
	{ { NULL }, { NULL }, 0, 0, "", "", "", 0, FLEET_HOSTS_MAX },
	{ { "site", "state" }, { "ber01", "failed" }, 0, 0, "ber01", "failed", "", 0, FLEET_HOSTS_MAX },
	{ { "group", "release" }, { "canary", "7" }, 0, 0, "", "", "canary", 7, FLEET_HOSTS_MAX },
	{ { "site", "release" }, { "", "" }, 0, 0, "", "", "", 0, FLEET_HOSTS_MAX },
	{ { "limit" }, { "10" }, 1, 0, "", "", "", 0, 10 },
	{ { "limit" }, { "10" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "limit" }, { "0" }, 1, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "limit" }, { "4097" }, 1, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "site" }, { "<script>" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "site" }, { "Ber01" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "state" }, { "a\"b" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "state" }, { "a.b" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "group" }, { "x y" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release" }, { "0" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release" }, { "07" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release" }, { "-1" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release" }, { "4294967296" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release", "release" }, { "1", "2" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "site", "site" }, { "a", "b" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "colour" }, { "red" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "site" }, { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, 0,
	  -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "state" }, { "aaaaaaaaaaaaaaaa" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
};

static void test_filter(void)
{
	static struct http_arg args[3];
	struct fleet_filter f;
	size_t i, n;

	for (i = 0; i < N(filters); i++) {
		int rc;

		for (n = 0; n < 3 && filters[i].k[n]; n++) {
			snprintf(args[n].key, sizeof(args[n].key), "%s", filters[i].k[n]);
			snprintf(args[n].val, sizeof(args[n].val), "%s", filters[i].v[n]);
			args[n].val_len = strlen(args[n].val);
		}
		rc = fleet_filter_parse(args, n, filters[i].admin, &f);
		ok(rc == filters[i].rc && (rc || (!strcmp(f.site, filters[i].site) &&
		   !strcmp(f.state, filters[i].state) && !strcmp(f.group, filters[i].group) &&
		   f.release == filters[i].release && f.limit == filters[i].limit)),
		   "filter #%zu: %d", i, filters[i].rc);
	}
}

/* ------------------------------------------------ through the router */

static struct srv srv;
static struct config cfg;
static char dir[64], admin_cred[STORE_TOKEN_HEX + 1];
static struct {
	int status;
	char body[1 << 17];
	char cookie[HTTP_RESP_HDR_VAL_MAX + 1];
	char csp[HTTP_RESP_HDR_VAL_MAX + 1];
	char location[HTTP_RESP_HDR_VAL_MAX + 1];
} ans;

static void hdr_copy(const struct http_resp *r, const char *name, char *dst)
{
	size_t i;

	dst[0] = '\0';
	for (i = 0; i < r->nhdrs; i++)
		if (!strcmp(r->hdrs[i].name, name))
			snprintf(dst, HTTP_RESP_HDR_VAL_MAX + 1, "%s", r->hdrs[i].val);
}

/* One request through http_dispatch; auth/cookie/body may be NULL. */
static int ui(enum http_method m, const char *path, const char *auth, const char *cookie,
	      const char *body, int tls, int cert)
{
	static const uint8_t der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct http_req *req = calloc(1, sizeof(*req));
	struct http_resp resp;
	const char *q = strchr(path, '?');

	http_req_init(req);
	req->method = m;
	snprintf(req->path, sizeof(req->path), "%.*s",
		 (int)(q ? (size_t)(q - path) : strlen(path)), path);
	if (q)
		http_req_query(req, q + 1, strlen(q + 1));
	snprintf(req->authorization, sizeof(req->authorization), "%s", auth ? auth : "");
	snprintf(req->cookie, sizeof(req->cookie), "%s", cookie ? cookie : "");
	if (body) {
		snprintf(req->content_type, sizeof(req->content_type),
			 "application/x-www-form-urlencoded");
		req->body = (const uint8_t *)body;
		req->body_len = strlen(body);
	}
	if (cert) {
		req->peer_cert = der;
		req->peer_cert_len = sizeof(der);
	}
	req->tls = tls;
	snprintf(req->peer_str, sizeof(req->peer_str), "127.0.0.1");
	http_resp_init(&resp);
	http_dispatch(&srv, req, &resp);
	ans.status = resp.status;
	ans.body[0] = '\0';
	if (resp.kind == HTTP_BODY_MEM && resp.len < sizeof(ans.body)) {
		memcpy(ans.body, resp.body, resp.len);
		ans.body[resp.len] = '\0';
	}
	hdr_copy(&resp, "Set-Cookie", ans.cookie);
	hdr_copy(&resp, "Content-Security-Policy", ans.csp);
	hdr_copy(&resp, "Location", ans.location);
	http_resp_free(&resp);
	http_req_free(req);
	free(req);
	return ans.status;
}

#define EVIL "<script>alert(1)</script>\"q\" 'a' &amp;"

static void setup_fleet(void)
{
	struct store_host h;
	struct store_report r;
	char uri[128], nonce[65], id[STORE_SESSION_HEX + 1];

	snprintf(dir, sizeof(dir), "/tmp/epoxy-test-page-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	config_defaults(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s/data", dir);
	mkdir(cfg.data_dir, 0700);
	snprintf(uri, sizeof(uri), "sqlite:%s/epoxy.db", dir);
	ok(store_open(&srv.store, uri) == 0, "setup: store opens");
	if (!srv.store)
		exit(test_done());
	srv.cfg = &cfg;
	ok(store_admin_issue(srv.store, "alice", admin_cred) == 0, "setup: admin credential");
	ok(store_site_add(srv.store, "lab1", EVIL) == 0, "setup: a site with a hostile description");
	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "n1");
	snprintf(h.site, sizeof(h.site), "lab1");
	snprintf(h.hwclass, sizeof(h.hwclass), "qemu-x86_64");
	snprintf(h.channel, sizeof(h.channel), "stable");
	snprintf(h.macs[0], sizeof(h.macs[0]), "52-54-00-00-00-01");
	h.n_macs = 1;
	ok(store_host_add(srv.store, &h) == 0, "setup: host n1");
	memset(nonce, 'a', 64);
	nonce[64] = '\0';
	ok(store_session_open(srv.store, "n1", nonce, 3, "qemu-x86_64", id) == 0, "setup: a session");
	memset(&r, 0, sizeof(r));
	snprintf(r.host, sizeof(r.host), "n1");
	snprintf(r.session, sizeof(r.session), "%s", id);
	snprintf(r.stage, sizeof(r.stage), "verify");
	snprintf(r.status, sizeof(r.status), "fail");
	snprintf(r.code, sizeof(r.code), "EPOXY-E1001");
	r.tail_len = (size_t)snprintf(r.tail, sizeof(r.tail), "%s\x1b[0m\n", EVIL);
	ok(store_report_add(srv.store, &r) == 0, "setup: a failed report with a hostile tail");
	ok(store_host_set_state(srv.store, "n1", "failed") == 0, "setup: n1 failed");
}

/* The page holds no markup of the hostile values: no script tag but our
 * own external /ui/refresh.js, once. */
static int clean(void)
{
	static const char own[] = "<script src=\"/ui/refresh.js\" defer></script>";
	const char *p = strstr(ans.body, "<script");

	if (p && (strncmp(p, own, sizeof(own) - 1) || strstr(p + 1, "<script")))
		return 0;
	return !strstr(ans.body, "\"q\"") && !strstr(ans.body, "'a'") &&
	       !strchr(ans.body, 0x1b);
}

static void test_router(void)
{
	char auth[100], cookie[HTTP_RESP_HDR_VAL_MAX + 1], form[100], *semi;

	snprintf(auth, sizeof(auth), "Epoxy-Admin %s", admin_cred);
	ok(ui(HTTP_GET, "/ui/", NULL, NULL, NULL, 1, 0) == 401 && strstr(ans.body, "id=\"login\"") &&
	   !strstr(ans.body, "n1"), "no credential: 401, the login form, no host");
	ok(strstr(ans.body, "EPOXY-E2360") != NULL, "no credential: the form names EPOXY-E2360");
	ok(ui(HTTP_GET, "/ui/", NULL, NULL, NULL, 0, 0) == 403 && !strstr(ans.body, "n1"),
	   "plain HTTP: 403 by the router");
	ok(ui(HTTP_GET, "/ui/", auth, NULL, NULL, 0, 0) == 403, "plain HTTP with the credential: 403");
	ok(ui(HTTP_GET, "/ui/", NULL, NULL, NULL, 1, 1) == 403 &&
	   strstr(ans.body, "EPOXY-E2361"), "a client certificate: 403 E2361");
	ok(ui(HTTP_GET, "/ui/", "Bearer 0000", NULL, NULL, 1, 0) == 403, "a node token: 403");
	ok(ui(HTTP_GET, "/ui/", "Epoxy-Admin 00", NULL, NULL, 1, 0) == 401, "a malformed credential: 401");
	ok(ui(HTTP_GET, "/ui/", auth, NULL, NULL, 1, 0) == 200 && strstr(ans.body, "id=\"host-n1\"") &&
	   strstr(ans.body, "manifest line malformed") && clean(),
	   "the fleet: n1 with its code's meaning, hostile description escaped");
	ok(!strcmp(ans.csp, PAGE_CSP), "the fleet: its CSP header");
	ok(strstr(ans.body, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;q&quot; &#39;a&#39; &amp;amp;") != NULL,
	   "the fleet: the description's escaped text");
	ok(ui(HTTP_GET, "/ui/host/n1", auth, NULL, NULL, 1, 0) == 200 && clean() &&
	   strstr(ans.body, "\\x1b[0m") && strstr(ans.body, "<rect class=\"fail\""),
	   "host page: hostile tail escaped, control byte visible, a failed bar");
	ok(ui(HTTP_GET, "/ui/host/n2", auth, NULL, NULL, 1, 0) == 404, "unknown host: 404");
	ok(ui(HTTP_GET, "/ui/host/N%3C", auth, NULL, NULL, 1, 0) == 404, "bad host name: 404");
	ok(ui(HTTP_GET, "/ui/host/n1?x=1", auth, NULL, NULL, 1, 0) == 404, "host page with a query: 404");
	ok(ui(HTTP_GET, "/ui/releases", auth, NULL, NULL, 1, 0) == 200 &&
	   strstr(ans.body, "<tr class=\"channel\"><td>stable"), "releases page");
	ok(ui(HTTP_GET, "/ui/nosuch", auth, NULL, NULL, 1, 0) == 404, "unknown page: 404");
	ok(ui(HTTP_GET, "/ui/rollout/stable", NULL, NULL, NULL, 1, 0) == 401 &&
	   strstr(ans.body, "id=\"login\""), "rollout page without login: 401, the login form");
	ok(ui(HTTP_GET, "/ui/rollout/stable", NULL, NULL, NULL, 1, 1) == 403,
	   "rollout page with a client certificate: 403");
	ok(ui(HTTP_GET, "/ui/rollout/stable", auth, NULL, NULL, 0, 0) == 403,
	   "rollout page over plain HTTP: 403");
	ok(ui(HTTP_GET, "/ui/rollout/stable", auth, NULL, NULL, 1, 0) == 404 &&
	   strstr(ans.body, "EPOXY-E2382"), "rollout page of a channel without rollout: 404 E2382");
	ok(ui(HTTP_GET, "/ui/rollout/St%3Cb", auth, NULL, NULL, 1, 0) == 404 &&
	   strstr(ans.body, "EPOXY-E2362"), "rollout page of a malformed channel: 404 E2362");
	ok(ui(HTTP_GET, "/ui/rollout/", auth, NULL, NULL, 1, 0) == 404, "rollout page, no channel: 404");
	ok(ui(HTTP_GET, "/ui/rollout/stable?x=1", auth, NULL, NULL, 1, 0) == 404,
	   "rollout page with a query: 404");
	ok(ui(HTTP_GET, "/ui/refresh.js", NULL, NULL, NULL, 1, 0) == 200 &&
	   strstr(ans.body, "fetch(window.location.href") && !strstr(ans.body, "eval") &&
	   !strstr(ans.body, "innerHTML") && !strcmp(ans.csp, PAGE_CSP),
	   "refresh.js without login: a same-page fetch, no eval, no innerHTML");
	ok(ui(HTTP_POST, "/ui/refresh.js", NULL, NULL, "", 1, 0) == 405, "POST refresh.js: 405");
	ok(ui(HTTP_GET, "/ui/refresh.js", NULL, NULL, NULL, 0, 0) == 403, "refresh.js over plain HTTP: 403");
	ok(ui(HTTP_GET, "/ui/releases", auth, NULL, NULL, 1, 0) == 200 && clean() &&
	   strstr(ans.body, "<div id=\"live\">") && strstr(ans.body, "<a id=\"refresh\" href=\"\">"),
	   "an admin's page: a live part and a plain refresh link");
	ok(ui(HTTP_POST, "/ui/", auth, NULL, "", 1, 0) == 405, "POST on a page: 405");
	ok(ui(HTTP_GET, "/ui/?state=failed&site=lab1", auth, NULL, NULL, 1, 0) == 200 &&
	   strstr(ans.body, "host-n1"), "filter: state and site");
	ok(ui(HTTP_GET, "/ui/?state=joined", auth, NULL, NULL, 1, 0) == 200 &&
	   !strstr(ans.body, "host-n1") && strstr(ans.body, "nohosts"), "filter: nothing matches");
	ok(ui(HTTP_GET, "/ui/?release=3", auth, NULL, NULL, 1, 0) == 200 &&
	   strstr(ans.body, "host-n1"), "filter: the release of the newest session");
	ok(ui(HTTP_GET, "/ui/?sort=name", auth, NULL, NULL, 1, 0) == 400, "filter: unknown key: 400");
	ok(ui(HTTP_GET, "/ui/style.css", NULL, NULL, NULL, 1, 0) == 200, "stylesheet without login");
	ok(ui(HTTP_GET, "/ui", NULL, NULL, NULL, 1, 0) == 303 && !strcmp(ans.location, "/ui/"),
	   "/ui: 303 to /ui/");

	/* the login cycle */
	ok(ui(HTTP_POST, "/ui/login", NULL, NULL, "credential=00", 1, 0) == 401 && !ans.cookie[0],
	   "login: a malformed credential, no cookie");
	snprintf(form, sizeof(form), "credential=%s&x=1", admin_cred);
	ok(ui(HTTP_POST, "/ui/login", NULL, NULL, form, 1, 0) == 401 && !ans.cookie[0],
	   "login: an extra field, no cookie");
	snprintf(form, sizeof(form), "credential=%s", admin_cred);
	ok(ui(HTTP_POST, "/ui/login", NULL, NULL, form, 1, 0) == 303 && ans.cookie[0] &&
	   strstr(ans.cookie, "; HttpOnly") && strstr(ans.cookie, "; Secure") &&
	   strstr(ans.cookie, "; SameSite=Strict") && strstr(ans.cookie, "; Path=/ui;"),
	   "login: 303 with a cookie: %s", ans.cookie);
	snprintf(cookie, sizeof(cookie), "%s", ans.cookie);
	semi = strchr(cookie, ';');
	if (semi)
		*semi = '\0';
	ok(ui(HTTP_GET, "/ui/", NULL, cookie, NULL, 1, 0) == 200, "the cookie opens the fleet");
	ok(ui(HTTP_GET, "/ui/", NULL, cookie, NULL, 0, 0) == 403, "the cookie over plain HTTP: 403");
	ok(ui(HTTP_GET, "/ui/", NULL, cookie, NULL, 1, 1) == 403,
	   "the cookie with a node certificate: 403");
	cookie[strlen(cookie) - 1] ^= 1;
	ok(ui(HTTP_GET, "/ui/", NULL, cookie, NULL, 1, 0) == 401, "a changed cookie: 401");
	cookie[strlen(cookie) - 1] ^= 1;
	ok(ui(HTTP_POST, "/ui/logout", NULL, cookie, "", 1, 0) == 303 &&
	   strstr(ans.cookie, "Max-Age=0"), "logout: 303, the cookie expired");
	ok(ui(HTTP_GET, "/ui/", NULL, cookie, NULL, 1, 0) == 401, "after logout: 401");
	ok(ui(HTTP_GET, "/ui/logout", NULL, cookie, NULL, 1, 0) == 405, "GET logout: 405");
}

int main(void)
{
	char cmd[128];

	test_escape();
	test_buf();
	test_cookie();
	test_filter();
	setup_fleet();
	test_router();
	store_close(srv.store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return test_done();
}
