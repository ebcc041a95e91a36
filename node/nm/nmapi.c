/* nmapi: the local API's socket, request parser, server loop and client,
 * and the same API over HTTPS (see nmapi.h).  Parsing is line_take
 * (lib/line.h) and num.h; TLS is net/tls's. */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <time.h>
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/* ------------------------------------------------------------ HTTPS */

static const struct {
	const char *line;               /* the request line less " HTTP/1.x" */
	enum nmapi_op op;
} nmapi_http_routes[] = {
	{ "GET /list", NMAPI_LIST }, { "GET /usage", NMAPI_USAGE },
	{ "GET /metrics", NMAPI_METRICS }, { "POST /redeem", NMAPI_REDEEM },
};

/* 1 if s[0..n) is a header name: a token of letters, digits and '-' */
static int nmapi_http_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* One header line h[0..n) (no CRLF): Content-Length into *cl (once). */
static int nmapi_http_header(const char *h, size_t n, int64_t *cl)
{
	const char *colon = memchr(h, ':', n), *v;
	size_t k, vn, i;
	uint64_t x;

	if (!colon || !nmapi_http_name(h, (size_t)(colon - h)))
		return -EPX_E_NM_API_HTTP;
	k = (size_t)(colon - h);
	v = colon + 1;
	vn = n - k - 1;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
		vn--;
	for (i = 0; i < vn; i++)
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
			return -EPX_E_NM_API_HTTP;
	if (k == 17 && !strncasecmp(h, "Transfer-Encoding", k))
		return -EPX_E_NM_API_HTTP;
	if (k != 14 || strncasecmp(h, "Content-Length", k))
		return 0;
	if (*cl >= 0 || num_parse_u64(v, vn, UINT32_MAX, &x) < 0)
		return -EPX_E_NM_API_HTTP;
	if (x > NMTICKET_BYTES_MAX)
		return -EPX_E_NM_API_HTTPBIG;
	*cl = (int64_t)x;
	return 0;
}

int nmapi_http_parse(struct nmapi_req *r, const char *buf, size_t len)
{
	const char *end, *eol, *sp;
	size_t pos, head, i, n;
	int64_t cl = -1;
	int rc, headers = 0;

	memset(r, 0, sizeof(*r));
	/* the head: up to the first empty line, within its cap */
	end = NULL;
	for (i = 0; i + 3 < len && i + 4 <= NMAPI_HTTP_HEAD_MAX; i++)
		if (!memcmp(buf + i, "\r\n\r\n", 4)) {
			end = buf + i;
			break;
		}
	if (!end)
		return len >= NMAPI_HTTP_HEAD_MAX ? -EPX_E_NM_API_HTTPBIG :
		       memchr(buf, '\0', len) ? -EPX_E_NM_API_HTTP : NMAPI_MORE;
	head = (size_t)(end - buf) + 4;
	/* the request line */
	eol = memchr(buf, '\r', head);
	n = (size_t)(eol - buf);
	sp = n >= 9 ? buf + n - 9 : NULL;
	if (!sp || (memcmp(sp, " HTTP/1.1", 9) && memcmp(sp, " HTTP/1.0", 9)) || eol[1] != '\n')
		return -EPX_E_NM_API_HTTP;
	for (i = 0; i < sizeof(nmapi_http_routes) / sizeof(nmapi_http_routes[0]); i++)
		if (strlen(nmapi_http_routes[i].line) == n - 9 &&
		    !memcmp(buf, nmapi_http_routes[i].line, n - 9))
			break;
	if (i == sizeof(nmapi_http_routes) / sizeof(nmapi_http_routes[0]))
		return -EPX_E_NM_API_HTTP;
	r->op = nmapi_http_routes[i].op;
	/* the headers: "Name: value" lines, CRLF each */
	for (pos = n + 2; pos < head - 2; pos = (size_t)(eol - buf) + 2) {
		eol = memchr(buf + pos, '\r', head - 2 - pos);
		if (!eol)
			eol = buf + head - 2;
		if (eol[1] != '\n' || ++headers > NMAPI_HTTP_HEADERS_MAX)
			return memset(r, 0, sizeof(*r)), -EPX_E_NM_API_HTTP;
		rc = nmapi_http_header(buf + pos, (size_t)(eol - buf) - pos, &cl);
		if (rc < 0)
			return memset(r, 0, sizeof(*r)), rc;
	}
	if (r->op == NMAPI_REDEEM ? cl <= 0 : cl > 0)
		return memset(r, 0, sizeof(*r)), -EPX_E_NM_API_HTTP;
	n = cl > 0 ? (size_t)cl : 0;
	if (len < head + n) {
		memset(r, 0, sizeof(*r));
		return NMAPI_MORE;
	}
	if (len > head + n)             /* a second request: not served */
		return memset(r, 0, sizeof(*r)), -EPX_E_NM_API_HTTP;
	if (n) {
		r->body = buf + head;
		r->body_len = n;
	}
	return 0;
}

