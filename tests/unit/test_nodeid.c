/* test_nodeid: epoxyd's node CA (server/nodeid.c) against the node
 * manager's own key and requests (node/nm/nmid.c): the good request is
 * issued, every single-bit flip of it and every malformed request of the
 * table is refused with its code; the issued certificate is accepted by
 * nodeid_peer only within its validity and only from this CA; the node
 * services' certificate files (node/nm/nmsvc.c): the directory rules as a
 * table, then the pair written 0600, key and certificate matching. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/base64.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "lib/err.h"
#include "lib/rand.h"
#include "node/nm/nmid.h"
#include "node/nm/nmsvc.h"
#include "server/nodeid.h"
#include "tests/test.h"

#define NOW 1800000000

static int t_rng(void *p, unsigned char *b, size_t n)
{
	return rand_bytes(b, n) < 0 ? MBEDTLS_ERR_ENTROPY_SOURCE_FAILED : 0;
}

static void t_key(mbedtls_pk_context *k, mbedtls_pk_type_t type, int curve)
{
	mbedtls_pk_init(k);
	mbedtls_pk_setup(k, mbedtls_pk_info_from_type(type));
	if (type == MBEDTLS_PK_RSA)
		mbedtls_rsa_gen_key(mbedtls_pk_rsa(*k), t_rng, NULL, 1024, 65537);
	else
		mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(*k), t_rng, NULL);
}

/* A self-signed CA: its certificate and key as PEM. */
static struct nodeid *t_ca(const char *cn)
{
	static char crt[2048], key[512];
	mbedtls_x509write_cert w;
	mbedtls_pk_context k;
	mbedtls_mpi serial;
	struct nodeid *n = NULL;
	char subj[64];

	t_key(&k, MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256R1);
	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&serial);
	mbedtls_mpi_lset(&serial, 7);
	snprintf(subj, sizeof(subj), "O=epoxy fleet,CN=%s", cn);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, &k);
	mbedtls_x509write_crt_set_issuer_key(&w, &k);
	mbedtls_x509write_crt_set_serial(&w, &serial);
	mbedtls_x509write_crt_set_validity(&w, "20200101000000", "20400101000000");
	mbedtls_x509write_crt_set_subject_name(&w, subj);
	mbedtls_x509write_crt_set_issuer_name(&w, subj);
	mbedtls_x509write_crt_set_basic_constraints(&w, 1, 0);
	mbedtls_x509write_crt_set_key_usage(&w, MBEDTLS_X509_KU_KEY_CERT_SIGN);
	if (mbedtls_x509write_crt_pem(&w, (unsigned char *)crt, sizeof(crt), t_rng, NULL) == 0 &&
	    mbedtls_pk_write_key_pem(&k, (unsigned char *)key, sizeof(key)) == 0)
		nodeid_new(&n, crt, strlen(crt) + 1, key, strlen(key) + 1);
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&w);
	mbedtls_pk_free(&k);
	return n;
}

