/* test_admin: the admin API (server/admin.c) in process, against a real
 * SQLite store and real signed manifests (throw-away keys).
 *
 * Every command's happy path, then a table of refusals: each must answer
 * the expected status with the expected EPOXY-Exxxx code AND leave the
 * store exactly as it was (hosts, releases, sessions, audit log). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/keyset.h"
#include "lib/manifest.h"
#include "lib/sha256.h"
#include "server/admin.h"
#include "server/config.h"
#include "server/http.h"
#include "store/store.h"
#include "tests/keys/fixture.h"
#include "tests/test.h"

#define FORM "application/x-www-form-urlencoded"
#define OCTET "application/octet-stream"

static struct srv srv;
static struct config cfg;
static struct keyset ks;
static struct fx fx;
static char dir[64];
static char admin_cred[STORE_TOKEN_HEX + 1];
static char auth_ok[100];

struct answer {
	int status;
	char body[1 << 16];
	size_t len;
	int secret;
};

static struct answer ans;
static char peer_override[64];   /* "": requests come from 127.0.0.1 */

static int req_full(const char *method, const char *path, const char *ctype,
		    const void *body, size_t len, const char *auth, int tls, int fd)
{
	struct http_req *req = calloc(1, sizeof(*req));
	struct http_resp resp;
	const char *q;
	int rc;

	http_req_init(req);
	req->method = !strcmp(method, "GET") ? HTTP_GET : !strcmp(method, "POST") ? HTTP_POST :
		      !strcmp(method, "PATCH") ? HTTP_PATCH : !strcmp(method, "DELETE") ? HTTP_DELETE :
		      !strcmp(method, "PUT") ? HTTP_PUT : HTTP_OTHER;
	q = strchr(path, '?');
	snprintf(req->path, sizeof(req->path), "%.*s", (int)(q ? (size_t)(q - path) : strlen(path)), path);
	if (q)
		http_req_query(req, q + 1, strlen(q + 1));
	snprintf(req->content_type, sizeof(req->content_type), "%s", ctype ? ctype : "");
	snprintf(req->authorization, sizeof(req->authorization), "%s", auth ? auth : "");
	req->body = body;
	req->body_len = len;
	req->body_fd = fd;
	if (fd >= 0) {
		req->body = NULL;
		req->body_len = (size_t)lseek(fd, 0, SEEK_END);
	}
	req->tls = tls;
	snprintf(req->peer_str, sizeof(req->peer_str), "%s",
		 peer_override[0] ? peer_override : "127.0.0.1");
	http_resp_init(&resp);
	rc = admin_handle(&srv, req, &resp);
	ans.status = rc ? 500 : resp.status;
	ans.len = 0;
	ans.secret = resp.secret;
	if (resp.kind == HTTP_BODY_MEM && resp.len < sizeof(ans.body)) {
		memcpy(ans.body, resp.body, resp.len);
		ans.len = resp.len;
	}
	ans.body[ans.len] = '\0';
	http_resp_free(&resp);
	http_req_free(req);
	free(req);
	return ans.status;
}

static int req_peer(const char *peer, const char *auth)
{
	int st;

	snprintf(peer_override, sizeof(peer_override), "%s", peer);
	st = req_full("GET", "/admin/v1/hosts", NULL, NULL, 0, auth, 1, -1);
	peer_override[0] = '\0';
	return st;
}

static int req(const char *method, const char *path, const char *body)
{
	return req_full(method, path, body ? FORM : NULL, body, body ? strlen(body) : 0,
			auth_ok, 1, -1);
}

/* ------------------------------------------------------ store snapshot */

struct snap {
	char *buf;
	size_t len, cap;
};

static void snap_add(struct snap *s, const char *fmt, const char *a, long long n)
{
	char line[512];
	int k = snprintf(line, sizeof(line), "%s|%s|%lld\n", fmt, a, n);

	if (s->len + (size_t)k + 1 > s->cap) {
		s->cap = (s->len + (size_t)k + 1) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, line, (size_t)k + 1);
	s->len += (size_t)k;
}

static int snap_host(const struct store_host *h, void *arg)
{
	char d[1024];

	snprintf(d, sizeof(d), "%s %s %s %s %u %d %zu %s %zu %zu %d %d %lld",
		 h->name, h->hwclass, h->site, h->channel, h->pinned_version, h->reinstall,
		 h->n_macs, h->n_macs ? h->macs[0] : "", h->n_addrs, h->n_groups,
		 h->has_credential, h->credential_revoked, (long long)h->updated);
	snap_add(arg, "host", d, 0);
	return 0;
}

static int snap_rel(const struct store_release *r, void *arg)
{
	snap_add(arg, "release", r->hwclass, r->version);
	return 0;
}

static int snap_audit(const struct store_audit *e, void *arg)
{
	snap_add(arg, "audit", e->hash, e->seq);
	return 0;
}

static int snap_sess(const struct store_session *s, void *arg)
{
	snap_add(arg, "session", s->id, s->version);
	return 0;
}

static int snap_obj(struct snap *s)
{
	char path[200];
	int n = 0;
	FILE *p;

	snprintf(path, sizeof(path), "ls %s/data/objects 2>/dev/null | wc -l", dir);
	p = popen(path, "r");
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	snap_add(s, "objects", "", n);
	return 0;
}

static char *snapshot_x(int with_audit)
{
	struct snap s = { NULL, 0, 0 };

	snap_add(&s, "start", "", 0);
	store_host_list(srv.store, snap_host, &s);
	store_release_list(srv.store, snap_rel, &s);
	if (with_audit)
		store_audit_list(srv.store, 0, STORE_LIST_MAX, snap_audit, &s);
	store_session_list(srv.store, NULL, 1000, snap_sess, &s);
	snap_obj(&s);
	return s.buf;
}

