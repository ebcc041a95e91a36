/* page: the status page's router, login and sessions (see page.h); the
 * pages themselves are drawn by server/page_html.c. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/rand.h"
#include "lib/sha256.h"
#include "server/admin.h"
#include "server/fleet.h"
#include "server/html.h"
#include "server/page.h"
#include "server/page_html.h"

#define PAGE_TOKEN_BYTES 32

struct page_sess {
	uint8_t hash[SHA256_LEN];
	char actor[HTTP_ACTOR_MAX + 1];
	int64_t expires;                 /* 0: free */
	int64_t created;
};

static struct page_sess page_sess[PAGE_SESSIONS_MAX];
static pthread_mutex_t page_lock = PTHREAD_MUTEX_INITIALIZER;

int page_cookie(const char *hdr, char out[65])
{
	static const char name[] = PAGE_COOKIE "=";
	const char *p = hdr;
	size_t n;

	out[0] = '\0';
	while (*p) {
		n = strcspn(p, ";");
		if (n == sizeof(name) - 1 + 64 && !strncmp(p, name, sizeof(name) - 1) &&
		    hex_check(p + sizeof(name) - 1, 64, 64) == 0) {
			memcpy(out, p + sizeof(name) - 1, 64);
			out[64] = '\0';
			return 0;
		}
		p += n;
		while (*p == ';' || *p == ' ')
			p++;
	}
	return -EPX_E_PAGE_AUTH;
}

/* ------------------------------------------------------------ sessions */

static void page_hash(const char *tok_hex, uint8_t h[SHA256_LEN])
{
	sha256_buf(tok_hex, 64, h);
}

/* A new session for actor: its token (hex) in tok. */
static int page_sess_new(const char *actor, int64_t now, char tok[65])
{
	uint8_t raw[PAGE_TOKEN_BYTES];
	size_t i, slot = 0;

	if (rand_bytes(raw, sizeof(raw)) < 0)
		return -EIO;
	hex_encode(raw, sizeof(raw), tok);
	explicit_bzero(raw, sizeof(raw));
	pthread_mutex_lock(&page_lock);
	for (i = 0; i < PAGE_SESSIONS_MAX; i++) {
		if (page_sess[i].expires <= now) {
			slot = i;
			break;
		}
		if (page_sess[i].created < page_sess[slot].created)
			slot = i;
	}
	page_hash(tok, page_sess[slot].hash);
	snprintf(page_sess[slot].actor, sizeof(page_sess[slot].actor), "%s", actor);
	page_sess[slot].created = now;
	page_sess[slot].expires = now + PAGE_SESSION_TTL;
	pthread_mutex_unlock(&page_lock);
	return 0;
}

/* Looks the token up (drop: forget it): 0 and actor, or -EPX_E_PAGE_AUTH. */
static int page_sess_find(const char *tok, int64_t now, int drop,
			  char actor[HTTP_ACTOR_MAX + 1])
{
	uint8_t h[SHA256_LEN];
	unsigned diff;
	size_t i, k;
	int rc = -EPX_E_PAGE_AUTH;

	page_hash(tok, h);
	pthread_mutex_lock(&page_lock);
	for (i = 0; i < PAGE_SESSIONS_MAX; i++) {
		if (page_sess[i].expires <= now)
			continue;
		for (diff = 0, k = 0; k < SHA256_LEN; k++)
			diff |= (unsigned)(page_sess[i].hash[k] ^ h[k]);
		if (diff)
			continue;
		if (actor)
			snprintf(actor, HTTP_ACTOR_MAX + 1, "%s", page_sess[i].actor);
		if (drop)
			memset(&page_sess[i], 0, sizeof(page_sess[i]));
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&page_lock);
	return rc;
}

/* --------------------------------------------------------------- answers */

static void page_secure_headers(struct http_resp *resp)
{
	http_resp_header(resp, "Content-Security-Policy", PAGE_CSP);
	http_resp_header(resp, "X-Content-Type-Options", "nosniff");
	http_resp_header(resp, "Cache-Control", "no-store");
	http_resp_header(resp, "Referrer-Policy", "no-referrer");
}

/* Sends the page in b (taken) with status; code: the refusal's, or 0. */
static int page_send(struct http_resp *resp, struct record_buf *b, int status, int code)
{
	int rc;

	if (b->err) {
		rc = b->err;
		html_buf_free(b);
		return rc;
	}
	rc = http_resp_take(resp, status, "text/html; charset=utf-8", b->buf, b->len);
	if (rc) {
		html_buf_free(b);
		return rc;
	}
	b->buf = NULL;
	resp->code = code;
	page_secure_headers(resp);
	return 0;
}

