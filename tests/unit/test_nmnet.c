/* test_nmnet: the network plan of a sliver (node/nm/nmnet.h): the range
 * parser with a table of malformed ranges (each refused with
 * E_NM_NETRANGE); the options of nmnet_init; slots -> interface names,
 * addresses and classes, the last slot and the first past the cap or the
 * range; rates -> HTB rate and ceil (floor, clamps to the node rate,
 * min > max refused); bwmon's daily cap (nmnet_ceil) across a table of
 * usage and time of day; the nft ruleset: its masquerade, one classifying
 * rule per used slot and nothing of an unused one, the isolation rules;
 * the sliver's OCI config carries its net_* values in the annotation
 * org.epoxy.net with its limits (so a change of them alone is an update
 * in place) and not in its limit-free part, and not at all without
 * --uplink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "node/nm/nmnet.h"
#include "node/nm/nmrun.h"
#include "tests/test.h"

static struct nmnet net;

static void test_range(void)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t net;
		unsigned plen;
	} t[] = {
		{ "10.213.0.0/22", 0, 0x0ad50000, 22 },
		{ "10.0.0.0/8", 0, 0x0a000000, 8 },
		{ "192.168.4.0/22", 0, 0xc0a80400, 22 },
		{ "172.16.0.0/12", 0, 0xac100000, 12 },
		{ "10.213.0.0/23", -EPX_E_NM_NETRANGE, 0, 0 },     /* < 256 /30s */
		{ "10.213.0.0/32", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.0.0.0/7", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213.0.1/22", -EPX_E_NM_NETRANGE, 0, 0 },     /* host bits */
		{ "10.213.2.0/22", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213.0.0", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213.0.0/", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213.0/22", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213.0.0.0/22", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213..0/22", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "010.213.0.0/22", -EPX_E_NM_NETRANGE, 0, 0 },    /* one spelling */
		{ "10.213.0.0/022", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "256.0.0.0/8", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213.0.0/-1", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213.0.0/22 ", -EPX_E_NM_NETRANGE, 0, 0 },
		{ " 10.213.0.0/22", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "+10.213.0.0/22", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "0x0a.0.0.0/8", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213.0.0/22/1", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "/", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "10.213.0.0/99999999999999999999", -EPX_E_NM_NETRANGE, 0, 0 },
		{ "fd00::/64", -EPX_E_NM_NETRANGE, 0, 0 },
	};
	struct nmnet_range r;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&r, 0xee, sizeof(r));
		rc = nmnet_range_parse(t[i].s, strlen(t[i].s), &r);
		ok(rc == t[i].rc && (rc < 0 || (r.net == t[i].net && r.plen == t[i].plen)),
		   "range '%s': %d", t[i].s, rc);
	}
	/* n bounds the read: a valid prefix of a longer buffer */
	ok(nmnet_range_parse("10.0.0.0/8 and more", 10, &r) == 0 && r.plen == 8,
	   "range: only n bytes read");
	ok(nmnet_range_parse(NULL, 0, &r) == -EPX_E_NM_NETRANGE, "range: NULL");
}

static void test_init(void)
{
	static const struct {
		const char *up, *rate, *range, *nft;
		int rc;
	} t[] = {
		{ "eth0", "1000000000", NMNET_RANGE_DEFAULT, "/usr/sbin/nft", 0 },
		{ "enp0s31f6", "64000", "10.0.0.0/8", "/x/nft", 0 },
		{ "eth0", "400000000000", NMNET_RANGE_DEFAULT, "/usr/sbin/nft", 0 },
		{ "", "1000000", NMNET_RANGE_DEFAULT, "/usr/sbin/nft", -EPX_E_NM_USAGE },
		{ "abcdefghijklmnop", "1000000", NMNET_RANGE_DEFAULT, "/n", -EPX_E_NM_USAGE },
		{ "epx0", "1000000", NMNET_RANGE_DEFAULT, "/n", -EPX_E_NM_USAGE }, /* ours */
		{ "eth 0", "1000000", NMNET_RANGE_DEFAULT, "/n", -EPX_E_NM_USAGE },
		{ "eth\"0", "1000000", NMNET_RANGE_DEFAULT, "/n", -EPX_E_NM_USAGE },
		{ "a/b", "1000000", NMNET_RANGE_DEFAULT, "/n", -EPX_E_NM_USAGE },
		{ "eth0", "63999", NMNET_RANGE_DEFAULT, "/n", -EPX_E_NM_USAGE },
		{ "eth0", "400000000001", NMNET_RANGE_DEFAULT, "/n", -EPX_E_NM_USAGE },
		{ "eth0", "1e9", NMNET_RANGE_DEFAULT, "/n", -EPX_E_NM_USAGE },
		{ "eth0", "", NMNET_RANGE_DEFAULT, "/n", -EPX_E_NM_USAGE },
		{ "eth0", "1000000", "10.0.0.1/8", "/n", -EPX_E_NM_NETRANGE },
		{ "eth0", "1000000", NMNET_RANGE_DEFAULT, "nft", -EPX_E_NM_USAGE },
		{ "eth0", "1000000", NMNET_RANGE_DEFAULT, "", -EPX_E_NM_USAGE },
	};
	struct nmnet *n = malloc(sizeof(*n));
	size_t i;

	for (i = 0; n && i < sizeof(t) / sizeof(t[0]); i++)
		ok(nmnet_init(n, t[i].up, t[i].rate, t[i].range, t[i].nft) == t[i].rc,
		   "init uplink '%s' rate '%s' range '%s' nft '%s'", t[i].up, t[i].rate, t[i].range,
		   t[i].nft);
	free(n);
}

