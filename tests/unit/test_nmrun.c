/* test_nmrun: the OCI config the node manager writes for a sliver
 * (node/nm/nmrun.h): a table of limits -> the cgroup v2 values in
 * linux.resources.unified, with the bounds of each attribute and the
 * values refused; hostile or broken sliver records (names with ../ or /,
 * control bytes in the entry, no entry, no expiry, huge values) refused
 * with their registry code and nothing written, neither into the stream
 * nor under the data directory by a reconciliation; the confinement
 * (namespaces, no new privileges, capabilities, masked and read-only
 * paths, no bind mount but the sliver's own out/); the options of
 * nmrun_init; the state file's parser with malformed files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "lib/err.h"
#include "node/nm/nmrun.h"
#include "tests/test.h"

static struct nmrun run;
static char dir[128], data[160], root[160], rootfs[160];

static void mksliver(struct sliver *sl, const char *name, uint64_t share, uint64_t pct,
		     uint64_t mem, uint64_t tasks)
{
	memset(sl, 0, sizeof(*sl));
	snprintf(sl->name, sizeof(sl->name), "%s", name);
	snprintf(sl->entry, sizeof(sl->entry), "exec /bin/sleep 86400");
	memset(sl->image, 0x22, sizeof(sl->image));
	sl->image_bytes = 4096;
	sl->expires = 4102444800;
	sl->attr[0] = share;
	sl->attr[1] = pct;
	sl->attr[2] = mem;
	sl->attr[3] = tasks;
}

/* The config of sl into a malloc'd string (*rc its return), or NULL. */
static char *render(const struct sliver *sl, int limits, int *rc, long *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		abort();
	*rc = nmrun_config(&run, sl, 200001, limits, f);
	fclose(f);
	*len = (long)n;
	return buf;
}

struct lim {
	const char *what;
	uint64_t share, pct, mem, tasks;
	int rc;
	const char *want[4];    /* substrings of the unified map */
};

static const struct lim lims[] = {
	{ "defaults (share 1, no caps)", 1, 0, 0, 0, 0,
	  { "\"cpu.weight\": \"1\"", "\"cpu.max\": \"max 100000\"", "\"memory.max\": \"max\"",
	    "\"pids.max\": \"max\"" } },
	{ "share 3, half a CPU, 64 MiB, 32 tasks", 3, 50, 67108864, 32, 0,
	  { "\"cpu.weight\": \"3\"", "\"cpu.max\": \"50000 100000\"",
	    "\"memory.max\": \"67108864\"", "\"pids.max\": \"32\"" } },
	{ "upper bounds", 10000, 25600, (uint64_t)1 << 50, 4194304, 0,
	  { "\"cpu.weight\": \"10000\"", "\"cpu.max\": \"25600000 100000\"",
	    "\"memory.max\": \"1125899906842624\"", "\"pids.max\": \"4194304\"" } },
	{ "lower bounds of the capped values", 1, 1, (uint64_t)4 << 20, 1, 0,
	  { "\"cpu.max\": \"1000 100000\"", "\"memory.max\": \"4194304\"", "\"pids.max\": \"1\"",
	    "\"cpu.weight\": \"1\"" } },
	{ "cpu_share 0", 0, 0, 0, 0, -EPX_E_NM_LIMIT, { 0 } },
	{ "cpu_share 10001", 10001, 0, 0, 0, -EPX_E_NM_LIMIT, { 0 } },
	{ "cpu_pct 25601", 1, 25601, 0, 0, -EPX_E_NM_LIMIT, { 0 } },
	{ "mem_max 1 byte", 1, 0, 1, 0, -EPX_E_NM_LIMIT, { 0 } },
	{ "mem_max under 4 MiB", 1, 0, ((uint64_t)4 << 20) - 1, 0, -EPX_E_NM_LIMIT, { 0 } },
	{ "mem_max 2^50 + 1", 1, 0, ((uint64_t)1 << 50) + 1, 0, -EPX_E_NM_LIMIT, { 0 } },
	{ "tasks_max 4194305", 1, 0, 0, 4194305, -EPX_E_NM_LIMIT, { 0 } },
	{ "every value 2^64 - 1", UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
	  -EPX_E_NM_LIMIT, { 0 } },
};