static char *snapshot(void)
{
	return snapshot_x(1);
}

static int audit_count(void)
{
	int n = 0;
	char *s = snapshot(), *p;

	for (p = s; (p = strstr(p, "audit|")); p++)
		n++;
	free(s);
	return n;
}

/* ------------------------------------------------------------ releases */

struct rel {
	char body[1 << 15];   /* manifest + artifacts */
	size_t len, mlen;
};

static const char *const art_data[MANIFEST_NROLES] = {
	"KERNEL-BYTES-v", "INITRAMFS-BYTES", "console=ttyS0", "#!/bin/sh\necho join\n",
};

/* Builds a release body signed by signers (FX_END-terminated). */
static void make_release(struct rel *r, uint32_t version, int64_t expires,
			 const char *hwclass, const int *signers)
{
	struct manifest m;
	char text[DOC_MAX_BYTES];
	size_t len = 0, i;

	memset(&m, 0, sizeof(m));
	m.version = version;
	m.expires = expires;
	snprintf(m.hwclass, sizeof(m.hwclass), "%s", hwclass);
	m.min_agent = 1;
	for (i = 0; i < MANIFEST_NROLES; i++) {
		m.art[i].length = strlen(art_data[i]);
		sha256_buf(art_data[i], strlen(art_data[i]), m.art[i].sha256);
	}
	if (manifest_format(&m, text, sizeof(text), &len))
		abort();
	fx_sign(&fx, text, sizeof(text), &len, len, signers);
	memcpy(r->body, text, len);
	r->mlen = r->len = len;
	for (i = 0; i < MANIFEST_NROLES; i++) {
		memcpy(r->body + r->len, art_data[i], strlen(art_data[i]));
		r->len += strlen(art_data[i]);
	}
}

static int publish(const struct rel *r, const char *ctype)
{
	char path[64];

	snprintf(path, sizeof(path), "/admin/v1/releases?manifest=%zu", r->mlen);
	return req_full("POST", path, ctype, r->body, r->len, auth_ok, 1, -1);
}

/* ------------------------------------------------------------ the tests */

