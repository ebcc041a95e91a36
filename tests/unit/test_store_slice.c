/* test_store_slice: the SliceDB's table tests (issue 14 point 3), linked
 * into test_store so that they run on SQLite and, under t_store_pg, on a
 * real PostgreSQL: the attribute precedence table (host over the host's
 * first group over the slice default over the built-in default), slice
 * expiry without operator action, and hostile input (names, ranges,
 * unknown attributes, unknown nodes, caps), each refused with its code
 * and changing nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "store/store.h"
#include "tests/test.h"

void test_store_slices(struct store *s, int64_t *now);

#define SL_IMG "4f0c00000000000000000000000000000000000000000000000000000000e1e1"
#define SL_VREF "sha256:" SL_IMG

static void sl_host(struct store *s, const char *name, const char *const *groups)
{
	struct store_host h;

	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.hwclass, sizeof(h.hwclass), "qemu");
	snprintf(h.channel, sizeof(h.channel), "stable");
	for (; groups && *groups && h.n_groups < STORE_GROUPS_MAX; groups++)
		snprintf(h.groups[h.n_groups++], sizeof(h.groups[0]), "%s", *groups);
	if (store_host_add(s, &h) && store_host_update(s, &h))
		ok(0, "slice: host %s set up", name);
}

static int sl_new(struct store *s, const char *name, int64_t now)
{
	struct store_slice sl;

	memset(&sl, 0, sizeof(sl));
	snprintf(sl.name, sizeof(sl.name), "%s", name);
	snprintf(sl.site, sizeof(sl.site), "slsite");
	snprintf(sl.vref, sizeof(sl.vref), "%s", SL_VREF);
	snprintf(sl.entry, sizeof(sl.entry), "/bin/sh -c 'sleep 1000'");
	sl.expires = now + 86400;
	return store_slice_add(s, &sl);
}

/* ---------------------------------------------------- the precedence table */
struct sl_set { enum store_scope scope; const char *target; uint64_t v; };
static const struct {
	const char *name;
	const char *groups[3];      /* the host's groups, in the host's order */
	int via_group;              /* host is a node of the slice through g1 only */
	struct sl_set set[4];       /* values of mem_max (end: target NULL) */
	uint64_t want;
} sl_prec[] = {
	{ "nothing set: built-in default", { "g1" }, 0, { { 0 } }, 0 },
	{ "slice default", { "g1" }, 0,
	  { { STORE_SCOPE_SLICE, "", 100 } }, 100 },
	{ "group over slice default", { "g1" }, 0,
	  { { STORE_SCOPE_SLICE, "", 100 }, { STORE_SCOPE_GROUP, "g1", 200 } }, 200 },
	{ "host over group over slice", { "g1" }, 0,
	  { { STORE_SCOPE_SLICE, "", 100 }, { STORE_SCOPE_GROUP, "g1", 200 },
	    { STORE_SCOPE_HOST, "prec-h", 300 } }, 300 },
	{ "host over slice, no group value", { "g1" }, 0,
	  { { STORE_SCOPE_HOST, "prec-h", 300 }, { STORE_SCOPE_SLICE, "", 100 } }, 300 },
	{ "host value alone", { NULL }, 0, { { STORE_SCOPE_HOST, "prec-h", 7 } }, 7 },
	{ "two groups: the host's first (g2) wins", { "g2", "g1" }, 0,
	  { { STORE_SCOPE_GROUP, "g1", 5 }, { STORE_SCOPE_GROUP, "g2", 9 } }, 9 },
	{ "two groups: the host's first (g1) wins", { "g1", "g2" }, 0,
	  { { STORE_SCOPE_GROUP, "g1", 5 }, { STORE_SCOPE_GROUP, "g2", 9 } }, 5 },
	{ "a group the host is not in: slice default", { "g1" }, 0,
	  { { STORE_SCOPE_SLICE, "", 100 }, { STORE_SCOPE_GROUP, "g9", 200 } }, 100 },
	{ "another host's value: group", { "g1" }, 0,
	  { { STORE_SCOPE_GROUP, "g1", 200 }, { STORE_SCOPE_HOST, "prec-o", 300 } }, 200 },
	{ "member through its group: group value", { "g1" }, 1,
	  { { STORE_SCOPE_SLICE, "", 100 }, { STORE_SCOPE_GROUP, "g1", 200 } }, 200 },
	{ "member through its group: host value", { "g1" }, 1,
	  { { STORE_SCOPE_GROUP, "g1", 200 }, { STORE_SCOPE_HOST, "prec-h", 1 } }, 1 },
	{ "value 0 (no limit) at host beats group", { "g1" }, 0,
	  { { STORE_SCOPE_GROUP, "g1", 200 }, { STORE_SCOPE_HOST, "prec-h", 0 } }, 0 },
};

