/* test_http: tables for the router, the form parser, the bearer parser, the
 * Range parser, address matching and the response helpers (server/http.c,
 * server/node.c).  Runs the real router in-process, without a socket and
 * without a store (only endpoints that refuse before the store is touched). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "server/config.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/node.h"
#include "server/storm.h"
#include "tests/test.h"

static const struct {
	const char *in;
	int want;            /* fields, or negative error */
	const char *key, *val; /* one field to check */
} form_cases[] = {
	{ "", 0, NULL, NULL },
	{ "a=1", 1, "a", "1" },
	{ "a=1&b=2", 2, "b", "2" },
	{ "a=", 1, "a", "" },
	{ "a=x+y", 1, "a", "x y" },
	{ "a=%41%42", 1, "a", "AB" },
	{ "a=%4a", 1, "a", "J" },
	{ "host=node1&mac=52-54-00-12-34-56", 2, "mac", "52-54-00-12-34-56" },
	{ "a", -EPX_E_FORM, NULL, NULL },
	{ "=1", -EPX_E_FORM, NULL, NULL },
	{ "a=1&", -EPX_E_FORM, NULL, NULL },
	{ "&a=1", -EPX_E_FORM, NULL, NULL },
	{ "a=1&&b=2", -EPX_E_FORM, NULL, NULL },
	{ "a=1&a=2", -EPX_E_FORM, NULL, NULL },
	{ "a=%", -EPX_E_FORM, NULL, NULL },
	{ "a=%4", -EPX_E_FORM, NULL, NULL },
	{ "a=%zz", -EPX_E_FORM, NULL, NULL },
	{ "a=%4g", -EPX_E_FORM, NULL, NULL },
	{ "%61=1", -EPX_E_FORM, NULL, NULL },      /* keys are literal */
	{ "A=1", -EPX_E_FORM, NULL, NULL },
	{ "a=x%00y", -EPX_E_FORM, NULL, NULL },
	{ "a=x\ty", -EPX_E_FORM, NULL, NULL },
	{ "%00=1", -EPX_E_FORM, NULL, NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1", -EPX_E_FORM, NULL, NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1", -EPX_E_FORM_TOOBIG, NULL, NULL },
	{ "a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1&l=1&m=1&n=1&o=1&p=1&q=1", -EPX_E_FORM_TOOBIG, NULL, NULL },
	{ "a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1&l=1&m=1&n=1&o=1&p=1", 16, "p", "1" },
};

static void test_form(void)
{
	struct http_arg *args = calloc(HTTP_ARGS_MAX, sizeof(*args));
	size_t i;

	for (i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
		int n = http_form_parse(form_cases[i].in, strlen(form_cases[i].in), args,
					HTTP_ARGS_MAX);
		const struct http_arg *a;

		ok(n == form_cases[i].want, "form '%.30s' -> %d (want %d)", form_cases[i].in, n,
		   form_cases[i].want);
		if (n > 0 && form_cases[i].key) {
			a = http_arg_get(args, (size_t)n, form_cases[i].key);
			ok(a && !strcmp(a->val, form_cases[i].val), "form '%.30s' field %s",
			   form_cases[i].in, form_cases[i].key);
		}
	}
	/* a value of exactly the cap fits, one more byte does not */
	{
		size_t len = 2 + HTTP_ARG_VAL_MAX;
		char *s = malloc(len + 2);

		memcpy(s, "a=", 2);
		memset(s + 2, 'x', HTTP_ARG_VAL_MAX);
		ok(http_form_parse(s, len, args, HTTP_ARGS_MAX) == 1, "value at the cap");
		s[len] = 'x';
		ok(http_form_parse(s, len + 1, args, HTTP_ARGS_MAX) == -EPX_E_FORM_TOOBIG, "value over the cap");
		free(s);
	}
	/* not NUL-terminated input: the parser stops at len */
	ok(http_form_parse("a=1&b=2", 3, args, HTTP_ARGS_MAX) == 1, "length bounds the input");
	/* %00 never reaches a value (lib/pct.h) */
	ok(http_form_parse("a=x%00y", 7, args, HTTP_ARGS_MAX) == -EPX_E_FORM, "embedded NUL refused");
	free(args);
}

