/* tcpinfo_track: connections by cookie, change detection, open/close (see
 * tcpinfo_track.h).  The table is open addressing with linear probing and
 * backward-shift deletion, so it holds no tombstones however many
 * connections come and go. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/err.h"
#include "node/tcpinfo/tcpinfo_track.h"

struct tcpinfo_conn {
	uint64_t cookie;
	uint64_t hash;
	uint64_t seq;                   /* the next record's Seq */
	uint64_t ctr[TI_NCTR];
	uint32_t gen;                   /* 0: free slot */
	uint8_t idm[TCPINFO_NL_IDM_LEN];
	char start[TCPINFO_TIME_LEN];
	struct tcpinfo_out_conn out;
};

/* where struct tcp_info keeps the counters (offset, width in bytes) */
static const struct { uint16_t off; uint8_t w; } track_ctr_at[TI_NCTR] = {
	[TI_BYTES_ACKED] = { 120, 8 },   [TI_BYTES_RECEIVED] = { 128, 8 },
	[TI_BYTES_SENT] = { 200, 8 },    [TI_BYTES_RETRANS] = { 208, 8 },
	[TI_SEGS_OUT] = { 136, 4 },      [TI_SEGS_IN] = { 140, 4 },
	[TI_DATA_SEGS_OUT] = { 156, 4 }, [TI_DATA_SEGS_IN] = { 152, 4 },
	[TI_TOTAL_RETRANS] = { 100, 4 }, [TI_DELIVERED] = { 192, 4 },
};
/* tcp_info's last_data_sent .. last_ack_recv: milliseconds since, they
 * move on an idle connection and are not a change */
#define INFO_TIMERS_OFF 44
#define INFO_TIMERS_END 60
/* inet_diag_msg's idiag_expires: the countdown of the running timer */
#define IDM_EXPIRES_OFF 52
#define IDM_EXPIRES_END 56

static uint64_t tcpinfo_track_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t tcpinfo_track_hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = tcpinfo_track_mix(h, w);
	}
	w = 0;
	memcpy(&w, p, n);
	return tcpinfo_track_mix(h, w ^ (uint64_t)n << 56);
}

static uint64_t tcpinfo_track_hash_skip(uint64_t h, const uint8_t *p, size_t n, size_t a, size_t b)
{
	if (n <= a)
		return tcpinfo_track_hash_bytes(h, p, n);
	h = tcpinfo_track_hash_bytes(h, p, a);
	return n > b ? tcpinfo_track_hash_bytes(h, p + b, n - b) : h;
}

static uint64_t tcpinfo_track_hash(const struct tcpinfo_msg *m)
{
	uint64_t h = tcpinfo_track_hash_skip(0x2545f4914f6cdd1dull, m->idm, TCPINFO_NL_IDM_LEN,
			       IDM_EXPIRES_OFF, IDM_EXPIRES_END);
	const struct tcpinfo_attr *a;
	unsigned i;

	for (i = 0; i < TCPINFO_NL_SLOTS + m->nextra; i++) {
		a = i < TCPINFO_NL_SLOTS ? &m->attr[i] : &m->extra[i - TCPINFO_NL_SLOTS];
		if (!a->p)
			continue;
		h = tcpinfo_track_mix(h, (uint64_t)a->type << 16 | a->len);
		if (a->type == INET_DIAG_INFO)
			h = tcpinfo_track_hash_skip(h, a->p, a->len, INFO_TIMERS_OFF, INFO_TIMERS_END);
		else
			h = tcpinfo_track_hash_bytes(h, a->p, a->len);
	}
	return h;
}

/* the 64-bit counters; first is 1 for a new connection */
static void tcpinfo_track_counters(struct tcpinfo_track *t, struct tcpinfo_conn *c,
			   const struct tcpinfo_msg *m, int first)
{
	const struct tcpinfo_attr *info = &m->attr[INET_DIAG_INFO];
	uint64_t v = 0, d;
	uint32_t v32;
	unsigned i;

	for (i = 0; i < TI_NCTR; i++) {
		if (!info->p || info->len < track_ctr_at[i].off + track_ctr_at[i].w)
			continue;               /* an older kernel: keep the last */
		if (track_ctr_at[i].w == 8) {
			memcpy(&v, info->p + track_ctr_at[i].off, 8);
		} else {
			memcpy(&v32, info->p + track_ctr_at[i].off, 4);
			d = (uint32_t)(v32 - (uint32_t)c->ctr[i]);
			v = first ? v32 : (d >> 31 ? c->ctr[i] - (uint32_t)-d : c->ctr[i] + d);
		}
		if (!first && v < c->ctr[i])
			t->st.backwards++;
		else
			c->ctr[i] = v;
	}
}

