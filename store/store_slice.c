/* store_slice: the SliceDB (issue 14 point 3): slices, their nodes and
 * attribute values, the images they run, and the one resolution of a
 * slice's attributes for a host.
 *
 * Guarantees: every name, number and text is checked against store.h's
 * caps and store_attrs[]'s ranges before it reaches SQL; a change of a
 * slice's nodes or attribute values is one transaction (all or none); the
 * attribute precedence (host over the host's first group that sets it
 * over the slice default over the built-in default) is decided only in
 * store_slice_resolve(); an expired slice is never resolved; grants are
 * edited only through lib/grant.h (checked, canonical) in one
 * transaction. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/grant.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/sliverset.h"
#include "store/store_db.h"

/* the names are the sliver set's (lib/sliverset.h), in its order: a slice
 * attribute travels to the node under the one spelling */
_Static_assert(STORE_ATTR_N == SLIVERSET_NATTR, "store and sliver set attributes differ");
const struct store_attr_def store_attrs[STORE_ATTR_N] = {
	[STORE_ATTR_CPU_SHARE] = { SLIVERSET_A_CPU_SHARE, "weight", 1, 10000, 1 },
	[STORE_ATTR_CPU_PCT] = { SLIVERSET_A_CPU_PCT, "percent", 0, 25600, 0 },
	[STORE_ATTR_MEM_MAX] = { SLIVERSET_A_MEM_MAX, "bytes", 0, (uint64_t)1 << 50, 0 },
	[STORE_ATTR_TASKS_MAX] = { SLIVERSET_A_TASKS_MAX, "tasks", 0, 4194304, 0 },
	[STORE_ATTR_DISK_MAX] = { SLIVERSET_A_DISK_MAX, "bytes", 0, (uint64_t)1 << 50, 0 },
	[STORE_ATTR_NET_MIN_RATE] = { SLIVERSET_A_NET_MIN_RATE, "bit/s", 0, 400000000000ULL, 0 },
	[STORE_ATTR_NET_MAX_RATE] = { SLIVERSET_A_NET_MAX_RATE, "bit/s", 0, 400000000000ULL, 0 },
	[STORE_ATTR_NET_MAX_BYTES_PER_DAY] = { SLIVERSET_A_NET_MAX_BYTES_PER_DAY, "bytes", 0,
					       (uint64_t)1 << 50, 0 },
};

static const char *const store_slice_scopes[] = { "slice", "group", "host" };

int store_attr_parse(const char *name, enum store_attr *out)
{
	size_t i;

	for (i = 0; name && i < STORE_ATTR_N; i++)
		if (!strcmp(name, store_attrs[i].name)) {
			*out = (enum store_attr)i;
			return 0;
		}
	return -EPX_E_SLICE_ATTR;
}

int store_valid_slice(const char *name)
{
	return name && strlen(name) <= STORE_SLICE_NAME_MAX &&
	       label_check_str(LABEL_TAG, name) == 0 && name[0] != '.' &&
	       name[0] != '-' && name[0] != '_';
}

static int store_slice_vref_ok(const char *vref)
{
	return vref && !strncmp(vref, "sha256:", 7) &&
	       hex_check_str(vref + 7, STORE_HASH_HEX) == 0;
}

static int store_slice_entry_ok(const char *entry)
{
	return entry && *entry && *entry != ' ' && st_valid_text(entry, STORE_ENTRY_MAX);
}

/* 1 if one row answers sql with the argument a. */
static int store_slice_exists(struct store *s, const char *sql, const char *a, int *rc)
{
	struct db_res r;
	int found;

	*rc = Q(s, sql, &r, A_TEXT(a));
	found = *rc == 0 && r.nrows > 0;
	db_res_free(&r);
	return found;
}

