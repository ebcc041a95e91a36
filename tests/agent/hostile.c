/* hostile: a small HTTPS server that plays epoxyd for the agent's loopback
 * tests, honestly or with one chosen misbehaviour, and the fixture tool
 * that makes its keys and signed documents.
 *
 *   hostile keygen DIR          release-{1,2,3}.key, online.key, keyset
 *                               (threshold 2, self-signed by all three)
 *   hostile manifest DIR OUT VERSION EXPIRES HWCLASS KERNEL INITRAMFS
 *                   CMDLINE JOIN [NKEYS]   a manifest signed by NKEYS keys
 *   hostile serve PORT CERT KEY DIR [FAULT...]
 *
 * It speaks the agent's side of docs/protocol.md with the dev CA, so the
 * only difference between a passing and a failing test is the fault:
 *   flip:WHAT:OFF   flip one byte of the manifest or an artifact
 *   long:ROLE       chunked body with 1000 bytes more than the file
 *   liecl:ROLE      Content-Length 100 below the bytes sent
 *   bigcl:ROLE      Content-Length 100 above the file (then close)
 *   trickle:ROLE    10 bytes every 500 ms
 *   cut:ROLE:OFF    first request: close after OFF bytes (resume test)
 *   mix:ROLE:FILE   serve FILE (another release's artifact) for ROLE
 *   manifest:FILE   serve FILE as the manifest, statement names it
 *   stmtmf:FILE     statement names FILE, the normal manifest is served
 *   stalenonce      statement carries a nonce the agent never sent
 *   otherhost       statement for host "other-node"
 *   record:FILE / replay:FILE  save / replay a whole session answer
 *   busy:N          answer the first N session requests 503
 *   time:T          statement time T (unix seconds)
 *   noresume        no Epoxy-Next-Token headers
 *   keepalive       answers say "Connection: keep-alive" and the connection
 *                   serves requests until the client closes it; each
 *                   closed connection is logged with its request count
 *   kaclose:N       keepalive, but the server closes every connection
 *                   after N requests without saying so
 *   kadrop:N        keepalive, but the N-th request of a connection is
 *                   read and the connection closed without an answer
 *                   (once)
 *
 *   hostile proxy PORT CERT KEY UPSTREAM_PORT CA [FAULT...]
 * terminates TLS like serve, forwards each request to the real epoxyd on
 * 127.0.0.1:UPSTREAM_PORT (TLS, CA, name epoxy.test) and applies the
 * faults to its real answers (flip, long, liecl, trickle, cut, record,
 * replay), plus reqsub:FROM>TO (same length), which rewrites the request
 * once.
 * Reports are appended to DIR/reports; the join credential is DIR/joincred.
 * Test tool only: never installed, never linked into a product. */
#include <errno.h>
#include <strings.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>

#include "lib/doc.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/manifest.h"
#include "lib/rand.h"
#include "lib/sign.h"
#include "lib/statement.h"

#define H_MAX_FILE (512u << 20)
#define H_REQ_MAX 16384

static void die(const char *msg)
{
	fprintf(stderr, "hostile: %s\n", msg);
	exit(2);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || (size_t)n > H_MAX_FILE)
		die("file too big");
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("read");
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f))
		die("write");
}

/* ------------------------------------------------------------ fixtures */

static struct sign_key *load_key(const char *dir, const char *name)
{
	struct sign_key *k;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (sign_load(&k, path) < 0)
		die("cannot load key");
	return k;
}

