/* grant: a slice's privileged-operation grants (issue 14 point 6), the
 * one spelling and the one path rule shared by epoxyd (the slice
 * attribute), the sliver set (lib/sliverset.h, the `grants` line) and
 * the node's epoxy-priv (node/priv/), so a path the server accepts is
 * exactly a path the node's service accepts, and a node secret is one
 * whatever the side that checks.
 *
 * A grant is one of:
 *   sock_diag        a NETLINK_SOCK_DIAG socket of the node's netns
 *   file:PATH        a read-only descriptor of the node file PATH
 *   dir:PATH         read-only descriptors of regular files beneath PATH
 *   archive          the node's archive-only certificate (server/nodeid.h:
 *                    it uploads to epoxyd's archive and does nothing else),
 *                    read-only at NMSVC_MOUNT in the sliver (node/nm/nmsvc.h;
 *                    the node manager's, not epoxy-priv's)
 * A grant list is 0..GRANT_MAX grants joined by one space, strictly
 * ascending by bytes (so it has one spelling), at most GRANT_LIST_MAX
 * bytes.
 *
 * Guarantees:
 * - grant_path_ok accepts only an absolute canonical path of at most
 *   GRANT_PATH_MAX bytes: components of lib/label.h's LABEL_TAG alphabet
 *   ([a-z0-9._-]), never "." or "..", no empty component (no "//", no
 *   trailing '/'), not "/" alone: a path that passes has one spelling,
 *   so comparing bytes compares files (links are refused at open time);
 * - grant_denied says whether a canonical path is among the node's
 *   secrets, which no grant ever covers: /run/epoxy, /etc/epoxy,
 *   /var/lib/epoxy-nm, /var/lib/epoxy, /dev, /boot, /root,
 *   /sys/firmware, /etc/ssh, /etc/shadow, /etc/gshadow, /proc/kcore,
 *   /proc/kmsg, every process's /proc/PID (self, thread-self), any
 *   component that ends in ".key" or holds "private" or "secret": by
 *   whole components ("/run/epoxy2" is not "/run/epoxy").  A dir grant
 *   above a secret ("/run") passes; each open beneath it is checked
 *   again (node/priv/priv_srv.h), so it never reaches the secret;
 * - grant_beneath says whether p lies strictly beneath dir (both
 *   canonical), by whole components;
 * - grant_parse reads exactly s[0..n): 0 and *g, -EPX_E_SLICE_GRANT
 *   (malformed) or -EPX_E_SLICE_SECRET (a path grant_denied names);
 *   grant_list_parse the same for a whole list (n = 0: none) and also
 *   refuses a list out of order, a grant twice, more than GRANT_MAX
 *   (-EPX_E_SLICE_GRANT);
 * - grant_format writes the one spelling of g (NUL-terminated; cap at
 *   least GRANT_SPEC_MAX + 1);
 * - grant_list_edit makes the canonical list cur + add - del (add and del
 *   are lists of grants separated by ',' or ' ', each checked by
 *   grant_parse; adding a grant held is no change; removing one not
 *   held is -EPX_E_SLICE_NOGRANT; over GRANT_MAX -EPX_E_SLICE_GRANTS).
 *   Nothing allocates. */
#ifndef EPOXY_GRANT_H
#define EPOXY_GRANT_H

#include <stddef.h>

#define GRANT_PATH_MAX 255
#define GRANT_MAX 8                                 /* grants of one slice */
#define GRANT_SPEC_MAX (5 + GRANT_PATH_MAX)         /* "file:" + a path */
#define GRANT_LIST_MAX (GRANT_MAX * (GRANT_SPEC_MAX + 1) - 1)
#define GRANT_EDIT_MAX (2 * GRANT_LIST_MAX)         /* bytes of add or del */

enum grant_kind {
	GRANT_SOCK_DIAG = 1,
	GRANT_FILE,
	GRANT_DIR,
	GRANT_ARCHIVE,
};

struct grant {
	enum grant_kind kind;
	size_t path_len;
	char path[GRANT_PATH_MAX + 1];
};

int grant_path_ok(const char *p, size_t n);
int grant_denied(const char *p, size_t n);
int grant_beneath(const char *dir, size_t dn, const char *p, size_t n);
int grant_parse(const char *s, size_t n, struct grant *g);
int grant_list_parse(const char *s, size_t n, struct grant out[GRANT_MAX], size_t *count);
void grant_format(const struct grant *g, char *out, size_t cap);
int grant_list_edit(const char *cur, const char *add, const char *del, char *out, size_t cap);

#endif
