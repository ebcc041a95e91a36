/* nmpriv: each sliver's own uid, and the grants file the node manager
 * writes for epoxy-priv (issue 14 point 6; docs/man/epoxy-priv.8, "GRANTS
 * FILE"), so the slice attribute `grants` reaches the service that hands
 * out descriptors, and the service knows a sliver by the uid it runs as.
 *
 * Guarantees:
 * - nmpriv_uids gives every live sliver of want (expires > now; others
 *   get 0) a uid in [base, base + NMPRIV_UIDS): the owner of its bundle's
 *   out/ (DATA/NAME/out) when that owner is in the range, so a sliver
 *   keeps its uid across restarts of the node manager, kill -9 and
 *   reboots (the file system remembers it, as it remembers nmdisk's
 *   project ids); else the lowest uid that no out/ under DATA and no
 *   sliver of this pass owns.  Two live slivers never share a uid (a
 *   second sliver claiming an owner already given is given a new one).
 *   -EPX_E_NM_UID when the range is full; nothing is written;
 * - nmpriv_format writes, for each live sliver in the set's order,
 *   "slice NAME uid UID" and then one "grant NAME ..." line per grant
 *   of its `grants` (sock_diag, file PATH, dir PATH; each checked again
 *   by lib/grant.h), exactly what node/priv/priv_grants.h parses; at most
 *   cap bytes (-EPX_E_NM_GRANTS past it);
 * - nmpriv_write replaces path with that text only when it changed:
 *   path.tmp, fsync, rename, fsync of the directory (epoxy-priv, which
 *   re-reads the file when it changes, sees the old whole file or the new
 *   whole file, never a part), mode 0600 root.  -EPX_E_NM_GRANTS on any
 *   failure (the old file stays). */
#ifndef EPOXY_NMPRIV_H
#define EPOXY_NMPRIV_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sliverset.h"

#define NMPRIV_UID_BASE 200000u         /* --uid-base's default */
#define NMPRIV_UIDS 1024u               /* uids from the base */
#define NMPRIV_UID_BASE_MAX (2147483647u - NMPRIV_UIDS)
/* where a granted sliver finds epoxy-priv's socket directory */
#define NMPRIV_MOUNT "/run/epoxy-priv"
#define NMPRIV_SOCKET NMPRIV_MOUNT "/priv.sock"
/* the grants file's cap: every sliver at its longest name and grants */
#define NMPRIV_FILE_MAX (SLIVERSET_MAX_SLIVERS * (48 + SLIVERSET_NAME_MAX + \
				GRANT_MAX * (16 + SLIVERSET_NAME_MAX + GRANT_PATH_MAX)))

int nmpriv_uids(const char *data, uint32_t base, const struct sliverset *want, int64_t now,
		uint32_t uids[SLIVERSET_MAX_SLIVERS]);
int nmpriv_format(const struct sliverset *want, int64_t now,
		  const uint32_t uids[SLIVERSET_MAX_SLIVERS], char *out, size_t cap, size_t *len);
int nmpriv_write(const char *path, const struct sliverset *want, int64_t now,
		 const uint32_t uids[SLIVERSET_MAX_SLIVERS]);

#endif
