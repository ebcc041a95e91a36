/* admin_archive: experiments and archived data over the admin API (see
 * admin_archive.h).  Records are lib/record.h's; the store checks every
 * value once more (store/store_archive.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/record.h"
#include "server/admin_archive.h"
#include "server/admin_int.h"
#include "server/archive.h"
#include "store/store.h"

#define ADMIN_ARCHIVE_LIMIT_DEFAULT 1000
#define ADMIN_ARCHIVE_LIMIT_MAX 10000

static int admin_archive_name_ok(const char *s)
{
	return s && s[0] != '.' && label_check_str(LABEL_TAG, s) == 0;
}

/* A store refusal of an experiment change, answered by its own code. */
static int admin_archive_fail(struct admin_ctx *c, int rc, const char *name)
{
	switch (rc) {
	case -EPX_E_DB_NOTFOUND:
		return admin_failf(c, -EPX_E_EXP_NOTFOUND, "no such experiment", name);
	case -EPX_E_DB_EXISTS:
		return admin_failf(c, -EPX_E_EXP_EXISTS, "experiment exists", name);
	case -EPX_E_DB_INVALID:
		return admin_fail(c, -EPX_E_EXP_FIELD, NULL);
	case -EPX_E_EXP_BUSY:
		return admin_failf(c, rc, "bundles are recorded for", name);
	}
	return admin_fail(c, rc, NULL);
}

static void admin_archive_exp_rec(struct record_buf *b, const struct store_experiment *e)
{
	record_buf_field(b, "name", e->name);
	record_buf_field(b, "datatypes", e->datatypes);
	record_buf_fieldu(b, "embargo_days", (unsigned long long)e->embargo_days);
	record_buf_field(b, "slice", e->slice);
	record_buf_fieldu(b, "created", (unsigned long long)e->created);
	record_buf_fieldu(b, "updated", (unsigned long long)e->updated);
}

static int admin_archive_exp_cb(const struct store_experiment *e, void *arg)
{
	struct record_buf *b = arg;

	admin_archive_exp_rec(b, e);
	record_buf_endrec(b);
	return b->err ? -EPX_E_ADM_TOOBIG : 0;
}

