/* tls: mbedTLS client (optionally with a client certificate) over a non-blocking socket with poll() deadlines.
 *
 * The socket is non-blocking so a silent or trickling server can never
 * hold the agent past its phase deadline; mbedTLS sees WANT_READ/WANT_WRITE
 * and this module waits with poll() for at most the time left. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl_ciphersuites.h>
#if defined(MBEDTLS_AESNI_C)
#include <mbedtls/aesni.h>
#endif

#include "lib/err.h"
#include "lib/file.h"
#include "lib/rand.h"
#include "net/tls.h"

int64_t tls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int tls_entropy(void *ctx, unsigned char *buf, size_t len)
{
	return rand_bytes(buf, len) == 0 ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

/* 1: an AES-GCM suite, 2: ChaCha20-Poly1305, 0: anything else. */
static int tls_suite_kind(int id)
{
	const mbedtls_ssl_ciphersuite_t *cs = mbedtls_ssl_ciphersuite_from_id(id);

	if (!cs)
		return 0;
	switch (cs->cipher) {
	case MBEDTLS_CIPHER_AES_128_GCM:
	case MBEDTLS_CIPHER_AES_192_GCM:
	case MBEDTLS_CIPHER_AES_256_GCM:
		return 1;
	case MBEDTLS_CIPHER_CHACHA20_POLY1305:
		return 2;
	default:
		return 0;
	}
}

int tls_suites_order(const int *in, int *out, size_t cap, int aes_fast)
{
	const int pass[3] = { aes_fast ? 1 : 2, aes_fast ? 2 : 1, 0 };
	size_t n, o = 0, k;
	int i;

	/* reads in no further than cap entries: n suites and the 0 need n + 1 */
	if (cap == 0)
		return -1;
	for (n = 0; in[n]; n++)
		if (n + 1 >= cap)
			return -1;
	for (i = 0; i < 3; i++)
		for (k = 0; k < n; k++)
			if (tls_suite_kind(in[k]) == pass[i])
				out[o++] = in[k];
	out[o] = 0;
	return (int)o;
}

/* AES-GCM is fast only with AES-NI and carry-less multiplication; without
 * them ChaCha20-Poly1305 is about three times faster (bench/README.md). */
static int tls_aes_fast(void)
{
#if defined(MBEDTLS_AESNI_C)
	return mbedtls_aesni_has_support(MBEDTLS_AESNI_AES) &&
	       mbedtls_aesni_has_support(MBEDTLS_AESNI_CLMUL);
#else
	return 0;
#endif
}

const char *tls_suite(const struct tls_conn *c)
{
	const char *n = mbedtls_ssl_get_ciphersuite(&c->ssl);

	return n ? n : "unknown";
}

/* The CA file is small PEM; read it ourselves (no MBEDTLS_FS_IO), into
 * a buffer of the call's own (two threads may make clients at once). */
static int tls_load_ca(struct tls_ctx *t, const char *path)
{
	unsigned char *buf = malloc(TLS_CA_MAX + 1);
	long len = buf ? file_read(path, buf, TLS_CA_MAX) : -ENOMEM;
	int rc = 0;

	if (len <= 0 || len >= TLS_CA_MAX)
		rc = -EPX_E_TLS_CA;
	else
		buf[len] = '\0';
	if (rc == 0 && mbedtls_x509_crt_parse(&t->ca, buf, (size_t)len + 1) != 0)
		rc = -EPX_E_TLS_CA;
	free(buf);
	return rc;
}

/* The whole certificate's validity as Unix seconds (UTC). */
static int64_t tls_x509_time(const mbedtls_x509_time *x)
{
	struct tm tm = { .tm_year = x->year - 1900, .tm_mon = x->mon - 1, .tm_mday = x->day,
			 .tm_hour = x->hour, .tm_min = x->min, .tm_sec = x->sec };

	return (int64_t)timegm(&tm);
}