static void mksliver(struct sliver *sl, uint64_t min, uint64_t max, uint64_t day)
{
	memset(sl, 0, sizeof(*sl));
	snprintf(sl->name, sizeof(sl->name), "web");
	sl->attr[NMNET_MIN_RATE] = min;
	sl->attr[NMNET_MAX_RATE] = max;
	sl->attr[NMNET_BYTES_DAY] = day;
}

static void test_plan(void)
{
	static const struct {
		const char *what;
		unsigned slot;
		uint64_t min, max;
		int rc;
		const char *ifn, *host, *sliver;
		uint32_t classid;
		uint64_t rate, ceil;
	} t[] = {
		{ "slot 0", 0, 1000000, 8000000, 0, "epx0", "10.213.0.1", "10.213.0.2",
		  0x10100, 1000000, 8000000 },
		{ "slot 1", 1, 0, 0, 0, "epx1", "10.213.0.5", "10.213.0.6", 0x10101,
		  NMNET_RATE_FLOOR, 100000000 },
		{ "last slot", 255, 5, 0, 0, "epx255", "10.213.3.253", "10.213.3.254", 0x101ff,
		  NMNET_RATE_FLOOR, 100000000 },
		{ "max above the node", 2, 0, 400000000000ULL, 0, "epx2", "10.213.0.9",
		  "10.213.0.10", 0x10102, NMNET_RATE_FLOOR, 100000000 },
		{ "min above the node", 3, 200000000, 0, 0, "epx3", "10.213.0.13", "10.213.0.14",
		  0x10103, 100000000, 100000000 },
		{ "min = max", 4, 5000000, 5000000, 0, "epx4", "10.213.0.17", "10.213.0.18",
		  0x10104, 5000000, 5000000 },
		{ "max below the floor", 5, 0, 1000, 0, "epx5", "10.213.0.21", "10.213.0.22",
		  0x10105, 1000, 1000 },
		{ "min > max", 6, 8000001, 8000000, -EPX_E_NM_NETRATE, "", "", "", 0, 0, 0 },
		{ "slot past the cap", 256, 0, 0, -EPX_E_NM_NETFULL, "", "", "", 0, 0, 0 },
		{ "slot far past", 0xffffffffu, 0, 0, -EPX_E_NM_NETFULL, "", "", "", 0, 0, 0 },
	};
	struct nmnet_plan p;
	struct sliver sl;
	char h[20], s[20];
	size_t i;
	int rc;

	if (nmnet_init(&net, "up0", "100000000", NMNET_RANGE_DEFAULT, "/usr/sbin/nft") < 0)
		abort();
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mksliver(&sl, t[i].min, t[i].max, 0);
		rc = nmnet_plan(&net, t[i].slot, &sl, 0, 0, &p);
		snprintf(h, sizeof(h), "%u.%u.%u.%u", p.host_addr >> 24, p.host_addr >> 16 & 255,
			 p.host_addr >> 8 & 255, p.host_addr & 255);
		snprintf(s, sizeof(s), "%u.%u.%u.%u", p.sliver_addr >> 24,
			 p.sliver_addr >> 16 & 255, p.sliver_addr >> 8 & 255, p.sliver_addr & 255);
		ok(rc == t[i].rc && (rc < 0 || (!strcmp(p.host_if, t[i].ifn) &&
						!strcmp(h, t[i].host) && !strcmp(s, t[i].sliver) &&
						p.classid == t[i].classid &&
						p.rate == t[i].rate && p.ceil == t[i].ceil)),
		   "plan %s: rc %d %s %s %s 1:%x rate %llu ceil %llu", t[i].what, rc, p.host_if, h,
		   s, p.classid & 0xffff, (unsigned long long)p.rate, (unsigned long long)p.ceil);
	}
	/* a range of exactly 256 /30s: the last slot fits, none past it */
	if (nmnet_init(&net, "up0", "100000000", "10.9.252.0/22", "/usr/sbin/nft") < 0)
		abort();
	mksliver(&sl, 0, 0, 0);
	ok(nmnet_plan(&net, 255, &sl, 0, 0, &p) == 0 && p.sliver_addr == 0x0a09fffe,
	   "plan: the last slot of 10.9.252.0/22 is 10.9.255.254");
	/* the slivers' /30s never overlap */
	{
		uint32_t prev = 0;
		unsigned k;
		int disjoint = 1;

		for (k = 0; k < NMNET_SLOTS; k++) {
			if (nmnet_plan(&net, k, &sl, 0, 0, &p) < 0 || (k && p.host_addr - 1 < prev + 4))
				disjoint = 0;
			prev = p.host_addr - 1;
		}
		ok(disjoint, "plan: 256 slots, 256 disjoint /30s");
	}
}