/* A request of key type/curve for subject, optionally with key usage. */
static size_t t_csr(uint8_t *der, size_t cap, mbedtls_pk_type_t type, int curve,
		    const char *subj, int ku)
{
	mbedtls_x509write_csr w;
	mbedtls_pk_context k;
	int n;

	t_key(&k, type, curve);
	mbedtls_x509write_csr_init(&w);
	mbedtls_x509write_csr_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_csr_set_key(&w, &k);
	mbedtls_x509write_csr_set_subject_name(&w, subj);
	if (ku)
		mbedtls_x509write_csr_set_key_usage(&w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
	n = mbedtls_x509write_csr_der(&w, der, cap, t_rng, NULL);
	if (n > 0)
		memmove(der, der + cap - (size_t)n, (size_t)n);
	mbedtls_x509write_csr_free(&w);
	mbedtls_pk_free(&k);
	return n > 0 ? (size_t)n : 0;
}

static void test_csr_table(void)
{
	static const struct {
		const char *name;
		mbedtls_pk_type_t type;
		int curve;
		const char *subj;
		int ku;
		int want;
	} t[] = {
		{ "good P-256 CN=node1", MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256R1, "CN=node1", 0, 0 },
		{ "CN of another host", MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256R1, "CN=node2", 0, -EPX_E_NID_CN },
		{ "CN with a suffix", MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256R1, "CN=node1x", 0, -EPX_E_NID_CN },
		{ "CN and O", MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256R1, "O=x,CN=node1", 0, -EPX_E_NID_CN },
		{ "O only", MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256R1, "O=node1", 0, -EPX_E_NID_CN },
		{ "P-384 key", MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP384R1, "CN=node1", 0, -EPX_E_NID_KEYTYPE },
		{ "secp256k1 key", MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256K1, "CN=node1", 0, -EPX_E_NID_KEYTYPE },
		{ "RSA key", MBEDTLS_PK_RSA, 0, "CN=node1", 0, -EPX_E_NID_KEYTYPE },
		{ "extension request", MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256R1, "CN=node1", 1, -EPX_E_NID_EXT },
	};
	uint8_t der[NODEID_CSR_MAX];
	size_t i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = t_csr(der, sizeof(der), t[i].type, t[i].curve, t[i].subj, t[i].ku);
		ok(len > 0 && nodeid_csr_check(der, len, "node1") == t[i].want, "csr: %s", t[i].name);
	}
	ok(nodeid_csr_check(der, 0, "node1") == -EPX_E_NID_CSR, "csr: empty");
	ok(nodeid_csr_check(NULL, 10, "node1") == -EPX_E_NID_CSR, "csr: NULL");
	ok(nodeid_csr_check(der, NODEID_CSR_MAX + 1, "node1") == -EPX_E_NID_CSR, "csr: over its cap");
	ok(nodeid_csr_check(der, len, "Bad_Host") == -EPX_E_NID_CN, "csr: invalid host name");
}

/* the node manager's own request: accepted; every bit flip and every
 * truncation refused */
static void test_csr_nmid(void)
{
	uint8_t der[NMID_CSR_MAX], bad[NMID_CSR_MAX];
	struct nmid *id = NULL;
	size_t len = 0, i, flips = 0, cuts = 0;
	int b;

	ok(nmid_new(&id, "node1") == 0 && nmid_csr(id, der, sizeof(der), &len) == 0,
	   "nmid: key and request (%zu bytes)", len);
	ok(nodeid_csr_check(der, len, "node1") == 0, "nmid's request passes epoxyd's checks");
	for (i = 0; i < len; i++)
		for (b = 0; b < 8; b++) {
			memcpy(bad, der, len);
			bad[i] ^= (uint8_t)(1u << b);
			flips += nodeid_csr_check(bad, len, "node1") != 0;
		}
	ok(flips == 8 * len, "every single-bit flip refused (%zu of %zu)", flips, 8 * len);
	for (i = 0; i < len; i++)
		cuts += nodeid_csr_check(der, i, "node1") != 0;
	ok(cuts == len, "every truncation refused (%zu of %zu)", cuts, len);
	memcpy(bad, der, len);
	bad[len] = 0;
	ok(nodeid_csr_check(bad, len + 1, "node1") == -EPX_E_NID_CSR, "trailing byte refused");
	nmid_free(id);
}

