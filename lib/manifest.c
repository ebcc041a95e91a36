/* manifest: the signed release manifest.
 *
 * Guarantees: a manifest accepted by manifest_parse() has every field
 * exactly once (version > 0, expires, hwclass [a-z0-9._-]{1,64},
 * min-agent, and one artifact line for each of the four roles with a length
 * within its role's cap and a SHA-256); each way of being wrong has its own
 * code (missing, duplicated, oversized, unknown critical field, syntax,
 * unknown role).  manifest_verify() additionally requires keyset_check().
 * Nothing here allocates; a struct manifest is self-contained. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/manifest.h"
#include "lib/num.h"
#include "lib/sha256.h"

static const char manifest_magic[] = "epoxy-manifest 1";

static const struct {
	const char *name;
	uint64_t cap;
} manifest_roles[MANIFEST_NROLES] = {
	[MANIFEST_KERNEL] = { "kernel", 512ull << 20 },
	[MANIFEST_INITRAMFS] = { "initramfs", 512ull << 20 },
	[MANIFEST_CMDLINE] = { "cmdline", 4096 },
	[MANIFEST_JOIN] = { "join", 1ull << 20 },
};

enum { MF_VERSION, MF_EXPIRES, MF_HWCLASS, MF_MINAGENT, MF_ART0, MF_NSEEN = MF_ART0 + MANIFEST_NROLES };

uint64_t manifest_role_cap(enum manifest_role r)
{
	return (unsigned)r < MANIFEST_NROLES ? manifest_roles[r].cap : 0;
}

const char *manifest_role_name(enum manifest_role r)
{
	return (unsigned)r < MANIFEST_NROLES ? manifest_roles[r].name : "?";
}

int manifest_role_from_name(const char *s, size_t len)
{
	int r;

	for (r = 0; r < MANIFEST_NROLES; r++)
		if (strlen(manifest_roles[r].name) == len &&
		    memcmp(manifest_roles[r].name, s, len) == 0)
			return r;
	return -EPX_E_ART_ROLE;
}

/* num_parse_u64 with the manifest's codes: syntax vs out of range. */
static int manifest_num(const char *v, size_t n, uint64_t min, uint64_t max, uint64_t *out)
{
	int rc = num_parse_u64(v, n, max, out);

	if (rc == -EPX_E_NUM_RANGE || (rc == 0 && *out < min))
		return -EPX_E_MF_OVERSIZE;
	return rc < 0 ? -EPX_E_MF_SYNTAX : 0;
}

int manifest_hwclass_ok(const char *s, size_t n)
{
	int rc = label_check(LABEL_TAG, s, n);

	if (rc == -EPX_E_LABEL_LONG)
		return -EPX_E_MF_OVERSIZE;
	return rc < 0 ? -EPX_E_MF_SYNTAX : 0;
}

/* "<role> <len> <sha256hex>" */
static int manifest_artifact(struct manifest *m, int *seen, const char *v, size_t n)
{
	const char *sp1, *sp2;
	uint64_t x;
	int r, rc = -EPX_E_MF_SYNTAX;

	sp1 = memchr(v, ' ', n);
	if (!sp1)
		return -EPX_E_MF_SYNTAX;
	r = manifest_role_from_name(v, (size_t)(sp1 - v));
	if (r < 0)
		return r;
	if (seen[MF_ART0 + r]++)
		return -EPX_E_MF_DUPLICATE;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - v));
	if (!sp2)
		return -EPX_E_MF_SYNTAX;
	rc = manifest_num(sp1 + 1, (size_t)(sp2 - sp1 - 1), 0, manifest_roles[r].cap, &x);
	if (rc < 0)
		return rc;
	m->art[r].length = x;
	if (hex_decode(sp2 + 1, n - (size_t)(sp2 + 1 - v), m->art[r].sha256, 32) < 0)
		return -EPX_E_MF_SYNTAX;
	return 0;
}

static int manifest_field(struct manifest *m, int *seen, const char *k, size_t kl,
			  const char *v, size_t vl)
{
	static const char *const names[] = { "version", "expires", "hwclass", "min-agent" };
	uint64_t x;
	int f, rc = -EPX_E_MF_UNKNOWN;

	if (kl == 8 && !memcmp(k, "artifact", 8))
		return manifest_artifact(m, seen, v, vl);
	for (f = 0; f < 4; f++)
		if (strlen(names[f]) == kl && !memcmp(names[f], k, kl))
			break;
	if (f == 4)
		return -EPX_E_MF_UNKNOWN;
	if (seen[f]++)
		return -EPX_E_MF_DUPLICATE;
	switch (f) {
	case MF_VERSION:
		rc = manifest_num(v, vl, 1, UINT32_MAX, &x);
		m->version = (uint32_t)x;
		break;
	case MF_EXPIRES:
		rc = manifest_num(v, vl, 0, INT64_MAX, &x);
		m->expires = (int64_t)x;
		break;
	case MF_HWCLASS:
		rc = manifest_hwclass_ok(v, vl);
		if (rc == 0) {
			memcpy(m->hwclass, v, vl);
			m->hwclass[vl] = '\0';
		}
		break;
	case MF_MINAGENT:
		rc = manifest_num(v, vl, 0, UINT32_MAX, &x);
		m->min_agent = (uint32_t)x;
		break;
	}
	return rc;
}

