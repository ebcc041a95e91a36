/* fuzz_request: epoxyd's router and node endpoints (server/http.c,
 * server/node.c) in process, against a real SQLite store in a temporary
 * directory with a registered host, a published release and its objects,
 * and a real online key.
 *
 * Input layout (so that mutations reach every endpoint):
 *   byte 0   method (mod 7)
 *   byte 1   bit 0: TLS listener; bit 1: replace the Authorization with a
 *            fresh valid token of purpose byte 2 (mod 7) of a fresh session;
 *            bit 2: use the host's real credential in a "credential=" body
 *   byte 2   token purpose selector
 *   lines    path, query, User-Agent, Content-Type, Range, Authorization
 *   rest     body
 * Whatever the input: an answer with a status, no crash, leak or
 * out-of-bounds access (ASan/UBSan), and every 4xx/5xx body starts with a
 * stable "EPOXY-E" code, but for the status page's login form (text/html,
 * server/page.c), which names its code (resp.code) in the page. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/manifest.h"
#include "lib/sign.h"
#include "server/config.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/storm.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static struct srv fz_srv;
static struct config fz_cfg;
static char fz_dir[64];
static char fz_cred[STORE_TOKEN_HEX + 1];
static const char *const fz_purposes[] = { "manifest", "kernel", "initramfs", "cmdline",
					   "join", "joincred", "report" };

static void fz_cleanup(void)
{
	char cmd[128];

	store_close(fz_srv.store);
	sign_free(fz_srv.online);
	storm_free(fz_srv.storm);
	metrics_free(fz_srv.metrics);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fz_dir);
	if (system(cmd))
		fprintf(stderr, "fuzz_request: cannot remove %s\n", fz_dir);
}

static void fz_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

static void fz_release(void)
{
	static const char *const art[] = { "kernel-bytes", "initramfs-bytes", "quiet", "#!/bin/sh\n" };
	struct store_release r;
	struct manifest m;
	char path[256], buf[4096];
	size_t len = 0;
	int i;

	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	snprintf(r.hwclass, sizeof(r.hwclass), "qemu-x86_64");
	snprintf(m.hwclass, sizeof(m.hwclass), "qemu-x86_64");
	r.version = m.version = 7;
	r.expires = m.expires = 4000000000LL;
	m.min_agent = 1;
	for (i = 0; i < STORE_ROLES; i++) {
		snprintf(path, sizeof(path), "%s/art%d", fz_dir, i);
		fz_file(path, art[i]);
		if (store_object_put(fz_cfg.data_dir, path, r.art[i].sha256, &r.art[i].length))
			abort();
		m.art[i].length = r.art[i].length;
		hex_decode(r.art[i].sha256, 64, m.art[i].sha256, 32);
	}
	if (manifest_format(&m, buf, sizeof(buf), &len) ||
	    store_release_publish(fz_srv.store, &r, (const uint8_t *)buf, len) ||
	    store_channel_set(fz_srv.store, "stable", 7))
		abort();
}

static void fz_init(void)
{
	struct storm_limits lim = { 4, 4, 1000000, 1000000, 64, 5, 60 };
	struct store_host h;
	char uri[128], path[128];

	snprintf(fz_dir, sizeof(fz_dir), "%s/epoxy-fuzz-request-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(fz_dir))
		abort();
	config_defaults(&fz_cfg);
	snprintf(fz_cfg.data_dir, sizeof(fz_cfg.data_dir), "%s/data", fz_dir);
	snprintf(fz_cfg.boot_dir, sizeof(fz_cfg.boot_dir), "%s/boot", fz_dir);
	snprintf(fz_cfg.boot_url, sizeof(fz_cfg.boot_url), "http://10.0.2.100:8080");
	mkdir(fz_cfg.data_dir, 0700);
	mkdir(fz_cfg.boot_dir, 0700);
	snprintf(path, sizeof(path), "%s/stage1", fz_cfg.boot_dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/stage1/cmdline", fz_cfg.boot_dir);
	fz_file(path, "console=ttyS0 epoxy.stage=1\n");
	snprintf(path, sizeof(path), "%s/stage0.efi", fz_cfg.boot_dir);
	fz_file(path, "MZ");
	snprintf(uri, sizeof(uri), "sqlite:%s/epoxy.db", fz_dir);
	if (store_open(&fz_srv.store, uri))
		abort();
	snprintf(path, sizeof(path), "%s/online.key", fz_dir);
	if (sign_generate(path) || sign_load(&fz_srv.online, path))
		abort();
	if (storm_new(&fz_srv.storm, &lim) || metrics_new(&fz_srv.metrics))
		abort();
	fz_srv.cfg = &fz_cfg;
	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "node1");
	snprintf(h.hwclass, sizeof(h.hwclass), "qemu-x86_64");
	snprintf(h.channel, sizeof(h.channel), "stable");
	snprintf(h.macs[0], sizeof(h.macs[0]), "52-54-00-12-34-56");
	h.n_macs = 1;
	if (store_host_add(fz_srv.store, &h) || store_cred_issue(fz_srv.store, "node1", fz_cred))
		abort();
	fz_release();
	atexit(fz_cleanup);
}

static size_t fz_line(const uint8_t **d, size_t *n, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < *n && (*d)[i] != '\n'; i++)
		if (o < cap - 1)
			out[o++] = (char)(*d)[i];
	out[o] = '\0';
	*d += i < *n ? i + 1 : i;
	*n -= i < *n ? i + 1 : i;
	return o;
}

/* a fresh session and a token of the chosen purpose */
static void fz_token(uint8_t sel, char *auth, size_t cap)
{
	char sid[STORE_SESSION_HEX + 1], tok[STORE_TOKEN_HEX + 1];
	static const char nonce[] = "abababababababababababababababababababababababababababababababab";

	if (store_session_open(fz_srv.store, "node1", nonce, 7, "qemu-x86_64", sid) ||
	    store_token_issue(fz_srv.store, "node1", sid, fz_purposes[sel % 7], 300, tok))
		abort();
	snprintf(auth, cap, "Bearer %s", tok);
}

