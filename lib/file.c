/* file: the one read-a-small-file loop of the agent and the client (the
 * pinned CA, the command line, the boot credential, trust anchors), and
 * the one write loop, at the descriptor's offset or at a given one. */
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
