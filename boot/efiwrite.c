/* efiwrite: write one UEFI variable through efivarfs, for the enrollment
 * boot (boot/enroll-init.sh).
 *
 *   efiwrite VARFILE SRC
 *
 * SRC holds what efivarfs expects: 4 attribute bytes, then the value (for
 * authenticated variables the whole .auth payload).  Guarantees: SRC is
 * read whole and bounded (EFIWRITE_MAX); the variable is written by
 * lib/efivarfs.c (one write(2), the immutable flag cleared first, since
 * BusyBox has no chattr; the same code writes the agent's dbx updates).
 * Every failure prints a stable EPOXY code, through the registry.  Static
 * (musl); links only lib/err.c, lib/num.c and lib/efivarfs.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/efivarfs.h"
#include "lib/err.h"

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
	rc = efivarfs_write(argv[1], buf, len);
	explicit_bzero(buf, sizeof(buf));	/* may hold the boot credential */
	if (rc < 0) {
		printf("epoxy-enroll: %s writing %s failed: %s\n",
		       epx_code_str(EPX_E_ENROLL_VAR), argv[1], strerror(-rc));
		return 1;
	}
	return 0;
}