static void test_limits(void)
{
	struct sliver sl;
	size_t i, k;
	long len;
	int rc;
	char *s;

	for (i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
		const struct lim *l = &lims[i];

		mksliver(&sl, "web", l->share, l->pct, l->mem, l->tasks);
		s = render(&sl, 1, &rc, &len);
		ok(rc == l->rc, "limits %s: rc %d (want %d)", l->what, rc, l->rc);
		if (l->rc)
			ok(len == 0, "limits %s: nothing written", l->what);
		for (k = 0; !l->rc && k < 4 && l->want[k]; k++)
			ok(strstr(s, l->want[k]) != NULL, "limits %s: %s", l->what, l->want[k]);
		free(s);
	}
	/* the limit-free config (the part whose change needs a new container)
	 * is the same whatever the limits */
	mksliver(&sl, "web", 3, 50, 67108864, 32);
	s = render(&sl, 0, &rc, &len);
	{
		char *t;
		long len2;

		mksliver(&sl, "web", 9, 0, 0, 0);
		t = render(&sl, 0, &rc, &len2);
		ok(rc == 0 && len == len2 && !memcmp(s, t, (size_t)len) && !strstr(s, "unified"),
		   "config without limits: independent of the limits");
		free(t);
	}
	free(s);
}

struct bad {
	const char *what;
	const char *name, *entry;
	int64_t expires;
	int rc;
};

static const struct bad bads[] = {
	{ "name ../x", "../x", "true", 1, -EPX_E_NM_SLIVER },
	{ "name a/b", "a/b", "true", 1, -EPX_E_NM_SLIVER },
	{ "name ..", "..", "true", 1, -EPX_E_NM_SLIVER },
	{ "name .new-x", ".new-x", "true", 1, -EPX_E_NM_SLIVER },
	{ "empty name", "", "true", 1, -EPX_E_NM_SLIVER },
	{ "upper-case name", "Web", "true", 1, -EPX_E_NM_SLIVER },
	{ "name with a space", "a b", "true", 1, -EPX_E_NM_SLIVER },
	{ "name with a quote", "a\"b", "true", 1, -EPX_E_NM_SLIVER },
	{ "no entry", "web", "", 1, -EPX_E_NM_SLIVER },
	{ "entry with a newline", "web", "true\nrm -rf /", 1, -EPX_E_NM_SLIVER },
	{ "entry with a byte 0x80", "web", "true\x80", 1, -EPX_E_NM_SLIVER },
	{ "no expiry", "web", "true", 0, -EPX_E_NM_SLIVER },
	{ "negative expiry", "web", "true", -5, -EPX_E_NM_SLIVER },
};

static void test_hostile(void)
{
	struct sliver sl;
	size_t i;
	long len;
	int rc;
	char *s;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		mksliver(&sl, "x", 1, 0, 0, 0);
		snprintf(sl.name, sizeof(sl.name), "%s", bads[i].name);
		snprintf(sl.entry, sizeof(sl.entry), "%s", bads[i].entry);
		sl.expires = bads[i].expires;
		s = render(&sl, 1, &rc, &len);
		ok(rc == bads[i].rc && len == 0, "record %s: rc %d, %ld bytes written", bads[i].what,
		   rc, len);
		free(s);
		ok(nmrun_check(&sl) == bads[i].rc, "record %s: nmrun_check", bads[i].what);
	}
	/* a name that fills the field without its terminator */
	mksliver(&sl, "x", 1, 0, 0, 0);
	memset(sl.name, 'a', sizeof(sl.name));
	ok(nmrun_check(&sl) == -EPX_E_NM_SLIVER, "record: name without a terminator");
	mksliver(&sl, "x", 1, 0, 0, 0);
	memset(sl.entry, 'a', sizeof(sl.entry));
	ok(nmrun_check(&sl) == -EPX_E_NM_SLIVER, "record: entry without a terminator");
}

