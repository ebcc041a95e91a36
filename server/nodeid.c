/* nodeid: the node CA (see nodeid.h).
 *
 * Order in nodeid_issue: parse -> version, attributes, subject, key type
 * -> signature -> only then the CA's key signs.  The request's own fields
 * are never copied into the certificate: the subject is rebuilt from the
 * checked host name and no extension of the request survives. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/rand.h"
#include "server/nodeid.h"

#define NODEID_DN_MAX 512

struct nodeid {
	pthread_mutex_t lock;
	uint64_t gen;                   /* nodeid_gen(): unique per nodeid_new */
	mbedtls_x509_crt ca;
	mbedtls_x509_crt prev;          /* previous node CAs (rotation); nprev of them */
	size_t nprev;
	mbedtls_pk_context key;
	char issuer[NODEID_DN_MAX];     /* the CA's subject, as mbedTLS spells it */
	char names[NODEID_NAMES_MAX][LABEL_DNS_MAX + 1]; /* never issued for */
	size_t nnames;
};

/* mbedTLS's RNG callback over getrandom(2): thread-safe, no state */
static int nodeid_rng(void *unused, unsigned char *buf, size_t n)
{
	return rand_bytes(buf, n) < 0 ? MBEDTLS_ERR_ENTROPY_SOURCE_FAILED : 0;
}

static int nodeid_is_p256(const mbedtls_pk_context *pk)
{
	const mbedtls_ecp_keypair *ec;

	if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY)
		return 0;
	ec = mbedtls_pk_ec(*pk);
	return ec && ec->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

static uint64_t nodeid_gens;     /* the last nodeid_gen() handed out */

uint64_t nodeid_gen(const struct nodeid *n)
{
	return n->gen;
}

int nodeid_new(struct nodeid **out, const char *ca_pem, size_t ca_len,
	       const char *key_pem, size_t key_len)
{
	struct nodeid *n = calloc(1, sizeof(*n));
	int rc = -ENOMEM;

	*out = NULL;
	if (!n)
		return rc;
	pthread_mutex_init(&n->lock, NULL);
	n->gen = __atomic_add_fetch(&nodeid_gens, 1, __ATOMIC_RELAXED);
	mbedtls_x509_crt_init(&n->ca);
	mbedtls_x509_crt_init(&n->prev);
	mbedtls_pk_init(&n->key);
	rc = -EPX_E_NID_CAFILE;
	if (mbedtls_x509_crt_parse(&n->ca, (const unsigned char *)ca_pem, ca_len) != 0 ||
	    n->ca.next || !n->ca.ca_istrue ||
	    mbedtls_pk_parse_key(&n->key, (const unsigned char *)key_pem, key_len, NULL, 0) != 0 ||
	    !nodeid_is_p256(&n->key) || mbedtls_pk_check_pair(&n->ca.pk, &n->key) != 0 ||
	    mbedtls_x509_dn_gets(n->issuer, sizeof(n->issuer), &n->ca.subject) < 0)
		goto fail;
	*out = n;
	return 0;
fail:
	nodeid_free(n);
	return rc;
}

void nodeid_free(struct nodeid *n)
{
	if (!n)
		return;
	mbedtls_pk_free(&n->key);
	mbedtls_x509_crt_free(&n->ca);
	mbedtls_x509_crt_free(&n->prev);
	pthread_mutex_destroy(&n->lock);
	explicit_bzero(n, sizeof(*n));
	free(n);
}

/* One name of the server's certificate into names[*k], lower case. */
static int nodeid_name_add(char names[][LABEL_DNS_MAX + 1], size_t *k, const unsigned char *p,
			   size_t len)
{
	size_t i;

	if (*k == NODEID_NAMES_MAX || len == 0 || len > LABEL_DNS_MAX)
		return -EPX_E_NID_CAFILE;
	for (i = 0; i < len; i++)
		names[*k][i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
	names[*k][len] = '\0';
	(*k)++;
	return 0;
}

int nodeid_server_names(struct nodeid *n, const char *pem, size_t len)
{
	char names[NODEID_NAMES_MAX][LABEL_DNS_MAX + 1];
	const mbedtls_x509_sequence *s;
	const mbedtls_x509_name *dn;
	mbedtls_x509_crt crt;
	size_t k = 0;
	int rc = -EPX_E_NID_CAFILE;

	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, (const unsigned char *)pem, len) != 0)
		goto out;
	rc = 0;
	for (s = &crt.subject_alt_names; rc == 0 && s && s->buf.p; s = s->next)
		if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2))  /* dNSName */
			rc = nodeid_name_add(names, &k, s->buf.p, s->buf.len);
	for (dn = &crt.subject; rc == 0 && k == 0 && dn && dn->oid.p; dn = dn->next)
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &dn->oid) == 0)
			rc = nodeid_name_add(names, &k, dn->val.p, dn->val.len);
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&n->lock);
	memcpy(n->names, names, sizeof(names));
	n->nnames = k;
	pthread_mutex_unlock(&n->lock);
