/* test_store_archive: the archive's store functions (issue 15 point 3),
 * linked into test_store so that every one of them runs on SQLite and,
 * under tests/store/t_store_pg.sh, on a real PostgreSQL: experiments
 * (create, set, get, list, delete, and a table of malformed ones refused
 * with their code and changing nothing), bundles (record, idempotence,
 * get, public_at = stored + embargo on the fake clock, the public filter
 * for registered and unregistered experiments, the node / time window /
 * limit filters of store_bundle_find and a table of malformed filters),
 * and the audit entries each change leaves, naming its actor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "store/store.h"
#include "tests/test.h"

void test_store_archive(struct store *s, int64_t *now);

#define AR_SHA(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static const char *ar_code(int rc)
{
	static char b[4][16];
	static int i;

	i = (i + 1) % 4;
	return rc == 0 ? "0" : epx_code(rc, b[i], sizeof(b[i]));
}

#define ar_eq(got, want, fmt, ...) do { int g_ = (got), w_ = (want); \
	ok(g_ == w_, "archive: " fmt ": got %s want %s", ##__VA_ARGS__, ar_code(g_), \
	   ar_code(w_)); } while (0)

static struct store_experiment ar_exp(const char *name, const char *dt, int64_t days,
				      const char *slice)
{
	struct store_experiment e;

	memset(&e, 0, sizeof(e));
	snprintf(e.name, sizeof(e.name), "%s", name);
	snprintf(e.datatypes, sizeof(e.datatypes), "%s", dt);
	e.embargo_days = days;
	snprintf(e.slice, sizeof(e.slice), "%s", slice);
	return e;
}

static int ar_count_cb(const struct store_experiment *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int ar_nexp(struct store *s)
{
	int n = 0;

	if (store_experiment_list(s, ar_count_cb, &n))
		return -1;
	return n;
}

/* ---------------------------------------------------------- experiments */
static void ar_experiments(struct store *s)
{
	static const struct {
		const char *name, *dt, *slice;
		int64_t days;
	} bad[] = {
		{ "", "a", "", 0 }, { ".hidden", "a", "", 0 }, { "Upper", "a", "", 0 },
		{ "a b", "a", "", 0 }, { "a/b", "a", "", 0 }, { "x\n", "a", "", 0 },
		{ "good", "a,", "", 0 }, { "good", ",a", "", 0 }, { "good", "a,,b", "", 0 },
		{ "good", ",", "", 0 }, { "good", ".a", "", 0 }, { "good", "A", "", 0 },
		{ "good", "a b", "", 0 }, { "good", "a;b", "", 0 },
		{ "good", "a", "", -1 }, { "good", "a", "", STORE_EMBARGO_DAYS_MAX + 1 },
		{ "good", "a", "", INT64_MIN }, { "good", "a", "Slice", 0 },
		{ "good", "a", "s l", 0 },
	};
	struct store_experiment e, got;
	char longname[STORE_LABEL_MAX + 2], longdt[STORE_EXP_DATATYPES_MAX + 8];
	size_t i;
	int n0 = ar_nexp(s);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = ar_exp(bad[i].name, bad[i].dt, bad[i].days, bad[i].slice);
		ar_eq(store_experiment_put(s, &e, 1, "admin:t"), -EPX_E_DB_INVALID,
		      "malformed experiment %zu (%s/%s/%lld/%s) refused", i, bad[i].name, bad[i].dt,
		      (long long)bad[i].days, bad[i].slice);
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	e = ar_exp("x", "a", 0, "");
	memcpy(e.name, longname, sizeof(e.name) - 1);     /* 64: the cap itself */
	ar_eq(store_experiment_put(s, &e, 1, NULL), 0, "a 64-byte name is taken");
	ar_eq(store_experiment_delete(s, e.name, NULL), 0, "...and deleted");
	memset(longdt, 'd', sizeof(longdt) - 1);
	longdt[sizeof(longdt) - 1] = '\0';
	e = ar_exp("good", "a", 0, "");
	memcpy(e.datatypes, longdt, sizeof(e.datatypes) - 1);
	ar_eq(store_experiment_put(s, &e, 1, NULL), -EPX_E_DB_INVALID,
	      "datatypes of one 1024-byte name (over LABEL_TAG) refused");
	ok(ar_nexp(s) == n0, "archive: no refused experiment was kept (%d)", ar_nexp(s));

	e = ar_exp("ndt", "tcpinfo,ndt7,annotation", 0, "");
	ar_eq(store_experiment_put(s, &e, 1, "admin:alice"), 0, "create ndt");
	ar_eq(store_experiment_put(s, &e, 1, "admin:alice"), -EPX_E_DB_EXISTS, "create ndt again");
	e = ar_exp("wehe", "", 30, "wehe-slice");
	ar_eq(store_experiment_put(s, &e, 1, "admin:alice"), 0, "create wehe (no datatype yet)");
	e = ar_exp("nosuch", "a", 0, "");
	ar_eq(store_experiment_put(s, &e, 0, "admin:alice"), -EPX_E_DB_NOTFOUND, "set unknown");
	ar_eq(store_experiment_get(s, "nosuch", &got), -EPX_E_DB_NOTFOUND, "get unknown");
	ar_eq(store_experiment_get(s, "Bad Name", &got), -EPX_E_DB_INVALID, "get a malformed name");
	ar_eq(store_experiment_get(s, "wehe", &got), 0, "get wehe");
	ok(!strcmp(got.datatypes, "") && got.embargo_days == 30 &&
	   !strcmp(got.slice, "wehe-slice") && got.created == got.updated && got.created > 0,
	   "archive: wehe's fields read back (%s/%lld/%s)", got.datatypes,
	   (long long)got.embargo_days, got.slice);
	ok(ar_nexp(s) == n0 + 2, "archive: two experiments listed (%d)", ar_nexp(s));
	ar_eq(store_experiment_delete(s, "nosuch", "admin:alice"), -EPX_E_DB_NOTFOUND,
	      "delete unknown");
	ar_eq(store_experiment_delete(s, ".x", "admin:alice"), -EPX_E_DB_INVALID,
	      "delete a malformed name");
}

