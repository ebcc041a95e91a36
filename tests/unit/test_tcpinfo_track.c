/* The tracker of epoxy-tcpinfo (linked into test_tcpinfo): what makes a
 * record, counters across wraps and backward steps, open/close and the
 * incomplete poll, filters, a table filled and emptied in any order, and
 * rotation with continuous file numbers. */
#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/err.h"
#include "node/tcpinfo/tcpinfo_track.h"
#include "tests/test.h"

#define NS 1000000000ull
#define INFO_LEN 232

int test_tracker(void);

struct sock {
	uint8_t b[TCPINFO_NL_IDM_LEN + 4 + INFO_LEN];
	struct tcpinfo_msg m;
};

static void sock_make(struct sock *s, uint64_t cookie, uint16_t sport, uint16_t dport,
		      uint8_t dst_last)
{
	uint32_t lo = (uint32_t)cookie, hi = (uint32_t)(cookie >> 32);
	uint16_t alen = 4 + INFO_LEN, type = INET_DIAG_INFO;

	memset(s->b, 0, sizeof(s->b));
	s->b[0] = AF_INET;
	s->b[1] = 1;
	s->b[4] = (uint8_t)(sport >> 8); s->b[5] = (uint8_t)sport;
	s->b[6] = (uint8_t)(dport >> 8); s->b[7] = (uint8_t)dport;
	s->b[8] = 10; s->b[11] = 1;                     /* 10.0.0.1 */
	s->b[24] = dst_last == 1 ? 127 : 10; s->b[27] = dst_last;
	memcpy(s->b + 44, &lo, 4);
	memcpy(s->b + 48, &hi, 4);
	memcpy(s->b + 72, &alen, 2);
	memcpy(s->b + 74, &type, 2);
}

static void sock_set(struct sock *s, size_t info_off, const void *v, size_t n)
{
	memcpy(s->b + TCPINFO_NL_IDM_LEN + 4 + info_off, v, n);
}

static const struct tcpinfo_msg *sock_msg(struct sock *s)
{
	if (tcpinfo_nl_parse_one(s->b, sizeof(s->b), &s->m) < 0)
		abort();
	return &s->m;
}

static unsigned events_open, events_close;

static void on_event(void *arg, const char *line, size_t len)
{
	(void)arg;
	(void)len;
	if (strstr(line, "\"Event\":\"open\""))
		events_open++;
	else if (strstr(line, "\"Event\":\"close\""))
		events_close++;
}

/* one poll over socks[0..n) at second sec */
static void poll_at(struct tcpinfo_track *t, struct sock *socks, size_t n, uint64_t sec,
		    int complete)
{
	size_t i;

	tcpinfo_track_begin(t, sec * NS);
	for (i = 0; i < n; i++)
		tcpinfo_track_msg(t, sock_msg(&socks[i]));
	tcpinfo_track_end(t, complete);
}

static void changes(struct tcpinfo_track *t)
{
	struct sock s;
	uint32_t v32;
	uint64_t v64, snaps;

	sock_make(&s, 42, 5000, 80, 2);
	poll_at(t, &s, 1, 1000, 1);
	ok(t->st.opens == 1 && t->st.snapshots == 1 && events_open == 1, "first sight: open record and event");
	poll_at(t, &s, 1, 1001, 1);
	ok(t->st.snapshots == 1, "nothing changed: no record");
	v32 = 12345;
	sock_set(&s, 44, &v32, 4);                      /* last_data_sent */
	sock_set(&s, 56, &v32, 4);                      /* last_ack_recv */
	s.b[52] = 9;                                    /* idiag_expires */
	poll_at(t, &s, 1, 1002, 1);
	ok(t->st.snapshots == 1, "last_* timers and idiag_expires moved: no record");
	v64 = 1000;
	sock_set(&s, 120, &v64, 8);                     /* bytes_acked */
	poll_at(t, &s, 1, 1003, 1);
	ok(t->st.snapshots == 2, "bytes_acked moved: a record");
	s.b[1] = 4;                                     /* FIN_WAIT1 */
	poll_at(t, &s, 1, 1004, 1);
	ok(t->st.snapshots == 3, "state changed: a record");
	v64 = 10;
	sock_set(&s, 120, &v64, 8);
	snaps = t->st.backwards;
	poll_at(t, &s, 1, 1005, 1);
	ok(t->st.backwards == snaps + 1, "bytes_acked backwards: counted, the last value kept");
	poll_at(t, &s, 1, 1006, 0);
	poll_at(t, NULL, 0, 1007, 0);
	ok(t->n == 1 && t->st.closes == 0, "missing from an incomplete poll: not closed");
	poll_at(t, NULL, 0, 1008, 1);
	ok(t->n == 0 && t->st.closes == 1 && events_close == 1, "missing from a complete poll: closed");
}

static void wraps(struct tcpinfo_track *t)
{
	struct sock s;
	uint32_t v32 = 0xfffffff0u;
	char path[TCPINFO_PATH_MAX], line[4096];
	FILE *f;
	int found = 0;

	sock_make(&s, 43, 5001, 80, 2);
	sock_set(&s, 136, &v32, 4);                     /* segs_out */
	poll_at(t, &s, 1, 2000, 1);
	v32 = 0x10;
	sock_set(&s, 136, &v32, 4);
	poll_at(t, &s, 1, 2001, 1);
	poll_at(t, NULL, 0, 2002, 1);
	/* the closed connection's file holds the extended counter */
	tcpinfo_rec_uuid(line, TCPINFO_UUID_MAX, "h", 7, 43);
	tcpinfo_out_path(t->out, path, sizeof(path), line, 0, 2000 * NS);
	snprintf(line, sizeof(line), "zstd -dcq '%s'", path);
	f = popen(line, "r");
	while (f && fgets(line, sizeof(line), f))
		found |= strstr(line, "\"SegsOut\":4294967312,") != NULL;
	if (f)
		pclose(f);
	ok(found, "segs_out wrapped 0xfffffff0 -> 0x10: Counters.SegsOut 4294967312");
}

