/* store_rollout: release rollouts in waves (issue 16 point 2).
 *
 * Guarantees (the contract is in store.h, "rollouts"): a rollout's plan
 * (which host is in which wave) is written once, at start, in the same
 * transaction that moves its canaries; every later change is one
 * transaction that begins by updating the rollout's own row, so two
 * epoxyd on one PostgreSQL (or a restarted one) never advance the same
 * rollout at once, and hosts move only by an update conditional on their
 * state 'waiting': a host moves at most once per rollout. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/label.h"
#include "lib/num.h"
#include "store/store.h"
#include "store/store_db.h"

#define RO_COLS "id, channel, version, from_version, state, wave, waves, canary," \
	" canary_pct, step_pct, max_failures, wait, wave_done, actor, created, updated"
#define RO_ACTIVE "('running', 'paused', 'halted')"
#define RO_TICK_MAX 1000        /* running rollouts one tick looks at */
#define RO_DETAIL 256

/* ------------------------------------------------------------- the spec */

static int store_rollout_arg(const char *a, size_t *n)
{
	*n = strnlen(a, STORE_ROLLOUT_ARG_MAX + 1);
	return *n == 0 || *n > STORE_ROLLOUT_ARG_MAX ? -EPX_E_RO_SPEC : 0;
}

/* "P%", P in 1..100 */
static int store_rollout_pct(const char *a, size_t n, uint32_t *out)
{
	if (n < 2 || a[n - 1] != '%' || num_parse_u32(a, n - 1, 100, out) < 0 || *out == 0)
		return -EPX_E_RO_SPEC;
	return 0;
}