/* ------------------------------------------------------------- bundles */
struct ar_list {
	int n;
	char seen[64][160];
};

static int ar_list_cb(const struct store_bundle *b, void *arg)
{
	struct ar_list *l = arg;

	if (l->n < 64)
		snprintf(l->seen[l->n], sizeof(l->seen[0]), "%s/%s/%.4s", b->host, b->experiment,
			 b->sha256);
	l->n++;
	return 0;
}

static int ar_find(struct store *s, const struct store_bundle_query *q, struct ar_list *l)
{
	memset(l, 0, sizeof(*l));
	return store_bundle_find(s, q, ar_list_cb, l);
}

static struct store_bundle ar_bundle(const char *host, const char *exp, const char *sha,
				     int64_t size)
{
	struct store_bundle b;

	memset(&b, 0, sizeof(b));
	snprintf(b.host, sizeof(b.host), "%s", host);
	snprintf(b.experiment, sizeof(b.experiment), "%s", exp);
	snprintf(b.sha256, sizeof(b.sha256), "%s", sha);
	b.size = size;
	return b;
}

static void ar_bundles_bad(struct store *s)
{
	static const struct { const char *host, *exp, *sha; int64_t size; } bad[] = {
		{ "", "ndt", AR_SHA("a"), 1 }, { "Node1", "ndt", AR_SHA("a"), 1 },
		{ "-n", "ndt", AR_SHA("a"), 1 }, { "n1", "", AR_SHA("a"), 1 },
		{ "n1", "N D", AR_SHA("a"), 1 }, { "n1", "ndt", "abc", 1 },
		{ "n1", "ndt", AR_SHA("g"), 1 }, { "n1", "ndt", AR_SHA("a") "a", 1 },
		{ "n1", "ndt", AR_SHA("a"), -1 },
	};
	struct store_bundle b;
	size_t i;
	int again;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = ar_bundle(bad[i].host, bad[i].exp, bad[i].sha, bad[i].size);
		if (strlen(bad[i].sha) > 64)    /* the struct cannot hold it: a 63 */
			b.sha256[63] = '\0';
		ar_eq(store_bundle_add(s, &b, &again, NULL), -EPX_E_DB_INVALID,
		      "malformed bundle %zu (%s/%s) refused", i, bad[i].host, bad[i].exp);
	}
}

