/* priv_req: epoxy-priv's request line and path rules (see priv_req.h).
 *
 * Guarantees: bounds checked in the subtraction form; the line goes
 * through lib/line.h and every path component through lib/label.h, never
 * a parser of its own; nothing is allocated. */
#include <string.h>

#include "lib/err.h"
#include "lib/label.h"
#include "lib/line.h"
#include "node/priv/priv_req.h"

/* whole-component prefixes that no grant ever reaches */
static const char *const priv_req_deny[] = {
	"/run/epoxy", "/etc/epoxy", "/var/lib/epoxy-nm", "/dev", "/boot",
	"/root", "/sys/firmware", "/etc/ssh", "/etc/shadow", "/etc/gshadow",
	"/proc/kcore", "/proc/kmsg", "/proc/self", "/proc/thread-self",
};

/* write modes named so that the refusal says "write", not "malformed" */
static const char *const priv_req_wmodes[] = {
	"rw", "w", "wo", "a", "append", "write",
};

static int priv_req_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

int priv_req_path(const char *p, size_t n)
{
	size_t i = 1, j;

	if (n < 2 || n > PRIV_PATH_MAX || p[0] != '/')
		return -EPX_E_PRIV_PATH;
	while (i <= n) {
		const char *slash = memchr(p + i, '/', n - i);

		j = slash ? (size_t)(slash - p) : n;
		if (label_check(LABEL_TAG, p + i, j - i) < 0 ||
		    priv_req_eq(p + i, j - i, ".") || priv_req_eq(p + i, j - i, ".."))
			return -EPX_E_PRIV_PATH;
		i = j + 1;
	}
	return 0;
}

int priv_req_beneath(const char *dir, size_t dn, const char *p, size_t n)
{
	return dn > 0 && n > dn + 1 && memcmp(dir, p, dn) == 0 && p[dn] == '/';
}

static int priv_req_under(const char *p, size_t n, const char *dir)
{
	size_t dn = strlen(dir);

	return priv_req_eq(p, n, dir) || priv_req_beneath(dir, dn, p, n);
}

/* one component: ends in ".key", or holds "private" or "secret" */
static int priv_req_secret_name(const char *c, size_t n)
{
	static const char *const words[] = { "private", "secret" };
	size_t w, k;

	if (n >= 4 && memcmp(c + n - 4, ".key", 4) == 0)
		return 1;
	for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t wl = strlen(words[w]);

		for (k = 0; n >= wl && k <= n - wl; k++)
			if (memcmp(c + k, words[w], wl) == 0)
				return 1;
	}
	return 0;
}

/* /proc/<digits>: a process's own files (environ, mem, fd/ ...) */
static int priv_req_proc_pid(const char *p, size_t n)
{
	size_t i = 6;

	if (n < 7 || memcmp(p, "/proc/", 6) != 0)
		return 0;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return i > 6 && (i == n || p[i] == '/');
}

int priv_req_denied(const char *p, size_t n)
{
	size_t i, j;

	for (i = 0; i < sizeof(priv_req_deny) / sizeof(priv_req_deny[0]); i++)
		if (priv_req_under(p, n, priv_req_deny[i]))
			return 1;
	if (priv_req_proc_pid(p, n))
		return 1;
	for (i = 1; i < n; i = j + 1) {
		const char *slash = memchr(p + i, '/', n - i);

		j = slash ? (size_t)(slash - p) : n;
		if (priv_req_secret_name(p + i, j - i))
			return 1;
	}
	return 0;
}

/* "PATH" or "PATH MODE" of an open request */
static int priv_req_open(const char *s, size_t n, struct priv_req *req)
{
	const char *sp = memchr(s, ' ', n);
	size_t pn = sp ? (size_t)(sp - s) : n, i;
	int rc;

	if (sp) {
		const char *m = sp + 1;
		size_t mn = n - pn - 1;

		if (memchr(m, ' ', mn))
			return -EPX_E_PRIV_REQUEST;
		for (i = 0; i < sizeof(priv_req_wmodes) / sizeof(priv_req_wmodes[0]); i++)
			if (priv_req_eq(m, mn, priv_req_wmodes[i]))
				break;
		if (i == sizeof(priv_req_wmodes) / sizeof(priv_req_wmodes[0]) &&
		    !priv_req_eq(m, mn, "ro"))
			return -EPX_E_PRIV_REQUEST;
		rc = priv_req_path(s, pn);
		if (rc < 0)
			return rc;
		if (!priv_req_eq(m, mn, "ro"))
			return -EPX_E_PRIV_WRITE;
	}
	rc = priv_req_path(s, pn);
	if (rc < 0)
		return rc;
	req->op = PRIV_OP_OPEN;
	memcpy(req->path, s, pn);
	req->path[pn] = '\0';
	req->path_len = pn;
	return 0;
}

int priv_req_parse(const char *buf, size_t len, struct priv_req *req)
{
	const char *v;
	size_t pos = 0;
	long n;

	if (len > PRIV_REQ_MAX)
		return -EPX_E_PRIV_TOOBIG;
	n = line_take(buf, len, &pos, "", &v);
	if (n < 0 || pos != len)
		return -EPX_E_PRIV_REQUEST;
	if (priv_req_eq(v, (size_t)n, "sock_diag")) {
		req->op = PRIV_OP_SOCK_DIAG;
		req->path[0] = '\0';
		req->path_len = 0;
		return 0;
	}
	if (n > 5 && memcmp(v, "open ", 5) == 0)
		return priv_req_open(v + 5, (size_t)n - 5, req);
	return -EPX_E_PRIV_REQUEST;
}

const char *priv_req_opname(enum priv_op op)
{
	switch (op) {
	case PRIV_OP_OPEN:
		return "open";
	case PRIV_OP_SOCK_DIAG:
		return "sock_diag";
	case PRIV_OP_NONE:
		break;
	}
	return "?";
}
