/* tcpinfo_nl: sock_diag dumps of TCP sockets over one reused netlink socket,
 * and the bounds-checked parser of the replies (see tcpinfo_nl.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "lib/err.h"
#include "node/tcpinfo/tcpinfo_nl.h"

#define NLHDR_LEN 16
#define RTA_HDR_LEN 4
#define ALIGN4(x) (((x) + 3u) & ~(size_t)3u)
/* the extensions of issue 15: MEMINFO, INFO, VEGASINFO (also BBR and DCTCP),
 * CONG, TOS, TCLASS, SKMEMINFO, SHUTDOWN: the request's bit is 1 << (type-1) */
#define TCPINFO_NL_EXT 0xffu

static uint16_t tcpinfo_nl_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t tcpinfo_nl_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The length-prefixed record (netlink message or attribute, whose header
 * is hdr bytes with its length in front) at off: checks that its header
 * and whole length fit in [off, len) and gives the length. */
static int tcpinfo_nl_tlv_at(const uint8_t *p, size_t len, size_t off, size_t hdr, size_t *tlen)
{
	size_t n;

	if (len - off < hdr)
		return -EPX_E_TI_NLMSG;
	n = hdr == NLHDR_LEN ? tcpinfo_nl_rd32(p + off) : tcpinfo_nl_rd16(p + off);
	if (n < hdr || n > len - off)
		return -EPX_E_TI_NLMSG;
	*tlen = n;
	return 0;
}

/* the offset after a record of n bytes at off: aligned, at most len */
static size_t tcpinfo_nl_tlv_next(size_t off, size_t n, size_t len)
{
	return ALIGN4(n) > len - off ? len : off + ALIGN4(n);
}

static int tcpinfo_nl_attr_store(struct tcpinfo_msg *m, uint16_t type, const uint8_t *p, uint16_t len)
{
	struct tcpinfo_attr *a;

	if (type < TCPINFO_NL_SLOTS) {
		a = &m->attr[type];
		if (a->p)
			return -EPX_E_TI_NLMSG;         /* repeated type */
	} else {
		if (m->nextra == TCPINFO_NL_EXTRA_MAX)
			return -EPX_E_TI_TOOBIG;
		a = &m->extra[m->nextra++];
	}
	a->p = p;
	a->len = len;
	a->type = type;
	if (type > TCPINFO_NL_KNOWN_MAX)
		m->unknown++;
	return 0;
}

static void tcpinfo_nl_idm_fields(const uint8_t *p, struct tcpinfo_msg *m)
{
	m->idm = p;
	m->family = p[0];
	m->state = p[1];
	m->sport = (uint16_t)(p[4] << 8 | p[5]);
	m->dport = (uint16_t)(p[6] << 8 | p[7]);
	memcpy(m->src, p + 8, 16);
	memcpy(m->dst, p + 24, 16);
	m->cookie = (uint64_t)tcpinfo_nl_rd32(p + 44) | (uint64_t)tcpinfo_nl_rd32(p + 48) << 32;
}

int tcpinfo_nl_parse_one(const uint8_t *p, size_t len, struct tcpinfo_msg *m)
{
	size_t off = TCPINFO_NL_IDM_LEN, alen;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > TCPINFO_NL_MSG_MAX)
		return -EPX_E_TI_TOOBIG;
	if (len < TCPINFO_NL_IDM_LEN)
		return -EPX_E_TI_NLMSG;
	tcpinfo_nl_idm_fields(p, m);
	while (off < len) {
		rc = tcpinfo_nl_tlv_at(p, len, off, RTA_HDR_LEN, &alen);
		if (rc < 0)
			return rc;
		rc = tcpinfo_nl_attr_store(m, tcpinfo_nl_rd16(p + off + 2) & NLA_TYPE_MASK, p + off + RTA_HDR_LEN,
				   (uint16_t)(alen - RTA_HDR_LEN));
		if (rc < 0)
			return rc;
		off = tcpinfo_nl_tlv_next(off, alen, len);
	}
	return 0;
}

/* one netlink message of sound framing: body p[0..len) */
static int tcpinfo_nl_parse_msg(uint16_t type, uint16_t flags, const uint8_t *p, size_t len,
			tcpinfo_nl_cb cb, void *ctx, struct tcpinfo_nl_stats *st,
			int *incomplete)
{
	struct tcpinfo_msg m;
	int32_t err;
	int rc;

	if (flags & NLM_F_DUMP_INTR) {
		st->intr++;
		*incomplete = 1;
	}
	if (type == NLMSG_DONE) {
		if (len >= 4 && (err = (int32_t)tcpinfo_nl_rd32(p)) < 0)
			*incomplete = 1;
		return 1;
	}
	if (type == NLMSG_ERROR) {
		err = len >= 4 ? (int32_t)tcpinfo_nl_rd32(p) : -EPX_E_TI_NLMSG;
		return err < 0 ? (err < -4095 ? -EPX_E_TI_NLMSG : err) : -EPX_E_TI_DUMP;
	}
	if (type != SOCK_DIAG_BY_FAMILY)
		return 0;                       /* NLMSG_NOOP and the like */
	rc = tcpinfo_nl_parse_one(p, len, &m);
	if (rc < 0) {
		st->bad++;
		*incomplete = 1;
		return 0;
	}
	st->msgs++;
	st->unknown += m.unknown;
	return cb(ctx, &m);
}

