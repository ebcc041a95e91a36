/* statement: the server's nonce-bound session statement.
 *
 * Guarantees: statement_verify() returns 0 only if the statement is well
 * formed (each field exactly once, host [a-z0-9.-]{1,63}, 16-hex session,
 * 64-hex nonce and manifest hash, version > 0, 0 < time < expires <= time +
 * STATEMENT_MAX_VALIDITY), carries exactly one signature, made by the
 * keyset's online key, and names the caller's nonce and host.  The one
 * optional field, dbx (64 hex), appears at most once; has_dbx says whether.  The binding
 * to a manifest is a separate check (statement_bind_manifest). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/num.h"
#include "lib/statement.h"

static const char statement_magic[] = "epoxy-statement 1";

enum { ST_HOST, ST_SESSION, ST_NONCE, ST_MANIFEST, ST_VERSION, ST_TIME, ST_EXPIRES,
       ST_DBX, ST_NFIELDS };
#define ST_NREQUIRED ST_DBX     /* the fields before it are required */

static const char *const statement_fields[ST_NFIELDS] = {
	"host", "session", "nonce", "manifest", "version", "time", "expires", "dbx"
};

int statement_host_ok(const char *s, size_t n)
{
	return label_check(LABEL_HOST, s, n) < 0 ? -EPX_E_ST_SYNTAX : 0;
}

static int statement_num(const char *v, size_t n, uint64_t max, uint64_t *x)
{
	return num_parse_u64(v, n, max, x) < 0 || *x == 0 ? -EPX_E_ST_SYNTAX : 0;
}

static int statement_field(struct statement *st, int f, const char *v, size_t n)
{
	uint64_t x = 0;
	int rc = -EPX_E_ST_SYNTAX;

	switch (f) {
	case ST_HOST:
		rc = statement_host_ok(v, n);
		if (rc == 0) {
			memcpy(st->host, v, n);
			st->host[n] = '\0';
		}
		return rc;
	case ST_SESSION:
		return hex_decode(v, n, st->session, sizeof(st->session)) < 0 ? -EPX_E_ST_SYNTAX : 0;
	case ST_NONCE:
		return hex_decode(v, n, st->nonce, sizeof(st->nonce)) < 0 ? -EPX_E_ST_SYNTAX : 0;
	case ST_MANIFEST:
		return hex_decode(v, n, st->manifest, sizeof(st->manifest)) < 0 ? -EPX_E_ST_SYNTAX : 0;
	case ST_DBX:
		st->has_dbx = 1;
		return hex_decode(v, n, st->dbx, sizeof(st->dbx)) < 0 ? -EPX_E_ST_SYNTAX : 0;
	case ST_VERSION:
		rc = statement_num(v, n, UINT32_MAX, &x);
		st->version = (uint32_t)x;
		return rc;
	case ST_TIME:
		rc = statement_num(v, n, INT64_MAX, &x);
		st->time = (int64_t)x;
		return rc;
	case ST_EXPIRES:
		rc = statement_num(v, n, INT64_MAX, &x);
		st->expires = (int64_t)x;
		return rc;
	}
	return -EPX_E_ST_SYNTAX;
}

static int statement_parse_doc(struct statement *st, struct doc *d, const char *buf, size_t len)
{
	int seen[ST_NFIELDS] = { 0 };
	const char *k, *v;
	size_t kl, vl;
	int f, rc = -EPX_E_ST_SYNTAX;

	memset(st, 0, sizeof(*st));
	if (doc_split(d, buf, len, statement_magic) < 0)
		return -EPX_E_ST_SYNTAX;
	while ((rc = doc_next(d, &k, &kl, &v, &vl)) == 1) {
		for (f = 0; f < ST_NFIELDS; f++)
			if (strlen(statement_fields[f]) == kl && !memcmp(statement_fields[f], k, kl))
				break;
		if (f == ST_NFIELDS || seen[f]++)
			return -EPX_E_ST_SYNTAX;
		rc = statement_field(st, f, v, vl);
		if (rc < 0)
			return rc;
	}
	if (rc < 0)
		return -EPX_E_ST_SYNTAX;
	for (f = 0; f < ST_NREQUIRED; f++)
		if (!seen[f])
			return -EPX_E_ST_SYNTAX;
	if (st->expires <= st->time || st->expires - st->time > STATEMENT_MAX_VALIDITY)
		return -EPX_E_ST_EXPIRED;
	return 0;
}

int statement_parse(struct statement *st, const char *buf, size_t len)
{
	struct doc d;
	int rc = statement_parse_doc(st, &d, buf, len);

	if (rc < 0)
		memset(st, 0, sizeof(*st));
	return rc;
}

static int statement_check(const struct statement *st, const struct doc *d,
			   const struct keyset *ks, const uint8_t nonce[32],
			   const char *host)
{
	if (d->nsigs != 1 ||
	    memcmp(d->sigs[0].keyid, ks->online.keyid, DOC_KEYID_LEN) != 0 ||
	    sig_verify(&ks->online, d->body_sha256, d->sigs[0].der, d->sigs[0].der_len) < 0)
		return -EPX_E_ST_SIG;
	if (memcmp(st->nonce, nonce, 32) != 0)
		return -EPX_E_ST_NONCE;
	if (!host || strcmp(st->host, host) != 0)
		return -EPX_E_ST_HOST;
	return 0;
}

int statement_verify(struct statement *st, const char *buf, size_t len,
		     const struct keyset *ks, const uint8_t nonce[32],
		     const char *host)
{
	struct doc d;
	int rc = -EPX_E_ST_SIG;

	rc = statement_parse_doc(st, &d, buf, len);
	if (rc == 0)
		rc = statement_check(st, &d, ks, nonce, host);
	if (rc < 0)
		memset(st, 0, sizeof(*st));
	return rc;
}

int statement_bind_manifest(const struct statement *st,
			    const uint8_t manifest_sha256[32], uint32_t version)
{
	if (memcmp(st->manifest, manifest_sha256, 32) != 0 || st->version != version)
		return -EPX_E_ST_MANIFEST;
	return 0;
}

int statement_format(const struct statement *st, char *out, size_t cap,
		     size_t *outlen)
{
	char session[17], nonce[65], mf[65], dbx[64 + 6] = "";
	int n;

	if (statement_host_ok(st->host, strnlen(st->host, sizeof(st->host))) < 0 ||
	    st->version == 0 || st->time <= 0 || st->expires <= st->time)
		return -EINVAL;
	hex_encode(st->session, sizeof(st->session), session);
	hex_encode(st->nonce, sizeof(st->nonce), nonce);
	hex_encode(st->manifest, sizeof(st->manifest), mf);
	if (st->has_dbx) {
		memcpy(dbx, "\ndbx ", 5);
		hex_encode(st->dbx, sizeof(st->dbx), dbx + 5);
	}
	n = snprintf(out, cap, "%s\nhost %s\nsession %s\nnonce %s\nmanifest %s%s\n"
		     "version %" PRIu32 "\ntime %" PRId64 "\nexpires %" PRId64 "\nend\n",
		     statement_magic, st->host, session, nonce, mf, dbx, st->version,
		     st->time, st->expires);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	*outlen = (size_t)n;
	return 0;
}