static int admin_archive_list(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = store_experiment_list(c->srv->store, admin_archive_exp_cb, &c->out);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

struct admin_archive_sum {
	unsigned long long n, bytes;
};

static int admin_archive_sum_cb(const struct store_bundle *b, void *arg)
{
	struct admin_archive_sum *s = arg;

	s->n++;
	s->bytes += (unsigned long long)b->size;
	return 0;
}

/* GET /admin/v1/experiments/NAME: the experiment and what is archived of it */
static int admin_archive_show(struct admin_ctx *c, const char *name)
{
	struct store_bundle_query q = { .experiment = name };
	struct admin_archive_sum all = { 0, 0 }, pub = { 0, 0 };
	struct store_experiment e;
	int rc = store_experiment_get(c->srv->store, name, &e);

	if (rc == 0)
		rc = store_bundle_find(c->srv->store, &q, admin_archive_sum_cb, &all);
	q.public_only = 1;
	if (rc == 0)
		rc = store_bundle_find(c->srv->store, &q, admin_archive_sum_cb, &pub);
	if (rc)
		return admin_archive_fail(c, rc, name);
	admin_archive_exp_rec(&c->out, &e);
	record_buf_fieldu(&c->out, "bundles", all.n);
	record_buf_fieldu(&c->out, "bytes", all.bytes);
	record_buf_fieldu(&c->out, "public_bundles", pub.n);
	record_buf_endrec(&c->out);
	return admin_reply(c, 200, 0);
}

/* The form's experiment fields into e (absent ones kept). */
static int admin_archive_fields(struct admin_ctx *c, struct store_experiment *e, int *n)
{
	const char *dt = admin_field(c, "datatypes"), *days = admin_field(c, "embargo_days"),
		*slice = admin_field(c, "slice");
	uint64_t v;

	*n = 0;
	if (dt) {
		if (strlen(dt) >= sizeof(e->datatypes))
			return admin_fail(c, -EPX_E_EXP_FIELD, "datatypes: too long");
		snprintf(e->datatypes, sizeof(e->datatypes), "%s", dt);
		(*n)++;
	}
	if (days) {
		if (admin_num(days, 0, STORE_EMBARGO_DAYS_MAX, &v))
			return admin_fail(c, -EPX_E_EXP_FIELD, "embargo_days: want 0..3650");
		e->embargo_days = (int64_t)v;
		(*n)++;
	}
	if (slice) {
		if (*slice && !store_valid_slice(slice))
			return admin_fail(c, -EPX_E_EXP_FIELD, "slice: want a slice name or nothing");
		snprintf(e->slice, sizeof(e->slice), "%s", slice);
		(*n)++;
	}
	return 0;
}

static int admin_archive_put(struct admin_ctx *c, const char *name, int create)
{
	static const char *const cf[] = { "name", "datatypes", "embargo_days", "slice", NULL };
	struct store_experiment e;
	int rc = admin_form(c, create ? cf : cf + 1), n = 0;

	if (rc || c->resp->status)
		return rc;
	memset(&e, 0, sizeof(e));
	if (create)
		name = admin_field(c, "name");
	if (!name)
		return admin_fail(c, -EPX_E_ADM_MISSING, "name");
	if (!admin_archive_name_ok(name))
		return admin_failf(c, -EPX_E_EXP_NAME, "experiment name", name);
	if (!create && (rc = store_experiment_get(c->srv->store, name, &e)) != 0)
		return admin_archive_fail(c, rc, name);
	snprintf(e.name, sizeof(e.name), "%s", name);
	rc = admin_archive_fields(c, &e, &n);
	if (rc || c->resp->status)
		return rc;
	if (!create && n == 0)
		return admin_fail(c, -EPX_E_ADM_MISSING, "nothing to set");
	rc = store_experiment_put(c->srv->store, &e, create, c->actor);
	if (rc == 0)
		rc = store_experiment_get(c->srv->store, name, &e);
	if (rc)
		return admin_archive_fail(c, rc, name);
	admin_archive_exp_rec(&c->out, &e);
	record_buf_endrec(&c->out);
	return admin_reply(c, create ? 201 : 200, 0);
}

static int admin_archive_delete(struct admin_ctx *c, const char *name)
{
	int rc = store_experiment_delete(c->srv->store, name, c->actor);

	if (rc)
		return admin_archive_fail(c, rc, name);
	record_buf_field(&c->out, "name", name);
	record_buf_field(&c->out, "deleted", "1");
	record_buf_endrec(&c->out);
	return admin_reply(c, 200, 0);
}

/* ------------------------------------------------------------ data */

struct admin_archive_rows {
	struct record_buf *b;
	int64_t now;
};

static int admin_archive_bundle_cb(const struct store_bundle *bu, void *arg)
{
	struct admin_archive_rows *r = arg;
	struct record_buf *b = r->b;
	char url[STORE_BUNDLE_NAME_MAX + 160];

	record_buf_field(b, "name", bu->name[0] ? bu->name : "-");
	record_buf_field(b, "node", bu->host);
	record_buf_field(b, "experiment", bu->experiment);
	record_buf_field(b, "sha256", bu->sha256);
	record_buf_fieldu(b, "size", (unsigned long long)bu->size);
	record_buf_fieldu(b, "stored", (unsigned long long)bu->stored);
	record_buf_fieldu(b, "public_at", (unsigned long long)bu->public_at);
	record_buf_field(b, "state", bu->public_at <= r->now ? "public" : "embargoed");
	if (bu->name[0])
		snprintf(url, sizeof(url), "%s%s", ARCHIVE_PATH, bu->name);
	else
		snprintf(url, sizeof(url), "%s%s/%s/%s", ARCHIVE_PATH, bu->host, bu->experiment,
			 bu->sha256);
	record_buf_field(b, "url", url);
	record_buf_endrec(b);
	return b->err ? -EPX_E_ADM_TOOBIG : 0;
}

/* One optional time filter: seconds since 1970. */
static int admin_archive_time(struct admin_ctx *c, const char *key, int64_t *out)
{
	const char *s = admin_query(c, key);
	uint64_t v;

	*out = 0;
	if (!s)
		return 0;
	if (admin_num(s, 0, INT32_MAX * 4ull, &v))
		return -EPX_E_ADM_DATAQ;
	*out = (int64_t)v;
	return 0;
}

/* GET /admin/v1/data?experiment=E&node=H&since=T&until=T&limit=N&public=1 */
static int admin_archive_data(struct admin_ctx *c)
{
	static const char *const qk[] = { "experiment", "node", "sha256", "since", "until",
		"limit", "public", NULL };
	struct store_bundle_query q;
	struct admin_archive_rows rows = { &c->out, 0 };
	const char *pub;
	uint64_t limit = ADMIN_ARCHIVE_LIMIT_DEFAULT;
	int rc = admin_query_only(c, qk);

	if (rc || c->resp->status)
		return rc;
	memset(&q, 0, sizeof(q));
	q.experiment = admin_query(c, "experiment");
	q.host = admin_query(c, "node");
	q.sha256 = admin_query(c, "sha256");
	pub = admin_query(c, "public");
	if ((q.experiment && !admin_archive_name_ok(q.experiment)) ||
	    (q.sha256 && strspn(q.sha256, "0123456789abcdef") != 64) ||
	    (q.host && !admin_name_ok(q.host)) ||
	    admin_archive_time(c, "since", &q.since) || admin_archive_time(c, "until", &q.until) ||
	    (q.until && q.since >= q.until) ||
	    (admin_query(c, "limit") &&
	     admin_num(admin_query(c, "limit"), 1, ADMIN_ARCHIVE_LIMIT_MAX, &limit)) ||
	    (pub && strcmp(pub, "0") && strcmp(pub, "1")))
		return admin_fail(c, -EPX_E_ADM_DATAQ, NULL);
	q.limit = (size_t)limit;
	q.public_only = pub && !strcmp(pub, "1");
	rows.now = http_now(c->srv);
	rc = store_bundle_find(c->srv->store, &q, admin_archive_bundle_cb, &rows);
	if (rc == -EPX_E_DB_INVALID)
		return admin_fail(c, -EPX_E_ADM_DATAQ, NULL);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

/* GET /admin/v1/data/NODE/EXPERIMENT/SHA256: the bytes, embargoed or not */
static int admin_archive_get(struct admin_ctx *c)
{
	const char *host = c->seg[1], *exp = c->seg[2], *sha = c->seg[3];
	char detail[ADMIN_DETAIL_MAX], subject[2 * ADMIN_SEG_MAX + 2];
	struct store_bundle b;
	uint64_t size;
	int rc, fd;

	if (!admin_name_ok(host) || !admin_archive_name_ok(exp) || hex_check_str(sha, 64) < 0 ||
	    strspn(sha, "0123456789abcdef") != 64)
		return admin_fail(c, -EPX_E_ARC_NAME, NULL);
	rc = store_bundle_get(c->srv->store, host, exp, sha, &b);
	if (rc == -EPX_E_DB_NOTFOUND)
		return admin_fail(c, -EPX_E_ARC_NOTFOUND, NULL);
	if (rc)
		return admin_fail(c, rc, NULL);
	fd = archive_open(c->srv, &b, &size);
	if (fd < 0)
		return admin_fail(c, fd, NULL);
	snprintf(subject, sizeof(subject), "%s/%s", host, exp);
	snprintf(detail, sizeof(detail), "sha256=%s size=%llu embargoed=%s", sha,
		 (unsigned long long)size, b.public_at > http_now(c->srv) ? "yes" : "no");
	admin_audit(c, "data.get", subject, detail);
	return http_resp_fd(c->resp, 200, "application/octet-stream", fd, 0, size);
}

int admin_archive_route(struct admin_ctx *c)
{
	enum http_method m = c->req->method;
	int data = !strcmp(c->seg[0], "data");

	if (data && c->nseg == 1)
		return admin_method(c, HTTP_GET) ? admin_archive_data(c) : 0;
	if (data && c->nseg == 4)
		return admin_method(c, HTTP_GET) ? admin_archive_get(c) : 0;
	if (data)
		return admin_fail(c, -EPX_E_ADM_NOTFOUND, NULL);
	if (c->nseg == 1) {
		if (m == HTTP_GET)
			return admin_archive_list(c);
		if (m == HTTP_POST)
			return admin_archive_put(c, NULL, 1);
		return admin_fail(c, -EPX_E_ADM_METHOD, "want GET or POST");
	}
	if (c->nseg != 2)
		return admin_fail(c, -EPX_E_ADM_NOTFOUND, NULL);
	if (!admin_archive_name_ok(c->seg[1]))
		return admin_failf(c, -EPX_E_EXP_NAME, "experiment name", c->seg[1]);
	if (m == HTTP_GET)
		return admin_archive_show(c, c->seg[1]);
	if (m == HTTP_PATCH)
		return admin_archive_put(c, c->seg[1], 0);
	if (m == HTTP_DELETE)
		return admin_archive_delete(c, c->seg[1]);
	return admin_fail(c, -EPX_E_ADM_METHOD, "want GET, PATCH or DELETE");
}
