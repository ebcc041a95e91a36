/* nmnet: a sliver's network (nmnet.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/route.h>
#include <netlink/route/tc.h>

#include "lib/err.h"
#include "lib/num.h"
#include "lib/record.h"
#include "node/nm/nmnet.h"
#include "node/nm/nmrun.h"

#define NMNET_ROOT_HANDLE 0x10000U      /* 1: */
#define NMNET_ROOT_CLASS 0x10001U       /* 1:1 */
#define NMNET_RULESET_MAX (NMNET_SLOTS * 320 + 4096)
#define NMNET_OUT_MAX 2048

/* ------------------------------------------------------------- planning */

int nmnet_range_parse(const char *s, size_t n, struct nmnet_range *r)
{
	uint32_t v, net = 0;
	size_t i = 0, j;
	int part;

	if (!s || n == 0 || n > 18)
		return -EPX_E_NM_NETRANGE;
	for (part = 0; part < 5; part++) {
		for (j = i; j < n && s[j] != '.' && s[j] != '/'; j++)
			;
		if (j == i || (part < 3 && (j == n || s[j] != '.')) ||
		    (part == 3 && (j == n || s[j] != '/')) || (part == 4 && j != n))
			return -EPX_E_NM_NETRANGE;
		if (num_parse_u32(s + i, j - i, part < 4 ? 255 : 32, &v) < 0)
			return -EPX_E_NM_NETRANGE;
		if (part < 4)
			net = net << 8 | v;
		i = j + 1;
	}
	if (v < 8 || v > NMNET_PLEN_MAX || (net & (0xffffffffU >> v)))
		return -EPX_E_NM_NETRANGE;
	r->net = net;
	r->plen = v;
	return 0;
}

uint64_t nmnet_ceil(uint64_t max, uint64_t day_bytes, uint64_t used, int64_t elapsed,
		    uint64_t floor)
{
	uint64_t left, c;

	if (floor > max)
		floor = max;
	if (!day_bytes)
		return max;
	if (used >= day_bytes)
		return floor;
	/* under 80 % of the cap: no change (used < day_bytes: no overflow) */
	if ((unsigned __int128)used * 5 < (unsigned __int128)day_bytes * 4)
		return max;
	if (elapsed < 0)
		elapsed = 0;
	if (elapsed > NMNET_DAY - 1)
		elapsed = NMNET_DAY - 1;
	left = day_bytes - used;
	c = (uint64_t)((unsigned __int128)left * 8 / (uint64_t)(NMNET_DAY - elapsed));
	return c > max ? max : c < floor ? floor : c;
}

int nmnet_plan(const struct nmnet *n, unsigned slot, const struct sliver *sl, uint64_t used,
	       int64_t now, struct nmnet_plan *p)
{
	const uint64_t *a = sl->attr;
	uint64_t max, rate;

	memset(p, 0, sizeof(*p));
	if (slot >= NMNET_SLOTS || (uint64_t)slot * 4 + 3 >= (1ULL << (32 - n->range.plen)))
		return -EPX_E_NM_NETFULL;
	if (a[NMNET_MIN_RATE] && a[NMNET_MAX_RATE] && a[NMNET_MIN_RATE] > a[NMNET_MAX_RATE])
		return -EPX_E_NM_NETRATE;
	p->slot = slot;
	snprintf(p->host_if, sizeof(p->host_if), NMNET_IF_PREFIX "%u", slot);
	p->host_addr = n->range.net + slot * 4 + 1;
	p->sliver_addr = p->host_addr + 1;
	p->classid = NMNET_ROOT_HANDLE | (NMNET_CLASS_BASE + slot);
	max = a[NMNET_MAX_RATE] && a[NMNET_MAX_RATE] < n->node_rate ? a[NMNET_MAX_RATE] :
		n->node_rate;
	rate = a[NMNET_MIN_RATE] > NMNET_RATE_FLOOR ? a[NMNET_MIN_RATE] : NMNET_RATE_FLOOR;
	if (rate > max)
		rate = max;
	p->rate = rate;
	/* bwmon's floor: the guaranteed rate, at most a quarter of the node */
	p->ceil = nmnet_ceil(max, a[NMNET_BYTES_DAY], used, now % NMNET_DAY,
			     rate < n->node_rate / 4 ? rate : n->node_rate / 4);
	if (p->ceil < p->rate)
		p->ceil = p->rate;
	return 0;
}

