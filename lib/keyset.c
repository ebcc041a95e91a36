/* keyset: the release root of trust.
 *
 * Guarantees: a keyset accepted by keyset_parse() has a serial > 0, a
 * threshold 1 <= t <= number of non-revoked release keys, at most
 * KEYSET_MAX_KEYS release keys each on the curve and under its true key ID,
 * exactly one online key, and no public key listed twice (under any ID,
 * release or online).  keyset_load_root() adds: signed by t distinct
 * release keys of itself.  keyset_rotate() accepts serial N+1 only if
 * signed by t(N) distinct non-revoked keys of N and t(N+1) of N+1.
 * keyset_check() counts each key at most once and never counts a revoked
 * key, an unknown key or a signature that does not verify. */
#include <errno.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/keyset.h"
#include "lib/num.h"

static const char keyset_magic[] = "epoxy-keyset 1";

static int keyset_is_revoked(const struct keyset *ks, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < ks->nrevoked; i++)
		if (memcmp(ks->revoked[i], id, DOC_KEYID_LEN) == 0)
			return 1;
	return 0;
}

/* The point is already in the set (release keys or online key)? */
static int keyset_has_point(const struct keyset *ks, int have_online,
			    const uint8_t *point)
{
	size_t i;

	for (i = 0; i < ks->nrelease; i++)
		if (memcmp(ks->release[i].point, point, SIG_POINT_LEN) == 0)
			return 1;
	return have_online && memcmp(ks->online.point, point, SIG_POINT_LEN) == 0;
}

/* "<keyid> <pubhex>" into pk; the ID must match the key, the key be new. */
static int keyset_key(const struct keyset *ks, int have_online,
		      struct sig_pub *pk, const char *v, size_t n)
{
	uint8_t id[DOC_KEYID_LEN];
	int rc = -EPX_E_KS_SYNTAX;

	if (n != 2 * DOC_KEYID_LEN + 1 + 2 * SIG_POINT_LEN || v[2 * DOC_KEYID_LEN] != ' ')
		return -EPX_E_KS_SYNTAX;
	if (hex_decode(v, 2 * DOC_KEYID_LEN, id, sizeof(id)) < 0)
		return -EPX_E_KS_SYNTAX;
	rc = sig_pub_from_hex(pk, v + 2 * DOC_KEYID_LEN + 1, 2 * SIG_POINT_LEN);
	if (rc < 0)
		return rc;
	if (keyset_has_point(ks, have_online, pk->point))
		return -EPX_E_KS_DUPKEY;
	if (memcmp(id, pk->keyid, DOC_KEYID_LEN) != 0)
		return -EPX_E_KS_KEYID;
	return 0;
}

static int keyset_u32(uint32_t *out, int *seen, const char *v, size_t n)
{
	uint64_t x;

	if (*seen)
		return -EPX_E_KS_SYNTAX;
	*seen = 1;
	if (num_parse_u64(v, n, UINT32_MAX, &x) < 0 || x == 0)
		return -EPX_E_KS_SYNTAX;
	*out = (uint32_t)x;
	return 0;
}

static int keyset_field(struct keyset *ks, int *seen, const char *k, size_t kl,
			const char *v, size_t vl)
{
	uint32_t t = 0;
	int rc = -EPX_E_KS_SYNTAX;

	if (kl == 6 && !memcmp(k, "serial", 6))
		return keyset_u32(&ks->serial, &seen[0], v, vl);
	if (kl == 9 && !memcmp(k, "threshold", 9)) {
		if (vl == 1 && v[0] == '0')
			return -EPX_E_KS_THRESHOLD;
		rc = keyset_u32(&t, &seen[1], v, vl);
		ks->threshold = t;
		return rc;
	}
	if (kl == 7 && !memcmp(k, "release", 7)) {
		if (ks->nrelease >= KEYSET_MAX_KEYS)
			return -EPX_E_KS_SYNTAX;
		rc = keyset_key(ks, seen[2], &ks->release[ks->nrelease], v, vl);
		ks->nrelease += rc == 0;
		return rc;
	}
	if (kl == 6 && !memcmp(k, "online", 6)) {
		if (seen[2])
			return -EPX_E_KS_SYNTAX;
		rc = keyset_key(ks, 0, &ks->online, v, vl);
		seen[2] = 1;
		return rc;
	}
	if (kl == 7 && !memcmp(k, "revoked", 7)) {
		if (ks->nrevoked >= KEYSET_MAX_KEYS || vl != 2 * DOC_KEYID_LEN)
			return -EPX_E_KS_SYNTAX;
		if (hex_decode(v, vl, ks->revoked[ks->nrevoked], DOC_KEYID_LEN) < 0)
			return -EPX_E_KS_SYNTAX;
		if (keyset_is_revoked(ks, ks->revoked[ks->nrevoked]))
			return -EPX_E_KS_SYNTAX;
		ks->nrevoked++;
		return 0;
	}
	return -EPX_E_KS_SYNTAX;
}