out:
	mbedtls_x509_crt_free(&crt);
	return rc;
}

/* Whether host (lower case, LABEL_HOST) is one of the server's names; a
 * name "*.rest" covers one label before rest.  Under n->lock. */
static int nodeid_is_server_name(const struct nodeid *n, const char *host)
{
	const char *dot = strchr(host, '.');
	size_t i;

	for (i = 0; i < n->nnames; i++) {
		const char *m = n->names[i];

		if (!strcmp(m, host))
			return 1;
		if (m[0] == '*' && m[1] == '.' && dot && !strcmp(m + 1, dot))
			return 1;
	}
	return 0;
}

int nodeid_trust_previous(struct nodeid *n, const char *pem, size_t len)
{
	const mbedtls_x509_crt *c;
	size_t count = 0;

	if (n->nprev || mbedtls_x509_crt_parse(&n->prev, (const unsigned char *)pem, len) != 0)
		return -EPX_E_NID_CAFILE;
	for (c = &n->prev; c && c->raw.len; c = c->next)
		if (!c->ca_istrue || ++count > NODEID_PREV_MAX)
			return -EPX_E_NID_CAFILE;
	n->nprev = count;
	return count ? 0 : -EPX_E_NID_CAFILE;
}

/* ------------------------------------------------------------ requests */

/* CertificationRequestInfo ::= SEQUENCE { version, subject, spki,
 * attributes [0] }: the attributes must be present and empty, and
 * nothing may follow them. */
static int nodeid_no_attributes(const mbedtls_x509_buf *cri)
{
	unsigned char *p = cri->p, *end = cri->p + cri->len;
	size_t len;
	int i;

	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
				 MBEDTLS_ASN1_SEQUENCE) != 0 || len != (size_t)(end - p))
		return -EPX_E_NID_CSR;
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_INTEGER) != 0)
		return -EPX_E_NID_CSR;
	p += len;
	for (i = 0; i < 2; i++) {       /* subject, subjectPublicKeyInfo */
		if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
					 MBEDTLS_ASN1_SEQUENCE) != 0)
			return -EPX_E_NID_CSR;
		p += len;
	}
	if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED |
				 MBEDTLS_ASN1_CONTEXT_SPECIFIC) != 0)
		return -EPX_E_NID_CSR;
	return len == 0 && p == end ? 0 : -EPX_E_NID_EXT;
}

/* Exactly one attribute in the whole name: CN, equal to host. */
static int nodeid_subject_is(const mbedtls_x509_name *name, const char *host)
{
	size_t hl = strlen(host);

	if (!name || name->next || name->oid.len != MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN) ||
	    memcmp(name->oid.p, MBEDTLS_OID_AT_CN, name->oid.len) ||
	    (name->val.tag != MBEDTLS_ASN1_UTF8_STRING &&
	     name->val.tag != MBEDTLS_ASN1_PRINTABLE_STRING) ||
	    name->val.len != hl || memcmp(name->val.p, host, hl))
		return -EPX_E_NID_CN;
	return 0;
}

static int nodeid_csr_sig(mbedtls_x509_csr *csr)
{
	unsigned char hash[32];

	if (csr->sig_pk != MBEDTLS_PK_ECDSA || csr->sig_md != MBEDTLS_MD_SHA256 ||
	    mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), csr->cri.p,
		       csr->cri.len, hash) != 0 ||
	    mbedtls_pk_verify(&csr->pk, MBEDTLS_MD_SHA256, hash, sizeof(hash),
			      csr->sig.p, csr->sig.len) != 0)
		return -EPX_E_NID_CSR;
	return 0;
}

