/* priv_srv: epoxy-priv's service: a Unix socket on which a slice's process
 * asks for one privileged operation and receives its descriptor.
 *
 * Guarantees:
 * - who asks comes from the kernel only: SO_PEERCRED's uid, mapped to a
 *   slice by the grants (priv_grants.h); nothing the client writes names
 *   its slice.  uid 0 and unmapped uids get nothing;
 * - priv_srv_decide checks, in this order, and stops at the first
 *   failure: the request (priv_req_parse), the caller's slice
 *   (-EPX_E_PRIV_NOSLICE), the node's secrets (grant_denied:
 *   -EPX_E_PRIV_DENIED, whatever the grants say), the slice's grants
 *   (-EPX_E_PRIV_NOGRANT), then the operation.  An open is
 *   O_RDONLY|O_NOFOLLOW|O_CLOEXEC|O_NOCTTY through openat2 with
 *   RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS (and RESOLVE_BENEATH below
 *   the granted directory, itself opened without following a link): a
 *   symbolic link anywhere on the path is -EPX_E_PRIV_SYMLINK, a file
 *   that is not regular (device, FIFO, directory) -EPX_E_PRIV_NOTREG and
 *   is closed at once.  sock_diag is a NETLINK_SOCK_DIAG socket made in
 *   the service's own network namespace.  It returns 0 and a descriptor
 *   the caller owns, or one registry code (never an errno);
 * - priv_srv_listen makes the socket only in a directory owned by the
 *   service's uid that nobody else can write, replaces only a stale socket
 *   (never another kind of file), creates it mode 0600 and only then
 *   widens it to o->mode (and group o->gid when >= 0);
 * - priv_srv_run serves until *stop, with the grants its callback gives
 *   before each round (a reload keeps every connection): one request per
 *   connection, at most o->max_clients connections at once (one more
 *   is answered -EPX_E_PRIV_BUSY and closed), each with o->timeout_ms to
 *   send its whole request (else -EPX_E_PRIV_TIMEOUT), one thread and poll(), so a
 *   slow client delays nobody; answers never block (MSG_DONTWAIT);
 * - every grant and every refusal is one line on stderr: the verdict
 *   ("grant" or "refuse" and the code), the caller's uid, pid and slice,
 *   the operation and, once the request parsed, its path; never a byte of
 *   any file (the service reads none) and never an unparsed request. */
#ifndef EPOXY_PRIV_SRV_H
#define EPOXY_PRIV_SRV_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "node/priv/priv_grants.h"
#include "node/priv/priv_req.h"

#define PRIV_SRV_CLIENTS_MAX 1024
#define PRIV_SRV_TIMEOUT_MAX 60000

struct priv_srv_opt {
	const char *sock_path;
	unsigned mode;          /* 0600, 0660 or 0666 */
	long gid;               /* the socket's group; -1: unchanged */
	unsigned max_clients;   /* 1..PRIV_SRV_CLIENTS_MAX */
	unsigned timeout_ms;    /* 1..PRIV_SRV_TIMEOUT_MAX */
};

int priv_srv_decide(const struct priv_grants *g, uint32_t uid, const char *buf,
		    size_t len, struct priv_req *req, int *slice, int *fd);
int priv_srv_listen(const struct priv_srv_opt *o);
/* grants(arg) is asked for the grants before each round of requests (so
 * a reload takes effect without closing a connection); never NULL */
typedef const struct priv_grants *(*priv_srv_grants_fn)(void *arg);
int priv_srv_run(int lfd, const struct priv_srv_opt *o, priv_srv_grants_fn grants,
		 void *arg, volatile sig_atomic_t *stop);

/* One line "epoxy-priv: TEXT" on stderr, written whole (lib/logline.h):
 * the log of epoxy-priv and of its server. */
void priv_srv_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
