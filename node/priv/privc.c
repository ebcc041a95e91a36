/* privc: ask epoxy-priv for a descriptor (see privc.h).
 *
 * Guarantees: timeouts through SO_SNDTIMEO/SO_RCVTIMEO on the one
 * socket; the answer is read whole (up to PRIVC_ANSWER_MAX) before it is
 * believed; received descriptors are close-on-exec (MSG_CMSG_CLOEXEC). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/line.h"
#include "node/priv/privc.h"

int privc_answer_parse(const char *buf, size_t len, int *code)
{
	char tmp[16];
	const char *v;
	size_t pos = 0;
	long n;
	int num = 0, rc;

	if (len == 3 && memcmp(buf, "ok\n", 3) == 0)
		return 0;
	n = line_take(buf, len, &pos, "refused ", &v);
	if (n < 0 || pos != len || (size_t)n >= sizeof(tmp))
		return -EPX_E_PRIV_ANSWER;
	memcpy(tmp, v, (size_t)n);
	tmp[n] = '\0';
	rc = epx_code_parse(tmp, &num);
	if (rc == -EPX_E_NUM_SYNTAX || num == 0)
		return -EPX_E_PRIV_ANSWER;
	/* an errno's code or one this build does not know: "refused" */
	*code = rc == 0 && num >= 1000 ? num : EPX_E_PRIV_REFUSED;
	return 1;
}

static int privc_connect(const char *path, unsigned timeout_ms)
{
	struct sockaddr_un sa;
	struct timeval tv;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -EPX_E_PRIV_CONNECT;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -EPX_E_PRIV_CONNECT;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -EPX_E_PRIV_CONNECT;
	}
	return fd;
}

/* every descriptor of one control message, into *got (the first) or
 * closed; returns how many arrived */
static int privc_take_fds(struct msghdr *mh, int *got)
{
	struct cmsghdr *c;
	int cnt = 0;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t i, k;
		int fds[8];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (k > 8)
			k = 8;
		memcpy(fds, CMSG_DATA(c), k * sizeof(int));
		for (i = 0; i < k; i++) {
			if (*got < 0 && cnt == 0)
				*got = fds[i];
			else
				close(fds[i]);
			cnt++;
		}
	}
	return cnt;
}

/* the whole answer line and the descriptors that came with it */
static int privc_read(int s, char *ans, size_t *alen, int *got, int *nfds)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} ctl;

	*alen = 0;
	while (*alen < PRIVC_ANSWER_MAX && !memchr(ans, '\n', *alen)) {
		struct iovec iov = { ans + *alen, PRIVC_ANSWER_MAX - *alen };
		struct msghdr mh;
		ssize_t r;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		r = recvmsg(s, &mh, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPX_E_PRIV_ANSWER;
		*nfds += privc_take_fds(&mh, got);
		if (mh.msg_flags & MSG_CTRUNC)
			*nfds += 2;     /* some were dropped: never "exactly one" */
		*alen += (size_t)r;
	}
	return 0;
}

int privc_ask(const char *sock_path, const char *req, unsigned timeout_ms, int *fd)
{
	char ans[PRIVC_ANSWER_MAX];
	size_t rl = strlen(req), alen = 0;
	int rc = -EPX_E_PRIV_ANSWER, s, got = -1, nfds = 0, code = 0;
	struct iovec iov[2] = { { (void *)req, rl }, { (void *)"\n", 1 } };
	struct msghdr mh;

	s = privc_connect(sock_path, timeout_ms);
	if (s < 0)
		return s;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	/* a short or failed send is not the answer: the service may have
	 * refused an oversized request and closed before reading it all */
	(void)sendmsg(s, &mh, MSG_NOSIGNAL);
	rc = privc_read(s, ans, &alen, &got, &nfds);
	if (rc < 0)
		goto cleanup;
	rc = privc_answer_parse(ans, alen, &code);
	if (rc == 0 && nfds == 1 && got >= 0) {
		*fd = got;
		got = -1;
	} else if (rc == 1 && nfds == 0) {
		rc = -code;
	} else {
		rc = -EPX_E_PRIV_ANSWER;
	}
cleanup:
	if (got >= 0)
		close(got);
	close(s);
	return rc;
}
