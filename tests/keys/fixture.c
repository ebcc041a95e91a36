/* fixture: throw-away keys and signed documents for table tests.  See
 * fixture.h.  Every failure aborts: a test must never pass because its
 * fixture silently produced nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ecp.h>

#include "lib/hex.h"
#include "lib/sha256.h"
#include "tests/keys/fixture.h"

static void fx_die(const char *what, int rc)
{
	fprintf(stderr, "fixture: %s failed (%d)\n", what, rc);
	abort();
}

void fx_init(struct fx *f, int n)
{
	char path[128];
	int i, rc;

	memset(f, 0, sizeof(*f));
	if (n > FX_MAX_KEYS)
		fx_die("too many keys", n);
	snprintf(f->dir, sizeof(f->dir), "/tmp/epoxy-fx-XXXXXX");
	if (!mkdtemp(f->dir))
		fx_die("mkdtemp", -1);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/k%d.key", f->dir, i);
		rc = sign_generate(path);
		if (rc < 0)
			fx_die("sign_generate", rc);
		rc = sign_load(&f->key[i], path);
		if (rc < 0)
			fx_die("sign_load", rc);
		if (sign_pub(f->key[i], &f->pub[i]) < 0)
			fx_die("sign_pub", i);
		sig_keyid_hex(&f->pub[i], f->idhex[i]);
		hex_encode(f->pub[i].point, SIG_POINT_LEN, f->pubhex[i]);
	}
	f->nkeys = n;
}

void fx_free(struct fx *f)
{
	char path[128];
	int i;

	for (i = 0; i < f->nkeys; i++) {
		sign_free(f->key[i]);
		snprintf(path, sizeof(path), "%s/k%d.key", f->dir, i);
		unlink(path);
	}
	rmdir(f->dir);
	memset(f, 0, sizeof(*f));
}

/* Signs with sign_hash() directly rather than sign_doc_append(), so that
 * malformed bodies (no "end") can be signed too. */
void fx_sign(struct fx *f, char *buf, size_t cap, size_t *len, size_t body_len,
	     const int *signers)
{
	uint8_t hash[32], der[DOC_MAX_DER];
	char derhex[2 * DOC_MAX_DER + 1];
	size_t der_len;
	int i, n, rc;

	sha256_buf(buf, body_len, hash);
	for (i = 0; signers && signers[i] != FX_END; i++) {
		rc = sign_hash(f->key[signers[i]], hash, der, &der_len);
		if (rc < 0)
			fx_die("sign_hash", rc);
		hex_encode(der, der_len, derhex);
		n = snprintf(buf + *len, cap - *len, "sig %s %s\n", f->idhex[signers[i]], derhex);
		if (n < 0 || (size_t)n >= cap - *len)
			fx_die("fx_sign: buffer", n);
		*len += (size_t)n;
	}
	if (*len < cap)
		buf[*len] = '\0';
}

static size_t fx_add(char *out, size_t cap, size_t off, const char *line)
{
	size_t n = strlen(line);

	if (off > cap || n >= cap - off)
		fx_die("fx_add: buffer", (int)off);
	memcpy(out + off, line, n + 1);
	return off + n;
}

size_t fx_keyset_body(struct fx *f, char *out, size_t cap, uint32_t serial,
		      unsigned t, const int *rel, int online, const int *revoked)
{
	char line[400];
	size_t off = 0;
	int i;

	snprintf(line, sizeof(line), "epoxy-keyset 1\nserial %u\nthreshold %u\n", serial, t);
	off = fx_add(out, cap, off, line);
	for (i = 0; rel[i] != FX_END; i++) {
		snprintf(line, sizeof(line), "release %s %s\n", f->idhex[rel[i]], f->pubhex[rel[i]]);
		off = fx_add(out, cap, off, line);
	}
	snprintf(line, sizeof(line), "online %s %s\n", f->idhex[online], f->pubhex[online]);
	off = fx_add(out, cap, off, line);
	for (i = 0; revoked && revoked[i] != FX_END; i++) {
		snprintf(line, sizeof(line), "revoked %s\n", f->idhex[revoked[i]]);
		off = fx_add(out, cap, off, line);
	}
	return fx_add(out, cap, off, "end\n");
}

size_t fx_keyset(struct fx *f, char *out, size_t cap, uint32_t serial,
		 unsigned t, const int *rel, int online, const int *revoked,
		 const int *signers)
{
	size_t body = fx_keyset_body(f, out, cap, serial, t, rel, online, revoked);
	size_t len = body;

	fx_sign(f, out, cap, &len, body, signers);
	return len;
}

int fx_malleate(const uint8_t *der, size_t len, uint8_t *out, size_t *outlen)
{
	unsigned char *p = (unsigned char *)der, *end = p + len, buf[128], *q = buf + sizeof(buf);
	mbedtls_ecp_group grp;
	mbedtls_mpi r, s;
	size_t l;
	int n = 0, w, rc = -1;

	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1) != 0 ||
	    mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0 ||
	    mbedtls_asn1_get_mpi(&p, end, &r) != 0 || mbedtls_asn1_get_mpi(&p, end, &s) != 0 ||
	    mbedtls_mpi_sub_mpi(&s, &grp.N, &s) != 0)
		goto cleanup;
	if ((w = mbedtls_asn1_write_mpi(&q, buf, &s)) < 0)
		goto cleanup;
	n += w;
	if ((w = mbedtls_asn1_write_mpi(&q, buf, &r)) < 0)
		goto cleanup;
	n += w;
	if ((w = mbedtls_asn1_write_len(&q, buf, (size_t)n)) < 0)
		goto cleanup;
	n += w;
	if ((w = mbedtls_asn1_write_tag(&q, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
		goto cleanup;
	n += w;
	if ((size_t)n > DOC_MAX_DER)
		goto cleanup;
	memcpy(out, q, (size_t)n);
	*outlen = (size_t)n;
	rc = 0;
cleanup:
	mbedtls_mpi_free(&s);
	mbedtls_mpi_free(&r);
	mbedtls_ecp_group_free(&grp);
	return rc;
}