static int store_slice_count(struct store *s, const char *sql, const char *a, int64_t *n)
{
	struct db_res r;
	int rc = a ? Q(s, sql, &r, A_TEXT(a)) : Q0(s, sql, &r);

	if (rc == 0)
		*n = r.nrows ? db_int(&r, 0, 0) : 0;
	db_res_free(&r);
	return rc;
}

static int store_slice_expiry_ok(struct store *s, int64_t expires)
{
	int64_t now = store_now(s);

	return expires >= now + STORE_SLICE_LIFE_MIN && expires <= now + STORE_SLICE_LIFE_MAX;
}

/* The image vref names must be published. */
static int store_slice_image_ok(struct store *s, const char *vref)
{
	int rc;

	if (!store_slice_vref_ok(vref))
		return -EPX_E_SLICE_IMAGE;
	if (!store_slice_exists(s, "SELECT 1 FROM images WHERE sha256 = $1", vref + 7, &rc))
		return rc ? rc : -EPX_E_SLICE_IMAGE;
	return 0;
}

static int store_slice_add_check(struct store *s, const struct store_slice *sl)
{
	int rc;

	if (!store_valid_slice(sl->name))
		return -EPX_E_SLICE_NAME;
	if (!store_valid_label(sl->site))
		return -EPX_E_SLICE_SITE;
	if (!store_slice_entry_ok(sl->entry))
		return -EPX_E_SLICE_ENTRY;
	if (!store_slice_expiry_ok(s, sl->expires))
		return -EPX_E_SLICE_EXPIRY;
	if (!store_slice_exists(s, "SELECT 1 FROM sites WHERE name = $1", sl->site, &rc))
		return rc ? rc : -EPX_E_SLICE_SITE;
	return store_slice_image_ok(s, sl->vref);
}

int store_slice_add(struct store *s, const struct store_slice *sl)
{
	int64_t n = 0, now = store_now(s);
	int rc = st_begin(s);

	if (rc < 0)
		return rc;
	rc = store_slice_add_check(s, sl);
	if (rc == 0)
		rc = store_slice_count(s, "SELECT COUNT(*) FROM slices", NULL, &n);
	if (rc == 0 && n >= STORE_SLICES_MAX)
		rc = -EPX_E_SLICE_TOOMANY;
	if (rc == 0)
		rc = Q(s, "INSERT INTO slices (name, site, expires, vref, entry, created,"
		       " updated) VALUES ($1, $2, $3, $4, $5, $6, $6)", NULL,
		       A_TEXT(sl->name), A_TEXT(sl->site), A_INT(sl->expires),
		       A_TEXT(sl->vref), A_TEXT(sl->entry), A_INT(now));
	return st_end(s, rc);
}

static const char store_slice_cols[] =
	"SELECT name, site, expires, vref, entry, created, updated,"
	" (SELECT COUNT(*) FROM slice_nodes n WHERE n.slice = s.name AND n.kind = 'host'),"
	" (SELECT COUNT(*) FROM slice_nodes n WHERE n.slice = s.name AND n.kind = 'group'),"
	" (SELECT COUNT(*) FROM slice_attrs a WHERE a.slice = s.name AND a.scope <> 'slice'),"
	" grants FROM slices s";

static void store_slice_row(const struct db_res *r, size_t i, struct store_slice *o)
{
	size_t a;

	memset(o, 0, sizeof(*o));
	st_copy(o->name, sizeof(o->name), db_text(r, i, 0));
	st_copy(o->site, sizeof(o->site), db_text(r, i, 1));
	o->expires = db_int(r, i, 2);
	st_copy(o->vref, sizeof(o->vref), db_text(r, i, 3));
	st_copy(o->entry, sizeof(o->entry), db_text(r, i, 4));
	o->created = db_int(r, i, 5);
	o->updated = db_int(r, i, 6);
	o->n_hosts = (size_t)db_int(r, i, 7);
	o->n_groups = (size_t)db_int(r, i, 8);
	o->n_overrides = (size_t)db_int(r, i, 9);
	st_copy(o->grants, sizeof(o->grants), db_text(r, i, 10));
	for (a = 0; a < STORE_ATTR_N; a++)
		o->attr[a] = store_attrs[a].def;
}

