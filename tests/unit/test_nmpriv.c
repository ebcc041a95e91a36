/* test_nmpriv: the slivers' uids and epoxy-priv's grants file
 * (node/nm/nmpriv.h), on real directories: a table of data directories
 * (which out/ exists, owned by whom) and sets, each with the uids it must
 * give (kept, lowest free, never shared, expired slivers none, the range
 * full); then the grants file: what the node manager writes is exactly
 * what epoxy-priv parses (node/priv/priv_grants.h), at the largest set;
 * written only when changed, atomically, mode 0600. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "node/nm/nmpriv.h"
#include "node/priv/priv_grants.h"
#include "tests/test.h"

#define B 300000u
static char dir[] = "/tmp/test_nmpriv.XXXXXX";

static struct sliverset ss;

static void set(const char *names, int64_t expires)
{
	char buf[512], *save = NULL, *t;

	memset(&ss, 0, sizeof(ss));
	snprintf(buf, sizeof(buf), "%s", names);
	for (t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		snprintf(ss.sl[ss.n].name, sizeof(ss.sl[0].name), "%s", t);
		ss.sl[ss.n++].expires = expires;
	}
}

/* data/NAME/out owned by uid ("" none); a spec "a:3 b:0 c:-" (offset from
 * B, or "-": no out/, "r": owned by root) */
static void bundles(const char *spec)
{
	char buf[256], *save = NULL, *t, p[256];

	if (system("rm -rf /tmp/test_nmpriv.*/data") != 0)
		abort();
	snprintf(p, sizeof(p), "%s/data", dir);
	mkdir(p, 0700);
	snprintf(buf, sizeof(buf), "%s", spec);
	for (t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *c = strchr(t, ':');

		*c = '\0';
		snprintf(p, sizeof(p), "%s/data/%s", dir, t);
		mkdir(p, 0700);
		if (c[1] == '-')
			continue;
		snprintf(p, sizeof(p), "%s/data/%s/out", dir, t);
		mkdir(p, 0700);
		if (c[1] != 'r' && chown(p, B + (unsigned)atoi(c + 1), B) < 0)
			abort();
	}
}

static const struct {
	const char *name, *have, *want;
	int64_t expires;
	int rc;
	const char *uids;       /* offsets from B, "x" none */
} cases[] = {
	{ "empty node: from the base", "", "a b c", 2000, 0, "0 1 2" },
	{ "kept: each its out/'s owner", "a:5 b:0", "a b", 2000, 0, "5 0" },
	{ "a new sliver: lowest free", "a:0 c:2", "a b c", 2000, 0, "0 1 2" },
	{ "a stale bundle's uid is not given", "z:0", "a", 2000, 0, "1" },
	{ "root-owned out/: a new uid", "a:r", "a", 2000, 0, "0" },
	{ "no out/: a new uid", "a:-", "a", 2000, 0, "0" },
	{ "two bundles claim one uid: one keeps it", "a:3 b:3", "a b", 2000, 0, "3 0" },
	{ "expired slivers get none", "", "a b", 500, 0, "x x" },
};

static void test_uids(void)
{
	uint32_t u[SLIVERSET_MAX_SLIVERS];
	char got[256], data[256];
	size_t i, k, o;

	snprintf(data, sizeof(data), "%s/data", dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bundles(cases[i].have);
		set(cases[i].want, cases[i].expires);
		int rc = nmpriv_uids(data, B, &ss, 1000, u);

		for (k = 0, o = 0, got[0] = '\0'; k < ss.n; k++) {
			if (u[k])
				o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%u", k ? " " : "",
						      u[k] - B);
			else
				o += (size_t)snprintf(got + o, sizeof(got) - o, "%sx", k ? " " : "");
		}
		ok(rc == cases[i].rc && !strcmp(got, cases[i].uids), "uids: %s: '%s' want '%s' (rc %d)",
		   cases[i].name, got, cases[i].uids, rc);
	}
	/* the range full: 1024 uids owned, one more sliver refused */
	bundles("");
	for (k = 0; k < NMPRIV_UIDS; k++) {
		char p[256];

		snprintf(p, sizeof(p), "%s/data/s%04zu", dir, k);
		mkdir(p, 0700);
		snprintf(p, sizeof(p), "%s/data/s%04zu/out", dir, k);
		mkdir(p, 0700);
		if (chown(p, B + (unsigned)k, B) < 0)
			abort();
	}
	set("new", 2000);
	ok(nmpriv_uids(data, B, &ss, 1000, u) == -EPX_E_NM_UID, "uids: the range full: E3160");
	set("s0007", 2000);
	ok(nmpriv_uids(data, B, &ss, 1000, u) == 0 && u[0] == B + 7,
	   "uids: the range full, a kept sliver keeps its own");
}

