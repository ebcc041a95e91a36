/* Table tests of net/'s client certificate (mutual TLS) and retry policy.
 *
 * A throw-away CA, a server certificate for "epoxy.test", a client
 * certificate of that CA, one of another CA, and a key of neither are made
 * by the openssl CLI in a temporary directory.  An in-process mbedTLS
 * server on loopback requires a client certificate of the CA and answers
 * each request with the subject of the certificate it saw, so a pass means
 * the certificate really went over the wire through https_do().  The
 * order of the offered cipher suites (tls_suites_order) is a table of its
 * own. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "lib/err.h"
#include "net/https.h"
#include "net/retry.h"
#include "net/tls.h"
#include "tests/test.h"

static char tnt_dir[] = "/tmp/epoxy-test-net.XXXXXX";
static char tnt_path_buf[512];

static const char *tnt_path(const char *name)
{
	snprintf(tnt_path_buf, sizeof(tnt_path_buf), "%s/%s", tnt_dir, name);
	return tnt_path_buf;
}

/* openssl: CA, server (SAN epoxy.test), client of the CA, client of a
 * rogue CA, and a stray key. */
static int tnt_make_pki(void)
{
	char cmd[4096];
	static const char script[] =
		"set -e; cd '%s'; exec >log 2>&1\n"
		"key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out \"$1\"; }\n"
		"ca() { key $1.key; openssl req -x509 -new -key $1.key -subj /CN=$1 -days 2 -out $1.pem; }\n"
		"leaf() { key $1.key; openssl req -new -key $1.key -subj /CN=$1 -out $1.csr;\n"
		"  printf 'subjectAltName=DNS:%%s\\n' $1 >$1.ext;\n"
		"  openssl x509 -req -in $1.csr -CA $2.pem -CAkey $2.key -CAcreateserial -days 2 -extfile $1.ext -out $1.pem; }\n"
		"ca ca; ca rogue; leaf epoxy.test ca; leaf node1 ca; leaf node2 rogue; key stray.key\n";

	if (!mkdtemp(tnt_dir))
		return -1;
	snprintf(cmd, sizeof(cmd), script, tnt_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- server */
struct tnt_srv {
	mbedtls_net_context listen;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca, crt;
	mbedtls_pk_context key;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	uint16_t port;
	int conns;              /* connections to serve before the thread ends */
};

static int tnt_srv_answer(mbedtls_ssl_context *ssl)
{
	char req[2048], dn[256], resp[512];
	const mbedtls_x509_crt *peer;
	size_t len = 0;
	int r, n;

	while (len < sizeof(req) - 1) {
		r = mbedtls_ssl_read(ssl, (unsigned char *)req + len, sizeof(req) - 1 - len);
		if (r <= 0)
			return -1;
		len += (size_t)r;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	peer = mbedtls_ssl_get_peer_cert(ssl);
	if (!peer || mbedtls_x509_dn_gets(dn, sizeof(dn), &peer->subject) < 0)
		snprintf(dn, sizeof(dn), "none");
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     strlen(dn), dn);
	return mbedtls_ssl_write(ssl, (unsigned char *)resp, (size_t)n) == n ? 0 : -1;
}

static void *tnt_srv_run(void *arg)
{
	struct tnt_srv *s = arg;
	int i;

	for (i = 0; i < s->conns; i++) {
		mbedtls_net_context c;
		mbedtls_ssl_context ssl;

		mbedtls_net_init(&c);
		mbedtls_ssl_init(&ssl);
		if (mbedtls_net_accept(&s->listen, &c, NULL, 0, NULL) == 0 &&
		    mbedtls_ssl_setup(&ssl, &s->conf) == 0) {
			mbedtls_ssl_set_bio(&ssl, &c, mbedtls_net_send, mbedtls_net_recv, NULL);
			if (mbedtls_ssl_handshake(&ssl) == 0 && tnt_srv_answer(&ssl) == 0)
				mbedtls_ssl_close_notify(&ssl);
		}
		mbedtls_ssl_free(&ssl);
		mbedtls_net_free(&c);
	}
	return NULL;
}

static int tnt_srv_init(struct tnt_srv *s)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	mbedtls_net_init(&s->listen);
	mbedtls_ssl_config_init(&s->conf);
	mbedtls_x509_crt_init(&s->ca);
	mbedtls_x509_crt_init(&s->crt);
	mbedtls_pk_init(&s->key);
	mbedtls_entropy_init(&s->ent);
	mbedtls_ctr_drbg_init(&s->drbg);
	if (mbedtls_x509_crt_parse_file(&s->ca, tnt_path("ca.pem")) ||
	    mbedtls_x509_crt_parse_file(&s->crt, tnt_path("epoxy.test.pem")) ||
	    mbedtls_pk_parse_keyfile(&s->key, tnt_path("epoxy.test.key"), NULL) ||
	    mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->ent, NULL, 0) ||
	    mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_SERVER,
					MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT) ||
	    mbedtls_ssl_conf_own_cert(&s->conf, &s->crt, &s->key) ||
	    mbedtls_net_bind(&s->listen, "127.0.0.1", "0", MBEDTLS_NET_PROTO_TCP) ||
	    getsockname(s->listen.fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
	mbedtls_ssl_conf_ca_chain(&s->conf, &s->ca, NULL);
	mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	s->port = ntohs(sa.sin_port);
	return 0;
}

static void tnt_srv_free(struct tnt_srv *s)
{
	mbedtls_net_free(&s->listen);
	mbedtls_ssl_config_free(&s->conf);
	mbedtls_x509_crt_free(&s->ca);
	mbedtls_x509_crt_free(&s->crt);
	mbedtls_pk_free(&s->key);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->ent);
}