static void sl_precedence(struct store *s, int64_t now)
{
	static const char *const other[] = { "g1", NULL };
	struct store_sliver v;
	size_t i, j;

	sl_host(s, "prec-o", other);
	for (i = 0; i < sizeof(sl_prec) / sizeof(sl_prec[0]); i++) {
		const char *hosts[] = { "prec-h" }, *groups[] = { "g1" };
		struct store_attr_change c = { STORE_ATTR_MEM_MAX, 0, 0 };
		int rc;

		store_host_delete(s, "prec-h");
		sl_host(s, "prec-h", sl_prec[i].groups);
		store_slice_delete(s, "prec");
		rc = sl_new(s, "prec", now);
		if (rc == 0)
			rc = sl_prec[i].via_group ?
				store_slice_nodes(s, "prec", 1, NULL, 0, groups, 1) :
				store_slice_nodes(s, "prec", 1, hosts, 1, NULL, 0);
		for (j = 0; rc == 0 && sl_prec[i].set[j].target; j++) {
			c.value = sl_prec[i].set[j].v;
			rc = store_slice_attrs(s, "prec", sl_prec[i].set[j].scope,
					       sl_prec[i].set[j].target, &c, 1);
		}
		if (rc == 0)
			rc = store_sliver_get(s, "prec", "prec-h", &v);
		ok(rc == 0 && v.attr[STORE_ATTR_MEM_MAX] == sl_prec[i].want &&
		   v.attr[STORE_ATTR_CPU_SHARE] == 1,
		   "slice precedence: %s: mem_max %llu want %llu (rc %d)", sl_prec[i].name,
		   rc ? 0ULL : (unsigned long long)v.attr[STORE_ATTR_MEM_MAX],
		   (unsigned long long)sl_prec[i].want, rc);
	}
	store_slice_delete(s, "prec");
}

/* -------------------------------------------------- hostile input tables */
static void sl_names(struct store *s, int64_t now)
{
	static const struct { const char *name; int want; } t[] = {
		{ "", -EPX_E_SLICE_NAME }, { "Abc", -EPX_E_SLICE_NAME },
		{ ".hidden", -EPX_E_SLICE_NAME }, { "-dash", -EPX_E_SLICE_NAME },
		{ "_under", -EPX_E_SLICE_NAME }, { "a b", -EPX_E_SLICE_NAME },
		{ "a/b", -EPX_E_SLICE_NAME }, { "..", -EPX_E_SLICE_NAME },
		{ "a\n", -EPX_E_SLICE_NAME }, { "\xc3\xa9t\xc3\xa9", -EPX_E_SLICE_NAME },
		{ "abcdefghijabcdefghijabcdefghijabc", -EPX_E_SLICE_NAME },
		{ "abcdefghijabcdefghijabcdefghijab", 0 },
		{ "mlab_ndt", 0 }, { "a.b-c_d9", 0 }, { "0", 0 },
	};
	struct store_slice sl;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		/* a name over the cap does not fit the struct: ask by pointer */
		int rc = strlen(t[i].name) > STORE_SLICE_NAME_MAX ?
			store_slice_renew(s, t[i].name, now + 3600) : sl_new(s, t[i].name, now);

		ok(rc == t[i].want, "slice name #%zu: %d want %d", i, rc, t[i].want);
		ok(t[i].want ? store_slice_get(s, t[i].name, &sl) == -EPX_E_SLICE_NAME :
		   store_slice_get(s, t[i].name, &sl) == 0, "slice name #%zu: stored iff valid", i);
		if (rc == 0)
			store_slice_delete(s, t[i].name);
	}
}

