/* nmsvc: the archive-only certificate (epoxy-nm join --service-cert DIR).
 *
 * The measurement sliver's epoxy-pusher uploads to epoxyd's archive and
 * needs a client certificate for it.  The node manager's own key never
 * leaves its memory (nmid.h), and no certificate that passes for the
 * node may reach a sliver; so the node manager asks epoxyd's archive-cert
 * endpoint, over its mutual TLS, for an archive-only certificate of the
 * same host on a fresh key (server/nodeid.h: CN=<host>, OU=epoxy-archive,
 * accepted by the archive's upload endpoints alone), and writes that pair
 * here.  It expires with node_cert_ttl and dies with the host's
 * revocation like the manager's own.  A sliver whose slice holds the
 * grant archive sees DIR read-only at NMSVC_MOUNT with NMSVC_GID as a
 * supplementary group (node/nm/nmrun.h); no other sliver sees it.
 *
 * Guarantees: DIR must be an absolute path of a directory owned by root
 * and writable by nobody else (else -EPX_E_NM_SVCCERT, nothing written);
 * nmsvc_prepare, once at start-up, makes DIR root:NMSVC_GID 0750 and
 * removes a node.key or node.crt found there (the full node certificate
 * of older releases: never in a directory a sliver sees); nmsvc_write,
 * at each archive certificate, checks DIR again and only writes
 * DIR/archive.key and DIR/archive.crt, root:NMSVC_GID 0640, through a temporary file (O_EXCL,
 * O_NOFOLLOW), fsync'ed and renamed over the old ones, the key first: a
 * reader that opens both between the two renames may see a pair that
 * does not match and must retry; the key's PEM buffer is wiped; no
 * function here prints. */
#ifndef EPOXY_NMSVC_H
#define EPOXY_NMSVC_H

#include <stddef.h>

#include "node/nm/nmid.h"

#define NMSVC_DIR_MAX 200
#define NMSVC_MOUNT "/run/epoxy-archive"     /* DIR, in a granted sliver */
#define NMSVC_GID 199999                     /* the group that reads the pair:
					      * below every sliver's uid
					      * (NMPRIV_UID_BASE 200000) */
#define NMSVC_KEY "archive.key"
#define NMSVC_CRT "archive.crt"

/* Checks dir (see above).  0 or -EPX_E_NM_SVCCERT. */
int nmsvc_dir_check(const char *dir);
/* Once at start-up: DIR's owner and mode, an older release's node pair
 * removed (see above).  0 or -EPX_E_NM_SVCCERT. */
int nmsvc_prepare(const char *dir);
/* Writes id's key and the certificate crt (crt_len bytes of PEM) into
 * dir.  0, -EPX_E_NM_SVCCERT or -EPX_E_NM_KEY. */
int nmsvc_write(const char *dir, struct nmid *id, const char *crt, size_t crt_len);

#endif
