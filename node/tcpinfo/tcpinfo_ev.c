/* tcpinfo_ev: the event stream's Unix socket (see tcpinfo_ev.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/err.h"
#include "node/tcpinfo/tcpinfo_ev.h"

int tcpinfo_ev_open(struct tcpinfo_ev *ev, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat s;
	int rc = -EPX_E_TI_EVSOCK;

	memset(ev, 0, sizeof(*ev));
	ev->lfd = -1;
	if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(ev->path))
		return -EPX_E_TI_EVSOCK;
	if (lstat(path, &s) == 0 && (!S_ISSOCK(s.st_mode) || unlink(path) < 0))
		return -EPX_E_TI_EVSOCK;
	memcpy(sa.sun_path, path, strlen(path));
	snprintf(ev->path, sizeof(ev->path), "%s", path);
	ev->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ev->lfd < 0)
		goto fail;
	if (bind(ev->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ev->lfd, 16) < 0)
		goto fail_close;
	return 0;
fail_close:
	close(ev->lfd);
	ev->lfd = -1;
fail:
	return rc;
}

void tcpinfo_ev_close(struct tcpinfo_ev *ev)
{
	unsigned i;

	for (i = 0; i < ev->n; i++)
		close(ev->cl[i]);
	ev->n = 0;
	if (ev->lfd >= 0) {
		close(ev->lfd);
		unlink(ev->path);
	}
	ev->lfd = -1;
}

void tcpinfo_ev_accept(struct tcpinfo_ev *ev)
{
	int fd;

	while (ev->lfd >= 0 &&
	       (fd = accept4(ev->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (ev->n == TCPINFO_EV_CLIENTS) {
			close(fd);
			ev->dropped++;
			continue;
		}
		ev->cl[ev->n++] = fd;
	}
}

static int tcpinfo_ev_send_one(int fd, const char *line, size_t len)
{
	struct iovec iov[2] = { { (void *)line, len }, { (void *)"\n", 1 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len + 1 ? 0 : -EPIPE;
}

void tcpinfo_ev_send(void *arg, const char *line, size_t len)
{
	struct tcpinfo_ev *ev = arg;
	unsigned i = 0;

	tcpinfo_ev_accept(ev);
	while (i < ev->n) {
		if (tcpinfo_ev_send_one(ev->cl[i], line, len) == 0) {
			ev->sent++;
			i++;
			continue;
		}
		/* a reader that fell behind (or left) would see a torn line */
		close(ev->cl[i]);
		ev->cl[i] = ev->cl[--ev->n];
		ev->dropped++;
	}
}
