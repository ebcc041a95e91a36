/* fetch: download one artifact into sealed memory, bounded by its signed
 * length and hashed while streaming.
 *
 * Guarantees: the artifact lives in a memfd that nothing but this process
 * can reach; no byte beyond the signed length is ever stored; the SHA-256
 * of exactly the stored bytes is compared with the signed one before
 * fetch_artifact() returns 0; the memfd is then sealed against writing,
 * shrinking and growing (the initramfs keeps F_SEAL_GROW open until the
 * handover archive is appended: see fetch_seal_final()).  Interrupted
 * transfers resume with Range and the single-use Epoxy-Next-Token; a body
 * longer than signed, a lying Content-Length, a trickle, or a hash mismatch
 * stop the attempt with their own code and the download starts over with
 * the next token, at most FETCH_TOKENS_MAX times. */
#ifndef EPOXY_STAGE2_FETCH_H
#define EPOXY_STAGE2_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/manifest.h"
#include "net/https.h"
#include "net/retry.h"

#define FETCH_TOKENS_MAX 8

/* token: in: the artifact's token; out: wiped.  On success *fd is the
 * sealed memfd holding exactly a->length verified bytes. */
int fetch_artifact(struct https *h, enum manifest_role role,
		   const struct manifest_artifact *a, uint8_t token[32],
		   const struct retry_opts *o, int *fd);
/* Seals everything (after the handover was appended). */
int fetch_seal_final(int fd);
/* Reads a small sealed artifact back into buf (cap >= length). */
int fetch_read_all(int fd, void *buf, size_t len);

#endif