/* Parses and checks; csr is initialised by the caller either way. */
static int nodeid_csr_parse(mbedtls_x509_csr *csr, const uint8_t *der, size_t len,
			    const char *host)
{
	int rc = -EPX_E_NID_CSR;

	if (!der || len == 0 || len > NODEID_CSR_MAX || der[0] != 0x30 ||
	    label_check_str(LABEL_HOST, host) < 0)
		return host && label_check_str(LABEL_HOST, host) < 0 ? -EPX_E_NID_CN : rc;
	if (mbedtls_x509_csr_parse_der(csr, der, len) != 0 || csr->version != 1 ||
	    csr->raw.len != len)
		return rc;
	rc = nodeid_no_attributes(&csr->cri);
	if (rc == 0)
		rc = nodeid_subject_is(&csr->subject, host);
	if (rc == 0 && !nodeid_is_p256(&csr->pk))
		rc = -EPX_E_NID_KEYTYPE;
	if (rc == 0)
		rc = nodeid_csr_sig(csr);
	return rc;
}

int nodeid_csr_check(const uint8_t *der, size_t len, const char *host)
{
	mbedtls_x509_csr csr;
	int rc;

	mbedtls_x509_csr_init(&csr);
	rc = nodeid_csr_parse(&csr, der, len, host);
	mbedtls_x509_csr_free(&csr);
	return rc;
}

/* ------------------------------------------------------------- issuing */

static void nodeid_time(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* A fresh serial: 16 random bytes, the first in 0x40..0x7f (positive, and
 * always 16 bytes long, so its hex form is the same on both sides). */
static int nodeid_serial(mbedtls_mpi *mpi, char hex[NODEID_SERIAL_HEX + 1])
{
	uint8_t b[NODEID_SERIAL_BYTES];
	int rc = rand_bytes(b, sizeof(b));

	if (rc < 0)
		return rc;
	b[0] = (uint8_t)((b[0] & 0x3f) | 0x40);
	hex_encode(b, sizeof(b), hex);
	rc = mbedtls_mpi_read_binary(mpi, b, sizeof(b)) ? -EPX_E_NID_ISSUE : 0;
	explicit_bzero(b, sizeof(b));
	return rc;
}

/* extendedKeyUsage ::= SEQUENCE { id-kp-clientAuth } */
/* extendedKeyUsage: clientAuth (the node's mutual TLS with epoxyd) and
 * serverAuth (epoxy-nm --api-listen serves its HTTPS API with the same
 * certificate; mbedTLS's server refuses a certificate without it) */
static const unsigned char nodeid_eku[] = {
	0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02,
	0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01,
};

/* an archive-only certificate: clientAuth alone (it never serves the
 * node's HTTPS API) */
static const unsigned char nodeid_eku_archive[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02,
};

static int nodeid_write(struct nodeid *n, mbedtls_x509write_cert *w,
			mbedtls_pk_context *subject_key, const char *host,
			int64_t now, unsigned ttl, mbedtls_mpi *serial, enum nodeid_kind kind)
{
	char subject[32 + LABEL_HOST_MAX + 1], nb[16], na[16];
	const unsigned char *eku = kind == NODEID_ARCHIVE ? nodeid_eku_archive : nodeid_eku;
	size_t eku_len = kind == NODEID_ARCHIVE ? sizeof(nodeid_eku_archive) : sizeof(nodeid_eku);

	if (kind == NODEID_ARCHIVE)
		snprintf(subject, sizeof(subject), "CN=%s,OU=%s", host, NODEID_ARCHIVE_OU);
	else
		snprintf(subject, sizeof(subject), "CN=%s", host);
	nodeid_time(now - NODEID_SKEW, nb);
	nodeid_time(now + (int64_t)ttl, na);
	mbedtls_x509write_crt_set_version(w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(w, subject_key);
	mbedtls_x509write_crt_set_issuer_key(w, &n->key);
	if (mbedtls_x509write_crt_set_serial(w, serial) ||
	    mbedtls_x509write_crt_set_validity(w, nb, na) ||
	    mbedtls_x509write_crt_set_issuer_name(w, n->issuer) ||
	    mbedtls_x509write_crt_set_subject_name(w, subject) ||
	    mbedtls_x509write_crt_set_basic_constraints(w, 0, -1) ||
	    mbedtls_x509write_crt_set_key_usage(w, MBEDTLS_X509_KU_DIGITAL_SIGNATURE) ||
	    mbedtls_x509write_crt_set_extension(w, MBEDTLS_OID_EXTENDED_KEY_USAGE,
						MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0,
						eku, eku_len) ||
	    mbedtls_x509write_crt_set_subject_key_identifier(w) ||
	    mbedtls_x509write_crt_set_authority_key_identifier(w))
		return -EPX_E_NID_ISSUE;
	return 0;
}

int nodeid_issue(struct nodeid *n, const uint8_t *der, size_t len,
		 const char *host, enum nodeid_kind kind, int64_t now, unsigned ttl,
		 char serial[NODEID_SERIAL_HEX + 1], int64_t *not_after,
		 char *pem, size_t cap, size_t *pem_len)
{
	mbedtls_x509write_cert w;
	mbedtls_x509_csr csr;
	mbedtls_mpi mpi;
	int rc;

	mbedtls_x509_csr_init(&csr);
	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&mpi);
	rc = nodeid_csr_parse(&csr, der, len, host);
	if (rc < 0)
		goto out;
	rc = nodeid_serial(&mpi, serial);
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&n->lock);
	rc = nodeid_is_server_name(n, host) ? -EPX_E_NID_SERVERNAME :
		nodeid_write(n, &w, &csr.pk, host, now, ttl, &mpi, kind);
	if (rc == 0 && mbedtls_x509write_crt_pem(&w, (unsigned char *)pem, cap,
						  nodeid_rng, NULL) != 0)
		rc = -EPX_E_NID_ISSUE;
	pthread_mutex_unlock(&n->lock);
	if (rc == 0) {
		*pem_len = strlen(pem);
		*not_after = now + (int64_t)ttl;
	}
out:
	mbedtls_mpi_free(&mpi);
	mbedtls_x509write_crt_free(&w);
	mbedtls_x509_csr_free(&csr);
	return rc;
}

