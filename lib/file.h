/* file: read a small file whole into a caller's buffer; write a buffer
 * whole to a descriptor, at its offset or at a given one; replace a file
 * whole.
 *
 * Guarantees: never writes past cap bytes; retries reads cut by a signal;
 * the descriptor is closed on every path.  It does not judge the length:
 * a result of cap means "cap bytes or more", and each caller refuses that
 * against its own named cap (and terminates the text if it wants one).
 * file_replace leaves path as it was or holding exactly buf: it writes
 * path.tmp (0600, never through a link), fsyncs it, renames it over path
 * and fsyncs the directory; a failure removes path.tmp. */
#ifndef EPOXY_FILE_H
#define EPOXY_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Reads up to cap bytes of path into buf.  Returns the count (0..cap),
 * -errno when path cannot be opened, or -EIO when a read fails. */
long file_read(const char *path, void *buf, size_t cap);
/* Writes all n bytes of buf to fd, retrying short writes and writes cut
 * by a signal.  0, -errno of the failed write, or -EIO (it wrote 0). */
int file_write_all(int fd, const void *buf, size_t n);
/* The same at offset off of fd (pwrite: fd's own offset is not moved).
 * *done, when not NULL, counts the bytes written, also on failure. */
int file_pwrite_all(int fd, const void *buf, size_t n, uint64_t off, uint64_t *done);
/* path := buf[0..n), whole or not at all.  0 or -errno (-ENAMETOOLONG
 * for a path over FILE_PATH_MAX bytes). */
#define FILE_PATH_MAX 4000
int file_replace(const char *path, const void *buf, size_t n);

#endif