static void tcpinfo_track_uuid(const struct tcpinfo_track *t, uint64_t cookie, char *out)
{
	tcpinfo_rec_uuid(out, TCPINFO_UUID_MAX, t->host, t->boot, cookie);
}

static void tcpinfo_track_event(struct tcpinfo_track *t, const char *ev, const char *uuid,
			const uint8_t *idm)
{
	t->evbuf.len = 0;
	if (!t->event || tcpinfo_rec_event(&t->evbuf, ev, t->time, uuid, idm) < 0 ||
	    tcpinfo_buf_put(&t->evbuf, "", 1) < 0)
		return;
	t->event(t->event_arg, t->evbuf.p, t->evbuf.len - 1);
}

static void tcpinfo_track_err(struct tcpinfo_track *t, int rc)
{
	if (rc < 0) {
		t->st.errors++;
		t->last_err = rc;
	}
}

/* one line of c: m is the snapshot, or NULL for the close line */
static void tcpinfo_track_line(struct tcpinfo_track *t, struct tcpinfo_conn *c, const char *uuid,
		       const char *event, const struct tcpinfo_msg *m)
{
	struct tcpinfo_rec_meta meta = { uuid, 0, c->start };
	int first, rc;

	first = tcpinfo_out_begin(t->out, &c->out, uuid, t->now);
	tcpinfo_track_err(t, first);
	meta.file_seq = c->out.file_seq;
	if (m)
		rc = tcpinfo_rec_snapshot(&c->out.pend, t->time, c->seq, event, m, c->ctr,
					  first ? &meta : NULL);
	else
		rc = tcpinfo_rec_close(&c->out.pend, t->time, c->seq, c->idm, first ? &meta : NULL);
	tcpinfo_track_err(t, rc);
	if (rc < 0)
		return;
	c->seq++;
	t->st.snapshots++;
	tcpinfo_track_err(t, tcpinfo_out_after(t->out, &c->out, uuid, t->now));
}

