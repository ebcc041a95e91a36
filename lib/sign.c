/* sign: private P-256 keys and deterministic ECDSA signing (host only).
 *
 * Guarantees: sign_generate() creates a new PEM key file with O_EXCL and
 * mode 0600 (never overwriting, never following a symlink); sign_load()
 * refuses a key file that is not a regular file or that group or others
 * may read or write, and any key that is not P-256; signatures are RFC 6979
 * deterministic ECDSA over SHA-256 hashes, DER-encoded.  Private key bytes
 * are never printed and every buffer that held them is wiped. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/rand.h"
#include "lib/sha256.h"
#include "lib/sign.h"

#define SIGN_KEY_FILE_MAX 4096

struct sign_key {
	mbedtls_pk_context pk;
	mbedtls_ctr_drbg_context drbg;  /* only for blinding and key generation */
};

static int sign_entropy(void *ctx, unsigned char *buf, size_t n)
{
	(void)ctx;
	return rand_bytes(buf, n) < 0 ? -1 : 0;
}

static int sign_drbg_seed(mbedtls_ctr_drbg_context *drbg)
{
	static const unsigned char pers[] = "epoxy-sign";

	if (mbedtls_ctr_drbg_seed(drbg, sign_entropy, NULL, pers, sizeof(pers) - 1) != 0)
		return -EPX_E_RNG;
	return 0;
}

static int sign_write_file(const char *path, const unsigned char *buf, size_t len)
{
	size_t off = 0;
	ssize_t w;
	int fd, rc = -EIO;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0) {
		rc = -errno;
		goto fail;
	}
	while (off < len) {
		w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = w < 0 ? -errno : -EIO;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		rc = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(path);
	return rc;
}

int sign_generate(const char *path)
{
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context pk;
	unsigned char pem[SIGN_KEY_FILE_MAX];
	int rc = -EPX_E_RNG;

	mbedtls_pk_init(&pk);
	mbedtls_ctr_drbg_init(&drbg);
	rc = sign_drbg_seed(&drbg);
	if (rc < 0)
		goto cleanup;
	rc = -EPX_E_KEY_LOAD;
	if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
		goto cleanup;
	rc = -EPX_E_RNG;
	if (mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk),
				mbedtls_ctr_drbg_random, &drbg) != 0)
		goto cleanup;
	rc = -EPX_E_KEY_LOAD;
	if (mbedtls_pk_write_key_pem(&pk, pem, sizeof(pem)) != 0)
		goto cleanup;
	rc = sign_write_file(path, pem, strlen((char *)pem));
cleanup:
	explicit_bzero(pem, sizeof(pem));
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_pk_free(&pk);
	return rc;
}

