/* nmid: key, request and certificate check of the node manager (see
 * nmid.h).  mbedTLS draws randomness through getrandom(2) (lib/rand.h):
 * no DRBG state to seed or to leave behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "lib/err.h"
#include "lib/label.h"
#include "lib/nodeproto.h"
#include "lib/rand.h"
#include "node/nm/nmid.h"

struct nmid {
	mbedtls_pk_context key;
	char host[LABEL_HOST_MAX + 1];
};

static int nmid_rng(void *unused, unsigned char *buf, size_t n)
{
	return rand_bytes(buf, n) < 0 ? MBEDTLS_ERR_ENTROPY_SOURCE_FAILED : 0;
}

int nmid_new(struct nmid **out, const char *host)
{
	struct nmid *id;
	int rc = -EPX_E_NM_KEY;

	*out = NULL;
	if (label_check_str(LABEL_HOST, host) < 0)
		return rc;
	id = calloc(1, sizeof(*id));
	if (!id)
		return -ENOMEM;
	mbedtls_pk_init(&id->key);
	snprintf(id->host, sizeof(id->host), "%s", host);
	if (mbedtls_pk_setup(&id->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(id->key),
				nmid_rng, NULL) != 0) {
		nmid_free(id);
		return rc;
	}
	*out = id;
	return 0;
}

void nmid_free(struct nmid *id)
{
	if (!id)
		return;
	mbedtls_pk_free(&id->key);      /* mbedTLS zeroises the key's limbs */
	explicit_bzero(id, sizeof(*id));
	free(id);
}

int nmid_csr(struct nmid *id, uint8_t *der, size_t cap, size_t *len)
{
	mbedtls_x509write_csr w;
	char subject[8 + LABEL_HOST_MAX + 1];
	int n, rc = -EPX_E_NM_KEY;

	mbedtls_x509write_csr_init(&w);
	snprintf(subject, sizeof(subject), "CN=%s", id->host);
	mbedtls_x509write_csr_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_csr_set_key(&w, &id->key);
	if (mbedtls_x509write_csr_set_subject_name(&w, subject) != 0)
		goto out;
	/* mbedTLS writes backwards, at the end of der */
	n = mbedtls_x509write_csr_der(&w, der, cap, nmid_rng, NULL);
	if (n <= 0 || (size_t)n > cap)
		goto out;
	memmove(der, der + cap - (size_t)n, (size_t)n);
	*len = (size_t)n;
	rc = 0;
out:
	mbedtls_x509write_csr_free(&w);
	return rc;
}

int nmid_key_pem(struct nmid *id, char *pem, size_t cap, size_t *len)
{
	if (mbedtls_pk_write_key_pem(&id->key, (unsigned char *)pem, cap) != 0) {
		explicit_bzero(pem, cap);
		return -EPX_E_NM_KEY;
	}
	*len = strlen(pem) + 1;
	return 0;
}

static int64_t nmid_unix(const mbedtls_x509_time *t)
{
	struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1,
			 .tm_mday = t->day, .tm_hour = t->hour, .tm_min = t->min,
			 .tm_sec = t->sec };

	return (int64_t)timegm(&tm);
}

/* Same public key as ours: compare the encoded SubjectPublicKeyInfo. */
static int nmid_same_key(struct nmid *id, mbedtls_pk_context *pk)
{
	unsigned char a[160], b[160];
	int na = mbedtls_pk_write_pubkey_der(&id->key, a, sizeof(a));
	int nb = mbedtls_pk_write_pubkey_der(pk, b, sizeof(b));

	return na > 0 && na == nb && !memcmp(a + sizeof(a) - na, b + sizeof(b) - nb, (size_t)na);
}

/* The subject is CN=host alone, or (archive) CN=host and
 * OU=NODEPROTO_ARCHIVE_OU in either order and nothing else. */
static int nmid_subject_ok(const mbedtls_x509_name *n, const char *host, int archive)
{
	size_t hl = strlen(host), ol = strlen(NODEPROTO_ARCHIVE_OU);
	int cn = 0, ou = 0;

	for (; n; n = n->next) {
		if (n->oid.len == MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN) &&
		    !memcmp(n->oid.p, MBEDTLS_OID_AT_CN, n->oid.len) && n->val.len == hl &&
		    !memcmp(n->val.p, host, hl))
			cn++;
		else if (archive && n->oid.len == MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORG_UNIT) &&
			 !memcmp(n->oid.p, MBEDTLS_OID_AT_ORG_UNIT, n->oid.len) &&
			 n->val.len == ol && !memcmp(n->val.p, NODEPROTO_ARCHIVE_OU, ol))
			ou++;
		else
			return 0;
	}
	return cn == 1 && ou == (archive ? 1 : 0);
}

static int nmid_check(struct nmid *id, const char *pem, size_t len, int archive,
		      int64_t *lifetime)
{
	mbedtls_x509_crt crt;
	char *copy = malloc(len + 1);
	int rc = -EPX_E_NM_CERT;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, pem, len);
	copy[len] = '\0';
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, (unsigned char *)copy, len + 1) != 0 || crt.next)
		goto out;
	if (!nmid_subject_ok(&crt.subject, id->host, archive) || !nmid_same_key(id, &crt.pk))
		goto out;
	*lifetime = nmid_unix(&crt.valid_to) - nmid_unix(&crt.valid_from);
	rc = *lifetime > 0 ? 0 : -EPX_E_NM_CERT;
out:
	mbedtls_x509_crt_free(&crt);
	free(copy);
	return rc;
}

int nmid_cert_check(struct nmid *id, const char *pem, size_t len, int64_t *lifetime)
{
	return nmid_check(id, pem, len, 0, lifetime);
}

int nmid_archive_check(struct nmid *id, const char *pem, size_t len, int64_t *lifetime)
{
	return nmid_check(id, pem, len, 1, lifetime);
}