/* ---------------------------------------------------------------- client */
/* One GET through https_do with crt/key as the client certificate (NULL:
 * none); the subject the server saw lands in seen. */
static int tnt_get(uint16_t port, const char *crt, const char *key,
		   char *seen, size_t cap)
{
	struct https h = { .addr = "127.0.0.1", .port = port, .name = "epoxy.test",
			   .user_agent = "test-net" };
	struct https_buf out = { seen, cap - 1, 0 };
	struct https_req r;
	struct https_resp resp;
	char *c = NULL, *k = NULL;
	size_t cn = 0, kn = 0;
	int rc;

	rc = tls_ctx_init(&h.tls, tnt_path("ca.pem"));
	if (rc < 0)
		return rc;
	if (crt) {
		c = test_slurp(tnt_path(crt), &cn);
		k = test_slurp(tnt_path(key), &kn);
		rc = tls_ctx_own_cert(&h.tls, (uint8_t *)c, cn, (uint8_t *)k, kn);
		free(c);
		free(k);
		if (rc < 0)
			goto out;
	}
	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.path = "/whoami";
	r.body_max = cap - 1;
	r.deadline = tls_now_ms() + 10000;
	r.on_data = https_buf_data;
	r.ctx = &out;
	rc = https_do(&h, &r, &resp);
	seen[out.len] = '\0';
out:
	tls_ctx_free(&h.tls);
	return rc;
}

/* tls_ctx_own_cert() over files of the PKI (or literal bytes). */
static int tnt_own(const char *crt, const char *key)
{
	struct tls_ctx t;
	char *c, *k;
	size_t cn, kn;
	int rc = tls_ctx_init(&t, tnt_path("ca.pem"));

	if (rc < 0)
		return rc;
	c = test_slurp(tnt_path(crt), &cn);
	k = test_slurp(tnt_path(key), &kn);
	rc = tls_ctx_own_cert(&t, (uint8_t *)c, cn, (uint8_t *)k, kn);
	free(c);
	free(k);
	tls_ctx_free(&t);
	return rc;
}

static void tnt_mutual(void)
{
	static const struct {
		const char *crt, *key, *what;
		int ok;
		const char *seen;
	} cases[] = {
		{ "node1.pem", "node1.key", "client certificate of the pinned CA", 1, "CN=node1" },
		{ NULL, NULL, "no client certificate: refused", 0, NULL },
		{ "node2.pem", "node2.key", "client certificate of another CA: refused", 0, NULL },
		{ "node1.pem", "node1.key", "again after refusals", 1, "CN=node1" },
	};
	struct tnt_srv s;
	pthread_t th;
	char seen[256];
	size_t i;
	int rc;

	if (tnt_srv_init(&s) < 0) {
		ok(0, "in-process TLS server starts");
		return;
	}
	s.conns = (int)(sizeof(cases) / sizeof(cases[0]));
	pthread_create(&th, NULL, tnt_srv_run, &s);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		seen[0] = '\0';
		rc = tnt_get(s.port, cases[i].crt, cases[i].key, seen, sizeof(seen));
		if (cases[i].ok)
			ok(rc == 0 && strcmp(seen, cases[i].seen) == 0,
			   "%s (rc %d, server saw \"%s\")", cases[i].what, rc, seen);
		else
			ok(rc == -EPX_E_TLS_HANDSHAKE || rc == -EPX_E_TLS_IO,
			   "%s (rc %d)", cases[i].what, rc);
	}
	pthread_join(th, NULL);
	tnt_srv_free(&s);
}