/* The slice defaults (scope 'slice') into o->attr and o->attr_set. */
static int store_slice_defaults(struct store *s, struct store_slice *o)
{
	enum store_attr a;
	struct db_res r;
	size_t i;
	int rc = Q(s, "SELECT attr, value FROM slice_attrs WHERE slice = $1 AND scope = 'slice'",
		   &r, A_TEXT(o->name));

	for (i = 0; rc == 0 && i < r.nrows; i++)
		if (store_attr_parse(db_text(&r, i, 0), &a) == 0) {
			o->attr[a] = (uint64_t)db_int(&r, i, 1);
			o->attr_set |= 1u << a;
		}
	db_res_free(&r);
	return rc;
}

int store_slice_get(struct store *s, const char *name, struct store_slice *out)
{
	char sql[sizeof(store_slice_cols) + 32];
	struct db_res r;
	int rc;

	if (!store_valid_slice(name))
		return -EPX_E_SLICE_NAME;
	snprintf(sql, sizeof(sql), "%s WHERE name = $1", store_slice_cols);
	rc = Q(s, sql, &r, A_TEXT(name));
	if (rc == 0 && r.nrows == 0)
		rc = -EPX_E_SLICE_NOTFOUND;
	if (rc == 0)
		store_slice_row(&r, 0, out);
	db_res_free(&r);
	return rc ? rc : store_slice_defaults(s, out);
}

int store_slice_list(struct store *s, int (*cb)(const struct store_slice *, void *), void *arg)
{
	char sql[sizeof(store_slice_cols) + 32];
	struct store_slice *o = malloc(sizeof(*o));
	struct db_res r;
	size_t i;
	int rc = -ENOMEM;

	if (!o)
		return rc;
	snprintf(sql, sizeof(sql), "%s ORDER BY name LIMIT $1", store_slice_cols);
	rc = Q(s, sql, &r, A_INT(STORE_SLICES_MAX));
	for (i = 0; rc == 0 && i < r.nrows; i++) {
		store_slice_row(&r, i, o);
		rc = store_slice_defaults(s, o);
		if (rc == 0)
			rc = cb(o, arg);
	}
	db_res_free(&r);
	free(o);
	return rc < 0 ? rc : 0;
}

/* Runs one UPDATE of a slice in a transaction; NOTFOUND when no row. */
static int store_slice_touch(struct store *s, const char *name)
{
	struct db_res r;
	int rc = Q(s, "UPDATE slices SET updated = $2 WHERE name = $1", &r,
		   A_TEXT(name), A_INT(store_now(s)));

	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_SLICE_NOTFOUND;
	db_res_free(&r);
	return rc;
}

int store_slice_update(struct store *s, const char *name, const char *vref,
		       const char *entry)
{
	int rc;

	if (!store_valid_slice(name))
		return -EPX_E_SLICE_NAME;
	if (entry && !store_slice_entry_ok(entry))
		return -EPX_E_SLICE_ENTRY;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_slice_touch(s, name);
	if (rc == 0 && vref)
		rc = store_slice_image_ok(s, vref);
	if (rc == 0 && vref)
		rc = Q(s, "UPDATE slices SET vref = $2 WHERE name = $1", NULL,
		       A_TEXT(name), A_TEXT(vref));
	if (rc == 0 && entry)
		rc = Q(s, "UPDATE slices SET entry = $2 WHERE name = $1", NULL,
		       A_TEXT(name), A_TEXT(entry));
	return st_end(s, rc);
}

