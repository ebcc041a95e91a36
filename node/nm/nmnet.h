/* nmnet: a sliver's network (issue 14 point 5): its own network
 * namespace (the one crun made for the container) with one veth pair,
 * its outbound traffic shaped by HTB on the node's uplink and NATed by
 * nftables.  Off unless epoxy-nm is given --uplink.
 *
 * The plan of a sliver, from its slot (0 .. NMNET_SLOTS-1; the lowest slot
 * free when the sliver is made, kept for its life, recorded as the
 * host-side interface's name and found again by its alias, the sliver's
 * name):
 *   host side  "epx<slot>" in the node's namespace, alias = sliver name,
 *              address RANGE + 4*slot + 1 / 30;
 *   sliver     "eth0" in the container's namespace, RANGE + 4*slot + 2 / 30,
 *              default route via the host side, lo up;
 *   HTB        on the uplink: root qdisc 1: (default 0: the node's own
 *              traffic is not shaped), root class 1:1 at --node-rate, one
 *              class 1:(0x100+slot) per sliver, rate net_min_rate (at least
 *              NMNET_RATE_FLOOR) and ceil net_max_rate (0: the node rate),
 *              both clamped to the node rate, in bit/s (netlink takes
 *              bytes/s: /8); the daily cap lowers the ceil (nmnet_ceil);
 *   nftables   one table, ip epoxy_nm, of ours alone, replaced whole in one
 *              transaction at every change: masquerade of RANGE out of the
 *              uplink; in forward, the packets of epx<slot> get
 *              meta priority 1:(0x100+slot) (HTB classifies by it), and
 *              any packet of a sliver to anything but the uplink is
 *              dropped (no sliver to sliver); in input, a sliver's packets
 *              to the node itself are dropped (but answers to the node's
 *              own connections).
 *
 * Guarantees:
 *  - links, addresses, routes, the qdisc and classes go through netlink
 *    (libnl-route-3), the ruleset through nft's JSON input; no tool's
 *    text output is ever parsed;
 *  - only interfaces named epx<digits>, classes 1:0x100..1:0x1ff of the
 *    uplink, the uplink's root qdisc and the table ip epoxy_nm are ever
 *    changed or removed;
 *  - nmnet_sync removes every veth whose alias is not a live sliver of
 *    the set, every sliver class without its veth, and rebuilds the
 *    table from the veths left: after a kill -9 at any point, the next
 *    reconciliation leaves no orphan (a sliver's veth also dies with its
 *    namespace);
 *  - a range is A.B.C.D/N with each number in lib/num.h's one spelling,
 *    N in 8..NMNET_PLEN_MAX (room for NMNET_SLOTS /30s), host bits zero. */
#ifndef EPOXY_NMNET_H
#define EPOXY_NMNET_H

#include <stdint.h>
#include <sys/types.h>

#include "lib/sliverset.h"

#define NMNET_SLOTS 256
#define NMNET_PLEN_MAX 22               /* 256 /30s */
#define NMNET_RANGE_DEFAULT "10.213.0.0/22"
#define NMNET_NFT_DEFAULT "/usr/sbin/nft"
#define NMNET_IF_PREFIX "epx"
#define NMNET_TABLE "epoxy_nm"
#define NMNET_CLASS_BASE 0x100
#define NMNET_RATE_FLOOR 8000ULL        /* bit/s: a class's least rate */
#define NMNET_NODE_RATE_MIN 64000ULL
#define NMNET_NODE_RATE_MAX 400000000000ULL     /* 400 Gbit/s */
#define NMNET_DAY 86400
#define NMNET_PATH_MAX 200
#define NMNET_IFNAME_MAX 15

enum { NMNET_MIN_RATE = 5, NMNET_MAX_RATE = 6, NMNET_BYTES_DAY = 7 };

struct nmnet_range {
	uint32_t net;                   /* host byte order */
	unsigned plen;
};

struct nmnet_plan {
	unsigned slot;
	char host_if[NMNET_IFNAME_MAX + 1];
	uint32_t host_addr, sliver_addr;        /* host byte order, /30 */
	uint32_t classid;               /* 1:(0x100+slot) */
	uint64_t rate, ceil;            /* bit/s */
};

/* the daily byte count of a slot (bwmon's period) */
struct nmnet_day {
	char name[SLIVERSET_NAME_MAX + 1];
	int64_t start;                  /* UTC day start, 0: none */
	uint64_t base;                  /* the class's byte counter then */
};

struct nmnet {
	char uplink[NMNET_IFNAME_MAX + 1];
	uint64_t node_rate;             /* bit/s */
	struct nmnet_range range;
	char nft[NMNET_PATH_MAX + 1];
	struct nmnet_day day[NMNET_SLOTS];
};

/* "A.B.C.D/N" -> r.  0 or -EPX_E_NM_NETRANGE. */
int nmnet_range_parse(const char *s, size_t n, struct nmnet_range *r);
/* The plan of sl at slot on n at now: addresses, class, rate and ceil
 * (used: the class's bytes so far today).  0, -EPX_E_NM_NETFULL (slot out
 * of range), -EPX_E_NM_NETRATE (net_min_rate > net_max_rate, both set). */
int nmnet_plan(const struct nmnet *n, unsigned slot, const struct sliver *sl, uint64_t used,
	       int64_t now, struct nmnet_plan *p);
/* bwmon's daily cap: the ceil in bit/s for max (bit/s, the configured
 * ceil), a cap of day_bytes (0: none), used bytes elapsed seconds into
 * the day: max until 80 % of the cap is used, then (cap - used) * 8 /
 * (NMNET_DAY - elapsed), never above max nor below floor. */
uint64_t nmnet_ceil(uint64_t max, uint64_t day_bytes, uint64_t used, int64_t elapsed,
		    uint64_t floor);
/* Checks and keeps the options: uplink an interface name, node_rate in
 * NMNET_NODE_RATE_MIN..MAX, range, nft an absolute path.  No netlink yet.
 * 0 or -EPX_E_NM_USAGE / -EPX_E_NM_NETRANGE. */
int nmnet_init(struct nmnet *n, const char *uplink, const char *node_rate, const char *range,
	       const char *nft);
/* The sliver's network into the namespace of pid (crun's container,
 * created, not yet started): veth, addresses, route, class, ruleset. */
int nmnet_up(struct nmnet *n, const struct sliver *sl, pid_t pid);
/* New rates of a running sliver: its class changed in place. */
int nmnet_update(struct nmnet *n, const struct sliver *sl, int64_t now);
/* The sliver's veth and class, if any. */
int nmnet_down(struct nmnet *n, const char *name);
/* Orphans removed (see above), the qdisc and root class made, every live
 * sliver's class set again (the daily cap moves its ceil), the ruleset
 * rebuilt.  want NULL: no sliver. */
int nmnet_sync(struct nmnet *n, const struct sliverset *want, int64_t now);
/* The nft JSON of the table for the slots marked in used (tests). */
int nmnet_ruleset(const struct nmnet *n, const unsigned char used[NMNET_SLOTS], char *buf,
		  size_t cap, size_t *len);

#endif