/* a reconciliation of a set of hostile records writes nothing and runs
 * nothing (crun is /bin/false: a call would fail the sliver, not pass) */
static void test_reconcile_hostile(void)
{
	static struct sliverset ss;
	struct nmrun_stats st;
	struct dirent *de;
	char path[200];
	int n = 0, rc;
	DIR *d;

	memset(&ss, 0, sizeof(ss));
	mksliver(&ss.sl[0], "../escape", 1, 0, 0, 0);
	mksliver(&ss.sl[1], "huge", UINT64_MAX, 0, 0, 0);
	mksliver(&ss.sl[2], "noentry", 1, 0, 0, 0);
	ss.sl[2].entry[0] = '\0';
	ss.n = 3;
	/* an older bundle of "huge", made when its limits were in range */
	snprintf(path, sizeof(path), "%s/huge", data);
	mkdir(path, 0700);
	rc = nmrun_reconcile(&run, &ss, 1000, &st);
	ok(rc == -EPX_E_NM_SLIVER && st.failed == 3 && st.created == 0 && st.destroyed == 1,
	   "reconcile of 3 hostile records: rc %d, %u failed, %u created, %u destroyed", rc,
	   st.failed, st.created, st.destroyed);
	d = opendir(data);
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	ok(n == 0, "...nothing written under the data directory, the older bundle of the refused "
	   "record gone (%d entries)", n);
}