int store_slice_grant(struct store *s, const char *name, const char *add, const char *del,
		      char *out)
{
	char cur[GRANT_LIST_MAX + 1], next[GRANT_LIST_MAX + 1];
	struct db_res r;
	int rc;

	if (!store_valid_slice(name))
		return -EPX_E_SLICE_NAME;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "SELECT grants FROM slices WHERE name = $1", &r, A_TEXT(name));
	if (rc == 0 && r.nrows == 0)
		rc = -EPX_E_SLICE_NOTFOUND;
	if (rc == 0)
		st_copy(cur, sizeof(cur), db_text(&r, 0, 0));
	db_res_free(&r);
	if (rc == 0)
		rc = grant_list_edit(cur, add, del, next, sizeof(next));
	if (rc == 0)
		rc = store_slice_touch(s, name);
	if (rc == 0)
		rc = Q(s, "UPDATE slices SET grants = $2 WHERE name = $1", NULL, A_TEXT(name),
		       A_TEXT(next));
	if (rc == 0 && out)
		memcpy(out, next, strlen(next) + 1);
	return st_end(s, rc);
}

int store_slice_renew(struct store *s, const char *name, int64_t expires)
{
	int rc;

	if (!store_valid_slice(name))
		return -EPX_E_SLICE_NAME;
	if (!store_slice_expiry_ok(s, expires))
		return -EPX_E_SLICE_EXPIRY;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_slice_touch(s, name);
	if (rc == 0)
		rc = Q(s, "UPDATE slices SET expires = $2 WHERE name = $1", NULL,
		       A_TEXT(name), A_INT(expires));
	return st_end(s, rc);
}

int store_slice_delete(struct store *s, const char *name)
{
	struct db_res r;
	int rc;

	if (!store_valid_slice(name))
		return -EPX_E_SLICE_NAME;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = Q(s, "DELETE FROM slices WHERE name = $1", &r, A_TEXT(name));
	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_SLICE_NOTFOUND;
	db_res_free(&r);
	if (rc == 0)
		rc = Q(s, "DELETE FROM slice_nodes WHERE slice = $1", NULL, A_TEXT(name));
	if (rc == 0)
		rc = Q(s, "DELETE FROM slice_attrs WHERE slice = $1", NULL, A_TEXT(name));
	return st_end(s, rc);
}

/* ------------------------------------------------------------- nodes */

/* Adds or removes one node (kind "host" or "group") inside a transaction. */
static int store_slice_node1(struct store *s, const char *name, int add,
			     const char *kind, const char *node)
{
	struct db_res r;
	int rc;

	if (!strcmp(kind, "host") ? !store_valid_hostname(node) : !store_valid_label(node))
		return -EPX_E_SLICE_NODE;
	if (add && !strcmp(kind, "host") &&
	    !store_slice_exists(s, "SELECT 1 FROM hosts WHERE name = $1", node, &rc))
		return rc ? rc : -EPX_E_SLICE_NODE;
	if (add) {
		rc = Q(s, "INSERT INTO slice_nodes (slice, kind, node) VALUES ($1, $2, $3)",
		       NULL, A_TEXT(name), A_TEXT(kind), A_TEXT(node));
		return rc == -EPX_E_DB_EXISTS ? -EPX_E_SLICE_NODE : rc;
	}
	rc = Q(s, "DELETE FROM slice_nodes WHERE slice = $1 AND kind = $2 AND node = $3",
	       &r, A_TEXT(name), A_TEXT(kind), A_TEXT(node));
	if (rc == 0 && r.changes == 0)
		rc = -EPX_E_SLICE_NODE;
	db_res_free(&r);
	if (rc == 0)
		rc = Q(s, "DELETE FROM slice_attrs WHERE slice = $1 AND scope = $2"
		       " AND target = $3", NULL, A_TEXT(name), A_TEXT(kind), A_TEXT(node));
	return rc;
}

