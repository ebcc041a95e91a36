/* cpio: reproducible cpio newc writer over libarchive (see cpio.h).
 *
 * Every input is bounded (CPIO_MAX_FILE per source, CPIO_MAX_TOTAL for the
 * archive); sources are opened once, checked with fstat on the open
 * descriptor and read exactly as long as fstat said, so what is archived is
 * what was checked. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/cpio.h"
#include "lib/err.h"

#define CPIO_READ_CHUNK (64 * 1024)

int cpio_compress_parse(const char *name, enum cpio_compress *out)
{
	if (strcmp(name, "none") == 0)
		*out = CPIO_NONE;
	else if (strcmp(name, "gzip") == 0)
		*out = CPIO_GZIP;
	else if (strcmp(name, "zstd") == 0)
		*out = CPIO_ZSTD;
	else
		return -EINVAL;
	return 0;
}

static int cpio_set_filter(struct archive *a, enum cpio_compress comp)
{
	switch (comp) {
	case CPIO_NONE:
		return 0;
	case CPIO_GZIP:
		if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "gzip", "timestamp",
						    NULL) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "gzip",
						    "compression-level",
						    "9") != ARCHIVE_OK)
			return -EPX_E_IS_ARCHIVE;
		return 0;
	case CPIO_ZSTD:
		if (archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "zstd",
						    "compression-level",
						    "19") != ARCHIVE_OK)
			return -EPX_E_IS_ARCHIVE;
		return 0;
	}
	return -EINVAL;
}

static int cpio_open_source(const char *root, const char *src, int *fd,
		       uint64_t *size)
{
	char path[PATH_MAX];
	struct stat sb;
	int n;

	if (src[0] == '/' || root == NULL)
		n = snprintf(path, sizeof(path), "%s", src);
	else
		n = snprintf(path, sizeof(path), "%s/%s", root, src);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -EPX_E_IS_SOURCE;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -EPX_E_IS_SOURCE;
	if (fstat(*fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(*fd);
		*fd = -1;
		return -EPX_E_IS_SOURCE;
	}
	if ((uint64_t)sb.st_size > CPIO_MAX_FILE) {
		close(*fd);
		*fd = -1;
		return -EPX_E_IS_TOOBIG;
	}
	*size = (uint64_t)sb.st_size;
	return 0;
}

/* Copies exactly size bytes of fd into the archive; a file that changed
 * size under us is an error, not a silently different image. */
