/* test_nmsync: the node manager's sliver set (node/nm/nmsync.h): the
 * keyset it trusts, what it accepts (signature, node, serial strictly
 * rising, across a restart too), the cache it keeps (the exact bytes,
 * verified again at start, never replaced by a refused set, a write
 * failure leaving the old set in force) and the plan (a table of have/want
 * pairs with the actions each must give). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "node/nm/nmsync.h"
#include "tests/keys/fixture.h"
#include "tests/test.h"

#define DOCMAX (SLIVERSET_MAX_BYTES + 4096)

static struct fx fx;
static char dir[128], ksfile[160];

/* A set for node with serial and the slivers names (comma-separated,
 * each with image byte img), signed by key; into out, its length. */
static size_t mkset(char *out, const char *node, uint64_t serial, const char *names,
		    int key)
{
	static struct sliverset ss;
	int signers[] = { key, FX_END };
	char list[256], *save = NULL, *nm;
	size_t len = 0;

	memset(&ss, 0, sizeof(ss));
	snprintf(ss.node, sizeof(ss.node), "%s", node);
	ss.serial = serial;
	ss.issued = 1796377000;
	snprintf(list, sizeof(list), "%s", names);
	for (nm = strtok_r(list, ",", &save); nm; nm = strtok_r(NULL, ",", &save)) {
		struct sliver *sl = &ss.sl[ss.n++];

		snprintf(sl->name, sizeof(sl->name), "%s", nm);
		memset(sl->image, 0x11, sizeof(sl->image));
		sl->image_bytes = 4096;
		snprintf(sl->entry, sizeof(sl->entry), "/bin/sh -c 'sleep 1d'");
		sl->expires = 4102444800;       /* 2100 */
		sl->attr[0] = 1;
		sl->attr[3] = 64;
	}
	if (sliverset_format(&ss, out, DOCMAX, &len) < 0)
		abort();
	fx_sign(&fx, out, DOCMAX, &len, len, signers);
	return len;
}

static int cache_equals(const char *buf, size_t len)
{
	static char got[DOCMAX];
	char path[200];
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, NMSYNC_CACHE_NAME);
	n = file_read(path, got, sizeof(got));
	return n == (long)len && memcmp(got, buf, len) == 0;
}

static void t_init(void)
{
	static char ks[8192];
	int rel[] = { 1, 2, FX_END }, signers[] = { 1, 2, FX_END }, none[] = { FX_END };
	struct nmsync s;
	size_t len;
	FILE *f;
	char bad[200];

	len = fx_keyset(&fx, ks, sizeof(ks), 1, 2, rel, 0, none, signers);
	snprintf(ksfile, sizeof(ksfile), "%s/keyset", fx.dir);
	f = fopen(ksfile, "w");
	if (!f || fwrite(ks, 1, len, f) != len || fclose(f))
		abort();
	ok(nmsync_init(&s, dir, "node1", ksfile) == 0 &&
	   !memcmp(&s.online, &fx.pub[0], sizeof(s.online)) && s.serial == 0 && !s.cur,
	   "init: the online key of a root keyset");
	ok(nmsync_init(&s, dir, "node1", "/nonexistent/keyset") == -EPX_E_NM_KEYSET,
	   "init: a missing keyset is E3106");
	snprintf(bad, sizeof(bad), "%s/keyset-bad", fx.dir);
	ks[len / 3] ^= 1;
	f = fopen(bad, "w");
	if (!f || fwrite(ks, 1, len, f) != len || fclose(f))
		abort();
	ok(nmsync_init(&s, dir, "node1", bad) == -EPX_E_NM_KEYSET,
	   "init: a keyset with a changed byte is E3106");
	ks[len / 3] ^= 1;
	len = fx_keyset(&fx, ks, sizeof(ks), 1, 2, rel, 0, none, (int[]){ 1, FX_END });
	f = fopen(bad, "w");
	if (!f || fwrite(ks, 1, len, f) != len || fclose(f))
		abort();
	ok(nmsync_init(&s, dir, "node1", bad) == -EPX_E_NM_KEYSET,
	   "init: a keyset below its own threshold is E3106");
	ok(nmsync_init(&s, dir, "node1", "/dev/null") == -EPX_E_NM_KEYSET,
	   "init: an empty keyset is E3106");
	{
		char longdir[NMSYNC_DIR_MAX + 2];

		memset(longdir, 'd', sizeof(longdir) - 1);
		longdir[sizeof(longdir) - 1] = '\0';
		ok(nmsync_init(&s, longdir, "node1", ksfile) == -EPX_E_NM_USAGE,
		   "init: a directory name over its cap");
	}
}