/* a request's query arguments: one at a time (epoxyd's MHD callback) */
static const struct {
	size_t klen;         /* key of klen 'k's, or the key below when 0 */
	const char *key;
	size_t vlen;         /* value of vlen 'v's; (size_t)-1: NULL value */
	int want;
} arg_cases[] = {
	{ 0, "wait", 2, 0 },
	{ 0, "wait", 1, -EPX_E_SRV_BADREQ },                   /* a key twice */
	{ 0, "", 1, -EPX_E_SRV_HDRTOOBIG },                    /* empty key */
	{ HTTP_ARG_KEY_MAX, NULL, 0, 0 },
	{ HTTP_ARG_KEY_MAX + 1, NULL, 0, -EPX_E_SRV_HDRTOOBIG },
	{ 0, "big", HTTP_ARG_VAL_MAX, 0 },
	{ 0, "over", HTTP_ARG_VAL_MAX + 1, -EPX_E_SRV_HDRTOOBIG },
	{ 0, "none", (size_t)-1, 0 },                          /* "?none" */
};

static void test_req_args(void)
{
	struct http_req *req = calloc(1, sizeof(*req));
	char *v = malloc(HTTP_ARG_VAL_MAX + 2), key[HTTP_ARG_KEY_MAX + 2], k[8];
	const struct http_arg *a;
	size_t i, n;
	int rc;

	memset(v, 'v', HTTP_ARG_VAL_MAX + 1);
	http_req_init(req);
	ok(req->args == NULL && req->nargs == 0, "a new request holds no argument storage");
	/* a held long poll keeps its request for up to its wait: 5,000 of
	 * them were 74 KiB each of argument buffers (bench/slivers) */
	ok(sizeof(struct http_req) < 8192, "a request is %zu bytes, its arguments aside",
	   sizeof(struct http_req));
	for (i = 0; i < sizeof(arg_cases) / sizeof(arg_cases[0]); i++) {
		if (arg_cases[i].klen) {
			memset(key, 'k', arg_cases[i].klen);
			key[arg_cases[i].klen] = '\0';
		} else {
			snprintf(key, sizeof(key), "%s", arg_cases[i].key);
		}
		n = req->nargs;
		rc = http_req_arg_add(req, key, arg_cases[i].vlen == (size_t)-1 ? NULL : v,
				      arg_cases[i].vlen == (size_t)-1 ? 0 : arg_cases[i].vlen);
		ok(rc == arg_cases[i].want, "arg %zu: %d (want %d)", i, rc, arg_cases[i].want);
		ok(req->nargs == n + (rc == 0), "arg %zu: counted only when taken", i);
	}
	a = http_arg_get(req->args, req->nargs, "big");
	ok(a && a->val_len == HTTP_ARG_VAL_MAX && a->val[HTTP_ARG_VAL_MAX] == '\0' &&
	   a->val[0] == 'v', "a value at the cap is kept whole");
	a = http_arg_get(req->args, req->nargs, "none");
	ok(a && a->val_len == 0 && a->val[0] == '\0', "no value: the empty string");
	a = http_arg_get(req->args, req->nargs, "wait");
	ok(a && a->val_len == 2 && !strcmp(a->val, "vv"), "the first of a key stays");
	/* up to HTTP_ARGS_MAX, then refused */
	for (i = req->nargs; i < HTTP_ARGS_MAX; i++) {
		snprintf(k, sizeof(k), "a%zu", i);
		if (http_req_arg_add(req, k, "1", 1) < 0)
			break;
	}
	ok(req->nargs == HTTP_ARGS_MAX, "HTTP_ARGS_MAX arguments taken");
	ok(http_req_arg_add(req, "one-more", "1", 1) == -EPX_E_SRV_HDRTOOBIG &&
	   req->nargs == HTTP_ARGS_MAX, "one more is refused");
	http_req_free(req);
	ok(req->args == NULL && req->nargs == 0, "http_req_free empties it");
	http_req_free(req);
	/* a whole query string (the tests' and fuzzers' requests) */
	ok(http_req_query(req, "wait=25&x=%41", 13) == 2 && req->nargs == 2 &&
	   !strcmp(req->args[1].val, "A"), "a query of two");
	ok(http_req_query(req, "y=1", 3) == -EPX_E_SRV_BADREQ && req->nargs == 2,
	   "a second query is refused, the first stays");
	http_req_free(req);
	ok(http_req_query(req, "a=1&a=2", 7) < 0 && req->nargs == 0 && !req->args,
	   "a malformed query leaves none");
	ok(http_req_query(req, "", 0) == 0 && req->nargs == 0, "an empty query: none");
	http_req_free(req);
	free(v);
	free(req);
}

