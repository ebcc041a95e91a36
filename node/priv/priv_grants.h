/* priv_grants: which slice a caller is, and what the slice may ask for.
 *
 * The grants file (docs/man/epoxy-priv.8, "GRANTS FILE"), one statement a
 * line, fields separated by exactly one space, '#' lines and empty lines
 * ignored:
 *   slice NAME uid UID        the slice NAME's processes run as host uid UID
 *   grant NAME sock_diag      NAME may have a sock_diag netlink socket
 *   grant NAME file PATH      NAME may open PATH read-only
 *   grant NAME dir PATH       NAME may open any regular file beneath PATH
 * A slice is declared before its grants.  (The node manager will write
 * this file from the sliver set's `grants` lines: docs/slivers.md.)
 *
 * Guarantees:
 * - priv_grants_parse reads exactly t[0..len) (at most PRIV_GRANTS_FILE_MAX
 *   bytes) and either fills *g completely or returns -EPX_E_PRIV_GRANTS
 *   with *line set to the 1-based line that failed (0: the whole file);
 *   names pass lib/label.h's LABEL_TAG, uids lib/num.h (1..2^31-1: uid 0
 *   is never a slice), paths priv_req_path;
 * - it refuses a duplicate slice name, a uid given to two slices, a grant
 *   for an undeclared slice, a grant repeated, a path among the node's
 *   secrets (grant_denied), and more than PRIV_SLICES_MAX slices or
 *   PRIV_GRANTS_MAX grants;
 * - lookups never allocate; priv_grants_uid answers -1 for a uid of no
 *   slice; priv_grants_allow answers 0 and the grant that allows req, or
 *   -EPX_E_PRIV_NOGRANT (an open matches a file grant exactly or lies
 *   strictly beneath a dir grant, by whole components). */
#ifndef EPOXY_PRIV_GRANTS_H
#define EPOXY_PRIV_GRANTS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/label.h"
#include "node/priv/priv_req.h"

#define PRIV_GRANTS_FILE_MAX (1 << 20)   /* 256 slices of 8 long grants fit */
#define PRIV_SLICES_MAX 256
#define PRIV_GRANTS_MAX 1024
#define PRIV_UID_MAX 2147483647u

enum priv_kind {
	PRIV_KIND_SOCK_DIAG = 1,
	PRIV_KIND_FILE,
	PRIV_KIND_DIR,
};

struct priv_slice {
	char name[LABEL_TAG_MAX + 1];
	uint32_t uid;
};

struct priv_grant {
	unsigned slice;                 /* index into slices[] */
	enum priv_kind kind;
	size_t path_len;
	char path[PRIV_PATH_MAX + 1];
};

struct priv_grants {
	unsigned nslices, ngrants;
	struct priv_slice slices[PRIV_SLICES_MAX];
	struct priv_grant grants[PRIV_GRANTS_MAX];
};

int priv_grants_parse(struct priv_grants *g, const char *t, size_t len, unsigned *line);
int priv_grants_uid(const struct priv_grants *g, uint32_t uid);
int priv_grants_allow(const struct priv_grants *g, unsigned slice,
		      const struct priv_req *req, const struct priv_grant **out);

#endif
