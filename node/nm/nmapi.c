/* nmapi: the local API's socket, request parser, server loop and client
 * (see nmapi.h).  Parsing is line_take (lib/line.h) and num.h. */
#include <errno.h>
#include <libgen.h>
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/line.h"
#include "lib/num.h"
#include "node/nm/nmapi.h"

static const struct {
	const char *verb;
	enum nmapi_op op;
} nmapi_verbs[] = {
	{ "list", NMAPI_LIST }, { "usage", NMAPI_USAGE }, { "metrics", NMAPI_METRICS },
};

int nmapi_parse(struct nmapi_req *r, const char *buf, size_t len)
{
	size_t pos = 0, i;
	uint64_t n = 0;
	const char *v;
	long k;

	memset(r, 0, sizeof(*r));
	if (len > NMAPI_REQ_MAX)
		return -EPX_E_NM_API_TOOBIG;
	if (line_take(buf, len, &pos, NMAPI_MAGIC, &v) != 0)
		return -EPX_E_NM_API_REQ;
	for (i = 0; i < sizeof(nmapi_verbs) / sizeof(nmapi_verbs[0]); i++) {
		if (line_take(buf, len, &pos, nmapi_verbs[i].verb, &v) != 0)
			continue;
		if (pos != len)
			return -EPX_E_NM_API_REQ;
		r->op = nmapi_verbs[i].op;
		return 0;
	}
	k = line_take(buf, len, &pos, "redeem ", &v);
	if (k <= 0 || num_parse_u64(v, (size_t)k, NMTICKET_BYTES_MAX, &n) < 0 || n == 0 ||
	    len - pos != n)
		return -EPX_E_NM_API_REQ;
	r->op = NMAPI_REDEEM;
	r->body = buf + pos;
	r->body_len = (size_t)n;
	return 0;
}

/* The socket's directory: made 0700 when missing; root's (the caller's
 * euid), writable by nobody else.  A stale socket is removed. */