int tcpinfo_nl_parse(const uint8_t *buf, size_t len, uint32_t seq,
		     tcpinfo_nl_cb cb, void *ctx, struct tcpinfo_nl_stats *st,
		     int *incomplete)
{
	size_t off = 0, mlen;
	int rc;

	while (off < len) {
		rc = tcpinfo_nl_tlv_at(buf, len, off, NLHDR_LEN, &mlen);
		if (rc < 0)
			return rc;
		if (tcpinfo_nl_rd32(buf + off + 8) != seq) {
			*incomplete = 1;        /* a stale reply: never ours */
		} else {
			rc = tcpinfo_nl_parse_msg(tcpinfo_nl_rd16(buf + off + 4), tcpinfo_nl_rd16(buf + off + 6),
					  buf + off + NLHDR_LEN, mlen - NLHDR_LEN, cb, ctx, st,
					  incomplete);
			if (rc != 0)
				return rc;
		}
		off = tcpinfo_nl_tlv_next(off, mlen, len);
	}
	return 0;
}

int tcpinfo_nl_open(struct tcpinfo_nl *nl, uint32_t states)
{
	struct timeval tv = { .tv_sec = 2 };
	int rc = -ENOMEM, sz = 4 << 20;

	memset(nl, 0, sizeof(*nl));
	nl->fd = -1;
	nl->states = states;
	nl->buf = malloc(TCPINFO_NL_RCVBUF);
	if (!nl->buf)
		goto fail;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl->fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* a full buffer loses a dump; a larger one is a hint, not a must */
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
fail:
	free(nl->buf);
	nl->buf = NULL;
	return rc;
}

void tcpinfo_nl_close(struct tcpinfo_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	free(nl->buf);
	nl->buf = NULL;
}

static int tcpinfo_nl_request(struct tcpinfo_nl *nl, uint8_t family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = ++nl->seq;
	req.r.sdiag_family = family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_ext = TCPINFO_NL_EXT;
	req.r.idiag_states = nl->states;
	if (sendto(nl->fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/* receives one batch; returns its length or a negative code */
static long tcpinfo_nl_recv(struct tcpinfo_nl *nl)
{
	struct sockaddr_nl sa;
	struct iovec iov = { nl->buf, TCPINFO_NL_RCVBUF };
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa),
			     .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(nl->fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EPX_E_TI_TOOBIG;
	if (mh.msg_namelen < sizeof(sa) || sa.nl_pid != 0)
		return -EPX_E_TI_NLSEQ;
	if ((size_t)n > TCPINFO_NL_RCVBUF - TCPINFO_NL_MSG_MAX)
		nl->st.large++;
	return n;
}

/* after a framing error the rest of the dump cannot be told apart from
 * the next one's: a fresh socket drops it */
static int tcpinfo_nl_reopen(struct tcpinfo_nl *nl)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	if (fd < 0)
		return -errno;
	close(nl->fd);
	nl->fd = fd;
	return 0;
}

static int tcpinfo_nl_dump(struct tcpinfo_nl *nl, uint8_t family, tcpinfo_nl_cb cb, void *ctx,
		   int *incomplete)
{
	long n;
	int rc;

	rc = tcpinfo_nl_request(nl, family);
	if (rc < 0)
		return rc;
	for (;;) {
		n = tcpinfo_nl_recv(nl);
		if (n == -EPX_E_TI_NLSEQ) {
			*incomplete = 1;
			continue;
		}
		if (n < 0) {
			rc = (int)n;
			break;
		}
		rc = tcpinfo_nl_parse(nl->buf, (size_t)n, nl->seq, cb, ctx, &nl->st, incomplete);
		if (rc != 0)
			break;
	}
	if (rc == 1)
		return 0;
	/* whatever stopped the dump, its rest would read as the next one's */
	(void)tcpinfo_nl_reopen(nl);
	return rc;
}

int tcpinfo_nl_poll(struct tcpinfo_nl *nl, tcpinfo_nl_cb cb, void *ctx)
{
	int incomplete = 0, rc;

	rc = tcpinfo_nl_dump(nl, AF_INET, cb, ctx, &incomplete);
	if (rc < 0)
		return rc;
	rc = tcpinfo_nl_dump(nl, AF_INET6, cb, ctx, &incomplete);
	if (rc < 0)
		return rc;
	return incomplete ? 1 : 0;
}
