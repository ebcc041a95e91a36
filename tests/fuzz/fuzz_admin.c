/* fuzz_admin: the admin API request handler (server/admin.c) in process,
 * against a real SQLite store in a temporary directory and a real keyset.
 *
 * Input layout (so that mutations reach every route):
 *   byte 0      method (mod 7) | 0x80: use the fuzzed Authorization below
 *   byte 1      content type selector (mod 4)
 *   line        path (with optional ?query), up to '\n'
 *   line        Authorization value if flagged (else a valid admin one)
 *   rest        body
 * Whatever the input, the handler must answer with a status and never crash,
 * leak or read out of bounds (ASan/UBSan). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/keyset.h"
#include "server/admin.h"
#include "server/config.h"
#include "server/http.h"
#include "store/store.h"
#include "tests/keys/fixture.h"

static struct srv fz_srv;
static struct config fz_cfg;
static struct keyset fz_ks;
static struct fx fz_fx;
static char fz_auth[100];
static char fz_dir[] = "/tmp/epoxy-fuzz-admin-XXXXXX";

static void fz_cleanup(void)
{
	char cmd[128];

	store_close(fz_srv.store);
	fx_free(&fz_fx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fz_dir);
	if (system(cmd))
		fprintf(stderr, "fuzz_admin: cannot remove %s\n", fz_dir);
}

static void fz_init(void)
{
	static const int rel[] = { 0, 1, FX_END }, none[] = { FX_END }, sig[] = { 0, 1, FX_END };
	char *dir = fz_dir, uri[128], ks[DOC_MAX_BYTES];
	char cred[STORE_TOKEN_HEX + 1];
	size_t kslen;

	if (!mkdtemp(dir))
		abort();
	fx_init(&fz_fx, 3);
	kslen = fx_keyset(&fz_fx, ks, sizeof(ks), 1, 2, rel, 2, none, sig);
	if (keyset_load_root(&fz_ks, ks, kslen))
		abort();
	config_defaults(&fz_cfg);
	snprintf(fz_cfg.data_dir, sizeof(fz_cfg.data_dir), "%s/data", dir);
	mkdir(fz_cfg.data_dir, 0700);
	snprintf(uri, sizeof(uri), "sqlite:%s/epoxy.db", dir);
	if (store_open(&fz_srv.store, uri))
		abort();
	/* durability is not under test here: keep the fuzzer fast */
	fz_srv.cfg = &fz_cfg;
	fz_srv.keyset = &fz_ks;
	if (store_admin_issue(fz_srv.store, "fuzz", cred))
		abort();
	snprintf(fz_auth, sizeof(fz_auth), "Epoxy-Admin %s", cred);
	store_site_add(fz_srv.store, "lab1", "fuzz");
	atexit(fz_cleanup);
}

static size_t fz_line(const uint8_t *d, size_t n, char *out, size_t cap)
{
	size_t i;

	for (i = 0; i < n && d[i] != '\n'; i++)
		if (i < cap - 1)
			out[i] = (char)d[i];
	out[i < cap - 1 ? i : cap - 1] = '\0';
	return i < n ? i + 1 : i;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctypes[] = {
		"application/x-www-form-urlencoded", "application/octet-stream",
		"text/plain", "",
	};
	static int inited;
	struct http_req *req;
	struct http_resp resp;
	char path[HTTP_PATH_MAX + 1 + 1024], *q;
	size_t off = 2;

	if (!inited) {
		fz_init();
		inited = 1;
	}
	if (size < 2)
		return 0;
	req = calloc(1, sizeof(*req));
	if (!req)
		return 0;
	http_req_init(req);
	req->method = (enum http_method)(data[0] & 0x7f) % 7;
	snprintf(req->content_type, sizeof(req->content_type), "%s", ctypes[data[1] % 4]);
	off += fz_line(data + off, size - off, path, sizeof(path));
	q = strchr(path, '?');
	if (q) {
		*q++ = '\0';
		http_req_query(req, q, strlen(q));
	}
	snprintf(req->path, sizeof(req->path), "%s", path);
	/* fuzzed credentials come from another address than the valid one, so
	 * the refused-credential throttle never hides the routes from the fuzzer */
	if (data[0] & 0x80) {
		off += fz_line(data + off, size - off, req->authorization,
			       sizeof(req->authorization));
		snprintf(req->peer_str, sizeof(req->peer_str), "192.0.2.66");
	} else {
		snprintf(req->authorization, sizeof(req->authorization), "%s", fz_auth);
		snprintf(req->peer_str, sizeof(req->peer_str), "127.0.0.1");
	}
	req->body = data + off;
	req->body_len = size - off;
	req->body_fd = -1;
	req->tls = 1;
	http_resp_init(&resp);
	if (admin_handle(&fz_srv, req, &resp) == 0 && resp.status < 200)
		abort(); /* every answer has a status */
	http_resp_free(&resp);
	http_req_free(req);
	free(req);
	return 0;
}