/* Reads a private key file after checking it is ours alone. */
static int sign_read_file(const char *path, unsigned char *buf, size_t cap, size_t *len)
{
	struct stat sb;
	ssize_t r;
	size_t off = 0;
	int fd, rc = -EPX_E_KEY_LOAD;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -EPX_E_KEY_LOAD;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		goto cleanup;
	rc = -EPX_E_KEY_PERM;
	if (sb.st_mode & 077)
		goto cleanup;
	rc = -EPX_E_KEY_LOAD;
	while (off < cap - 1) {
		r = read(fd, buf + off, cap - 1 - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto cleanup;
		if (r == 0)
			break;
		off += (size_t)r;
	}
	if (off == cap - 1)
		goto cleanup;   /* larger than any P-256 key file */
	buf[off] = '\0';
	*len = off + 1;         /* mbedTLS wants the NUL counted for PEM */
	rc = 0;
cleanup:
	close(fd);
	return rc;
}

int sign_load(struct sign_key **key, const char *path)
{
	unsigned char buf[SIGN_KEY_FILE_MAX];
	struct sign_key *k = NULL;
	mbedtls_ecp_keypair *ec;
	size_t len = 0;
	int rc = -EPX_E_KEY_LOAD;

	*key = NULL;
	rc = sign_read_file(path, buf, sizeof(buf), &len);
	if (rc < 0)
		goto cleanup;
	rc = -ENOMEM;
	k = calloc(1, sizeof(*k));
	if (!k)
		goto cleanup;
	mbedtls_pk_init(&k->pk);
	mbedtls_ctr_drbg_init(&k->drbg);
	rc = -EPX_E_KEY_LOAD;
	if (mbedtls_pk_parse_key(&k->pk, buf, len, NULL, 0) != 0 ||
	    mbedtls_pk_get_type(&k->pk) != MBEDTLS_PK_ECKEY)
		goto cleanup;
	ec = mbedtls_pk_ec(k->pk);
	if (!ec || ec->grp.id != MBEDTLS_ECP_DP_SECP256R1)
		goto cleanup;
	rc = sign_drbg_seed(&k->drbg);
	if (rc < 0)
		goto cleanup;
	*key = k;
	k = NULL;
	rc = 0;
cleanup:
	explicit_bzero(buf, sizeof(buf));
	sign_free(k);
	return rc;
}

void sign_free(struct sign_key *key)
{
	if (!key)
		return;
	mbedtls_ctr_drbg_free(&key->drbg);
	mbedtls_pk_free(&key->pk);
	explicit_bzero(key, sizeof(*key));
	free(key);
}

int sign_pub(const struct sign_key *key, struct sig_pub *pub)
{
	const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(key->pk);
	uint8_t point[SIG_POINT_LEN];
	size_t olen = 0;

	if (!ec || mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED,
					   &olen, point, sizeof(point)) != 0 ||
	    olen != SIG_POINT_LEN)
		return -EPX_E_KEY_LOAD;
	return sig_pub_from_point(pub, point);
}

int sign_hash(struct sign_key *key, const uint8_t hash[32], uint8_t *der,
	      size_t *der_len)
{
	mbedtls_ecdsa_context ecdsa;
	unsigned char sig[MBEDTLS_ECDSA_MAX_LEN];
	size_t slen = 0;
	int rc = -EPX_E_KEY_LOAD;

	mbedtls_ecdsa_init(&ecdsa);
	if (!mbedtls_pk_ec(key->pk) ||
	    mbedtls_ecdsa_from_keypair(&ecdsa, mbedtls_pk_ec(key->pk)) != 0)
		goto cleanup;
	rc = -EPX_E_SIG_BAD;
	/* with MBEDTLS_ECDSA_DETERMINISTIC (Debian's and our config) this is
	 * RFC 6979; the RNG only blinds the computation */
	if (mbedtls_ecdsa_write_signature(&ecdsa, MBEDTLS_MD_SHA256, hash, 32, sig, &slen,
					  mbedtls_ctr_drbg_random, &key->drbg) != 0 ||
	    slen > DOC_MAX_DER)
		goto cleanup;
	memcpy(der, sig, slen);
	*der_len = slen;
	rc = 0;
cleanup:
	mbedtls_ecdsa_free(&ecdsa);
	return rc;
}

int sign_doc_append(struct sign_key *key, const char *body, size_t body_len,
		    char *out, size_t cap, size_t *outlen)
{
	uint8_t hash[32], der[DOC_MAX_DER];
	char derhex[2 * DOC_MAX_DER + 1], idhex[2 * DOC_KEYID_LEN + 1];
	struct sig_pub pub;
	size_t der_len = 0;
	int n, rc = -EINVAL;

	if (body_len < 4 || memcmp(body + body_len - 4, "end\n", 4) != 0 || *outlen > cap)
		return -EINVAL;
	rc = sign_pub(key, &pub);
	if (rc < 0)
		return rc;
	sha256_buf(body, body_len, hash);
	rc = sign_hash(key, hash, der, &der_len);
	if (rc < 0)
		return rc;
	hex_encode(der, der_len, derhex);
	sig_keyid_hex(&pub, idhex);
	n = snprintf(out + *outlen, cap - *outlen, "sig %s %s\n", idhex, derhex);
	if (n < 0 || (size_t)n >= cap - *outlen)
		return -ENOSPC;
	*outlen += (size_t)n;
	return 0;
}
