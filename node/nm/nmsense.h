/* nmsense: the node manager's sensors (issue 14 point 7, PlanetLab's
 * slicestat our way): each running sliver's usage read from the kernel,
 * as a snapshot (lib/usage.h) that the local API serves as JSON and as
 * Prometheus text (epoxy-nm usage [--prometheus]) and the heartbeat
 * carries to epoxyd.
 *
 * Where each value comes from (docs/guide/75-node-manager.md "Sensors"):
 *   cpu_us, mem_bytes, tasks  the sliver's cgroup v2 directory where crun
 *              puts it with --cgroup-manager cgroupfs:
 *              CGROOT NMRUN_CGROUP_PARENT/NAME (nmrun.h), its cpu.stat
 *              usage_usec, memory.current, pids.current;
 *   disk_bytes the sliver's writable directory DATA/NAME/out (nmrun.h):
 *              its project quota's usage when the directory has a project
 *              id and the file system a quota for it, else a walk (bytes
 *              of allocated blocks, no symlink followed, one file system);
 *   tx_bytes, rx_bytes  the host side of its veth (nmnet.h: the
 *              interface epx<slot> whose alias is the sliver's name):
 *              what the host side receives the sliver sent.
 *
 * Guarantees:
 *  - absent is never 0: with --cgroup-manager disabled there is no
 *    per-sliver cgroup and cpu_us, mem_bytes and tasks are absent for
 *    every sliver; a missing cgroup, file or controller, a malformed file
 *    (-EPX_E_NM_SENSE_FILE), a walk past NMSENSE_WALK_MAX entries
 *    (-EPX_E_NM_SENSE_DISK) leave that value absent and set the sliver's
 *    err (the first code); without a sliver network (no --uplink) a
 *    sliver has no interface and tx_bytes, rx_bytes are a measured 0
 *    (usage.net = 0 says so);
 *  - every kernel file is read with one read of at most
 *    NMSENSE_FILE_MAX bytes; more is malformed; the parsers read exactly
 *    buf[0..len) and accept one spelling (lib/num.h numbers);
 *  - nothing is written anywhere; a sliver is read by name only (names
 *    are checked by sliverset_name_ok first). */
#ifndef EPOXY_NMSENSE_H
#define EPOXY_NMSENSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/usage.h"

#define NMSENSE_PATH_MAX 200
#define NMSENSE_FILE_MAX 4096           /* bytes of one kernel file */
#define NMSENSE_WALK_MAX 100000         /* entries of one disk walk */
#define NMSENSE_CGROOT_DEFAULT "/sys/fs/cgroup"
#define NMSENSE_NETROOT_DEFAULT "/sys/class/net"
#define NMSENSE_MAX_AGE_MS 2000         /* an API answer reuses a younger snapshot */

struct nmsense {
	char cgroot[NMSENSE_PATH_MAX + 1];      /* "": no per-sliver cgroup */
	char data[NMSENSE_PATH_MAX + 1];        /* nmrun's DATA */
	char netroot[NMSENSE_PATH_MAX + 1];     /* "": no sliver network */
};

/* The first error of each sliver of a snapshot, for the JSON. */
struct nmsense_errs {
	int err[USAGE_SLIVERS_MAX];
};

/* Copies the roots (cgroot, netroot NULL: off).  0 or -EPX_E_NM_USAGE. */
int nmsense_init(struct nmsense *s, const char *cgroot, const char *data,
		 const char *netroot);
/* "usage_usec N" among cpu.stat's "KEY N" lines. */
int nmsense_cpu_stat(const char *buf, size_t len, uint64_t *usec);
/* One decimal and a newline (memory.current, pids.current, rx_bytes). */
int nmsense_number(const char *buf, size_t len, uint64_t *v);
/* One sliver's values; 0 or its first error (the values read still set). */
int nmsense_sliver(const struct nmsense *s, const char *name, struct usage_sliver *out);
/* Those of the slivers names[0..n) (sorted here) that run (nmrun wrote
 * DATA/NAME/state: crun started it) into u at now; errs may be NULL.
 * 0 or the first sliver's error (u complete all the same). */
int nmsense_snapshot(const struct nmsense *s, char (*names)[SLIVERSET_NAME_MAX + 1], size_t n,
		     int64_t now, struct usage *u, struct nmsense_errs *errs);
/* The snapshot as JSON ({"at": ..., "slivers": [...]}, absent: null). */
void nmsense_json(const struct usage *u, const struct nmsense_errs *errs, int cgroup,
		  FILE *f);
/* The snapshot as Prometheus text exposition 0.0.4 (absent: no sample). */
void nmsense_prom(const struct usage *u, FILE *f);

#endif
