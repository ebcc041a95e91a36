/* test_bundlename: a bundle's archive name (lib/bundlename.h) as tables:
 * names that parse and what they yield (parts, Unix time to the
 * microsecond, leap days, the last second of a day), names made from
 * their parts and parsed back, then many malformed names, each refused
 * with EPOXY-E2387 and a zeroed result: a date directory not the time's,
 * a datatype or experiment in the file name not the directories', a day
 * outside its month, fields out of range, ".." and empty segments, upper
 * case, another suffix, a node that is no host name, over the cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bundlename.h"
#include "lib/err.h"
#include "tests/test.h"

#define GOOD "ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz"

static void t_good(void)
{
	static const struct { const char *s, *exp, *dt, *node; int64_t sec; uint32_t usec; } g[] = {
		{ GOOD, "ndt", "tcpinfo", "node1", 1796465730, 123456 },
		{ "a/b/2000/01/01/20000101T000000.000000Z-b-n-a.tgz", "a", "b", "n", 946684800, 0 },
		{ "ndt/ndt7/2024/02/29/20240229T235959.999999Z-ndt7-mlab1-lga03.example.net-ndt.tgz",
		  "ndt", "ndt7", "mlab1-lga03.example.net", 1709251199, 999999 },
		{ "x-y/d.t/2199/12/31/21991231T120000.000001Z-d.t-a-b-c-x-y.tgz", "x-y", "d.t",
		  "a-b-c", 7258075200, 1 },
	};
	struct bundlename b;
	char out[BUNDLENAME_MAX + 1];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		rc = bundlename_parse(g[i].s, strlen(g[i].s), &b);
		ok(rc == 0 && !strcmp(b.exp, g[i].exp) && !strcmp(b.dt, g[i].dt) &&
		   !strcmp(b.node, g[i].node) && b.sec == g[i].sec && b.usec == g[i].usec,
		   "parses: %s (%d: %s %s %s %lld.%06u)", g[i].s, rc, b.exp, b.dt, b.node,
		   (long long)b.sec, b.usec);
		rc = bundlename_make(out, sizeof(out), g[i].exp, g[i].dt, g[i].node, g[i].sec,
				     g[i].usec);
		ok(rc == 0 && !strcmp(out, g[i].s), "...made back from its parts: %s", out);
	}
}

static void t_make_bad(void)
{
	char out[BUNDLENAME_MAX + 1], small[40];

	ok(bundlename_make(out, sizeof(out), "ndt", "tcpinfo", "Node1", 1796465730, 0) ==
	   -EPX_E_ARC_BUNDLENAME && out[0] == '\0', "make: an upper-case node refused");
	ok(bundlename_make(out, sizeof(out), ".x", "tcpinfo", "n", 1796465730, 0) ==
	   -EPX_E_ARC_BUNDLENAME, "make: a hidden experiment refused");
	ok(bundlename_make(out, sizeof(out), "ndt", "a/b", "n", 1796465730, 0) ==
	   -EPX_E_ARC_BUNDLENAME, "make: a datatype with a slash refused");
	ok(bundlename_make(out, sizeof(out), "ndt", "t", "n", 1796465730, 1000000) ==
	   -EPX_E_ARC_BUNDLENAME, "make: a microsecond field of 10^6 refused");
	ok(bundlename_make(out, sizeof(out), "ndt", "t", "n", 900000000, 0) ==
	   -EPX_E_ARC_BUNDLENAME, "make: a time before 2000 refused");
	ok(bundlename_make(out, sizeof(out), "ndt", "t", "n", -1, 0) == -EPX_E_ARC_BUNDLENAME,
	   "make: a negative time refused");
	ok(bundlename_make(small, sizeof(small), "ndt", "t", "n", 1796465730, 0) ==
	   -EPX_E_ARC_BUNDLENAME && small[0] == '\0', "make: a buffer too small refused");
}

static void t_bad(void)
{
	static const char *const bad[] = {
		"",
		"ndt",
		"ndt/tcpinfo/2026/12/05/",
		"ndt/tcpinfo/2026/12/04/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/11/05/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2025/12/05/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/5/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/26/12/05/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-ndt7-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-wehe.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-ndt.tar.gz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz/",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-ndt",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo--ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-Node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node_1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo--node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-no/de-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.12345Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205t101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530,123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T241530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T106030.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101560.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/13/05/20261305T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/00/05/20260005T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/02/29/20260229T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2100/02/29/21000229T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/04/31/20260431T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/00/20261200T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/1999/12/31/19991231T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2200/01/01/22000101T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/+026/12/05/+0261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/-5/2026120-5T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"../tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-...tgz",
		"ndt/../2026/12/05/20261205T101530.123456Z-..-node1-ndt.tgz",
		".ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-.ndt.tgz",
		"ndt/.tcpinfo/2026/12/05/20261205T101530.123456Z-.tcpinfo-node1-ndt.tgz",
		"Ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-Ndt.tgz",
		"ndt//tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"/ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/x/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz",
		"ndt/tcp info/2026/12/05/20261205T101530.123456Z-tcp info-node1-ndt.tgz",
		"ndt/tcpinfo/2026/12/05/20261205T101530.123456Z-tcpinfo-node1-ndt.tgz\n",
	};
	struct bundlename b, zero;
	char big[BUNDLENAME_MAX + 40];
	size_t i;
	int rc;

	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&b, 0x5a, sizeof(b));
		rc = bundlename_parse(bad[i], strlen(bad[i]), &b);
		ok(rc == -EPX_E_ARC_BUNDLENAME && !memcmp(&b, &zero, sizeof(b)),
		   "refused with E2387, zeroed: \"%s\" (%d)", bad[i], rc);
	}
	rc = bundlename_parse(GOOD, strlen(GOOD) - 1, &b);
	ok(rc == -EPX_E_ARC_BUNDLENAME, "reads only s[0..len): a name cut short refused");
	memcpy(big, GOOD "\0x", sizeof(GOOD) + 2);
	rc = bundlename_parse(big, sizeof(GOOD) + 1, &b);
	ok(rc == -EPX_E_ARC_BUNDLENAME, "a NUL inside the length refused");
	memset(big, 'a', sizeof(big));
	rc = bundlename_parse(big, BUNDLENAME_MAX + 1, &b);
	ok(rc == -EPX_E_ARC_BUNDLENAME, "over BUNDLENAME_MAX refused");
}

int main(void)
{
	t_good();
	t_make_bad();
	t_bad();
	return test_done();
}
