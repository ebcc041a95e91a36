/* newc: the cpio newc ("070701") archive format the kernel unpacks from an
 * initramfs, for the handover archive.
 *
 * Guarantees (writer): entries with fixed mtime 0, uid/gid 0, names and
 * data padded to 4 bytes, ending in TRAILER!!!; appends only at offsets at
 * or after the caller's start offset.  Guarantees (reader): never reads
 * outside the buffer, refuses names over NEWC_NAME_MAX, sizes past the end,
 * and more than NEWC_ENTRIES_MAX entries. */
#ifndef EPOXY_STAGE2_NEWC_H
#define EPOXY_STAGE2_NEWC_H

#include <stddef.h>
#include <stdint.h>

#define NEWC_NAME_MAX 256
#define NEWC_ENTRIES_MAX 256
#define NEWC_HDR_LEN 110

struct newc_out {
	int fd;
	uint64_t off;           /* next write offset in fd */
	uint32_t ino;
};

/* Appends one entry (regular file if data != NULL or mode is S_IFREG,
 * directory for S_IFDIR).  Returns 0 or -errno. */
int newc_add(struct newc_out *w, const char *name, uint32_t mode,
	     const void *data, size_t len);
int newc_trailer(struct newc_out *w);

struct newc_entry {
	const char *name;       /* NUL-terminated inside the buffer */
	uint32_t mode;
	const uint8_t *data;
	size_t len;
};

/* Walks the archive at buf[*pos..len): fills e and advances *pos.
 * Returns 1 for an entry, 0 at the trailer, -EPX_E_CPIO on malformed
 * input.  Zero padding between concatenated archives is skipped. */
int newc_next(const uint8_t *buf, size_t len, size_t *pos,
	      struct newc_entry *e);
/* Finds name in the archive (last occurrence wins, like the kernel).
 * Returns 0, -ENOENT or -EPX_E_CPIO. */
int newc_find(const uint8_t *buf, size_t len, const char *name,
	      struct newc_entry *out);

#endif