/* "N", "Ns", "Nm", "Nh", "Nd": seconds, at most STORE_ROLLOUT_WAIT_MAX */
static int store_rollout_dur(const char *a, size_t n, int64_t *out)
{
	static const struct { char unit; uint64_t mul; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	uint64_t mul = 1, v;
	size_t i;

	for (i = 0; n > 1 && i < sizeof(units) / sizeof(units[0]); i++)
		if (a[n - 1] == units[i].unit) {
			mul = units[i].mul;
			n--;
			break;
		}
	if (num_parse_u64(a, n, STORE_ROLLOUT_WAIT_MAX / mul, &v) < 0)
		return -EPX_E_RO_SPEC;
	*out = (int64_t)(v * mul);
	return 0;
}

static int store_rollout_canary(const char *a, struct store_rollout_spec *sp)
{
	size_t n;

	if (store_rollout_arg(a, &n))
		return -EPX_E_RO_SPEC;
	if (a[n - 1] == '%') {
		sp->canary = 0;
		return store_rollout_pct(a, n, &sp->canary_pct);
	}
	if (num_parse_u32(a, n, STORE_LIST_MAX, &sp->canary) < 0 || sp->canary == 0)
		return -EPX_E_RO_SPEC;
	return 0;
}

int store_rollout_spec_parse(const char *canary, const char *step,
			     const char *max_failures, const char *wait,
			     struct store_rollout_spec *out)
{
	struct store_rollout_spec sp = { 1, 0, 25, 0, 0 };
	size_t n;

	if (canary && store_rollout_canary(canary, &sp))
		return -EPX_E_RO_SPEC;
	if (step && (store_rollout_arg(step, &n) || store_rollout_pct(step, n, &sp.step_pct)))
		return -EPX_E_RO_SPEC;
	if (max_failures && (store_rollout_arg(max_failures, &n) ||
			     num_parse_u32(max_failures, n, STORE_ROLLOUT_FAIL_MAX,
					   &sp.max_failures) < 0))
		return -EPX_E_RO_SPEC;
	if (wait && (store_rollout_arg(wait, &n) || store_rollout_dur(wait, n, &sp.wait)))
		return -EPX_E_RO_SPEC;
	*out = sp;
	return 0;
}

static int store_rollout_spec_ok(const struct store_rollout_spec *sp)
{
	return !!sp->canary != !!sp->canary_pct && sp->canary <= STORE_LIST_MAX &&
	       sp->canary_pct <= 100 && sp->step_pct >= 1 && sp->step_pct <= 100 &&
	       sp->max_failures <= STORE_ROLLOUT_FAIL_MAX && sp->wait >= 0 &&
	       sp->wait <= STORE_ROLLOUT_WAIT_MAX;
}

/* -------------------------------------------------------------- reading */

static void store_rollout_row(const struct db_res *r, size_t i, struct store_rollout *o)
{
	memset(o, 0, sizeof(*o));
	o->id = db_int(r, i, 0);
	st_copy(o->channel, sizeof(o->channel), db_text(r, i, 1));
	o->version = (uint32_t)db_int(r, i, 2);
	o->from_version = (uint32_t)db_int(r, i, 3);
	st_copy(o->state, sizeof(o->state), db_text(r, i, 4));
	o->wave = db_int(r, i, 5);
	o->waves = db_int(r, i, 6);
	o->spec.canary = (uint32_t)db_int(r, i, 7);
	o->spec.canary_pct = (uint32_t)db_int(r, i, 8);
	o->spec.step_pct = (uint32_t)db_int(r, i, 9);
	o->spec.max_failures = (uint32_t)db_int(r, i, 10);
	o->spec.wait = db_int(r, i, 11);
	o->wave_done = db_int(r, i, 12);
	st_copy(o->actor, sizeof(o->actor), db_text(r, i, 13));
	o->created = db_int(r, i, 14);
	o->updated = db_int(r, i, 15);
}

/* Fills the counts of o's hosts. */
static int store_rollout_counts(struct store *s, struct store_rollout *o)
{
	struct db_res r;
	const char *st;
	uint64_t n;
	size_t i;
	int rc = Q(s, "SELECT state, COUNT(*) FROM rollout_hosts WHERE rollout = $1"
		   " GROUP BY state", &r, A_INT(o->id));

	if (rc < 0)
		return rc;
	o->hosts = o->waiting = o->moved = o->joined = o->failed = o->gone = 0;
	for (i = 0; i < r.nrows; i++) {
		st = db_text(&r, i, 0);
		n = (uint64_t)db_int(&r, i, 1);
		o->hosts += n;
		if (!strcmp(st, "waiting"))
			o->waiting = n;
		else if (!strcmp(st, "moved"))
			o->moved = n;
		else if (!strcmp(st, "joined"))
			o->joined = n;
		else if (!strcmp(st, "failed"))
			o->failed = n;
		else
			o->gone += n;
	}
	db_res_free(&r);
	rc = Q(s, "SELECT COUNT(*), SUM(CASE WHEN state = 'moved' THEN 1 ELSE 0 END)"
	       " FROM rollout_hosts WHERE rollout = $1 AND wave = $2", &r, A_INT(o->id),
	       A_INT(o->wave));
	if (rc < 0)
		return rc;
	o->wave_hosts = r.nrows ? (uint64_t)db_int(&r, 0, 0) : 0;
	o->wave_left = r.nrows ? (uint64_t)db_int(&r, 0, 1) : 0;
	db_res_free(&r);
	return 0;
}

/* One rollout by sql with one argument; counts filled. */
static int store_rollout_one(struct store *s, const char *sql, struct db_arg a,
			     struct store_rollout *out)
{
	struct db_res r;
	int rc = Q(s, sql, &r, a);

	if (rc < 0)
		return rc;
	rc = r.nrows ? 0 : -EPX_E_RO_NONE;
	if (r.nrows)
		store_rollout_row(&r, 0, out);
	db_res_free(&r);
	return rc ? rc : store_rollout_counts(s, out);
}

int store_rollout_get(struct store *s, const char *channel, struct store_rollout *out)
{
	if (!store_valid_label(channel))
		return -EPX_E_DB_INVALID;
	return store_rollout_one(s, "SELECT " RO_COLS " FROM rollouts WHERE channel = $1"
				 " ORDER BY id DESC LIMIT 1", A_TEXT(channel), out);
}

int store_rollout_list(struct store *s, int (*cb)(const struct store_rollout *, void *),
		       void *arg)
{
	struct store_rollout o;
	struct db_res r;
	size_t i;
	int rc = Q(s, "SELECT " RO_COLS " FROM rollouts WHERE id IN (SELECT MAX(id)"
		   " FROM rollouts GROUP BY channel) ORDER BY channel LIMIT $1", &r,
		   A_INT(STORE_LIST_MAX));

	if (rc < 0)
		return rc;
	for (i = 0; i < r.nrows && rc == 0; i++) {
		store_rollout_row(&r, i, &o);
		rc = store_rollout_counts(s, &o);
		if (rc == 0)
			rc = cb(&o, arg);
	}
	db_res_free(&r);
	return rc < 0 ? rc : 0;
}

int store_rollout_hosts(struct store *s, int64_t id,
			int (*cb)(const struct store_rollout_host *, void *), void *arg)
{
	struct store_rollout_host o;
	struct db_res r;
	size_t i;
	int rc = Q(s, "SELECT rh.host, rh.site, rh.wave, rh.state, rh.moved_at, rh.done_at,"
		   " CASE WHEN rh.state = 'failed' THEN COALESCE(h.last_code, '') ELSE '' END"
		   " FROM rollout_hosts rh LEFT JOIN hosts h ON h.name = rh.host"
		   " WHERE rh.rollout = $1 ORDER BY rh.wave, rh.ord LIMIT $2", &r, A_INT(id),
		   A_INT(STORE_LIST_MAX));

	if (rc < 0)
		return rc;
	for (i = 0; i < r.nrows && rc == 0; i++) {
		memset(&o, 0, sizeof(o));
		st_copy(o.host, sizeof(o.host), db_text(&r, i, 0));
		st_copy(o.site, sizeof(o.site), db_text(&r, i, 1));
		o.wave = db_int(&r, i, 2);
		st_copy(o.state, sizeof(o.state), db_text(&r, i, 3));
		o.moved_at = db_int(&r, i, 4);
		o.done_at = db_int(&r, i, 5);
		st_copy(o.code, sizeof(o.code), db_text(&r, i, 6));
		rc = cb(&o, arg);
	}
	db_res_free(&r);
	return rc < 0 ? rc : 0;
}

/* The version a host of channel is served by a rollout in progress that
 * moved it: *v unchanged (0) when none did.  For store_host_release. */
int st_rollout_version(struct store *s, const char *host, const char *channel, uint32_t *v)
{
	struct db_res r;
	int rc = Q(s, "SELECT ro.version FROM rollout_hosts rh JOIN rollouts ro"
		   " ON ro.id = rh.rollout WHERE rh.host = $1 AND ro.channel = $2"
		   " AND ro.state IN " RO_ACTIVE " AND rh.state <> 'waiting'"
		   " AND rh.state <> 'gone'", &r, A_TEXT(host), A_TEXT(channel));

	if (rc < 0)
		return rc;
	if (r.nrows)
		*v = (uint32_t)db_int(&r, 0, 0);
	db_res_free(&r);
	return 0;
}

/* ------------------------------------------------------------- the plan */

struct ro_host {
	char name[STORE_NAME_MAX + 1];
	char site[STORE_LABEL_MAX + 1];
	size_t rank;            /* its place among its site's hosts */
};

static int store_rollout_cmp(const void *a, const void *b)
{
	const struct ro_host *x = a, *y = b;
	int c;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	c = strcmp(x->site, y->site);
	return c ? c : strcmp(x->name, y->name);
}

/* 1 if the space-separated groups hold one of pinned's rows. */
static int store_rollout_group_pinned(const char *groups, const struct db_res *pinned)
{
	size_t i, n, len;

	for (i = 0; i < pinned->nrows; i++) {
		const char *g = db_text(pinned, i, 0), *p = groups;

		len = strlen(g);
		while (*p) {
			n = strcspn(p, " ");
			if (n == len && !memcmp(p, g, n))
				return 1;
			p += n;
			p += *p == ' ';
		}
	}
	return 0;
}

/* The hosts that follow channel without a pin, round-robin across sites:
 * *out malloc'd (the caller frees), *n of them. */
static int store_rollout_plan(struct store *s, const char *channel, struct ro_host **out,
			      size_t *n)
{
	struct db_res r, pins;
	struct ro_host *h = NULL;
	size_t i, k = 0, rank = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = Q(s, "SELECT grp FROM group_pins WHERE channel = $1", &pins, A_TEXT(channel));
	if (rc < 0)
		return rc;
	rc = Q(s, "SELECT name, site, node_groups FROM hosts WHERE channel = $1 AND pinned = 0"
	       " ORDER BY site, name LIMIT $2", &r, A_TEXT(channel), A_INT(STORE_LIST_MAX));
	if (rc < 0)
		goto out_pins;
	rc = -ENOMEM;
	h = calloc(r.nrows ? r.nrows : 1, sizeof(*h));
	if (!h)
		goto out;
	for (i = 0; i < r.nrows; i++) {
		if (store_rollout_group_pinned(db_text(&r, i, 2), &pins))
			continue;
		st_copy(h[k].name, sizeof(h[k].name), db_text(&r, i, 0));
		st_copy(h[k].site, sizeof(h[k].site), db_text(&r, i, 1));
		rank = k && !strcmp(h[k - 1].site, h[k].site) ? rank + 1 : 0;
		h[k++].rank = rank;
	}
	qsort(h, k, sizeof(*h), store_rollout_cmp);
	*out = h;
	*n = k;
	rc = 0;
out:
	db_res_free(&r);
out_pins:
	db_res_free(&pins);
	return rc;
}

/* Moves the waiting hosts of wave (conditional: never one twice) and
 * audits how many. */
static int store_rollout_move(struct store *s, const struct store_rollout *ro, int64_t wave)
{
	char detail[RO_DETAIL];
	struct db_res r;
	uint64_t moved;
	int rc = Q(s, "UPDATE rollout_hosts SET state = 'moved', moved_at = $3"
		   " WHERE rollout = $1 AND wave = $2 AND state = 'waiting'", &r,
		   A_INT(ro->id), A_INT(wave), A_INT(store_now(s)));

	if (rc < 0)
		return rc;
	moved = r.changes;
	db_res_free(&r);
	snprintf(detail, sizeof(detail), "rollout=%" PRId64 " version=%" PRIu32 " wave=%" PRId64
		 "/%" PRId64 " moved=%" PRIu64, ro->id, ro->version, wave, ro->waves, moved);
	return st_audit_locked(s, "epoxyd", "rollout.wave", ro->channel, detail);
}

/* Wave sizes: canaries, then steps of step_pct % (both rounded up). */
static void store_rollout_sizes(const struct store_rollout_spec *sp, size_t n,
				size_t *canary, size_t *step, int64_t *waves)
{
	*canary = sp->canary ? sp->canary : (n * sp->canary_pct + 99) / 100;
	if (*canary > n)
		*canary = n;
	if (*canary == 0)
		*canary = 1;
	*step = (n * sp->step_pct + 99) / 100;
	if (*step == 0)
		*step = 1;
	*waves = 1 + (int64_t)((n - *canary + *step - 1) / *step);
}

static int store_rollout_insert(struct store *s, struct store_rollout *ro,
				const struct ro_host *h, size_t n)
{
	size_t canary, step, i;
	struct db_res r;
	int64_t now = store_now(s), wave;
	int rc;

	store_rollout_sizes(&ro->spec, n, &canary, &step, &ro->waves);
	rc = Q(s, "INSERT INTO rollouts (channel, version, from_version, state, wave, waves,"
	       " canary, canary_pct, step_pct, max_failures, wait, wave_done, actor, created,"
	       " updated) VALUES ($1, $2, $3, 'running', 0, $4, $5, $6, $7, $8, $9, 0, $10,"
	       " $11, $11) RETURNING id", &r, A_TEXT(ro->channel), A_INT(ro->version),
	       A_INT(ro->from_version), A_INT(ro->waves), A_INT(ro->spec.canary),
	       A_INT(ro->spec.canary_pct), A_INT(ro->spec.step_pct),
	       A_INT(ro->spec.max_failures), A_INT(ro->spec.wait), A_TEXT(ro->actor),
	       A_INT(now));
	if (rc == -EPX_E_DB_EXISTS)
		return -EPX_E_RO_ACTIVE;
	if (rc < 0)
		return rc;
	ro->id = r.nrows ? db_int(&r, 0, 0) : 0;
	db_res_free(&r);
	for (i = 0; rc == 0 && i < n; i++) {
		wave = i < canary ? 0 : 1 + (int64_t)((i - canary) / step);
		rc = Q(s, "INSERT INTO rollout_hosts (rollout, host, site, ord, wave, state,"
		       " moved_at, done_at) VALUES ($1, $2, $3, $4, $5, 'waiting', 0, 0)", NULL,
		       A_INT(ro->id), A_TEXT(h[i].name), A_TEXT(h[i].site), A_INT(i), A_INT(wave));
	}
	return rc;
}

/* The channel's version (-EPX_E_RO_CHANNEL: none, or already version) and
 * no rollout in progress (-EPX_E_RO_ACTIVE). Inside the transaction. */
static int store_rollout_precheck(struct store *s, struct store_rollout *ro)
{
	struct db_res r;
	int rc = Q(s, "SELECT version FROM channels WHERE name = $1", &r, A_TEXT(ro->channel));

	if (rc < 0)
		return rc;
	rc = r.nrows ? 0 : -EPX_E_RO_CHANNEL;
	if (r.nrows)
		ro->from_version = (uint32_t)db_int(&r, 0, 0);
	db_res_free(&r);
	if (rc == 0 && ro->from_version == ro->version)
		rc = -EPX_E_RO_CHANNEL;
	if (rc < 0)
		return rc;
	rc = Q(s, "SELECT id FROM rollouts WHERE channel = $1 AND state IN " RO_ACTIVE, &r,
	       A_TEXT(ro->channel));
	if (rc == 0 && r.nrows)
		rc = -EPX_E_RO_ACTIVE;
	db_res_free(&r);
	return rc;
}

int store_rollout_start(struct store *s, const char *actor, const char *channel,
			uint32_t version, const struct store_rollout_spec *spec,
			struct store_rollout *out)
{
	struct store_rollout ro;
	char detail[RO_DETAIL];
	struct ro_host *h = NULL;
	size_t n = 0;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_label(channel) || !actor || label_check_str(LABEL_ACTOR, actor) < 0 ||
	    version == 0)
		return rc;
	if (!spec || !store_rollout_spec_ok(spec))
		return -EPX_E_RO_SPEC;
	memset(&ro, 0, sizeof(ro));
	st_copy(ro.channel, sizeof(ro.channel), channel);
	st_copy(ro.actor, sizeof(ro.actor), actor);
	ro.version = version;
	ro.spec = *spec;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_rollout_precheck(s, &ro);
	if (rc == 0)
		rc = store_rollout_plan(s, channel, &h, &n);
	if (rc == 0 && n == 0)
		rc = -EPX_E_RO_NOHOSTS;
	if (rc == 0)
		rc = store_rollout_insert(s, &ro, h, n);
	if (rc == 0) {
		snprintf(detail, sizeof(detail), "rollout=%" PRId64 " version=%" PRIu32
			 " from=%" PRIu32 " hosts=%zu waves=%" PRId64 " canary=%" PRIu32 "%s"
			 " step=%" PRIu32 "%% max_failures=%" PRIu32 " wait=%" PRId64 "s",
			 ro.id, version, ro.from_version, n, ro.waves,
			 spec->canary ? spec->canary : spec->canary_pct,
			 spec->canary ? "" : "%", spec->step_pct, spec->max_failures, spec->wait);
		rc = st_audit_locked(s, actor, "rollout.start", channel, detail);
	}
	if (rc == 0)
		rc = store_rollout_move(s, &ro, 0);
	free(h);
	rc = st_end(s, rc);
	if (rc == -EPX_E_DB_EXISTS)
		rc = -EPX_E_RO_ACTIVE;
	if (rc == 0 && out)
		rc = store_rollout_get(s, channel, out);
	return rc;
}