/* A server's check of the client's chain, on top of mbedTLS's (called
 * for each certificate, the leaf at depth 0, the trusted CA above it): a
 * chain longer than leaf + the pinned CA is not trusted, and the leaf
 * must be valid at t->now (mbedTLS has no MBEDTLS_HAVE_TIME_DATE). */
static int tls_srv_vrfy(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	const struct tls_ctx *t = p;

	if (depth >= 2)
		*flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
	if (depth == 0 && t->now < tls_x509_time(&crt->valid_from))
		*flags |= MBEDTLS_X509_BADCERT_FUTURE;
	if (depth == 0 && t->now > tls_x509_time(&crt->valid_to))
		*flags |= MBEDTLS_X509_BADCERT_EXPIRED;
	return 0;
}

static int tls_ctx_setup(struct tls_ctx *t, const char *ca_path, int endpoint)
{
	static const char pers[] = "epoxy-net-tls";
	int rc = -EPX_E_TLS_CA;

	mbedtls_x509_crt_init(&t->ca);
	mbedtls_x509_crt_init(&t->own);
	mbedtls_pk_init(&t->key);
	mbedtls_ctr_drbg_init(&t->drbg);
	mbedtls_ssl_config_init(&t->conf);
	t->now = 0;
	if (tls_load_ca(t, ca_path) != 0)
		goto fail;
	rc = -EPX_E_RNG;
	if (mbedtls_ctr_drbg_seed(&t->drbg, tls_entropy, NULL,
				  (const unsigned char *)pers, sizeof(pers) - 1))
		goto fail;
	rc = -EPX_E_TLS_HANDSHAKE;
	if (mbedtls_ssl_config_defaults(&t->conf, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
					MBEDTLS_SSL_PRESET_DEFAULT))
		goto fail;
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	/* the library's suites in the order this CPU favours; a list longer
	 * than TLS_SUITES_MAX stays in the library's own order */
	if (tls_suites_order(mbedtls_ssl_list_ciphersuites(), t->suites,
			     TLS_SUITES_MAX + 1, tls_aes_fast()) > 0)
		mbedtls_ssl_conf_ciphersuites(&t->conf, t->suites);
	mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
	mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
	if (endpoint == MBEDTLS_SSL_IS_SERVER)
		mbedtls_ssl_conf_verify(&t->conf, tls_srv_vrfy, t);
	return 0;
fail:
	tls_ctx_free(t);
	return rc;
}

int tls_ctx_init(struct tls_ctx *t, const char *ca_path)
{
	return tls_ctx_setup(t, ca_path, MBEDTLS_SSL_IS_CLIENT);
}

int tls_ctx_init_server(struct tls_ctx *t, const char *ca_path)
{
	return tls_ctx_setup(t, ca_path, MBEDTLS_SSL_IS_SERVER);
}

void tls_ctx_free(struct tls_ctx *t)
{
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_pk_free(&t->key);
	mbedtls_x509_crt_free(&t->own);
	mbedtls_x509_crt_free(&t->ca);
}

/* mbedTLS parses PEM only from a NUL-terminated buffer: parse a terminated
 * copy, wiped and freed before returning. */
static int tls_parse_own(struct tls_ctx *t, const uint8_t *p, size_t n, int is_key)
{
	unsigned char *copy;
	int ret;

	if (n == 0 || n > TLS_OWN_MAX)
		return -EPX_E_TLS_OWNCERT;
	copy = malloc(n + 1);
	if (!copy)
		return -EPX_E_TLS_OWNCERT;
	memcpy(copy, p, n);
	copy[n] = '\0';
	if (is_key)
		ret = mbedtls_pk_parse_key(&t->key, copy, n + 1, NULL, 0);
	else
		ret = mbedtls_x509_crt_parse(&t->own, copy, n + 1);
	explicit_bzero(copy, n + 1);
	free(copy);
	return ret == 0 ? 0 : -EPX_E_TLS_OWNCERT;
}

