/* test_pki: what epoxy-pki makes is accepted by the parts that consume it.
 * mbedTLS (the agent's TLS) verifies server.crt under ca.crt for the DNS
 * name and refuses other names and other CAs; the server key matches its
 * certificate and is for serverAuth; ca.esl and db.esl are well-formed EFI
 * signature lists (X.509 type, the fleet's owner GUID, the exact DER);
 * after rotate-ca the transition list and bundle carry both CAs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "tests/test.h"

static char dir[64], other[64];

/* Runs "<pre><d><post>" (d: one of our temporary directories). */
static int sh(const char *pre, const char *d, const char *post)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s%s%s", pre, d, post);
	return system(cmd);
}

static int crt_load(mbedtls_x509_crt *c, const char *d, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", d, name);
	mbedtls_x509_crt_init(c);
	return mbedtls_x509_crt_parse_file(c, path);
}

static int verify(const char *d, const char *ca, const char *cn, uint32_t *flags)
{
	mbedtls_x509_crt srv, cacrt;
	int rc = -1;

	*flags = 0;
	if (crt_load(&srv, dir, "server.crt") == 0 && crt_load(&cacrt, d, ca) == 0)
		rc = mbedtls_x509_crt_verify(&srv, &cacrt, NULL, cn, flags, NULL, NULL);
	mbedtls_x509_crt_free(&srv);
	mbedtls_x509_crt_free(&cacrt);
	return rc;
}

static void tls(void)
{
	mbedtls_x509_crt srv;
	mbedtls_pk_context key;
	char path[128];
	uint32_t flags;

	ok(verify(dir, "ca.crt", "epoxy.test", &flags) == 0 && flags == 0, "mbedTLS: server.crt valid for epoxy.test under ca.crt");
	ok(verify(dir, "ca.crt", "evil.test", &flags) != 0 && (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH),
	   "mbedTLS: refused for another name (flags %#x)", flags);
	ok(verify(dir, "ca.crt", "epoxy.test.evil", &flags) != 0, "mbedTLS: refused for a suffixed name");
	ok(verify(other, "ca.crt", "epoxy.test", &flags) != 0 && (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED),
	   "mbedTLS: refused under another fleet's CA (flags %#x)", flags);
	ok(crt_load(&srv, dir, "server.crt") == 0 &&
	   mbedtls_x509_crt_check_extended_key_usage(&srv, MBEDTLS_OID_SERVER_AUTH,
						    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) == 0,
	   "server.crt is for serverAuth");
	mbedtls_pk_init(&key);
	snprintf(path, sizeof(path), "%s/server.key", dir);
	ok(mbedtls_pk_parse_keyfile(&key, path, NULL) == 0 && mbedtls_pk_check_pair(&srv.pk, &key) == 0,
	   "server.key parses and matches server.crt");
	mbedtls_pk_free(&key);
	mbedtls_x509_crt_free(&srv);
}

/* EFI_SIGNATURE_LIST: type GUID, ListSize, HeaderSize, SignatureSize, then
 * signatures of (owner GUID, data).  Checks list i (0-based) holds der. */
static const unsigned char efi_x509[16] = { 0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
					    0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72 };

static unsigned le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24;
}

static int esl_has(const char *esl, size_t elen, int idx, const char *der, size_t dlen)
{
	size_t off = 0, lsize;
	int i;

	for (i = 0; off + 28 <= elen; i++) {
		const unsigned char *p = (const unsigned char *)esl + off;

		lsize = le32(p + 16);
		if (memcmp(p, efi_x509, 16) != 0 || le32(p + 20) != 0 || lsize < 28 ||
		    lsize > elen - off || le32(p + 24) != lsize - 28)
			return -1;
		if (i == idx)
			return lsize - 28 - 16 == dlen && memcmp(p + 28 + 16, der, dlen) == 0 ? 0 : -1;
		off += lsize;
	}
	return -1;
}

static void esl(const char *name, const char *dername, int idx)
{
	char path[128];
	char *e, *d;
	size_t el, dl;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	e = test_slurp(path, &el);
	snprintf(path, sizeof(path), "%s/%s", dir, dername);
	d = test_slurp(path, &dl);
	ok(esl_has(e, el, idx, d, dl) == 0, "%s list %d: EFI_CERT_X509 with exactly %s", name, idx, dername);
	free(e);
	free(d);
}

int main(void)
{
	uint32_t flags;

	snprintf(dir, sizeof(dir), "/tmp/epoxy-t-pki-XXXXXX");
	snprintf(other, sizeof(other), "/tmp/epoxy-t-pki2-XXXXXX");
	if (!mkdtemp(dir) || !mkdtemp(other))
		return 1;
	ok(sh("keys/epoxy-pki all ", dir, " >/dev/null") == 0, "epoxy-pki all");
	ok(sh("keys/epoxy-pki ca ", other, " >/dev/null") == 0, "epoxy-pki ca (another fleet)");
	tls();
	esl("ca.esl", "ca.der", 0);
	esl("db.esl", "db.der", 0);
	esl("PK.esl", "PK.der", 0);
	ok(sh("cd ", dir, " && cp ca.der ca-old.der") == 0, "keep the old CA");
	ok(sh("keys/epoxy-pki rotate-ca ", dir, " >/dev/null") == 0, "epoxy-pki rotate-ca");
	esl("ca.esl", "ca.der", 0);
	esl("ca.esl", "ca-old.der", 1);
	ok(verify(dir, "ca.crt", "epoxy.test", &flags) == 0, "mbedTLS: reissued server.crt valid under the new CA");
	ok(verify(dir, "ca-prev.crt", "epoxy.test", &flags) != 0, "mbedTLS: not under the previous CA");
	ok(verify(dir, "ca-bundle.pem", "epoxy.test", &flags) == 0, "mbedTLS: valid under the transition bundle");
	sh("rm -rf ", dir, "");
	sh("rm -rf ", other, "");
	return test_done();
}