static void filters(struct tcpinfo_track *t)
{
	struct tcpinfo_filter f = { 0 };
	struct sock s;

	sock_make(&s, 1, 5000, 80, 1);
	ok(tcpinfo_filter_pass(&f, sock_msg(&s)), "no filter: kept");
	f.exclude_local = 1;
	ok(!tcpinfo_filter_pass(&f, sock_msg(&s)), "exclude-local: 127.0.0.1 peer dropped");
	sock_make(&s, 1, 5000, 80, 2);
	ok(tcpinfo_filter_pass(&f, sock_msg(&s)), "exclude-local: 10.0.0.2 peer kept");
	sock_make(&s, 1, 5000, 80, 1);
	s.b[24] = 10;                                   /* peer 10.0.0.1 = own address */
	ok(!tcpinfo_filter_pass(&f, sock_msg(&s)), "exclude-local: own address dropped");
	f.exclude_local = 0;
	f.ports[f.nports++] = 443;
	ok(!tcpinfo_filter_pass(&f, sock_msg(&s)), "port 443 listed: port 80 dropped");
	sock_make(&s, 1, 443, 9999, 2);
	ok(tcpinfo_filter_pass(&f, sock_msg(&s)), "port 443 listed: local 443 kept");
	sock_make(&s, 1, 9999, 443, 2);
	ok(tcpinfo_filter_pass(&f, sock_msg(&s)), "port 443 listed: remote 443 kept");
	f.xports[f.nxports++] = 9999;
	ok(!tcpinfo_filter_pass(&f, sock_msg(&s)), "exclude-port 9999: local 9999 dropped");
	(void)t;
}

/* 3000 connections, closed in a scattered order: the table must find
 * every one of them and end empty */
static void many(struct tcpinfo_track *t)
{
	enum { N = 3000 };
	static struct sock s[N];
	size_t i, k = 0;
	uint64_t opens = t->st.opens, closes = t->st.closes, snaps;

	for (i = 0; i < N; i++)
		sock_make(&s[i], 0x100000000ull * (i % 7) + i * 2654435761u + 1, 6000, 80, 2);
	poll_at(t, s, N, 3000, 1);
	ok(t->n == N && t->st.opens == opens + N, "%d connections tracked", N);
	snaps = t->st.snapshots;
	poll_at(t, s, N, 3001, 1);
	ok(t->st.snapshots == snaps && t->n == N, "second poll of %d: no record", N);
	for (i = 0; i < N; i++)                         /* keep every third */
		if (i % 3 == 0)
			s[k++] = s[i];
	poll_at(t, s, k, 3002, 1);
	ok(t->n == k && t->st.closes == closes + (N - k), "two thirds closed, %zu left", k);
	snaps = t->st.snapshots;
	poll_at(t, s, k, 3003, 1);
	ok(t->st.snapshots == snaps && t->st.opens == opens + N, "survivors found again (no reopen)");
	poll_at(t, NULL, 0, 3004, 1);
	ok(t->n == 0 && t->st.closes == closes + N, "all closed, table empty");
}

static void rotation(struct tcpinfo_track *t)
{
	struct sock s;
	uint64_t v64;
	char uuid[TCPINFO_UUID_MAX], path[TCPINFO_PATH_MAX];
	int i;

	sock_make(&s, 44, 5002, 80, 2);
	for (i = 0; i < 7; i++) {                       /* 7 records over 70 s */
		v64 = (uint64_t)i + 1;
		sock_set(&s, 120, &v64, 8);
		poll_at(t, &s, 1, 4000 + (uint64_t)i * 10, 1);
	}
	poll_at(t, NULL, 0, 4070, 1);
	tcpinfo_rec_uuid(uuid, sizeof(uuid), "h", 7, 44);
	for (i = 0; i < 3; i++) {
		tcpinfo_out_path(t->out, path, sizeof(path), uuid, (uint64_t)i, (4000 + (uint64_t)i * 30) * NS);
		ok(access(path, R_OK) == 0, "rotate 30 s: file %05d exists", i);
	}
	tcpinfo_out_path(t->out, path, sizeof(path), uuid, 3, 4090 * NS);
	ok(access(path, R_OK) != 0, "no file beyond the last one");
}

int test_tracker(void)
{
	char dir[] = "/tmp/test_tcpinfo.XXXXXX", cmd[64];
	struct tcpinfo_out out;
	struct tcpinfo_track t, refused;

	if (!mkdtemp(dir))
		return -errno;
	ok(tcpinfo_out_init(&out, dir, 3, 30 * NS, 0, 65536) == 0, "output ready");
	ok(tcpinfo_track_init(&t, 4096, &out, "h", 7) == 0, "tracker ready");
	ok(tcpinfo_track_init(&refused, 0, &out, "h", 7) == -EPX_E_TI_USAGE, "max_conns 0 refused");
	t.event = on_event;
	changes(&t);
	wraps(&t);
	filters(&t);
	many(&t);
	rotation(&t);
	ok(out.errors == 0 && t.st.errors == 0, "no write or record error");
	tcpinfo_track_free(&t);
	tcpinfo_out_free(&out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}
