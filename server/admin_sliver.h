/* admin_sliver: where every sliver runs and what it uses (issue 14 point
 * 7; docs/protocol.md "Admin API: slivers"), under the authentication of
 * server/admin.c.
 *
 *   GET /admin/v1/slivers[?node=HOST | ?slice=NAME]
 *
 * One record per sliver of each host: the slivers the SliceDB gives the
 * host (store_sliver_list) merged with those its last sensor snapshot
 * names (store_usage_get), sorted by host then sliver:
 *   node, sliver, state  running      given and in the snapshot
 *                        unreported   given, not in the host's snapshot
 *                        no-snapshot  given, the host never sent one
 *                        unassigned   in the snapshot, not given (a
 *                                     ticket's sliver, or one going away)
 *   cpu_us cpu_s mem_bytes tasks disk_bytes tx_bytes rx_bytes
 *                        the snapshot's values, "" where absent
 *   net, at, received, age  the snapshot's network flag, the node's time
 *                        of it, the server's time it came and its age in
 *                        seconds ("" without a snapshot)
 *
 * Guarantees: the filters are checked before the store is touched (one of
 * them at most, a host or slice name: -EPX_E_USG_FILTER; an unknown host:
 * -EPX_E_ADM_NOHOST); at most ADMIN_SLIVER_MAX records
 * (-EPX_E_USG_TOOMANY); a stored snapshot is parsed again by lib/usage.h
 * before any of it is shown; nothing is changed. */
#ifndef EPOXY_ADMIN_SLIVER_H
#define EPOXY_ADMIN_SLIVER_H

#define ADMIN_SLIVER_MAX 10000

struct admin_ctx;

/* Routes a request whose first segment is "slivers". */
int admin_sliver_route(struct admin_ctx *c);

#endif
