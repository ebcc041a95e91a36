/* tls: the TLS client of the agent and the node services (mbedTLS), and
 * the server side of epoxy-nm's HTTPS API (tls_ctx_init_server, tls_accept).
 *
 * Guarantees: TLS 1.2 or newer only; the server certificate must chain to
 * the pinned CA and match the configured DNS name (mbedtls_ssl_set_hostname
 * is always called); the TCP connection goes to the configured address,
 * never to a name lookup; every operation is bounded by an absolute
 * deadline (monotonic milliseconds).  Random numbers come from getrandom(2)
 * through lib/rand.  A client certificate (mutual TLS) is presented only
 * when tls_ctx_own_cert() gave one; its key is held in memory only.  Only
 * AEAD suites of the library's list are reordered, never added: AES-GCM
 * first where the CPU has AES-NI and carry-less multiplication,
 * ChaCha20-Poly1305 first where it has not (tls_suites_order). */
#ifndef EPOXY_NET_TLS_H
#define EPOXY_NET_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#define TLS_CA_MAX 65536
#define TLS_OWN_MAX 16384       /* client certificate chain or key, PEM */
#define TLS_SUITES_MAX 256      /* suites of the library's list, at most */

struct tls_ctx {
	mbedtls_x509_crt ca;
	mbedtls_x509_crt own;           /* client certificate chain, or empty */
	mbedtls_pk_context key;         /* its private key */
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	int64_t now;                    /* a server: the time client certificates
					 * are checked at (Unix seconds) */
	int suites[TLS_SUITES_MAX + 1]; /* the order offered (tls_suites_order) */
};

#define TLS_RBUF 262144        /* bytes read from the socket at once */

struct tls_conn {
	int fd;
	int server;                     /* accepted by tls_accept */
	mbedtls_ssl_context ssl;
	int64_t deadline;
	/* what recv() gave beyond what mbedTLS asked for (it asks for a
	 * record's 5-byte header, then its body: two calls a record without
	 * this); NULL when it could not be allocated, and on a server's
	 * connection (tls_accept: small requests): unbuffered */
	uint8_t *rbuf;
	size_t roff, rlen;
	/* an end of stream or error met after bytes tls_read returned:
	 * its next call returns pend_rc */
	int pend;
	long pend_rc;
};

/* Copies the zero-terminated suite list in (mbedTLS suite IDs, its order of
 * preference) to out, which holds cap IDs with the terminating 0: its
 * AES-GCM suites first when aes_fast, else its ChaCha20-Poly1305 suites
 * first, then the other of the two, then every other suite, each group in
 * the order of in.  Returns the number of suites, or -1 when they do not
 * fit (out is then untouched); reads no more than cap entries of in. */
int tls_suites_order(const int *in, int *out, size_t cap, int aes_fast);
/* The negotiated suite's name after the handshake ("TLS-ECDHE-..."), or
 * "unknown". */
const char *tls_suite(const struct tls_conn *c);
/* Monotonic clock in milliseconds. */
int64_t tls_now_ms(void);
/* Loads the pinned CA (PEM).  Returns 0, -EPX_E_TLS_CA or -EPX_E_RNG. */
int tls_ctx_init(struct tls_ctx *t, const char *ca_path);
/* Presents crt (PEM, leaf first, then any intermediates) with its private
 * key (PEM or DER) on every later tls_connect().  Both are copied: the
 * caller may wipe its key bytes on return.  Returns 0 or -EPX_E_TLS_OWNCERT
 * (unparsable, over TLS_OWN_MAX, or a key that is not the leaf's). */
int tls_ctx_own_cert(struct tls_ctx *t, const uint8_t *crt, size_t crt_len,
		     const uint8_t *key, size_t key_len);
void tls_ctx_free(struct tls_ctx *t);
/* The server side (epoxy-nm's HTTPS API), the same module and mbedTLS
 * configuration as the client.  ca_path is the only CA whose certificates
 * a client may present: the handshake requires one, issued directly by
 * that CA (a chain through an intermediate CA, such as a node certificate
 * from the node CA, is refused), with clientAuth in its extended key
 * usage if it has one, and valid at t->now (set before each tls_accept:
 * the node's clock, since mbedTLS is built without MBEDTLS_HAVE_TIME_DATE).
 * The server's own certificate and key: tls_ctx_own_cert().  Returns 0,
 * -EPX_E_TLS_CA or -EPX_E_RNG. */
int tls_ctx_init_server(struct tls_ctx *t, const char *ca_path);
/* Handshake as the server on the accepted socket fd (made non-blocking;
 * closed by tls_close, also on failure).  Returns 0, -EPX_E_TLS_PEER_NOCERT,
 * -EPX_E_TLS_PEER_CA, -EPX_E_TLS_PEER_EXPIRED, -EPX_E_TLS_VERSION,
 * -EPX_E_TLS_HANDSHAKE or -EPX_E_HTTP_DEADLINE. */
int tls_accept(struct tls_conn *c, struct tls_ctx *t, int fd, int64_t deadline);
/* TCP connect to addr:port, handshake checking name.  Returns 0 or
 * -EPX_E_NET_CONNECT, -EPX_E_TLS_VERIFY, -EPX_E_TLS_NAME, -EPX_E_TLS_VERSION,
 * -EPX_E_TLS_HANDSHAKE, -EPX_E_HTTP_DEADLINE.  On failure c is closed. */
int tls_connect(struct tls_conn *c, struct tls_ctx *t, const char *addr,
		uint16_t port, const char *name, int64_t deadline);
int tls_write(struct tls_conn *c, const void *buf, size_t len);
/* Reads up to cap bytes, waiting until min(deadline, wake) for the first
 * one only: after it, the records already received (buffered or in the
 * socket) are added while they fit, without waiting.  Returns the count,
 * 0 at end of stream, -EAGAIN when wake passed, or -EPX_E_TLS_IO /
 * -EPX_E_HTTP_DEADLINE; an end or error met after some bytes is returned
 * by the next call. */
long tls_read(struct tls_conn *c, void *buf, size_t cap, int64_t wake);
void tls_close(struct tls_conn *c);

#endif