static void test_ceil(void)
{
	static const struct {
		const char *what;
		uint64_t max, day, used;
		int64_t elapsed;
		uint64_t floor, want;
	} t[] = {
		{ "no cap", 8000000, 0, 1ULL << 50, 40000, 1000, 8000000 },
		{ "nothing used", 8000000, 1000000000, 0, 0, 1000, 8000000 },
		{ "79 % used", 8000000, 1000000000, 790000000, 43200, 1000, 8000000 },
		/* 80 %: (2e8 bytes left * 8) / 43200 s = 37037 bit/s */
		{ "80 % at noon", 8000000, 1000000000, 800000000, 43200, 1000, 37037 },
		{ "80 % at noon, high floor", 8000000, 1000000000, 800000000, 43200, 100000, 100000 },
		{ "90 % one second before the end", 8000000, 1000000000, 900000000, 86399, 1000,
		  8000000 },
		{ "99 % one hour before the end", 8000000, 1000000000, 990000000, 82800, 1000,
		  22222 },
		{ "all used", 8000000, 1000000000, 1000000000, 100, 1000, 1000 },
		{ "more than all", 8000000, 1000000000, 5000000000ULL, 100, 1000, 1000 },
		{ "floor above max", 5000, 1000, 1000, 0, 9000, 5000 },
		{ "elapsed negative", 8000000, 1000000000, 800000000, -5, 1000, 18518 },
		{ "elapsed past the day", 8000000, 1000000000, 800000000, 999999, 1000, 8000000 },
		{ "a cap of 1 byte", 8000000, 1, 0, 0, 1000, 8000000 },
		{ "a cap of 5 bytes, 4 used", 8000000, 5, 4, 86000, 8, 8 },
		{ "the largest cap", 8000000, (1ULL << 53), (1ULL << 53) - 1, 0, 1000, 1000 },
	};
	size_t i;
	uint64_t c;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = nmnet_ceil(t[i].max, t[i].day, t[i].used, t[i].elapsed, t[i].floor);
		ok(c == t[i].want, "daily cap %s: %llu (want %llu)", t[i].what,
		   (unsigned long long)c, (unsigned long long)t[i].want);
	}
	/* through the plan: the ceil falls, the rate stays */
	{
		struct nmnet_plan p;
		struct sliver sl;

		if (nmnet_init(&net, "up0", "100000000", NMNET_RANGE_DEFAULT, "/n") < 0)
			abort();
		mksliver(&sl, 1000000, 8000000, 1000000000);
		ok(nmnet_plan(&net, 0, &sl, 900000000, 86400 * 20000 + 43200, &p) == 0 &&
		   p.rate == 1000000 && p.ceil == 1000000,
		   "plan under the daily cap: ceil down to the guaranteed rate (%llu)",
		   (unsigned long long)p.ceil);
		mksliver(&sl, 0, 8000000, 1000000000);
		ok(nmnet_plan(&net, 0, &sl, 900000000, 86400 * 20000 + 43200, &p) == 0 &&
		   p.ceil == 18518, "plan under the daily cap: (1e8 * 8) / 43200 (%llu)",
		   (unsigned long long)p.ceil);
	}
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	const char *p = hay;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void test_ruleset(void)
{
	unsigned char used[NMNET_SLOTS] = { 0 };
	char *buf = malloc(NMNET_SLOTS * 320 + 4096);
	size_t len = 0, cap = NMNET_SLOTS * 320 + 4096;
	int rc;

	if (!buf || nmnet_init(&net, "up0", "100000000", NMNET_RANGE_DEFAULT, "/n") < 0)
		abort();
	rc = nmnet_ruleset(&net, used, buf, cap, &len);
	ok(rc == 0 && len == strlen(buf), "ruleset, no slot: rc %d", rc);
	ok(count(buf, "\"masquerade\"") == 1 && strstr(buf, "\"addr\": \"10.213.0.0\", \"len\": 22") &&
	   strstr(buf, "\"oifname\"}}, \"right\": \"up0\""),
	   "ruleset: one masquerade of 10.213.0.0/22 out of up0");
	ok(count(buf, "\"mangle\"") == 0, "ruleset, no slot: no classifying rule");
	ok(!strncmp(buf, "{\"nftables\": [{\"add\": {\"table\"", 30) &&
	   count(buf, "{\"delete\": {\"table\": {\"family\": \"ip\", \"name\": \"epoxy_nm\"}}}") == 1,
	   "ruleset: the table added, deleted and made again in one transaction");
	ok(count(buf, "\"drop\"") == 2 && strstr(buf, "\"hook\": \"input\""),
	   "ruleset: a sliver reaches neither another sliver nor the node");
	used[0] = used[7] = used[255] = 1;
	rc = nmnet_ruleset(&net, used, buf, cap, &len);
	ok(rc == 0 && count(buf, "\"mangle\"") == 3 && strstr(buf, "\"right\": \"epx7\"}}, {\"mangle\"") &&
	   strstr(buf, "\"value\": \"1:107\"") && strstr(buf, "\"value\": \"1:1ff\"") &&
	   strstr(buf, "\"value\": \"1:100\"") && !strstr(buf, "\"epx1\""),
	   "ruleset, slots 0 7 255: their three rules, 1:100 1:107 1:1ff, nothing else");
	memset(used, 1, sizeof(used));
	rc = nmnet_ruleset(&net, used, buf, cap, &len);
	ok(rc == 0 && count(buf, "\"mangle\"") == NMNET_SLOTS, "ruleset, every slot: fits (%zu bytes)",
	   len);
	ok(nmnet_ruleset(&net, used, buf, 512, &len) == -EPX_E_NM_NFT,
	   "ruleset: a buffer too small is an error, never a cut ruleset");
	free(buf);
}