static void test_file(void)
{
	static struct priv_grants g;
	uint32_t u[SLIVERSET_MAX_SLIVERS];
	char *buf = malloc(NMPRIV_FILE_MAX), path[256];
	const char *text;
	size_t len = 0, i, k;
	unsigned line = 0;
	struct stat st, st2;
	long n;

	if (!buf)
		abort();
	set("meas web", 2000);
	snprintf(ss.sl[0].grants, sizeof(ss.sl[0].grants), "dir:/proc/net file:/etc/hostname sock_diag");
	u[0] = B + 1;
	u[1] = B + 2;
	ok(nmpriv_format(&ss, 1000, u, buf, NMPRIV_FILE_MAX, &len) == 0, "format: two slivers");
	text = "# epoxy-nm: the slivers' uids and grants\nslice meas uid 300001\n"
	       "grant meas dir /proc/net\ngrant meas file /etc/hostname\ngrant meas sock_diag\n"
	       "slice web uid 300002\n";
	ok(len == strlen(text) && !memcmp(buf, text, len), "format: the text epoxy-priv reads");
	ok(priv_grants_parse(&g, buf, len, &line) == 0 && g.nslices == 2 && g.ngrants == 3,
	   "format: epoxy-priv parses it (%u slices, %u grants)", g.nslices, g.ngrants);
	ok(nmpriv_format(&ss, 1000, u, buf, 40, &len) == -EPX_E_NM_GRANTS, "format: over cap");
	snprintf(ss.sl[1].grants, sizeof(ss.sl[1].grants), "file:/run/epoxy/x");
	ok(nmpriv_format(&ss, 1000, u, buf, NMPRIV_FILE_MAX, &len) == -EPX_E_NM_GRANTS,
	   "format: a secret in a set's grants is refused again");
	/* the largest set: 128 slivers of 32-byte names, 8 grants of 255 bytes */
	memset(&ss, 0, sizeof(ss));
	for (i = 0; i < SLIVERSET_MAX_SLIVERS; i++) {
		struct sliver *v = &ss.sl[ss.n++];
		size_t o = 0, c;

		snprintf(v->name, sizeof(v->name), "s%03zu", i);
		memset(v->name + 4, 'x', SLIVERSET_NAME_MAX - 4);
		v->expires = 2000;
		u[i] = B + (uint32_t)i;
		for (k = 0; k < GRANT_MAX; k++) {
			if (k)
				v->grants[o++] = ' ';
			memcpy(v->grants + o, "file:", 5);
			o += 5;
			for (c = 0; c < 3; c++) {
				v->grants[o++] = '/';
				memset(v->grants + o, 'a', 63);
				o += 63;
			}
			v->grants[o++] = '/';
			memset(v->grants + o, 'a', 61);
			o += 61;
			v->grants[o++] = (char)('0' + k);
		}
		v->grants[o] = '\0';
	}
	ok(nmpriv_format(&ss, 1000, u, buf, NMPRIV_FILE_MAX, &len) == 0 &&
	   len <= PRIV_GRANTS_FILE_MAX, "format: the largest set fits (%zu bytes, epoxy-priv's cap %d)",
	   len, PRIV_GRANTS_FILE_MAX);
	ok(priv_grants_parse(&g, buf, len, &line) == 0 && g.nslices == 128 && g.ngrants == 1024,
	   "format: ...and epoxy-priv parses it (line %u)", line);
	/* write: atomically, 0600, only when changed */
	set("meas", 2000);
	snprintf(ss.sl[0].grants, sizeof(ss.sl[0].grants), "sock_diag");
	snprintf(path, sizeof(path), "%s/grants", dir);
	ok(nmpriv_write(path, &ss, 1000, u) == 0 && stat(path, &st) == 0 &&
	   (st.st_mode & 0777) == 0600, "write: a new file, mode 0600");
	ok(nmpriv_write(path, &ss, 1000, u) == 0 && stat(path, &st2) == 0 &&
	   st2.st_ino == st.st_ino, "write: unchanged content: the file is not replaced");
	ss.sl[0].grants[0] = '\0';
	ok(nmpriv_write(path, &ss, 1000, u) == 0 && stat(path, &st2) == 0 &&
	   st2.st_ino != st.st_ino, "write: changed content: replaced by rename");
	n = file_read(path, buf, NMPRIV_FILE_MAX - 1);
	if (n >= 0)
		buf[n] = '\0';
	ok(n > 0 && strstr(buf, "slice meas uid 300000\n") && !strstr(buf, "grant "),
	   "write: the new content");
	snprintf(path, sizeof(path), "%s/nosuch/grants", dir);
	ok(nmpriv_write(path, &ss, 1000, u) == -EPX_E_NM_GRANTS, "write: a missing directory");
	free(buf);
}

int main(void)
{
	if (!mkdtemp(dir))
		abort();
	test_uids();
	test_file();
	if (system("rm -rf /tmp/test_nmpriv.*") != 0)
		abort();
	return test_done();
}
