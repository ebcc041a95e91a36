/* store_archive: the archive's experiments and the bundles nodes stored
 * (issue 15 point 3; store/store.h says what each function promises). */
#include <stdio.h>
#include <string.h>

#include "lib/bundlename.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "store/store_db.h"

#define STORE_DAY 86400

/* "a,b,c": each a LABEL_TAG not starting with '.'; "" is none */
static int store_archive_datatypes_ok(const char *d)
{
	size_t n;

	if (strlen(d) > STORE_EXP_DATATYPES_MAX)
		return 0;
	while (*d) {
		n = strcspn(d, ",");
		if (d[0] == '.' || label_check(LABEL_TAG, d, n) < 0)
			return 0;
		d += n;
		if (*d == ',' && !*++d)
			return 0;       /* a trailing comma */
	}
	return 1;
}

static int store_archive_exp_valid(const struct store_experiment *e)
{
	return store_valid_label(e->name) && e->name[0] != '.' &&
		store_archive_datatypes_ok(e->datatypes) &&
		e->embargo_days >= 0 && e->embargo_days <= STORE_EMBARGO_DAYS_MAX &&
		(!e->slice[0] || store_valid_label(e->slice));
}

int store_experiment_put(struct store *s, const struct store_experiment *e, int create,
			 const char *actor)
{
	char detail[STORE_EXP_DATATYPES_MAX + 128];
	struct db_res r;
	int64_t now = store_now(s);
	int rc;

	if (!store_archive_exp_valid(e))
		return -EPX_E_DB_INVALID;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "SELECT name FROM experiments WHERE name = $1", &r, A_TEXT(e->name));
	if (rc == 0 && create && r.nrows)
		rc = -EPX_E_DB_EXISTS;
	if (rc == 0 && !create && !r.nrows)
		rc = -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	if (rc == 0)
		rc = create ?
			Q(s, "INSERT INTO experiments (name, datatypes, embargo_days, slice, created,"
			  " updated) VALUES ($1, $2, $3, $4, $5, $5)", NULL, A_TEXT(e->name),
			  A_TEXT(e->datatypes), A_INT(e->embargo_days), A_TEXT(e->slice), A_INT(now)) :
			Q(s, "UPDATE experiments SET datatypes = $2, embargo_days = $3, slice = $4,"
			  " updated = $5 WHERE name = $1", NULL, A_TEXT(e->name), A_TEXT(e->datatypes),
			  A_INT(e->embargo_days), A_TEXT(e->slice), A_INT(now));
	snprintf(detail, sizeof(detail), "datatypes=%s embargo_days=%lld slice=%s", e->datatypes,
		 (long long)e->embargo_days, e->slice[0] ? e->slice : "-");
	if (rc == 0)
		rc = st_audit_locked(s, actor ? actor : "epoxyd",
				     create ? "experiment.create" : "experiment.set", e->name, detail);
	return st_end(s, rc);
}

int store_experiment_delete(struct store *s, const char *name, const char *actor)
{
	struct db_res r;
	int rc;

	if (!store_valid_label(name) || name[0] == '.')
		return -EPX_E_DB_INVALID;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "SELECT (SELECT COUNT(*) FROM experiments WHERE name = $1),"
	       " (SELECT COUNT(*) FROM archive_bundles WHERE experiment = $1)", &r, A_TEXT(name));
	if (rc == 0 && db_int(&r, 0, 0) == 0)
		rc = -EPX_E_DB_NOTFOUND;
	else if (rc == 0 && db_int(&r, 0, 1) > 0)
		rc = -EPX_E_EXP_BUSY;
	db_res_free(&r);
	if (rc == 0)
		rc = Q(s, "DELETE FROM experiments WHERE name = $1", NULL, A_TEXT(name));
	if (rc == 0)
		rc = st_audit_locked(s, actor ? actor : "epoxyd", "experiment.delete", name, "");
	return st_end(s, rc);
}

static void store_archive_exp_row(const struct db_res *r, size_t i, struct store_experiment *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", db_text(r, i, 0));
	snprintf(e->datatypes, sizeof(e->datatypes), "%s", db_text(r, i, 1));
	e->embargo_days = db_int(r, i, 2);
	snprintf(e->slice, sizeof(e->slice), "%s", db_text(r, i, 3));
	e->created = db_int(r, i, 4);
	e->updated = db_int(r, i, 5);
}

#define STORE_EXP_COLS "SELECT name, datatypes, embargo_days, slice, created, updated FROM experiments"

int store_experiment_get(struct store *s, const char *name, struct store_experiment *out)
{
	struct db_res r;
	int rc;

	if (!store_valid_label(name))
		return -EPX_E_DB_INVALID;
	rc = Q(s, STORE_EXP_COLS " WHERE name = $1", &r, A_TEXT(name));
	if (rc == 0 && r.nrows != 1)
		rc = -EPX_E_DB_NOTFOUND;
	if (rc == 0)
		store_archive_exp_row(&r, 0, out);
	db_res_free(&r);
	return rc;
}