static void ar_queries_bad(struct store *s)
{
	static const struct store_bundle_query bad[] = {
		{ .experiment = "A" }, { .experiment = "" }, { .host = "Node" }, { .host = "" },
		{ .sha256 = "00" }, { .sha256 = AR_SHA("Z") }, { .since = -1 }, { .until = -5 },
		{ .since = 100, .until = 100 }, { .since = 200, .until = 100 },
		{ .limit = STORE_BUNDLES_LIST_MAX + 1 },
	};
	struct ar_list l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ar_eq(ar_find(s, &bad[i], &l), -EPX_E_DB_INVALID, "malformed filter %zu refused", i);
}

static void ar_bundles(struct store *s, int64_t *now)
{
	struct store_bundle b, got;
	struct store_bundle_query q;
	struct store_experiment e;
	struct ar_list l;
	int64_t t0 = *now;
	int again = -1;

	ar_bundles_bad(s);
	ar_queries_bad(s);
	b = ar_bundle("n1", "ndt", AR_SHA("1"), 1000);
	ar_eq(store_bundle_add(s, &b, &again, NULL), 0, "n1's ndt bundle recorded");
	ok(again == 0, "archive: ...the first time (%d)", again);
	ar_eq(store_bundle_add(s, &b, &again, NULL), 0, "...again");
	ok(again == 1, "archive: ...idempotent, and says so (%d)", again);
	b.size = 7;
	ar_eq(store_bundle_add(s, &b, &again, NULL), 0, "...again with another size");
	ar_eq(store_bundle_get(s, "n1", "ndt", AR_SHA("1"), &got), 0, "get it");
	ok(got.size == 1000 && got.stored == t0 && got.public_at == t0,
	   "archive: size, stored, public_at kept from the first record (%lld %lld %lld)",
	   (long long)got.size, (long long)got.stored, (long long)got.public_at);
	*now = t0 + 100;
	b = ar_bundle("n2", "ndt", AR_SHA("1"), 1000);          /* same bytes, other node */
	ar_eq(store_bundle_add(s, &b, &again, NULL), 0, "the same hash from n2: its own record");
	*now = t0 + 200;
	b = ar_bundle("n1", "wehe", AR_SHA("2"), 50);
	ar_eq(store_bundle_add(s, &b, &again, NULL), 0, "n1's wehe bundle (30-day embargo)");
	*now = t0 + 300;
	b = ar_bundle("n1", "unreg", AR_SHA("3"), 60);
	ar_eq(store_bundle_add(s, &b, &again, NULL), 0, "a bundle of an unregistered experiment");
	ar_eq(store_bundle_get(s, "n1", "wehe", AR_SHA("2"), &got), 0, "get the wehe bundle");
	ok(got.public_at == t0 + 200 + 30 * 86400, "archive: wehe public_at = stored + 30 days");
	ar_eq(store_bundle_get(s, "n3", "ndt", AR_SHA("1"), &got), -EPX_E_DB_NOTFOUND,
	      "another node's name for a hash it never sent");
	ar_eq(store_bundle_get(s, "n1", "ndt", AR_SHA("A"), &got), -EPX_E_DB_INVALID,
	      "get: uppercase hex refused");

	memset(&q, 0, sizeof(q));
	ar_eq(ar_find(s, &q, &l), 0, "find everything");
	ok(l.n == 4 && !strcmp(l.seen[0], "n1/ndt/1111") && !strcmp(l.seen[1], "n2/ndt/1111") &&
	   !strcmp(l.seen[2], "n1/wehe/2222") && !strcmp(l.seen[3], "n1/unreg/3333"),
	   "archive: 4 bundles, oldest first (%d: %s %s)", l.n, l.seen[0], l.seen[3]);
	q.public_only = 1;
	ar_eq(ar_find(s, &q, &l), 0, "public ones");
	ok(l.n == 2 && !strcmp(l.seen[0], "n1/ndt/1111"), "archive: only ndt's two are public (%d)",
	   l.n);
	q.public_only = 0;
	q.host = "n1";
	ar_eq(ar_find(s, &q, &l), 0, "node n1");
	ok(l.n == 3, "archive: n1 has 3 bundles (%d)", l.n);
	q.experiment = "ndt";
	ar_eq(ar_find(s, &q, &l), 0, "node n1, experiment ndt");
	ok(l.n == 1 && !strcmp(l.seen[0], "n1/ndt/1111"), "archive: n1/ndt: 1 (%d)", l.n);
	memset(&q, 0, sizeof(q));
	q.since = t0 + 100;
	q.until = t0 + 300;
	ar_eq(ar_find(s, &q, &l), 0, "window [t0+100, t0+300)");
	ok(l.n == 2 && !strcmp(l.seen[0], "n2/ndt/1111") && !strcmp(l.seen[1], "n1/wehe/2222"),
	   "archive: the window holds n2/ndt and n1/wehe (%d)", l.n);
	q.since = 0;
	q.until = 0;
	q.limit = 3;
	ar_eq(ar_find(s, &q, &l), 0, "limit 3");
	ok(l.n == 3, "archive: limit honoured (%d)", l.n);
	memset(&q, 0, sizeof(q));
	q.sha256 = AR_SHA("1");
	ar_eq(ar_find(s, &q, &l), 0, "by hash");
	ok(l.n == 2, "archive: one hash, two nodes (%d)", l.n);

	/* the embargo on the store's clock; changing it moves every bundle */
	memset(&q, 0, sizeof(q));
	q.public_only = 1;
	q.experiment = "wehe";
	*now = t0 + 200 + 30 * 86400 - 1;
	ar_eq(ar_find(s, &q, &l), 0, "wehe, one second before its embargo ends");
	ok(l.n == 0, "archive: ...nothing public (%d)", l.n);
	*now += 1;
	ar_eq(ar_find(s, &q, &l), 0, "wehe, at the end of its embargo");
	ok(l.n == 1, "archive: ...public (%d)", l.n);
	e = ar_exp("wehe", "", 60, "wehe-slice");
	ar_eq(store_experiment_put(s, &e, 0, "admin:bob"), 0, "set wehe's embargo to 60 days");
	ar_eq(ar_find(s, &q, &l), 0, "wehe after the change");
	ok(l.n == 0, "archive: ...private again: the embargo moved with the experiment (%d)", l.n);
	q.experiment = "unreg";
	*now = t0 + 100LL * 365 * 86400;
	ar_eq(ar_find(s, &q, &l), 0, "an unregistered experiment, 100 years later");
	ok(l.n == 0, "archive: ...never public (%d)", l.n);

	ar_eq(store_experiment_delete(s, "ndt", "admin:bob"), -EPX_E_EXP_BUSY,
	      "delete ndt while bundles name it");
	ar_eq(store_experiment_get(s, "ndt", &e), 0, "...ndt still there");
	e = ar_exp("empty", "x", 1, "");
	ar_eq(store_experiment_put(s, &e, 1, "admin:bob"), 0, "create an experiment with no data");
	ar_eq(store_experiment_delete(s, "empty", "admin:bob"), 0, "...delete it");
	ar_eq(store_experiment_get(s, "empty", &e), -EPX_E_DB_NOTFOUND, "...gone");
	*now = t0 + 1000;
}