int nmnet_init(struct nmnet *n, const char *uplink, const char *node_rate, const char *range,
	       const char *nft)
{
	size_t k = uplink ? strlen(uplink) : 0, i;
	uint64_t v;
	int rc;

	memset(n, 0, sizeof(*n));
	if (k == 0 || k > NMNET_IFNAME_MAX || !strncmp(uplink, NMNET_IF_PREFIX, 3))
		return -EPX_E_NM_USAGE;
	for (i = 0; i < k; i++)
		if (uplink[i] <= ' ' || uplink[i] > '~' || uplink[i] == '/' || uplink[i] == '"' ||
		    uplink[i] == '\\')
			return -EPX_E_NM_USAGE;
	memcpy(n->uplink, uplink, k + 1);
	if (num_str_u64(node_rate, NMNET_NODE_RATE_MAX, &v) < 0 || v < NMNET_NODE_RATE_MIN)
		return -EPX_E_NM_USAGE;
	n->node_rate = v;
	rc = nmnet_range_parse(range, strlen(range), &n->range);
	if (rc < 0)
		return rc;
	k = strlen(nft);
	if (k == 0 || k > NMNET_PATH_MAX || nft[0] != '/')
		return -EPX_E_NM_USAGE;
	memcpy(n->nft, nft, k + 1);
	return 0;
}

/* --------------------------------------------------------------- ruleset */

static void nmnet_ifmatch(FILE *f, const char *key, const char *op, const char *name)
{
	fprintf(f, "{\"match\": {\"op\": \"%s\", \"left\": {\"meta\": {\"key\": \"%s\"}}, "
		"\"right\": ", op, key);
	record_json_str(f, name);
	fputs("}}", f);
}

