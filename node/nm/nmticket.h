/* nmticket: the node manager redeems tickets (issue 14 point 4,
 * PlanetLab 3.0's delegated slice creation): a ticket signed by epoxyd's
 * online key (lib/ticket.h) adds one sliver to the node's plan, once.
 *
 * Journal (DIR/tickets, DIR the --slivers directory; docs/protocol.md):
 *   epoxy-nm-tickets 1
 *   nonce <64 hex> <expires UNIX>     (0..NMTICKET_MAX lines)
 *
 * Guarantees:
 *  - nmticket_redeem checks, in this order, and on the first failure
 *    returns its code and changes nothing (no journal write, no sliver):
 *    the journal is sound (-EPX_E_NM_TK_JOURNAL), the ticket's size
 *    (-EPX_E_SLV_TOOBIG), ticket_verify with the online key of the
 *    node's keyset, this node's name and the clock (signature first,
 *    then node, expiry: -EPX_E_SLV_*), its nonce is not in the journal
 *    (-EPX_E_NM_TK_REPLAY), its sliver passes nmrun_check, its name is
 *    neither in the current set nor among the ticket slivers
 *    (-EPX_E_NM_TK_NAME), there is room (-EPX_E_NM_TK_FULL); then the
 *    nonce is written to the journal (nmsync_save: write, fsync, rename,
 *    fsync of the directory) and only after that write succeeded does
 *    the sliver join the plan;
 *  - a nonce is remembered until its ticket expires, across restarts
 *    (the journal is read at start); expired entries are dropped at each
 *    write, so the file holds at most NMTICKET_MAX lines (~27 KiB).  A
 *    journal that is unreadable or malformed refuses every redemption
 *    (fail closed) until it is removed; a missing one is empty;
 *  - a ticket sliver keeps its ticket's bytes (nmticket_doc) until it
 *    ends: the node shows them to epoxyd to fetch the sliver's image,
 *    which epoxyd serves a node only for its set or on such a ticket;
 *  - ticket slivers live in memory only: nmticket_confirm (called when
 *    a new full set is accepted) drops them all, so one the set does not
 *    confirm is destroyed at that sync (PlanetLab's rule), and one it
 *    confirms goes on as the set's; a restart drops them too;
 *  - nmticket_want merges the current set and the ticket slivers into
 *    one set, names ascending, never more than SLIVERSET_MAX_SLIVERS. */
#ifndef EPOXY_NMTICKET_H
#define EPOXY_NMTICKET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/nodeproto.h"
#include "lib/sliverset.h"
#include "node/nm/nmsync.h"

#define NMTICKET_FILE "tickets"
#define NMTICKET_MAX 256                        /* unexpired nonces remembered */
#define NMTICKET_LINE_MAX (6 + 64 + 1 + 20 + 1)
#define NMTICKET_JOURNAL_MAX (32 + NMTICKET_MAX * NMTICKET_LINE_MAX)
#define NMTICKET_BYTES_MAX NODEPROTO_TICKET_MAX   /* one ticket document */

struct nmticket_seen {
	uint8_t nonce[32];
	int64_t expires;
};

struct nmticket {
	char dir[NMSYNC_DIR_MAX + 1];
	int broken;                     /* the journal could not be read */
	size_t nseen;
	struct nmticket_seen seen[NMTICKET_MAX];
	size_t n;                       /* ticket slivers in the plan */
	struct sliver sl[SLIVERSET_MAX_SLIVERS];
	/* each one's ticket, as redeemed: the node's proof when it fetches
	 * the sliver's image (NODEPROTO_TICKET_HEADER); in place (512 KiB),
	 * so that nothing is to be freed */
	char doc[SLIVERSET_MAX_SLIVERS][NMTICKET_BYTES_MAX];
	size_t doc_len[SLIVERSET_MAX_SLIVERS];
};

/* Reads dir's journal (missing: empty), dropping entries expired at now.
 * 0, or -EPX_E_NM_TK_JOURNAL (t->broken is then set: fail closed). */
int nmticket_init(struct nmticket *t, const char *dir, int64_t now);
/* The journal's parser: buf[0..len) into t->seen (entries expired at now
 * left out).  0 or -EPX_E_NM_TK_JOURNAL; on failure t->nseen is 0. */
int nmticket_journal_parse(struct nmticket *t, const char *buf, size_t len, int64_t now);
/* The journal's text of t->seen into out (cap bytes); its length. */
size_t nmticket_journal_format(const struct nmticket *t, char *out, size_t cap);
/* Redeems the ticket buf[0..len) against s (online key, node, current
 * set) at now; the sliver's name into name.  Codes above. */
int nmticket_redeem(struct nmticket *t, const struct nmsync *s, const char *buf, size_t len,
		    int64_t now, char name[SLIVERSET_NAME_MAX + 1]);
/* The plan: set (NULL: none) plus the ticket slivers, into out. */
void nmticket_want(const struct nmticket *t, const struct sliverset *set, const char *node,
		   struct sliverset *out);
/* A new full set was accepted: the ticket slivers end.  Their count. */
size_t nmticket_confirm(struct nmticket *t);
/* The ticket that brought the ticket sliver name (its bytes in *len),
 * or NULL when no ticket sliver has that name or set (NULL: none) has a
 * sliver of that name (the set's wins, as in nmticket_want). */
const char *nmticket_doc(const struct nmticket *t, const struct sliverset *set,
			 const char *name, size_t *len);
/* The plan as JSON: {"node":..,"serial":N,"slivers":[{"name":..,
 * "source":"set"|"ticket","expires":N,"image":"sha256:HEX",
 * "entry":..,"cpu_share":N,...}]}. */
void nmticket_json(const struct nmticket *t, const struct sliverset *set, const char *node,
		   FILE *f);

#endif