static void tnt_own_cert(void)
{
	static const struct {
		const char *crt, *key, *what;
		int rc;
	} cases[] = {
		{ "node1.pem", "node1.key", "certificate with its key", 0 },
		{ "node1.pem", "stray.key", "key of another certificate", -EPX_E_TLS_OWNCERT },
		{ "node1.pem", "node1.pem", "certificate given as key", -EPX_E_TLS_OWNCERT },
		{ "node1.key", "node1.key", "key given as certificate", -EPX_E_TLS_OWNCERT },
		{ "log", "node1.key", "not PEM", -EPX_E_TLS_OWNCERT },
	};
	static uint8_t big[TLS_OWN_MAX + 1];
	struct tls_ctx t;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = tnt_own(cases[i].crt, cases[i].key);

		ok(rc == cases[i].rc, "own cert: %s -> %d", cases[i].what, rc);
	}
	memset(big, 'A', sizeof(big));
	ok(tls_ctx_init(&t, tnt_path("ca.pem")) == 0 &&
	   tls_ctx_own_cert(&t, big, sizeof(big), big, 10) == -EPX_E_TLS_OWNCERT &&
	   tls_ctx_own_cert(&t, big, 0, big, 0) == -EPX_E_TLS_OWNCERT,
	   "own cert: over TLS_OWN_MAX or empty refused");
	tls_ctx_free(&t);
}

/* ---------------------------------------------------------------- retry */
static int tnt_waits;
static int64_t tnt_last_away;

static void tnt_on_wait(int64_t away_s, unsigned wait_s)
{
	tnt_waits++;
	tnt_last_away = away_s;
}

static void tnt_retry(void)
{
	static const struct {
		int rc, waited;
	} cases[] = {
		{ -EPX_E_NET_CONNECT, 1 }, { -EPX_E_TLS_HANDSHAKE, 1 },
		{ -EPX_E_TLS_IO, 1 }, { -EPX_E_HTTP_TRUNC, 1 },
		{ -EPX_E_HTTP_DEADLINE, 1 }, { -EPX_E_HTTP_BUSY, 1 },
		{ -EPX_E_HTTP_AUTH, 0 }, { -EPX_E_TLS_VERIFY, 0 },
		{ -EPX_E_HTTP_LENGTH, 0 }, { -EPX_E_HTTP_CODE, 0 },
	};
	struct retry_opts o = { .retries = 3, .backoff_ms = 2, .server_wait_s = 60,
				.on_wait = tnt_on_wait };
	int64_t since;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		since = -1;
		tnt_waits = 0;
		r = retry_outage(&o, &since, cases[i].rc, 0, -1);
		ok(r == cases[i].waited && tnt_waits == cases[i].waited &&
		   (since >= 0) == cases[i].waited,
		   "outage: rc %d waited %d", cases[i].rc, r);
	}
	since = tls_now_ms() - 61000;
	tnt_waits = 0;
	ok(retry_outage(&o, &since, -EPX_E_NET_CONNECT, 0, -1) == 0 && tnt_waits == 0,
	   "outage: longer than server_wait_s stops waiting");
	since = tls_now_ms() - 5000;
	ok(retry_outage(&o, &since, -EPX_E_HTTP_BUSY, 1, -1) == 1 &&
	   tnt_last_away == 5, "outage: on_wait told the seconds away");
	o.on_wait = NULL;
	ok(retry_outage(&o, &since, -EPX_E_TLS_IO, 0, -1) == 1,
	   "outage: no on_wait, still waits quietly");
	ok(retry_outage(&o, &since, -EPX_E_HTTP_AUTH, 0, -1) == 0 && since == -1,
	   "outage: a refusal resets the clock");
}

/* retry_delay_ms: [d/2, d] for d = base doubled per attempt up to cap;
 * 200 draws each, and the draws must not all be equal (jitter) */
static void tnt_delay(void)
{
	static const struct {
		unsigned base, attempt;
		uint64_t cap, d;
	} cases[] = {
		{ 20000, 0, 320000, 20000 }, { 20000, 1, 320000, 40000 },
		{ 20000, 3, 320000, 160000 }, { 20000, 4, 320000, 320000 },
		{ 20000, 5, 320000, 320000 }, { 20000, 1000, 320000, 320000 },
		{ 1000, 2, 30000, 4000 }, { 3000, 4, 30000, 30000 },
		{ 7, 3, 50, 50 }, { 0, 5, 100, 0 }, { 1, 0, 100, 1 },
		{ 5000, 0, 1000, 1000 },                /* cap below the base */
		{ 4000000000u, 200, UINT64_MAX, UINT64_MAX / 2 + 1 },
	};
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t lo = cases[i].d / 2, hi = cases[i].d, first = 0, v;
		int inside = 1, varied = 0;

		/* (the no-doubling-past-overflow case: the largest power of two
		 * times base below 2^64, whatever it is, halved at least) */
		if (cases[i].cap == UINT64_MAX)
			lo = UINT64_MAX / 4, hi = UINT64_MAX;
		for (k = 0; k < 200; k++) {
			v = retry_delay_ms(cases[i].base, cases[i].attempt, cases[i].cap);
			if (v < lo || v > hi)
				inside = 0;
			if (k == 0)
				first = v;
			else if (v != first)
				varied = 1;
		}
		ok(inside && (varied || hi - lo < 2),
		   "delay: base %u attempt %u cap %llu within [%llu, %llu], jittered",
		   cases[i].base, cases[i].attempt, (unsigned long long)cases[i].cap,
		   (unsigned long long)lo, (unsigned long long)hi);
	}
}

