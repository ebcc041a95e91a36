/* priv_srv: the service loop, the decision and the operations (see
 * priv_srv.h).
 *
 * Guarantees: one thread, poll(); every descriptor the service opens is
 * close-on-exec and closed once it has been sent or refused; no file is
 * ever read by the service itself. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/logline.h"
#include "node/priv/priv_srv.h"

/* kernel ABI (<linux/openat2.h>, <linux/netlink.h>), spelled here so the
 * static musl build needs no kernel headers */
struct priv_srv_how {
	uint64_t flags, mode, resolve;
};
#define PRIV_RESOLVE_NO_MAGICLINKS 0x02
#define PRIV_RESOLVE_NO_SYMLINKS 0x04
#define PRIV_RESOLVE_BENEATH 0x08
#define PRIV_NETLINK_SOCK_DIAG 4

#define PRIV_SRV_OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

struct priv_conn {
	int fd;
	size_t len;
	int64_t deadline;
	struct ucred cred;
	char buf[PRIV_REQ_MAX + 1];
};

static int64_t priv_srv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int priv_srv_openat2(int dfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct priv_srv_how how = { flags, 0, resolve };

	return (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
}

static int priv_srv_errno(int e)
{
	return e == ELOOP || e == EXDEV ? -EPX_E_PRIV_SYMLINK : -EPX_E_PRIV_OPEN;
}

/* the granted file or the file beneath the granted directory, read-only,
 * no link followed anywhere; regular files only */
static int priv_srv_open(const struct priv_grant *gr, const struct priv_req *req, int *out)
{
	int rc = -EPX_E_PRIV_OPEN, dfd = -1, fd = -1;
	struct stat st;

	if (gr->kind == PRIV_KIND_DIR) {
		dfd = priv_srv_openat2(AT_FDCWD, gr->path, O_PATH | O_DIRECTORY | O_CLOEXEC,
				       PRIV_RESOLVE_NO_SYMLINKS | PRIV_RESOLVE_NO_MAGICLINKS);
		if (dfd < 0) {
			rc = priv_srv_errno(errno);
			goto cleanup;
		}
		fd = priv_srv_openat2(dfd, req->path + gr->path_len + 1, PRIV_SRV_OPEN_FLAGS,
				      PRIV_RESOLVE_BENEATH | PRIV_RESOLVE_NO_SYMLINKS |
				      PRIV_RESOLVE_NO_MAGICLINKS);
	} else {
		fd = priv_srv_openat2(AT_FDCWD, req->path, PRIV_SRV_OPEN_FLAGS,
				      PRIV_RESOLVE_NO_SYMLINKS | PRIV_RESOLVE_NO_MAGICLINKS);
	}
	if (fd < 0) {
		rc = priv_srv_errno(errno);
		goto cleanup;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EPX_E_PRIV_NOTREG;
		goto cleanup;
	}
	if (fcntl(fd, F_SETFL, 0) < 0)  /* O_NONBLOCK was for FIFOs only */
		goto cleanup;
	*out = fd;
	fd = -1;
	rc = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

int priv_srv_decide(const struct priv_grants *g, uint32_t uid, const char *buf,
		    size_t len, struct priv_req *req, int *slice, int *fd)
{
	const struct priv_grant *gr = NULL;
	int rc;

	req->op = PRIV_OP_NONE;
	*slice = -1;
	rc = priv_req_parse(buf, len, req);
	if (rc < 0) {
		req->op = PRIV_OP_NONE;
		return rc;
	}
	*slice = priv_grants_uid(g, uid);
	if (*slice < 0 || uid == 0)
		return -EPX_E_PRIV_NOSLICE;
	if (req->op == PRIV_OP_OPEN && grant_denied(req->path, req->path_len))
		return -EPX_E_PRIV_DENIED;
	rc = priv_grants_allow(g, (unsigned)*slice, req, &gr);
	if (rc < 0)
		return rc;
	if (req->op == PRIV_OP_OPEN)
		return priv_srv_open(gr, req, fd);
	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, PRIV_NETLINK_SOCK_DIAG);
	return *fd < 0 ? -EPX_E_PRIV_NETLINK : 0;
}

/* ------------------------------------------------------------ the log */
void priv_srv_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logline_vwrite(2, "epoxy-priv: ", fmt, ap);
	va_end(ap);
}

