/* http: the router and the request/response helpers (see http.h).
 *
 * The route table is the single place that says which endpoint answers on
 * which listener and to which methods.  Order of checks for every request:
 * path known (404) -> listener allowed (403 on plain HTTP for anything with
 * a token or secret) -> method (405 + Allow) -> per-address rate limit
 * (503 + Retry-After) -> handler.  A request is never half-handled: a
 * handler either answers or the router answers 500 with the code. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/nodeproto.h"
#include "server/archive.h"
#include "server/admin.h"
#include "server/sliverapi.h"
#include "server/config.h"
#include "server/http.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/node.h"
#include "server/page.h"
#include "server/nodeapi.h"
#include "server/storm.h"

#define R_GET   (1u << HTTP_GET)
#define R_HEAD  (1u << HTTP_HEAD)
#define R_POST  (1u << HTTP_POST)
#define R_PUT   (1u << HTTP_PUT)
#define R_ANY   0xffu

enum route_flags {
	RF_TLS = 1,        /* HTTPS listener only */
	RF_PREFIX = 2,     /* path is a prefix */
	RF_NORATE = 4,     /* not rate-limited (health checks) */
};

typedef int (*http_handler)(struct srv *, const struct http_req *, struct http_resp *);

static int http_healthz(struct srv *srv, const struct http_req *req, struct http_resp *resp);
static int http_metrics(struct srv *srv, const struct http_req *req, struct http_resp *resp);

/* pre: what the endpoint checks from the headers, before its body is
 * read (http_preauth); body_max: its body cap, 0 for HTTP_BODY_MAX */
static const struct route {
	const char *path;
	unsigned methods;
	unsigned flags;
	http_handler fn;
	size_t body_max;
	http_handler pre;
} http_routes[] = {
	{ "/healthz", R_GET | R_HEAD, RF_NORATE, http_healthz, 0, NULL },
	{ "/boot/stage0", R_GET | R_HEAD, 0, node_stage0, 0, NULL },
	{ "/boot/stage1.ipxe", R_GET | R_HEAD, 0, node_stage1_ipxe, 0, NULL },
	{ "/boot/stage1.efi", R_GET | R_HEAD, 0, node_bootfile, 0, NULL },
	{ "/boot/stage1/vmlinuz", R_GET | R_HEAD, 0, node_bootfile, 0, NULL },
	{ "/boot/stage1/initramfs", R_GET | R_HEAD, 0, node_bootfile, 0, NULL },
	{ "/boot/stage1/cmdline", R_GET | R_HEAD, 0, node_bootfile, 0, NULL },
	{ "/metrics", R_GET, RF_TLS | RF_NORATE, http_metrics, 0, NULL },
	{ "/v1/session", R_POST, RF_TLS, node_session, NODEPROTO_SESSION_BODY_MAX, NULL },
	{ "/v1/manifest", R_GET, RF_TLS, node_manifest, 0, NULL },
	{ NODEPROTO_DBX_PATH, R_GET, RF_TLS | RF_PREFIX, node_dbx, 0, NULL },
	{ "/v1/artifact/", R_GET, RF_TLS | RF_PREFIX, node_artifact, 0, NULL },
	{ "/v1/joincred", R_POST, RF_TLS, node_joincred, NODEPROTO_JOINCRED_BODY_MAX,
	  node_preauth },
	{ "/v1/report", R_POST, RF_TLS, node_report, NODEPROTO_REPORT_BODY_MAX, node_preauth },
	{ NODEPROTO_NODE_CSR_PATH, R_POST, RF_TLS, nodeapi_csr, NODEPROTO_NODE_BODY_MAX,
	  nodeapi_preauth },
	{ NODEPROTO_NODE_HEARTBEAT_PATH, R_POST, RF_TLS, nodeapi_heartbeat,
	  NODEPROTO_HEARTBEAT_BODY_MAX, nodeapi_preauth },
	{ NODEPROTO_NODE_RENEW_PATH, R_POST, RF_TLS, nodeapi_renew, NODEPROTO_NODE_BODY_MAX,
	  nodeapi_preauth },
	{ NODEPROTO_NODE_ARCHIVE_CERT_PATH, R_POST, RF_TLS, nodeapi_archive_cert,
	  NODEPROTO_NODE_BODY_MAX, nodeapi_preauth },
	{ SLIVERAPI_PATH, R_GET, RF_TLS, sliverapi_get, 0, sliverapi_preauth },
	{ NODEPROTO_IMAGE_PATH, R_GET, RF_TLS | RF_PREFIX, sliverapi_image, 0, sliverapi_preauth },
	{ ARCHIVE_PATH, R_GET | R_HEAD | R_PUT | R_POST, RF_TLS | RF_PREFIX, archive_handle,
	  ARCHIVE_BUNDLE_MAX,
	  archive_preauth },
	{ "/admin/", R_ANY, RF_TLS | RF_PREFIX | RF_NORATE, admin_handle, 0, NULL },
	{ "/ui", R_GET | R_HEAD, RF_TLS, page_handle, 0, NULL },
	{ "/ui/", R_GET | R_HEAD | R_POST, RF_TLS | RF_PREFIX, page_handle, PAGE_BODY_MAX, NULL },
};

