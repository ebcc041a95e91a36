/* fleetsd: the Prometheus file-based service-discovery document of the
 * fleet (issue 15 point 4): GET /admin/v1/fleet/sd on the admin API, and
 * `epoxyctl fleet sd`, which writes it where Prometheus's file_sd_configs
 * reads it.
 *
 * The document is Prometheus's file_sd JSON: an array with one target
 * group per joined node,
 *   {"targets": ["HOST:PORT"], "labels": {"site": S, "host": HOST, "release": V}}
 * HOST the node's enrolled name (a DNS name, lib/label.h LABEL_HOST),
 * PORT epoxyd's sd_metrics_port (the port the nodes serve /metrics on:
 * no node tells epoxyd its port), "release" only when the node ever
 * opened a boot session (its newest session's version).
 *
 * Guarantees:
 *  - exactly the hosts whose state is "joined" (their first authenticated
 *    heartbeat, store_nodecert_heartbeat), through server/fleet.c's one
 *    query, sorted by site then name, each once;
 *  - every string goes through lib/record.h's JSON writer
 *    (record_json_str): whatever bytes a label holds, the document is
 *    valid JSON and UTF-8, and a value cannot add a key or a target;
 *  - never a partial list: more joined hosts than FLEET_HOSTS_MAX is
 *    -EPX_E_SD_TOOMANY (a partial list would make Prometheus drop the
 *    targets left out without a word);
 *  - the document is at most FLEETSD_MAX bytes; *out is malloc'd (the
 *    caller frees), NUL-terminated, and ends with "]\n". */
#ifndef EPOXY_FLEETSD_H
#define EPOXY_FLEETSD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

#define FLEETSD_PORT_DEFAULT 9100       /* node_exporter's, see epoxyd(8) */
/* one group is under 300 bytes: names and site are capped labels */
#define FLEETSD_MAX ((size_t)4096 * 400 + 16)

/* Writes one target group (no separator) to f.  release 0: no release
 * label. */
void fleetsd_group(FILE *f, const char *host, const char *site,
		   uint32_t release, unsigned port);

/* The whole document of the joined hosts of s.  Returns 0 with *out and
 * *len set, -EPX_E_SD_TOOMANY, -ENOMEM, or the store's code. */
int fleetsd_render(struct store *s, unsigned port, char **out, size_t *len);

#endif