static void priv_srv_log(int rc, const struct ucred *cr, const struct priv_grants *g,
			 int slice, const struct priv_req *req, size_t len)
{
	const char *sl = slice >= 0 ? g->slices[slice].name : "-";

	if (rc == 0)
		priv_srv_line("grant uid=%u pid=%d slice=%s op=%s%s%s",
			(unsigned)cr->uid, (int)cr->pid, sl, priv_req_opname(req->op),
			req->path_len ? " path=" : "", req->path_len ? req->path : "");
	else if (req->op == PRIV_OP_NONE)
		priv_srv_line("refuse %s uid=%u pid=%d slice=%s request of %zu bytes: %s",
			epx_code_str(rc), (unsigned)cr->uid, (int)cr->pid, sl, len,
			epx_strerror(rc));
	else
		priv_srv_line("refuse %s uid=%u pid=%d slice=%s op=%s%s%s: %s",
			epx_code_str(rc), (unsigned)cr->uid, (int)cr->pid, sl,
			priv_req_opname(req->op), req->path_len ? " path=" : "",
			req->path_len ? req->path : "", epx_strerror(rc));
}

/* "ok\n" with fd, or "refused EPOXY-Ennnn\n"; never blocks */
static int priv_srv_answer(int s, int rc, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char line[48];
	struct iovec iov;
	struct msghdr mh;
	int n;

	memset(&mh, 0, sizeof(mh));
	if (rc == 0) {
		struct cmsghdr *c;

		n = snprintf(line, sizeof(line), "ok\n");
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	} else {
		n = snprintf(line, sizeof(line), "refused %s\n", epx_code_str(rc));
	}
	iov.iov_base = line;
	iov.iov_len = (size_t)n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	return sendmsg(s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == n ? 0 : -errno;
}

/* decide, answer, log, close: the end of every connection */
static void priv_srv_finish(struct priv_conn *c, const struct priv_grants *g, int rc)
{
	struct priv_req req;
	int slice = -1, fd = -1, arc;

	memset(&req, 0, sizeof(req));
	if (rc == 0)
		rc = priv_srv_decide(g, c->cred.uid, c->buf, c->len, &req, &slice, &fd);
	priv_srv_log(rc, &c->cred, g, slice, &req, c->len);
	arc = priv_srv_answer(c->fd, rc, fd);
	if (arc < 0)
		priv_srv_line("uid=%u pid=%d: answer not delivered: %s",
			(unsigned)c->cred.uid, (int)c->cred.pid, strerror(-arc));
	if (fd >= 0)
		close(fd);
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* read what the client sent; finish the connection once it is a line,
 * over the cap, or the client stopped sending */
static void priv_srv_read(struct priv_conn *c, const struct priv_grants *g)
{
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r > 0)
		c->len += (size_t)r;
	if (r > 0 && c->len <= PRIV_REQ_MAX && !memchr(c->buf, '\n', c->len))
		return;
	priv_srv_finish(c, g, c->len > PRIV_REQ_MAX ? -EPX_E_PRIV_TOOBIG : 0);
}

/* ------------------------------------------------------------ the socket */
static int priv_srv_dir_safe(const char *path)
{
	char tmp[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;

	if (strlen(path) >= sizeof(tmp))
		return -EPX_E_PRIV_SOCKET;
	strcpy(tmp, path);
	if (lstat(dirname(tmp), &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0)
		return -EPX_E_PRIV_SOCKET;
	if (lstat(path, &st) == 0 && (!S_ISSOCK(st.st_mode) || unlink(path) < 0))
		return -EPX_E_PRIV_SOCKET;
	return 0;
}

int priv_srv_listen(const struct priv_srv_opt *o)
{
	struct sockaddr_un sa;
	mode_t old;
	int rc, fd, b;

	rc = priv_srv_dir_safe(o->sock_path);
	if (rc < 0)
		return rc;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, o->sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -EPX_E_PRIV_SOCKET;
	old = umask(0177);
	b = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (b < 0 || (o->gid >= 0 && chown(o->sock_path, (uid_t)-1, (gid_t)o->gid) < 0) ||
	    chmod(o->sock_path, o->mode) < 0 || listen(fd, 64) < 0) {
		close(fd);
		return -EPX_E_PRIV_SOCKET;
	}
	return fd;
}

/* ------------------------------------------------------------ the loop */
static void priv_srv_accept(int lfd, struct priv_conn *cs, const struct priv_srv_opt *o,
			    const struct priv_grants *g)
{
	struct priv_conn busy;
	socklen_t sl = sizeof(struct ucred);
	unsigned i;
	int s;

	while ((s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct priv_conn *c = &busy;

		for (i = 0; i < o->max_clients; i++)
			if (cs[i].fd < 0) {
				c = &cs[i];
				break;
			}
		memset(&c->cred, 0, sizeof(c->cred));
		c->fd = s;
		c->len = 0;
		c->deadline = priv_srv_now() + o->timeout_ms;
		sl = sizeof(struct ucred);
		if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c->cred, &sl) < 0 ||
		    sl != sizeof(struct ucred)) {
			c->cred.uid = (uid_t)-1;
			priv_srv_finish(c, g, -EPX_E_PRIV_PEER);
		} else if (c == &busy) {
			priv_srv_finish(c, g, -EPX_E_PRIV_BUSY);
		}
	}
}

int priv_srv_run(int lfd, const struct priv_srv_opt *o, priv_srv_grants_fn grants,
		 void *arg, volatile sig_atomic_t *stop)
{
	const struct priv_grants *g;
	struct priv_conn *cs = calloc(o->max_clients, sizeof(*cs));
	struct pollfd *pf = calloc(o->max_clients + 1, sizeof(*pf));
	int rc = -ENOMEM;
	unsigned i;

	if (!cs || !pf)
		goto cleanup;
	for (i = 0; i < o->max_clients; i++)
		cs[i].fd = -1;
	while (!*stop) {
		int64_t now = priv_srv_now(), wait = 1000;

		pf[0].fd = lfd;
		pf[0].events = POLLIN;
		for (i = 0; i < o->max_clients; i++) {
			pf[i + 1].fd = cs[i].fd;
			pf[i + 1].events = POLLIN;
			pf[i + 1].revents = 0;
			if (cs[i].fd >= 0 && cs[i].deadline - now < wait)
				wait = cs[i].deadline - now > 0 ? cs[i].deadline - now : 0;
		}
		if (poll(pf, o->max_clients + 1, (int)wait) < 0 && errno != EINTR) {
			rc = -errno;
			goto cleanup;
		}
		now = priv_srv_now();
		g = grants(arg);
		for (i = 0; i < o->max_clients; i++) {
			if (cs[i].fd >= 0 && (pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				priv_srv_read(&cs[i], g);
			if (cs[i].fd >= 0 && now >= cs[i].deadline)
				priv_srv_finish(&cs[i], g, -EPX_E_PRIV_TIMEOUT);
		}
		if (pf[0].revents & POLLIN)
			priv_srv_accept(lfd, cs, o, g);
	}
	rc = 0;
cleanup:
	if (cs)
		for (i = 0; i < o->max_clients; i++)
			if (cs[i].fd >= 0)
				close(cs[i].fd);
	free(pf);
	free(cs);
	return rc;
}