int64_t http_now(const struct srv *srv)
{
	return (int64_t)time(NULL) + srv->clock_offset;
}

void http_req_init(struct http_req *req)
{
	memset(req, 0, sizeof(*req));
	req->body_fd = -1;
	req->conn_fd = -1;
}

int http_req_arg_add(struct http_req *req, const char *key, const char *val, size_t vlen)
{
	size_t klen = strlen(key);
	struct http_arg *a;

	if (req->nargs >= HTTP_ARGS_MAX || klen == 0 || klen > HTTP_ARG_KEY_MAX ||
	    vlen > HTTP_ARG_VAL_MAX)
		return -EPX_E_SRV_HDRTOOBIG;
	if (http_arg_get(req->args, req->nargs, key))
		return -EPX_E_SRV_BADREQ;
	a = realloc(req->args, (req->nargs + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	req->args = a;
	a += req->nargs;
	memcpy(a->key, key, klen + 1);
	if (val)
		memcpy(a->val, val, vlen);
	a->val[vlen] = '\0';
	a->val_len = vlen;
	req->nargs++;
	return 0;
}

int http_req_query(struct http_req *req, const char *q, size_t len)
{
	struct http_arg *a = calloc(HTTP_ARGS_MAX, sizeof(*a)), *fit;
	int n = a ? http_form_parse(q, len, a, HTTP_ARGS_MAX) : -ENOMEM;

	if (n <= 0 || req->nargs) {
		free(a);
		return n > 0 ? -EPX_E_SRV_BADREQ : n;
	}
	fit = realloc(a, (size_t)n * sizeof(*a));
	req->args = fit ? fit : a;
	req->nargs = (size_t)n;
	return n;
}

void http_req_free(struct http_req *req)
{
	free(req->args);
	req->args = NULL;
	req->nargs = 0;
}

void http_resp_init(struct http_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->fd = -1;
}

void http_resp_free(struct http_resp *resp)
{
	if (resp->kind == HTTP_BODY_MEM && resp->body) {
		if (resp->secret)
			explicit_bzero(resp->body, resp->len);
		if (resp->owned)
			free(resp->body);
	}
	if (resp->fd >= 0)
		close(resp->fd);
	if (resp->slot_storm)
		storm_leave(resp->slot_storm, (enum storm_kind)resp->slot_kind);
	explicit_bzero(resp->hdrs, sizeof(resp->hdrs));
	http_resp_init(resp);
}

static void http_resp_reset_body(struct http_resp *resp)
{
	struct storm *slot = resp->slot_storm;
	int kind = resp->slot_kind;

	resp->slot_storm = NULL;
	http_resp_free(resp);
	resp->slot_storm = slot;
	resp->slot_kind = kind;
}

static void http_ctype(struct http_resp *resp, const char *ctype)
{
	snprintf(resp->content_type, sizeof(resp->content_type), "%s",
		 ctype ? ctype : "application/octet-stream");
}

int http_resp_take(struct http_resp *resp, int status, const char *ctype,
		   void *buf, size_t len)
{
	struct http_resp_hdr hdrs[HTTP_RESP_HDRS_MAX];
	size_t nhdrs = resp->nhdrs;
	int secret = resp->secret;

	memcpy(hdrs, resp->hdrs, sizeof(hdrs));
	if (resp->kind != HTTP_BODY_NONE)
		http_resp_reset_body(resp);
	memcpy(resp->hdrs, hdrs, sizeof(hdrs));
	explicit_bzero(hdrs, sizeof(hdrs));
	resp->nhdrs = nhdrs;
	resp->secret = secret;
	resp->status = status;
	http_ctype(resp, ctype);
	resp->kind = HTTP_BODY_MEM;
	resp->body = buf;
	resp->len = len;
	resp->owned = 1;
	return 0;
}

int http_resp_copy(struct http_resp *resp, int status, const char *ctype,
		   const void *buf, size_t len)
{
	void *p = malloc(len ? len : 1);

	if (!p)
		return -ENOMEM;
	if (len)
		memcpy(p, buf, len);
	return http_resp_take(resp, status, ctype, p, len);
}

int http_resp_fd(struct http_resp *resp, int status, const char *ctype,
		 int fd, uint64_t off, uint64_t len)
{
	if (resp->kind != HTTP_BODY_NONE) {
		struct http_resp_hdr hdrs[HTTP_RESP_HDRS_MAX];
		size_t nhdrs = resp->nhdrs;

		memcpy(hdrs, resp->hdrs, sizeof(hdrs));
		http_resp_reset_body(resp);
		memcpy(resp->hdrs, hdrs, sizeof(hdrs));
		resp->nhdrs = nhdrs;
	}
	resp->status = status;
	http_ctype(resp, ctype);
	resp->kind = HTTP_BODY_FD;
	resp->fd = fd;
	resp->off = off;
	resp->fd_len = len;
	return 0;
}

int http_resp_error(struct http_resp *resp, int status, int rc,
		    const char *reason)
{
	char code[16], *p;
	int n;

	if (rc > 0)
		rc = -rc;
	epx_code(rc, code, sizeof(code));
	p = malloc(256);
	if (!p)
		return -ENOMEM;
	n = snprintf(p, 256, "%s %s\n", code, reason ? reason : epx_strerror(rc));
	if (n < 0 || n >= 256)
		n = 255;
	/* error answers carry no headers of the aborted answer (e.g. a token) */
	resp->nhdrs = 0;
	explicit_bzero(resp->hdrs, sizeof(resp->hdrs));
	resp->secret = 0;
	http_resp_take(resp, status, "text/plain", p, (size_t)n);
	resp->code = -rc;
	return 0;
}

int http_resp_fail(struct http_resp *resp, int rc, const char *reason)
{
	return http_resp_error(resp, epx_http_status(rc), rc, reason);
}

static int http_hdr_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i >= max)
			return 0;
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	}
	return 1;
}