static void sl_fields(struct store *s, int64_t now)
{
	static char longentry[STORE_ENTRY_MAX + 2];
	static const struct {
		const char *what, *site, *vref, *entry;
		int64_t life;
		int want;
	} t[] = {
		{ "ok", "slsite", SL_VREF, "/x", 3600, 0 },
		{ "unknown site", "nosite", SL_VREF, "/x", 3600, -EPX_E_SLICE_SITE },
		{ "bad site label", "No Site", SL_VREF, "/x", 3600, -EPX_E_SLICE_SITE },
		{ "vref without prefix", "slsite", SL_IMG, "/x", 3600, -EPX_E_SLICE_IMAGE },
		{ "vref uppercase", "slsite", "sha256:4F0C00000000000000000000000000000000000000000000000000000000E1E1",
		  "/x", 3600, -EPX_E_SLICE_IMAGE },
		{ "vref short", "slsite", "sha256:4f0c", "/x", 3600, -EPX_E_SLICE_IMAGE },
		{ "vref not published", "slsite",
		  "sha256:0000000000000000000000000000000000000000000000000000000000000000",
		  "/x", 3600, -EPX_E_SLICE_IMAGE },
		{ "empty entry", "slsite", SL_VREF, "", 3600, -EPX_E_SLICE_ENTRY },
		{ "entry leading space", "slsite", SL_VREF, " /x", 3600, -EPX_E_SLICE_ENTRY },
		{ "entry control byte", "slsite", SL_VREF, "/x\n/y", 3600, -EPX_E_SLICE_ENTRY },
		{ "expires now", "slsite", SL_VREF, "/x", 0, -EPX_E_SLICE_EXPIRY },
		{ "expires in the past", "slsite", SL_VREF, "/x", -10, -EPX_E_SLICE_EXPIRY },
		{ "expires in 59 s", "slsite", SL_VREF, "/x", 59, -EPX_E_SLICE_EXPIRY },
		{ "expires in 60 s", "slsite", SL_VREF, "/x", 60, 0 },
		{ "expires in 56 days", "slsite", SL_VREF, "/x", STORE_SLICE_LIFE_MAX, 0 },
		{ "expires in 56 days + 1 s", "slsite", SL_VREF, "/x", STORE_SLICE_LIFE_MAX + 1,
		  -EPX_E_SLICE_EXPIRY },
	};
	struct store_slice sl;
	size_t i;

	memset(longentry, 'x', sizeof(longentry) - 1);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc;

		memset(&sl, 0, sizeof(sl));
		snprintf(sl.name, sizeof(sl.name), "fields");
		snprintf(sl.site, sizeof(sl.site), "%s", t[i].site);
		snprintf(sl.vref, sizeof(sl.vref), "%s", t[i].vref);
		snprintf(sl.entry, sizeof(sl.entry), "%s", t[i].entry);
		sl.expires = now + t[i].life;
		rc = store_slice_add(s, &sl);
		ok(rc == t[i].want, "slice add: %s: %d want %d", t[i].what, rc, t[i].want);
		ok(t[i].want == 0 || store_slice_get(s, "fields", &sl) == -EPX_E_SLICE_NOTFOUND,
		   "slice add: %s: nothing stored", t[i].what);
		store_slice_delete(s, "fields");
	}
	ok(sl_new(s, "dup", now) == 0 && sl_new(s, "dup", now) == -EPX_E_DB_EXISTS,
	   "slice add: the same name twice");
	ok(store_slice_update(s, "dup", NULL, longentry) == -EPX_E_SLICE_ENTRY,
	   "slice update: entry over STORE_ENTRY_MAX");
	longentry[STORE_ENTRY_MAX] = '\0';
	ok(store_slice_update(s, "dup", NULL, longentry) == 0 &&
	   store_slice_get(s, "dup", &sl) == 0 && strlen(sl.entry) == STORE_ENTRY_MAX,
	   "slice update: entry of exactly STORE_ENTRY_MAX");
	ok(store_slice_update(s, "dup", "sha256:00", NULL) == -EPX_E_SLICE_IMAGE &&
	   store_slice_get(s, "dup", &sl) == 0 && !strcmp(sl.vref, SL_VREF),
	   "slice update: a malformed vref changes nothing");
	store_slice_delete(s, "dup");
}

