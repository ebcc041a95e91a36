/* nmsvc: the node services' certificate (epoxy-nm join --service-cert DIR).
 *
 * The node's services that talk to epoxyd themselves (epoxy-pusher
 * uploading to the archive) need a client certificate of the node.  The
 * node manager's own key never leaves its memory (nmid.h); for the
 * services it asks epoxyd's renewal endpoint, over its mutual TLS, for a
 * second certificate of the same host on a second, fresh key, and writes
 * that pair here.  Both expire with node_cert_ttl and die with the host's
 * revocation like the manager's own.
 *
 * Guarantees: DIR must be an absolute path of a directory owned by root
 * and writable by nobody else (else -EPX_E_NM_SVCCERT, nothing written);
 * DIR/node.key and DIR/node.crt are written 0600 through a temporary file
 * (O_EXCL, O_NOFOLLOW), fsync'ed and renamed over the old ones, the key
 * first: a reader that opens both between the two renames may see a pair
 * that does not match and must retry; the key's PEM buffer is wiped; no
 * function here prints. */
#ifndef EPOXY_NMSVC_H
#define EPOXY_NMSVC_H

#include <stddef.h>

#include "node/nm/nmid.h"

#define NMSVC_DIR_MAX 200

/* Checks dir (see above).  0 or -EPX_E_NM_SVCCERT. */
int nmsvc_dir_check(const char *dir);
/* Writes id's key and the certificate crt (crt_len bytes of PEM) into
 * dir.  0, -EPX_E_NM_SVCCERT or -EPX_E_NM_KEY. */
int nmsvc_write(const char *dir, struct nmid *id, const char *crt, size_t crt_len);

#endif