int nmapi_tls_listen(struct nmapi_tls *a, const char *addr, const char *ca)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[INET_ADDRSTRLEN];
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	uint32_t port = 0;
	int one = 1;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->ca = ca;
	if (!colon || (size_t)(colon - addr) >= sizeof(host) ||
	    num_str_u32(colon + 1, 65535, &port) < 0 || port == 0)
		return -EPX_E_NM_USAGE;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -EPX_E_NM_USAGE;
	sa.sin_port = htons((uint16_t)port);
	a->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0)
		return -EPX_E_NM_API_LISTEN;
	setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(a->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(a->fd, NMAPI_TLS_BACKLOG) < 0) {
		close(a->fd);
		a->fd = -1;
		return -EPX_E_NM_API_LISTEN;
	}
	return 0;
}

/* A renewed certificate: a new server context in the other slot, then
 * the switch (mbedTLS's config points into its own struct). */
static int nmapi_tls_ident(struct nmapi_tls *a)
{
	static char cert[TLS_OWN_MAX], key[TLS_OWN_MAX];
	size_t clen = 0, klen = 0;
	int to = a->live[a->cur] ? 1 - a->cur : a->cur, rc;
	unsigned gen = a->gen;

	rc = a->ident(a->ctx, &gen, cert, sizeof(cert), &clen, key, sizeof(key), &klen);
	if (rc == 1) {
		if (a->live[to])
			tls_ctx_free(&a->tls[to]);
		a->live[to] = 0;
		rc = tls_ctx_init_server(&a->tls[to], a->ca);
		if (rc == 0) {
			rc = tls_ctx_own_cert(&a->tls[to], (const uint8_t *)cert, clen,
					      (const uint8_t *)key, klen);
			if (rc < 0)
				tls_ctx_free(&a->tls[to]);
		}
		if (rc == 0) {
			a->live[to] = 1;
			a->cur = to;
			a->gen = gen;
		}
	}
	explicit_bzero(key, sizeof(key));
	return a->live[a->cur] ? 0 : rc < 0 ? rc : -EPX_E_NM_API_LISTEN;
}

static const char *nmapi_http_ctype(enum nmapi_op op)
{
	return op == NMAPI_METRICS ? "text/plain; version=0.0.4" :
	       op == NMAPI_USAGE || op == NMAPI_LIST || op == NMAPI_REDEEM ? "application/json" :
	       "text/plain";
}

static void nmapi_http_answer(struct tls_conn *c, int status, const char *ctype,
			      const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nCache-Control: no-store\r\n"
			 "Connection: close\r\n\r\n", status,
			 status == 200 ? "OK" : status == 413 ? "Payload Too Large" :
			 status == 400 ? "Bad Request" : "Forbidden", ctype, len);

	if (n > 0 && (size_t)n < sizeof(head) && tls_write(c, head, (size_t)n) == 0 && len)
		tls_write(c, body, len);
}