static void sl_attrs(struct store *s, int64_t now)
{
	static const struct {
		const char *what;
		enum store_scope scope;
		const char *target;
		int attr;
		uint64_t v;
		int want;
	} t[] = {
		{ "cpu_share 1", STORE_SCOPE_SLICE, "", STORE_ATTR_CPU_SHARE, 1, 0 },
		{ "cpu_share 0", STORE_SCOPE_SLICE, "", STORE_ATTR_CPU_SHARE, 0, -EPX_E_SLICE_RANGE },
		{ "cpu_share 10000", STORE_SCOPE_SLICE, "", STORE_ATTR_CPU_SHARE, 10000, 0 },
		{ "cpu_share 10001", STORE_SCOPE_SLICE, "", STORE_ATTR_CPU_SHARE, 10001, -EPX_E_SLICE_RANGE },
		{ "cpu_pct 25601", STORE_SCOPE_SLICE, "", STORE_ATTR_CPU_PCT, 25601, -EPX_E_SLICE_RANGE },
		{ "tasks_max 4194305", STORE_SCOPE_GROUP, "g1", STORE_ATTR_TASKS_MAX, 4194305, -EPX_E_SLICE_RANGE },
		{ "mem_max 2^50+1", STORE_SCOPE_HOST, "attr-h", STORE_ATTR_MEM_MAX,
		  ((uint64_t)1 << 50) + 1, -EPX_E_SLICE_RANGE },
		{ "mem_max UINT64_MAX", STORE_SCOPE_HOST, "attr-h", STORE_ATTR_MEM_MAX, UINT64_MAX,
		  -EPX_E_SLICE_RANGE },
		{ "net_max_rate 400 Gbit/s", STORE_SCOPE_SLICE, "", STORE_ATTR_NET_MAX_RATE,
		  400000000000ULL, 0 },
		{ "net_max_rate over", STORE_SCOPE_SLICE, "", STORE_ATTR_NET_MAX_RATE,
		  400000000001ULL, -EPX_E_SLICE_RANGE },
		{ "unknown attribute index", STORE_SCOPE_SLICE, "", STORE_ATTR_N, 1, -EPX_E_SLICE_ATTR },
		{ "negative attribute index", STORE_SCOPE_SLICE, "", -1, 1, -EPX_E_SLICE_ATTR },
		{ "unknown host", STORE_SCOPE_HOST, "nohost", STORE_ATTR_MEM_MAX, 1, -EPX_E_SLICE_NODE },
		{ "bad group label", STORE_SCOPE_GROUP, "G 1", STORE_ATTR_MEM_MAX, 1, -EPX_E_SLICE_NODE },
		{ "slice scope with a target", STORE_SCOPE_SLICE, "x", STORE_ATTR_MEM_MAX, 1,
		  -EPX_E_SLICE_NODE },
		{ "unknown scope", (enum store_scope)7, "x", STORE_ATTR_MEM_MAX, 1, -EPX_E_SLICE_NODE },
	};
	static const char *const attrnames[][2] = {
		{ "cpu_share", "0" }, { "net_max_bytes_per_day", "0" }, { "cpu_shares", "x" },
		{ "CPU_SHARE", "x" }, { "", "x" }, { "mem_max ", "x" },
	};
	enum store_attr a;
	struct store_slice sl;
	size_t i;

	sl_host(s, "attr-h", NULL);
	ok(sl_new(s, "attrs", now) == 0, "slice attrs: set up");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct store_attr_change c = { (enum store_attr)t[i].attr, t[i].v, 0 };
		int rc = store_slice_attrs(s, "attrs", t[i].scope, t[i].target, &c, 1);

		ok(rc == t[i].want, "slice attr %s: %d want %d", t[i].what, rc, t[i].want);
	}
	ok(store_slice_get(s, "attrs", &sl) == 0 && sl.attr[STORE_ATTR_CPU_SHARE] == 10000 &&
	   sl.attr[STORE_ATTR_CPU_PCT] == 0 && sl.n_overrides == 0,
	   "slice attrs: only the valid values stored");
	{
		struct store_attr_change c[2] = { { STORE_ATTR_CPU_PCT, 50, 0 },
						  { STORE_ATTR_CPU_SHARE, 0, 0 } };

		ok(store_slice_attrs(s, "attrs", STORE_SCOPE_SLICE, "", c, 2) == -EPX_E_SLICE_RANGE &&
		   store_slice_get(s, "attrs", &sl) == 0 && sl.attr[STORE_ATTR_CPU_PCT] == 0,
		   "slice attrs: one bad value of two: none stored");
		c[1].unset = 1;
		ok(store_slice_attrs(s, "attrs", STORE_SCOPE_SLICE, "", c, 2) == 0 &&
		   store_slice_get(s, "attrs", &sl) == 0 && sl.attr[STORE_ATTR_CPU_PCT] == 50 &&
		   sl.attr[STORE_ATTR_CPU_SHARE] == 1 && !(sl.attr_set & (1u << STORE_ATTR_CPU_SHARE)),
		   "slice attrs: unset falls back to the built-in default");
	}
	for (i = 0; i < sizeof(attrnames) / sizeof(attrnames[0]); i++)
		ok((store_attr_parse(attrnames[i][0], &a) == 0) == (attrnames[i][1][0] == '0'),
		   "slice attr name '%s'", attrnames[i][0]);
	ok(store_slice_attrs(s, "noslice", STORE_SCOPE_SLICE, "",
			     &(struct store_attr_change){ STORE_ATTR_CPU_PCT, 1, 0 }, 1) ==
	   -EPX_E_SLICE_NOTFOUND, "slice attrs: unknown slice");
	store_slice_delete(s, "attrs");
}

