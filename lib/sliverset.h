/* sliverset: the signed sliver set a node fetches from epoxyd, and the
 * one-sliver ticket (docs/slivers.md; issue 14 points 2 and 4).
 *
 * Format (line-oriented; every line ends in '\n'; one spelling each):
 *   epoxy-slivers 1              | epoxy-ticket 1
 *   node NAME                    | node NAME
 *   serial N   (N >= 1)          | nonce <64 hex>
 *   issued UNIX                  | expires UNIX   (the ticket's own)
 *   sliver NAME                  (the set: 0..SLIVERSET_MAX_SLIVERS blocks,
 *    image sha256:HEX bytes N url /v1/image/HEX     names strictly ascending;
 *    entry CMD                                      the ticket: exactly one)
 *    expires UNIX
 *    cpu_share N ... net_max_bytes_per_day N   (the 8 attributes, in order)
 *    grants LIST   (only when the slice holds grants: lib/grant.h's list,
 *                  non-empty, canonical; a set's sliver or a ticket's)
 *   end
 *   sig <keyid 16 hex> <DER hex>  (the online key over every byte above)
 *
 * Guarantees of sliverset_verify / ticket_verify (lib/ticket.h): nothing
 * past SLIVERSET_MAX_BYTES is read; the signature is checked first (by the
 * given online key, over the exact body bytes), then the node name equals
 * the caller's, then the serial is strictly greater than the last applied
 * (a ticket: it has not expired at the caller's time), then every field;
 * on any failure *out is zeroed.  Parsing is one pass over line_take
 * (lib/line.h) with num.h, hex.h and label.h for values: no second parser.
 * Formatting writes exactly what parsing accepts (round trip). */
#ifndef EPOXY_SLIVERSET_H
#define EPOXY_SLIVERSET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/grant.h"
#include "lib/label.h"
#include "lib/sig.h"

#define SLIVERSET_MAX_SLIVERS 128
#define SLIVERSET_NAME_MAX    32      /* [a-z0-9][a-z0-9._-]{0,31} */
#define SLIVERSET_ENTRY_MAX   1024    /* printable ASCII, no leading space */
#define SLIVERSET_VALUE_MAX   ((uint64_t)1 << 53)
#define SLIVERSET_VALUE_DIGITS 16     /* 2^53 = 9007199254740992 */
#define SLIVERSET_NATTR       8
/* SLIVERSET_MAX_BYTES is computed, not guessed: the longest document the
 * format allows (every name, entry and number at its longest, every
 * attribute present, the node name at LABEL_HOST_MAX, a DOC_MAX_DER
 * signature) with SLIVERSET_MAX_SLIVERS slivers, so a valid set always
 * fits and anything longer is refused unread (test_sliverset formats that
 * document and checks it is exactly this long).  128 slivers, each with 8 grants at their longest: 462,655. */
#define SLIVERSET_LEN(lit)    (sizeof(lit) - 1)
#define SLIVERSET_HEAD_MAX                                                      \
	(SLIVERSET_LEN("epoxy-slivers 1\nnode \nserial \nissued \n") + LABEL_HOST_MAX + \
	 2 * SLIVERSET_VALUE_DIGITS)
#define SLIVERSET_ATTRS_MAX                                                     \
	(SLIVERSET_LEN(" cpu_share \n cpu_pct \n mem_max \n tasks_max \n disk_max \n"   \
		       " net_min_rate \n net_max_rate \n net_max_bytes_per_day \n") +  \
	 SLIVERSET_NATTR * SLIVERSET_VALUE_DIGITS)
#define SLIVERSET_ONE_MAX                                                       \
	(SLIVERSET_LEN("sliver \n image sha256: bytes  url /v1/image/\n entry \n"      \
		       " expires \n") + SLIVERSET_NAME_MAX + 2 * 64 +                  \
	 SLIVERSET_VALUE_DIGITS + SLIVERSET_ENTRY_MAX + SLIVERSET_VALUE_DIGITS +     \
	 SLIVERSET_ATTRS_MAX + SLIVERSET_LEN(" grants \n") + GRANT_LIST_MAX)