int tcpinfo_filter_pass(const struct tcpinfo_filter *f, const struct tcpinfo_msg *m)
{
	static const uint8_t lo6[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	unsigned i;
	int keep = f->nports == 0;

	for (i = 0; i < f->nxports; i++)
		if (m->sport == f->xports[i])
			return 0;
	for (i = 0; i < f->nports && !keep; i++)
		keep = m->sport == f->ports[i] || m->dport == f->ports[i];
	if (!keep || !f->exclude_local)
		return keep;
	if (m->family == AF_INET)
		return m->dst[0] != 127 && memcmp(m->src, m->dst, 4) != 0;
	if (!memcmp(m->dst, mapped, 12))
		return m->dst[12] != 127 && memcmp(m->src, m->dst, 16) != 0;
	return memcmp(m->dst, lo6, 16) != 0 && memcmp(m->src, m->dst, 16) != 0;
}

static size_t tcpinfo_track_slot_of(const struct tcpinfo_track *t, uint64_t cookie)
{
	return (size_t)tcpinfo_track_mix(0, cookie) & (t->cap - 1);
}

static struct tcpinfo_conn *tcpinfo_track_find(struct tcpinfo_track *t, uint64_t cookie)
{
	size_t i = tcpinfo_track_slot_of(t, cookie);

	while (t->tab[i].gen && t->tab[i].cookie != cookie)
		i = (i + 1) & (t->cap - 1);
	return &t->tab[i];
}

static int tcpinfo_track_grow(struct tcpinfo_track *t, size_t cap)
{
	struct tcpinfo_conn *old = t->tab, *c;
	size_t i, oldcap = t->cap;

	t->tab = calloc(cap, sizeof(*t->tab));
	if (!t->tab) {
		t->tab = old;
		return -ENOMEM;
	}
	t->cap = cap;
	for (i = 0; i < oldcap; i++) {
		if (!old[i].gen)
			continue;
		c = tcpinfo_track_find(t, old[i].cookie);
		*c = old[i];
	}
	free(old);
	return 0;
}

/* backward-shift deletion of slot i */
static void tcpinfo_track_delete(struct tcpinfo_track *t, size_t i)
{
	size_t j = i, home;

	for (;;) {
		t->tab[i].gen = 0;
		for (;;) {
			j = (j + 1) & (t->cap - 1);
			if (!t->tab[j].gen)
				goto done;
			home = tcpinfo_track_slot_of(t, t->tab[j].cookie);
			/* j's entry may fill the hole i unless its home lies in (i, j] */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		t->tab[i] = t->tab[j];
		i = j;
	}
done:
	t->n--;
}

static struct tcpinfo_conn *tcpinfo_track_open(struct tcpinfo_track *t, const struct tcpinfo_msg *m)
{
	struct tcpinfo_conn *c;

	if (t->n >= t->max_conns) {
		t->st.toomany++;
		return NULL;
	}
	if ((t->n + 1) * 2 > t->cap && tcpinfo_track_grow(t, t->cap * 2) < 0) {
		tcpinfo_track_err(t, -ENOMEM);
		return NULL;
	}
	c = tcpinfo_track_find(t, m->cookie);
	memset(c, 0, sizeof(*c));
	c->cookie = m->cookie;
	memcpy(c->start, t->time, sizeof(c->start));
	t->n++;
	t->st.opens++;
	return c;
}

int tcpinfo_track_msg(void *ctx, const struct tcpinfo_msg *m)
{
	struct tcpinfo_track *t = ctx;
	char uuid[TCPINFO_UUID_MAX];
	struct tcpinfo_conn *c;
	uint64_t h;
	int first;

	if (!tcpinfo_filter_pass(&t->filter, m)) {
		t->st.filtered++;
		return 0;
	}
	c = tcpinfo_track_find(t, m->cookie);
	first = !c->gen;
	if (first && !(c = tcpinfo_track_open(t, m)))
		return 0;
	c->gen = t->gen;
	h = tcpinfo_track_hash(m);
	if (!first && h == c->hash)
		return 0;
	c->hash = h;
	memcpy(c->idm, m->idm, TCPINFO_NL_IDM_LEN);
	tcpinfo_track_counters(t, c, m, first);
	tcpinfo_track_uuid(t, c->cookie, uuid);
	tcpinfo_track_line(t, c, uuid, first ? "open" : NULL, m);
	if (first)
		tcpinfo_track_event(t, "open", uuid, c->idm);
	return 0;
}

static void tcpinfo_track_close(struct tcpinfo_track *t, struct tcpinfo_conn *c)
{
	char uuid[TCPINFO_UUID_MAX];

	tcpinfo_track_uuid(t, c->cookie, uuid);
	tcpinfo_track_line(t, c, uuid, "close", NULL);
	tcpinfo_track_err(t, tcpinfo_out_flush(t->out, &c->out, uuid));
	tcpinfo_track_event(t, "close", uuid, c->idm);
	t->st.closes++;
}

int tcpinfo_track_end(struct tcpinfo_track *t, int complete)
{
	char uuid[TCPINFO_UUID_MAX];
	struct tcpinfo_conn *c;
	size_t i = 0;

	t->last_err = 0;
	while (i < t->cap) {
		c = &t->tab[i];
		if (c->gen && complete && c->gen != t->gen) {
			tcpinfo_track_close(t, c);
			tcpinfo_buf_free(&c->out.pend);
			tcpinfo_track_delete(t, i);
			continue;               /* i now holds a shifted entry */
		}
		if (c->gen && c->out.pend_since &&
		    t->now - c->out.pend_since >= t->out->flush_ns) {
			tcpinfo_track_uuid(t, c->cookie, uuid);
			tcpinfo_track_err(t, tcpinfo_out_flush(t->out, &c->out, uuid));
		}
		i++;
	}
	return t->last_err;
}

int tcpinfo_track_flush_all(struct tcpinfo_track *t)
{
	char uuid[TCPINFO_UUID_MAX];
	size_t i;

	t->last_err = 0;
	for (i = 0; i < t->cap; i++) {
		if (!t->tab[i].gen || !t->tab[i].out.pend.len)
			continue;
		tcpinfo_track_uuid(t, t->tab[i].cookie, uuid);
		tcpinfo_track_err(t, tcpinfo_out_flush(t->out, &t->tab[i].out, uuid));
	}
	return t->last_err;
}

void tcpinfo_track_begin(struct tcpinfo_track *t, uint64_t now)
{
	struct timespec ts = { (time_t)(now / 1000000000ull), (long)(now % 1000000000ull) };

	t->now = now;
	if (++t->gen == 0)
		t->gen = 1;             /* 0 marks a free slot */
	tcpinfo_rec_time(&ts, t->time);
}

int tcpinfo_track_init(struct tcpinfo_track *t, size_t max_conns, struct tcpinfo_out *out,
		       const char *host, uint64_t boot)
{
	memset(t, 0, sizeof(*t));
	if (max_conns == 0 || max_conns > TCPINFO_CONNS_MAX)
		return -EPX_E_TI_USAGE;
	t->max_conns = max_conns;
	t->out = out;
	t->host = host;
	t->boot = boot;
	t->cap = 1024;
	t->tab = calloc(t->cap, sizeof(*t->tab));
	return t->tab ? 0 : -ENOMEM;
}

void tcpinfo_track_free(struct tcpinfo_track *t)
{
	size_t i;

	for (i = 0; t->tab && i < t->cap; i++)
		tcpinfo_buf_free(&t->tab[i].out.pend);
	free(t->tab);
	t->tab = NULL;
	tcpinfo_buf_free(&t->evbuf);
}
