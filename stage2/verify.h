/* verify: the agent's trust decisions, in one place.
 *
 * Guarantees: trust anchors come only from the signed image (/etc/epoxy:
 * ca.pem, keyset with optional rotations keyset.2, keyset.3 ..., floor,
 * hwclass); a session statement is accepted only if signed by the
 * keyset's online key and bound to this agent's nonce and host; a manifest
 * only with a threshold of distinct release-key signatures, named by the
 * statement (hash and version), unexpired at the statement's time, at or
 * above the floor, for this hardware class and agent version. */
#ifndef EPOXY_STAGE2_VERIFY_H
#define EPOXY_STAGE2_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/keyset.h"
#include "lib/manifest.h"
#include "lib/statement.h"

#define VERIFY_PATH_MAX 256
#define VERIFY_ROTATIONS_MAX 64
#define AGENT_VERSION 1u

struct anchors {
	struct keyset ks;
	uint32_t floor;
	char hwclass[MANIFEST_HWCLASS_MAX + 1];
	char ca_path[VERIFY_PATH_MAX];
};

/* Reads a small file (at most cap-1 bytes) NUL-terminated into buf.
 * Returns its length or -errno / -EFBIG. */
long verify_slurp(const char *path, char *buf, size_t cap);
/* Loads dir/{keyset,keyset.N,floor,hwclass} and names dir/ca.pem.
 * Returns 0 or -EPX_E_ANCHOR (or the keyset's own code). */
int verify_anchors(struct anchors *a, const char *dir);
int verify_statement(const struct anchors *a, struct statement *st,
		     const char *buf, size_t len, const uint8_t nonce[32],
		     const char *host);
int verify_manifest(const struct anchors *a, const struct statement *st,
		    struct manifest *m, const char *buf, size_t len);

#endif