static void sl_nodes(struct store *s, int64_t now)
{
	const char *good[] = { "node-a", "node-b" }, *bad[] = { "node-a", "nohost" };
	const char *badname[] = { "Node" }, *grp[] = { "g1" }, *badgrp[] = { "g 1" };
	struct store_sliver v;
	struct store_slice sl;

	sl_host(s, "node-a", NULL);
	sl_host(s, "node-b", NULL);
	ok(sl_new(s, "nodes", now) == 0, "slice nodes: set up");
	ok(store_slice_nodes(s, "nodes", 1, bad, 2, NULL, 0) == -EPX_E_SLICE_NODE &&
	   store_sliver_get(s, "nodes", "node-a", &v) == -EPX_E_SLICE_NOTFOUND,
	   "slice nodes: an unknown host refuses the whole change");
	ok(store_slice_nodes(s, "nodes", 1, badname, 1, NULL, 0) == -EPX_E_SLICE_NODE,
	   "slice nodes: a malformed host name");
	ok(store_slice_nodes(s, "nodes", 1, NULL, 0, badgrp, 1) == -EPX_E_SLICE_NODE,
	   "slice nodes: a malformed group");
	ok(store_slice_nodes(s, "nodes", 1, good, 2, grp, 1) == 0 &&
	   store_slice_get(s, "nodes", &sl) == 0 && sl.n_hosts == 2 && sl.n_groups == 1,
	   "slice nodes: two hosts and a group added");
	ok(store_slice_nodes(s, "nodes", 1, good, 1, NULL, 0) == -EPX_E_SLICE_NODE,
	   "slice nodes: a host already in the slice");
	ok(store_slice_nodes(s, "nodes", 0, bad, 2, NULL, 0) == -EPX_E_SLICE_NODE &&
	   store_sliver_get(s, "nodes", "node-a", &v) == 0,
	   "slice nodes: removing one not in the slice refuses the whole change");
	ok(store_slice_attrs(s, "nodes", STORE_SCOPE_HOST, "node-a",
			     &(struct store_attr_change){ STORE_ATTR_TASKS_MAX, 64, 0 }, 1) == 0 &&
	   store_slice_nodes(s, "nodes", 0, good, 1, NULL, 0) == 0 &&
	   store_sliver_get(s, "nodes", "node-a", &v) == -EPX_E_SLICE_NOTFOUND &&
	   store_slice_get(s, "nodes", &sl) == 0 && sl.n_hosts == 1 && sl.n_overrides == 0,
	   "slice nodes: a removed host loses its sliver and its values");
	ok(store_slice_nodes(s, "noslice", 1, good, 1, NULL, 0) == -EPX_E_SLICE_NOTFOUND,
	   "slice nodes: unknown slice");
	ok(store_slice_nodes(s, "nodes", 1, good, STORE_SLICE_NODES_MAX + 1, NULL, 0) ==
	   -EPX_E_SLICE_TOOMANY, "slice nodes: over STORE_SLICE_NODES_MAX in one call");
	store_slice_delete(s, "nodes");
}

