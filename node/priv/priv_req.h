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
 * - priv_req_path accepts only an absolute canonical path of at most
 *   PRIV_PATH_MAX bytes: components of lib/label.h's LABEL_TAG alphabet
 *   ([a-z0-9._-]), never "." or "..", no empty component (so no "//" and
 *   no trailing '/'), not "/" alone.  A path that passes is printable and
 *   has one spelling, so comparing bytes compares files (with symbolic
 *   links refused at open time: priv_srv.c);
 * - priv_req_denied says whether a canonical path is among the node's
 *   secrets, which no grant ever covers: /run/epoxy, /etc/epoxy,
 *   /var/lib/epoxy-nm, /dev, /boot, /root, /sys/firmware, /etc/ssh,
 *   /etc/shadow, /etc/gshadow, /proc/kcore, /proc/kmsg, every process's
 *   /proc/PID (and self, thread-self), and any component that ends in
 *   ".key" or contains "private" or "secret".  Matching is by whole
 *   components: "/run/epoxy2" is not under "/run/epoxy";
 * - priv_req_beneath says whether path lies strictly beneath dir (both
 *   canonical), by whole components. */
#ifndef EPOXY_PRIV_REQ_H
#define EPOXY_PRIV_REQ_H

#include <stddef.h>

#define PRIV_REQ_MAX 320
#define PRIV_PATH_MAX 255

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
int priv_req_denied(const char *p, size_t n);
int priv_req_beneath(const char *dir, size_t dn, const char *p, size_t n);
/* "open" / "sock_diag" / "?" */
const char *priv_req_opname(enum priv_op op);

#endif