/* ------------------------------------------------------- presented certs */

static int64_t nodeid_unix(const mbedtls_x509_time *t)
{
	struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1,
			 .tm_mday = t->day, .tm_hour = t->hour, .tm_min = t->min,
			 .tm_sec = t->sec };

	return (int64_t)timegm(&tm);
}

static int nodeid_valid_at(const mbedtls_x509_crt *c, int64_t now)
{
	return now >= nodeid_unix(&c->valid_from) && now <= nodeid_unix(&c->valid_to);
}

/* An attribute of oid whose value is exactly lit. */
static int nodeid_attr_is(const mbedtls_x509_name *a, const char *oid, size_t oid_len,
			  const char *lit)
{
	return a->oid.len == oid_len && !memcmp(a->oid.p, oid, oid_len) &&
		a->val.len == strlen(lit) && !memcmp(a->val.p, lit, a->val.len);
}

/* The subject's kind: CN alone (a node's), or CN and OU=NODEID_ARCHIVE_OU
 * in either order (archive-only); name is left on the CN.  Else -1. */
static int nodeid_subject_kind(const mbedtls_x509_name **name, enum nodeid_kind *kind)
{
	const mbedtls_x509_name *a = *name, *b = a ? a->next : NULL;
	const char *cn = MBEDTLS_OID_AT_CN, *ou = MBEDTLS_OID_AT_ORG_UNIT;
	size_t cl = MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN), ol = MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORG_UNIT);

	if (!a)
		return -1;
	*kind = NODEID_NODE;
	if (!b)
		return 0;
	if (b->next)
		return -1;
	*kind = NODEID_ARCHIVE;
	if (a->oid.len == cl && !memcmp(a->oid.p, cn, cl) &&
	    nodeid_attr_is(b, ou, ol, NODEID_ARCHIVE_OU))
		return 0;
	if (b->oid.len == cl && !memcmp(b->oid.p, cn, cl) &&
	    nodeid_attr_is(a, ou, ol, NODEID_ARCHIVE_OU)) {
		*name = b;
		return 0;
	}
	return -1;
}

