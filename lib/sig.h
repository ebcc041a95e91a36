/* sig: ECDSA P-256 public keys, key IDs and signature verification.
 * Verification only, so the agent links no signing code; signing lives in
 * lib/sign.h (host programs). */
#ifndef EPOXY_SIG_H
#define EPOXY_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/doc.h"

#define SIG_POINT_LEN 65        /* uncompressed P-256 point, 04 || X || Y */

struct sig_pub {
	uint8_t point[SIG_POINT_LEN];
	uint8_t keyid[DOC_KEYID_LEN];   /* SHA-256(point)[0..8) */
};

/* Parses 130 hex digits into pk, checks the point is on the curve, computes
 * the key ID.  Returns 0 or -EPX_E_KS_PUBKEY. */
int sig_pub_from_hex(struct sig_pub *pk, const char *hex, size_t len);
/* Same from the 65 raw bytes (04 || X || Y). */
int sig_pub_from_point(struct sig_pub *pk, const uint8_t point[SIG_POINT_LEN]);
/* Writes the key ID as 16 lowercase hex digits and a NUL. */
void sig_keyid_hex(const struct sig_pub *pk, char out[2 * DOC_KEYID_LEN + 1]);
/* Verifies DER signature over hash.  Returns 0 or -EPX_E_SIG_BAD. */
int sig_verify(const struct sig_pub *pk, const uint8_t hash[32],
	       const uint8_t *der, size_t der_len);

#endif
