/* cpio: write an initramfs spec as a reproducible cpio newc archive.
 *
 * Guarantees: entries are written in the spec's sorted order; every entry
 * has uid/gid 0, the given mtime, inode numbers 1..n in order and nlink 1
 * (2 for directories), except that a file's hard links (hlink) share its
 * inode number and nlink (its names), and only the last of the names in
 * that order carries the bytes (the others are empty, as newc wants); so
 * the bytes depend only on the spec, the source files' contents and the
 * mtime; the compressed stream carries no time
 * stamp or file name.  Each source must be a regular file within
 * CPIO_MAX_FILE bytes, the archive within CPIO_MAX_TOTAL (the manifest's
 * cap for an initramfs).  The output is written to a temporary file next to
 * out and renamed over it only when complete. */
#ifndef EPOXY_CPIO_H
#define EPOXY_CPIO_H

#include <stdint.h>

#include "initramfs/initspec.h"

#define CPIO_MAX_FILE  (256ULL * 1024 * 1024)
#define CPIO_MAX_TOTAL (512ULL * 1024 * 1024)
#define CPIO_MAX_MTIME 0xffffffffULL	/* newc stores 8 hex digits */

enum cpio_compress {
	CPIO_NONE = 0,
	CPIO_GZIP,
	CPIO_ZSTD,
};

struct cpio_stats {
	uint64_t entries;
	uint64_t raw_bytes;		/* cpio newc, before compression */
	uint64_t out_bytes;		/* as written */
};

/* Parses "none", "gzip" or "zstd" into *out; -EINVAL otherwise. */
int cpio_compress_parse(const char *name, enum cpio_compress *out);

/* Writes spec to out.  Relative sources are looked up under root (NULL:
 * the current directory), absolute ones as they are.  Returns 0, or
 * -EPX_E_IS_SOURCE / -EPX_E_IS_TOOBIG / -EPX_E_IS_ARCHIVE / -errno; on
 * failure *failed (if not NULL) names the entry path that failed (points
 * into spec) and out is left untouched. */
int cpio_write(const struct initspec *spec, const char *root, const char *out,
	       enum cpio_compress comp, uint64_t mtime, struct cpio_stats *st,
	       const char **failed);

#endif