static int cmd_keygen(const char *dir)
{
	static const char *const names[] = { "release-1.key", "release-2.key",
					     "release-3.key", "online.key" };
	struct sign_key *k[4];
	struct sig_pub pub;
	char path[512], body[4096], out[DOC_MAX_BYTES], kid[17], ph[131];
	size_t n, outlen;
	int i;

	mkdir(dir, 0700);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
		if (sign_generate(path) < 0)
			die("keygen");
		k[i] = load_key(dir, names[i]);
	}
	n = (size_t)snprintf(body, sizeof(body), "epoxy-keyset 1\nserial 1\nthreshold 2\n");
	for (i = 0; i < 4; i++) {
		sign_pub(k[i], &pub);
		hex_encode(pub.keyid, 8, kid);
		hex_encode(pub.point, 65, ph);
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s %s %s\n",
				      i < 3 ? "release" : "online", kid, ph);
	}
	n += (size_t)snprintf(body + n, sizeof(body) - n, "end\n");
	memcpy(out, body, n);
	outlen = n;
	for (i = 0; i < 3; i++)
		if (sign_doc_append(k[i], body, n, out, sizeof(out), &outlen) < 0)
			die("sign keyset");
	snprintf(path, sizeof(path), "%s/keyset", dir);
	spit(path, out, outlen);
	for (i = 0; i < 4; i++)
		sign_free(k[i]);
	return 0;
}

static void hash_file(const char *path, struct manifest_artifact *a)
{
	size_t n;
	char *b = slurp(path, &n);

	if (!b)
		die("artifact missing");
	a->length = n;
	mbedtls_sha256_ret((const unsigned char *)b, n, a->sha256, 0);
	free(b);
}

static int cmd_manifest(int argc, char **argv)
{
	struct manifest m;
	char out[DOC_MAX_BYTES], body[DOC_MAX_BYTES], kn[32];
	size_t blen, outlen;
	int i, nkeys = argc > 11 ? atoi(argv[11]) : 2;

	memset(&m, 0, sizeof(m));
	m.version = (uint32_t)strtoul(argv[4], NULL, 10);
	m.expires = strtoll(argv[5], NULL, 10);
	snprintf(m.hwclass, sizeof(m.hwclass), "%s", argv[6]);
	m.min_agent = 1;
	for (i = 0; i < MANIFEST_NROLES; i++)
		hash_file(argv[7 + i], &m.art[i]);
	if (manifest_format(&m, body, sizeof(body), &blen) < 0)
		die("manifest_format");
	memcpy(out, body, blen);
	outlen = blen;
	for (i = 1; i <= nkeys; i++) {
		struct sign_key *k;

		snprintf(kn, sizeof(kn), "release-%d.key", i);
		k = load_key(argv[2], kn);
		if (sign_doc_append(k, body, blen, out, sizeof(out), &outlen) < 0)
			die("sign manifest");
		sign_free(k);
	}
	spit(argv[3], out, outlen);
	return 0;
}

/* ------------------------------------------------------------ server */

struct srv {
	const char *dir;
	char **faults;
	int nfaults;
	int busy_left, cut_done, nreq, proxy;
	int ka, conn_reqs, drop_done;   /* keepalive, kaclose, kadrop */
	int close_now;                  /* the answer was cut short: close */
	struct sign_key *online;
	mbedtls_ssl_context *ssl;
};

static const char *fault(struct srv *s, const char *name, const char *role)
{
	size_t nl = strlen(name);
	int i;

	for (i = 0; i < s->nfaults; i++) {
		const char *f = s->faults[i];

		if (strncmp(f, name, nl) != 0 || (f[nl] != ':' && f[nl] != 0))
			continue;
		if (!role)
			return f[nl] ? f + nl + 1 : "";
		if (f[nl] == ':' && strncmp(f + nl + 1, role, strlen(role)) == 0 &&
		    (f[nl + 1 + strlen(role)] == ':' || f[nl + 1 + strlen(role)] == 0))
			return f[nl + 1 + strlen(role)] ? f + nl + 2 + strlen(role) : "";
	}
	return NULL;
}

