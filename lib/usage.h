/* usage: a node's sensor snapshot, the per-sliver usage the node manager
 * reads from the kernel (node/nm/nmsense.h) and sends with each heartbeat
 * as the form field "usage" (lib/nodeproto.h, docs/protocol.md "Sliver
 * usage"); epoxyd parses it (server/nodeapi.c) and stores it canonical.
 *
 * Format (one line, fields joined by one space; one spelling each):
 *   usage 1 at=UNIX net=on|off[ NAME=CPU,MEM,TASKS,DISK,TX,RX]...
 * UNIX: the node's clock when it took the snapshot (0..USAGE_AT_MAX);
 * net: off when the node manager runs without a sliver network (TX and RX
 * are then 0: a sliver has no interface); one NAME= per running sliver
 * (lib/sliverset.h's names), names strictly ascending, at most
 * USAGE_SLIVERS_MAX; each of the six values is a lib/num.h decimal in
 * 0..USAGE_VALUE_MAX or "-" when the node could not measure it (no
 * cgroup of that sliver, a malformed kernel file): absent is never 0.
 *   CPU   microseconds of CPU (cgroup v2 cpu.stat usage_usec)
 *   MEM   bytes (memory.current)      TASKS  tasks (pids.current)
 *   DISK  bytes of the sliver's writable directory (quota or walk)
 *   TX    bytes the sliver sent       RX     bytes it received
 *
 * Guarantees: usage_parse reads exactly buf[0..len), refuses more than
 * USAGE_BYTES_MAX bytes (-EPX_E_USG_TOOBIG) and anything but the format
 * above (-EPX_E_USG_SYNTAX: unknown or reordered fields, a second
 * spelling of a number, duplicate or unordered names, too many slivers);
 * on failure *out is zeroed.  usage_format writes exactly what
 * usage_parse accepts (round trip), or refuses a struct that breaks a
 * rule (-EPX_E_USG_SYNTAX) or does not fit (-EPX_E_CODEC_SPACE). */
#ifndef EPOXY_USAGE_H
#define EPOXY_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sliverset.h"

#define USAGE_MAGIC "usage 1"
#define USAGE_SLIVERS_MAX SLIVERSET_MAX_SLIVERS
#define USAGE_VALUE_MAX ((uint64_t)1 << 62)
#define USAGE_AT_MAX 253402300799LL             /* 9999-12-31T23:59:59Z */
/* the magic, at= and net=, and each sliver at its longest */
#define USAGE_BYTES_MAX (64 + USAGE_SLIVERS_MAX * (SLIVERSET_NAME_MAX + 2 + 6 * 20))

enum usage_value { USAGE_CPU_US, USAGE_MEM, USAGE_TASKS, USAGE_DISK, USAGE_TX, USAGE_RX,
	USAGE_N };

/* "cpu_us", "mem_bytes", "tasks", "disk_bytes", "tx_bytes", "rx_bytes":
 * the one spelling of each value in records and JSON */
extern const char *const usage_names[USAGE_N];

struct usage_sliver {
	char name[SLIVERSET_NAME_MAX + 1];
	unsigned have;                  /* bit v: value v measured */
	uint64_t v[USAGE_N];            /* 0 where not measured */
};

struct usage {
	int64_t at;
	int net;                        /* 1: the slivers have a network */
	size_t n;
	struct usage_sliver sl[USAGE_SLIVERS_MAX];
};

int usage_parse(struct usage *out, const char *buf, size_t len);
int usage_format(const struct usage *u, char *out, size_t cap, size_t *len);
/* The sliver of u named name, or NULL. */
const struct usage_sliver *usage_find(const struct usage *u, const char *name);

#endif
