/* fuzz_csr: epoxyd's handling of a node's certificate request and of a
 * presented client certificate (server/nodeid.c) on arbitrary bytes.
 * The first byte picks the path: even, the request is checked and, if
 * it passes, issued by a node CA made at start-up (the issued
 * certificate must then be accepted by nodeid_peer for the same host
 * and as the kind issued: bit 1 set, an archive-only one; or the target
 * aborts); odd, the rest is presented as a client
 * certificate.  The seeds (tests/fuzz/corpus/fuzz_csr) are real
 * requests for node1: good, other CN, RSA, P-384, extension request. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "lib/err.h"
#include "lib/rand.h"
#include "server/nodeid.h"

#define FZ_NOW 1800000000

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int fz_rng(void *p, unsigned char *b, size_t n)
{
	return rand_bytes(b, n) < 0 ? MBEDTLS_ERR_ENTROPY_SOURCE_FAILED : 0;
}

static struct nodeid *fz_ca(void)
{
	static char crt[2048], key[512];
	static struct nodeid *ca;
	mbedtls_x509write_cert w;
	mbedtls_pk_context k;
	mbedtls_mpi s;

	if (ca)
		return ca;
	mbedtls_pk_init(&k);
	mbedtls_pk_setup(&k, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k), fz_rng, NULL);
	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&s);
	mbedtls_mpi_lset(&s, 1);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, &k);
	mbedtls_x509write_crt_set_issuer_key(&w, &k);
	mbedtls_x509write_crt_set_serial(&w, &s);
	mbedtls_x509write_crt_set_validity(&w, "20200101000000", "20400101000000");
	mbedtls_x509write_crt_set_subject_name(&w, "CN=fuzz node CA");
	mbedtls_x509write_crt_set_issuer_name(&w, "CN=fuzz node CA");
	mbedtls_x509write_crt_set_basic_constraints(&w, 1, 0);
	if (mbedtls_x509write_crt_pem(&w, (unsigned char *)crt, sizeof(crt), fz_rng, NULL) ||
	    mbedtls_pk_write_key_pem(&k, (unsigned char *)key, sizeof(key)) ||
	    nodeid_new(&ca, crt, strlen(crt) + 1, key, strlen(key) + 1))
		abort();
	mbedtls_mpi_free(&s);
	mbedtls_x509write_crt_free(&w);
	mbedtls_pk_free(&k);
	return ca;
}

/* issued -> presented: must be accepted for node1, as the kind issued */
static void fz_roundtrip(struct nodeid *ca, const char *pem, const char *serial,
			 enum nodeid_kind want)
{
	enum nodeid_kind kind = want == NODEID_NODE ? NODEID_ARCHIVE : NODEID_NODE;
	unsigned char der[4096];
	const char *b = strchr(pem, '\n'), *e = strstr(pem, "-----END");
	char host[LABEL_HOST_MAX + 1], got[NODEID_SERIAL_HEX + 1];
	size_t len = 0;

	if (!b || !e || mbedtls_base64_decode(der, sizeof(der), &len, (const unsigned char *)b + 1,
					      (size_t)(e - b - 1)) != 0 ||
	    nodeid_peer(ca, der, len, FZ_NOW + 60, host, got, NULL, &kind) != 0 ||
	    strcmp(host, "node1") || strcmp(got, serial) || kind != want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct nodeid *ca = fz_ca();
	char pem[NODEPROTO_CERT_MAX], serial[NODEID_SERIAL_HEX + 1];
	char host[LABEL_HOST_MAX + 1];
	size_t plen = 0;
	int64_t na = 0;

	if (n < 1)
		return 0;
	if (d[0] & 1) {
		nodeid_peer(ca, d + 1, n - 1, FZ_NOW, host, serial, NULL, NULL);
		return 0;
	}
	if (nodeid_csr_check(d + 1, n - 1, "node1") != 0)
		return 0;
	/* bit 1: an archive-only certificate (the same checks, another mark) */
	if (nodeid_issue(ca, d + 1, n - 1, "node1", d[0] & 2 ? NODEID_ARCHIVE : NODEID_NODE,
			 FZ_NOW, 3600, serial, &na, pem, sizeof(pem), &plen) != 0)
		abort();        /* a request that passed the checks must be issued */
	fz_roundtrip(ca, pem, serial, d[0] & 2 ? NODEID_ARCHIVE : NODEID_NODE);
	return 0;
}