/* tls_suites_order: AES-GCM or ChaCha20-Poly1305 first, every suite kept,
 * each group in its order; a list that does not fit is refused. */
#define TNT_GCM256 MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
#define TNT_GCM128 MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
#define TNT_CHACHA MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
#define TNT_CHACHA2 MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
#define TNT_CBC MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
static void tnt_suites(void)
{
	static const struct {
		const char *what;
		int in[8];
		int aes_fast;
		size_t cap;
		int rc;
		int out[8];
	} cases[] = {
		{ "empty list", { 0 }, 1, 8, 0, { 0 } },
		{ "empty list, no room even for the 0", { 0 }, 1, 0, -1, { 0 } },
		{ "ChaCha first in, AES-NI: GCM first out",
		  { TNT_CHACHA, TNT_CHACHA2, TNT_GCM256, TNT_GCM128, TNT_CBC, 0 }, 1, 8, 5,
		  { TNT_GCM256, TNT_GCM128, TNT_CHACHA, TNT_CHACHA2, TNT_CBC, 0 } },
		{ "ChaCha first in, no AES-NI: unchanged",
		  { TNT_CHACHA, TNT_CHACHA2, TNT_GCM256, TNT_GCM128, TNT_CBC, 0 }, 0, 8, 5,
		  { TNT_CHACHA, TNT_CHACHA2, TNT_GCM256, TNT_GCM128, TNT_CBC, 0 } },
		{ "GCM first in, no AES-NI: ChaCha first out",
		  { TNT_GCM128, TNT_CBC, TNT_GCM256, TNT_CHACHA2, 0 }, 0, 8, 4,
		  { TNT_CHACHA2, TNT_GCM128, TNT_GCM256, TNT_CBC, 0 } },
		{ "the rest after both, in its order",
		  { TNT_CBC, TNT_CHACHA, TNT_GCM256, 0 }, 1, 8, 3,
		  { TNT_GCM256, TNT_CHACHA, TNT_CBC, 0 } },
		{ "no AEAD suite: unchanged", { TNT_CBC, 0 }, 1, 8, 1, { TNT_CBC, 0 } },
		{ "an ID mbedTLS does not know: kept with the rest",
		  { 0x7777, TNT_GCM256, 0 }, 1, 8, 2, { TNT_GCM256, 0x7777, 0 } },
		{ "exactly fits (3 suites and the 0 in 4)",
		  { TNT_CBC, TNT_CHACHA, TNT_GCM256, 0 }, 0, 4, 3,
		  { TNT_CHACHA, TNT_GCM256, TNT_CBC, 0 } },
		{ "one short: refused, out untouched",
		  { TNT_CBC, TNT_CHACHA, TNT_GCM256, 0 }, 0, 3, -1, { 0 } },
	};
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int out[8], rc, same = 1;

		for (k = 0; k < 8; k++)
			out[k] = -5;
		rc = tls_suites_order(cases[i].in, out, cases[i].cap, cases[i].aes_fast);
		if (rc < 0) {
			for (k = 0; k < 8; k++)
				same = same && out[k] == -5;
		} else {
			for (k = 0; k <= (size_t)rc; k++)
				same = same && out[k] == cases[i].out[k];
		}
		ok(rc == cases[i].rc && same, "suite order: %s (rc %d)", cases[i].what, rc);
	}
	/* a list with no 0 among its first cap entries: refused, and read no
	 * further (an array of exactly cap: ASan stops a read past it) */
	{
		int *in = malloc(3 * sizeof(*in)), out[3];

		if (!in) {
			ok(0, "suite order: malloc");
			return;
		}
		in[0] = TNT_CBC;
		in[1] = TNT_CHACHA;
		in[2] = TNT_GCM256;
		ok(tls_suites_order(in, out, 3, 1) == -1,
		   "suite order: no 0 within cap: refused, nothing read past cap");
		free(in);
	}
}

int main(void)
{
	char cmd[600];

	ok(tnt_make_pki() == 0, "throw-away PKI made by openssl in %s", tnt_dir);
	tnt_own_cert();
	tnt_mutual();
	tnt_retry();
	tnt_delay();
	tnt_suites();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tnt_dir);
	if (system(cmd) != 0)
		ok(0, "temporary directory removed");
	return test_done();
}