static int manifest_parse_doc(struct manifest *m, struct doc *d, const char *buf, size_t len)
{
	int seen[MF_NSEEN] = { 0 };
	const char *k, *v;
	size_t kl, vl;
	int i, rc = -EPX_E_MF_SYNTAX;

	memset(m, 0, sizeof(*m));
	rc = doc_split(d, buf, len, manifest_magic);
	if (rc < 0)
		return rc;
	while ((rc = doc_next(d, &k, &kl, &v, &vl)) == 1) {
		rc = manifest_field(m, seen, k, kl, v, vl);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	for (i = 0; i < MF_NSEEN; i++)
		if (!seen[i])
			return -EPX_E_MF_MISSING;
	memcpy(m->file_sha256, d->file_sha256, 32);
	return 0;
}

int manifest_parse(struct manifest *m, const char *buf, size_t len)
{
	struct doc d;
	int rc = manifest_parse_doc(m, &d, buf, len);

	if (rc < 0)
		memset(m, 0, sizeof(*m));
	return rc;
}

int manifest_verify(struct manifest *m, const char *buf, size_t len,
		    const struct keyset *ks)
{
	struct doc d;
	int rc = -EPX_E_SIG_THRESHOLD;

	rc = manifest_parse_doc(m, &d, buf, len);
	if (rc == 0)
		rc = keyset_check(ks, &d);
	if (rc < 0)
		memset(m, 0, sizeof(*m));
	return rc;
}

int manifest_policy(const struct manifest *m, int64_t now, uint32_t floor,
		    const char *hwclass, uint32_t agent_version)
{
	if (now >= m->expires)
		return -EPX_E_MF_EXPIRED;
	if (m->version < floor)
		return -EPX_E_MF_ROLLBACK;
	if (!hwclass || strcmp(hwclass, m->hwclass) != 0)
		return -EPX_E_MF_HWCLASS;
	if (m->min_agent > agent_version)
		return -EPX_E_MF_AGENT;
	return 0;
}

int manifest_check_digest(const struct manifest *m, enum manifest_role r,
			  uint64_t len, const uint8_t sha256[32])
{
	if ((unsigned)r >= MANIFEST_NROLES)
		return -EPX_E_ART_ROLE;
	if (len != m->art[r].length)
		return -EPX_E_ART_LENGTH;
	if (memcmp(sha256, m->art[r].sha256, 32) != 0)
		return -EPX_E_ART_HASH;
	return 0;
}

int manifest_check_artifact(const struct manifest *m, enum manifest_role r,
			    const void *buf, size_t len)
{
	uint8_t h[32];

	if ((unsigned)r >= MANIFEST_NROLES)
		return -EPX_E_ART_ROLE;
	if ((uint64_t)len != m->art[r].length)
		return -EPX_E_ART_LENGTH;
	sha256_buf(buf, len, h);
	return manifest_check_digest(m, r, len, h);
}

int manifest_format(const struct manifest *m, char *out, size_t cap, size_t *outlen)
{
	char hex[65];
	size_t off;
	int n, r;

	if (m->version == 0 || m->expires < 0 ||
	    manifest_hwclass_ok(m->hwclass, strnlen(m->hwclass, sizeof(m->hwclass))) < 0)
		return -EINVAL;
	n = snprintf(out, cap, "%s\nversion %" PRIu32 "\nexpires %" PRId64
		     "\nhwclass %s\nmin-agent %" PRIu32 "\n", manifest_magic,
		     m->version, m->expires, m->hwclass, m->min_agent);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	off = (size_t)n;
	for (r = 0; r < MANIFEST_NROLES; r++) {
		if (m->art[r].length > manifest_roles[r].cap)
			return -EINVAL;
		hex_encode(m->art[r].sha256, 32, hex);
		n = snprintf(out + off, cap - off, "artifact %s %" PRIu64 " %s\n",
			     manifest_roles[r].name, m->art[r].length, hex);
		if (n < 0 || (size_t)n >= cap - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	if (cap - off < 5)
		return -ENOSPC;
	memcpy(out + off, "end\n", 5);
	*outlen = off + 4;
	return 0;
}
