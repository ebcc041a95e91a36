/* nmsync: the node manager's copy of its sliver set (issue 14 point 2):
 * what it accepts from epoxyd, what it keeps on the node, and the plan
 * that turns the slivers it has into the ones the set wants.
 *
 * Guarantees:
 *  - a set is accepted only through sliverset_verify (lib/sliverset.h):
 *    signed by the online key of the node's keyset, made for this node,
 *    its serial strictly above the last accepted one (a replayed or older
 *    set is refused with -EPX_E_SLV_SERIAL and changes nothing);
 *  - the cache (DIR/slivers, the exact signed bytes) is replaced only
 *    after the new set verified, by write + fsync + rename + fsync of the
 *    directory: a crash leaves the old set or the new one, never a mix;
 *  - at start the cached set is verified again like any other (a changed
 *    byte, another node's set or a set the keyset does not vouch for is
 *    refused, and the node starts from no set); its serial becomes the
 *    floor, so a restart cannot be walked back either;
 *  - nmsync_plan is a pure function of (want, have, now): every sliver of
 *    have that want lacks, or whose expiry passed, is destroyed; every
 *    sliver of want that have lacks is created; one whose image or entry
 *    changed is destroyed and created again; one whose attributes alone
 *    changed is updated in place; expired slivers of want are not
 *    created.  Names are unique in both (sliverset_verify checks it), so
 *    the plan never names a sliver twice. */
#ifndef EPOXY_NMSYNC_H
#define EPOXY_NMSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sig.h"
#include "lib/sliverset.h"

#define NMSYNC_DIR_MAX 200
#define NMSYNC_CACHE_NAME "slivers"
#define NMSYNC_KEYSET_MAX (64 * 1024)

struct nmsync {
	char dir[NMSYNC_DIR_MAX + 1];
	char node[LABEL_HOST_MAX + 1];
	struct sig_pub online;
	uint64_t serial;                /* of the set accepted last; 0 none */
	struct sliverset *cur;          /* that set (heap), or NULL */
};

enum nmsync_op { NMSYNC_CREATE = 1, NMSYNC_UPDATE, NMSYNC_DESTROY };

struct nmsync_act {
	enum nmsync_op op;
	char name[SLIVERSET_NAME_MAX + 1];
};

/* Loads the online key from the keyset file (a root keyset, checked by
 * its own threshold) for node; the cache lives in dir.  0,
 * -EPX_E_NM_KEYSET or -EPX_E_NM_USAGE (a name too long). */
int nmsync_init(struct nmsync *s, const char *dir, const char *node, const char *keyset);
void nmsync_free(struct nmsync *s);
/* The cached set, verified again.  0 when one was loaded, 1 when there
 * is none, or the verification's error (the cache is then ignored). */
int nmsync_load(struct nmsync *s);
/* Verifies buf (len bytes) as the next set, then caches it and makes it
 * current.  0, a sliverset_verify error or -EPX_E_NM_CACHE. */
int nmsync_accept(struct nmsync *s, const char *buf, size_t len);
/* The actions from have (NULL: nothing runs) to want (NULL: no set) at
 * time now, into acts (cap entries); *n their count.  -ENOSPC when cap is
 * too small (2 * SLIVERSET_MAX_SLIVERS always suffices). */
int nmsync_plan(const struct sliverset *want, const struct sliverset *have, int64_t now,
		struct nmsync_act *acts, size_t cap, size_t *n);
/* Writes dir/name atomically: name.tmp written and fsynced, renamed,
 * then the directory fsynced (dir made 0700 when missing); a crash
 * leaves the old file or the new one.  Also the ticket journal's writer
 * (node/nm/nmticket.h).  0, -EPX_E_NM_USAGE (a name too long) or
 * -EPX_E_NM_CACHE. */
int nmsync_save(const char *dir, const char *name, const char *buf, size_t len);
/* "create", "update" or "destroy". */
const char *nmsync_op_name(enum nmsync_op op);

#endif