static int page_fail(struct http_resp *resp, int rc)
{
	http_resp_fail(resp, rc, NULL);
	page_secure_headers(resp);
	return 0;
}

static int page_login_form(struct http_resp *resp, int status, const char *msg)
{
	struct record_buf b;

	html_buf_init(&b, PAGE_OUT_MAX);
	page_html_login(&b, msg, status == 200 ? 0 : EPX_E_PAGE_AUTH);
	return page_send(resp, &b, status, status == 200 ? 0 : EPX_E_PAGE_AUTH);
}

static int page_redirect(struct http_resp *resp, const char *to)
{
	int rc = http_resp_copy(resp, 303, "text/plain", "see other\n", 10);

	if (rc)
		return rc;
	http_resp_header(resp, "Location", to);
	page_secure_headers(resp);
	return 0;
}

/* ------------------------------------------------------------ login/out */

/* The credential of the login form into cred; -EPX_E_PAGE_FORM if none. */
static int page_form_cred(const struct http_req *req, char cred[65])
{
	struct http_arg *args = calloc(2, sizeof(*args));
	int n, rc = -EPX_E_PAGE_FORM;

	if (!args)
		return -ENOMEM;
	cred[0] = '\0';
	if (strncmp(req->content_type, "application/x-www-form-urlencoded", 33) ||
	    !req->body || req->body_fd >= 0)
		goto out;
	n = http_form_parse((const char *)req->body, req->body_len, args, 2);
	if (n == 1 && !strcmp(args[0].key, "credential") && args[0].val_len == 64) {
		memcpy(cred, args[0].val, 65);
		rc = 0;
	}
out:
	explicit_bzero(args, 2 * sizeof(*args));
	free(args);
	return rc;
}

static int page_login(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char cred[65], actor[HTTP_ACTOR_MAX + 1], tok[65], cookie[HTTP_RESP_HDR_VAL_MAX + 1];
	int rc;

	if (req->method != HTTP_POST)
		return page_login_form(resp, 200, NULL);
	rc = page_form_cred(req, cred);
	if (rc == 0)
		rc = admin_check_cred(srv, req, cred, actor);
	explicit_bzero(cred, sizeof(cred));
	if (rc == -EAGAIN)
		return page_login_form(resp, 429, "Too many refused credentials from this "
				       "address; wait a minute.");
	if (rc < 0) {
		http_log(req, "page: login refused (%s)", epx_code_str(EPX_E_PAGE_AUTH));
		return page_login_form(resp, 401, "That is not a valid admin credential.");
	}
	rc = page_sess_new(actor, http_now(srv), tok);
	if (rc)
		return rc;
	snprintf(cookie, sizeof(cookie), PAGE_COOKIE "=%s; Path=/ui; Max-Age=%d; Secure; "
		 "HttpOnly; SameSite=Strict", tok, PAGE_SESSION_TTL);
	explicit_bzero(tok, sizeof(tok));
	rc = page_redirect(resp, "/ui/");
	if (rc == 0)
		rc = http_resp_header(resp, "Set-Cookie", cookie);
	resp->secret = 1;
	explicit_bzero(cookie, sizeof(cookie));
	if (store_audit_append(srv->store, actor, "page.login", "ui", "") < 0)
		http_log(req, "page: audit of a login failed");
	return rc;
}

static int page_logout(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char tok[65], actor[HTTP_ACTOR_MAX + 1];
	int rc;

	if (req->method != HTTP_POST)
		return page_fail(resp, -EPX_E_PAGE_METHOD);
	if (page_cookie(req->cookie, tok) == 0 &&
	    page_sess_find(tok, http_now(srv), 1, actor) == 0 &&
	    store_audit_append(srv->store, actor, "page.logout", "ui", "") < 0)
		http_log(req, "page: audit of a logout failed");
	explicit_bzero(tok, sizeof(tok));
	rc = page_redirect(resp, "/ui/login");
	if (rc == 0)
		rc = http_resp_header(resp, "Set-Cookie", PAGE_COOKIE "=; Path=/ui; Max-Age=0; "
				      "Secure; HttpOnly; SameSite=Strict");
	return rc;
}

/* ----------------------------------------------------------------- auth */