static int nmapi_dir_safe(const char *path)
{
	char tmp[NMAPI_PATH_MAX + 1];
	struct stat st;
	char *d;

	snprintf(tmp, sizeof(tmp), "%s", path);
	d = dirname(tmp);
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return -EPX_E_NM_API_SOCKET;
	if (lstat(d, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0)
		return -EPX_E_NM_API_SOCKET;
	if (lstat(path, &st) == 0 && (!S_ISSOCK(st.st_mode) || unlink(path) < 0))
		return -EPX_E_NM_API_SOCKET;
	return 0;
}

static int nmapi_addr(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	if (n == 0 || n > NMAPI_PATH_MAX || path[0] != '/')
		return -EPX_E_NM_USAGE;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
	return 0;
}

int nmapi_listen(struct nmapi *a, const char *path)
{
	struct sockaddr_un sa;
	mode_t old;
	int rc, b;

	a->fd = -1;
	rc = nmapi_addr(&sa, path);
	if (rc == 0)
		rc = nmapi_dir_safe(path);
	if (rc < 0)
		return rc == -EPX_E_NM_USAGE ? rc : -EPX_E_NM_API_SOCKET;
	snprintf(a->path, sizeof(a->path), "%s", path);
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0)
		return -EPX_E_NM_API_SOCKET;
	old = umask(0177);
	b = bind(a->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (b < 0 || chown(path, 0, 0) < 0 || chmod(path, 0600) < 0 || listen(a->fd, 16) < 0) {
		close(a->fd);
		a->fd = -1;
		return -EPX_E_NM_API_SOCKET;
	}
	return 0;
}

static void nmapi_timeouts(int fd)
{
	struct timeval tv = { NMAPI_TIMEOUT_MS / 1000, (NMAPI_TIMEOUT_MS % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Reads until the peer's end (or over cap: *len = cap + 1). */
static int nmapi_read(int fd, char *buf, size_t cap, size_t *len, int rc_timeout)
{
	ssize_t r;

	*len = 0;
	for (;;) {
		r = read(fd, buf + *len, cap + 1 - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? rc_timeout : -EIO;
		if (r == 0)
			return 0;
		*len += (size_t)r;
		if (*len > cap)
			return 0;
	}
}

static void nmapi_write(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* After the answer: the rest of a refused request is read and dropped
 * (at most NMAPI_DRAIN_MAX bytes, within the deadline), so the client
 * reads the answer instead of a reset. */
static void nmapi_drain(int fd, char *buf, size_t cap)
{
	size_t total = 0;
	ssize_t r;

	shutdown(fd, SHUT_WR);
	while (total < NMAPI_DRAIN_MAX) {
		r = read(fd, buf, cap);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		total += (size_t)r;
	}
}

/* The request of one connection, answered into f; its code. */
static int nmapi_answer(struct nmapi *a, int c, char *req, FILE *f)
{
	struct ucred cred;
	socklen_t sl = sizeof(cred);
	struct nmapi_req r;
	size_t len = 0;
	int rc;

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &sl) < 0 || cred.uid != 0)
		return -EPX_E_NM_API_PEER;
	rc = nmapi_read(c, req, NMAPI_REQ_MAX, &len, -EPX_E_NM_API_TIMEOUT);
	if (rc == 0)
		rc = nmapi_parse(&r, req, len);
	if (rc == 0)
		rc = a->fn(a->ctx, &r, f);
	return rc;
}

int nmapi_serve_one(struct nmapi *a)
{
	char *req = NULL, *ans = NULL, code[16], line[512];
	size_t alen = 0;
	FILE *f = NULL;
	int c, n, rc = -ENOMEM;

	c = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return errno == EINTR ? 0 : -EPX_E_NM_API_SOCKET;
	nmapi_timeouts(c);
	req = malloc(NMAPI_REQ_MAX + 1);
	f = open_memstream(&ans, &alen);
	if (req && f)
		rc = nmapi_answer(a, c, req, f);
	if (f && fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	f = NULL;
	if (rc == 0 && alen > NMAPI_ANS_MAX)
		rc = -EPX_E_NM_API_TOOBIG;
	if (rc == 0) {
		nmapi_write(c, "ok\n", 3);
		nmapi_write(c, ans, alen);
	} else {
		n = snprintf(line, sizeof(line), "refused %s %s\n", epx_code(rc, code, sizeof(code)),
			     epx_strerror(rc));
		nmapi_write(c, line, n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0);
	}
	if (req)
		nmapi_drain(c, req, NMAPI_REQ_MAX);
	close(c);
	free(ans);
	free(req);
	return rc;
}

static void *nmapi_loop(void *arg)
{
	struct nmapi *a = arg;

	for (;;)
		nmapi_serve_one(a);
	return NULL;
}

int nmapi_start(struct nmapi *a, nmapi_fn fn, void *ctx)
{
	a->fn = fn;
	a->ctx = ctx;
	return pthread_create(&a->th, NULL, nmapi_loop, a) ? -EPX_E_NM_API_SOCKET : 0;
}

/* "ok\n" + body, or "refused EPOXY-ENNNN text\n" -> *code */
static int nmapi_reply(char *buf, size_t len, int *code)
{
	char c[12];

	if (len >= 3 && !memcmp(buf, "ok\n", 3))
		return 0;
	if (len < 8 + 11 || memcmp(buf, "refused ", 8))
		return -EPX_E_NM_API_ANSWER;
	memcpy(c, buf + 8, 11);
	c[11] = '\0';
	if (epx_code_parse(c, code) == -EPX_E_NUM_SYNTAX)
		return -EPX_E_NM_API_ANSWER;
	return -EPX_E_NM_API_REFUSED;
}

int nmapi_call(const char *path, const char *req, size_t len, char **body, int *code)
{
	const struct timeval ans_tv = { NMAPI_ANSWER_MS / 1000, 0 };
	struct sockaddr_un sa;
	size_t got = 0;
	char *buf = NULL;
	int fd = -1, rc;

	*body = NULL;
	*code = 0;
	rc = nmapi_addr(&sa, path);
	if (rc < 0)
		return rc;
	rc = -EPX_E_NM_API_CONNECT;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	nmapi_timeouts(fd);
	nmapi_write(fd, req, len);
	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ans_tv, sizeof(ans_tv));
	rc = -ENOMEM;
	buf = malloc(NMAPI_ANS_MAX + 1);
	if (!buf)
		goto out;
	rc = nmapi_read(fd, buf, NMAPI_ANS_MAX, &got, -EPX_E_NM_API_ANSWER);
	if (rc == 0 && got > NMAPI_ANS_MAX)
		rc = -EPX_E_NM_API_ANSWER;
	if (rc == 0) {
		buf[got] = '\0';
		rc = nmapi_reply(buf, got, code);
	}
	if (rc == 0 || rc == -EPX_E_NM_API_REFUSED) {
		memmove(buf, buf + (rc == 0 ? 3 : 8), got - (rc == 0 ? 3 : 8) + 1);
		*body = buf;
		buf = NULL;
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}