static void test_confinement(void)
{
	struct sliver sl;
	long len;
	int rc;
	char *s;
	static const char *const want[] = {
		"\"ociVersion\": \"1.0.2\"", "\"noNewPrivileges\": true",
		"\"args\": [\"/bin/sh\", \"-c\", \"echo \\\"q\\\" \\\\ done\"]",
		("{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},"
		 " {\"type\": \"network\"}"),
		"\"readonly\": true", "\"hostname\": \"web\"", "\"/proc/kcore\"", "\"/proc/sysrq-trigger\"",
		"\"bounding\": [\"CAP_NET_BIND_SERVICE\"]", "\"ambient\": [\"CAP_NET_BIND_SERVICE\"]",
		"\"user\": {\"uid\": 200001, \"gid\": 200001}",
		"\"destination\": \"/proc\", \"type\": \"proc\"", "\"destination\": \"/sys\", \"type\": \"sysfs\"",
		"\"destination\": \"/dev\", \"type\": \"tmpfs\"", "\"cgroupsPath\": \"/epoxy/web\"",
		"\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]",
	};
	size_t i;
	const char *p, *q;
	int binds = 0;

	mksliver(&sl, "web", 1, 0, 0, 0);
	snprintf(sl.entry, sizeof(sl.entry), "echo \"q\" \\ done");
	s = render(&sl, 1, &rc, &len);
	ok(rc == 0 && len > 0 && len < NMRUN_CONFIG_MAX, "config rendered (%ld bytes)", len);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ok(strstr(s, want[i]) != NULL, "config has %s", want[i]);
	for (p = s; (q = strstr(p, "\"type\": \"bind\"")); p = q + 1)
		binds++;
	ok(binds == 1 && strstr(s, "\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"") &&
	   strstr(s, "/web/out\""), "one bind mount: the sliver's own out/ (%d)", binds);
	ok(!strstr(s, "/run/epoxy") && !strstr(s, "/etc/epoxy") && !strstr(s, "CAP_SYS_ADMIN") &&
	   !strstr(s, "CAP_NET_ADMIN") && !strstr(s, "CAP_DAC_OVERRIDE"),
	   "no /run/epoxy, /etc/epoxy, CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_DAC_OVERRIDE");
	ok(s[len - 1] == '\n' && s[0] == '{', "one JSON object and a newline");
	free(s);
	/* the priv socket's directory: only for a sliver with grants, only
	 * with --priv-dir, read-only, at NMPRIV_MOUNT, never /run/epoxy */
	snprintf(run.priv_dir, sizeof(run.priv_dir), "/srv/privdir");
	s = render(&sl, 1, &rc, &len);
	ok(rc == 0 && !strstr(s, "/srv/privdir") && !strstr(s, "EPOXY_PRIV="),
	   "no grants: no priv mount, no EPOXY_PRIV");
	free(s);
	snprintf(sl.grants, sizeof(sl.grants), "sock_diag");
	s = render(&sl, 1, &rc, &len);
	ok(rc == 0 && strstr(s, "\"destination\": \"/run\", \"type\": \"tmpfs\"") &&
	   strstr(s, "\"destination\": \"/run/epoxy-priv\", \"type\": \"bind\", \"source\": "
		  "\"/srv/privdir\", \"options\": [\"bind\", \"nosuid\", \"nodev\", \"noexec\", \"ro\"]") &&
	   strstr(s, "\"EPOXY_PRIV=/run/epoxy-priv/priv.sock\"") && !strstr(s, "/run/epoxy\""),
	   "grants and --priv-dir: a /run tmpfs, the socket's directory read-only in it, EPOXY_PRIV");
	free(s);
	run.priv_dir[0] = '\0';
	s = render(&sl, 1, &rc, &len);
	ok(rc == 0 && !strstr(s, "epoxy-priv"), "grants without --priv-dir: no mount");
	free(s);
	/* the archive grant: the archive-only certificate's directory
	 * (--service-cert) read-only at /run/epoxy-archive and its group;
	 * never for a sliver without the grant, never the node's own */
	snprintf(run.archive_dir, sizeof(run.archive_dir), "/run/epoxy/svc");
	snprintf(run.host, sizeof(run.host), "node7");
	s = render(&sl, 1, &rc, &len);
	ok(rc == 0 && !strstr(s, "/run/epoxy/svc") && !strstr(s, "additionalGids") &&
	   !strstr(s, "EPOXY_HOST"),
	   "sock_diag alone: no archive directory, no archive group");
	free(s);
	snprintf(sl.grants, sizeof(sl.grants), "archive sock_diag");
	s = render(&sl, 1, &rc, &len);
	ok(rc == 0 && strstr(s, "\"destination\": \"/run\", \"type\": \"tmpfs\"") &&
	   strstr(s, "\"destination\": \"/run/epoxy-archive\", \"type\": \"bind\", \"source\": "
		  "\"/run/epoxy/svc\", \"options\": [\"bind\", \"nosuid\", \"nodev\", \"noexec\", \"ro\"]") &&
	   strstr(s, "\"gid\": 200001, \"additionalGids\": [199999]}") &&
	   strstr(s, "\"EPOXY_HOST=node7\"]"),
	   "archive: the certificate's directory read-only at /run/epoxy-archive, group 199999, "
	   "EPOXY_HOST");
	for (p = s, binds = 0; (q = strstr(p, "\"type\": \"bind\"")); p = q + 1)
		binds++;
	ok(binds == 2 && !strstr(s, "node.key") && !strstr(s, "node.crt") &&
	   !strstr(s, "\"/run/epoxy\""), "...and nothing else of the node's (%d binds)", binds);
	free(s);
	snprintf(sl.grants, sizeof(sl.grants), "archive");
	run.archive_dir[0] = '\0';
	s = render(&sl, 1, &rc, &len);
	ok(rc == 0 && !strstr(s, "epoxy-archive") && !strstr(s, "additionalGids"),
	   "archive without --service-cert: nothing mounted");
	free(s);
	snprintf(run.archive_dir, sizeof(run.archive_dir), "/run/epoxy/svc");
	snprintf(sl.grants, sizeof(sl.grants), "sock_diag archive");
	s = render(&sl, 1, &rc, &len);
	ok(rc == 0 && !strstr(s, "epoxy-archive"), "a grant list out of order grants nothing");
	free(s);
	run.archive_dir[0] = '\0';
	sl.grants[0] = '\0';
	run.cg = NMRUN_CG_DISABLED;
	s = render(&sl, 1, &rc, &len);
	ok(rc == 0 && !strstr(s, "cgroupsPath") && strstr(s, "\"unified\""),
	   "--cgroup-manager disabled: no cgroupsPath, limits still written");
	free(s);
	run.cg = NMRUN_CG_CGROUPFS;
}

/* disk_max is in the annotations (its change alone: an update in place),
 * not in the limit-free part; the seccomp filter (node/nm/nmdisk.h) is
 * in both */
static void test_disk(void)
{
	struct sliver sl;
	char *a, *b, *c, *d;
	long len;
	int rc;

	mksliver(&sl, "web", 1, 0, 0, 0);
	sl.attr[NMDISK_DISK_MAX] = 1048576;
	a = render(&sl, 1, &rc, &len);
	b = render(&sl, 0, &rc, &len);
	sl.attr[NMDISK_DISK_MAX] = 4194304;
	c = render(&sl, 1, &rc, &len);
	d = render(&sl, 0, &rc, &len);
	ok(strstr(a, "\"annotations\": {\"org.epoxy.disk\": \"max 1048576\"}") != NULL,
	   "config: disk_max in the annotations");
	ok(strstr(c, "\"org.epoxy.disk\": \"max 4194304\"") && strcmp(a, c) != 0,
	   "config: a new disk_max changes the config");
	ok(!strstr(b, "org.epoxy.disk") && strcmp(b, d) == 0,
	   "config: not in the limit-free part (an update, not a new container)");
	ok(strstr(a, "\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\"") &&
	   strstr(a, "\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1") &&
	   strstr(a, "\"value\": 4294967295, \"valueTwo\": 1075599392, "
		  "\"op\": \"SCMP_CMP_MASKED_EQ\"") && strstr(b, "\"seccomp\""),
	   "config: the seccomp filter refuses FS_IOC_FSSETXATTR (low 32 bits)");
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_init(void)
{
	struct nmrun r;

	ok(nmrun_init(&r, "rel/data", root, rootfs, "/bin/true", "cgroupfs", 0) == -EPX_E_NM_USAGE,
	   "init: a relative --data refused");
	ok(nmrun_init(&r, data, root, rootfs, "/bin/true", "systemd", 0) == -EPX_E_NM_USAGE,
	   "init: --cgroup-manager systemd refused (cgroupfs or disabled)");
	ok(nmrun_init(&r, data, root, "/nonexistent/rootfs", "/bin/true", "cgroupfs", 0) ==
	   -EPX_E_NM_ROOTFS, "init: a missing --rootfs refused");
	ok(nmrun_init(&r, data, root, rootfs, "/nonexistent/crun", "cgroupfs", 0) ==
	   -EPX_E_NM_CRUN, "init: a missing --crun refused");
	ok(nmrun_init(&r, data, root, rootfs, "/etc/passwd", "cgroupfs", 0) == -EPX_E_NM_CRUN,
	   "init: a --crun that is not executable refused");
	ok(nmrun_init(&run, data, root, rootfs, "/bin/false", "cgroupfs", 0) == 0,
	   "init: the test's runner");
}

struct st {
	const char *what, *text;
	int rc;
};

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
static const struct st sts[] = {
	{ "valid", "epoxy-sliver 1\nconfig " H64 "\nbase " H64 "\n", 0 },
	{ "empty", "", -EPX_E_NM_STATE },
	{ "other magic", "epoxy-sliver 2\nconfig " H64 "\nbase " H64 "\n", -EPX_E_NM_STATE },
	{ "no base", "epoxy-sliver 1\nconfig " H64 "\n", -EPX_E_NM_STATE },
	{ "truncated", "epoxy-sliver 1\nconfig " H64 "\nbase " H64, -EPX_E_NM_STATE },
	{ "short hash", "epoxy-sliver 1\nconfig 0123\nbase " H64 "\n", -EPX_E_NM_STATE },
	{ "upper-case hex", "epoxy-sliver 1\nconfig " H64 "\nbase 0123456789ABCDEF0123456789abcdef"
	  "0123456789abcdef0123456789abcdef\n", -EPX_E_NM_STATE },
	{ "trailing line", "epoxy-sliver 1\nconfig " H64 "\nbase " H64 "\nx\n", -EPX_E_NM_STATE },
	{ "swapped lines", "epoxy-sliver 1\nbase " H64 "\nconfig " H64 "\n", -EPX_E_NM_STATE },
};

static void test_state(void)
{
	uint8_t c[32], b[32];
	size_t i;

	for (i = 0; i < sizeof(sts) / sizeof(sts[0]); i++)
		ok(nmrun_state_parse(sts[i].text, strlen(sts[i].text), c, b) == sts[i].rc,
		   "state file %s", sts[i].what);
	ok(nmrun_state_parse(sts[0].text, strlen(sts[0].text), c, b) == 0 && c[0] == 0x01 &&
	   b[31] == 0xef, "state file: the hashes decoded");
}

/* images on: a sliver whose image hook says "being fetched" waits (not
 * failed, nothing written); a refusal beside it still fails and is the
 * result */
static int hook_calls;
static int test_hook(void *ctx, const struct sliver *sl)
{
	(void)ctx;
	hook_calls++;
	return sl->name[0] == 'p' ? -EPX_E_NM_IMG_PENDING : -EPX_E_NM_IMG_HASH;
}

static void test_reconcile_pending(void)
{
	static struct sliverset ss;
	struct nmrun_stats st;
	struct dirent *de;
	int n = 0, rc;
	DIR *d;

	memset(&ss, 0, sizeof(ss));
	mksliver(&ss.sl[0], "pend", 1, 0, 0, 0);
	ss.n = 1;
	snprintf(run.images, sizeof(run.images), "%s/.images", data);
	run.image = test_hook;
	rc = nmrun_reconcile(&run, &ss, 1000, &st);
	ok(rc == -EPX_E_NM_IMG_PENDING && st.waiting == 1 && st.failed == 0 && st.created == 0 &&
	   hook_calls == 1, "an image being fetched: rc %d, %u waiting, %u failed, %u created",
	   rc, st.waiting, st.failed, st.created);
	mksliver(&ss.sl[1], "bad", 1, 0, 0, 0);
	ss.n = 2;
	rc = nmrun_reconcile(&run, &ss, 1000, &st);
	ok(rc == -EPX_E_NM_IMG_HASH && st.waiting == 1 && st.failed == 1,
	   "...beside a refused image: the refusal is the result (rc %d, %u waiting, %u failed)",
	   rc, st.waiting, st.failed);
	ss.n = 0;
	rc = nmrun_reconcile(&run, &ss, 1000, &st);
	ok(rc == 0 && st.waiting == 0 && st.failed == 0, "...and an empty set: 0 (rc %d)", rc);
	d = opendir(data);
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	ok(n == 0, "...nothing written under the data directory (%d entries)", n);
	run.images[0] = '\0';
	run.image = NULL;
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_nmrun.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(root, sizeof(root), "%s/crun", dir);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	mkdir(rootfs, 0755);
	test_init();
	test_limits();
	test_hostile();
	test_confinement();
	test_disk();
	test_state();
	test_reconcile_hostile();
	test_reconcile_pending();
	rmdir(data);
	rmdir(root);
	rmdir(rootfs);
	rmdir(dir);
	return test_done();
}
