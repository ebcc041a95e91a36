/* test_nmsense: the node manager's sensors (node/nm/nmsense.h): tables of
 * cpu.stat and one-number files, valid and malformed; a fake tree of
 * cgroups, sliver directories and interfaces read into a snapshot
 * (absent stays absent, a malformed file its code, a sliver that does not
 * run left out); the JSON and Prometheus renderings; and one real read of
 * the kernel: this process's own cgroup v2 cpu.stat. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "node/nm/nmrun.h"
#include "node/nm/nmsense.h"
#include "tests/test.h"

static const struct {
	const char *name, *in;
	int rc;
	uint64_t v;
} cpu_cases[] = {
	{ "kernel 6.1", "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n"
	  "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n", 0, 123456 },
	{ "usage_usec alone", "usage_usec 0\n", 0, 0 },
	{ "usage_usec last", "user_usec 1\nusage_usec 7\n", 0, 7 },
	{ "at the cap", "usage_usec 4611686018427387904\n", 0, 4611686018427387904ULL },
	{ "core_sched.force_idle_usec style key", "core_sched_force_idle_usec 5\nusage_usec 9\n", 0, 9 },
	{ "empty", "", -EPX_E_NM_SENSE_FILE, 0 },
	{ "no usage_usec", "user_usec 1\nsystem_usec 2\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "usage_usec twice", "usage_usec 1\nusage_usec 1\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "no final newline", "usage_usec 1", -EPX_E_NM_SENSE_FILE, 0 },
	{ "no value", "usage_usec\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "empty value", "usage_usec \n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "two spaces", "usage_usec  1\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "negative", "usage_usec -1\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "leading zero", "usage_usec 01\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "past the cap", "usage_usec 4611686018427387905\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "a tab", "usage_usec\t1\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "CRLF", "usage_usec 1\r\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "upper-case key", "Usage_usec 1\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "a bad other line", "usage_usec 1\nx-y 2\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "a blank line", "usage_usec 1\n\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "a key of 33 bytes", "abcdefghijabcdefghijabcdefghijabc 1\nusage_usec 1\n",
	  -EPX_E_NM_SENSE_FILE, 0 },
	{ "a NUL", "usage_usec 1\0\n", -EPX_E_NM_SENSE_FILE, 0 },
};

static const struct {
	const char *name, *in;
	int rc;
	uint64_t v;
} num_cases[] = {
	{ "memory.current", "1048576\n", 0, 1048576 },
	{ "zero", "0\n", 0, 0 },
	{ "the cap", "4611686018427387904\n", 0, 4611686018427387904ULL },
	{ "empty", "", -EPX_E_NM_SENSE_FILE, 0 },
	{ "newline alone", "\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "no newline", "12", -EPX_E_NM_SENSE_FILE, 0 },
	{ "max (pids.max)", "max\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "two lines", "1\n2\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "a space", " 1\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "a sign", "+1\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "leading zero", "007\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "past the cap", "18446744073709551615\n", -EPX_E_NM_SENSE_FILE, 0 },
	{ "CRLF", "1\r\n", -EPX_E_NM_SENSE_FILE, 0 },
};

static void test_parsers(void)
{
	char big[NMSENSE_FILE_MAX + 2];
	uint64_t v;
	size_t i, n;
	int rc;

	for (i = 0; i < sizeof(cpu_cases) / sizeof(cpu_cases[0]); i++) {
		v = 0;
		n = strlen(cpu_cases[i].in);
		if (!strcmp(cpu_cases[i].name, "a NUL"))
			n = sizeof("usage_usec 1\0\n") - 1;
		rc = nmsense_cpu_stat(cpu_cases[i].in, n, &v);
		ok(rc == cpu_cases[i].rc && (rc < 0 || v == cpu_cases[i].v), "cpu.stat %s: %d %llu",
		   cpu_cases[i].name, rc, (unsigned long long)v);
	}
	for (i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		v = 0;
		rc = nmsense_number(num_cases[i].in, strlen(num_cases[i].in), &v);
		ok(rc == num_cases[i].rc && (rc < 0 || v == num_cases[i].v), "number %s: %d",
		   num_cases[i].name, rc);
	}
	/* a file over its cap: usage_usec, then newlines */
	n = (size_t)snprintf(big, sizeof(big), "%s", "usage_usec 1\n");
	memset(big + n, '\n', sizeof(big) - n);
	ok(nmsense_cpu_stat(big, NMSENSE_FILE_MAX + 1, &v) == -EPX_E_NM_SENSE_FILE,
	   "cpu.stat over 4 KiB: refused");
	ok(nmsense_number("1\n", NMSENSE_FILE_MAX + 1, &v) == -EPX_E_NM_SENSE_FILE,
	   "a number file over 4 KiB: refused");
}

static char root[64];

static void put(const char *rel, const char *content)
{
	char p[512], *s;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	f = fopen(p, "w");
	if (!f || fputs(content, f) < 0 || fclose(f))
		abort();
}