static int sl_count(const struct store_sliver *v, void *arg)
{
	(void)v;
	++*(int *)arg;
	return 0;
}

static void sl_expiry(struct store *s, int64_t *now)
{
	const char *h[] = { "exp-h" };
	struct store_sliver v;
	struct store_slice sl;
	int n = 0;

	sl_host(s, "exp-h", NULL);
	ok(sl_new(s, "exp", *now) == 0 && store_slice_nodes(s, "exp", 1, h, 1, NULL, 0) == 0 &&
	   store_slice_renew(s, "exp", *now + 120) == 0, "slice expiry: set up, 120 s left");
	ok(store_sliver_list(s, "exp-h", sl_count, &n) == 0 && n == 1, "slice expiry: live: listed");
	*now += 119;
	ok(store_sliver_get(s, "exp", "exp-h", &v) == 0 && v.expires == *now + 1,
	   "slice expiry: 1 s before: still resolved");
	*now += 1;
	n = 0;
	ok(store_sliver_get(s, "exp", "exp-h", &v) == -EPX_E_SLICE_NOTFOUND &&
	   store_sliver_list(s, "exp-h", sl_count, &n) == 0 && n == 0,
	   "slice expiry: at its expiry it is gone from the host without any call");
	ok(store_slice_get(s, "exp", &sl) == 0, "slice expiry: still listed for the operator");
	ok(store_slice_renew(s, "exp", *now + 10) == -EPX_E_SLICE_EXPIRY &&
	   store_slice_renew(s, "exp", *now + 3600) == 0 &&
	   store_sliver_get(s, "exp", "exp-h", &v) == 0, "slice expiry: renewed: back");
	ok(store_slice_renew(s, "noslice", *now + 3600) == -EPX_E_SLICE_NOTFOUND,
	   "slice renew: unknown slice");
	ok(store_slice_delete(s, "exp") == 0 && store_slice_delete(s, "exp") == -EPX_E_SLICE_NOTFOUND,
	   "slice delete: once");
	ok(sl_new(s, "exp", *now) == 0 && store_slice_get(s, "exp", &sl) == 0 &&
	   sl.n_hosts == 0 && sl.n_overrides == 0, "slice delete: a new slice of that name starts empty");
	store_slice_delete(s, "exp");
}

static void sl_caps(struct store *s, int64_t now)
{
	const char *h[] = { "cap-h" };
	char name[16];
	int i, rc = 0, n = 0;

	sl_host(s, "cap-h", NULL);
	for (i = 0; rc == 0 && i <= STORE_SLIVERS_MAX; i++) {
		snprintf(name, sizeof(name), "cap%d", i);
		rc = sl_new(s, name, now);
		if (rc == 0)
			rc = store_slice_nodes(s, name, 1, h, 1, NULL, 0);
	}
	ok(rc == 0, "slice caps: %d slices on one host set up", STORE_SLIVERS_MAX + 1);
	ok(store_sliver_list(s, "cap-h", sl_count, &n) == -EPX_E_SLICE_TOOMANY,
	   "slice caps: over STORE_SLIVERS_MAX slivers on one host refused, not truncated");
	store_slice_delete(s, "cap0");
	n = 0;
	ok(store_sliver_list(s, "cap-h", sl_count, &n) == 0 && n == STORE_SLIVERS_MAX,
	   "slice caps: exactly STORE_SLIVERS_MAX");
	for (i = 1; i <= STORE_SLIVERS_MAX; i++) {
		snprintf(name, sizeof(name), "cap%d", i);
		store_slice_delete(s, name);
	}
}