static void test_issue_peer(void)
{
	struct nodeid *ca = t_ca("node CA"), *other = t_ca("node CA");
	char pem[NODEPROTO_CERT_MAX], s1[NODEID_SERIAL_HEX + 1], s2[NODEID_SERIAL_HEX + 1];
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1];
	uint8_t der[NMID_CSR_MAX], cder[4096];
	struct nmid *id = NULL, *id2 = NULL;
	size_t len = 0, plen = 0, clen = 0;
	int64_t na = 0, life = 0;

	ok(ca && other, "two CAs of the same name");
	nmid_new(&id, "node1");
	nmid_new(&id2, "node1");
	nmid_csr(id, der, sizeof(der), &len);
	ok(nodeid_issue(ca, der, len, "node1", NODEID_NODE, NOW, 86400, s1, &na, pem, sizeof(pem), &plen) == 0 &&
	   na == NOW + 86400, "issued for 24 h");
	ok(nmid_cert_check(id, pem, plen, &life) == 0 && life == 86400 + NODEID_SKEW,
	   "the node accepts it for its key (%lld s)", (long long)life);
	ok(nmid_cert_check(id2, pem, plen, &life) == -EPX_E_NM_CERT, "...not for another key");
	ok(nmid_archive_check(id, pem, plen, &life) == -EPX_E_NM_CERT,
	   "...and a node certificate is no archive-only one");
	ok(mbedtls_base64_decode(cder, sizeof(cder), &clen, (const unsigned char *)strchr(pem, '\n') + 1,
				 (size_t)(strstr(pem, "-----END") - strchr(pem, '\n') - 1)) == 0, "DER of it");
	ok(nodeid_peer(ca, cder, clen, NOW + 10, host, serial, NULL, NULL) == 0 && !strcmp(host, "node1") &&
	   !strcmp(serial, s1), "presented: accepted, host node1, serial %s", serial);
	{
		int64_t win[2] = { 0, 0 };
		int prc = nodeid_peer(ca, cder, clen, NOW + 10, host, serial, win, NULL);

		ok(prc == 0 && win[0] == NOW - NODEID_SKEW && win[1] == NOW + 86400,
		   "its window: its own validity inside the CA's (%lld..%lld)",
		   (long long)win[0], (long long)win[1]);
	}
	ok(nodeid_peer(ca, cder, clen, NOW + 86401, host, serial, NULL, NULL) == -EPX_E_NID_CERT, "after its end: refused");
	ok(nodeid_peer(ca, cder, clen, NOW - NODEID_SKEW - 1, host, serial, NULL, NULL) == -EPX_E_NID_CERT,
	   "before its start: refused");
	ok(nodeid_peer(other, cder, clen, NOW + 10, host, serial, NULL, NULL) == -EPX_E_NID_CERT,
	   "another CA of the same name: refused");
	ok(nodeid_peer(ca, cder, 0, NOW, host, serial, NULL, NULL) == -EPX_E_NID_NOCERT, "no certificate");
	cder[clen - 5] ^= 1;
	ok(nodeid_peer(ca, cder, clen, NOW + 10, host, serial, NULL, NULL) == -EPX_E_NID_CERT, "flipped signature: refused");
	ok(nodeid_issue(ca, der, len, "node1", NODEID_NODE, NOW, 86400, s2, &na, pem, sizeof(pem), &plen) == 0 &&
	   strcmp(s1, s2), "a second issue has another serial");
	ok(nodeid_issue(ca, der, len, "node2", NODEID_NODE, NOW, 86400, s2, &na, pem, sizeof(pem), &plen) ==
	   -EPX_E_NID_CN, "issue for another host: refused");
	{
		enum nodeid_kind kind = NODEID_NODE;

		ok(nodeid_issue(ca, der, len, "node1", NODEID_ARCHIVE, NOW, 3600, s2, &na, pem,
				sizeof(pem), &plen) == 0 && na == NOW + 3600,
		   "an archive-only certificate: issued, as short-lived as asked");
		ok(nmid_archive_check(id, pem, plen, &life) == 0, "the node accepts it for its key");
		ok(nmid_cert_check(id, pem, plen, &life) == -EPX_E_NM_CERT,
		   "...never as its own node certificate");
		clen = 0;
		ok(mbedtls_base64_decode(cder, sizeof(cder), &clen,
					 (const unsigned char *)strchr(pem, '\n') + 1,
					 (size_t)(strstr(pem, "-----END") - strchr(pem, '\n') - 1)) == 0,
		   "DER of it");
		ok(nodeid_peer(ca, cder, clen, NOW + 10, host, serial, NULL, &kind) == 0 &&
		   kind == NODEID_ARCHIVE && !strcmp(host, "node1") && !strcmp(serial, s2),
		   "presented: archive-only, host node1");
		ok(nodeid_peer(ca, cder, clen, NOW + 3601, host, serial, NULL, &kind) ==
		   -EPX_E_NID_CERT, "archive-only after its end: refused");
		ok(nodeid_issue(ca, der, len, "node1", NODEID_NODE, NOW, 3600, s2, &na, pem,
				sizeof(pem), &plen) == 0, "a node certificate again");
		mbedtls_base64_decode(cder, sizeof(cder), &clen,
				      (const unsigned char *)strchr(pem, '\n') + 1,
				      (size_t)(strstr(pem, "-----END") - strchr(pem, '\n') - 1));
		ok(nodeid_peer(ca, cder, clen, NOW + 10, host, serial, NULL, &kind) == 0 &&
		   kind == NODEID_NODE, "presented: a node's");
	}
	nmid_free(id);
	nmid_free(id2);
	nodeid_free(ca);
	nodeid_free(other);
}

