/* sig: P-256 public keys, key IDs and ECDSA signature verification.
 *
 * Guarantees: a struct sig_pub filled by sig_pub_from_hex() holds a point
 * that is on the P-256 curve and its key ID (first 8 bytes of SHA-256 of
 * the 65-byte uncompressed point); sig_verify() returns 0 only for a valid
 * DER ECDSA signature over exactly the given SHA-256 hash.  Verification
 * only: this module links no signing code and holds no secret. */
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/sha256.h"
#include "lib/sig.h"

/* Loads pk's point into ctx (P-256) and checks it is a valid public key. */
static int sig_ctx_load(mbedtls_ecdsa_context *ctx, const uint8_t *point)
{
	if (mbedtls_ecp_group_load(&ctx->grp, MBEDTLS_ECP_DP_SECP256R1) != 0)
		return -EPX_E_KS_PUBKEY;
	if (mbedtls_ecp_point_read_binary(&ctx->grp, &ctx->Q, point, SIG_POINT_LEN) != 0)
		return -EPX_E_KS_PUBKEY;
	if (mbedtls_ecp_check_pubkey(&ctx->grp, &ctx->Q) != 0)
		return -EPX_E_KS_PUBKEY;
	return 0;
}

int sig_pub_from_point(struct sig_pub *pk, const uint8_t point[SIG_POINT_LEN])
{
	mbedtls_ecdsa_context ctx;
	uint8_t h[SHA256_LEN];
	int rc = -EPX_E_KS_PUBKEY;

	if (point[0] != 0x04)
		return -EPX_E_KS_PUBKEY;
	mbedtls_ecdsa_init(&ctx);
	rc = sig_ctx_load(&ctx, point);
	if (rc < 0)
		goto cleanup;
	memcpy(pk->point, point, SIG_POINT_LEN);
	sha256_buf(point, SIG_POINT_LEN, h);
	memcpy(pk->keyid, h, DOC_KEYID_LEN);
	rc = 0;
cleanup:
	mbedtls_ecdsa_free(&ctx);
	return rc;
}

int sig_pub_from_hex(struct sig_pub *pk, const char *hex, size_t len)
{
	uint8_t point[SIG_POINT_LEN];

	if (hex_decode(hex, len, point, sizeof(point)) < 0)
		return -EPX_E_KS_PUBKEY;
	return sig_pub_from_point(pk, point);
}

int sig_verify(const struct sig_pub *pk, const uint8_t hash[32],
	       const uint8_t *der, size_t der_len)
{
	mbedtls_ecdsa_context ctx;
	int rc = -EPX_E_SIG_BAD;

	mbedtls_ecdsa_init(&ctx);
	if (sig_ctx_load(&ctx, pk->point) < 0)
		goto cleanup;
	if (der_len == 0 || der_len > DOC_MAX_DER)
		goto cleanup;
	if (mbedtls_ecdsa_read_signature(&ctx, hash, 32, der, der_len) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	mbedtls_ecdsa_free(&ctx);
	return rc;
}

void sig_keyid_hex(const struct sig_pub *pk, char out[2 * DOC_KEYID_LEN + 1])
{
	hex_encode(pk->keyid, DOC_KEYID_LEN, out);
}