/* The request of an accepted TLS client, answered. */
static int nmapi_tls_exchange(struct nmapi_tls *a, struct tls_conn *c, char *req)
{
	char *ans = NULL, line[512], code[16];
	struct nmapi_req r;
	size_t len = 0, alen = 0;
	FILE *f = NULL;
	long got;
	int rc = NMAPI_MORE, status;

	while (rc == NMAPI_MORE) {
		got = tls_read(c, req + len, NMAPI_HTTP_REQ_MAX - len, c->deadline);
		if (got <= 0) {
			rc = got == 0 ? -EPX_E_NM_API_HTTP : -EPX_E_NM_API_HTTPBIG;
			break;
		}
		len += (size_t)got;
		rc = nmapi_http_parse(&r, req, len);
		if (rc == NMAPI_MORE && len >= NMAPI_HTTP_REQ_MAX)
			rc = -EPX_E_NM_API_HTTPBIG;
	}
	if (rc == 0) {
		f = open_memstream(&ans, &alen);
		rc = f ? a->fn(a->ctx, &r, f) : -ENOMEM;
		if (f && fclose(f) != 0 && rc == 0)
			rc = -ENOMEM;
		if (rc == 0 && alen > NMAPI_ANS_MAX)
			rc = -EPX_E_NM_API_TOOBIG;
	}
	/* the answer gets its own NMAPI_TIMEOUT_MS: a redeem is answered
	 * once its apply (crun) is done, which may take longer */
	c->deadline = tls_now_ms() + NMAPI_TIMEOUT_MS;
	if (rc == 0) {
		nmapi_http_answer(c, 200, nmapi_http_ctype(r.op), ans, alen);
	} else {
		status = rc == -EPX_E_NM_API_HTTPBIG ? 413 : rc == -EPX_E_NM_API_HTTP ? 400 : 403;
		snprintf(line, sizeof(line), "refused %s %s\n", epx_code(rc, code, sizeof(code)),
			 epx_strerror(rc));
		nmapi_http_answer(c, status, "text/plain", line, strlen(line));
	}
	free(ans);
	return rc;
}

int nmapi_tls_serve_one(struct nmapi_tls *a)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char peer[INET_ADDRSTRLEN + 8] = "?", *req = NULL;
	struct tls_conn c;
	int fd, rc;

	fd = accept4(a->fd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EINTR ? 0 : -EPX_E_NM_API_LISTEN;
	if (sa.sin_family == AF_INET && inet_ntop(AF_INET, &sa.sin_addr, peer, INET_ADDRSTRLEN))
		snprintf(peer + strlen(peer), 8, ":%u", ntohs(sa.sin_port));
	rc = nmapi_tls_ident(a);
	if (rc < 0) {
		close(fd);
		goto out;
	}
	a->tls[a->cur].now = (int64_t)time(NULL);
	rc = tls_accept(&c, &a->tls[a->cur], fd, tls_now_ms() + NMAPI_TIMEOUT_MS);
	if (rc < 0)
		goto out;
	req = malloc(NMAPI_HTTP_REQ_MAX);
	rc = req ? nmapi_tls_exchange(a, &c, req) : -ENOMEM;
	tls_close(&c);
	free(req);
out:
	if (rc < 0 && a->log)
		a->log(a->ctx, rc, peer);
	return rc;
}

static void *nmapi_tls_loop(void *arg)
{
	struct nmapi_tls *a = arg;

	for (;;)
		nmapi_tls_serve_one(a);
	return NULL;
}

int nmapi_tls_start(struct nmapi_tls *a, nmapi_fn fn, nmapi_ident_fn ident, nmapi_log_fn log,
		    void *ctx)
{
	a->fn = fn;
	a->ident = ident;
	a->log = log;
	a->ctx = ctx;
	return pthread_create(&a->th, NULL, nmapi_tls_loop, a) ? -EPX_E_NM_API_LISTEN : 0;
}
