/* kfile: small file helpers for the offline key and release commands
 * (epoxyctl keys, epoxyctl release sign|verify, epoxy-keys). */
#ifndef EPOXY_KFILE_H
#define EPOXY_KFILE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/keyset.h"

/* Reads a whole regular file of at most cap bytes into a malloc'd,
 * NUL-terminated buffer.  Returns 0, -EFBIG if larger, or -errno. */
int kfile_read(const char *path, size_t cap, char **buf, size_t *len);
/* Writes buf to path via a temporary file and rename (never a half-written
 * file); mode applies to the new file.  Returns 0 or -errno. */
int kfile_write(const char *path, const void *buf, size_t len, unsigned mode);
/* Streams a file through SHA-256; refuses files larger than cap
 * (-EFBIG) or that change size while read (-EIO). */
int kfile_sha256(const char *path, uint64_t cap, uint64_t *len, uint8_t out[32]);
/* Loads the root keyset and walks each rotation in order; on failure *which
 * names the file that was refused. */
int kfile_keyset_chain(const char *root, char *const *rot, size_t nrot,
		       struct keyset *ks, const char **which);
/* Reads a public key: a ".pub" file ("<keyid> <pubhex>"), or a private key
 * file (its public half is used).  Returns 0 or a negative code. */
int kfile_pub(const char *path, struct sig_pub *pk);

#endif