int http_resp_header(struct http_resp *resp, const char *name, const char *val)
{
	if (resp->nhdrs >= HTTP_RESP_HDRS_MAX)
		return -ENOSPC;
	if (!*name || !http_hdr_ok(name, HTTP_RESP_HDR_NAME_MAX) ||
	    !http_hdr_ok(val, HTTP_RESP_HDR_VAL_MAX) || strchr(name, ':'))
		return -EINVAL;
	snprintf(resp->hdrs[resp->nhdrs].name, sizeof(resp->hdrs[0].name), "%s", name);
	snprintf(resp->hdrs[resp->nhdrs].val, sizeof(resp->hdrs[0].val), "%s", val);
	resp->nhdrs++;
	return 0;
}

const struct http_arg *http_arg_get(const struct http_arg *args, size_t n,
				    const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(args[i].key, key))
			return &args[i];
	return NULL;
}

int http_form_parse(const char *s, size_t len, struct http_arg *args, size_t max)
{
	struct form f;
	char *buf;
	size_t i;
	int rc;

	buf = malloc(len + 1);          /* form_parse works in place */
	if (!buf)
		return -ENOMEM;
	memcpy(buf, s, len);
	rc = form_parse(&f, buf, len, max, HTTP_ARG_VAL_MAX);
	for (i = 0; rc == 0 && i < f.n; i++) {
		if (strlen(f.key[i]) > HTTP_ARG_KEY_MAX) {
			rc = -EPX_E_FORM_TOOBIG;
			break;
		}
		memcpy(args[i].key, f.key[i], strlen(f.key[i]) + 1);
		memcpy(args[i].val, f.val[i], f.len[i] + 1);
		args[i].val_len = f.len[i];
	}
	explicit_bzero(buf, len + 1);
	free(buf);
	return rc < 0 ? rc : (int)f.n;
}