int store_slice_nodes(struct store *s, const char *name, int add,
		      const char *const *hosts, size_t n_hosts,
		      const char *const *groups, size_t n_groups)
{
	int64_t n = 0;
	size_t i;
	int rc;

	if (!store_valid_slice(name))
		return -EPX_E_SLICE_NAME;
	if (n_hosts > STORE_SLICE_NODES_MAX || n_groups > STORE_SLICE_NODES_MAX - n_hosts)
		return -EPX_E_SLICE_TOOMANY;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_slice_touch(s, name);
	for (i = 0; rc == 0 && i < n_hosts; i++)
		rc = store_slice_node1(s, name, add, "host", hosts[i]);
	for (i = 0; rc == 0 && i < n_groups; i++)
		rc = store_slice_node1(s, name, add, "group", groups[i]);
	if (rc == 0)
		rc = store_slice_count(s, "SELECT COUNT(*) FROM slice_nodes WHERE slice = $1",
				       name, &n);
	if (rc == 0 && n > STORE_SLICE_NODES_MAX)
		rc = -EPX_E_SLICE_TOOMANY;
	return st_end(s, rc);
}

/* -------------------------------------------------------- attributes */

static int store_slice_attr1(struct store *s, const char *name, const char *scope,
			     const char *target, const struct store_attr_change *c)
{
	const char *an = store_attrs[c->attr].name;

	if (c->unset)
		return Q(s, "DELETE FROM slice_attrs WHERE slice = $1 AND scope = $2"
			 " AND target = $3 AND attr = $4", NULL, A_TEXT(name),
			 A_TEXT(scope), A_TEXT(target), A_TEXT(an));
	return Q(s, "INSERT INTO slice_attrs (slice, scope, target, attr, value)"
		 " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slice, scope, target, attr)"
		 " DO UPDATE SET value = excluded.value", NULL, A_TEXT(name),
		 A_TEXT(scope), A_TEXT(target), A_TEXT(an), A_INT(c->value));
}

static int store_slice_attrs_check(struct store *s, enum store_scope scope,
				   const char *target, const struct store_attr_change *ch,
				   size_t n)
{
	size_t i;
	int rc = 0;

	if (n == 0 || n > STORE_ATTR_N)
		return -EPX_E_SLICE_ATTR;
	for (i = 0; i < n; i++) {
		if ((unsigned)ch[i].attr >= STORE_ATTR_N)
			return -EPX_E_SLICE_ATTR;
		if (!ch[i].unset && (ch[i].value < store_attrs[ch[i].attr].min ||
				     ch[i].value > store_attrs[ch[i].attr].max))
			return -EPX_E_SLICE_RANGE;
	}
	if (scope == STORE_SCOPE_SLICE)
		return *target ? -EPX_E_SLICE_NODE : 0;
	if (scope == STORE_SCOPE_GROUP)
		return store_valid_label(target) ? 0 : -EPX_E_SLICE_NODE;
	if (scope != STORE_SCOPE_HOST || !store_valid_hostname(target))
		return -EPX_E_SLICE_NODE;
	if (!store_slice_exists(s, "SELECT 1 FROM hosts WHERE name = $1", target, &rc))
		return rc ? rc : -EPX_E_SLICE_NODE;
	return 0;
}

int store_slice_attrs(struct store *s, const char *name, enum store_scope scope,
		      const char *target, const struct store_attr_change *ch, size_t n)
{
	int64_t rows = 0;
	size_t i;
	int rc;

	if (!store_valid_slice(name))
		return -EPX_E_SLICE_NAME;
	if (!target)
		return -EPX_E_SLICE_NODE;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_slice_touch(s, name);
	if (rc == 0)
		rc = store_slice_attrs_check(s, scope, target, ch, n);
	for (i = 0; rc == 0 && i < n; i++)
		rc = store_slice_attr1(s, name, store_slice_scopes[scope], target, &ch[i]);
	if (rc == 0)
		rc = store_slice_count(s, "SELECT COUNT(*) FROM slice_attrs WHERE slice = $1",
				       name, &rows);
	if (rc == 0 && rows > STORE_SLICE_ATTRS_MAX)
		rc = -EPX_E_SLICE_TOOMANY;
	return st_end(s, rc);
}