int tls_ctx_own_cert(struct tls_ctx *t, const uint8_t *crt, size_t crt_len,
		     const uint8_t *key, size_t key_len)
{
	int rc = -EPX_E_TLS_OWNCERT;

	if (tls_parse_own(t, crt, crt_len, 0) != 0 ||
	    tls_parse_own(t, key, key_len, 1) != 0 ||
	    mbedtls_pk_check_pair(&t->own.pk, &t->key) != 0 ||
	    mbedtls_ssl_conf_own_cert(&t->conf, &t->own, &t->key) != 0)
		goto fail;
	return 0;
fail:
	mbedtls_pk_free(&t->key);
	mbedtls_x509_crt_free(&t->own);
	mbedtls_pk_init(&t->key);
	mbedtls_x509_crt_init(&t->own);
	return rc;
}

static int tls_send_cb(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	ssize_t r = send(c->fd, buf, len, MSG_NOSIGNAL);

	if (r >= 0)
		return (int)r;
	if (errno == EAGAIN || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_WRITE;
	return MBEDTLS_ERR_NET_SEND_FAILED;
}

/* Serves mbedTLS from c->rbuf, refilled with one recv() of up to TLS_RBUF
 * bytes: a 16 KiB record costs one system call, not two. */
static int tls_recv_cb(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	ssize_t r;

	if (c->rbuf && c->roff == c->rlen && len < TLS_RBUF) {
		r = recv(c->fd, c->rbuf, TLS_RBUF, 0);
		if (r > 0) {
			c->roff = 0;
			c->rlen = (size_t)r;
		}
	} else if (c->roff == c->rlen) {
		r = recv(c->fd, buf, len, 0);
	} else {
		r = 1;
	}
	if (r > 0 && c->roff < c->rlen) {
		r = (ssize_t)(c->rlen - c->roff < len ? c->rlen - c->roff : len);
		memcpy(buf, c->rbuf + c->roff, (size_t)r);
		c->roff += (size_t)r;
	}
	if (r >= 0)
		return (int)r;
	if (errno == EAGAIN || errno == EINTR)
		return MBEDTLS_ERR_SSL_WANT_READ;
	return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* Waits for the socket until `until`.  Returns 0, -ETIMEDOUT or -errno. */
static int tls_wait(struct tls_conn *c, short ev, int64_t until)
{
	struct pollfd p = { .fd = c->fd, .events = ev };
	int64_t left;
	int r;

	for (;;) {
		left = until - tls_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int tls_tcp(struct tls_conn *c, const char *addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, err = 0;
	socklen_t el = sizeof(err);

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EPX_E_NET_CONNECT;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -EPX_E_NET_CONNECT;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -EPX_E_NET_CONNECT;
	if (tls_wait(c, POLLOUT, c->deadline) < 0)
		return -EPX_E_HTTP_DEADLINE;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
		return -EPX_E_NET_CONNECT;
	return 0;
}

static int tls_handshake_rc(struct tls_conn *c, int ret)
{
	uint32_t flags;

	if (ret == MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE)
		return -EPX_E_TLS_PEER_NOCERT;
	if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && c->server) {
		flags = mbedtls_ssl_get_verify_result(&c->ssl);
		if (flags == MBEDTLS_X509_BADCERT_MISSING)
			return -EPX_E_TLS_PEER_NOCERT;
		if ((flags & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)) &&
		    !(flags & ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE)))
			return -EPX_E_TLS_PEER_EXPIRED;
		return -EPX_E_TLS_PEER_CA;
	}
	if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		flags = mbedtls_ssl_get_verify_result(&c->ssl);
		if ((flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) &&
		    !(flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED))
			return -EPX_E_TLS_NAME;
		return -EPX_E_TLS_VERIFY;
	}
	if (ret == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION)
		return -EPX_E_TLS_VERSION;
	if (ret == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && c->ssl.in_msg &&
	    c->ssl.in_msg[1] == MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION)
		return -EPX_E_TLS_VERSION;
	return -EPX_E_TLS_HANDSHAKE;
}

