/* file: the one read-a-small-file loop of the agent and the client (the
 * pinned CA, the command line, the boot credential, trust anchors), and
 * the one whole-buffer write and positional-write loops. */
#include <errno.h>
#include <fcntl.h>
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

int file_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int file_pwrite_all(int fd, const void *buf, size_t n, uint64_t off, uint64_t *done)
{
	const char *p = buf;
	ssize_t w;

	while (n) {
		w = pwrite(fd, p, n, (off_t)off);
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
