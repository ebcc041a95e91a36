/* ticket: a one-sliver ticket (issue 14 point 4, PlanetLab 3.0's delegated
 * slice creation): the slice's resolved sliver record for one node, an
 * expiry and a random nonce, signed by epoxyd's online key.  The format is
 * lib/sliverset.h's "epoxy-ticket 1" document.
 *
 * Guarantees of ticket_verify: the signature (the online key, over the
 * exact body) is checked first, then the node name equals the caller's,
 * then the ticket has not expired at the caller's time (expires > now),
 * then the fields as the sliver set's; on failure *out is zeroed.  That a
 * nonce is redeemed once is the node manager's to remember (it keeps
 * every redeemed nonce until its ticket expires). */
#ifndef EPOXY_TICKET_H
#define EPOXY_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sliverset.h"

#define TICKET_TTL_MAX (7 * 86400)   /* the longest a ticket lives */

/* Errors: -EPX_E_SLV_TOOBIG, -EPX_E_SLV_SIG, -EPX_E_SLV_SYNTAX,
 * -EPX_E_SLV_NODE, -EPX_E_SLV_EXPIRED. */
int ticket_verify(struct sliverset *out, const char *buf, size_t len,
		  const struct sig_pub *online, const char *node, int64_t now);

#endif