int nmnet_ruleset(const struct nmnet *n, const unsigned char used[NMNET_SLOTS], char *buf,
		  size_t cap, size_t *len)
{
	FILE *f = fmemopen(buf, cap, "w");
	static const char tbl[] = "{\"table\": {\"family\": \"ip\", \"name\": \"" NMNET_TABLE "\"}}";
	unsigned s;
	long k;
	int rc = 0;

	if (!f)
		return -ENOMEM;
	/* add + delete + add: the old table goes whether it was there or not */
	fprintf(f, "{\"nftables\": [{\"add\": %s}, {\"delete\": %s}, {\"add\": %s}", tbl, tbl,
		tbl);
	fprintf(f, ", {\"add\": {\"chain\": {\"family\": \"ip\", \"table\": \"" NMNET_TABLE "\", "
		"\"name\": \"post\", \"type\": \"nat\", \"hook\": \"postrouting\", \"prio\": 100, "
		"\"policy\": \"accept\"}}}");
	fprintf(f, ", {\"add\": {\"chain\": {\"family\": \"ip\", \"table\": \"" NMNET_TABLE "\", "
		"\"name\": \"fwd\", \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, "
		"\"policy\": \"accept\"}}}");
	fprintf(f, ", {\"add\": {\"chain\": {\"family\": \"ip\", \"table\": \"" NMNET_TABLE "\", "
		"\"name\": \"in\", \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, "
		"\"policy\": \"accept\"}}}");
	/* masquerade of the range out of the uplink */
	fputs(", {\"add\": {\"rule\": {\"family\": \"ip\", \"table\": \"" NMNET_TABLE "\", "
	      "\"chain\": \"post\", \"expr\": [", f);
	fprintf(f, "{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", "
		"\"field\": \"saddr\"}}, \"right\": {\"prefix\": {\"addr\": \"%u.%u.%u.%u\", "
		"\"len\": %u}}}}, ", n->range.net >> 24, n->range.net >> 16 & 255,
		n->range.net >> 8 & 255, n->range.net & 255, n->range.plen);
	nmnet_ifmatch(f, "oifname", "==", n->uplink);
	fputs(", {\"masquerade\": null}]}}}", f);
	for (s = 0; s < NMNET_SLOTS; s++) {
		char ifn[NMNET_IFNAME_MAX + 1];

		if (!used[s])
			continue;
		snprintf(ifn, sizeof(ifn), NMNET_IF_PREFIX "%u", s);
		/* its class: meta priority 1:(0x100+slot) */
		fputs(", {\"add\": {\"rule\": {\"family\": \"ip\", \"table\": \"" NMNET_TABLE "\", "
		      "\"chain\": \"fwd\", \"expr\": [", f);
		nmnet_ifmatch(f, "iifname", "==", ifn);
		fprintf(f, ", {\"mangle\": {\"key\": {\"meta\": {\"key\": \"priority\"}}, "
			"\"value\": \"1:%x\"}}]}}}", NMNET_CLASS_BASE + s);
	}
	/* a sliver reaches the uplink alone, never the node itself */
	fputs(", {\"add\": {\"rule\": {\"family\": \"ip\", \"table\": \"" NMNET_TABLE "\", "
	      "\"chain\": \"fwd\", \"expr\": [", f);
	nmnet_ifmatch(f, "iifname", "==", NMNET_IF_PREFIX "*");
	fputs(", ", f);
	nmnet_ifmatch(f, "oifname", "!=", n->uplink);
	fputs(", {\"drop\": null}]}}}", f);
	/* (the answers to the node's own connections pass) */
	fputs(", {\"add\": {\"rule\": {\"family\": \"ip\", \"table\": \"" NMNET_TABLE "\", "
	      "\"chain\": \"in\", \"expr\": [{\"match\": {\"op\": \"in\", \"left\": "
	      "{\"ct\": {\"key\": \"state\"}}, \"right\": [\"established\", \"related\"]}}, "
	      "{\"accept\": null}]}}}", f);
	fputs(", {\"add\": {\"rule\": {\"family\": \"ip\", \"table\": \"" NMNET_TABLE "\", "
	      "\"chain\": \"in\", \"expr\": [", f);
	nmnet_ifmatch(f, "iifname", "==", NMNET_IF_PREFIX "*");
	fputs(", {\"drop\": null}]}}}]}\n", f);
	k = ftell(f);
	if (fclose(f) != 0 || k <= 0 || (size_t)k >= cap)
		rc = -EPX_E_NM_NFT;
	else
		*len = (size_t)k;
	return rc;
}

/* nft -j -f - with the ruleset on its stdin; its answer only logged. */
static int nmnet_nft(const struct nmnet *n, const char *buf, size_t len)
{
	const char *argv[] = { n->nft, "-j", "-f", "-", NULL };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, st = 0, fd;
	char msg[NMNET_OUT_MAX];
	size_t done = 0, got = 0;
	ssize_t w;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -EPX_E_NM_NFT;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -EPX_E_NM_NFT;
	}
	/* an nft left by a killed node manager would apply whatever part of
	 * the ruleset reached its stdin */
	pid = nmrun_fork_tied();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		execv(n->nft, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	while (pid > 0 && done < len) {
		w = write(in[1], buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	close(in[1]);
	while (got < sizeof(msg) - 1 && (w = read(out[0], msg + got, sizeof(msg) - 1 - got)) != 0) {
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		got += (size_t)w;
	}
	msg[got] = '\0';
	close(out[0]);
	if (pid < 0)
		return -EPX_E_NM_NFT;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || done != len) {
		char code[16];

		while (got && (msg[got - 1] == '\n'))
			msg[--got] = '\0';
		nmrun_log("%s nft: %s: %s", epx_code(-EPX_E_NM_NFT, code, sizeof(code)),
			  epx_strerror(-EPX_E_NM_NFT), strrchr(msg, '\n') ? strrchr(msg, '\n') + 1 :
			  msg);
		return -EPX_E_NM_NFT;
	}
	return 0;
}

/* --------------------------------------------------------------- netlink */

static int nmnet_fail(int rc, const char *name, const char *what, int nlerr)
{
	char code[16];

	nmrun_log("%s sliver %s: %s: %s%s%s", epx_code(rc, code, sizeof(code)), name, what,
		  epx_strerror(rc), nlerr ? ": " : "", nlerr ? nl_geterror(nlerr) : "");
	return rc;
}

/* A route socket in the namespace nsfd (-1: ours).  The process enters
 * it for the socket() call alone: a netlink socket stays in the
 * namespace it was made in. */
static struct nl_sock *nmnet_sock(int nsfd)
{
	struct nl_sock *sk = nl_socket_alloc();
	int self = -1, ok = sk != NULL;

	if (ok && nsfd >= 0) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		ok = self >= 0 && setns(nsfd, CLONE_NEWNET) == 0;
	}
	if (ok && nl_connect(sk, NETLINK_ROUTE) < 0)
		ok = 0;
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET) < 0) {
			/* never go on in a sliver's namespace */
			nmrun_log("cannot return to the node's network namespace");
			abort();
		}
		close(self);
	}
	if (!ok && sk) {
		nl_socket_free(sk);
		sk = NULL;
	}
	return sk;
}

