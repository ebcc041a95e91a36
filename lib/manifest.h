/* manifest: the signed release manifest (docs/protocol.md).
 *
 * manifest_verify() is the only way the agent learns what to boot: parse
 * with hard caps, then a threshold of release-key signatures.  Policy
 * (expiry, floor, hardware class, agent version) is a separate step because
 * its inputs (the statement's time) arrive separately. */
#ifndef EPOXY_MANIFEST_H
#define EPOXY_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/keyset.h"
#include "lib/label.h"

enum manifest_role {
	MANIFEST_KERNEL,
	MANIFEST_INITRAMFS,
	MANIFEST_CMDLINE,
	MANIFEST_JOIN,
	MANIFEST_NROLES
};

#define MANIFEST_HWCLASS_MAX LABEL_TAG_MAX    /* LABEL_TAG (lib/label.h) */

struct manifest_artifact {
	uint64_t length;
	uint8_t sha256[32];
};

struct manifest {
	uint32_t version;
	int64_t expires;
	char hwclass[MANIFEST_HWCLASS_MAX + 1];
	uint32_t min_agent;
	struct manifest_artifact art[MANIFEST_NROLES];
	uint8_t file_sha256[32];    /* SHA-256 of the whole file */
};

/* Syntax and caps only, signatures not checked. */
int manifest_parse(struct manifest *m, const char *buf, size_t len);
/* Parse, then require keyset_check() to pass. */
int manifest_verify(struct manifest *m, const char *buf, size_t len,
		    const struct keyset *ks);
/* now: trusted time (the session statement's); floor: lowest acceptable
 * version.  Returns 0, -EPX_E_MF_EXPIRED, -EPX_E_MF_ROLLBACK,
 * -EPX_E_MF_HWCLASS or -EPX_E_MF_AGENT. */
int manifest_policy(const struct manifest *m, int64_t now, uint32_t floor,
		    const char *hwclass, uint32_t agent_version);
/* Writes the body (magic through "end\n") for m into out. */
int manifest_format(const struct manifest *m, char *out, size_t cap,
		    size_t *outlen);
/* Checks an artifact's bytes (or its length and SHA-256, for streaming
 * users) against role r of m.  Returns 0, -EPX_E_ART_LENGTH, -EPX_E_ART_HASH
 * or -EPX_E_ART_ROLE. */
int manifest_check_artifact(const struct manifest *m, enum manifest_role r,
			    const void *buf, size_t len);
int manifest_check_digest(const struct manifest *m, enum manifest_role r,
			  uint64_t len, const uint8_t sha256[32]);
/* 0 if s[0..n) is a valid hardware class, else -EPX_E_MF_SYNTAX (bad
 * character or empty) or -EPX_E_MF_OVERSIZE (longer than the cap). */
int manifest_hwclass_ok(const char *s, size_t n);
/* Cap on the artifact length of role r. */
uint64_t manifest_role_cap(enum manifest_role r);
const char *manifest_role_name(enum manifest_role r);
/* Returns the role, or -EPX_E_ART_ROLE. */
int manifest_role_from_name(const char *s, size_t len);

#endif
