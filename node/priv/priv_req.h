/* priv_req: the one parser of epoxy-priv's requests, and the path rules
 * every open obeys (docs/man/epoxy-priv.8, "PROTOCOL").
 *
 * A request is one line, at most PRIV_REQ_MAX bytes with its '\n':
 *   sock_diag\n          a NETLINK_SOCK_DIAG socket of the node's netns
 *   open PATH\n          a read-only descriptor of a granted node file
 *   open PATH MODE\n     the same; MODE "ro" only ("rw", "w", "wo", "a",
 *                        "append", "write": refused as a write attempt)
 *
 * Guarantees:
 * - priv_req_parse reads exactly buf[0..len) and nothing after; it accepts
 *   exactly one line ending in the buffer's last byte ('\n'), and fills
 *   *req (path NUL-terminated, canonical by priv_req_path) only on success;
 *   codes, checked in this order: -EPX_E_PRIV_TOOBIG (len over the cap),
 *   -EPX_E_PRIV_REQUEST (no '\n', bytes after it, unknown verb, bad
 *   mode), -EPX_E_PRIV_PATH, -EPX_E_PRIV_WRITE;
 * - priv_req_path is lib/grant.h's grant_path_ok with epoxy-priv's code
 *   (-EPX_E_PRIV_PATH); the node's secrets are grant_denied and "beneath"
 *   grant_beneath (lib/grant.h), one rule for epoxyd, the sliver set and
 *   this service. */
#ifndef EPOXY_PRIV_REQ_H
#define EPOXY_PRIV_REQ_H

#include <stddef.h>

#include "lib/grant.h"

#define PRIV_REQ_MAX 320
#define PRIV_PATH_MAX GRANT_PATH_MAX

enum priv_op {
	PRIV_OP_NONE = 0,
	PRIV_OP_OPEN,
	PRIV_OP_SOCK_DIAG,
};

struct priv_req {
	enum priv_op op;
	size_t path_len;
	char path[PRIV_PATH_MAX + 1];
};

int priv_req_parse(const char *buf, size_t len, struct priv_req *req);
int priv_req_path(const char *p, size_t n);
/* "open" / "sock_diag" / "?" */
const char *priv_req_opname(enum priv_op op);

#endif
