/* tcpinfo_nl: sock_diag dumps of TCP sockets and the parser of their replies.
 *
 * Guarantees:
 *  - one NETLINK_SOCK_DIAG socket is opened once and reused for every poll
 *    and both families (AF_INET, then AF_INET6); it is reopened only after a
 *    framing error, when the rest of a dump cannot be found any more;
 *  - the parser reads nothing outside [buf, buf+len): every length (netlink
 *    header, inet_diag_msg, attribute) is checked by subtraction before use,
 *    a message or attribute beyond its cap is refused (-EPX_E_TI_TOOBIG);
 *  - every attribute is handed on raw (pointer and length into the caller's
 *    buffer); types the parser does not know (above TCPINFO_NL_KNOWN_MAX, a
 *    newer kernel) are kept and counted, never dropped; a type repeated in
 *    one message is malformed;
 *  - a reply that is not from the kernel or not for this request is refused
 *    (-EPX_E_TI_NLSEQ); an interrupted dump (NLM_F_DUMP_INTR) or an error
 *    reply marks the poll incomplete, so the caller closes no connection on
 *    the strength of it.
 * Not thread-safe: one struct tcpinfo_nl per thread. */
#ifndef EPOXY_TCPINFO_NL_H
#define EPOXY_TCPINFO_NL_H

#include <stddef.h>
#include <stdint.h>

/* the last attribute type of <linux/inet_diag.h> this parser knows
 * (INET_DIAG_SOCKOPT); larger types are "unknown" */
#define TCPINFO_NL_KNOWN_MAX 22
/* attribute types kept in the indexed table; a type at or above it goes to
 * the overflow list (extra[]) */
#define TCPINFO_NL_SLOTS 64
#define TCPINFO_NL_EXTRA_MAX 8
/* one inet_diag message (header, inet_diag_msg and attributes) */
#define TCPINFO_NL_MSG_MAX 4096
/* receive buffer of one recvmsg() of a dump */
#define TCPINFO_NL_RCVBUF (256 * 1024)
/* size of struct inet_diag_msg on the wire */
#define TCPINFO_NL_IDM_LEN 72

struct tcpinfo_attr {
	const uint8_t *p;
	uint16_t len;
	uint16_t type;
};

/* One socket of a dump, valid until the callback returns. */
struct tcpinfo_msg {
	const uint8_t *idm;                     /* TCPINFO_NL_IDM_LEN bytes */
	uint64_t cookie;
	uint8_t family, state;
	uint16_t sport, dport;                  /* host order */
	uint8_t src[16], dst[16];               /* v4 in the first 4 bytes */
	struct tcpinfo_attr attr[TCPINFO_NL_SLOTS]; /* p == NULL: absent */
	struct tcpinfo_attr extra[TCPINFO_NL_EXTRA_MAX];
	unsigned nextra;
	unsigned unknown;                       /* attributes of unknown type */
};

/* Called once per socket; a negative return stops the parse with it. */
typedef int (*tcpinfo_nl_cb)(void *ctx, const struct tcpinfo_msg *m);

struct tcpinfo_nl_stats {
	uint64_t msgs;          /* inet_diag messages handed to the callback */
	uint64_t bad;           /* malformed inet_diag messages skipped */
	uint64_t unknown;       /* attributes of unknown type */
	uint64_t large;         /* recvmsg() batches that filled the buffer */
	uint64_t intr;          /* interrupted dumps */
};

/* Parses one recvmsg() batch buf[0..len) of replies to request seq.
 * Returns 1 when NLMSG_DONE ends the dump, 0 when more is to come,
 * -EPX_E_TI_NLMSG on a framing error (the rest of the batch is lost),
 * -EPX_E_TI_NLSEQ for another request's reply, -errno of an error reply.
 * A malformed inet_diag message inside sound framing is skipped, counted
 * in st->bad and sets *incomplete; so does NLM_F_DUMP_INTR. */
int tcpinfo_nl_parse(const uint8_t *buf, size_t len, uint32_t seq,
		     tcpinfo_nl_cb cb, void *ctx, struct tcpinfo_nl_stats *st,
		     int *incomplete);

/* Parses one inet_diag message body (after the netlink header) into m.
 * Returns 0, -EPX_E_TI_NLMSG or -EPX_E_TI_TOOBIG. */
int tcpinfo_nl_parse_one(const uint8_t *p, size_t len, struct tcpinfo_msg *m);

struct tcpinfo_nl {
	int fd;
	uint32_t seq;
	uint32_t states;        /* TCPF_* mask of the dump request */
	uint8_t *buf;           /* TCPINFO_NL_RCVBUF bytes */
	struct tcpinfo_nl_stats st;
};

int tcpinfo_nl_open(struct tcpinfo_nl *nl, uint32_t states);
void tcpinfo_nl_close(struct tcpinfo_nl *nl);
/* Dumps the TCP sockets of both families through cb.  Returns 0 for a
 * complete poll, 1 for a poll that must not close connections (malformed
 * message, interrupted dump), or a negative code. */
int tcpinfo_nl_poll(struct tcpinfo_nl *nl, tcpinfo_nl_cb cb, void *ctx);

#endif