static void sl_images(struct store *s)
{
	struct store_image im, got;

	memset(&im, 0, sizeof(im));
	snprintf(im.sha256, sizeof(im.sha256), "%s", SL_IMG);
	snprintf(im.name, sizeof(im.name), "debian-rootfs");
	snprintf(im.actor, sizeof(im.actor), "admin:alice");
	im.length = 4096;
	ok(store_image_add(s, &im) == 0 && store_image_get(s, SL_IMG, &got) == 0 &&
	   got.length == 4096 && !strcmp(got.name, "debian-rootfs"), "image: recorded");
	ok(store_image_add(s, &im) == -EPX_E_DB_EXISTS, "image: the same sha256 twice");
	im.length = 0;
	ok(store_image_add(s, &im) == -EPX_E_DB_INVALID, "image: empty");
	im.length = STORE_IMAGE_MAX + 1;
	ok(store_image_add(s, &im) == -EPX_E_DB_INVALID, "image: over STORE_IMAGE_MAX");
	im.length = 1;
	snprintf(im.name, sizeof(im.name), "Bad Name");
	ok(store_image_add(s, &im) == -EPX_E_DB_INVALID, "image: bad name");
	ok(store_image_get(s, "XYZ", &got) == -EPX_E_DB_INVALID, "image: malformed sha256");
}

static void sl_serials(struct store *s)
{
	static const char d1[] = "1111111111111111111111111111111111111111111111111111111111111111";
	static const char d2[] = "2222222222222222222222222222222222222222222222222222222222222222";
	uint64_t a = 0, b = 0, c = 0, d = 0, e = 0;

	ok(store_sliver_serial(s, "ser-h", d1, &a) == 0 && a == 1, "sliver serial: first set: 1");
	ok(store_sliver_serial(s, "ser-h", d1, &b) == 0 && b == 1, "sliver serial: same content: same serial");
	ok(store_sliver_serial(s, "ser-h", d2, &c) == 0 && c == 2, "sliver serial: changed content: +1");
	ok(store_sliver_serial(s, "ser-h", d1, &d) == 0 && d == 3,
	   "sliver serial: back to an earlier content: still +1, never back");
	ok(store_sliver_serial(s, "ser-o", d1, &e) == 0 && e == 1, "sliver serial: per host");
	ok(store_sliver_serial(s, "Bad Host", d1, &e) == -EPX_E_DB_INVALID &&
	   store_sliver_serial(s, "ser-h", "ABC", &e) == -EPX_E_DB_INVALID,
	   "sliver serial: malformed host or digest");
}

/* ------------------------------------------------------------- grants */
/* each step edits the slice "gr" (add, del) and leaves it with want, or
 * fails with code and leaves it as the step before left it */