/* 0: an admin (actor set); else the refusal's code. */
static int page_auth(struct srv *srv, const struct http_req *req,
		     char actor[HTTP_ACTOR_MAX + 1])
{
	static const char scheme[] = "Epoxy-Admin ";
	char tok[65];
	int rc = -EPX_E_PAGE_AUTH;

	if (!strncmp(req->authorization, scheme, sizeof(scheme) - 1)) {
		rc = admin_check_cred(srv, req, req->authorization + sizeof(scheme) - 1, actor);
		return rc == -EAGAIN ? rc : rc < 0 ? -EPX_E_PAGE_AUTH : 0;
	}
	if (req->authorization[0] || req->peer_cert_len)
		return -EPX_E_PAGE_NODE;   /* a node token or certificate */
	if (page_cookie(req->cookie, tok) == 0)
		rc = page_sess_find(tok, http_now(srv), 0, actor);
	explicit_bzero(tok, sizeof(tok));
	return rc;
}

/* --------------------------------------------------------------- router */

static int page_view(struct srv *srv, const struct http_req *req, struct http_resp *resp,
		     const char *actor)
{
	const char *p = req->path + 4;    /* after "/ui/" */
	struct fleet_filter f;
	struct record_buf b;
	int rc;

	html_buf_init(&b, PAGE_OUT_MAX);
	if (!*p) {
		rc = fleet_filter_parse(req->args, req->nargs, 0, &f);
		if (rc)
			return page_fail(resp, rc);
		rc = page_html_fleet(srv, &f, actor, &b);
	} else if (!strcmp(p, "releases")) {
		rc = req->nargs ? -EPX_E_PAGE_FILTER : page_html_releases(srv, actor, &b);
	} else if (!strncmp(p, "host/", 5) && !req->nargs) {
		rc = page_html_host(srv, p + 5, actor, &b);
	} else if (!strncmp(p, "rollout/", 8) && !req->nargs) {
		rc = page_html_rollout(srv, p + 8, actor, &b);
	} else {
		rc = -EPX_E_PAGE_NOTFOUND;
	}
	if (rc == 0)
		return page_send(resp, &b, 200, 0);
	html_buf_free(&b);
	if (rc == -EPX_E_PAGE_NOTFOUND || rc == -EPX_E_PAGE_FILTER || rc == -EPX_E_RO_NONE)
		return page_fail(resp, rc);
	return rc;
}

/* The stylesheet or the refresh script: our own constant text, no secret,
 * served before the login like the login form itself. */
static int page_asset(struct http_resp *resp, const char *type, const char *body)
{
	int rc = http_resp_copy(resp, 200, type, body, strlen(body));

	if (rc == 0)
		page_secure_headers(resp);
	return rc;
}

int page_handle(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char actor[HTTP_ACTOR_MAX + 1] = "";
	int rc;

	if (!req->tls || !srv->store)
		return page_fail(resp, -EPX_E_PAGE_NOTFOUND);
	if (!strcmp(req->path, "/ui"))
		return page_redirect(resp, "/ui/");
	if (!strcmp(req->path, "/ui/style.css"))
		return req->method == HTTP_POST ? page_fail(resp, -EPX_E_PAGE_METHOD) :
		       page_asset(resp, "text/css; charset=utf-8", page_html_css);
	if (!strcmp(req->path, "/ui/refresh.js"))
		return req->method == HTTP_POST ? page_fail(resp, -EPX_E_PAGE_METHOD) :
		       page_asset(resp, "text/javascript; charset=utf-8", page_html_js);
	if (!strcmp(req->path, "/ui/login"))
		return page_login(srv, req, resp);
	if (!strcmp(req->path, "/ui/logout"))
		return page_logout(srv, req, resp);
	rc = page_auth(srv, req, actor);
	if (rc == -EPX_E_PAGE_NODE) {
		http_log(req, "page: refused a node's credential (%s)", epx_code_str(-rc));
		return page_fail(resp, rc);
	}
	if (rc == -EAGAIN)
		return page_login_form(resp, 429, "Too many refused credentials from this "
				       "address; wait a minute.");
	if (rc < 0)
		return page_login_form(resp, 401, NULL);
	if (req->method == HTTP_POST)
		return page_fail(resp, -EPX_E_PAGE_METHOD);
	rc = page_view(srv, req, resp, actor);
	/* http_log makes the path printable; the query is not logged */
	http_log(req, "page: %s by %s -> %d", req->path, actor, resp->status);
	return rc;
}