/* The handshake of either side, within c->deadline. */
static int tls_handshake(struct tls_conn *c)
{
	int ret;

	mbedtls_ssl_set_bio(&c->ssl, c, tls_send_cb, tls_recv_cb, NULL);
	while ((ret = mbedtls_ssl_handshake(&c->ssl)) != 0) {
		if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE)
			return tls_handshake_rc(c, ret);
		if (tls_wait(c, ret == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT,
			     c->deadline) < 0)
			return -EPX_E_HTTP_DEADLINE;
	}
	return 0;
}

int tls_connect(struct tls_conn *c, struct tls_ctx *t, const char *addr,
		uint16_t port, const char *name, int64_t deadline)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->deadline = deadline;
	mbedtls_ssl_init(&c->ssl);
	c->rbuf = malloc(TLS_RBUF);
	rc = tls_tcp(c, addr, port);
	if (rc < 0)
		goto fail;
	rc = -EPX_E_TLS_HANDSHAKE;
	if (mbedtls_ssl_setup(&c->ssl, &t->conf) ||
	    mbedtls_ssl_set_hostname(&c->ssl, name))
		goto fail;
	rc = tls_handshake(c);
	if (rc == 0)
		return 0;
fail:
	tls_close(c);
	return rc;
}

int tls_accept(struct tls_conn *c, struct tls_ctx *t, int fd, int64_t deadline)
{
	int one = 1, rc = -EPX_E_TLS_HANDSHAKE;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->server = 1;
	c->deadline = deadline;
	mbedtls_ssl_init(&c->ssl);
	/* no read buffer: a server here reads requests of a few KiB (the
	 * node manager's HTTPS API); TLS_RBUF is for a client's downloads */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fd >= 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 &&
	    mbedtls_ssl_setup(&c->ssl, &t->conf) == 0)
		rc = tls_handshake(c);
	if (rc < 0)
		tls_close(c);
	return rc;
}

int tls_write(struct tls_conn *c, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		int r = mbedtls_ssl_write(&c->ssl, p, len);

		if (r > 0) {
			p += r;
			len -= (size_t)r;
			continue;
		}
		if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE)
			return -EPX_E_TLS_IO;
		if (tls_wait(c, r == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT,
			     c->deadline) < 0)
			return -EPX_E_HTTP_DEADLINE;
	}
	return 0;
}

long tls_read(struct tls_conn *c, void *buf, size_t cap, int64_t wake)
{
	int64_t until = wake < c->deadline ? wake : c->deadline;
	long got = 0, end;

	if (c->pend) {
		c->pend = 0;
		return c->pend_rc;
	}
	for (;;) {
		int r = mbedtls_ssl_read(&c->ssl, (unsigned char *)buf + got,
					 cap - (size_t)got);

		if (r > 0) {
			/* more records while they are already here (buffered,
			 * or in the socket): one call, one on_data and one
			 * memfd write per up to HTTPS_BUF instead of per
			 * 16 KiB record; never a wait once a byte is in */
			got += r;
			if ((size_t)got < cap)
				continue;
			return got;
		}
		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
			if (got)
				return got;
			if (tls_wait(c, r == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT,
				     until) < 0)
				return until < c->deadline ? -EAGAIN : -EPX_E_HTTP_DEADLINE;
			continue;
		}
		end = r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
		      r == MBEDTLS_ERR_SSL_CONN_EOF ? 0 : -EPX_E_TLS_IO;
		if (!got)
			return end;
		/* the bytes first; the end of stream or the error next call */
		c->pend = 1;
		c->pend_rc = end;
		return got;
	}
}

void tls_close(struct tls_conn *c)
{
	if (c->fd >= 0) {
		mbedtls_ssl_close_notify(&c->ssl);
		close(c->fd);
	}
	c->fd = -1;
	mbedtls_ssl_free(&c->ssl);
	free(c->rbuf);
	c->rbuf = NULL;
	c->roff = c->rlen = 0;
}