/* ----------------------------------------------------------------- audit */
struct ar_audit {
	int create, set, del, stored;
	int actors_ok;
};

static int ar_audit_cb(const struct store_audit *a, void *arg)
{
	struct ar_audit *x = arg;

	if (!strncmp(a->action, "experiment.", 11) && strncmp(a->actor, "admin:", 6) &&
	    strcmp(a->actor, "epoxyd"))
		x->actors_ok = 0;
	x->create += !strcmp(a->action, "experiment.create") && !strcmp(a->actor, "admin:alice");
	x->set += !strcmp(a->action, "experiment.set") && !strcmp(a->subject, "wehe") &&
		!strcmp(a->actor, "admin:bob") && strstr(a->detail, "embargo_days=60");
	x->del += !strcmp(a->action, "experiment.delete") && !strcmp(a->subject, "empty") &&
		!strcmp(a->actor, "admin:bob");
	x->stored += !strcmp(a->action, "archive.stored");
	return 0;
}

static void ar_audit(struct store *s)
{
	struct ar_audit x = { 0, 0, 0, 0, 1 };

	ar_eq(store_audit_list(s, 0, 100000, ar_audit_cb, &x), 0, "audit list");
	ok(x.create == 2 && x.set == 1 && x.del == 1 && x.actors_ok,
	   "archive: audited create x2, set, delete by their admins (%d %d %d)", x.create, x.set,
	   x.del);
	ok(x.stored == 4, "archive: each first record of a bundle audited once (%d)", x.stored);
	ar_eq(store_audit_verify(s, NULL), 0, "the audit chain verifies");
}