/* ------------------------------------------------------ operator's verbs */

static int store_rollout_verb(const char *verb, const char *from, const char **to)
{
	if (!strcmp(verb, "pause")) {
		*to = "paused";
		return strcmp(from, "running") ? -EPX_E_RO_STATE : 0;
	}
	if (!strcmp(verb, "resume")) {
		*to = "running";
		if (!strcmp(from, "halted"))
			return -EPX_E_RO_HALTED;
		return strcmp(from, "paused") ? -EPX_E_RO_STATE : 0;
	}
	*to = "aborted";
	return 0;
}

int store_rollout_set(struct store *s, const char *actor, const char *channel,
		      const char *verb, struct store_rollout *out)
{
	struct store_rollout ro;
	char detail[RO_DETAIL], action[32];
	const char *to = NULL;
	struct db_res r;
	int rc = -EPX_E_DB_INVALID;

	if (!store_valid_label(channel) || !actor || label_check_str(LABEL_ACTOR, actor) < 0 ||
	    !verb || (strcmp(verb, "pause") && strcmp(verb, "resume") && strcmp(verb, "abort")))
		return rc;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_rollout_one(s, "SELECT " RO_COLS " FROM rollouts WHERE channel = $1"
			       " AND state IN " RO_ACTIVE, A_TEXT(channel), &ro);
	if (rc == 0)
		rc = store_rollout_verb(verb, ro.state, &to);
	if (rc == 0)
		rc = Q(s, "UPDATE rollouts SET state = $2, updated = $3 WHERE id = $1"
		       " AND state = $4", &r, A_INT(ro.id), A_TEXT(to), A_INT(store_now(s)),
		       A_TEXT(ro.state));
	if (rc == 0) {
		rc = r.changes == 1 ? 0 : -EPX_E_RO_STATE;
		db_res_free(&r);
	}
	if (rc == 0) {
		snprintf(action, sizeof(action), "rollout.%s", verb);
		snprintf(detail, sizeof(detail), "rollout=%" PRId64 " version=%" PRIu32
			 " wave=%" PRId64 "/%" PRId64 " was=%s", ro.id, ro.version, ro.wave,
			 ro.waves, ro.state);
		rc = st_audit_locked(s, actor, action, channel, detail);
	}
	rc = st_end(s, rc);
	if (rc == 0 && out)
		rc = store_rollout_get(s, channel, out);
	return rc;
}