int store_experiment_list(struct store *s,
			  int (*cb)(const struct store_experiment *, void *), void *arg)
{
	struct store_experiment e;
	struct db_res r;
	size_t i;
	int rc = Q0(s, STORE_EXP_COLS " ORDER BY name", &r);

	for (i = 0; rc == 0 && i < r.nrows; i++) {
		store_archive_exp_row(&r, i, &e);
		rc = cb(&e, arg);
	}
	db_res_free(&r);
	return rc;
}

static int store_archive_location_ok(const char *l)
{
	return !strcmp(l, STORE_BUNDLE_LOCAL) || !strcmp(l, STORE_BUNDLE_S3_PRIVATE) ||
		!strcmp(l, STORE_BUNDLE_S3_PUBLIC);
}

int store_bundle_move(struct store *s, const struct store_bundle *b, const char *from,
		      const char *to)
{
	char detail[160];
	struct db_res r;
	int rc;

	if (!store_valid_hostname(b->host) || !store_valid_label(b->experiment) ||
	    hex_check_str(b->sha256, 64) < 0 || !store_archive_location_ok(from) ||
	    !store_archive_location_ok(to))
		return -EPX_E_DB_INVALID;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "SELECT size FROM archive_bundles WHERE host = $1 AND experiment = $2"
	       " AND sha256 = $3 AND location = $4", &r, A_TEXT(b->host), A_TEXT(b->experiment),
	       A_TEXT(b->sha256), A_TEXT(from));
	if (rc == 0 && r.nrows != 1)
		rc = -EPX_E_DB_NOTFOUND;
	db_res_free(&r);
	if (rc == 0)
		rc = Q(s, "UPDATE archive_bundles SET location = $4 WHERE host = $1"
		       " AND experiment = $2 AND sha256 = $3", NULL, A_TEXT(b->host),
		       A_TEXT(b->experiment), A_TEXT(b->sha256), A_TEXT(to));
	snprintf(detail, sizeof(detail), "sha256=%s %s->%s", b->sha256, from, to);
	if (rc == 0)
		rc = st_audit_locked(s, "epoxyd", "archive.moved", b->host, detail);
	return st_end(s, rc);
}

/* the embargo is checked when asked, on the store's clock: changing an
 * experiment's embargo_days moves every one of its bundles; a bundle of an
 * experiment nobody registered is never public */
#define STORE_BUNDLE_PUBLIC "(b.stored + COALESCE(e.embargo_days, 1000000) * 86400)"
#define STORE_BUNDLE_COLS "SELECT b.host, b.experiment, b.sha256, b.size, b.stored, " \
	STORE_BUNDLE_PUBLIC ", b.location, b.name FROM archive_bundles b" \
	" LEFT JOIN experiments e ON e.name = b.experiment"

static void store_archive_bundle_row(const struct db_res *r, size_t i, struct store_bundle *b)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->host, sizeof(b->host), "%s", db_text(r, i, 0));
	snprintf(b->experiment, sizeof(b->experiment), "%s", db_text(r, i, 1));
	snprintf(b->sha256, sizeof(b->sha256), "%s", db_text(r, i, 2));
	b->size = db_int(r, i, 3);
	b->stored = db_int(r, i, 4);
	b->public_at = db_int(r, i, 5);
	snprintf(b->location, sizeof(b->location), "%s", db_text(r, i, 6));
	snprintf(b->name, sizeof(b->name), "%s", db_text(r, i, 7));
}

int store_bundle_by_name(struct store *s, const char *name, struct store_bundle *out)
{
	struct bundlename bn;
	struct db_res r;
	int rc;

	if (bundlename_parse(name, strlen(name), &bn) < 0)
		return -EPX_E_DB_INVALID;
	rc = Q(s, STORE_BUNDLE_COLS " WHERE b.name = $1", &r, A_TEXT(name));
	if (rc == 0 && r.nrows != 1)
		rc = -EPX_E_DB_NOTFOUND;
	if (rc == 0)
		store_archive_bundle_row(&r, 0, out);
	db_res_free(&r);
	return rc;
}

/* name "" (a caller that has none), or a bundle name of b's own node and
 * experiment */
static int store_archive_name_ok(const struct store_bundle *b)
{
	struct bundlename bn;

	if (!b->name[0])
		return 1;
	return bundlename_parse(b->name, strlen(b->name), &bn) == 0 &&
		!strcmp(bn.node, b->host) && !strcmp(bn.exp, b->experiment);
}

int store_bundle_add(struct store *s, const struct store_bundle *b, int *existed,
		     struct store_bundle *out)
{
	char detail[STORE_BUNDLE_NAME_MAX + 160];
	struct db_res r;
	int rc;