static void setup(void)
{
	static const int rel[] = { 0, 1, 2, FX_END }, none[] = { FX_END };
	static const int sig01[] = { 0, 1, FX_END };
	char uri[128], ksbuf[DOC_MAX_BYTES];
	size_t kslen;

	snprintf(dir, sizeof(dir), "/tmp/epoxy-test-admin-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	fx_init(&fx, 4);
	kslen = fx_keyset(&fx, ksbuf, sizeof(ksbuf), 1, 2, rel, 3, none, sig01);
	ok(keyset_load_root(&ks, ksbuf, kslen) == 0, "setup: root keyset (2 of 3) loads");
	config_defaults(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s/data", dir);
	mkdir(cfg.data_dir, 0700);
	snprintf(uri, sizeof(uri), "sqlite:%s/epoxy.db", dir);
	ok(store_open(&srv.store, uri) == 0, "setup: store opens");
	if (!srv.store)
		exit(test_done());
	srv.cfg = &cfg;
	srv.keyset = &ks;
	ok(store_admin_issue(srv.store, "alice", admin_cred) == 0, "setup: admin credential");
	snprintf(auth_ok, sizeof(auth_ok), "Epoxy-Admin %s", admin_cred);
}

static void test_hosts(void)
{
	ok(req("POST", "/admin/v1/sites", "name=lab1&description=Lab+one%2C+rack+2") == 201 &&
	   strstr(ans.body, "description=Lab%20one%2C%20rack%202"), "site add: 201 (%s)", ans.body);
	ok(req("POST", "/admin/v1/sites", "name=empty") == 201, "site add: without description");
	ok(req("GET", "/admin/v1/sites", NULL) == 200 && strstr(ans.body, "name=lab1") &&
	   strstr(ans.body, "name=empty"), "site list");
	ok(req("DELETE", "/admin/v1/sites/empty", NULL) == 200, "site delete");
	ok(req("POST", "/admin/v1/hosts", "name=node1&hwclass=qemu-x86_64&macs=52:54:00:12:34:56&addrs=10.0.2.15&groups=canary&site=lab1") == 201,
	   "host add: 201 (%s)", ans.body);
	ok(strstr(ans.body, "name=node1&") && strstr(ans.body, "macs=52-54-00-12-34-56"),
	   "host add: answer is the host record with the canonical MAC");
	ok(req("POST", "/admin/v1/hosts", "name=node2&hwclass=qemu-x86_64") == 201, "host add: second host");
	ok(req("GET", "/admin/v1/hosts", NULL) == 200 && strstr(ans.body, "name=node1") &&
	   strstr(ans.body, "name=node2"), "host list: both hosts");
	ok(req("GET", "/admin/v1/hosts/node1", NULL) == 200 && strstr(ans.body, "channel=stable"),
	   "host show: default channel stable");
	ok(req("PATCH", "/admin/v1/hosts/node2", "channel=beta&reinstall=1&groups=canary,rack2") == 200 &&
	   strstr(ans.body, "channel=beta") && strstr(ans.body, "reinstall=1") &&
	   strstr(ans.body, "groups=canary%2Crack2"), "host update: fields changed (%s)", ans.body);
	ok(req("PATCH", "/admin/v1/hosts/node2", "site=") == 200 && strstr(ans.body, "site=&"),
	   "host update: empty value clears the site");
	ok(req("POST", "/admin/v1/hosts", "name=gone&hwclass=x") == 201 &&
	   req("DELETE", "/admin/v1/hosts/gone", NULL) == 200 &&
	   req("GET", "/admin/v1/hosts/gone", NULL) == 404, "host delete: gone afterwards");
}

static void test_credentials(void)
{
	char cred[65] = "", old[65];
	const char *p;
	int n0 = audit_count();

	ok(req("POST", "/admin/v1/hosts/node1/credential", "action=issue") == 200 && ans.secret,
	   "credential issue: 200, answer marked secret");
	p = strstr(ans.body, "credential=");
	if (p)
		snprintf(cred, sizeof(cred), "%.64s", p + 11);
	ok(strlen(cred) == 64 && store_cred_check(srv.store, "node1", cred) == -EPX_E_CRED_UNKNOWN,
	   "credential issue: the value handed out is pending, not yet the host's");
	{
		char form[128];

		snprintf(form, sizeof(form), "action=confirm&credential=%s", cred);
		ok(req("POST", "/admin/v1/hosts/node1/credential", form) == 200 &&
		   store_cred_check(srv.store, "node1", cred) == 0,
		   "credential confirm: now it is the host's credential");
		ok(req("POST", "/admin/v1/hosts/node1/credential", form) == 400 &&
		   strstr(ans.body, "EPOXY-E2024"), "credential confirm again: 400 EPOXY-E2024");
	}
	ok(req("POST", "/admin/v1/hosts/node1/credential", "action=issue") == 409 &&
	   strstr(ans.body, "EPOXY-E2507"), "credential issue again: 409 (use rotate)");
	memcpy(old, cred, sizeof(old));
	ok(req("POST", "/admin/v1/hosts/node1/credential", "action=rotate") == 200, "credential rotate: 200");
	p = strstr(ans.body, "credential=");
	if (p)
		snprintf(cred, sizeof(cred), "%.64s", p + 11);
	ok(strcmp(old, cred) && store_cred_check(srv.store, "node1", old) == 0,
	   "credential rotate: the old one works until the new one is confirmed");
	{
		char form[128];

		snprintf(form, sizeof(form), "action=confirm&credential=%s", cred);
		ok(req("POST", "/admin/v1/hosts/node1/credential", form) == 200, "rotate confirmed");
	}
	ok(store_cred_check(srv.store, "node1", cred) == 0 &&
	   store_cred_check(srv.store, "node1", old) == -EPX_E_CRED_BAD,
	   "credential rotate: new one works, old one refused");
	ok(req("POST", "/admin/v1/hosts/node1/credential", "action=revoke") == 200 && !ans.secret,
	   "credential revoke: 200");
	ok(store_cred_check(srv.store, "node1", cred) == -EPX_E_CRED_REVOKED, "credential revoke: refused afterwards");
	ok(req("GET", "/admin/v1/hosts/node1", NULL) == 200 && strstr(ans.body, "credential=revoked"),
	   "host show: credential state, not value");
	ok(req("POST", "/admin/v1/hosts/node1/credential", "action=issue") == 200, "credential issue after revoke: 200");
	ok(audit_count() >= n0 + 4, "credential: every change audited (%d -> %d)", n0, audit_count());
	{
		char *s = snapshot();

		ok(!strstr(s, cred) && !strstr(s, old), "credential: no live value in the audit log");
		free(s);
	}
}

static void test_tokens(void)
{
	char tok[65] = "";
	const char *p;

	ok(req("POST", "/admin/v1/hosts/node2/token", "ttl=600") == 200 && ans.secret,
	   "token issue: 200, secret (%s)", ans.status == 200 ? "" : ans.body);
	p = strstr(ans.body, "token=");
	if (p)
		snprintf(tok, sizeof(tok), "%.64s", p + 6);
	ok(strstr(ans.body, "ttl=600") != NULL, "token issue: ttl echoed");
	{
		char auth[100];

		snprintf(auth, sizeof(auth), "Bearer %s", tok);
		ok(req_full("GET", "/admin/v1/hosts", NULL, NULL, 0, auth, 1, -1) == 401,
		   "node token as Bearer: refused by the admin API");
		snprintf(auth, sizeof(auth), "Epoxy-Admin %s", tok);
		ok(req_full("GET", "/admin/v1/hosts", NULL, NULL, 0, auth, 1, -1) == 401,
		   "node token as admin credential: refused");
	}
	ok(store_boot_token_redeem(srv.store, tok, "node2", NULL) == 0, "token issue: redeemable once");
	ok(store_boot_token_redeem(srv.store, tok, "node2", NULL) == -EPX_E_TOK_USED, "token issue: not twice");
	ok(req("POST", "/admin/v1/hosts/node2/token", NULL) == 415, "token issue without form: 415");
	ok(req_full("POST", "/admin/v1/hosts/node2/token", FORM, "", 0, auth_ok, 1, -1) == 200,
	   "token issue: empty form uses the default ttl");
}

static void test_releases(void)
{
	static const int sig01[] = { 0, 1, FX_END };
	static struct rel r;
	int64_t now = store_now(srv.store);

	make_release(&r, 7, now + 86400, "qemu-x86_64", sig01);
	ok(publish(&r, OCTET) == 201, "publish: signed release accepted (%s)", ans.body);
	ok(strstr(ans.body, "version=7") && strstr(ans.body, "hwclass=qemu-x86_64"), "publish: answer names it");
	{
		uint8_t sum[32];
		char hex[65], obj[700];
		struct stat st;

		sha256_buf(art_data[0], strlen(art_data[0]), sum);
		hex_encode(sum, 32, hex);
		snprintf(obj, sizeof(obj), "%s/objects/%s", cfg.data_dir, hex);
		ok(stat(obj, &st) == 0 && (size_t)st.st_size == strlen(art_data[0]),
		   "publish: kernel stored under objects/<sha256>");
	}
	ok(publish(&r, OCTET) == 409, "publish: same version again refused (409)");
	ok(req("GET", "/admin/v1/releases", NULL) == 200 && strstr(ans.body, "version=7"), "release list");
	ok(req("POST", "/admin/v1/channels/stable", "version=7") == 200, "promote: stable -> 7");
	ok(req("POST", "/admin/v1/pins", "host=node1&version=7") == 200, "pin host");
	ok(req("GET", "/admin/v1/hosts/node1", NULL) == 200 && strstr(ans.body, "pin=7"), "pin host: visible on host");
	ok(req("POST", "/admin/v1/pins", "host=node1&version=0") == 200, "pin host: 0 removes");
	ok(req("POST", "/admin/v1/pins", "group=canary&channel=stable&version=7") == 200, "pin group");
	ok(req("POST", "/admin/v1/pins", "group=canary&version=0") == 200, "pin group: 0 removes");
}

static void test_views(void)
{
	char id[STORE_SESSION_HEX + 1];
	struct store_report rp;

	ok(store_session_open(srv.store, "node1", "0000000000000000000000000000000000000000000000000000000000000001",
			      7, "qemu-x86_64", id) == 0, "views: a session opened by the node side");
	memset(&rp, 0, sizeof(rp));
	snprintf(rp.host, sizeof(rp.host), "node1");
	snprintf(rp.session, sizeof(rp.session), "%s", id);
	snprintf(rp.stage, sizeof(rp.stage), "verify");
	snprintf(rp.status, sizeof(rp.status), "fail");
	snprintf(rp.code, sizeof(rp.code), "EPOXY-E1030");
	snprintf(rp.tail, sizeof(rp.tail), "line one\nEPOXY-E1030 artifact hash\n");
	rp.tail_len = strlen(rp.tail);
	ok(store_report_add(srv.store, &rp) == 0, "views: a failure report");
	ok(req("GET", "/admin/v1/sessions", NULL) == 200 && strstr(ans.body, id), "session list: the session");
	ok(req("GET", "/admin/v1/sessions?host=node2", NULL) == 200 && !strstr(ans.body, id),
	   "session list: filtered by host");
	ok(req("GET", "/admin/v1/hosts/node1/why", NULL) == 200 && strstr(ans.body, "type=host") &&
	   strstr(ans.body, "type=session") && strstr(ans.body, "code=EPOXY-E1030") &&
	   strstr(ans.body, "tail=line%20one%0AEPOXY") , "why: host, session, report with code and tail (%s)", ans.body);
	ok(req("GET", "/admin/v1/audit?limit=2", NULL) == 200, "audit list: 200");
	{
		int lines = 0;
		char *p;

		for (p = ans.body; (p = strchr(p, '\n')); p++)
			lines++;
		ok(lines == 2, "audit list: limit honoured (%d)", lines);
	}
	ok(strstr(ans.body, "actor=admin%3Aalice") || strstr(ans.body, "actor=ctl") || strstr(ans.body, "actor=admin:alice"),
	   "audit list: entries name the admin");
	ok(req("GET", "/admin/v1/audit/verify", NULL) == 200 && strstr(ans.body, "status=ok"), "audit verify: ok");
}

struct bad_case {
	const char *name;
	const char *method, *path, *ctype, *body;
	int status;
	const char *code;
};

#define LONG64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct bad_case bad_cases[] = {
	{ "unknown route", "GET", "/admin/v1/nothing", NULL, NULL, 404, "EPOXY-E2504" },
	{ "no version prefix", "GET", "/admin/hosts", NULL, NULL, 404, "EPOXY-E2504" },
	{ "empty path", "GET", "/admin/v1/", NULL, NULL, 404, "EPOXY-E2504" },
	{ "double slash", "GET", "/admin/v1//hosts", NULL, NULL, 404, "EPOXY-E2504" },
	{ "dot-dot segment", "GET", "/admin/v1/hosts/../audit", NULL, NULL, 404, "EPOXY-E2504" },
	{ "too many segments", "GET", "/admin/v1/hosts/node1/why/more/x", NULL, NULL, 404, "EPOXY-E2504" },
	{ "hosts: PUT", "PUT", "/admin/v1/hosts", FORM, "name=x&hwclass=y", 405, "EPOXY-E2503" },
	{ "hosts: DELETE all", "DELETE", "/admin/v1/hosts", NULL, NULL, 405, "EPOXY-E2503" },
	{ "host: POST", "POST", "/admin/v1/hosts/node1", FORM, "site=x", 405, "EPOXY-E2503" },
	{ "why: POST", "POST", "/admin/v1/hosts/node1/why", FORM, "", 405, "EPOXY-E2503" },
	{ "credential: GET", "GET", "/admin/v1/hosts/node1/credential", NULL, NULL, 405, "EPOXY-E2503" },
	{ "audit: POST", "POST", "/admin/v1/audit", FORM, "", 405, "EPOXY-E2503" },
	{ "add: JSON body", "POST", "/admin/v1/hosts", "application/json", "{\"name\":\"x\"}", 415, "EPOXY-E2514" },
	{ "add: no content type", "POST", "/admin/v1/hosts", "", "name=x&hwclass=y", 415, "EPOXY-E2514" },
	{ "add: form prefix ctype", "POST", "/admin/v1/hosts", "application/x-www-form-urlencodedX", "name=x&hwclass=y", 415, "EPOXY-E2514" },
	{ "add: malformed form", "POST", "/admin/v1/hosts", FORM, "name", 400, "EPOXY-E2501" },
	{ "add: bad escape", "POST", "/admin/v1/hosts", FORM, "name=%zz&hwclass=y", 400, "EPOXY-E2501" },
	{ "add: NUL escape", "POST", "/admin/v1/hosts", FORM, "name=a%00b&hwclass=y", 400, "EPOXY-E2501" },
	{ "add: duplicate field", "POST", "/admin/v1/hosts", FORM, "name=x&name=y&hwclass=z", 400, "EPOXY-E2501" },
	{ "add: unknown field", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&shell=1", 400, "EPOXY-E2509" },
	{ "add: read-only field", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&state=ok", 400, "EPOXY-E2509" },
	{ "add: missing name", "POST", "/admin/v1/hosts", FORM, "hwclass=y", 400, "EPOXY-E2510" },
	{ "add: missing hwclass", "POST", "/admin/v1/hosts", FORM, "name=x", 400, "EPOXY-E2510" },
	{ "add: name a;reboot", "POST", "/admin/v1/hosts", FORM, "name=a%3Breboot&hwclass=y", 400, "EPOXY-E2506" },
	{ "add: name ../x", "POST", "/admin/v1/hosts", FORM, "name=..%2Fx&hwclass=y", 400, "EPOXY-E2506" },
	{ "add: name $(reboot)", "POST", "/admin/v1/hosts", FORM, "name=%24(reboot)&hwclass=y", 400, "EPOXY-E2506" },
	{ "add: name with newline", "POST", "/admin/v1/hosts", FORM, "name=a%0Achain+x&hwclass=y", 400, "EPOXY-E2506" },
	{ "add: name uppercase", "POST", "/admin/v1/hosts", FORM, "name=Node1&hwclass=y", 400, "EPOXY-E2506" },
	{ "add: name empty", "POST", "/admin/v1/hosts", FORM, "name=&hwclass=y", 400, "EPOXY-E2506" },
	{ "add: name space", "POST", "/admin/v1/hosts", FORM, "name=a+b&hwclass=y", 400, "EPOXY-E2506" },
	{ "add: name 64 bytes", "POST", "/admin/v1/hosts", FORM, "name=" LONG64 "&hwclass=y", 400, "EPOXY-E2506" },
	{ "add: name very long", "POST", "/admin/v1/hosts", FORM, "name=" LONG64 LONG64 LONG64 LONG64 LONG64 "&hwclass=y", 400, "EPOXY-E2506" },
	{ "add: hwclass hostile", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=a%3Breboot", 400, "EPOXY-E2508" },
	{ "add: hwclass empty", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=", 400, "EPOXY-E2508" },
	{ "add: site hostile", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&site=..%2F", 400, "EPOXY-E2508" },
	{ "add: channel uppercase", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&channel=Beta", 400, "EPOXY-E2508" },
	{ "add: bad MAC", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&macs=zz", 400, "EPOXY-E2508" },
	{ "add: short MAC", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&macs=52:54:00", 400, "EPOXY-E2508" },
	{ "add: empty MAC in list", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&macs=52:54:00:00:00:01,,", 400, "EPOXY-E2508" },
	{ "add: 9 MACs", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&macs=52:54:00:00:00:01,52:54:00:00:00:02,52:54:00:00:00:03,52:54:00:00:00:04,52:54:00:00:00:05,52:54:00:00:00:06,52:54:00:00:00:07,52:54:00:00:00:08,52:54:00:00:00:09", 400, "EPOXY-E2508" },
	{ "add: MAC of node1", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&macs=52-54-00-12-34-56", 409, "EPOXY-E2048" },
	{ "add: address hostile", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&addrs=1.2.3.4;reboot", 400, "EPOXY-E2508" },
	{ "add: 5 addresses", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&addrs=1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5", 400, "EPOXY-E2508" },
	{ "add: group hostile", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&groups=a+b", 400, "EPOXY-E2508" },
	{ "add: pin negative", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&pin=-1", 400, "EPOXY-E2508" },
	{ "add: pin leading zero", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&pin=07", 400, "EPOXY-E2508" },
	{ "add: pin over u32", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&pin=4294967296", 400, "EPOXY-E2508" },
	{ "add: pin huge", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&pin=99999999999999999999999", 400, "EPOXY-E2508" },
	{ "add: reinstall 2", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&reinstall=2", 400, "EPOXY-E2508" },
	{ "add: existing host", "POST", "/admin/v1/hosts", FORM, "name=node1&hwclass=y", 409, "EPOXY-E2048" },
	{ "show: unknown host", "GET", "/admin/v1/hosts/nosuch", NULL, NULL, 404, "EPOXY-E2505" },
	{ "show: a;reboot", "GET", "/admin/v1/hosts/a;reboot", NULL, NULL, 400, "EPOXY-E2506" },
	{ "show: 128-byte name", "GET", "/admin/v1/hosts/" LONG64 LONG64, NULL, NULL, 400, "EPOXY-E2506" },
	{ "show: 129-byte segment", "GET", "/admin/v1/hosts/a" LONG64 LONG64, NULL, NULL, 404, "EPOXY-E2504" },
	{ "add: unknown site", "POST", "/admin/v1/hosts", FORM, "name=x&hwclass=y&site=nosuch", 400, "EPOXY-E2508" },
	{ "update: unknown host", "PATCH", "/admin/v1/hosts/nosuch", FORM, "site=x", 404, "EPOXY-E2505" },
	{ "update: nothing", "PATCH", "/admin/v1/hosts/node1", FORM, "", 400, "EPOXY-E2510" },
	{ "update: rename", "PATCH", "/admin/v1/hosts/node1", FORM, "name=other", 400, "EPOXY-E2509" },
	{ "update: bad MAC", "PATCH", "/admin/v1/hosts/node1", FORM, "macs=xx", 400, "EPOXY-E2508" },
	{ "update: MAC of another host", "PATCH", "/admin/v1/hosts/node2", FORM, "macs=52:54:00:12:34:56", 409, "EPOXY-E2048" },
	{ "delete: unknown host", "DELETE", "/admin/v1/hosts/nosuch", NULL, NULL, 404, "EPOXY-E2505" },
	{ "delete: hostile", "DELETE", "/admin/v1/hosts/..", NULL, NULL, 404, "EPOXY-E2504" },
	{ "credential: unknown host", "POST", "/admin/v1/hosts/nosuch/credential", FORM, "action=issue", 404, "EPOXY-E2505" },
	{ "credential: bad action", "POST", "/admin/v1/hosts/node2/credential", FORM, "action=print", 400, "EPOXY-E2508" },
	{ "credential: extra field", "POST", "/admin/v1/hosts/node2/credential", FORM, "action=issue&value=00", 400, "EPOXY-E2509" },
	{ "token: ttl 0", "POST", "/admin/v1/hosts/node2/token", FORM, "ttl=0", 400, "EPOXY-E2508" },
	{ "token: ttl too long", "POST", "/admin/v1/hosts/node2/token", FORM, "ttl=604801", 400, "EPOXY-E2508" },
	{ "token: ttl text", "POST", "/admin/v1/hosts/node2/token", FORM, "ttl=abc", 400, "EPOXY-E2508" },
	{ "token: unknown host", "POST", "/admin/v1/hosts/nosuch/token", FORM, "ttl=60", 404, "EPOXY-E2505" },
	{ "sessions: limit 0", "GET", "/admin/v1/sessions?limit=0", NULL, NULL, 400, "EPOXY-E2508" },
	{ "sessions: limit huge", "GET", "/admin/v1/sessions?limit=10001", NULL, NULL, 400, "EPOXY-E2508" },
	{ "sessions: hostile host", "GET", "/admin/v1/sessions?host=a%3Breboot", NULL, NULL, 400, "EPOXY-E2506" },
	{ "sessions: unknown query", "GET", "/admin/v1/sessions?sql=1", NULL, NULL, 400, "EPOXY-E2509" },
	{ "audit: after text", "GET", "/admin/v1/audit?after=x", NULL, NULL, 400, "EPOXY-E2508" },
	{ "audit: unknown query", "GET", "/admin/v1/audit?delete=1", NULL, NULL, 400, "EPOXY-E2509" },
	{ "site: duplicate", "POST", "/admin/v1/sites", FORM, "name=lab1", 409, "EPOXY-E2048" },
	{ "site: hostile name", "POST", "/admin/v1/sites", FORM, "name=a%3Bb", 400, "EPOXY-E2506" },
	{ "site: no name", "POST", "/admin/v1/sites", FORM, "description=x", 400, "EPOXY-E2510" },
	{ "site: control char", "POST", "/admin/v1/sites", FORM, "name=s2&description=a%0Ab", 400, "EPOXY-E2508" },
	{ "site: unknown field", "POST", "/admin/v1/sites", FORM, "name=s2&owner=x", 400, "EPOXY-E2509" },
	{ "site: delete in use", "DELETE", "/admin/v1/sites/lab1", NULL, NULL, 409, "EPOXY-E2050" },
	{ "site: delete unknown", "DELETE", "/admin/v1/sites/nosuch", NULL, NULL, 404, "EPOXY-E2504" },
	{ "site: PATCH", "PATCH", "/admin/v1/sites/lab1", FORM, "description=x", 405, "EPOXY-E2503" },
	{ "promote: no release", "POST", "/admin/v1/channels/stable", FORM, "version=99", 404, "EPOXY-E2511" },
	{ "promote: version 0", "POST", "/admin/v1/channels/stable", FORM, "version=0", 400, "EPOXY-E2508" },
	{ "promote: hostile channel", "POST", "/admin/v1/channels/a;b", FORM, "version=7", 400, "EPOXY-E2506" },
	{ "promote: no version", "POST", "/admin/v1/channels/stable", FORM, "", 400, "EPOXY-E2508" },
	{ "pin: host and group", "POST", "/admin/v1/pins", FORM, "host=node1&group=g&version=7", 400, "EPOXY-E2510" },
	{ "pin: neither", "POST", "/admin/v1/pins", FORM, "version=7", 400, "EPOXY-E2510" },
	{ "pin: unknown host", "POST", "/admin/v1/pins", FORM, "host=nosuch&version=7", 404, "EPOXY-E2505" },
	{ "pin: no release", "POST", "/admin/v1/pins", FORM, "host=node1&version=8", 404, "EPOXY-E2511" },
	{ "pin: hostile group", "POST", "/admin/v1/pins", FORM, "group=..%2Fx&version=7", 400, "EPOXY-E2506" },
	{ "pin: channel with host", "POST", "/admin/v1/pins", FORM, "host=node1&channel=beta&version=7", 400, "EPOXY-E2509" },
	{ "publish: form type", "POST", "/admin/v1/releases?manifest=10", FORM, "x=1", 415, "EPOXY-E2514" },
	{ "publish: no manifest length", "POST", "/admin/v1/releases", OCTET, "abc", 400, "EPOXY-E2508" },
	{ "publish: length beyond body", "POST", "/admin/v1/releases?manifest=100", OCTET, "abc", 400, "EPOXY-E2508" },
	{ "publish: garbage manifest", "POST", "/admin/v1/releases?manifest=3", OCTET, "abc", 400, "EPOXY-E1002" },
	{ "publish: unknown query", "POST", "/admin/v1/releases?manifest=3&force=1", OCTET, "abc", 400, "EPOXY-E2509" },
	{ "slivers: both filters", "GET", "/admin/v1/slivers?node=node1&slice=web", NULL, NULL, 400, "EPOXY-E2592" },
	{ "slivers: bad slice name", "GET", "/admin/v1/slivers?slice=Web", NULL, NULL, 400, "EPOXY-E2592" },
	{ "slivers: bad host name", "GET", "/admin/v1/slivers?node=..%2Fx", NULL, NULL, 400, "EPOXY-E2592" },
	{ "slivers: unknown host", "GET", "/admin/v1/slivers?node=nosuch", NULL, NULL, 404, "EPOXY-E2505" },
	{ "slivers: unknown query", "GET", "/admin/v1/slivers?site=lab1", NULL, NULL, 400, "EPOXY-E2509" },
	{ "slivers: POST", "POST", "/admin/v1/slivers", FORM, "node=node1", 405, "EPOXY-E2503" },
	{ "slivers: a sub-path", "GET", "/admin/v1/slivers/web", NULL, NULL, 404, "EPOXY-E2504" },
};

/* GET /admin/v1/slivers: node1's stored snapshot, with no slice given:
 * every reported sliver is "unassigned", absent values empty */
static void test_slivers(void)
{
	ok(store_usage_put(srv.store, "node1", 1700000000,
			   "usage 1 at=1700000000 net=off tk=-,-,-,4096,0,0") == 0,
	   "slivers: a snapshot stored for node1");
	ok(req("GET", "/admin/v1/slivers?node=node1", NULL) == 200 &&
	   !strncmp(ans.body, "node=node1&sliver=tk&state=unassigned&cpu_us=&mem_bytes=&tasks="
		    "&disk_bytes=4096&tx_bytes=0&rx_bytes=0&cpu_s=&net=off&at=1700000000&", 118),
	   "slivers: node1's ticket sliver, unassigned: %.160s", ans.body);
	ok(req("GET", "/admin/v1/slivers?slice=other", NULL) == 200 && ans.len == 0,
	   "slivers: --slice of a slice no node runs: no record");
}

static void test_bad_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		char *before = snapshot(), *after;
		int st = req_full(c->method, c->path, c->ctype, c->body,
				  c->body ? strlen(c->body) : 0, auth_ok, 1, -1);

		after = snapshot();
		ok(st == c->status && !strncmp(ans.body, c->code, strlen(c->code)),
		   "refused: %s -> %d %.60s", c->name, st, ans.body);
		ok(!strcmp(before, after), "refused: %s: store unchanged", c->name);
		free(before);
		free(after);
	}
}

struct auth_case {
	const char *name, *auth;
	int tls;
};

/* A stranger guessing credentials: after ADMIN_FAIL_MAX (10) refusals in a
 * minute, 429 without a store lookup (so no audit growth); others unaffected. */
static void test_throttle(void)
{
	char wrong[100], peer_ok[] = "127.0.0.1";
	int i, st = 0, n0, n1;

	snprintf(wrong, sizeof(wrong), "Epoxy-Admin %064d", 7);
	n0 = audit_count();
	for (i = 0; i < 10; i++)
		st = req_peer("192.0.2.7", wrong);
	n1 = audit_count();
	/* audited twice: the address's first refusal and its lock-out (issue
	 * 13: a stranger's cost to the audit log is bounded) */
	ok(st == 401 && n1 == n0 + 2, "throttle: 10 refusals answered 401, audited twice (%d)", n1 - n0);
	ok(req_peer("192.0.2.7", wrong) == 429 && !strncmp(ans.body, "EPOXY-E2500", 11),
	   "throttle: the 11th within a minute gets 429");
	ok(audit_count() == n1, "throttle: a throttled attempt does not touch the store");
	ok(req_peer("192.0.2.7", auth_ok) == 429, "throttle: even a right credential waits from that address");
	ok(req_peer(peer_ok, auth_ok) == 200, "throttle: other addresses unaffected");
	/* counted over this window and the one before: at most two windows */
	srv.clock_offset += 121;
	ok(req_peer("192.0.2.7", auth_ok) == 200, "throttle: over after two windows");
	srv.clock_offset -= 121;
}

static void test_auth(void)
{
	char wrong[120], upper[80], longer[110];
	size_t i;
	struct auth_case cases[] = {
		{ "no Authorization", "", 1 },
		{ "Basic scheme", "Basic YWRtaW46YWRtaW4=", 1 },
		{ "Bearer with the admin credential", NULL, 1 },
		{ "wrong credential", wrong, 1 },
		{ "63 hex digits", NULL, 1 },
		{ "65 hex digits", longer, 1 },
		{ "non-hex", "Epoxy-Admin zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 1 },
		{ "scheme without space", NULL, 1 },
		{ "right credential on plain HTTP", auth_ok, 0 },
	};
	char bearer[100], short63[100], nospace[100];

	snprintf(wrong, sizeof(wrong), "Epoxy-Admin %064d", 0);
	snprintf(bearer, sizeof(bearer), "Bearer %s", admin_cred);
	snprintf(short63, sizeof(short63), "Epoxy-Admin %.63s", admin_cred);
	snprintf(longer, sizeof(longer), "Epoxy-Admin %s0", admin_cred);
	snprintf(nospace, sizeof(nospace), "Epoxy-Admin%s", admin_cred);
	cases[2].auth = bearer;
	cases[4].auth = short63;
	cases[7].auth = nospace;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the store audits refused admin credentials: compare the rest */
		char *before = snapshot_x(0), *after;
		int st = req_full("POST", "/admin/v1/hosts", FORM, "name=intruder&hwclass=y",
				  23, cases[i].auth, cases[i].tls, -1);

		after = snapshot_x(0);
		ok(st == 401 && !strncmp(ans.body, "EPOXY-E2500", 11), "auth: %s -> 401 (%d)", cases[i].name, st);
		ok(!strcmp(before, after), "auth: %s: store unchanged", cases[i].name);
		free(before);
		free(after);
	}
	for (i = 0; i < strlen(admin_cred); i++)
		upper[i] = (char)(admin_cred[i] >= 'a' ? admin_cred[i] - 32 : admin_cred[i]);
	upper[i] = '\0';
	snprintf(wrong, sizeof(wrong), "Epoxy-Admin %s", upper);
	/* from its own address: a refusal counts toward that address's lockout */
	ok(req_peer("192.0.2.9", wrong) == 401,
	   "auth: upper-case hex refused (one spelling, as node credentials)");
	ok(store_admin_revoke(srv.store, "alice") == 0 &&
	   req_full("GET", "/admin/v1/hosts", NULL, NULL, 0, auth_ok, 1, -1) == 401,
	   "auth: revoked admin credential refused");
	ok(store_admin_issue(srv.store, "alice", admin_cred) == 0, "auth: re-issued");
	snprintf(auth_ok, sizeof(auth_ok), "Epoxy-Admin %s", admin_cred);
	test_throttle();
}

static void test_bad_releases(void)
{
	static const int sig0[] = { 0, FX_END }, sig01[] = { 0, 1, FX_END };
	static const int sig00[] = { 0, 0, FX_END }, sig3[] = { 3, 3, FX_END };
	static struct rel r;
	int64_t now = store_now(srv.store);
	struct {
		const char *name;
		int status;
		const char *code;
	} exp[] = {
		{ "one signature of threshold 2", 400, "EPOXY-E1013" },
		{ "one key twice", 400, "EPOXY-E101" },
		{ "online key, not a release key", 400, "EPOXY-E101" },
		{ "expired manifest", 400, "EPOXY-E1020" },
		{ "tampered kernel byte", 400, "EPOXY-E1030" },
		{ "artifact one byte short", 400, "EPOXY-E1031" },
		{ "artifact one byte extra", 400, "EPOXY-E1031" },
		{ "flipped manifest byte", 400, "EPOXY-E10" },
		{ "wrong content type", 415, "EPOXY-E2514" },
		{ "manifest length one short", 400, "EPOXY-E10" },
	};
	size_t i;

	for (i = 0; i < sizeof(exp) / sizeof(exp[0]); i++) {
		char *before, *after, path[64];
		int st;

		make_release(&r, 20 + (uint32_t)i, now + 3600, "qemu-x86_64",
			     i == 0 ? sig0 : i == 1 ? sig00 : i == 2 ? sig3 : sig01);
		if (i == 3)
			make_release(&r, 20 + (uint32_t)i, now - 1, "qemu-x86_64", sig01);
		before = snapshot();
		if (i == 4)
			r.body[r.mlen + 3] ^= 1;
		if (i == 5)
			r.len--;
		if (i == 6)
			r.body[r.len++] = 'x';
		if (i == 7)
			r.body[20] ^= 1;
		if (i == 9)
			r.mlen--;
		snprintf(path, sizeof(path), "/admin/v1/releases?manifest=%zu", r.mlen);
		st = req_full("POST", path, i == 8 ? "text/plain" : OCTET, r.body, r.len, auth_ok, 1, -1);
		after = snapshot();
		ok(st == exp[i].status && !strncmp(ans.body, exp[i].code, strlen(exp[i].code)),
		   "publish refused: %s -> %d %.70s", exp[i].name, st, ans.body);
		ok(!strcmp(before, after), "publish refused: %s: store and objects unchanged", exp[i].name);
		free(before);
		free(after);
	}
	/* a spooled (large) upload arrives as a file descriptor */
	make_release(&r, 30, now + 3600, "qemu-x86_64", sig01);
	{
		char tmpl[128];
		int fd;

		snprintf(tmpl, sizeof(tmpl), "%s/spool-XXXXXX", dir);
		fd = mkstemp(tmpl);
		ok(fd >= 0 && write(fd, r.body, r.len) == (ssize_t)r.len, "spool: body written");
		unlink(tmpl);
		snprintf(tmpl, sizeof(tmpl), "/admin/v1/releases?manifest=%zu", r.mlen);
		ok(req_full("POST", tmpl, OCTET, NULL, 0, auth_ok, 1, fd) == 201,
		   "publish from a spooled body: 201 (%s)", ans.body);
		ok(req_full("POST", "/admin/v1/hosts", FORM, NULL, 0, auth_ok, 1, fd) == 413,
		   "spooled body on a form route: 413");
		close(fd);
	}
}

int main(void)
{
	char cmd[128];

	setup();
	test_hosts();
	test_credentials();
	test_tokens();
	test_releases();
	test_views();
	test_auth();
	test_bad_table();
	test_slivers();
	test_bad_releases();
	ok(req("GET", "/admin/v1/audit/verify", NULL) == 200, "audit verify: still ok after everything");
	store_close(srv.store);
	fx_free(&fx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return test_done();
}