/* the S3 backend's locations: a bundle in the private prefix is never
 * public, whatever its embargo, until store_bundle_move says it moved */
static void ar_s3(struct store *s, int64_t *now)
{
	struct store_bundle b, got;
	struct store_bundle_query q;
	struct store_experiment e = ar_exp("s3x", "", 1, "");
	struct ar_list l;
	int again = -1;

	ar_eq(store_experiment_put(s, &e, 1, "admin:bob"), 0, "s3: an experiment, 1-day embargo");
	b = ar_bundle("n1", "s3x", AR_SHA("5"), 10);
	snprintf(b.location, sizeof(b.location), "%s", STORE_BUNDLE_S3_PRIVATE);
	ar_eq(store_bundle_add(s, &b, &again, NULL), 0, "s3: a bundle in the private prefix");
	ar_eq(store_bundle_get(s, "n1", "s3x", AR_SHA("5"), &got), 0, "s3: get it");
	ok(!strcmp(got.location, STORE_BUNDLE_S3_PRIVATE), "archive: location kept (%s)",
	   got.location);
	b = ar_bundle("n1", "s3x", AR_SHA("6"), 10);
	snprintf(b.location, sizeof(b.location), "%s", "s3-elsewhere");
	ar_eq(store_bundle_add(s, &b, &again, NULL), -EPX_E_DB_INVALID, "s3: an unknown location");
	memset(&q, 0, sizeof(q));
	q.experiment = "s3x";
	q.public_only = 1;
	*now += 2 * 86400;
	ar_eq(ar_find(s, &q, &l), 0, "s3: public, embargo over, not moved yet");
	ok(l.n == 0, "archive: ...not public before it moved (%d)", l.n);
	q.public_only = 0;
	q.location = STORE_BUNDLE_S3_PRIVATE;
	ar_eq(ar_find(s, &q, &l), 0, "s3: what housekeeping has to move");
	ok(l.n == 1, "archive: ...one (%d)", l.n);
	q.location = "nowhere";
	ar_eq(ar_find(s, &q, &l), -EPX_E_DB_INVALID, "s3: an unknown location filter");
	ar_eq(store_bundle_move(s, &got, STORE_BUNDLE_S3_PUBLIC, STORE_BUNDLE_LOCAL),
	      -EPX_E_DB_NOTFOUND, "s3: a move from where it is not");
	ar_eq(store_bundle_move(s, &got, STORE_BUNDLE_S3_PRIVATE, "x"), -EPX_E_DB_INVALID,
	      "s3: a move to an unknown location");
	ar_eq(store_bundle_move(s, &got, STORE_BUNDLE_S3_PRIVATE, STORE_BUNDLE_S3_PUBLIC), 0,
	      "s3: moved public");
	ar_eq(store_bundle_move(s, &got, STORE_BUNDLE_S3_PRIVATE, STORE_BUNDLE_S3_PUBLIC),
	      -EPX_E_DB_NOTFOUND, "s3: ...a second move finds it gone (compare-and-set)");
	q.location = NULL;
	q.public_only = 1;
	ar_eq(ar_find(s, &q, &l), 0, "s3: public after the move");
	ok(l.n == 1, "archive: ...listed (%d)", l.n);
	*now -= 2 * 86400;
}

