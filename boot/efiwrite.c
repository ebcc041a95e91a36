/* efiwrite: write one UEFI variable through efivarfs, for the enrollment
 * boot (boot/enroll-init.sh).
 *
 *   efiwrite VARFILE SRC
 *
 * SRC holds what efivarfs expects: 4 attribute bytes, then the value (for
 * authenticated variables the whole .auth payload).  Guarantees: SRC is
 * read whole and bounded (EFIWRITE_MAX); the variable is written in exactly
 * one write(2), as efivarfs requires; an existing variable's immutable flag
 * (efivarfs sets it on most variables) is cleared first, since BusyBox has
 * no chattr.  Every failure prints a stable EPOXY code, through the
 * registry.  Static (musl); links only lib/err.c, which is self-contained. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/err.h"

/* from <linux/fs.h>, which musl-gcc does not see */
#ifndef FS_IOC_GETFLAGS
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IMMUTABLE_FL 0x00000010
#endif

#define EFIWRITE_MAX (64 * 1024)	/* largest variable we write */
#define EFIWRITE_MIN 5			/* attributes + at least one byte */

static unsigned char buf[EFIWRITE_MAX + 1];

static int efiwrite_read_src(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = -errno;
	size_t n = 0;

	if (fd < 0)
		return rc;
	while (n < sizeof(buf)) {
		ssize_t got = read(fd, buf + n, sizeof(buf) - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	rc = -EFBIG;
	if (n > EFIWRITE_MAX)
		goto out;
	rc = -EINVAL;
	if (n < EFIWRITE_MIN)
		goto out;
	*len = n;
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Clears FS_IMMUTABLE_FL of an existing variable; absent is fine. */
static int efiwrite_clear_immutable(const char *path)
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

static int efiwrite_write_var(const char *path, size_t len)
{
	int fd, rc = efiwrite_clear_immutable(path);
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

int main(int argc, char **argv)
{
	size_t len = 0;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: efiwrite VARFILE SRC\n");
		return 2;
	}
	rc = efiwrite_read_src(argv[2], &len);
	if (rc < 0) {
		printf("epoxy-enroll: %s cannot use %s: %s\n",
		       epx_code_str(EPX_E_ENROLL_INPUT), argv[2], strerror(-rc));
		return 1;
	}
	rc = efiwrite_write_var(argv[1], len);
	explicit_bzero(buf, sizeof(buf));	/* may hold the boot credential */
	if (rc < 0) {
		printf("epoxy-enroll: %s writing %s failed: %s\n",
		       epx_code_str(EPX_E_ENROLL_VAR), argv[1], strerror(-rc));
		return 1;
	}
	return 0;
}