/* made once with openssl req -x509: SAN DNS:Epoxy.Test, DNS:*.example.net,
 * IP:10.0.0.1 (CN ignored.cn); and one with 17 dNSNames */
static const char t_san_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBqzCCAVGgAwIBAgIUGbvWi4UkXTBCa7B9kqL+/sQNJUgwCgYIKoZIzj0EAwIw\n"
	"FTETMBEGA1UEAwwKaWdub3JlZC5jbjAeFw0yNjEyMDUwNzMzNTFaFw00NjExMzAw\n"
	"NzMzNTFaMBUxEzARBgNVBAMMCmlnbm9yZWQuY24wWTATBgcqhkjOPQIBBggqhkjO\n"
	"PQMBBwNCAAQy7S4Ck0V/R/BcKLgaVc88QVX09QZpwivsFhY86l2SQfXzz/TO4XdX\n"
	"48qyUd9rqpr8/qUFl89hINBpIO8oB6gXo38wfTAdBgNVHQ4EFgQURHVii85mfaV8\n"
	"du1VUKDF6xCNQLgwHwYDVR0jBBgwFoAURHVii85mfaV8du1VUKDF6xCNQLgwDwYD\n"
	"VR0TAQH/BAUwAwEB/zAqBgNVHREEIzAhggpFcG94eS5UZXN0gg0qLmV4YW1wbGUu\n"
	"bmV0hwQKAAABMAoGCCqGSM49BAMCA0gAMEUCICLjpI4xFpqoqkd5rSlGMhsY8olE\n"
	"SXaizHTkM7PwPwwgAiEAobJyEtnyty9kBf/Y90slbPK+xnd6LiwaQvsD/A94gI8=\n"
	"-----END CERTIFICATE-----\n";
static const char t_san17_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIICIDCCAcagAwIBAgIURppW4SwoVQGruP3vgqTzWv5/wH0wCgYIKoZIzj0EAwIw\n"
	"DDEKMAgGA1UEAwwBeDAeFw0yNjEyMDUwNzMzNTFaFw00NjExMzAwNzMzNTFaMAwx\n"
	"CjAIBgNVBAMMAXgwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQAVoE151oJRjYg\n"
	"x/0bre7phJA7DO+r//nQPFcPTfdaPCuseEYjysnAMdDK2OHVYVsX3R7S49UaOIsc\n"
	"lUtSFWuzo4IBBDCCAQAwHQYDVR0OBBYEFNlhpIb5UEiI6ylNzhu814Svm37LMB8G\n"
	"A1UdIwQYMBaAFNlhpIb5UEiI6ylNzhu814Svm37LMA8GA1UdEwEB/wQFMAMBAf8w\n"
	"gawGA1UdEQSBpDCBoYIHbjEudGVzdIIHbjIudGVzdIIHbjMudGVzdIIHbjQudGVz\n"
	"dIIHbjUudGVzdIIHbjYudGVzdIIHbjcudGVzdIIHbjgudGVzdIIHbjkudGVzdIII\n"
	"bjEwLnRlc3SCCG4xMS50ZXN0gghuMTIudGVzdIIIbjEzLnRlc3SCCG4xNC50ZXN0\n"
	"gghuMTUudGVzdIIIbjE2LnRlc3SCCG4xNy50ZXN0MAoGCCqGSM49BAMCA0gAMEUC\n"
	"IQC6qP6mzu16KepVKrFgtYr1VDEqs+RuUVCMCTEn73YqjQIgRzlIzFNS+SLtrDSY\n"
	"8S7ksdmuyFh/p3J7ZcT9Z5JgtlA=\n"
	"-----END CERTIFICATE-----\n";

