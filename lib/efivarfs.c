/* efivarfs: one variable, one write(2), immutable flag cleared first. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/efivarfs.h"

/* from <linux/fs.h>, which musl-gcc does not see */
#ifndef FS_IOC_GETFLAGS
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IMMUTABLE_FL 0x00000010
#endif

/* Clears FS_IMMUTABLE_FL of an existing variable; absent is fine, and so
 * is a file system without flags (a test directory). */
static int efivarfs_mutable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int flags = 0, rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 &&
	    (flags & FS_IMMUTABLE_FL)) {
		flags &= ~FS_IMMUTABLE_FL;
		if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
			rc = -errno;
	}
	close(fd);
	return rc;
}

int efivarfs_write(const char *path, const void *buf, size_t len)
{
	int fd, rc = efivarfs_mutable(path);
	ssize_t put;

	if (rc < 0)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	put = write(fd, buf, len);
	rc = put < 0 ? -errno : ((size_t)put == len ? 0 : -EIO);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}