/* ------------------------------------------------------------- the tick */

/* Sorts the moved hosts of ro into gone, failed and joined (see store.h). */
static int store_rollout_classify(struct store *s, const struct store_rollout *ro, int64_t now)
{
	int rc = Q(s, "UPDATE rollout_hosts SET state = 'gone', done_at = $2"
		   " WHERE rollout = $1 AND state IN ('waiting', 'moved') AND NOT EXISTS"
		   " (SELECT 1 FROM hosts h WHERE h.name = rollout_hosts.host"
		   " AND h.channel = $3 AND h.pinned = 0)", NULL,
		   A_INT(ro->id), A_INT(now), A_TEXT(ro->channel));

	if (rc == 0)
		rc = Q(s, "UPDATE rollout_hosts SET state = 'failed', done_at = $2"
		       " WHERE rollout = $1 AND state = 'moved' AND EXISTS"
		       " (SELECT 1 FROM hosts h WHERE h.name = rollout_hosts.host"
		       " AND h.state = 'failed') AND EXISTS (SELECT 1 FROM sessions se"
		       " WHERE se.host = rollout_hosts.host AND se.version = $3"
		       " AND se.opened >= rollout_hosts.moved_at)", NULL,
		       A_INT(ro->id), A_INT(now), A_INT(ro->version));
	if (rc == 0)
		rc = Q(s, "UPDATE rollout_hosts SET state = 'joined', done_at = $2"
		       " WHERE rollout = $1 AND state = 'moved' AND EXISTS"
		       " (SELECT 1 FROM hosts h WHERE h.name = rollout_hosts.host"
		       " AND h.state = 'joined') AND EXISTS (SELECT 1 FROM sessions se"
		       " JOIN node_certs nc ON nc.host = se.host WHERE se.host = rollout_hosts.host"
		       " AND se.version = $3 AND se.opened >= rollout_hosts.moved_at"
		       " AND nc.last_seen >= se.opened)", NULL,
		       A_INT(ro->id), A_INT(now), A_INT(ro->version));
	return rc;
}