int store_slice_rows(struct store *s, const char *name, int attr_rows,
		     int (*cb)(const struct store_slice_row *, void *), void *arg)
{
	struct store_slice_row o;
	struct db_res r;
	size_t i;
	int rc;

	if (!store_valid_slice(name))
		return -EPX_E_SLICE_NAME;
	rc = attr_rows ?
		Q(s, "SELECT scope, target, attr, value FROM slice_attrs WHERE slice = $1"
		  " AND scope <> 'slice' ORDER BY scope DESC, target, attr LIMIT $2", &r,
		  A_TEXT(name), A_INT(STORE_SLICE_ATTRS_MAX)) :
		Q(s, "SELECT kind, node, '', 0 FROM slice_nodes WHERE slice = $1"
		  " ORDER BY kind DESC, node LIMIT $2", &r, A_TEXT(name),
		  A_INT(STORE_SLICE_NODES_MAX));
	for (i = 0; rc == 0 && i < r.nrows; i++) {
		memset(&o, 0, sizeof(o));
		o.scope = !strcmp(db_text(&r, i, 0), "host") ? STORE_SCOPE_HOST : STORE_SCOPE_GROUP;
		st_copy(o.target, sizeof(o.target), db_text(&r, i, 1));
		if (attr_rows && store_attr_parse(db_text(&r, i, 2), &o.attr))
			continue;
		o.value = (uint64_t)db_int(&r, i, 3);
		rc = cb(&o, arg);
	}
	db_res_free(&r);
	return rc < 0 ? rc : 0;
}

/* -------------------------------------------------------- resolution */

/* THE precedence rule: for each attribute, the host's own value, else the
 * first of the host's groups (in h's order) with a value, else the slice
 * default, else the built-in default.  rows: (scope, target, attr, value)
 * of slice_attrs for one slice. */
static void store_slice_resolve(const struct db_res *rows, const struct store_host *h,
				uint64_t attr[STORE_ATTR_N])
{
	size_t rank[STORE_ATTR_N], i, g;
	enum store_attr a;

	for (i = 0; i < STORE_ATTR_N; i++) {
		attr[i] = store_attrs[i].def;
		rank[i] = SIZE_MAX;             /* lower is stronger */
	}
	for (i = 0; i < rows->nrows; i++) {
		const char *scope = db_text(rows, i, 0), *target = db_text(rows, i, 1);
		size_t r = SIZE_MAX - 1;

		if (store_attr_parse(db_text(rows, i, 2), &a))
			continue;
		if (!strcmp(scope, "host")) {
			if (strcmp(target, h->name))
				continue;
			r = 0;
		} else if (!strcmp(scope, "group")) {
			for (g = 0; g < h->n_groups && strcmp(target, h->groups[g]); g++)
				;
			if (g == h->n_groups)
				continue;
			r = 1 + g;
		}
		if (r < rank[a]) {
			rank[a] = r;
			attr[a] = (uint64_t)db_int(rows, i, 3);
		}
	}
}

/* Live slices of host h (by name, or the one named only), with their
 * fields in columns 0-4. */
static int store_slice_live(struct store *s, const struct store_host *h,
			       const char *only, struct db_res *r)
{
	const char *g[STORE_GROUPS_MAX];
	size_t i;

	for (i = 0; i < STORE_GROUPS_MAX; i++)
		g[i] = i < h->n_groups ? h->groups[i] : "";
	return Q(s, "SELECT s.name, s.site, s.expires, s.vref, s.entry, s.grants FROM slices s"
		 " WHERE s.expires > $1 AND ($12 = '' OR s.name = $12) AND EXISTS"
		 " (SELECT 1 FROM slice_nodes n WHERE n.slice = s.name AND"
		 " ((n.kind = 'host' AND n.node = $2) OR (n.kind = 'group' AND n.node IN"
		 " ($3, $4, $5, $6, $7, $8, $9, $10))))"
		 " ORDER BY s.name LIMIT $11", r, A_INT(store_now(s)), A_TEXT(h->name),
		 A_TEXT(g[0]), A_TEXT(g[1]), A_TEXT(g[2]), A_TEXT(g[3]), A_TEXT(g[4]),
		 A_TEXT(g[5]), A_TEXT(g[6]), A_TEXT(g[7]), A_INT(STORE_SLIVERS_MAX + 1),
		 A_TEXT(only ? only : ""));
}