/* 1 and the slot when name is epx<slot> */
static int nmnet_slot_of(const char *name, unsigned *slot)
{
	uint32_t v;

	if (!name || strncmp(name, NMNET_IF_PREFIX, 3) ||
	    num_str_u32(name + 3, NMNET_SLOTS - 1, &v) < 0)
		return 0;
	*slot = v;
	return 1;
}

static struct nl_addr *nmnet_addr(uint32_t a, unsigned plen)
{
	uint32_t be = htonl(a);
	struct nl_addr *x = nl_addr_build(AF_INET, &be, 4);

	if (x)
		nl_addr_set_prefixlen(x, (int)plen);
	return x;
}

static int nmnet_addr_add(struct nl_sock *sk, int ifindex, uint32_t a, unsigned plen)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *x = nmnet_addr(a, plen);
	int e = -NLE_NOMEM;

	if (ra && x) {
		rtnl_addr_set_ifindex(ra, ifindex);
		e = rtnl_addr_set_local(ra, x);
		if (e == 0)
			e = rtnl_addr_add(sk, ra, NLM_F_CREATE | NLM_F_REPLACE);
	}
	nl_addr_put(x);
	rtnl_addr_put(ra);
	return e;
}

/* ifname up (and its alias set when alias) */
static int nmnet_link_up(struct nl_sock *sk, const char *ifname, const char *alias, int *ifindex)
{
	struct rtnl_link *l = NULL, *ch = rtnl_link_alloc();
	int e = ch ? rtnl_link_get_kernel(sk, 0, ifname, &l) : -NLE_NOMEM;

	if (e == 0) {
		*ifindex = rtnl_link_get_ifindex(l);
		rtnl_link_set_flags(ch, IFF_UP);
		if (alias)
			rtnl_link_set_ifalias(ch, alias);
		e = rtnl_link_change(sk, l, ch, 0);
	}
	rtnl_link_put(l);
	rtnl_link_put(ch);
	return e;
}

static int nmnet_uplink(const struct nmnet *n)
{
	return (int)if_nametoindex(n->uplink);
}

/* root qdisc htb 1: (made when the uplink has another) and class 1:1 */
static int nmnet_root(const struct nmnet *n, struct nl_sock *sk, int up)
{
	struct nl_cache *qc = NULL;
	struct rtnl_qdisc *q = NULL;
	struct rtnl_class *c = NULL;
	int e = rtnl_qdisc_alloc_cache(sk, &qc), have = 0;

	if (e < 0)
		return e;
	q = rtnl_qdisc_get(qc, up, NMNET_ROOT_HANDLE);
	have = q && rtnl_tc_get_parent(TC_CAST(q)) == TC_H_ROOT && rtnl_tc_get_kind(TC_CAST(q)) &&
		!strcmp(rtnl_tc_get_kind(TC_CAST(q)), "htb");
	rtnl_qdisc_put(q);
	q = NULL;
	nl_cache_free(qc);
	if (!have) {
		q = rtnl_qdisc_alloc();
		if (!q)
			return -NLE_NOMEM;
		rtnl_tc_set_ifindex(TC_CAST(q), up);
		rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
		rtnl_tc_set_handle(TC_CAST(q), NMNET_ROOT_HANDLE);
		e = rtnl_tc_set_kind(TC_CAST(q), "htb");
		if (e == 0)
			e = rtnl_htb_set_defcls(q, 0);
		if (e == 0)
			e = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
		rtnl_qdisc_put(q);
		if (e < 0)
			return e;
	}
	c = rtnl_class_alloc();
	if (!c)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(c), up);
	rtnl_tc_set_parent(TC_CAST(c), NMNET_ROOT_HANDLE);
	rtnl_tc_set_handle(TC_CAST(c), NMNET_ROOT_CLASS);
	e = rtnl_tc_set_kind(TC_CAST(c), "htb");
	if (e == 0)
		e = rtnl_htb_set_rate64(c, n->node_rate / 8);
	if (e == 0)
		e = rtnl_htb_set_ceil64(c, n->node_rate / 8);
	if (e == 0)
		e = rtnl_class_add(sk, c, NLM_F_CREATE);
	rtnl_class_put(c);
	return e;
}

