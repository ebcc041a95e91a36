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
#include "stage2/https.h"

#define FETCH_TOKENS_MAX 8

struct fetch_opts {
	unsigned retries;               /* attempts per artifact */
	unsigned backoff_ms;            /* base of the jittered backoff */
	uint64_t min_rate;
	int64_t phase_ms;               /* deadline per attempt */
	unsigned server_wait_s;         /* outage: uncounted retries (fetch_outage) */
};

/* token: in: the artifact's token; out: wiped.  On success *fd is the
 * sealed memfd holding exactly a->length verified bytes. */
int fetch_artifact(struct https *h, enum manifest_role role,
		   const struct manifest_artifact *a, uint8_t token[32],
		   const struct fetch_opts *o, int *fd);
/* Seals everything (after the handover was appended). */
int fetch_seal_final(int fd);
/* Reads a small sealed artifact back into buf (cap >= length). */
int fetch_read_all(int fd, void *buf, size_t len);
/* Sleeps a jittered exponential backoff for attempt (0-based). */
void fetch_backoff(unsigned base_ms, unsigned attempt, int retry_after_s);
/* The retry loops' outage clock.  rc is a failed request's code; when it
 * says the server is unreachable, cut off or overloaded (E1100, E1101,
 * E1105, E1116, E1118, E1120) and that has lasted less than
 * o->server_wait_s (since *since, -1 before the first such failure), prints
 * the retry line, backs off and returns 1: the caller retries without
 * counting.  Otherwise returns 0 (any other code resets *since). */
int fetch_outage(const struct fetch_opts *o, int64_t *since, int rc,
		 unsigned attempt, int retry_after_s);

#endif
