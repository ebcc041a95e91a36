/* mbedtls_config: the trimmed mbedTLS 2.28 configuration of the static agent.
 *
 * Only what a TLS 1.2 client with a pinned CA and the trust library need:
 * ECDHE-ECDSA and ECDHE-RSA key exchange, AES-GCM and ChaCha20-Poly1305
 * (first without AES-NI: net/tls.h), SHA-256/384, P-256 and
 * P-384, X.509 parse and verify, ECDSA verify for manifests.  No TLS < 1.2
 * is compiled in at all, so no configuration mistake can enable it.  No
 * MBEDTLS_HAVE_TIME_DATE: the node has no trusted clock, so certificate
 * validity periods are not checked against it (the pinned CA and the
 * nonce-bound session statement carry freshness instead; see
 * docs/guide/50-agent.md).  The node manager (node/nm/, built with the
 * same library and net/'s same client) also makes its P-256 key, writes
 * its certificate request and hands the key to TLS as PEM: the writers
 * below; the agent links none of them (--gc-sections drops them).  The
 * node manager's HTTPS API is net/tls's server side: MBEDTLS_SSL_SRV_C. */
#ifndef EPOXY_MBEDTLS_CONFIG_H
#define EPOXY_MBEDTLS_CONFIG_H

#define MBEDTLS_HAVE_ASM
#define MBEDTLS_HAVE_TIME

/* entropy: getrandom(2) via the platform source */
#define MBEDTLS_ENTROPY_C
#define MBEDTLS_CTR_DRBG_C

/* hashes, ciphers */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AESNI_C
#define MBEDTLS_GCM_C
/* GCM with VAES on 512-bit registers (sixteen blocks a loop) or AES-NI
 * and PCLMULQDQ (eight): net/aesgcm.c (mbedTLS's own did one block per
 * call: half the download's CPU) */
#define MBEDTLS_GCM_ALT
/* ChaCha20-Poly1305 (RFC 7905): about three times AES-GCM's speed on a
 * CPU without AES-NI (the QEMU nodes' qemu64), offered first there */
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C

/* public key */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_OID_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE
/* the node manager's key and certificate request (node/nm/nmid.c) */
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CSR_WRITE_C

/* TLS 1.2 client only */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_SRV_C      /* epoxy-nm --api-listen (net/tls's server side) */
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_ENCRYPT_THEN_MAC
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

#include "mbedtls/check_config.h"

#endif