static int store_slice_fill(struct store *s, const struct db_res *sl, size_t i,
			     const struct store_host *h, struct store_sliver *o)
{
	struct db_res r;
	int rc;

	memset(o, 0, sizeof(*o));
	st_copy(o->slice, sizeof(o->slice), db_text(sl, i, 0));
	st_copy(o->site, sizeof(o->site), db_text(sl, i, 1));
	o->expires = db_int(sl, i, 2);
	st_copy(o->vref, sizeof(o->vref), db_text(sl, i, 3));
	st_copy(o->entry, sizeof(o->entry), db_text(sl, i, 4));
	st_copy(o->grants, sizeof(o->grants), db_text(sl, i, 5));
	rc = Q(s, "SELECT scope, target, attr, value FROM slice_attrs WHERE slice = $1"
	       " LIMIT $2", &r, A_TEXT(o->slice), A_INT(STORE_SLICE_ATTRS_MAX));
	if (rc == 0)
		store_slice_resolve(&r, h, o->attr);
	db_res_free(&r);
	return rc;
}

static int store_slice_each(struct store *s, const char *host, const char *only,
			     int (*cb)(const struct store_sliver *, void *), void *arg)
{
	struct store_host *h = malloc(sizeof(*h));
	struct store_sliver *o = malloc(sizeof(*o));
	struct db_res r;
	size_t i;
	int rc = -ENOMEM;

	memset(&r, 0, sizeof(r));
	if (!h || !o)
		goto out;
	rc = store_host_get(s, host, h);
	if (rc == -EPX_E_DB_NOTFOUND || rc == -EPX_E_DB_INVALID)
		rc = -EPX_E_SLICE_NOTFOUND;
	if (rc == 0)
		rc = store_slice_live(s, h, only, &r);
	if (rc == 0 && r.nrows > STORE_SLIVERS_MAX)
		rc = -EPX_E_SLICE_TOOMANY;
	if (rc == 0 && only && r.nrows == 0)
		rc = -EPX_E_SLICE_NOTFOUND;
	for (i = 0; rc == 0 && i < r.nrows; i++) {
		rc = store_slice_fill(s, &r, i, h, o);
		if (rc == 0)
			rc = cb(o, arg);
	}
out:
	db_res_free(&r);
	free(h);
	free(o);
	return rc < 0 ? rc : 0;
}

static int store_slice_copy1(const struct store_sliver *v, void *arg)
{
	memcpy(arg, v, sizeof(*v));
	return 1;
}

int store_sliver_get(struct store *s, const char *slice, const char *host,
		     struct store_sliver *out)
{
	if (!store_valid_slice(slice))
		return -EPX_E_SLICE_NAME;
	return store_slice_each(s, host, slice, store_slice_copy1, out);
}

int store_sliver_list(struct store *s, const char *host,
		      int (*cb)(const struct store_sliver *, void *), void *arg)
{
	return store_slice_each(s, host, NULL, cb, arg);
}