static int nmnet_class_set(struct nl_sock *sk, int up, const struct nmnet_plan *p)
{
	struct rtnl_class *c = rtnl_class_alloc();
	uint64_t q = p->rate / 8 / 10;
	int e;

	if (!c)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(c), up);
	rtnl_tc_set_parent(TC_CAST(c), NMNET_ROOT_CLASS);
	rtnl_tc_set_handle(TC_CAST(c), p->classid);
	e = rtnl_tc_set_kind(TC_CAST(c), "htb");
	if (e == 0)
		e = rtnl_htb_set_rate64(c, p->rate / 8);
	if (e == 0)
		e = rtnl_htb_set_ceil64(c, p->ceil / 8);
	if (e == 0)
		e = rtnl_htb_set_quantum(c, (uint32_t)(q < 1600 ? 1600 : q > 60000 ? 60000 : q));
	if (e == 0)
		e = rtnl_class_add(sk, c, NLM_F_CREATE);
	rtnl_class_put(c);
	return e;
}

static int nmnet_class_del(struct nl_sock *sk, int up, uint32_t classid)
{
	struct rtnl_class *c = rtnl_class_alloc();
	int e;

	if (!c)
		return -NLE_NOMEM;
	rtnl_tc_set_ifindex(TC_CAST(c), up);
	rtnl_tc_set_handle(TC_CAST(c), classid);
	e = rtnl_class_delete(sk, c);
	rtnl_class_put(c);
	return e == -NLE_OBJ_NOTFOUND ? 0 : e;
}

/* The class's bytes so far (0 when it has none). */
static uint64_t nmnet_class_bytes(struct nl_sock *sk, int up, uint32_t classid)
{
	struct nl_cache *cc = NULL;
	struct rtnl_class *c;
	uint64_t b = 0;

	if (rtnl_class_alloc_cache(sk, up, &cc) < 0)
		return 0;
	c = rtnl_class_get(cc, up, classid);
	if (c)
		b = rtnl_tc_get_stat(TC_CAST(c), RTNL_TC_BYTES);
	rtnl_class_put(c);
	nl_cache_free(cc);
	return b;
}

/* The bytes of the slot's class today (bwmon's period: the UTC day; a
 * node manager's restart starts counting anew). */
static uint64_t nmnet_used(struct nmnet *n, struct nl_sock *sk, int up, unsigned slot,
			   const char *name, int64_t now)
{
	struct nmnet_day *d = &n->day[slot];
	uint64_t b = nmnet_class_bytes(sk, up, NMNET_ROOT_HANDLE | (NMNET_CLASS_BASE + slot));
	int64_t start = now - now % NMNET_DAY;

	if (strcmp(d->name, name) || d->start != start || b < d->base) {
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->start = start;
		d->base = b;
	}
	return b - d->base;
}

struct nmnet_scan {
	unsigned char used[NMNET_SLOTS];
	int found;                      /* slot of the wanted name, -1 none */
};