/* A refusal carries its code: first in a text answer, or, in the status
 * page's HTML, as "EPOXY-E<resp.code>" somewhere in the page. */
static int fz_coded(const struct http_resp *r)
{
	char code[16];

	if (r->kind != HTTP_BODY_MEM || r->len < 11)
		return 0;
	if (!memcmp(r->body, "EPOXY-E", 7))
		return 1;
	if (strncmp(r->content_type, "text/html", 9) || !r->code)
		return 0;
	snprintf(code, sizeof(code), "EPOXY-E%04d", r->code);
	return memmem(r->body, r->len, code, strlen(code)) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const enum http_method methods[] = { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT,
						    HTTP_DELETE, HTTP_PATCH, HTTP_OTHER };
	static struct http_req req;
	static char query[8192];
	struct http_resp resp;
	uint8_t flags, sel;
	uint8_t *body = NULL;
	int nq;

	if (!fz_srv.store)
		fz_init();
	if (n < 3)
		return 0;
	http_req_init(&req);
	req.method = methods[d[0] % 7];
	flags = d[1];
	sel = d[2];
	d += 3;
	n -= 3;
	req.tls = flags & 1;
	snprintf(req.peer_str, sizeof(req.peer_str), "127.0.0.1");
	fz_line(&d, &n, req.path, sizeof(req.path));
	nq = (int)fz_line(&d, &n, query, sizeof(query));
	http_req_query(&req, query, (size_t)nq);
	fz_line(&d, &n, req.user_agent, sizeof(req.user_agent));
	fz_line(&d, &n, req.content_type, sizeof(req.content_type));
	fz_line(&d, &n, req.range, sizeof(req.range));
	fz_line(&d, &n, req.authorization, sizeof(req.authorization));
	if (flags & 2)
		fz_token(sel, req.authorization, sizeof(req.authorization));
	if (n > HTTP_BODY_MAX)
		n = HTTP_BODY_MAX;
	if (flags & 4) {
		/* the session form with the real credential, fuzzed tail */
		body = malloc(n + 256);
		int m = snprintf((char *)body, 256, "credential=%s&", fz_cred);

		memcpy(body + m, d, n);
		req.body = body;
		req.body_len = (size_t)m + n;
	} else {
		body = malloc(n ? n : 1);
		memcpy(body, d, n);
		req.body = body;
		req.body_len = n;
	}
	http_resp_init(&resp);
	http_dispatch(&fz_srv, &req, &resp);
	if (resp.status < 200 || resp.status > 599)
		abort();
	if (resp.status >= 400 && !fz_coded(&resp))
		abort();
	http_resp_free(&resp);
	http_req_free(&req);
	free(body);
	return 0;
}
