/* hwscan: what the node is, for the inventory report of the session
 * request (issue 16 point 3; lib/inventory.h is the report's codec,
 * docs/protocol.md "Inventory").
 *
 * Guarantees:
 * - reads only files under root ("" on a node: /proc/cpuinfo,
 *   /proc/meminfo, /sys/class/dmi/id, /sys/block, /sys/class/net) and the
 *   SecureBoot variable under efivars, each at most HWSCAN_FILE_MAX bytes;
 *   numbers go through lib/num.h, nothing else parses one;
 * - what it cannot read, or what is not valid for the report (a text not
 *   printable ASCII is kept with '?' for each such byte and cut to
 *   NODEPROTO_INV_TEXT_MAX; a name, MAC or number out of its class is
 *   dropped), is absent, never guessed;
 * - disks are the entries of /sys/block with a device (no loop, ram or
 *   dm devices), NICs those of /sys/class/net with a device (no lo, no
 *   bridges); at most NODEPROTO_INV_DISKS_MAX and NODEPROTO_INV_NICS_MAX
 *   of them, sorted by name (the rest counted in *dropped);
 * - hwscan_report's text passed inventory_parse, the parser epoxyd runs,
 *   before it is returned: the agent never sends a report epoxyd refuses. */
#ifndef EPOXY_STAGE2_HWSCAN_H
#define EPOXY_STAGE2_HWSCAN_H

#include <stddef.h>

#include "lib/inventory.h"

#define HWSCAN_FILE_MAX (1024 * 1024)   /* /proc/cpuinfo of a big machine */
#define HWSCAN_SB_VAR "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* Fills inv.  Returns 0, or -EPX_E_HWSCAN_NONE when nothing at all could
 * be read (inv then holds only the empty node record). */
int hwscan_collect(const char *root, const char *efivars, struct inventory *inv,
		   size_t *dropped);
/* hwscan_collect, then the report's text into out[0..cap) (cap >=
 * NODEPROTO_INV_MAX + 1), checked by inventory_parse.  Returns 0,
 * -EPX_E_HWSCAN_NONE or -EPX_E_HWSCAN_SELF (*len 0 then). */
int hwscan_report(const char *root, const char *efivars, struct inventory *inv,
		  char *out, size_t cap, size_t *len, size_t *dropped);

#endif
