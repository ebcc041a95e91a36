/* file: the one read-a-small-file loop of the agent and the client (the
 * pinned CA, the command line, the boot credential, trust anchors), and
 * the one write loop, at the descriptor's offset or at a given one, and
 * the one write-then-rename of the node's small state files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/file.h"

long file_read(const char *path, void *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (len < cap) {
		n = read(fd, (char *)buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return n < 0 ? -EIO : (long)len;
}

/* The one write loop: at fd's offset (positional 0), else at off. */
static int file_put(int fd, const char *p, size_t n, int positional, uint64_t off,
		    uint64_t *done)
{
	ssize_t w;

	while (n) {
		w = positional ? pwrite(fd, p, n, (off_t)off) : write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
		if (done)
			*done += (uint64_t)w;
	}
	return 0;
}

int file_write_all(int fd, const void *buf, size_t n)
{
	return file_put(fd, buf, n, 0, 0, NULL);
}

int file_pwrite_all(int fd, const void *buf, size_t n, uint64_t off, uint64_t *done)
{
	return file_put(fd, buf, n, 1, off, done);
}

/* fsync of the directory that holds path */
static int file_sync_dir(const char *path)
{
	char dir[FILE_PATH_MAX + 1];
	char *slash;
	int fd, rc = 0;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int file_replace(const char *path, const void *buf, size_t n)
{
	char tmp[FILE_PATH_MAX + 8];
	int fd, rc;

	if (strlen(path) > FILE_PATH_MAX)
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	rc = file_write_all(fd, buf, n);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -EIO;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	return file_sync_dir(path);
}