/* the node CA never issues for a name of epoxyd's own certificate */
static void test_server_names(void)
{
	static const struct {
		const char *host;
		int refused;
	} cases[] = {
		{ "epoxy.test", 1 }, { "a.example.net", 1 }, { "node-7.example.net", 1 },
		{ "example.net", 0 }, { "b.a.example.net", 0 }, { "ignored.cn", 0 },
		{ "epoxy.test.example", 0 }, { "node1", 0 }, { "10.0.0.1", 0 },
	};
	struct nodeid *ca = t_ca("epoxy fleet node CA");
	char pem[NODEPROTO_CERT_MAX], s[NODEID_SERIAL_HEX + 1], subj[96];
	uint8_t der[NODEID_CSR_MAX];
	size_t i, len, plen;
	int64_t na;

	ok(nodeid_server_names(ca, "junk", 5) == -EPX_E_NID_CAFILE, "server names: junk refused");
	ok(nodeid_server_names(ca, t_san17_pem, sizeof(t_san17_pem)) == -EPX_E_NID_CAFILE,
	   "server names: 17 dNSNames refused (cap %d)", NODEID_NAMES_MAX);
	ok(nodeid_server_names(ca, t_san_pem, sizeof(t_san_pem)) == 0, "server names read");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		snprintf(subj, sizeof(subj), "CN=%s", cases[i].host);
		len = t_csr(der, sizeof(der), MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256R1, subj, 0);
		rc = nodeid_issue(ca, der, len, cases[i].host, NODEID_NODE, NOW, 900, s, &na, pem, sizeof(pem), &plen);
		ok(cases[i].refused ? rc == -EPX_E_NID_SERVERNAME : rc == 0, "issue for %s: %s",
		   cases[i].host, cases[i].refused ? "refused (E2280)" : "issued");
	}
	len = t_csr(der, sizeof(der), MBEDTLS_PK_ECKEY, MBEDTLS_ECP_DP_SECP256R1, "CN=epoxy.test", 0);
	ok(nodeid_server_names(ca, t_san17_pem, sizeof(t_san17_pem)) < 0 &&
	   nodeid_issue(ca, der, len, "epoxy.test", NODEID_NODE, NOW, 900, s, &na, pem, sizeof(pem), &plen) ==
	   -EPX_E_NID_SERVERNAME, "a failed read keeps the last names");
	nodeid_free(ca);
}

