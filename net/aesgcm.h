/* aesgcm: AES-GCM (NIST SP 800-38D) for the TLS client's records.
 *
 * mbedTLS 2.28's GCM handles one 16-byte block at a time through its
 * generic cipher layer; in the agent's download it was half the CPU time
 * (bench/README.md, issue 17).  This module does the same computation with
 * the x86 instructions: where the CPU has VAES and VPCLMULQDQ with AVX-512
 * (and the OS saves those registers), sixteen counter blocks a loop, four
 * per instruction, and one GHASH reduction per sixteen blocks; else with
 * AES-NI and PCLMULQDQ, eight blocks a loop and one reduction per eight.
 * The agent's and the node services' mbedTLS (stage2/mbedtls_config.h, MBEDTLS_GCM_ALT) reach it
 * through net/gcm_alt.h and the mbedtls_gcm_* functions at the end of
 * aesgcm.c; nothing else calls it.
 *
 * Guarantees: the output, the tag and the refusals are those of mbedTLS's
 * own GCM (tests/unit/test_net_aesgcm.c compares them on random keys,
 * IVs, additional data and lengths, and with the SP 800-38D test vectors);
 * a decryption whose tag does not match leaves no plaintext in the output
 * (zeroed) and returns MBEDTLS_ERR_GCM_AUTH_FAILED, its tag compared in
 * constant time; the key schedule is mbedTLS's (mbedtls_aes_setkey_enc).
 * tests/unit/test_net_aesgcm.c runs every path the test machine's CPU has.
 * Without AES-NI and PCLMULQDQ (QEMU's qemu64 CPU, the test scenarios')
 * the same functions run portable code at mbedTLS's own speed: mbedTLS's
 * AES and a multiply by H with 4-bit tables, as mbedTLS's GCM does.
 * Streaming (aesgcm_update) takes whole blocks until its last call, as
 * mbedTLS documents; a call after a partial block is refused. */
#ifndef EPOXY_NET_AESGCM_H
#define EPOXY_NET_AESGCM_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/aes.h>

#define AESGCM_ENCRYPT 1        /* = MBEDTLS_GCM_ENCRYPT */
#define AESGCM_DECRYPT 0        /* = MBEDTLS_GCM_DECRYPT */
#define AESGCM_AGG 16           /* powers of H kept: blocks per reduction */

struct aesgcm {
	mbedtls_aes_context aes;        /* key schedule; the portable path's AES */
	uint8_t rk[15][16];             /* round keys (FIPS 197 byte order) */
	/* H^1..H^16 with their bytes reversed (the instructions' order) */
	uint8_t hpow[AESGCM_AGG][16];
	uint8_t h[16];                  /* H = E(K, 0^128), GCM's order */
	uint64_t mh[16], ml[16];        /* portable path: n * H for each nibble n */
	int nr, keyed;
	int ni;                         /* 0 portable, 1 AES-NI, 2 VAES */
	/* one message */
	int mode, partial;
	uint8_t ctr[16];                /* next counter block */
	uint8_t ek0[16];                /* E(K, J0) */
	uint8_t x[16];                  /* GHASH so far, GCM's order */
	uint64_t len, add_len;
};

/* 1: this CPU has AES-NI, PCLMULQDQ and SSSE3/SSE4.1. */
int aesgcm_cpu_has_ni(void);
/* 1: it also has VAES, VPCLMULQDQ, AVX2 and AVX-512 F/BW/VL, and the OS
 * saves their registers. */
int aesgcm_cpu_has_wide(void);
void aesgcm_init(struct aesgcm *g);
/* keybits 128, 192 or 256.  force: < 0 automatic (the widest path this
 * CPU has), 0 portable code, 1 the 128-bit AES-NI path, 2 the VAES path
 * (each falling back to the next narrower one the CPU has). */
int aesgcm_setkey(struct aesgcm *g, const uint8_t *key, unsigned keybits, int force);
int aesgcm_starts(struct aesgcm *g, int mode, const uint8_t *iv, size_t iv_len,
		  const uint8_t *add, size_t add_len);
int aesgcm_update(struct aesgcm *g, size_t len, const uint8_t *in, uint8_t *out);
int aesgcm_finish(struct aesgcm *g, uint8_t *tag, size_t tag_len);
int aesgcm_crypt_and_tag(struct aesgcm *g, int mode, size_t len,
			 const uint8_t *iv, size_t iv_len, const uint8_t *add,
			 size_t add_len, const uint8_t *in, uint8_t *out,
			 size_t tag_len, uint8_t *tag);
int aesgcm_auth_decrypt(struct aesgcm *g, size_t len, const uint8_t *iv,
			size_t iv_len, const uint8_t *add, size_t add_len,
			const uint8_t *tag, size_t tag_len, const uint8_t *in,
			uint8_t *out);
/* Wipes the key schedule and the state. */
void aesgcm_free(struct aesgcm *g);

#endif
