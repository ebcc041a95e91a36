/* ticket: verification of a one-sliver ticket (see lib/ticket.h).  The
 * parsing is sliverset.c's; this adds the ticket's own checks: its magic,
 * exactly one sliver, its expiry against the caller's clock, and a
 * lifetime of at most TICKET_TTL_MAX past that clock. */
#include <string.h>

#include "lib/err.h"
#include "lib/nodeproto.h"
#include "lib/ticket.h"

/* every ticket epoxyd can sign fits what a node reads of one */
_Static_assert(SLIVERSET_TICKET_MAX <= NODEPROTO_TICKET_MAX,
	       "the longest ticket must fit NODEPROTO_TICKET_MAX");

int ticket_verify(struct sliverset *out, const char *buf, size_t len,
		  const struct sig_pub *online, const char *node, int64_t now)
{
	int rc = sliverset_verify_doc(out, buf, len, online, node, 1);

	if (rc == 0 && out->expires <= now)
		rc = -EPX_E_SLV_EXPIRED;
	if (rc == 0 && out->expires - now > TICKET_TTL_MAX)
		rc = -EPX_E_SLV_SYNTAX;
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}