static size_t keyset_live_keys(const struct keyset *ks)
{
	size_t i, n = 0;

	for (i = 0; i < ks->nrelease; i++)
		n += !keyset_is_revoked(ks, ks->release[i].keyid);
	return n;
}

static int keyset_parse_doc(struct keyset *ks, struct doc *d, const char *buf,
			    size_t len)
{
	const char *k, *v;
	size_t kl, vl;
	int seen[3] = { 0, 0, 0 };
	int rc = -EPX_E_KS_SYNTAX;

	memset(ks, 0, sizeof(*ks));
	rc = doc_split(d, buf, len, keyset_magic);
	if (rc < 0)
		return rc == -EPX_E_SIG_SYNTAX ? rc : -EPX_E_KS_SYNTAX;
	while ((rc = doc_next(d, &k, &kl, &v, &vl)) == 1) {
		rc = keyset_field(ks, seen, k, kl, v, vl);
		if (rc < 0)
			return rc;
	}
	if (rc < 0 || !seen[0] || !seen[1] || !seen[2] || ks->nrelease == 0)
		return -EPX_E_KS_SYNTAX;
	if (keyset_is_revoked(ks, ks->online.keyid))
		return -EPX_E_KS_SYNTAX;
	if (ks->threshold > keyset_live_keys(ks))
		return -EPX_E_KS_THRESHOLD;
	return 0;
}

int keyset_parse(struct keyset *ks, const char *buf, size_t len)
{
	struct doc d;

	return keyset_parse_doc(ks, &d, buf, len);
}

static const struct sig_pub *keyset_find(const struct keyset *ks, const uint8_t *id)
{
	size_t i;

	for (i = 0; i < ks->nrelease; i++)
		if (memcmp(ks->release[i].keyid, id, DOC_KEYID_LEN) == 0)
			return &ks->release[i];
	return NULL;
}

/* Counts good signatures by distinct non-revoked keys of ks, also refusing
 * keys revoked by extra (the successor set during a rotation; may be NULL).
 * *worst gets the most specific reason a signature was not counted. */
static size_t keyset_count(const struct keyset *ks, const struct keyset *extra,
			   const struct doc *d, int *worst)
{
	static const int prio[] = { EPX_E_SIG_REVOKED, EPX_E_SIG_BAD,
				    EPX_E_SIG_UNKNOWNKEY, EPX_E_SIG_DUPKEY };
	int counted[KEYSET_MAX_KEYS] = { 0 };
	int why[4] = { 0, 0, 0, 0 };
	const struct sig_pub *pk;
	size_t i, n = 0;

	for (i = 0; i < d->nsigs; i++) {
		pk = keyset_find(ks, d->sigs[i].keyid);
		if (keyset_is_revoked(ks, d->sigs[i].keyid) ||
		    (extra && keyset_is_revoked(extra, d->sigs[i].keyid)))
			why[0] = 1;
		else if (!pk)
			why[2] = 1;
		else if (sig_verify(pk, d->body_sha256, d->sigs[i].der, d->sigs[i].der_len) < 0)
			why[1] = 1;
		else if (counted[pk - ks->release])
			why[3] = 1;
		else {
			counted[pk - ks->release] = 1;
			n++;
		}
	}
	*worst = -EPX_E_SIG_THRESHOLD;
	for (i = 4; i-- > 0;)
		if (why[i])
			*worst = -prio[i];
	return n;
}

int keyset_check(const struct keyset *ks, const struct doc *d)
{
	int worst = -EPX_E_SIG_THRESHOLD;

	if (ks->threshold == 0)
		return -EPX_E_SIG_THRESHOLD;
	if (keyset_count(ks, NULL, d, &worst) >= ks->threshold)
		return 0;
	return worst;
}

int keyset_load_root(struct keyset *ks, const char *buf, size_t len)
{
	struct doc d;
	int rc = -EPX_E_KS_SYNTAX;

	rc = keyset_parse_doc(ks, &d, buf, len);
	if (rc < 0)
		goto fail;
	rc = keyset_check(ks, &d);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	memset(ks, 0, sizeof(*ks));
	return rc;
}

int keyset_rotate(struct keyset *cur, const char *buf, size_t len)
{
	struct keyset next;
	struct doc d;
	int worst;
	int rc = -EPX_E_KS_ROTATION;

	rc = keyset_parse_doc(&next, &d, buf, len);
	if (rc < 0)
		return rc;
	if (cur->serial == UINT32_MAX || next.serial != cur->serial + 1)
		return -EPX_E_KS_SERIAL;
	if (cur->threshold == 0 ||
	    keyset_count(cur, &next, &d, &worst) < cur->threshold)
		return -EPX_E_KS_ROTATION;
	if (keyset_count(&next, NULL, &d, &worst) < next.threshold)
		return -EPX_E_KS_ROTATION;
	*cur = next;
	return 0;
}