static int cpio_copy_data(struct archive *a, int fd, uint64_t size, char *buf)
{
	uint64_t done = 0;

	while (done < size) {
		size_t want = size - done > CPIO_READ_CHUNK ?
			      CPIO_READ_CHUNK : (size_t)(size - done);
		ssize_t got = read(fd, buf, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -EPX_E_IS_SOURCE;
		if (archive_write_data(a, buf, (size_t)got) != got)
			return -EPX_E_IS_ARCHIVE;
		done += (uint64_t)got;
	}
	if (read(fd, buf, 1) != 0)
		return -EPX_E_IS_SOURCE;
	return 0;
}

static void cpio_set_type(struct archive_entry *ae, const struct initspec_entry *e)
{
	switch (e->type) {
	case INITSPEC_DIR:
		archive_entry_set_filetype(ae, AE_IFDIR);
		archive_entry_set_nlink(ae, 2);
		break;
	case INITSPEC_FILE:
	case INITSPEC_HLINK:
		archive_entry_set_filetype(ae, AE_IFREG);
		break;
	case INITSPEC_SLINK:
		archive_entry_set_filetype(ae, AE_IFLNK);
		archive_entry_set_symlink(ae, e->source);
		break;
	case INITSPEC_NOD:
		archive_entry_set_filetype(ae, e->devtype == 'b' ?
					   AE_IFBLK : AE_IFCHR);
		archive_entry_set_rdevmajor(ae, e->major);
		archive_entry_set_rdevminor(ae, e->minor);
		break;
	}
}

/* One entry.  A file and its hard links share ino and nlink; data is the
 * file entry whose bytes this entry carries (NULL: none, or not this one
 * of the names). */
static int cpio_write_entry(struct archive *a, const struct initspec_entry *e,
		       const struct initspec_entry *data, const char *root,
		       uint64_t ino, unsigned int nlink, uint64_t mtime, char *buf)
{
	struct archive_entry *ae = archive_entry_new();
	uint64_t size = 0;
	int fd = -1;
	int rc = -ENOMEM;

	if (ae == NULL)
		goto out;
	if (data != NULL) {
		rc = cpio_open_source(root, data->source, &fd, &size);
		if (rc < 0)
			goto out;
	}
	archive_entry_set_pathname(ae, e->path);
	archive_entry_set_nlink(ae, nlink);
	cpio_set_type(ae, e);
	archive_entry_set_perm(ae, e->mode);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_ino64(ae, (la_int64_t)ino);
	archive_entry_set_dev(ae, 0);
	archive_entry_set_mtime(ae, (time_t)mtime, 0);
	archive_entry_set_size(ae, (la_int64_t)size);
	rc = -EPX_E_IS_ARCHIVE;
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		goto out;
	rc = 0;
	if (fd >= 0)
		rc = cpio_copy_data(a, fd, size, buf);
out:
	if (fd >= 0)
		close(fd);
	archive_entry_free(ae);
	return rc;
}

/* The file entry whose inode entry e (index i) names: its own for a file,
 * its target's for an hlink. */
static size_t cpio_file_of(const struct initspec_entry *e, size_t i)
{
	return e->type == INITSPEC_HLINK ? e->file : i;
}

static int cpio_write_all(struct archive *a, const struct initspec *spec,
		     const char *root, uint64_t mtime, const char **failed)
{
	char *buf = malloc(CPIO_READ_CHUNK);
	/* per file entry: its names (1 + its hard links) and the index of
	 * the last of them, which carries the bytes (as GNU cpio writes newc:
	 * the kernel's unpacker links the later names to the first and fills
	 * the inode from whichever has the data) */
	unsigned int *names = calloc(spec->n + 1, sizeof(*names));
	size_t *last = calloc(spec->n + 1, sizeof(*last));
	int rc = -ENOMEM;
	size_t i;

	if (buf == NULL || names == NULL || last == NULL)
		goto out;
	for (i = 0; i < spec->n; i++) {
		const struct initspec_entry *e = &spec->entries[i];

		if (e->type == INITSPEC_FILE || e->type == INITSPEC_HLINK) {
			names[cpio_file_of(e, i)]++;
			last[cpio_file_of(e, i)] = i;
		}
	}
	rc = 0;
	for (i = 0; i < spec->n && rc == 0; i++) {
		const struct initspec_entry *e = &spec->entries[i];
		size_t f = cpio_file_of(e, i);

		if (e->type == INITSPEC_FILE || e->type == INITSPEC_HLINK)
			rc = cpio_write_entry(a, e, last[f] == i ? &spec->entries[f] : NULL,
					      root, f + 1, names[f], mtime, buf);
		else
			rc = cpio_write_entry(a, e, NULL, root, i + 1,
					      e->type == INITSPEC_DIR ? 2 : 1, mtime, buf);
		if (rc == 0 && (uint64_t)archive_filter_bytes(a, 0) > CPIO_MAX_TOTAL)
			rc = -EPX_E_IS_TOOBIG;
		/* a source that fails is the file entry's, whichever name
		 * carried its bytes */
		if (rc < 0 && failed != NULL)
			*failed = spec->entries[rc == -EPX_E_IS_SOURCE ? f : i].path;
	}
out:
	free(last);
	free(names);
	free(buf);
	return rc;
}

int cpio_write(const struct initspec *spec, const char *root, const char *out,
	       enum cpio_compress comp, uint64_t mtime, struct cpio_stats *st,
	       const char **failed)
{
	char tmp[PATH_MAX];
	struct archive *a = NULL;
	int rc = -EINVAL, fd = -1, n;

	if (mtime > CPIO_MAX_MTIME)
		goto out;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out);
	rc = -ENAMETOOLONG;
	if (n < 0 || (size_t)n >= sizeof(tmp))
		goto out;
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = -ENOMEM;
	a = archive_write_new();
	if (a == NULL)
		goto out_unlink;
	rc = -EPX_E_IS_ARCHIVE;
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK)
		goto out_free;
	rc = cpio_set_filter(a, comp);
	if (rc < 0)
		goto out_free;
	rc = -EPX_E_IS_ARCHIVE;
	/* pad the output to 4 bytes with zeros: the kernel skips zeros between
	 * concatenated archives but wants the next one 4-byte aligned (the
	 * agent appends its handover archive).  zstd readers refuse trailing
	 * zeros, so a zstd image is not padded: whoever appends pads. */
	if (archive_write_set_bytes_in_last_block(a, comp == CPIO_ZSTD ? 1 : 4)
	    != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK)
		goto out_free;
	rc = cpio_write_all(a, spec, root, mtime, failed);
	if (rc < 0)
		goto out_free;
	rc = -EPX_E_IS_ARCHIVE;
	if (archive_write_close(a) != ARCHIVE_OK)
		goto out_free;
	if (st != NULL) {
		struct stat sb;

		st->entries = spec->n;
		st->raw_bytes = (uint64_t)archive_filter_bytes(a, 0);
		st->out_bytes = fstat(fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	}
	rc = -EIO;
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		rc = -errno;
		fd = -1;
		goto out_free;
	}
	fd = -1;
	if (rename(tmp, out) < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = 0;
out_free:
	archive_write_free(a);
out_unlink:
	if (rc < 0)
		unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