static char *config(const struct nmrun *r, const struct sliver *sl, int limits)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f || nmrun_config(r, sl, 200001, limits, f) < 0)
		abort();
	fclose(f);
	return buf;
}

static void test_annotation(void)
{
	struct nmrun r;
	struct sliver sl;
	char *a, *b, *c, *d;

	memset(&r, 0, sizeof(r));
	snprintf(r.rootfs, sizeof(r.rootfs), "/rootfs");
	r.cg = NMRUN_CG_DISABLED;
	mksliver(&sl, 1000000, 8000000, 5000000000ULL);
	snprintf(sl.entry, sizeof(sl.entry), "exec sleep 1");
	sl.expires = 4102444800;
	sl.attr[0] = 1;
	a = config(&r, &sl, 1);
	ok(!strstr(a, "org.epoxy.net"), "config without --uplink: no network annotation");
	r.net = &net;
	b = config(&r, &sl, 1);
	c = config(&r, &sl, 0);
	ok(strstr(b, "\"annotations\": {\"org.epoxy.disk\": \"max 0\", "
		  "\"org.epoxy.net\": \"min 1000000 max 8000000 day 5000000000\"}") != NULL,
	   "config with --uplink: min, max and day in the annotation");
	ok(!strstr(c, "org.epoxy.net"), "the limit-free config: no annotation (a change is an update)");
	sl.attr[NMNET_MAX_RATE] = 4000000;
	d = config(&r, &sl, 1);
	ok(strcmp(b, d) != 0 && strstr(d, "max 4000000 "), "a new net_max_rate changes the config");
	free(a);
	free(b);
	free(c);
	free(d);
}

int main(void)
{
	test_range();
	test_init();
	test_plan();
	test_ceil();
	test_ruleset();
	test_annotation();
	return test_done();
}