static int store_rollout_finish(struct store *s, const struct store_rollout *ro,
				const char *state, const char *action, uint64_t *changes)
{
	char detail[RO_DETAIL];
	int rc = Q(s, "UPDATE rollouts SET state = $2 WHERE id = $1 AND state = 'running'",
		   NULL, A_INT(ro->id), A_TEXT(state));

	if (rc == 0 && !strcmp(state, "done"))
		rc = store_channel_set(s, ro->channel, ro->version);
	snprintf(detail, sizeof(detail), "rollout=%" PRId64 " version=%" PRIu32 " from=%"
		 PRIu32 " wave=%" PRId64 "/%" PRId64 " joined=%" PRIu64 " failed=%" PRIu64
		 " max_failures=%" PRIu32 " gone=%" PRIu64, ro->id, ro->version,
		 ro->from_version, ro->wave, ro->waves, ro->joined, ro->failed,
		 ro->spec.max_failures, ro->gone);
	if (rc == 0)
		rc = st_audit_locked(s, "epoxyd", action, ro->channel, detail);
	if (rc == 0)
		(*changes)++;
	return rc;
}

/* The current wave is over: after wait seconds, the next one or the end. */
static int store_rollout_next(struct store *s, struct store_rollout *ro, int64_t now,
			      uint64_t *changes)
{
	int rc = 0;

	if (ro->wave_done == 0) {
		ro->wave_done = now;
		rc = Q(s, "UPDATE rollouts SET wave_done = $2 WHERE id = $1", NULL,
		       A_INT(ro->id), A_INT(now));
	}
	if (rc < 0 || now < ro->wave_done + ro->spec.wait)
		return rc;
	if (ro->wave + 1 >= ro->waves)
		return store_rollout_finish(s, ro, "done", "rollout.done", changes);
	rc = store_rollout_move(s, ro, ro->wave + 1);
	if (rc == 0)
		rc = Q(s, "UPDATE rollouts SET wave = $2, wave_done = 0 WHERE id = $1"
		       " AND wave = $3", NULL, A_INT(ro->id), A_INT(ro->wave + 1),
		       A_INT(ro->wave));
	if (rc == 0)
		(*changes)++;
	return rc;
}