static void t_accept(void)
{
	static char a[DOCMAX], b[DOCMAX];
	struct nmsync s, r;
	size_t la, lb;
	char path[200];

	if (nmsync_init(&s, dir, "node1", ksfile))
		abort();
	ok(nmsync_load(&s) == 1 && s.serial == 0, "load: no cache yet is 1, serial 0");
	la = mkset(a, "node1", 5, "alpha,beta", 0);
	ok(nmsync_accept(&s, a, la) == 0 && s.serial == 5 && s.cur && s.cur->n == 2,
	   "accept: serial 5, two slivers");
	ok(cache_equals(a, la), "accept: the cache holds the exact signed bytes");
	ok(nmsync_accept(&s, a, la) == -EPX_E_SLV_SERIAL && s.serial == 5,
	   "accept: the same set again (replay) is E1084");
	lb = mkset(b, "node1", 4, "gamma", 0);
	ok(nmsync_accept(&s, b, lb) == -EPX_E_SLV_SERIAL && s.serial == 5 && cache_equals(a, la),
	   "accept: an older serial is refused, cache untouched");
	lb = mkset(b, "node1", 6, "gamma", 1);
	ok(nmsync_accept(&s, b, lb) == -EPX_E_SLV_SIG && s.serial == 5 && cache_equals(a, la),
	   "accept: another key's set is E1082, cache untouched");
	lb = mkset(b, "node2", 6, "gamma", 0);
	ok(nmsync_accept(&s, b, lb) == -EPX_E_SLV_NODE && cache_equals(a, la),
	   "accept: another node's set is E1083");
	lb = mkset(b, "node1", 6, "gamma", 0);
	b[20] ^= 1;
	ok(nmsync_accept(&s, b, lb) < 0 && s.serial == 5 && !strcmp(s.cur->sl[0].name, "alpha") &&
	   cache_equals(a, la), "accept: a changed byte is refused, the set in force stays");
	b[20] ^= 1;
	ok(nmsync_accept(&s, b, SLIVERSET_MAX_BYTES + 1) == -EPX_E_SLV_TOOBIG, "accept: over the cap");
	ok(nmsync_accept(&s, b, lb) == 0 && s.serial == 6 && cache_equals(b, lb),
	   "accept: serial 6 replaces the cache");
	/* a restart: the cache is the floor */
	if (nmsync_init(&r, dir, "node1", ksfile))
		abort();
	ok(nmsync_load(&r) == 0 && r.serial == 6 && r.cur && !strcmp(r.cur->sl[0].name, "gamma"),
	   "restart: the cached set verified again, serial 6");
	ok(nmsync_accept(&r, a, la) == -EPX_E_SLV_SERIAL, "restart: serial 5 replayed after it is refused");
	nmsync_free(&r);
	/* the cache as another node (a copied disk) is refused at start */
	if (nmsync_init(&r, dir, "node2", ksfile))
		abort();
	ok(nmsync_load(&r) == -EPX_E_SLV_NODE && r.serial == 0 && !r.cur,
	   "restart: another node's cache is refused, no set");
	nmsync_free(&r);
	/* a changed byte in the cache */
	snprintf(path, sizeof(path), "%s/%s", dir, NMSYNC_CACHE_NAME);
	{
		FILE *f = fopen(path, "r+");

		if (!f || fseek(f, 30, SEEK_SET) || fputc(b[30] ^ 4, f) == EOF || fclose(f))
			abort();
	}
	if (nmsync_init(&r, dir, "node1", ksfile))
		abort();
	ok(nmsync_load(&r) < 0 && r.serial == 0 && !r.cur, "restart: a changed byte in the cache: no set");
	nmsync_free(&r);
	/* a cache that cannot be written: the set is not taken */
	nmsync_free(&s);
	if (nmsync_init(&s, "/proc/self", "node1", ksfile))
		abort();
	ok(nmsync_accept(&s, b, lb) == -EPX_E_NM_CACHE && s.serial == 0 && !s.cur,
	   "accept: an unwritable cache is E3107 and the set is not in force");
	nmsync_free(&s);
}

/* Sets for the plan: names with an image byte, an entry and an attribute. */
struct psl {
	const char *name;
	int img, entry, attr;
	int64_t expires;
};

static void pset(struct sliverset *ss, const struct psl *p)
{
	memset(ss, 0, sizeof(*ss));
	for (; p && p->name; p++) {
		struct sliver *sl = &ss->sl[ss->n++];

		snprintf(sl->name, sizeof(sl->name), "%s", p->name);
		memset(sl->image, p->img, sizeof(sl->image));
		snprintf(sl->entry, sizeof(sl->entry), "run %d", p->entry);
		sl->attr[2] = (uint64_t)p->attr;
		sl->expires = p->expires ? p->expires : 2000;
	}
}

struct pcase {
	const char *name;
	struct psl have[4], want[4];
	int no_have, no_want;
	const char *plan;       /* "op name;..." */
};