/* The CN of the subject (nodeid_subject_kind), as a host name. */
static int nodeid_cn(const mbedtls_x509_name *name, char host[LABEL_HOST_MAX + 1],
		     enum nodeid_kind *kind)
{
	if (nodeid_subject_kind(&name, kind) < 0 ||
	    name->oid.len != MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN) ||
	    memcmp(name->oid.p, MBEDTLS_OID_AT_CN, name->oid.len) ||
	    name->val.len == 0 || name->val.len > LABEL_HOST_MAX)
		return -EPX_E_NID_CERT;
	memcpy(host, name->val.p, name->val.len);
	host[name->val.len] = '\0';
	return label_check_str(LABEL_HOST, host) < 0 ? -EPX_E_NID_CERT : 0;
}

static int nodeid_serial_of(const mbedtls_x509_crt *c, char serial[NODEID_SERIAL_HEX + 1])
{
	const unsigned char *p = c->serial.p;
	size_t len = c->serial.len;

	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	if (len != NODEID_SERIAL_BYTES)
		return -EPX_E_NID_CERT;
	hex_encode(p, len, serial);
	return 0;
}

/* A certificate of a previous node CA (rotation): it verifies under one
 * of them, and that one (its issuer by name) and it are valid now. */
static int nodeid_peer_prev(struct nodeid *n, mbedtls_x509_crt *crt, int64_t now,
			    const mbedtls_x509_crt **by)
{
	const uint32_t timeflags = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE;
	const mbedtls_x509_crt *c;
	uint32_t flags = 0;
	int v = mbedtls_x509_crt_verify(crt, &n->prev, NULL, NULL, &flags, NULL, NULL);

	if ((v != 0 && v != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) || (flags & ~timeflags) ||
	    !nodeid_valid_at(crt, now))
		return -EPX_E_NID_CERT;
	for (c = &n->prev; c && c->raw.len; c = c->next)
		if (c->subject_raw.len == crt->issuer_raw.len &&
		    !memcmp(c->subject_raw.p, crt->issuer_raw.p, c->subject_raw.len) &&
		    nodeid_valid_at(c, now)) {
			*by = c;
			return 0;
		}
	return -EPX_E_NID_CERT;
}

int nodeid_peer(struct nodeid *n, const uint8_t *der, size_t len, int64_t now,
		char host[LABEL_HOST_MAX + 1], char serial[NODEID_SERIAL_HEX + 1],
		int64_t window[2], enum nodeid_kind *kind)
{
	enum nodeid_kind k = NODEID_NODE;

	const uint32_t timeflags = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE;
	const mbedtls_x509_crt *by = &n->ca;
	mbedtls_x509_crt crt;
	uint32_t flags = 0;
	int rc = -EPX_E_NID_CERT, v;

	if (!der || len == 0)
		return -EPX_E_NID_NOCERT;
	if (len > NODEID_CERT_DER_MAX)
		return rc;
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_der(&crt, der, len) != 0 || crt.ca_istrue)
		goto out;
	pthread_mutex_lock(&n->lock);
	/* validity is judged below by the server's clock, not mbedTLS's */
	v = mbedtls_x509_crt_verify(&crt, &n->ca, NULL, NULL, &flags, NULL, NULL);
	if ((v == 0 || v == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) && !(flags & ~timeflags) &&
	    nodeid_valid_at(&crt, now) && nodeid_valid_at(&n->ca, now))
		rc = 0;
	if (rc < 0 && n->nprev)
		rc = nodeid_peer_prev(n, &crt, now, &by);
	if (rc == 0 && window) {
		int64_t f = nodeid_unix(&crt.valid_from), t = nodeid_unix(&crt.valid_to);
		int64_t cf = nodeid_unix(&by->valid_from), ct = nodeid_unix(&by->valid_to);

		window[0] = f > cf ? f : cf;
		window[1] = t < ct ? t : ct;
	}
	pthread_mutex_unlock(&n->lock);
	if (rc == 0)
		rc = nodeid_cn(&crt.subject, host, &k);
	if (rc == 0)
		rc = nodeid_serial_of(&crt, serial);
	if (rc == 0 && kind)
		*kind = k;
out:
	mbedtls_x509_crt_free(&crt);
	return rc;
}
