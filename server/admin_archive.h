/* admin_archive: the archive's part of the admin API (issue 15 point 3;
 * docs/protocol.md, "Admin API: experiments and data"), under the
 * authentication of server/admin.c.
 *
 *   GET    /admin/v1/experiments              every experiment, one record each
 *   POST   /admin/v1/experiments              name, datatypes, embargo_days, slice
 *   GET    /admin/v1/experiments/NAME         one, with its bundle count and bytes
 *   PATCH  /admin/v1/experiments/NAME         datatypes, embargo_days, slice (any)
 *   DELETE /admin/v1/experiments/NAME         only while no bundle names it
 *   GET    /admin/v1/data?experiment=&node=&since=&until=&limit=&public=
 *                                             recorded bundles, oldest first
 *   GET    /admin/v1/data/NODE/EXPERIMENT/SHA256   the bundle's bytes
 *
 * Guarantees:
 *  - every name, number and filter is checked (lib/label.h, lib/num.h,
 *    lib/hex.h through the store's checks) before the store is touched; a
 *    refusal answers its stable code (EPOXY-E2345..E2350, E2520) and
 *    changes nothing;
 *  - create, set and delete are audited in the store's own transaction,
 *    naming the admin; every read of a bundle's bytes is audited too
 *    ("data.get", with whether it was still under embargo), since it is the
 *    one way embargoed data leaves epoxyd;
 *  - a bundle's bytes are served only for a bundle the store recorded, from
 *    the node's own directory (server/archive.c), whatever its embargo:
 *    the public GET /v1/archive/ stays the only credential-free path. */
#ifndef EPOXY_ADMIN_ARCHIVE_H
#define EPOXY_ADMIN_ARCHIVE_H

struct admin_ctx;

/* Routes a request whose first segment is "experiments" or "data". */
int admin_archive_route(struct admin_ctx *c);

#endif