static const struct pcase pcases[] = {
	{ "nothing to nothing", { { 0 } }, { { 0 } }, 1, 1, "" },
	{ "first set", { { 0 } }, { { "a", 1, 1, 1, 0 }, { "b", 1, 1, 1, 0 } }, 1, 0,
	  "create a;create b;" },
	{ "same set", { { "a", 1, 1, 1, 0 } }, { { "a", 1, 1, 1, 0 } }, 0, 0, "" },
	{ "set gone", { { "a", 1, 1, 1, 0 }, { "b", 1, 1, 1, 0 } }, { { 0 } }, 0, 1,
	  "destroy a;destroy b;" },
	{ "empty set", { { "a", 1, 1, 1, 0 } }, { { 0 } }, 0, 0, "destroy a;" },
	{ "limit changed", { { "a", 1, 1, 1, 0 } }, { { "a", 1, 1, 2, 0 } }, 0, 0, "update a;" },
	{ "image changed", { { "a", 1, 1, 1, 0 } }, { { "a", 2, 1, 1, 0 } }, 0, 0,
	  "destroy a;create a;" },
	{ "entry changed", { { "a", 1, 1, 1, 0 } }, { { "a", 1, 2, 1, 0 } }, 0, 0,
	  "destroy a;create a;" },
	{ "one of two removed", { { "a", 1, 1, 1, 0 }, { "b", 1, 1, 1, 0 } },
	  { { "b", 1, 1, 1, 0 } }, 0, 0, "destroy a;" },
	{ "one added", { { "b", 1, 1, 1, 0 } }, { { "a", 1, 1, 1, 0 }, { "b", 1, 1, 1, 0 } }, 0, 0,
	  "create a;" },
	{ "expired in want: destroyed", { { "a", 1, 1, 1, 0 } }, { { "a", 1, 1, 1, 500 } }, 0, 0,
	  "destroy a;" },
	{ "expired in want: not created", { { 0 } }, { { "a", 1, 1, 1, 1000 } }, 1, 0, "" },
	{ "expired in have, renewed in want", { { "a", 1, 1, 1, 900 } },
	  { { "a", 1, 1, 1, 5000 } }, 0, 0, "" },
	{ "renewed and limit changed", { { "a", 1, 1, 1, 2000 } }, { { "a", 1, 1, 3, 9000 } }, 0, 0,
	  "update a;" },
	{ "swap", { { "a", 1, 1, 1, 0 } }, { { "b", 1, 1, 1, 0 } }, 0, 0, "destroy a;create b;" },
};

static void t_plan(void)
{
	static struct sliverset have, want;
	struct nmsync_act acts[2 * SLIVERSET_MAX_SLIVERS];
	char got[512];
	size_t n, i, j, len;
	int rc;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];

		pset(&have, c->have);
		pset(&want, c->want);
		rc = nmsync_plan(c->no_want ? NULL : &want, c->no_have ? NULL : &have, 1000, acts,
				 2 * SLIVERSET_MAX_SLIVERS, &n);
		got[0] = '\0';
		for (j = 0, len = 0; rc == 0 && j < n; j++)
			len += (size_t)snprintf(got + len, sizeof(got) - len, "%s %s;",
						nmsync_op_name(acts[j].op), acts[j].name);
		ok(rc == 0 && !strcmp(got, c->plan), "plan: %s: \"%s\" want \"%s\"", c->name, got,
		   c->plan);
	}
	/* the cap: a full set against another full set fits 2 * MAX */
	memset(&have, 0, sizeof(have));
	memset(&want, 0, sizeof(want));
	for (i = 0; i < SLIVERSET_MAX_SLIVERS; i++) {
		snprintf(have.sl[i].name, sizeof(have.sl[i].name), "h%03zu", i);
		snprintf(want.sl[i].name, sizeof(want.sl[i].name), "w%03zu", i);
		have.sl[i].expires = want.sl[i].expires = 2000;
	}
	have.n = want.n = SLIVERSET_MAX_SLIVERS;
	ok(nmsync_plan(&want, &have, 1000, acts, 2 * SLIVERSET_MAX_SLIVERS, &n) == 0 &&
	   n == 2 * SLIVERSET_MAX_SLIVERS, "plan: %d destroyed and %d created fit the cap",
	   SLIVERSET_MAX_SLIVERS, SLIVERSET_MAX_SLIVERS);
	ok(nmsync_plan(&want, &have, 1000, acts, 10, &n) == -ENOSPC, "plan: a short array is -ENOSPC");
}

static void cleanup(void)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", dir, NMSYNC_CACHE_NAME);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.tmp", dir, NMSYNC_CACHE_NAME);
	unlink(path);
	rmdir(dir);
	unlink(ksfile);
	snprintf(path, sizeof(path), "%s/keyset-bad", fx.dir);
	unlink(path);
}

int main(void)
{
	fx_init(&fx, 3);
	snprintf(dir, sizeof(dir), "%s/cache", fx.dir);
	t_init();
	t_accept();
	t_plan();
	cleanup();
	fx_free(&fx);
	return test_done();
}