static void tree(void)
{
	char blob[8192];

	memset(blob, 'x', sizeof(blob) - 1);
	blob[sizeof(blob) - 1] = '\0';
	/* a: every value; b: a malformed memory.current; c: no cgroup;
	 * d: no state (not running); e: no out/ */
	put("cg" NMRUN_CGROUP_PARENT "/a/cpu.stat", "usage_usec 2500000\nuser_usec 1\n");
	put("cg" NMRUN_CGROUP_PARENT "/a/memory.current", "1048576\n");
	put("cg" NMRUN_CGROUP_PARENT "/a/pids.current", "3\n");
	put("cg" NMRUN_CGROUP_PARENT "/b/cpu.stat", "usage_usec 10\n");
	put("cg" NMRUN_CGROUP_PARENT "/b/memory.current", "lots\n");
	put("cg" NMRUN_CGROUP_PARENT "/b/pids.current", "1\n");
	put("cg" NMRUN_CGROUP_PARENT "/d/cpu.stat", "usage_usec 10\n");
	put("data/a/state", "x");
	put("data/a/out/blob", blob);
	put("data/a/out/sub/small", "y");
	put("data/b/state", "x");
	put("data/b/out/empty", "");
	put("data/c/state", "x");
	put("data/c/out/f", "z");
	put("data/d/out/f", "z");
	put("data/e/state", "x");
	put("net/epx0/ifalias", "b\n");
	put("net/epx0/statistics/rx_bytes", "500\n");
	put("net/epx0/statistics/tx_bytes", "600\n");
	put("net/epx1/ifalias", "a\n");
	put("net/epx1/statistics/rx_bytes", "1000\n");
	put("net/epx1/statistics/tx_bytes", "2000\n");
	put("net/epxz/ifalias", "c\n");             /* not epx<digits>: ignored */
	put("net/eth0/ifalias", "c\n");
}

static uint64_t du(const char *rel)
{
	char cmd[512], out[64] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "du -B1 -s '%s/%s'", root, rel);
	p = popen(cmd, "r");
	if (!p || !fgets(out, sizeof(out), p))
		abort();
	pclose(p);
	return strtoull(out, NULL, 10);
}

static void test_tree(void)
{
	char cg[128], data[128], net[128], names[6][SLIVERSET_NAME_MAX + 1] = {
		"e", "d", "c", "b", "a", "Bad" };
	struct usage *u = calloc(1, sizeof(*u));
	struct nmsense_errs errs;
	struct nmsense s;
	const struct usage_sliver *a, *b, *c, *e;
	int rc;

	snprintf(cg, sizeof(cg), "%s/cg", root);
	snprintf(data, sizeof(data), "%s/data", root);
	snprintf(net, sizeof(net), "%s/net", root);
	ok(nmsense_init(&s, cg, data, net) == 0, "init with every root");
	rc = nmsense_snapshot(&s, names, 6, 1796439507, u, &errs);
	ok(rc == -EPX_E_NM_SENSE_FILE, "snapshot: the first error is b's memory.current (%d)", rc);
	ok(u->n == 4 && !strcmp(u->sl[0].name, "a") && !strcmp(u->sl[1].name, "b") &&
	   !strcmp(u->sl[2].name, "c") && !strcmp(u->sl[3].name, "e"),
	   "a, b, c, e: sorted; d (no state) and Bad (a bad name) left out");
	ok(u->at == 1796439507 && u->net == 1, "at, and net on");
	a = usage_find(u, "a");
	b = usage_find(u, "b");
	c = usage_find(u, "c");
	e = usage_find(u, "e");
	ok(a && a->have == 0x3f && a->v[USAGE_CPU_US] == 2500000 && a->v[USAGE_MEM] == 1048576 &&
	   a->v[USAGE_TASKS] == 3, "a: cpu, memory, tasks from its cgroup");
	ok(a && a->v[USAGE_DISK] == du("data/a/out"), "a: disk bytes as du says (%llu)",
	   a ? (unsigned long long)a->v[USAGE_DISK] : 0ULL);
	ok(a && a->v[USAGE_TX] == 1000 && a->v[USAGE_RX] == 2000,
	   "a: tx is its veth's rx_bytes, rx its tx_bytes");
	ok(b && !(b->have & (1u << USAGE_MEM)) && b->v[USAGE_MEM] == 0 &&
	   (b->have & (1u << USAGE_CPU_US)) && (b->have & (1u << USAGE_TASKS)),
	   "b: a malformed memory.current absent, the rest read");
	ok(errs.err[1] == -EPX_E_NM_SENSE_FILE && errs.err[0] == 0, "b's error kept for it alone");
	ok(c && !(c->have & 7u) && (c->have & (1u << USAGE_DISK)) && !(c->have & (3u << USAGE_TX)),
	   "c: no cgroup, no veth: those absent, disk read");
	ok(e && e->have == 0 && errs.err[3] == 0, "e: no cgroup, no out/, no veth: all absent");
	/* without a cgroup manager and without a network */
	ok(nmsense_init(&s, NULL, data, NULL) == 0, "init without cgroups or network");
	rc = nmsense_snapshot(&s, names, 5, 1, u, NULL);
	a = usage_find(u, "a");
	ok(rc == 0 && a && a->have == (1u << USAGE_DISK | 1u << USAGE_TX | 1u << USAGE_RX) &&
	   a->v[USAGE_TX] == 0 && u->net == 0,
	   "--cgroup-manager disabled: cpu, memory, tasks absent; no network: tx, rx a measured 0");
	ok(nmsense_init(&s, "", data, NULL) == -EPX_E_NM_USAGE &&
	   nmsense_init(&s, NULL, NULL, NULL) == -EPX_E_NM_USAGE, "init: empty root, no data refused");
	free(u);
}