int http_bearer(const struct http_req *req, char tok[65])
{
	const char *a = req->authorization;

	tok[0] = '\0';
	if (!*a)
		return -EPX_E_SRV_NOTOKEN;
	if (strncasecmp(a, "Bearer ", 7))
		return -EPX_E_SRV_NOTOKEN;
	a += 7;
	/* one spelling: lowercase, as every token is issued (lib/hex.h) */
	if (hex_check_str(a, NODEPROTO_TOKEN_HEX) < 0)
		return -EPX_E_TOK_FORMAT;
	memcpy(tok, a, NODEPROTO_TOKEN_HEX + 1);
	return 0;
}

void http_log(const struct http_req *req, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one line per event, whatever a handler put in it (log_msg makes
	 * the whole line printable ASCII) */
	for (i = 0; msg[i]; i++)
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] >= 0x7f)
			msg[i] = '?';
	log_msg(LOG_INFO, "req %llu %s%s%s: %s",
		(unsigned long long)(req ? req->id : 0), req ? req->peer_str : "-",
		req && req->x_forwarded_for[0] ? " xff-untrusted=" : "",
		req && req->x_forwarded_for[0] ? "set" : "", msg);
}

int http_dir(const struct srv *srv, enum http_dir which, int *own)
{
	const char *path = which == HTTP_DIR_BOOT ? srv->cfg->boot_dir : srv->cfg->data_dir;
	int fd;

	*own = 0;
	if (srv->dirs)
		return which == HTTP_DIR_BOOT ? srv->boot_fd : srv->data_fd;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*own = 1;
	return fd;
}

static int http_healthz(struct srv *srv, const struct http_req *req,
			struct http_resp *resp)
{
	return http_resp_copy(resp, 200, "text/plain", "ok\n", 3);
}

static int http_metrics(struct srv *srv, const struct http_req *req,
			struct http_resp *resp)
{
	const size_t cap = 16384;
	char *buf = malloc(cap);
	long n;

	if (!buf)
		return -ENOMEM;
	n = metrics_render(srv->metrics, srv->storm, buf, cap);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	return http_resp_take(resp, 200, "text/plain; version=0.0.4", buf, (size_t)n);
}

static const struct route *http_route(const char *path)
{
	size_t i;

	for (i = 0; i < sizeof(http_routes) / sizeof(http_routes[0]); i++) {
		const struct route *r = &http_routes[i];

		if (r->flags & RF_PREFIX ? !strncmp(path, r->path, strlen(r->path)) :
		    !strcmp(path, r->path))
			return r;
	}
	return NULL;
}

static void http_allow(struct http_resp *resp, unsigned methods)
{
	static const char *const names[] = { [HTTP_GET] = "GET", [HTTP_HEAD] = "HEAD",
		[HTTP_POST] = "POST", [HTTP_PUT] = "PUT", [HTTP_DELETE] = "DELETE",
		[HTTP_PATCH] = "PATCH" };
	char allow[64] = "";
	size_t i;

	for (i = HTTP_GET; i <= HTTP_PATCH; i++)
		if (methods & (1u << i)) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, names[i]);
		}
	http_resp_header(resp, "Allow", allow);
}