int store_sliver_serial(struct store *s, const char *host, const char *digest_hex,
			uint64_t *serial)
{
	int64_t now = store_now(s);
	struct db_res r;
	int rc, tries;

	if (!store_valid_hostname(host) || hex_check_str(digest_hex, STORE_HASH_HEX) < 0)
		return -EPX_E_DB_INVALID;
	for (tries = 0; tries < 2; tries++) {
		rc = Q(s, "UPDATE sliver_serials SET serial = serial + 1, digest = $2, updated = $3"
		       " WHERE host = $1 AND digest <> $2", NULL, A_TEXT(host),
		       A_TEXT(digest_hex), A_INT(now));
		if (rc == 0)
			rc = Q(s, "SELECT serial FROM sliver_serials WHERE host = $1", &r,
			       A_TEXT(host));
		if (rc == 0 && r.nrows == 1) {
			*serial = (uint64_t)db_int(&r, 0, 0);
			db_res_free(&r);
			return 0;
		}
		db_res_free(&r);
		if (rc == 0)    /* a first set: a race with another epoxyd is fine */
			rc = Q(s, "INSERT INTO sliver_serials (host, serial, digest, updated)"
			       " VALUES ($1, 1, $2, $3) ON CONFLICT (host) DO NOTHING", NULL,
			       A_TEXT(host), A_TEXT(digest_hex), A_INT(now));
		if (rc)
			return rc;
	}
	return -EPX_E_DB_QUERY;
}

/* ------------------------------------------------------------ images */

int store_image_add(struct store *s, const struct store_image *im)
{
	int64_t n = 0;
	int rc;

	if (hex_check_str(im->sha256, STORE_HASH_HEX) < 0 || !store_valid_label(im->name) ||
	    im->length == 0 || im->length > STORE_IMAGE_MAX ||
	    label_check_str(LABEL_ACTOR, im->actor) < 0)
		return -EPX_E_DB_INVALID;
	rc = st_begin(s);
	if (rc < 0)
		return rc;
	rc = store_slice_count(s, "SELECT COUNT(*) FROM images", NULL, &n);
	if (rc == 0 && n >= STORE_IMAGES_MAX)
		rc = -EPX_E_SLICE_TOOMANY;
	if (rc == 0)
		rc = Q(s, "INSERT INTO images (sha256, name, length, published, actor)"
		       " VALUES ($1, $2, $3, $4, $5)", NULL, A_TEXT(im->sha256),
		       A_TEXT(im->name), A_INT(im->length), A_INT(store_now(s)),
		       A_TEXT(im->actor));
	return st_end(s, rc);
}

static void store_slice_image_row(const struct db_res *r, size_t i, struct store_image *o)
{
	memset(o, 0, sizeof(*o));
	st_copy(o->sha256, sizeof(o->sha256), db_text(r, i, 0));
	st_copy(o->name, sizeof(o->name), db_text(r, i, 1));
	o->length = (uint64_t)db_int(r, i, 2);
	o->published = db_int(r, i, 3);
	st_copy(o->actor, sizeof(o->actor), db_text(r, i, 4));
}

int store_image_get(struct store *s, const char *sha256_hex, struct store_image *out)
{
	struct db_res r;
	int rc;

	if (hex_check_str(sha256_hex, STORE_HASH_HEX) < 0)
		return -EPX_E_DB_INVALID;
	rc = Q(s, "SELECT sha256, name, length, published, actor FROM images"
	       " WHERE sha256 = $1", &r, A_TEXT(sha256_hex));
	if (rc == 0 && r.nrows == 0)
		rc = -EPX_E_DB_NOTFOUND;
	if (rc == 0)
		store_slice_image_row(&r, 0, out);
	db_res_free(&r);
	return rc;
}

int store_image_list(struct store *s, int (*cb)(const struct store_image *, void *), void *arg)
{
	struct store_image o;
	struct db_res r;
	size_t i;
	int rc = Q(s, "SELECT sha256, name, length, published, actor FROM images"
		   " ORDER BY published, sha256 LIMIT $1", &r, A_INT(STORE_IMAGES_MAX));

	for (i = 0; rc == 0 && i < r.nrows; i++) {
		store_slice_image_row(&r, i, &o);
		rc = cb(&o, arg);
	}
	db_res_free(&r);
	return rc < 0 ? rc : 0;
}