static const struct {
	const char *name, *add, *del;
	int code;
	const char *want;
} sl_grant_steps[] = {
	{ "sock_diag", "sock_diag", NULL, 0, "sock_diag" },
	{ "two more, sorted", "file:/etc/hostname,dir:/var/log", NULL, 0,
	  "dir:/var/log file:/etc/hostname sock_diag" },
	{ "one held again: no change", "sock_diag", NULL, 0,
	  "dir:/var/log file:/etc/hostname sock_diag" },
	{ "space-separated too", "file:/a file:/b", NULL, 0,
	  "dir:/var/log file:/a file:/b file:/etc/hostname sock_diag" },
	{ "revoke two", NULL, "file:/a,file:/b", 0,
	  "dir:/var/log file:/etc/hostname sock_diag" },
	{ "add and revoke at once", "file:/c", "dir:/var/log", 0,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "revoke one not held", NULL, "file:/nope", -EPX_E_SLICE_NOGRANT,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "a node secret", "file:/run/epoxy/node.key", NULL, -EPX_E_SLICE_SECRET,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "a key anywhere", "file:/srv/host.key", NULL, -EPX_E_SLICE_SECRET,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "/etc/epoxy as a dir", "dir:/etc/epoxy", NULL, -EPX_E_SLICE_SECRET,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "a relative path", "file:etc/x", NULL, -EPX_E_SLICE_GRANT,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "dot-dot", "file:/etc/../run/epoxy", NULL, -EPX_E_SLICE_GRANT,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "trailing slash", "dir:/var/log/", NULL, -EPX_E_SLICE_GRANT,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "unknown kind", "raw_socket", NULL, -EPX_E_SLICE_GRANT,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "an empty grant", "sock_diag,,file:/a", NULL, -EPX_E_SLICE_GRANT,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "a trailing comma", "file:/a,", NULL, -EPX_E_SLICE_GRANT,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "SQL in a path", "file:/x';drop table slices;--", NULL, -EPX_E_SLICE_GRANT,
	  "file:/c file:/etc/hostname sock_diag" },
	{ "nine grants", "file:/d,file:/e,file:/f,file:/g,file:/h,file:/i", NULL,
	  -EPX_E_SLICE_GRANTS, "file:/c file:/etc/hostname sock_diag" },
	{ "up to eight", "file:/d,file:/e,file:/f,file:/g,file:/h", NULL, 0,
	  "file:/c file:/d file:/e file:/etc/hostname file:/f file:/g file:/h sock_diag" },
	{ "revoke all", NULL, "file:/c file:/d file:/e file:/etc/hostname file:/f file:/g "
	  "file:/h sock_diag", 0, "" },
	{ "revoke from none", NULL, "sock_diag", -EPX_E_SLICE_NOGRANT, "" },
	{ "sock_diag again", "sock_diag", NULL, 0, "sock_diag" },
};

static void sl_grants(struct store *s, int64_t now)
{
	struct store_slice *sl = malloc(sizeof(*sl));
	struct store_sliver *v = malloc(sizeof(*v));
	char out[GRANT_LIST_MAX + 1];
	const char *hosts[] = { "gr-h" };
	size_t i;
	int rc;

	if (!sl || !v)
		abort();
	sl_host(s, "gr-h", NULL);
	store_slice_delete(s, "gr");
	ok(sl_new(s, "gr", now) == 0 && store_slice_nodes(s, "gr", 1, hosts, 1, NULL, 0) == 0,
	   "grants: slice gr on gr-h");
	ok(store_slice_get(s, "gr", sl) == 0 && sl->grants[0] == '\0', "grants: none at first");
	for (i = 0; i < sizeof(sl_grant_steps) / sizeof(sl_grant_steps[0]); i++) {
		rc = store_slice_grant(s, "gr", sl_grant_steps[i].add, sl_grant_steps[i].del, out);
		ok(rc == sl_grant_steps[i].code, "grants: %s: %d want %d", sl_grant_steps[i].name,
		   rc, sl_grant_steps[i].code);
		ok(store_slice_get(s, "gr", sl) == 0 && !strcmp(sl->grants, sl_grant_steps[i].want),
		   "grants: %s: the slice holds '%s' (want '%s')", sl_grant_steps[i].name,
		   sl->grants, sl_grant_steps[i].want);
	}
	ok(store_sliver_get(s, "gr", "gr-h", v) == 0 && !strcmp(v->grants, "sock_diag"),
	   "grants: the resolved sliver carries them ('%s')", v->grants);
	ok(store_slice_grant(s, "nosuch", "sock_diag", NULL, NULL) == -EPX_E_SLICE_NOTFOUND,
	   "grants: unknown slice");
	ok(store_slice_grant(s, "Bad Name", "sock_diag", NULL, NULL) == -EPX_E_SLICE_NAME,
	   "grants: malformed slice name");
	store_slice_delete(s, "gr");
	free(sl);
	free(v);
}

void test_store_slices(struct store *s, int64_t *now)
{
	sl_serials(s);
	ok(store_site_add(s, "slsite", "slices") == 0, "slice: site set up");
	sl_images(s);
	sl_names(s, *now);
	sl_fields(s, *now);
	sl_attrs(s, *now);
	sl_nodes(s, *now);
	sl_precedence(s, *now);
	sl_expiry(s, now);
	sl_caps(s, *now);
	sl_grants(s, *now);
}