static const struct {
	const char *auth;
	int want;
} bearer_cases[] = {
	{ "", -EPX_E_SRV_NOTOKEN },
	{ "Basic abc", -EPX_E_SRV_NOTOKEN },
	{ "Bearer", -EPX_E_SRV_NOTOKEN },
	{ "Bearer ", -EPX_E_TOK_FORMAT },
	{ "Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0 },
	{ "bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0 },
	{ "Bearer 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", -EPX_E_TOK_FORMAT },
	{ "Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde", -EPX_E_TOK_FORMAT },
	{ "Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0", -EPX_E_TOK_FORMAT },
	{ "Bearer 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", -EPX_E_TOK_FORMAT },
	{ "Bearer  123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", -EPX_E_TOK_FORMAT },
	{ "Bearer 0123456789abcdef0123456789abcdef 123456789abcdef0123456789abcdef", -EPX_E_TOK_FORMAT },
};

static void test_bearer(void)
{
	struct http_req *req = malloc(sizeof(*req));
	char tok[65];
	size_t i;

	for (i = 0; i < sizeof(bearer_cases) / sizeof(bearer_cases[0]); i++) {
		int rc;

		http_req_init(req);
		snprintf(req->authorization, sizeof(req->authorization), "%s", bearer_cases[i].auth);
		rc = http_bearer(req, tok);
		ok(rc == bearer_cases[i].want, "bearer case %zu -> %d", i, rc);
		if (rc == 0)
			ok(strlen(tok) == 64 && !strpbrk(tok, "ABCDEF"), "bearer %zu lowercased", i);
	}
	free(req);
}

static const struct {
	const char *hdr;
	uint64_t size;
	int want;
	uint64_t off, len;
} range_cases[] = {
	{ "", 100, 1, 0, 100 },
	{ "bytes=0-", 100, 0, 0, 100 },
	{ "bytes=10-", 100, 0, 10, 90 },
	{ "bytes=99-", 100, 0, 99, 1 },
	{ "bytes=10-19", 100, 0, 10, 10 },
	{ "bytes=10-1000", 100, 0, 10, 90 },
	{ "bytes=0-0", 100, 0, 0, 1 },
	{ "bytes=100-", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "bytes=20-10", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "bytes=-10", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "bytes=a-", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "bytes=1-2,3-4", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "bytes=1", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "bytes 1-", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "items=1-", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "bytes=1- ", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "bytes=99999999999999999999999-", 100, -EPX_E_SRV_RANGE, 0, 0 },
	{ "bytes=0-", 0, -EPX_E_SRV_RANGE, 0, 0 },
};

static void test_range(void)
{
	size_t i;

	for (i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
		uint64_t off = 7, len = 7;
		int rc = node_range(range_cases[i].hdr, range_cases[i].size, &off, &len);

		ok(rc == range_cases[i].want && (rc < 0 || (off == range_cases[i].off &&
							   len == range_cases[i].len)),
		   "range '%s' of %llu -> %d %llu+%llu", range_cases[i].hdr,
		   (unsigned long long)range_cases[i].size, rc, (unsigned long long)off,
		   (unsigned long long)len);
	}
}

static const struct {
	const char *peer, *reg;
	int want;
} addr_cases[] = {
	{ "10.0.2.15", "10.0.2.15", 1 },
	{ "10.0.2.15", "10.0.2.16", 0 },
	{ "10.0.2.15", "10.0.2.0/24", 1 },
	{ "10.0.3.15", "10.0.2.0/24", 0 },
	{ "10.0.2.15", "10.0.2.0/31", 0 },
	{ "10.0.2.15", "10.0.2.14/31", 1 },
	{ "10.0.2.15", "0.0.0.0/0", 1 },
	{ "10.0.2.15", "10.0.2.0/33", 0 },
	{ "10.0.2.15", "10.0.2.0/", 0 },
	{ "10.0.2.15", "10.0.2.0/x", 0 },
	{ "::ffff:10.0.2.15", "10.0.2.15", 1 },
	{ "2001:db8::1", "2001:db8::/32", 1 },
	{ "2001:db9::1", "2001:db8::/32", 0 },
	{ "2001:db8::1", "10.0.2.15", 0 },
	{ "garbage", "10.0.2.15", 0 },
	{ "10.0.2.15", "garbage", 0 },
};

static void test_addr(void)
{
	size_t i;

	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++)
		ok(node_addr_match(addr_cases[i].peer, addr_cases[i].reg) == addr_cases[i].want,
		   "address %s in %s: %d", addr_cases[i].peer, addr_cases[i].reg, addr_cases[i].want);
}

/* The router refuses these before any handler touches the store. */
static const struct {
	enum http_method m;
	const char *path;
	int tls;
	int status;
	int code;
} route_cases[] = {
	{ HTTP_GET, "/healthz", 0, 200, 0 },
	{ HTTP_HEAD, "/healthz", 1, 200, 0 },
	{ HTTP_POST, "/healthz", 0, 405, EPX_E_SRV_METHOD },
	{ HTTP_GET, "/nope", 1, 404, EPX_E_SRV_NOTFOUND },
	{ HTTP_GET, "/", 0, 404, EPX_E_SRV_NOTFOUND },
	{ HTTP_GET, "/healthz/", 0, 404, EPX_E_SRV_NOTFOUND },
	{ HTTP_GET, "/v1/sessionX", 1, 404, EPX_E_SRV_NOTFOUND },
	{ HTTP_POST, "/v1/session", 0, 403, EPX_E_SRV_PLAIN },
	{ HTTP_GET, "/v1/manifest", 0, 403, EPX_E_SRV_PLAIN },
	{ HTTP_GET, "/v1/artifact/kernel", 0, 403, EPX_E_SRV_PLAIN },
	{ HTTP_POST, "/v1/joincred", 0, 403, EPX_E_SRV_PLAIN },
	{ HTTP_POST, "/v1/report", 0, 403, EPX_E_SRV_PLAIN },
	{ HTTP_GET, "/metrics", 0, 403, EPX_E_SRV_PLAIN },
	{ HTTP_GET, "/admin/v1/hosts", 0, 403, EPX_E_SRV_PLAIN },
	{ HTTP_GET, "/v1/session", 1, 405, EPX_E_SRV_METHOD },
	{ HTTP_OTHER, "/v1/session", 1, 405, EPX_E_SRV_METHOD },
	{ HTTP_POST, "/v1/manifest", 1, 405, EPX_E_SRV_METHOD },
	{ HTTP_GET, "/v1/manifest", 1, 401, EPX_E_SRV_NOTOKEN },
	{ HTTP_GET, "/v1/artifact/kernel", 1, 401, EPX_E_SRV_NOTOKEN },
	{ HTTP_GET, "/v1/artifact/kern", 1, 404, EPX_E_SRV_NOTFOUND },
	{ HTTP_GET, "/v1/artifact/", 1, 404, EPX_E_SRV_NOTFOUND },
	{ HTTP_POST, "/v1/joincred", 1, 401, EPX_E_SRV_NOTOKEN },
	{ HTTP_POST, "/v1/report", 1, 415, EPX_E_SRV_CTYPE },
	{ HTTP_POST, "/v1/session", 1, 415, EPX_E_SRV_CTYPE },
	{ HTTP_GET, "/boot/stage0", 0, 400, EPX_E_SRV_BADREQ },
	{ HTTP_GET, "/boot/stage1.ipxe", 0, 400, EPX_E_SRV_FIELD },
	{ HTTP_DELETE, "/boot/stage1.efi", 0, 405, EPX_E_SRV_METHOD },
	{ HTTP_GET, "/metrics", 1, 200, 0 },
};

static void test_router(void)
{
	struct http_req *req = malloc(sizeof(*req));
	struct http_resp resp;
	struct config cfg;
	struct srv srv;
	char code[16];
	size_t i;

	config_defaults(&cfg);
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	metrics_new(&srv.metrics);
	for (i = 0; i < sizeof(route_cases) / sizeof(route_cases[0]); i++) {
		http_req_init(req);
		req->method = route_cases[i].m;
		req->tls = route_cases[i].tls;
		snprintf(req->path, sizeof(req->path), "%s", route_cases[i].path);
		snprintf(req->peer_str, sizeof(req->peer_str), "192.0.2.1");
		http_resp_init(&resp);
		http_dispatch(&srv, req, &resp);
		ok(resp.status == route_cases[i].status, "%s %s (%s) -> %d (want %d)",
		   route_cases[i].m == HTTP_GET ? "GET" : "other", route_cases[i].path,
		   route_cases[i].tls ? "https" : "http", resp.status, route_cases[i].status);
		if (route_cases[i].code) {
			epx_code(-route_cases[i].code, code, sizeof(code));
			ok(resp.kind == HTTP_BODY_MEM && resp.len > 11 &&
			   !memcmp(resp.body, code, 11) && resp.body[resp.len - 1] == '\n' &&
			   !strcmp(resp.content_type, "text/plain"),
			   "%s answers '%s ...' as text/plain", route_cases[i].path, code);
		}
		if (resp.status == 405) {
			ok(resp.nhdrs == 1 && !strcmp(resp.hdrs[0].name, "Allow"),
			   "405 for %s carries Allow", route_cases[i].path);
		}
		http_resp_free(&resp);
	}
	ok(metrics_get(srv.metrics, M_REQ_4XX) > 10, "4xx answers counted");
	metrics_free(srv.metrics);
	free(req);
}

static void test_resp(void)
{
	struct http_resp r;

	http_resp_init(&r);
	ok(http_resp_header(&r, "X-A", "1") == 0, "header added");
	ok(http_resp_header(&r, "X-B", "a\r\nSet-Cookie: x") == -EINVAL, "CRLF in a value refused");
	ok(http_resp_header(&r, "X:C", "1") == -EINVAL, "colon in a name refused");
	ok(http_resp_header(&r, "", "1") == -EINVAL, "empty name refused");
	ok(http_resp_copy(&r, 200, "text/plain", "hi", 2) == 0 && r.nhdrs == 1, "body keeps headers");
	ok(http_resp_error(&r, 403, -EPX_E_TOK_USED, NULL) == 0 && r.nhdrs == 0 &&
	   r.len == strlen("EPOXY-E2003 token already used\n") &&
	   !memcmp(r.body, "EPOXY-E2003 token already used\n", r.len),
	   "error answer drops headers, says code and reason");
	http_resp_free(&r);
	ok(r.status == 0 && r.body == NULL && r.fd == -1, "free resets");
	http_resp_init(&r);
	while (http_resp_header(&r, "X", "1") == 0)
		;
	ok(r.nhdrs == HTTP_RESP_HDRS_MAX, "header count capped");
	http_resp_free(&r);
}

int main(void)
{
	test_form();
	test_req_args();
	test_bearer();
	test_range();
	test_addr();
	test_router();
	test_resp();
	return test_done();
}
