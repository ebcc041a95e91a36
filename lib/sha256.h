/* sha256: one-shot SHA-256 (mbedTLS underneath).  Streaming users call
 * mbedtls_sha256_* directly. */
#ifndef EPOXY_SHA256_H
#define EPOXY_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

void sha256_buf(const void *buf, size_t len, uint8_t out[SHA256_LEN]);

#endif