static int tx(struct srv *s, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n > 0) {
		int r = mbedtls_ssl_write(s->ssl, b, n);

		if (r == MBEDTLS_ERR_SSL_WANT_WRITE || r == MBEDTLS_ERR_SSL_WANT_READ)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int txf(struct srv *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int txf(struct srv *s, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (s->ka) {    /* the same answers, kept open */
		char ka[sizeof(buf) + 16], *c = strstr(buf, "Connection: close\r\n");

		if (c) {
			n = snprintf(ka, sizeof(ka), "%.*sConnection: keep-alive\r\n%s",
				     (int)(c - buf), buf, c + 19);
			return tx(s, ka, (size_t)n);
		}
	}
	return tx(s, buf, (size_t)n);
}

static void next_token_hdr(struct srv *s, char *out, size_t cap)
{
	uint8_t t[32];
	char h[65];

	out[0] = 0;
	if (fault(s, "noresume", NULL))
		return;
	rand_bytes(t, 32);
	hex_encode(t, 32, h);
	snprintf(out, cap, "Epoxy-Next-Token: %s\r\n", h);
}

static void reply_text(struct srv *s, int code, const char *text)
{
	txf(s, "HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n%s", code, strlen(text), text);
}

static const char *form_get(const char *body, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = body;

	while (p && *p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, "&");

			if (n >= cap)
				n = cap - 1;
			memcpy(out, p + kl + 1, n);
			out[n] = 0;
			return out;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return NULL;
}

static char *manifest_file(struct srv *s, const char *which, size_t *len)
{
	char path[512];
	const char *f = fault(s, which, NULL);

	if (f)
		return slurp(f, len);
	snprintf(path, sizeof(path), "%s/manifest", s->dir);
	return slurp(path, len);
}

static void do_session(struct srv *s, const char *body)
{
	static char out[32768];
	struct statement st;
	struct manifest m;
	char host[80], nonce[80], tokens[1024], stmt[DOC_MAX_BYTES], *mf;
	const char *f;
	size_t mlen, slen, n = 0;
	uint8_t t[32], mh[32];
	char th[65], sid[17];
	int i;

	if (s->busy_left > 0) {
		s->busy_left--;
		txf(s, "HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Length: 29\r\n"
		    "Connection: close\r\n\r\nEPOXY-E2999 server overloaded");
		return;
	}
	if ((f = fault(s, "replay", NULL))) {
		mf = slurp(f, &mlen);
		if (!mf)
			die("replay file");
		txf(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", mlen);
		tx(s, mf, mlen);
		free(mf);
		return;
	}
	if (!form_get(body, "host", host, sizeof(host)) ||
	    !form_get(body, "nonce", nonce, sizeof(nonce)) || strlen(nonce) != 64 ||
	    (!strstr(body, "credential=") && !strstr(body, "token="))) {
		reply_text(s, 400, "EPOXY-E2100 bad session request\n");
		return;
	}
	mf = manifest_file(s, fault(s, "stmtmf", NULL) ? "stmtmf" : "manifest", &mlen);
	if (!mf || manifest_parse(&m, mf, mlen) < 0)
		die("fixture manifest does not parse");
	mbedtls_sha256_ret((unsigned char *)mf, mlen, mh, 0);
	free(mf);
	memset(&st, 0, sizeof(st));
	snprintf(st.host, sizeof(st.host), "%.63s", fault(s, "otherhost", NULL) ? "other-node" : host);
	rand_bytes(st.session, 8);
	if (fault(s, "stalenonce", NULL))
		rand_bytes(st.nonce, 32);
	else
		hex_decode(nonce, 64, st.nonce, 32);
	memcpy(st.manifest, mh, 32);
	st.version = m.version;
	st.time = fault(s, "time", NULL) ? strtoll(fault(s, "time", NULL), NULL, 10)
					   : (int64_t)time(NULL);
	st.expires = st.time + 600;
	if (statement_format(&st, stmt, sizeof(stmt), &slen) < 0 ||
	    sign_doc_append(s->online, stmt, slen, stmt, sizeof(stmt), &slen) < 0)
		die("statement");
	hex_encode(st.session, 8, sid);
	tokens[0] = 0;
	for (i = 0; i < 7; i++) {
		static const char *const p[] = { "manifest", "kernel", "initramfs",
						 "cmdline", "join", "joincred", "report" };

		rand_bytes(t, 32);
		hex_encode(t, 32, th);
		n += (size_t)snprintf(tokens + n, sizeof(tokens) - n, "token %s %s\n", p[i], th);
	}
	n = (size_t)snprintf(out, sizeof(out), "epoxy-session 1\nsession %s\nrelease %u\n%send\n",
			     sid, m.version, tokens);
	memcpy(out + n, stmt, slen);
	n += slen;
	if ((f = fault(s, "record", NULL)))
		spit(f, out, n);
	txf(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", n);
	tx(s, out, n);
}

static void send_body(struct srv *s, const char *role, const char *b, size_t n,
		      size_t from)
{
	char nt[128], hdr[512];
	const char *f;
	size_t i;

	next_token_hdr(s, nt, sizeof(nt));
	if (fault(s, "long", role)) {
		static char extra[1000];

		txf(s, "HTTP/1.1 200 OK\r\n%sTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", nt);
		txf(s, "%zx\r\n", n);
		tx(s, b, n);
		txf(s, "\r\n%zx\r\n", sizeof(extra));
		tx(s, extra, sizeof(extra));
		txf(s, "\r\n0\r\n\r\n");
		return;
	}
	if (from)
		snprintf(hdr, sizeof(hdr), "HTTP/1.1 206 Partial\r\n%sContent-Range: bytes %zu-%zu/%zu\r\n",
			 nt, from, n - 1, n);
	else
		snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n%s", nt);
	if (fault(s, "liecl", role))
		txf(s, "%sContent-Length: %zu\r\nConnection: close\r\n\r\n", hdr, n - from - 100);
	else if (fault(s, "bigcl", role) && (s->close_now = 1))
		txf(s, "%sContent-Length: %zu\r\nConnection: close\r\n\r\n", hdr, n - from + 100);
	else
		txf(s, "%sContent-Length: %zu\r\nConnection: close\r\n\r\n", hdr, n - from);
	if (fault(s, "trickle", role)) {
		for (i = from; i < n; i += 10) {
			if (tx(s, b + i, n - i < 10 ? n - i : 10) < 0)
				return;
			usleep(500000);
		}
		return;
	}
	if ((f = fault(s, "cut", role)) && !s->cut_done) {
		size_t off = strtoul(f, NULL, 10);

		s->cut_done = 1;
		s->close_now = 1;
		tx(s, b + from, off < n - from ? off : n - from);
		return;
	}
	tx(s, b + from, n - from);
}

static void do_file(struct srv *s, const char *role, const char *range)
{
	char path[512], *b;
	const char *f;
	size_t n, from = 0;

	if (strcmp(role, "manifest") == 0)
		b = manifest_file(s, "manifest", &n);
	else if ((f = fault(s, "mix", role)))
		b = slurp(f, &n);
	else {
		snprintf(path, sizeof(path), "%s/%s", s->dir, role);
		b = slurp(path, &n);
	}
	if (!b) {
		reply_text(s, 404, "EPOXY-E2404 no such artifact\n");
		return;
	}
	if ((f = fault(s, "flip", role)) && strtoul(f, NULL, 10) < n)
		b[strtoul(f, NULL, 10)] ^= 0x01;
	if (range && sscanf(range, "bytes=%zu-", &from) == 1 && from >= n) {
		reply_text(s, 416, "EPOXY-E2416 range\n");
		free(b);
		return;
	}
	send_body(s, role, b, n, from);
	free(b);
}

static void do_report(struct srv *s, const char *body)
{
	char path[512], nt[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/reports", s->dir);
	f = fopen(path, "a");
	if (f) {
		fprintf(f, "%s\n", body);
		fclose(f);
	}
	next_token_hdr(s, nt, sizeof(nt));
	txf(s, "HTTP/1.1 204 No Content\r\n%s%sConnection: close\r\n\r\n",
	    strstr(body, "status=fail") ? nt : "", "");
}

static void proxy_one(struct srv *s, char *req, size_t len);

/* Reads one request; dispatches it.  0: answered; -1: nothing (more) to
 * read, or dropped. */
static int serve_one(struct srv *s)
{
	static char req[H_REQ_MAX + 1];
	char method[16], path[256], *hend, *cl, *range;
	size_t len = 0, want;
	int r;

	for (;;) {
		r = mbedtls_ssl_read(s->ssl, (unsigned char *)req + len, H_REQ_MAX - len);
		if (r == MBEDTLS_ERR_SSL_WANT_READ)
			continue;
		if (r <= 0)
			return -1;
		len += (size_t)r;
		req[len] = 0;
		if ((hend = strstr(req, "\r\n\r\n")))
			break;
		if (len == H_REQ_MAX)
			return -1;
	}
	cl = strcasestr(req, "\r\nContent-Length: ");
	want = (size_t)(hend + 4 - req) + (cl && cl < hend ? strtoul(cl + 18, NULL, 10) : 0);
	while (len < want && len < H_REQ_MAX) {
		r = mbedtls_ssl_read(s->ssl, (unsigned char *)req + len, H_REQ_MAX - len);
		if (r <= 0)
			return -1;
		len += (size_t)r;
		req[len] = 0;
	}
	if (s->proxy) {
		proxy_one(s, req, len);
		return 0;
	}
	if (fault(s, "kadrop", NULL) && !s->drop_done &&
	    s->conn_reqs + 1 == atoi(fault(s, "kadrop", NULL))) {
		s->drop_done = 1;
		fprintf(stderr, "hostile: dropped request %d of a connection\n", s->conn_reqs + 1);
		return -1;
	}
	if (sscanf(req, "%15s %255s", method, path) != 2)
		return -1;
	if (!strcasestr(req, "\r\nAuthorization: Bearer ") &&
	    strcmp(path, "/v1/session") != 0) {
		reply_text(s, 401, "EPOXY-E2001 token missing\n");
		return 0;
	}
	range = strcasestr(req, "\r\nRange: ");
	if (range && range < hend) {
		range += 9;
	} else {
		range = NULL;
	}
	s->nreq++;
	if (strcmp(path, "/v1/session") == 0)
		do_session(s, hend + 4);
	else if (strcmp(path, "/v1/manifest") == 0)
		do_file(s, "manifest", NULL);
	else if (strncmp(path, "/v1/artifact/", 13) == 0)
		do_file(s, path + 13, range);
	else if (strcmp(path, "/v1/joincred") == 0)
		do_file(s, "joincred", NULL);
	else if (strcmp(path, "/v1/report") == 0)
		do_report(s, hend + 4);
	else
		reply_text(s, 404, "EPOXY-E2404 not found\n");
	return 0;
}

/* ------------------------------------------------------------ proxy */

struct proxy {
	const char *upstream_port, *ca;
	mbedtls_ctr_drbg_context *drbg;
};

static struct proxy px;

/* Sends req to epoxyd; returns the whole answer (until EOF) in *out. */
static int upstream(const char *req, size_t len, char **out, size_t *olen)
{
	mbedtls_net_context net;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
	mbedtls_x509_crt ca;
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	int r, rc = -1;

	mbedtls_net_init(&net);
	mbedtls_ssl_config_init(&conf);
	mbedtls_ssl_init(&ssl);
	mbedtls_x509_crt_init(&ca);
	if (mbedtls_x509_crt_parse_file(&ca, px.ca) ||
	    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT,
					MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT))
		goto out;
	mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, px.drbg);
	if (mbedtls_net_connect(&net, "127.0.0.1", px.upstream_port, MBEDTLS_NET_PROTO_TCP) ||
	    mbedtls_ssl_setup(&ssl, &conf) || mbedtls_ssl_set_hostname(&ssl, "epoxy.test"))
		goto out;
	mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, NULL);
	if (mbedtls_ssl_handshake(&ssl))
		goto out;
	for (size_t off = 0; off < len; off += (size_t)r)
		if ((r = mbedtls_ssl_write(&ssl, (const unsigned char *)req + off, len - off)) <= 0)
			goto out;
	for (;;) {
		if (n == cap) {
			if (cap >= H_MAX_FILE)
				goto out;
			cap *= 2;
			buf = realloc(buf, cap);
		}
		r = mbedtls_ssl_read(&ssl, (unsigned char *)buf + n, cap - n);
		if (r == MBEDTLS_ERR_SSL_WANT_READ)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*olen = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	mbedtls_ssl_free(&ssl);
	mbedtls_ssl_config_free(&conf);
	mbedtls_x509_crt_free(&ca);
	mbedtls_net_free(&net);
	return rc;
}

/* Relays epoxyd's answer, with the faults for role applied. */
static void proxy_answer(struct srv *s, const char *role, char *ans, size_t n)
{
	char *hend = memmem(ans, n, "\r\n\r\n", 4), *line, *next, keep[4096], *body;
	const char *f;
	size_t blen, kl = 0, i;

	if (!hend) {
		tx(s, ans, n);
		return;
	}
	body = hend + 4;
	blen = (size_t)(ans + n - body);
	*hend = 0;
	/* keep the status line and every header but the framing ones */
	for (line = ans; line; line = next) {
		next = strstr(line, "\r\n");
		if (next) {
			*next = 0;
			next += 2;
		}
		if (line != ans && (!strncasecmp(line, "Content-Length:", 15) ||
				    !strncasecmp(line, "Transfer-Encoding:", 18) ||
				    !strncasecmp(line, "Connection:", 11)))
			continue;
		kl += (size_t)snprintf(keep + kl, sizeof(keep) - kl, "%s\r\n", line);
	}
	if ((f = fault(s, "record", role)))
		spit(f, body, blen);
	if ((f = fault(s, "flip", role)) && strtoul(f, NULL, 10) < blen)
		body[strtoul(f, NULL, 10)] ^= 0x01;
	if (fault(s, "long", role)) {
		static char extra[1000];

		txf(s, "%sTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n%zx\r\n", keep, blen);
		tx(s, body, blen);
		txf(s, "\r\n%zx\r\n", sizeof(extra));
		tx(s, extra, sizeof(extra));
		txf(s, "\r\n0\r\n\r\n");
		return;
	}
	txf(s, "%sContent-Length: %zu\r\nConnection: close\r\n\r\n", keep,
	    fault(s, "liecl", role) && blen > 100 ? blen - 100 : blen);
	if (fault(s, "trickle", role)) {
		for (i = 0; i < blen; i += 10) {
			if (tx(s, body + i, blen - i < 10 ? blen - i : 10) < 0)
				return;
			usleep(500000);
		}
		return;
	}
	if ((f = fault(s, "cut", role)) && !s->cut_done) {
		s->cut_done = 1;
		tx(s, body, strtoul(f, NULL, 10) < blen ? strtoul(f, NULL, 10) : blen);
		return;
	}
	tx(s, body, blen);
}

/* Forwards one request (rewritten by reqsub) and relays the answer. */
static void proxy_one(struct srv *s, char *req, size_t len)
{
	char method[16], path[256], *ans = NULL, *p, rew[H_REQ_MAX + 256];
	const char *role, *f;
	size_t alen;

	if (sscanf(req, "%15s %255s", method, path) != 2)
		return;
	role = !strcmp(path, "/v1/session") ? "session" :
	       !strcmp(path, "/v1/manifest") ? "manifest" :
	       !strncmp(path, "/v1/artifact/", 13) ? path + 13 : "other";
	if (!strcmp(role, "session") && (f = fault(s, "replay", NULL))) {
		ans = slurp(f, &alen);
		if (ans)
			txf(s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n", alen);
		if (ans)
			tx(s, ans, alen);
		free(ans);
		return;
	}
	/* reqsub:FROM>TO, each once, same length so Content-Length stays right */
	memcpy(rew, req, len);
	for (int i = 0; i < s->nfaults; i++) {
		const char *eq;
		size_t fl;

		f = s->faults[i];
		if (strncmp(f, "reqsub:", 7) != 0 || !(eq = strchr(f + 7, '>')))
			continue;
		fl = (size_t)(eq - (f + 7));
		if (strlen(eq + 1) == fl && (p = memmem(rew, len, f + 7, fl)))
			memcpy(p, eq + 1, fl);
	}
	/* upstream() reads epoxyd's answer until the stream ends: ask it to
	 * close (the client's own connection to us closes after each answer) */
	if ((p = memmem(rew, len, "\r\nConnection: keep-alive\r\n", 26))) {
		memcpy(p + 14, "close\r\n", 7);
		memmove(p + 21, p + 26, len - (size_t)(p + 26 - rew));
		len -= 5;
	}
	req = rew;
	if (upstream(req, len, &ans, &alen) < 0) {
		reply_text(s, 502, "EPOXY-E2999 upstream\n");
		return;
	}
	proxy_answer(s, role, ans, alen);
	free(ans);
}

static int cmd_serve(int argc, char **argv) __attribute__((noreturn));
static int cmd_serve(int argc, char **argv)
{
	mbedtls_net_context lis, cli;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_context ssl;
	struct srv s;

	signal(SIGPIPE, SIG_IGN);
	memset(&s, 0, sizeof(s));
	if (strcmp(argv[1], "proxy") == 0) {
		s.proxy = 1;
		px.upstream_port = argv[5];
		px.ca = argv[6];
		px.drbg = &drbg;
		s.faults = argv + 7;
		s.nfaults = argc - 7;
	} else {
		s.dir = argv[5];
		s.faults = argv + 6;
		s.nfaults = argc - 6;
		s.online = load_key(s.dir, "online.key");
	}
	if (fault(&s, "busy", NULL))
		s.busy_left = atoi(fault(&s, "busy", NULL));
	s.ka = fault(&s, "keepalive", NULL) || fault(&s, "kaclose", NULL) ||
	       fault(&s, "kadrop", NULL);
	mbedtls_net_init(&lis);
	mbedtls_ssl_config_init(&conf);
	mbedtls_x509_crt_init(&crt);
	mbedtls_pk_init(&pk);
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0) ||
	    mbedtls_x509_crt_parse_file(&crt, argv[3]) ||
	    mbedtls_pk_parse_keyfile(&pk, argv[4], NULL) ||
	    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER,
					MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT) ||
	    mbedtls_ssl_conf_own_cert(&conf, &crt, &pk))
		die("TLS set-up");
	mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
	if (mbedtls_net_bind(&lis, "127.0.0.1", argv[2], MBEDTLS_NET_PROTO_TCP))
		die("bind");
	fprintf(stderr, "hostile: listening on 127.0.0.1:%s\n", argv[2]);
	for (;;) {
		mbedtls_net_init(&cli);
		if (mbedtls_net_accept(&lis, &cli, NULL, 0, NULL))
			continue;
		mbedtls_ssl_init(&ssl);
		s.ssl = &ssl;
		if (mbedtls_ssl_setup(&ssl, &conf) == 0) {
			mbedtls_ssl_set_bio(&ssl, &cli, mbedtls_net_send, mbedtls_net_recv, NULL);
			if (mbedtls_ssl_handshake(&ssl) == 0) {
				int every = fault(&s, "kaclose", NULL) ?
					atoi(fault(&s, "kaclose", NULL)) : 0;

				s.conn_reqs = 0;
				s.close_now = 0;
				while (serve_one(&s) == 0) {
					s.conn_reqs++;
					if (!s.ka || s.close_now ||
					    (every > 0 && s.conn_reqs % every == 0))
						break;
				}
				if (s.ka)
					fprintf(stderr, "hostile: connection closed after %d requests\n",
						s.conn_reqs);
				mbedtls_ssl_close_notify(&ssl);
			}
		}
		mbedtls_ssl_free(&ssl);
		mbedtls_net_free(&cli);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argv[2]);
	if ((argc == 11 || argc == 12) && strcmp(argv[1], "manifest") == 0)
		return cmd_manifest(argc, argv);
	if (argc >= 6 && strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc, argv);
	if (argc >= 7 && strcmp(argv[1], "proxy") == 0)
		return cmd_serve(argc, argv);
	fprintf(stderr, "usage: hostile keygen DIR | manifest DIR OUT VERSION EXPIRES "
		"HWCLASS KERNEL INITRAMFS CMDLINE JOIN [NKEYS] | serve PORT CERT KEY DIR [FAULT...] | "
		"proxy PORT CERT KEY UPSTREAM_PORT CA [FAULT...]\n");
	return 2;
}