static char *render(const struct usage *u, const struct nmsense_errs *errs, int prom)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (prom)
		nmsense_prom(u, f);
	else
		nmsense_json(u, errs, 1, f);
	fclose(f);
	return buf;
}

static void test_render(void)
{
	struct usage *u = calloc(1, sizeof(*u));
	struct nmsense_errs errs;
	char *j, *p;

	memset(&errs, 0, sizeof(errs));
	u->at = 1796439507;
	u->n = 2;
	strcpy(u->sl[0].name, "a");
	u->sl[0].have = 0x3f;
	u->sl[0].v[USAGE_CPU_US] = 2500001;
	u->sl[0].v[USAGE_DISK] = 4096;
	strcpy(u->sl[1].name, "b");
	u->sl[1].have = 1u << USAGE_DISK;
	errs.err[1] = -EPX_E_NM_SENSE_FILE;
	j = render(u, &errs, 0);
	ok(strstr(j, "\"at\": 1796439507, \"cgroup\": \"on\", \"net\": \"off\"") != NULL, "json: head");
	ok(strstr(j, "{\"name\": \"a\", \"cpu_us\": 2500001, \"mem_bytes\": 0, \"tasks\": 0, "
		  "\"disk_bytes\": 4096, \"tx_bytes\": 0, \"rx_bytes\": 0}") != NULL, "json: a");
	ok(strstr(j, "{\"name\": \"b\", \"cpu_us\": null, \"mem_bytes\": null, \"tasks\": null, "
		  "\"disk_bytes\": 0, \"tx_bytes\": null, \"rx_bytes\": null, "
		  "\"error\": \"EPOXY-E3155\"}") != NULL, "json: b, absent as null, its error");
	p = render(u, NULL, 1);
	ok(strstr(p, "\nepoxy_sliver_cpu_seconds_total{sliver=\"a\"} 2.500001\n") != NULL,
	   "prometheus: CPU in seconds, six decimals");
	ok(strstr(p, "{sliver=\"b\"} 0\n") != NULL && !strstr(p, "cpu_seconds_total{sliver=\"b\"}"),
	   "prometheus: b's disk sample, no sample of its absent CPU");
	ok(strstr(p, "# TYPE epoxy_sliver_cpu_seconds_total counter\n") != NULL &&
	   strstr(p, "# TYPE epoxy_sliver_memory_bytes gauge\n") != NULL, "prometheus: types");
	ok(strstr(p, "epoxy_slivers 2\n") != NULL && strstr(p, "epoxy_sensors_timestamp_seconds "
		  "1796439507\n") != NULL, "prometheus: count and time");
	free(j);
	free(p);
	u->n = 0;
	j = render(u, &errs, 0);
	ok(strstr(j, "\"slivers\": []}") != NULL, "json: no sliver");
	free(j);
	free(u);
}

/* The kernel's own: the cpu.stat of this process's cgroup v2 directory
 * (/proc/self/cgroup's "0::" line under cgroup2 at /sys/fs/cgroup or, on
 * a hybrid host like this one, its unified mount) through the parser. */
static void test_kernel(void)
{
	static const char *const mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	char line[512], dir[700], buf[NMSENSE_FILE_MAX + 1];
	FILE *f = fopen("/proc/self/cgroup", "r");
	uint64_t v = 0;
	size_t i, n;
	int rc = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			break;
	if (f)
		fclose(f);
	line[strcspn(line, "\n")] = '\0';
	for (i = 0; rc != 0 && i < 2 && !strncmp(line, "0::", 3); i++) {
		snprintf(dir, sizeof(dir), "%s%s/cpu.stat", mounts[i], line + 3);
		f = fopen(dir, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		rc = nmsense_cpu_stat(buf, n, &v);
	}
	ok(rc == 0, "the kernel's cpu.stat of this process's cgroup parses (%s: %llu us)", dir,
	   (unsigned long long)v);
}

int main(void)
{
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/test_nmsense.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	test_parsers();
	tree();
	test_tree();
	test_render();
	test_kernel();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		ok(0, "remove %s", root);
	return test_done();
}