/* The epx veths of the node: their slots; the one whose alias is name. */
static int nmnet_scan(struct nl_sock *sk, const char *name, struct nmnet_scan *s)
{
	struct nl_cache *lc = NULL;
	struct nl_object *o;
	unsigned slot;
	int e = rtnl_link_alloc_cache(sk, AF_UNSPEC, &lc);

	memset(s, 0, sizeof(*s));
	s->found = -1;
	if (e < 0)
		return e;
	for (o = nl_cache_get_first(lc); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *al = rtnl_link_get_ifalias(l);

		if (!nmnet_slot_of(rtnl_link_get_name(l), &slot))
			continue;
		s->used[slot] = 1;
		if (name && al && !strcmp(al, name))
			s->found = (int)slot;
	}
	nl_cache_free(lc);
	return 0;
}

static int nmnet_link_del(struct nl_sock *sk, unsigned slot)
{
	struct rtnl_link *l = rtnl_link_alloc();
	char ifn[NMNET_IFNAME_MAX + 1];
	int e;

	if (!l)
		return -NLE_NOMEM;
	snprintf(ifn, sizeof(ifn), NMNET_IF_PREFIX "%u", slot);
	rtnl_link_set_name(l, ifn);
	e = rtnl_link_delete(sk, l);
	rtnl_link_put(l);
	return e == -NLE_OBJ_NOTFOUND || e == -NLE_NODEV ? 0 : e;
}

static int nmnet_apply_ruleset(struct nmnet *n, const unsigned char used[NMNET_SLOTS])
{
	char *buf = malloc(NMNET_RULESET_MAX);
	size_t len = 0;
	int rc = buf ? nmnet_ruleset(n, used, buf, NMNET_RULESET_MAX, &len) : -ENOMEM;

	if (rc == 0)
		rc = nmnet_nft(n, buf, len);
	free(buf);
	return rc;
}

static int nmnet_forward_on(void)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0 || write(fd, "1\n", 2) != 2)
		rc = -EPX_E_NM_NET;
	if (fd >= 0)
		close(fd);
	return rc;
}

int nmnet_up(struct nmnet *n, const struct sliver *sl, pid_t pid)
{
	struct nl_sock *sk = NULL, *in = NULL;
	struct rtnl_link *veth = NULL, *peer = NULL;
	struct rtnl_route *rt = NULL;
	struct rtnl_nexthop *nh = NULL;
	struct nl_addr *dst = NULL, *gw = NULL;
	struct nmnet_scan *sc = malloc(sizeof(*sc));
	struct nmnet_plan p;
	char path[64];
	int nsfd = -1, up = nmnet_uplink(n), e = 0, rc = -EPX_E_NM_NET, idx = 0, eth = 0;
	unsigned slot;
	const char *what = "netlink";

	if (!sc)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	sk = nmnet_sock(-1);
	if (up <= 0) {
		what = "uplink";
		goto out;
	}
	if (nsfd < 0 || !sk || nmnet_forward_on() < 0)
		goto out;
	what = "links";
	e = nmnet_scan(sk, sl->name, sc);
	if (e == 0 && sc->found >= 0) {
		/* a veth of an older sliver of the name: gone first */
		e = nmnet_link_del(sk, (unsigned)sc->found);
		sc->used[sc->found] = 0;
	}
	if (e < 0)
		goto out;
	for (slot = 0; slot < NMNET_SLOTS && sc->used[slot]; slot++)
		;
	rc = nmnet_plan(n, slot, sl, 0, 0, &p);
	if (rc < 0) {
		what = "plan";
		goto out;
	}
	n->day[slot].name[0] = '\0';
	rc = -EPX_E_NM_NET;
	what = "veth";
	veth = rtnl_link_veth_alloc();
	peer = veth ? rtnl_link_veth_get_peer(veth) : NULL;
	if (!peer)
		goto out;
	rtnl_link_set_name(veth, p.host_if);
	rtnl_link_set_name(peer, "eth0");
	rtnl_link_set_ns_fd(peer, nsfd);
	e = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (e == 0)
		e = nmnet_link_up(sk, p.host_if, sl->name, &idx);
	if (e == 0) {
		what = "host address";
		e = nmnet_addr_add(sk, idx, p.host_addr, 30);
	}
	if (e < 0)
		goto out;
	what = "sliver namespace";
	in = nmnet_sock(nsfd);
	if (!in)
		goto out;
	e = nmnet_link_up(in, "lo", NULL, &eth);
	if (e == 0)
		e = nmnet_link_up(in, "eth0", NULL, &eth);
	if (e == 0)
		e = nmnet_addr_add(in, eth, p.sliver_addr, 30);
	if (e < 0)
		goto out;
	what = "default route";
	rt = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	dst = nmnet_addr(0, 0);
	gw = nmnet_addr(p.host_addr, 32);
	if (!rt || !nh || !dst || !gw)
		goto out;
	rtnl_route_set_family(rt, AF_INET);
	e = rtnl_route_set_dst(rt, dst);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_nh_set_ifindex(nh, eth);
	rtnl_route_add_nexthop(rt, nh);
	nh = NULL;
	if (e == 0)
		e = rtnl_route_add(in, rt, NLM_F_CREATE | NLM_F_REPLACE);
	if (e < 0)
		goto out;
	what = "htb";
	e = nmnet_root(n, sk, up);
	if (e == 0)
		e = nmnet_class_set(sk, up, &p);
	if (e < 0)
		goto out;
	sc->used[slot] = 1;
	rc = nmnet_apply_ruleset(n, sc->used);
	what = "nft";
	e = 0;
out:
	if (rc < 0)
		nmnet_fail(rc, sl->name, what, e);
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(dst);
	nl_addr_put(gw);
	rtnl_route_put(rt);
	rtnl_link_put(peer);
	rtnl_link_put(veth);
	if (in)
		nl_socket_free(in);
	if (sk)
		nl_socket_free(sk);
	if (nsfd >= 0)
		close(nsfd);
	free(sc);
	return rc;
}