/* names (schema v15): unique, checked against the record's node and
 * experiment; the same bundle again keeps its first name */
#define AR_NAME(n, t) "nx/tcpinfo/2026/12/05/20261205T1015" t ".000001Z-tcpinfo-" n "-nx.tgz"
static void ar_names(struct store *s)
{
	static const struct { const char *host, *exp, *name; } bad[] = {
		{ "n1", "nx", "nx/tcpinfo/2026/12/05/x.tgz" },
		{ "n1", "nx", AR_NAME("n2", "00") },            /* another node's */
		{ "n1", "ny", AR_NAME("n1", "00") },            /* another experiment's */
		{ "n1", "nx", "nx/tcpinfo/2026/12/04/20261205T101500.000001Z-tcpinfo-n1-nx.tgz" },
		{ "n1", "nx", "../tcpinfo/2026/12/05/20261205T101500.000001Z-tcpinfo-n1-...tgz" },
	};
	struct store_bundle b, got;
	size_t i;
	int again = -1;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = ar_bundle(bad[i].host, bad[i].exp, AR_SHA("7"), 10);
		snprintf(b.name, sizeof(b.name), "%s", bad[i].name);
		ar_eq(store_bundle_add(s, &b, &again, NULL), -EPX_E_DB_INVALID,
		      "name: malformed or not its own refused: %s", bad[i].name);
	}
	b = ar_bundle("n1", "nx", AR_SHA("7"), 10);
	snprintf(b.name, sizeof(b.name), "%s", AR_NAME("n1", "00"));
	ar_eq(store_bundle_add(s, &b, &again, NULL), 0, "name: a named bundle recorded");
	ar_eq(store_bundle_by_name(s, AR_NAME("n1", "00"), &got), 0, "name: found by its name");
	ok(!strcmp(got.sha256, AR_SHA("7")) && !strcmp(got.name, AR_NAME("n1", "00")),
	   "archive: ...its record, with its name (%s)", got.name);
	snprintf(b.name, sizeof(b.name), "%s", AR_NAME("n1", "01"));
	memset(&got, 0, sizeof(got));
	ar_eq(store_bundle_add(s, &b, &again, &got), 0, "name: the same bundle, a new name");
	ok(again == 1 && !strcmp(got.name, AR_NAME("n1", "00")),
	   "archive: ...is the same bundle, under its first name (%d %s)", again, got.name);
	ar_eq(store_bundle_by_name(s, AR_NAME("n1", "01"), &got), -EPX_E_DB_NOTFOUND,
	      "name: ...and the second name names nothing");
	b = ar_bundle("n1", "nx", AR_SHA("8"), 10);
	snprintf(b.name, sizeof(b.name), "%s", AR_NAME("n1", "00"));
	ar_eq(store_bundle_add(s, &b, &again, NULL), -EPX_E_ARC_NAMETAKEN,
	      "name: another bundle under a taken name refused");
	ar_eq(store_bundle_get(s, "n1", "nx", AR_SHA("8"), &got), -EPX_E_DB_NOTFOUND,
	      "name: ...and not recorded");
	ar_eq(store_bundle_by_name(s, "nx/../x", &got), -EPX_E_DB_INVALID,
	      "name: a malformed name looked up: refused");
}

void test_store_archive(struct store *s, int64_t *now)
{
	int64_t saved = *now;

	ar_experiments(s);
	ar_bundles(s, now);
	ar_audit(s);
	ar_s3(s, now);
	ar_names(s);
	*now = saved;
}
