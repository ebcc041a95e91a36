/* hash: streaming SHA-256 for artifacts, using the CPU's SHA extensions
 * (SHA-NI) when present and mbedTLS otherwise.
 *
 * Guarantees: the same digest as mbedtls_sha256 for every input (checked by
 * tests/unit/test_agent_hash.c against mbedTLS over many lengths and
 * split points); the choice is made once per hash_init() from CPUID. */
#ifndef EPOXY_STAGE2_HASH_H
#define EPOXY_STAGE2_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/sha256.h>

struct hash {
	int ni;                         /* 1: SHA-NI path */
	uint32_t h[8];
	uint8_t buf[64];
	size_t buflen;
	uint64_t total;
	mbedtls_sha256_context mb;
};

/* force: -1 auto, 0 mbedTLS, 1 SHA-NI (only if the CPU has it). */
void hash_init(struct hash *x, int force);
void hash_update(struct hash *x, const uint8_t *p, size_t n);
void hash_finish(struct hash *x, uint8_t out[32]);
void hash_free(struct hash *x);
/* 1 if this CPU has SHA-NI (and SSE4.1). */
int hash_cpu_has_ni(void);

#endif