int nmnet_update(struct nmnet *n, const struct sliver *sl, int64_t now)
{
	struct nl_sock *sk = nmnet_sock(-1);
	struct nmnet_scan *sc = malloc(sizeof(*sc));
	struct nmnet_plan p;
	int up = nmnet_uplink(n), e = 0, rc = -EPX_E_NM_NET;

	if (!sk || !sc || up <= 0)
		goto out;
	e = nmnet_scan(sk, sl->name, sc);
	if (e < 0 || sc->found < 0)
		goto out;
	rc = nmnet_plan(n, (unsigned)sc->found, sl,
			nmnet_used(n, sk, up, (unsigned)sc->found, sl->name, now), now, &p);
	if (rc < 0)
		goto out;
	e = nmnet_root(n, sk, up);
	if (e == 0)
		e = nmnet_class_set(sk, up, &p);
	rc = e < 0 ? -EPX_E_NM_NET : 0;
out:
	if (rc < 0)
		nmnet_fail(rc, sl->name, "rates", e);
	if (sk)
		nl_socket_free(sk);
	free(sc);
	return rc;
}

int nmnet_down(struct nmnet *n, const char *name)
{
	struct nl_sock *sk = nmnet_sock(-1);
	struct nmnet_scan *sc = malloc(sizeof(*sc));
	int up = nmnet_uplink(n), e = 0, rc = 0;

	if (!sk || !sc) {
		rc = -EPX_E_NM_NET;
		goto out;
	}
	e = nmnet_scan(sk, name, sc);
	if (e == 0 && sc->found >= 0) {
		e = nmnet_link_del(sk, (unsigned)sc->found);
		if (e == 0 && up > 0)
			e = nmnet_class_del(sk, up, NMNET_ROOT_HANDLE |
					    (NMNET_CLASS_BASE + (unsigned)sc->found));
	}
	if (e < 0)
		rc = nmnet_fail(-EPX_E_NM_NET, name, "network down", e);
out:
	if (sk)
		nl_socket_free(sk);
	free(sc);
	return rc;
}

static const struct sliver *nmnet_live(const struct sliverset *want, const char *name,
				       int64_t now)
{
	size_t i;

	for (i = 0; want && name && i < want->n; i++)
		if (!strcmp(want->sl[i].name, name))
			return want->sl[i].expires > now ? &want->sl[i] : NULL;
	return NULL;
}