/* nmsvc: which directories it takes, and the pair it writes */
static void test_service_cert(void)
{
	char tmpl[] = "/tmp/test_nmsvc.XXXXXX", p[256], pem[NODEPROTO_CERT_MAX], s1[NODEID_SERIAL_HEX + 1];
	char *d = mkdtemp(tmpl), *key, *crt;
	struct nodeid *ca = t_ca("node CA");
	uint8_t der[NMID_CSR_MAX];
	struct nmid *id = NULL;
	size_t len = 0, plen = 0, klen = 0, clen = 0;
	int64_t na = 0, life = 0;
	mbedtls_pk_context pk;
	struct stat st;
	static const struct { const char *sub; int mode; const char *why; } bad[] = {
		{ "open", 0777, "writable by all" },
		{ "group", 0770, "writable by its group" },
		{ "file", -1, "a file, not a directory" },
		{ "link", -2, "a symbolic link to a good directory" },
		{ "missing", 0, "missing" },
	};
	size_t i;

	ok(d != NULL && ca != NULL, "a scratch directory and a node CA");
	if (!d || !ca)
		return;
	ok(nmsvc_dir_check("relative/dir") == -EPX_E_NM_SVCCERT, "a relative directory: refused");
	ok(nmsvc_dir_check(NULL) == -EPX_E_NM_SVCCERT, "no directory: refused");
	memset(p, 'a', sizeof(p) - 1);
	p[0] = '/';
	p[NMSVC_DIR_MAX + 1] = '\0';
	ok(nmsvc_dir_check(p) == -EPX_E_NM_SVCCERT, "a path over %d bytes: refused", NMSVC_DIR_MAX);
	snprintf(p, sizeof(p), "%s/good", d);
	mkdir(p, 0700);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", d, bad[i].sub);
		if (bad[i].mode > 0) {
			mkdir(p, 0700);
			chmod(p, (mode_t)bad[i].mode);
		} else if (bad[i].mode == -1) {
			fclose(fopen(p, "w"));
		} else if (bad[i].mode == -2) {
			ok(symlink("good", p) == 0, "a link made");
		}
		ok(nmsvc_dir_check(p) == -EPX_E_NM_SVCCERT, "%s: refused", bad[i].why);
	}
	snprintf(p, sizeof(p), "%s/good", d);
	nmid_new(&id, "node1");
	nmid_csr(id, der, sizeof(der), &len);
	ok(nodeid_issue(ca, der, len, "node1", NODEID_ARCHIVE, NOW, 86400, s1, &na, pem,
			sizeof(pem), &plen) == 0, "an archive-only certificate for the key");
	if (geteuid() != 0) {
		/* the rule is root's directory: as another user even a 0700
		 * directory of one's own is refused */
		ok(nmsvc_dir_check(p) == -EPX_E_NM_SVCCERT, "not root: its own 0700 directory refused");
		ok(nmsvc_prepare(p) == -EPX_E_NM_SVCCERT, "...not prepared");
		ok(nmsvc_write(p, id, pem, plen) == -EPX_E_NM_SVCCERT, "...and nothing written");
		goto out;
	}
	ok(nmsvc_dir_check(p) == 0, "root's 0700 directory: taken");
	snprintf(p, sizeof(p), "%s/open", d);
	ok(nmsvc_prepare(p) == -EPX_E_NM_SVCCERT && stat(p, &st) == 0 &&
	   (st.st_mode & 0777) == 0777 && st.st_gid != NMSVC_GID,
	   "a directory writable by all: not prepared, left as it was");
	snprintf(p, sizeof(p), "%s/good", d);
	ok(nmsvc_prepare(p) == 0, "root's 0700 directory: prepared at start-up");
	ok(nmsvc_write(p, id, pem, plen) == 0, "the pair written");
	snprintf(p, sizeof(p), "%s/good", d);
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0750 && st.st_uid == 0 &&
	   st.st_gid == NMSVC_GID, "the directory is root:%d 0750", NMSVC_GID);
	snprintf(p, sizeof(p), "%s/good/" NMSVC_KEY, d);
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_uid == 0 &&
	   st.st_gid == NMSVC_GID, "archive.key is root:%d 0640", NMSVC_GID);
	key = test_slurp(p, &klen);
	snprintf(p, sizeof(p), "%s/good/" NMSVC_CRT, d);
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_gid == NMSVC_GID,
	   "archive.crt is root:%d 0640", NMSVC_GID);
	crt = test_slurp(p, &clen);
	ok(clen == plen && !memcmp(crt, pem, plen), "archive.crt holds the certificate");
	mbedtls_pk_init(&pk);
	ok(mbedtls_pk_parse_key(&pk, (const unsigned char *)key, klen + 1, NULL, 0) == 0 &&
	   nmid_archive_check(id, crt, clen, &life) == 0, "archive.key parses and is the certificate's key");
	mbedtls_pk_free(&pk);
	ok(nmsvc_write(p, id, pem, plen) == -EPX_E_NM_SVCCERT, "a file as the directory: nothing written");
	snprintf(p, sizeof(p), "%s/good", d);
	snprintf(p, sizeof(p), "%s/good/node.key", d);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/good/node.crt", d);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/good", d);
	/* a renewal writes the pair and nothing else: the directory's owner
	 * and mode were set once at start-up, and stay as they are */
	ok(chmod(p, 0700) == 0 && nmsvc_write(p, id, pem, plen) == 0,
	   "written again over the old pair");
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0700,
	   "a renewal does not chmod the directory again (done once at start-up)");
	snprintf(p, sizeof(p), "%s/good/." NMSVC_KEY ".tmp", d);
	ok(access(p, F_OK) != 0, "no temporary file left");
	snprintf(p, sizeof(p), "%s/good", d);
	ok(nmsvc_prepare(p) == 0 && stat(p, &st) == 0 && (st.st_mode & 0777) == 0750 &&
	   st.st_gid == NMSVC_GID, "the next start-up: root:%d 0750 again", NMSVC_GID);
	snprintf(p, sizeof(p), "%s/good/node.key", d);
	ok(access(p, F_OK) != 0, "a node.key found there (an older release's node pair): removed");
	snprintf(p, sizeof(p), "%s/good/node.crt", d);
	ok(access(p, F_OK) != 0, "...and its node.crt");
	snprintf(p, sizeof(p), "%s/good/" NMSVC_KEY, d);
	ok(access(p, F_OK) == 0, "...and the archive pair kept");
	free(key);
	free(crt);
out:
	nmid_free(id);
	nodeid_free(ca);
	snprintf(p, sizeof(p), "rm -rf '%s'", d);
	if (system(p) != 0)
		fprintf(stderr, "# could not remove %s\n", d);
}

int main(void)
{
	test_csr_table();
	test_csr_nmid();
	test_issue_peer();
	test_server_names();
	test_service_cert();
	return test_done();
}
