/* keyset: the release root of trust (docs/protocol.md, "Keyset").
 *
 * A keyset names the release keys, the threshold t, the server's online key
 * and revoked key IDs.  The root keyset is self-signed by t of its keys; a
 * rotation is signed by t(old) keys of the old set and t(new) of the new. */
#ifndef EPOXY_KEYSET_H
#define EPOXY_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/doc.h"
#include "lib/sig.h"

#define KEYSET_MAX_KEYS 32

struct keyset {
	uint32_t serial;
	unsigned threshold;
	struct sig_pub release[KEYSET_MAX_KEYS];
	size_t nrelease;
	struct sig_pub online;
	uint8_t revoked[KEYSET_MAX_KEYS][DOC_KEYID_LEN];
	size_t nrevoked;
};

/* Syntax only: fills ks from buf without checking signatures (fuzzing). */
int keyset_parse(struct keyset *ks, const char *buf, size_t len);
/* Parses a root keyset and checks it is signed by its own threshold. */
int keyset_load_root(struct keyset *ks, const char *buf, size_t len);
/* Verifies buf as the successor of *cur; on success replaces *cur.
 * Returns 0, -EPX_E_KS_SERIAL or -EPX_E_KS_ROTATION (or parse errors). */
int keyset_rotate(struct keyset *cur, const char *buf, size_t len);
/* Counts valid signatures on d by distinct, non-revoked release keys.
 * Returns 0 if at least the threshold, else the most specific error:
 * -EPX_E_SIG_REVOKED, -EPX_E_SIG_BAD, -EPX_E_SIG_UNKNOWNKEY,
 * -EPX_E_SIG_DUPKEY or -EPX_E_SIG_THRESHOLD. */
int keyset_check(const struct keyset *ks, const struct doc *d);

#endif