#define SLIVERSET_SIG_MAX (SLIVERSET_LEN("sig  \n") + 2 * DOC_KEYID_LEN + 2 * DOC_MAX_DER)
#define SLIVERSET_MAX_BYTES                                                     \
	((int)(SLIVERSET_HEAD_MAX + SLIVERSET_MAX_SLIVERS * SLIVERSET_ONE_MAX +    \
	       SLIVERSET_LEN("end\n") + SLIVERSET_SIG_MAX))   /* an int, as before */
/* the longest ticket the format allows (its head, one sliver at its
 * longest, the signature): lib/ticket.c checks at compile time that it
 * fits the node's cap on one ticket document (NODEPROTO_TICKET_MAX) */
#define SLIVERSET_TICKET_MAX                                                    \
	((int)(SLIVERSET_LEN("epoxy-ticket 1\nnode \nnonce \nexpires \n") + LABEL_HOST_MAX + \
	       64 + SLIVERSET_VALUE_DIGITS + SLIVERSET_ONE_MAX + SLIVERSET_LEN("end\n") + \
	       SLIVERSET_SIG_MAX))
/* the attributes' one spelling, in their order (the store's table,
 * store_attrs[], uses the same macros) */
#define SLIVERSET_A_CPU_SHARE             "cpu_share"
#define SLIVERSET_A_CPU_PCT               "cpu_pct"
#define SLIVERSET_A_MEM_MAX               "mem_max"
#define SLIVERSET_A_TASKS_MAX             "tasks_max"
#define SLIVERSET_A_DISK_MAX              "disk_max"
#define SLIVERSET_A_NET_MIN_RATE          "net_min_rate"
#define SLIVERSET_A_NET_MAX_RATE          "net_max_rate"
#define SLIVERSET_A_NET_MAX_BYTES_PER_DAY "net_max_bytes_per_day"

/* The attributes in the order they appear (store/store.h's store_attrs[]
 * has the same names in the same order, with ranges and defaults). */
extern const char *const sliverset_attr_names[SLIVERSET_NATTR];

struct sliver {
	char name[SLIVERSET_NAME_MAX + 1];
	uint8_t image[32];              /* SHA-256 of the image tarball */
	uint64_t image_bytes;
	char entry[SLIVERSET_ENTRY_MAX + 1];
	int64_t expires;
	uint64_t attr[SLIVERSET_NATTR];
	char grants[GRANT_LIST_MAX + 1]; /* lib/grant.h's list; "" none */
};

struct sliverset {
	char node[LABEL_HOST_MAX + 1];
	uint64_t serial;                /* the set: >= 1 */
	int64_t issued;                 /* the set: server time, informational */
	uint8_t nonce[32];              /* the ticket */
	int64_t expires;                /* the ticket */
	int ticket;                     /* 1: an epoxy-ticket document */
	size_t n;
	struct sliver sl[SLIVERSET_MAX_SLIVERS];
};

/* 1 if s is a valid sliver (slice) name. */
int sliverset_name_ok(const char *s, size_t n);
/* Writes the body (magic through "end\n") of ss; ss->serial may be 0 (a
 * digest of the content only).  -EINVAL for an invalid field, -ENOSPC. */
int sliverset_format(const struct sliverset *ss, char *out, size_t cap, size_t *outlen);
/* Syntax only (the signature line's shape included, not its validity). */
int sliverset_parse(struct sliverset *out, const char *buf, size_t len);
/* The whole check, in the order above.  last_serial: the serial of the
 * set the node applied last (0: none).  Errors: -EPX_E_SLV_TOOBIG,
 * -EPX_E_SLV_SIG, -EPX_E_SLV_SYNTAX, -EPX_E_SLV_NODE, -EPX_E_SLV_SERIAL. */
int sliverset_verify(struct sliverset *out, const char *buf, size_t len,
		     const struct sig_pub *online, const char *node, uint64_t last_serial);
/* Shared with ticket.c: signature first, then the body (want_ticket
 * selects the magic); node checked; nothing about serial or expiry. */
int sliverset_verify_doc(struct sliverset *out, const char *buf, size_t len,
			 const struct sig_pub *online, const char *node, int want_ticket);

#endif
