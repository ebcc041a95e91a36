/* sha256: one-shot SHA-256 over a buffer (mbedTLS underneath).
 *
 * Guarantees: out always receives the 32-byte digest of exactly buf[0..len). */
#include <mbedtls/sha256.h>

#include "lib/sha256.h"

void sha256_buf(const void *buf, size_t len, uint8_t out[SHA256_LEN])
{
	mbedtls_sha256_context ctx;

	mbedtls_sha256_init(&ctx);
	/* with a valid context and is224 = 0 these cannot fail */
	(void)mbedtls_sha256_starts_ret(&ctx, 0);
	(void)mbedtls_sha256_update_ret(&ctx, buf, len);
	(void)mbedtls_sha256_finish_ret(&ctx, out);
	mbedtls_sha256_free(&ctx);
}