int nmnet_sync(struct nmnet *n, const struct sliverset *want, int64_t now)
{
	struct nl_sock *sk = nmnet_sock(-1);
	struct nl_cache *lc = NULL, *cc = NULL;
	struct nl_object *o;
	unsigned char *used = calloc(1, NMNET_SLOTS);
	unsigned slot;
	uint32_t h;
	int up = nmnet_uplink(n), e = -NLE_NOMEM, rc = -EPX_E_NM_NET, x;
	const char *what = "links";

	if (!sk || !used)
		goto out;
	if (up <= 0) {
		what = "uplink";
		goto out;
	}
	e = rtnl_link_alloc_cache(sk, AF_UNSPEC, &lc);
	for (o = e == 0 ? nl_cache_get_first(lc) : NULL; o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const struct sliver *sl;
		struct nmnet_plan p;

		if (!nmnet_slot_of(rtnl_link_get_name(l), &slot))
			continue;
		sl = nmnet_live(want, rtnl_link_get_ifalias(l), now);
		if (!sl) {
			nmrun_log("%s%u: no live sliver %s; removed", NMNET_IF_PREFIX, slot,
				  rtnl_link_get_ifalias(l) ? rtnl_link_get_ifalias(l) : "(none)");
			x = nmnet_link_del(sk, slot);
			e = e < 0 ? e : x;
			continue;
		}
		used[slot] = 1;
		/* the class again: the daily cap may have moved its ceil */
		if (nmnet_plan(n, slot, sl, nmnet_used(n, sk, up, slot, sl->name, now), now, &p) == 0) {
			x = nmnet_root(n, sk, up);
			if (x == 0)
				x = nmnet_class_set(sk, up, &p);
			e = e < 0 ? e : x;
		}
	}
	nl_cache_free(lc);
	if (e < 0)
		goto out;
	what = "classes";
	e = rtnl_class_alloc_cache(sk, up, &cc);
	for (o = e == 0 ? nl_cache_get_first(cc) : NULL; o; o = nl_cache_get_next(o)) {
		h = rtnl_tc_get_handle(TC_CAST((struct rtnl_class *)o));
		if (TC_H_MAJ(h) != NMNET_ROOT_HANDLE || TC_H_MIN(h) < NMNET_CLASS_BASE ||
		    TC_H_MIN(h) >= NMNET_CLASS_BASE + NMNET_SLOTS ||
		    used[TC_H_MIN(h) - NMNET_CLASS_BASE])
			continue;
		nmrun_log("class 1:%x of %s: no sliver; removed", TC_H_MIN(h), n->uplink);
		x = nmnet_class_del(sk, up, h);
		e = e < 0 ? e : x;
	}
	nl_cache_free(cc);
	if (e < 0)
		goto out;
	what = "nft";
	rc = nmnet_apply_ruleset(n, used);
	e = 0;
out:
	if (rc < 0)
		nmnet_fail(rc, "(all)", what, e);
	if (sk)
		nl_socket_free(sk);
	free(used);
	return rc;
}

#ifndef __GLIBC__
/* Debian's libnl-3.a and libnl-route-3.a are built against glibc with
 * _FORTIFY_SOURCE: their few checked calls, for the static musl link of
 * epoxy-nm (node/nm/nm.mk).  Each checks what glibc's would and aborts. */
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int __snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int __vasprintf_chk(char **p, int flag, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int __asprintf_chk(char **p, int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void *__memcpy_chk(void *d, const void *s, size_t n, size_t dlen);

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int k;

	(void)flag;
	va_start(ap, fmt);
	k = vfprintf(f, fmt, ap);
	va_end(ap);
	return k;
}

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	return vfprintf(f, fmt, ap);
}

int __snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	int k;

	(void)flag;
	if (slen < n)
		abort();
	va_start(ap, fmt);
	k = vsnprintf(s, n, fmt, ap);
	va_end(ap);
	return k;
}

int __vasprintf_chk(char **p, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	return vasprintf(p, fmt, ap);
}

int __asprintf_chk(char **p, int flag, const char *fmt, ...)
{
	va_list ap;
	int k;

	(void)flag;
	va_start(ap, fmt);
	k = vasprintf(p, fmt, ap);
	va_end(ap);
	return k;
}

void *__memcpy_chk(void *d, const void *s, size_t n, size_t dlen)
{
	if (dlen < n)
		abort();
	return memcpy(d, s, n);
}
#endif
