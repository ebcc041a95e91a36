/* priv_req: epoxy-priv's request line and path rules (see priv_req.h).
 *
 * Guarantees: bounds checked in the subtraction form; the line goes
 * through lib/line.h and every path through lib/grant.h (shared with
 * epoxyd and the sliver set), never a parser of its own; nothing is allocated. */
#include <string.h>

#include "lib/err.h"
#include "lib/grant.h"
#include "lib/label.h"
#include "lib/line.h"
#include "node/priv/priv_req.h"

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
	return grant_path_ok(p, n) ? 0 : -EPX_E_PRIV_PATH;
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
