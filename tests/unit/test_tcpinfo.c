/* Table test of epoxy-tcpinfo's modules: the netlink parser against many
 * malformed batches (truncated, bad lengths, repeated and unknown
 * attributes, foreign sequence numbers, error replies), the record writer
 * (base64, caps), the tracker (change detection, counters that never run
 * backwards, open/close, filters, a table that empties cleanly) and the
 * output's rotation. */
#include <errno.h>
#include <stdio.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/err.h"
#include "node/tcpinfo/tcpinfo_nl.h"
#include "node/tcpinfo/tcpinfo_rec.h"
#include "node/tcpinfo/tcpinfo_track.h"
#include "tests/test.h"

#define SEQ0 77
#define BUFMAX 16384

/* the batch builder's operations */
enum { END, MSG, IDM, ATTR, RAWATTR, NLLEN, SEQ, DONE, ERR, CUT, GARB, NOOP };
struct op {
	int op, a, b;
};

static const struct pcase {
	const char *name;
	struct op ops[12];
	int rc;                 /* of tcpinfo_nl_parse */
	unsigned msgs, bad, unknown;
	int incomplete;
} pcases[] = {
	{ "one socket, done", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 2, 232 }, { DONE, 0, 0 } }, 1, 1, 0, 0, 0 },
	{ "one socket, more to come", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 2, 232 } }, 0, 1, 0, 0, 0 },
	{ "two sockets", { { MSG, 0, 0 }, { IDM, 72, 1 }, { MSG, 0, 0 }, { IDM, 72, 2 }, { DONE, 0, 0 } }, 1, 2, 0, 0, 0 },
	{ "every known extension", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 1, 16 }, { ATTR, 2, 280 }, { ATTR, 4, 4 }, { ATTR, 5, 1 }, { ATTR, 7, 36 }, { ATTR, 8, 1 }, { ATTR, 16, 20 }, { DONE, 0, 0 } }, 1, 1, 0, 0, 0 },
	{ "empty batch", { { END, 0, 0 } }, 0, 0, 0, 0, 0 },
	{ "done alone", { { DONE, 0, 0 } }, 1, 0, 0, 0, 0 },
	{ "done with an error", { { DONE, -5, 0 } }, 1, 0, 0, 0, 1 },
	{ "error reply", { { ERR, -EPERM, 0 } }, -EPERM, 0, 0, 0, 0 },
	{ "error reply of 0 (an ack)", { { ERR, 0, 0 } }, -EPX_E_TI_DUMP, 0, 0, 0, 0 },
	{ "error reply out of range", { { ERR, -100000, 0 } }, -EPX_E_TI_NLMSG, 0, 0, 0, 0 },
	{ "noop skipped", { { NOOP, 0, 0 }, { DONE, 0, 0 } }, 1, 0, 0, 0, 0 },
	{ "unknown attribute kept and counted", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 30, 8 }, { DONE, 0, 0 } }, 1, 1, 0, 1, 0 },
	{ "three unknown attributes", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 23, 0 }, { ATTR, 40, 3 }, { ATTR, 63, 5 }, { DONE, 0, 0 } }, 1, 1, 0, 3, 0 },
	{ "attribute type beyond the slots", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 200, 4 }, { DONE, 0, 0 } }, 1, 1, 0, 1, 0 },
	{ "nine types beyond the slots", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 100, 0 }, { ATTR, 101, 0 }, { ATTR, 102, 0 }, { ATTR, 103, 0 }, { ATTR, 104, 0 }, { ATTR, 105, 0 }, { ATTR, 106, 0 }, { ATTR, 107, 0 }, { ATTR, 108, 0 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "zero-length attribute", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 4, 0 }, { DONE, 0, 0 } }, 1, 1, 0, 0, 0 },
	{ "nested flag masked", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 0x8000 | 2, 8 }, { DONE, 0, 0 } }, 1, 1, 0, 0, 0 },
	{ "repeated attribute", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 2, 8 }, { ATTR, 2, 8 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "idm truncated", { { MSG, 0, 0 }, { IDM, 71, 1 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "idm empty", { { MSG, 0, 0 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "attribute header truncated", { { MSG, 0, 0 }, { IDM, 72, 1 }, { GARB, 2, 0 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "rta_len 0", { { MSG, 0, 0 }, { IDM, 72, 1 }, { RAWATTR, 0, 2 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "rta_len 3", { { MSG, 0, 0 }, { IDM, 72, 1 }, { RAWATTR, 3, 2 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "rta_len past the message", { { MSG, 0, 0 }, { IDM, 72, 1 }, { RAWATTR, 200, 2 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "rta_len 65535", { { MSG, 0, 0 }, { IDM, 72, 1 }, { RAWATTR, 65535, 2 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "bad message then a good one", { { MSG, 0, 0 }, { IDM, 10, 1 }, { MSG, 0, 0 }, { IDM, 72, 2 }, { DONE, 0, 0 } }, 1, 1, 1, 0, 1 },
	{ "message beyond its cap", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 2, 4100 }, { DONE, 0, 0 } }, 1, 0, 1, 0, 1 },
	{ "nlmsg_len below the header", { { MSG, 0, 0 }, { IDM, 72, 1 }, { NLLEN, -80, 0 } }, -EPX_E_TI_NLMSG, 0, 0, 0, 0 },
	{ "nlmsg_len 0", { { MSG, 0, 0 }, { IDM, 72, 1 }, { NLLEN, -88, 0 } }, -EPX_E_TI_NLMSG, 0, 0, 0, 0 },
	{ "nlmsg_len past the batch", { { MSG, 0, 0 }, { IDM, 72, 1 }, { NLLEN, 4, 0 } }, -EPX_E_TI_NLMSG, 0, 0, 0, 0 },
	{ "nlmsg_len huge", { { MSG, 0, 0 }, { IDM, 72, 1 }, { NLLEN, 0x7ffffff0, 0 } }, -EPX_E_TI_NLMSG, 0, 0, 0, 0 },
	{ "nlmsg_len short by 4: idm cut", { { MSG, 0, 0 }, { IDM, 72, 1 }, { NLLEN, -4, 0 }, { CUT, 4, 0 } }, 0, 0, 1, 0, 1 },
	{ "batch cut inside the header", { { MSG, 0, 0 }, { IDM, 72, 1 }, { DONE, 0, 0 }, { CUT, 10, 0 } }, -EPX_E_TI_NLMSG, 1, 0, 0, 0 },
	{ "batch cut inside a message", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 2, 100 }, { CUT, 50, 0 } }, -EPX_E_TI_NLMSG, 0, 0, 0, 0 },
	{ "garbage after done", { { DONE, 0, 0 }, { GARB, 3, 0 } }, 1, 0, 0, 0, 0 },
	{ "garbage tail of 3 bytes", { { MSG, 0, 0 }, { IDM, 72, 1 }, { GARB, 3, 1 } }, -EPX_E_TI_NLMSG, 1, 0, 0, 0 },
	{ "another request's reply", { { MSG, 0, 0 }, { IDM, 72, 1 }, { SEQ, 1, 0 }, { DONE, 0, 0 } }, 1, 0, 0, 0, 1 },
	{ "another request's done", { { DONE, 0, 0 }, { SEQ, -1, 0 } }, 0, 0, 0, 0, 1 },
	{ "interrupted dump", { { MSG, NLM_F_DUMP_INTR, 0 }, { IDM, 72, 1 }, { DONE, 0, 0 } }, 1, 1, 0, 0, 1 },
	{ "attribute padding honoured", { { MSG, 0, 0 }, { IDM, 72, 1 }, { ATTR, 5, 1 }, { ATTR, 6, 1 }, { ATTR, 8, 1 }, { DONE, 0, 0 } }, 1, 1, 0, 0, 0 },
};

struct built {
	uint8_t b[BUFMAX];
	size_t len, cur;        /* cur: offset of the open message, or SIZE_MAX */
};

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static void b_close(struct built *w)
{
	if (w->cur != SIZE_MAX)
		put32(w->b + w->cur, (uint32_t)(w->len - w->cur));
	w->cur = SIZE_MAX;
	while (w->len & 3)
		w->b[w->len++] = 0;
}

static void b_hdr(struct built *w, uint16_t type, uint16_t flags)
{
	b_close(w);
	w->cur = w->len;
	memset(w->b + w->len, 0, 16);
	put16(w->b + w->len + 4, type);
	put16(w->b + w->len + 6, flags | NLM_F_MULTI);
	put32(w->b + w->len + 8, SEQ0);
	w->len += 16;
}

static void b_op(struct built *w, const struct op *o)
{
	size_t i;

	switch (o->op) {
	case MSG: b_hdr(w, SOCK_DIAG_BY_FAMILY, (uint16_t)o->a); break;
	case NOOP: b_hdr(w, NLMSG_NOOP, 0); break;
	case DONE:
	case ERR:
		b_hdr(w, o->op == DONE ? NLMSG_DONE : NLMSG_ERROR, 0);
		put32(w->b + w->len, (uint32_t)o->a);
		w->len += o->op == DONE ? 4 : 20;
		break;
	case IDM:
		memset(w->b + w->len, 0, (size_t)o->a);
		for (i = 0; i < (size_t)o->a; i++)
			w->b[w->len + i] = i == 0 ? AF_INET : (i == 44 ? (uint8_t)o->b : w->b[w->len + i]);
		w->len += (size_t)o->a;
		break;
	case ATTR:
		put16(w->b + w->len, (uint16_t)(4 + o->b));
		put16(w->b + w->len + 2, (uint16_t)o->a);
		memset(w->b + w->len + 4, 0x5a, (size_t)o->b);
		w->len += 4 + (size_t)o->b;
		while (w->len & 3)
			w->b[w->len++] = 0;
		break;
	case RAWATTR:
		put16(w->b + w->len, (uint16_t)o->a);
		put16(w->b + w->len + 2, (uint16_t)o->b);
		w->len += 4;
		break;
	case GARB:
		if (o->b)
			b_close(w);
		memset(w->b + w->len, 0xee, (size_t)o->a);
		w->len += (size_t)o->a;
		break;
	case NLLEN:
	case SEQ: {
		size_t at = w->cur;
		uint32_t v;

		b_close(w);
		memcpy(&v, w->b + at + (o->op == NLLEN ? 0 : 8), 4);
		put32(w->b + at + (o->op == NLLEN ? 0 : 8), v + (uint32_t)o->a);
		w->cur = SIZE_MAX;
		break;
	}
	case CUT:
		b_close(w);
		w->len -= (size_t)o->a;
		break;
	}
}

static int count_cb(void *ctx, const struct tcpinfo_msg *m)
{
	(void)m;
	(*(unsigned *)ctx)++;
	return 0;
}

/* TCPINFO_SEEDS=DIR writes each batch of the table to DIR/table-NN, the
 * seeds of tests/fuzz/corpus/fuzz_tcpinfo */
static void seed(unsigned i, const struct built *w)
{
	const char *dir = getenv("TCPINFO_SEEDS");
	char path[512];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/table-%02u", dir, i);
	f = fopen(path, "wb");
	if (f) {
		fwrite(w->b, 1, w->len, f);
		fclose(f);
	}
}

static void parser_table(void)
{
	static struct built w;
	struct tcpinfo_nl_stats st;
	unsigned i, j, seen;
	int rc, inc;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];

		memset(&w, 0, sizeof(w));
		w.cur = SIZE_MAX;
		for (j = 0; j < 12 && c->ops[j].op != END; j++)
			b_op(&w, &c->ops[j]);
		if (w.cur != SIZE_MAX)
			b_close(&w);
		memset(&st, 0, sizeof(st));
		seen = 0;
		inc = 0;
		rc = tcpinfo_nl_parse(w.b, w.len, SEQ0, count_cb, &seen, &st, &inc);
		seed(i, &w);
		ok(rc == c->rc && seen == c->msgs && st.msgs == c->msgs && st.bad == c->bad &&
		   st.unknown == c->unknown && inc == c->incomplete,
		   "parse %s: rc %d msgs %u bad %llu unknown %llu incomplete %d", c->name, rc, seen,
		   (unsigned long long)st.bad, (unsigned long long)st.unknown, inc);
	}
}

/* fields of one good message: cookie, ports, attributes kept raw */
static void parser_fields(void)
{
	uint8_t b[200] = { 0 };
	struct tcpinfo_msg m;

	b[0] = AF_INET6;
	b[1] = 1;
	b[4] = 0x1f; b[5] = 0x40;               /* sport 8000 */
	b[6] = 0x00; b[7] = 0x50;               /* dport 80 */
	put32(b + 44, 0x11223344);
	put32(b + 48, 0x55667788);
	put16(b + 72, 8); put16(b + 74, 30); put32(b + 76, 0xdeadbeef);
	ok(tcpinfo_nl_parse_one(b, 80, &m) == 0, "parse_one: good message");
	ok(m.cookie == 0x5566778811223344ull, "cookie assembled from both words");
	ok(m.sport == 8000 && m.dport == 80 && m.family == AF_INET6 && m.state == 1,
	   "ports in host order, family, state");
	ok(m.attr[30].p == b + 76 && m.attr[30].len == 4 && m.unknown == 1,
	   "unknown type 30 kept raw and counted");
	ok(tcpinfo_nl_parse_one(b, TCPINFO_NL_MSG_MAX + 1, &m) == -EPX_E_TI_TOOBIG,
	   "parse_one: beyond the cap refused");
}

static void writer(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static uint8_t big[TCPINFO_REC_MAX];
	uint64_t ctr[TI_NCTR] = { 1, 2, 3 };
	struct tcpinfo_buf b = { 0 };
	struct tcpinfo_msg m;
	uint8_t idm[TCPINFO_NL_IDM_LEN] = { AF_INET };
	struct tcpinfo_rec_meta meta = { "h_1_00000000000000AB", 0, "t0" };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		b.len = 0;
		tcpinfo_rec_b64(&b, (const uint8_t *)v[i].in, strlen(v[i].in));
		ok(b.len == strlen(v[i].out) && (!b.len || !memcmp(b.p, v[i].out, b.len)),
		   "base64 of \"%s\"", v[i].in);
	}
	memset(&m, 0, sizeof(m));
	m.idm = idm;
	m.attr[2].p = (const uint8_t *)"abc";
	m.attr[2].len = 3;
	m.attr[2].type = 2;
	b.len = 0;
	ok(tcpinfo_rec_snapshot(&b, "T", 5, "open", &m, ctr, &meta) == 0, "snapshot written");
	ok(tcpinfo_buf_put(&b, "", 1) == 0 &&
	   strstr(b.p, "\"Attributes\":[null,null,\"YWJj\"]") &&
	   strstr(b.p, "\"Seq\":5,\"Event\":\"open\"") &&
	   strstr(b.p, "\"Metadata\":{\"UUID\":\"h_1_00000000000000AB\",\"Sequence\":0") &&
	   strstr(b.p, "\"BytesAcked\":1,") && b.p[b.len - 2] == '\n',
	   "snapshot line: Attributes by type, Seq, Event, Metadata, Counters");
	b.len = 0;
	m.attr[3].p = big;
	m.attr[3].len = sizeof(big) - 100;
	ok(tcpinfo_rec_snapshot(&b, "T", 6, NULL, &m, ctr, NULL) == -EPX_E_TI_TOOBIG && b.len == 0,
	   "a line beyond TCPINFO_REC_MAX refused, buffer unchanged");
	tcpinfo_buf_free(&b);
}

int test_tracker(void);

int main(void)
{
	parser_table();
	parser_fields();
	writer();
	test_tracker();
	return test_done();
}