/* One running rollout, in one transaction that starts by taking its row. */
static int store_rollout_step(struct store *s, int64_t id, uint64_t *changes)
{
	struct store_rollout ro;
	int64_t now = store_now(s);
	struct db_res r;
	int rc = st_begin(s);

	if (rc < 0)
		return rc;
	rc = Q(s, "UPDATE rollouts SET updated = $2 WHERE id = $1 AND state = 'running'", &r,
	       A_INT(id), A_INT(now));
	if (rc < 0 || r.changes == 0) {   /* paused, halted or done meanwhile */
		db_res_free(&r);
		return st_end(s, rc);
	}
	db_res_free(&r);
	rc = store_rollout_one(s, "SELECT " RO_COLS " FROM rollouts WHERE id = $1", A_INT(id), &ro);
	if (rc == 0)
		rc = store_rollout_classify(s, &ro, now);
	if (rc == 0)
		rc = store_rollout_counts(s, &ro);
	if (rc == 0 && ro.failed > ro.spec.max_failures)
		rc = store_rollout_finish(s, &ro, "halted", "rollout.halt", changes);
	else if (rc == 0 && ro.wave_left == 0)
		rc = store_rollout_next(s, &ro, now, changes);
	return st_end(s, rc);
}

int store_rollout_tick(struct store *s, uint64_t *changes)
{
	uint64_t dummy = 0;
	struct db_res r;
	size_t i;
	int rc = Q(s, "SELECT id FROM rollouts WHERE state = 'running' ORDER BY id LIMIT $1",
		   &r, A_INT(RO_TICK_MAX));

	if (!changes)
		changes = &dummy;
	*changes = 0;
	if (rc < 0)
		return rc;
	for (i = 0; i < r.nrows && rc == 0; i++)
		rc = store_rollout_step(s, db_int(&r, i, 0), changes);
	db_res_free(&r);
	return rc;
}