/* Rate limit by the listener's peer address (never a header). */
static int http_rate(struct srv *srv, const struct http_req *req,
		     struct http_resp *resp)
{
	const void *key = req->peer_str;
	size_t klen = strlen(req->peer_str);
	struct timespec ts;
	char ra[16];
	int rc;

	if (!srv->storm)
		return 0;
	if (req->peer.ss_family == AF_INET) {
		key = &((const struct sockaddr_in *)&req->peer)->sin_addr;
		klen = 4;
	} else if (req->peer.ss_family == AF_INET6) {
		key = &((const struct sockaddr_in6 *)&req->peer)->sin6_addr;
		klen = 16;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	rc = storm_rate(srv->storm, key, klen,
			(uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
	if (rc == 0)
		return 0;
	metrics_add(srv->metrics, M_RATE_LIMITED, 1);
	http_resp_fail(resp, rc, NULL);    /* E2230/E2231: 503 */
	snprintf(ra, sizeof(ra), "%u", storm_retry_after(srv->storm, req->peer_str,
							 http_now(srv)));
	http_resp_header(resp, "Retry-After", ra);
	return rc;
}

static void http_count(struct srv *srv, const struct http_req *req,
		       const struct http_resp *resp)
{
	static const enum metrics_ctr cls[] = { M_REQ_2XX, M_REQ_2XX, M_REQ_2XX,
						M_REQ_3XX, M_REQ_4XX, M_REQ_5XX };
	int c = resp->status / 100;

	metrics_add(srv->metrics, req->tls ? M_REQ_TLS : M_REQ_PLAIN, 1);
	if (c >= 1 && c <= 5)
		metrics_add(srv->metrics, cls[c], 1);
}

size_t http_body_max(const char *path)
{
	const struct route *r = http_route(path);

	return r && r->body_max ? r->body_max : HTTP_BODY_MAX;
}

int http_preauth(struct srv *srv, struct http_req *req, struct http_resp *resp)
{
	const struct route *r = http_route(req->path);

	/* the router answers what is not the endpoint's own to refuse */
	if (!r || !r->pre || ((r->flags & RF_TLS) && !req->tls) ||
	    req->method == HTTP_OTHER || !(r->methods & (1u << req->method)))
		return 0;
	req->rated = 1;
	if (!(r->flags & RF_NORATE) && http_rate(srv, req, resp) < 0)
		goto refused;
	if (r->pre(srv, req, resp) < 0 || resp->status)
		goto refused;
	return 0;
refused:
	if (!resp->status)
		http_resp_fail(resp, -EIO, NULL);
	http_count(srv, req, resp);
	return resp->code ? -resp->code : -EIO;
}

int http_dispatch(struct srv *srv, const struct http_req *req,
		  struct http_resp *resp)
{
	const struct route *r = http_route(req->path);
	int rc;

	if (!r) {
		http_resp_fail(resp, -EPX_E_SRV_NOTFOUND, NULL);
		goto out;
	}
	if ((r->flags & RF_TLS) && !req->tls) {
		http_resp_fail(resp, -EPX_E_SRV_PLAIN, NULL);
		http_log(req, "refused %s on the plain-HTTP listener (%s)", r->path,
			 epx_code_str(EPX_E_SRV_PLAIN));
		goto out;
	}
	if (req->method == HTTP_OTHER || !(r->methods & (1u << req->method))) {
		http_resp_fail(resp, -EPX_E_SRV_METHOD, NULL);
		http_allow(resp, r->methods);
		goto out;
	}
	if (!(r->flags & RF_NORATE) && !req->rated && http_rate(srv, req, resp) < 0)
		goto out;
	rc = r->fn(srv, req, resp);
	if (rc == 0 && resp->status == 0 && resp->hold_until)
		return 0;       /* held: answered and counted when dispatched again */
	if (rc < 0 || resp->status == 0) {
		char code[16];

		http_log(req, "%s failed: %s %s", r->path, epx_code(rc, code, sizeof(code)),
			 epx_strerror(rc));
		http_resp_fail(resp, rc < 0 ? rc : -EIO, NULL);
	}
out:
	http_count(srv, req, resp);
	return 0;
}