	*existed = 0;
	if (!store_valid_hostname(b->host) || !store_valid_label(b->experiment) ||
	    hex_check_str(b->sha256, 64) < 0 || b->size < 0 ||
	    (b->location[0] && !store_archive_location_ok(b->location)) ||
	    !store_archive_name_ok(b))
		return -EPX_E_DB_INVALID;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, STORE_BUNDLE_COLS " WHERE b.host = $1 AND b.experiment = $2 AND b.sha256 = $3",
	       &r, A_TEXT(b->host), A_TEXT(b->experiment), A_TEXT(b->sha256));
	if (rc == 0) {
		*existed = r.nrows > 0;
		if (*existed && out)
			store_archive_bundle_row(&r, 0, out);
	}
	db_res_free(&r);
	/* another bundle's name is never taken over (the same bundle again
	 * keeps the name it was recorded with) */
	if (rc == 0 && !*existed && b->name[0]) {
		rc = Q(s, "SELECT sha256 FROM archive_bundles WHERE name = $1", &r,
		       A_TEXT(b->name));
		if (rc == 0 && r.nrows)
			rc = -EPX_E_ARC_NAMETAKEN;
		db_res_free(&r);
	}
	if (rc == 0 && !*existed)
		rc = Q(s, "INSERT INTO archive_bundles (host, experiment, sha256, size, stored,"
		       " location, name) VALUES ($1, $2, $3, $4, $5, $6, $7)", NULL, A_TEXT(b->host),
		       A_TEXT(b->experiment), A_TEXT(b->sha256), A_INT(b->size),
		       A_INT(store_now(s)),
		       A_TEXT(b->location[0] ? b->location : STORE_BUNDLE_LOCAL), A_TEXT(b->name));
	snprintf(detail, sizeof(detail), "sha256=%s size=%lld location=%s name=%s", b->sha256,
		 (long long)b->size, b->location[0] ? b->location : STORE_BUNDLE_LOCAL,
		 b->name[0] ? b->name : "-");
	if (rc == 0 && !*existed)
		rc = st_audit_locked(s, "epoxyd", "archive.stored", b->host, detail);
	return st_end(s, rc);
}

int store_bundle_get(struct store *s, const char *host, const char *experiment,
		     const char *sha256, struct store_bundle *out)
{
	struct db_res r;
	int rc;

	if (!store_valid_hostname(host) || !store_valid_label(experiment) ||
	    hex_check_str(sha256, 64) < 0)
		return -EPX_E_DB_INVALID;
	rc = Q(s, STORE_BUNDLE_COLS " WHERE b.host = $1 AND b.experiment = $2 AND b.sha256 = $3",
	       &r, A_TEXT(host), A_TEXT(experiment), A_TEXT(sha256));
	if (rc == 0 && r.nrows != 1)
		rc = -EPX_E_DB_NOTFOUND;
	if (rc == 0)
		store_archive_bundle_row(&r, 0, out);
	db_res_free(&r);
	return rc;
}

int store_bundle_find(struct store *s, const struct store_bundle_query *q,
		      int (*cb)(const struct store_bundle *, void *), void *arg)
{
	size_t limit = q->limit ? q->limit : STORE_BUNDLES_LIST_MAX, i;
	struct store_bundle b;
	struct db_res r;
	int rc;

	if ((q->experiment && !store_valid_label(q->experiment)) ||
	    (q->host && !store_valid_hostname(q->host)) ||
	    (q->sha256 && hex_check_str(q->sha256, 64) < 0) || q->since < 0 || q->until < 0 ||
	    (q->until && q->since >= q->until) || limit > STORE_BUNDLES_LIST_MAX ||
	    (q->location && !store_archive_location_ok(q->location)))
		return -EPX_E_DB_INVALID;
	/* public: registered, embargo over, and not still in the private
	 * prefix of the object store (housekeeping moves it first) */
	rc = Q(s, STORE_BUNDLE_COLS " WHERE ($1 = '' OR b.experiment = $1)"
	       " AND ($2 = '' OR b.sha256 = $2) AND ($3 = '' OR b.host = $3)"
	       " AND b.stored >= $4 AND ($5 = 0 OR b.stored < $5)"
	       " AND ($6 = 0 OR (e.name IS NOT NULL AND " STORE_BUNDLE_PUBLIC " <= $7"
	       " AND b.location <> '" STORE_BUNDLE_S3_PRIVATE "'))"
	       " AND ($9 = '' OR b.location = $9)"
	       " ORDER BY b.stored, b.host, b.experiment, b.sha256 LIMIT $8", &r,
	       A_TEXT(q->experiment ? q->experiment : ""), A_TEXT(q->sha256 ? q->sha256 : ""),
	       A_TEXT(q->host ? q->host : ""), A_INT(q->since), A_INT(q->until),
	       A_INT(q->public_only ? 1 : 0), A_INT(store_now(s)), A_INT(limit),
	       A_TEXT(q->location ? q->location : ""));
	for (i = 0; rc == 0 && i < r.nrows; i++) {
		store_archive_bundle_row(&r, i, &b);
		rc = cb(&b, arg);
	}
	db_res_free(&r);
	return rc;
}

int store_bundle_list(struct store *s, const char *experiment, const char *sha256,
		      int public_only, int (*cb)(const struct store_bundle *, void *), void *arg)
{
	struct store_bundle_query q = { .experiment = experiment, .sha256 = sha256,
					.public_only = public_only };

	return store_bundle_find(s, &q, cb, arg);
}
