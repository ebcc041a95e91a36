/* test_nmapi: the node manager's local API and tickets (node/nm/nmapi.h,
 * nmticket.h): a table of requests, good and malformed, with the code or
 * the operation each must give; a table of journals; and ticket
 * redemption against throw-away keys: a good ticket joins the plan and is
 * journaled, then every hostile ticket (replayed, also after a restart;
 * expired; another node's; a changed byte; another key; a sliver set in
 * place of a ticket; over the cap; a name already planned; a limit out of
 * range; the journal full, broken or unwritable) is refused with its code
 * and changes nothing (no sliver, the journal's bytes the same); and the
 * socket itself: its mode and directory, refused paths, and a server
 * thread answering the real client (list, redeem, a refusal's code, a
 * malformed and an oversized request, a socket nobody serves). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "node/nm/nmapi.h"
#include "node/nm/nmticket.h"
#include "tests/keys/fixture.h"
#include "tests/test.h"

#define NOW 1796377000
#define DOCMAX (SLIVERSET_MAX_BYTES + 4096)

static struct fx fx;
static char dir[128], ksfile[160];

struct preq {
	const char *name;
	const char *in;
	size_t len;                     /* 0: strlen(in) */
	int rc;
	enum nmapi_op op;
	size_t body_len;
};

#define M "epoxy-nm-api 1\n"
static const struct preq preqs[] = {
	{ "list", M "list\n", 0, 0, NMAPI_LIST, 0 },
	{ "usage", M "usage\n", 0, 0, NMAPI_USAGE, 0 },
	{ "metrics", M "metrics\n", 0, 0, NMAPI_METRICS, 0 },
	{ "usage with an argument", M "usage web\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "usage without newline", M "usage", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "usage then bytes", M "usage\nx", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "metrics twice", M "metrics\nmetrics\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "Metrics", M "Metrics\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "GET /metrics (HTTP is not spoken)", "GET /metrics HTTP/1.1\r\n\r\n", 0,
	  -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem 3", M "redeem 3\nabc", 0, 0, NMAPI_REDEEM, 3 },
	{ "redeem: body with newlines and a NUL", M "redeem 4\na\n\0b", sizeof(M "redeem 4\na\n\0b") - 1,
	  0, NMAPI_REDEEM, 4 },
	{ "redeem 4096 (the cap)", NULL, 4096, 0, NMAPI_REDEEM, 4096 },
	{ "empty", "", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "magic alone", M, 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "magic without newline", "epoxy-nm-api 1", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "version 2", "epoxy-nm-api 2\nlist\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "magic with a trailing space", "epoxy-nm-api 1 \nlist\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "magic with CR", "epoxy-nm-api 1\r\nlist\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "leading newline", "\n" M "list\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "no magic", "list\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "magic in capitals", "EPOXY-NM-API 1\nlist\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "list without newline", M "list", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "list with a space", M "list \n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "list with CR", M "list\r\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "LIST", M "LIST\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "list then bytes", M "list\nx", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "list twice", M "list\nlist\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "list with an argument", M "list all\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "unknown verb", M "delete web\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem without count", M "redeem\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem with empty count", M "redeem \n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem 0", M "redeem 0\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem with a leading zero", M "redeem 03\nabc", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem -3", M "redeem -3\nabc", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem +3", M "redeem +3\nabc", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem two spaces", M "redeem  3\nabc", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem count trailing space", M "redeem 3 \nabc", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem hex count", M "redeem 0x3\nabc", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem body short", M "redeem 3\nab", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem body long", M "redeem 3\nabcd", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem no body", M "redeem 3\n", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem count without newline", M "redeem 3", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem 4097 (over the cap)", M "redeem 4097\nabc", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "redeem 2^64", M "redeem 18446744073709551616\nabc", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "Redeem", M "Redeem 3\nabc", 0, -EPX_E_NM_API_REQ, 0, 0 },
	{ "a NUL in the magic", "epoxy-nm\0api 1\nlist\n", 20, -EPX_E_NM_API_REQ, 0, 0 },
	{ "over the request cap", NULL, NMAPI_REQ_MAX + 1, -EPX_E_NM_API_TOOBIG, 0, 0 },
};

/* One case's result: its code, and the request filled (the body at the
 * end of the input) or left empty. */
static void preq_ok(const char *what, const struct preq *p, int rc, const struct nmapi_req *r,
		    const char *in, size_t len)
{
	ok(rc == p->rc && (rc || (r->op == p->op && r->body_len == p->body_len &&
				  (r->op != NMAPI_REDEEM ? !r->body : r->body + r->body_len == in + len))),
	   "%s: %s (rc %d, want %d)", what, p->name, rc, p->rc);
	if (rc)
		ok(r->op == 0 && r->body == NULL, "%s: %s: nothing filled", what, p->name);
}

static void t_parse(void)
{
	static char big[NMAPI_REQ_MAX + 64];
	struct nmapi_req r;
	size_t i, len;
	const char *in;
	int rc, n;

	for (i = 0; i < sizeof(preqs) / sizeof(preqs[0]); i++) {
		const struct preq *p = &preqs[i];

		in = p->in;
		len = p->len ? p->len : strlen(in);
		if (!in) {              /* a redeem of p->len bytes, or a request of that size */
			memset(big, 'x', sizeof(big));
			n = snprintf(big, sizeof(big), M "redeem %zu\n", p->len);
			big[n] = 'x';
			len = p->rc ? p->len : (size_t)n + p->len;
			in = big;
		}
		rc = nmapi_parse(&r, in, len);
		preq_ok("parse", p, rc, &r, in, len);
	}
}

/* The HTTPS API's requests (nmapi_http_parse): the four accepted forms,
 * prefixes (NMAPI_MORE), and malformed or oversized ones. */
#define HV " HTTP/1.1\r\n"
#define HH "Host: node5:9443\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
static const struct preq hreqs[] = {
	{ "GET /list", "GET /list" HV HH "\r\n", 0, 0, NMAPI_LIST, 0 },
	{ "GET /usage", "GET /usage" HV "\r\n", 0, 0, NMAPI_USAGE, 0 },
	{ "GET /metrics, HTTP/1.0", "GET /metrics HTTP/1.0\r\n\r\n", 0, 0, NMAPI_METRICS, 0 },
	{ "POST /redeem", "POST /redeem" HV HH "Content-Length: 3\r\n\r\nabc", 0, 0,
	  NMAPI_REDEEM, 3 },
	{ "POST /redeem, header case and spaces", "POST /redeem" HV "content-length:  3 \r\n\r\nabc",
	  0, 0, NMAPI_REDEEM, 3 },
	{ "POST /redeem, body with CRLF and NUL", "POST /redeem" HV "Content-Length: 4\r\n\r\na\r\n\0",
	  sizeof("POST /redeem" HV "Content-Length: 4\r\n\r\na\r\n\0") - 1, 0, NMAPI_REDEEM, 4 },
	{ "empty: more", "", 0, NMAPI_MORE, 0, 0 },
	{ "request line only: more", "GET /list" HV, 0, NMAPI_MORE, 0, 0 },
	{ "head without its end: more", "GET /list" HV HH, 0, NMAPI_MORE, 0, 0 },
	{ "body short: more", "POST /redeem" HV "Content-Length: 5\r\n\r\nabc", 0, NMAPI_MORE, 0, 0 },
	{ "a NUL before the head's end", "GET /list\0" HV, sizeof("GET /list\0" HV) - 1,
	  -EPX_E_NM_API_HTTP, 0, 0 },
	{ "unknown path", "GET /sliver" HV "\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "query string", "GET /list?all" HV "\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "path with a trailing slash", "GET /list/" HV "\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "POST /list", "POST /list" HV "Content-Length: 1\r\n\r\nx", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "GET /redeem", "GET /redeem" HV "\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "lowercase method", "get /list" HV "\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "two spaces", "GET  /list" HV "\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "HTTP/2", "GET /list HTTP/2\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "HTTP/1.2", "GET /list HTTP/1.2\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "no version", "GET /list\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "bare LF line ends", "GET /list HTTP/1.1\n\n\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "bare CR in a header", "GET /list" HV "Host: a\rb\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "bare LF in a header", "GET /list" HV "Host: a\nb\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "header without a colon", "GET /list" HV "Host node5\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "header name with a space", "GET /list" HV "Ho st: x\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "empty header name", "GET /list" HV ": x\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "folded header", "GET /list" HV "Host: a\r\n b\r\n\r\n", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "GET with a body", "GET /list" HV "Content-Length: 1\r\n\r\nx", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "GET with Content-Length 0", "GET /list" HV "Content-Length: 0\r\n\r\n", 0, 0, NMAPI_LIST, 0 },
	{ "POST without Content-Length", "POST /redeem" HV "\r\nabc", 0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "POST with Content-Length 0", "POST /redeem" HV "Content-Length: 0\r\n\r\n", 0,
	  -EPX_E_NM_API_HTTP, 0, 0 },
	{ "Content-Length twice", "POST /redeem" HV "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
	  0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "Content-Length with a sign", "POST /redeem" HV "Content-Length: +3\r\n\r\nabc", 0,
	  -EPX_E_NM_API_HTTP, 0, 0 },
	{ "Content-Length with a leading zero", "POST /redeem" HV "Content-Length: 03\r\n\r\nabc", 0,
	  -EPX_E_NM_API_HTTP, 0, 0 },
	{ "Content-Length hex", "POST /redeem" HV "Content-Length: 0x3\r\n\r\nabc", 0,
	  -EPX_E_NM_API_HTTP, 0, 0 },
	{ "Content-Length empty", "POST /redeem" HV "Content-Length:\r\n\r\nabc", 0,
	  -EPX_E_NM_API_HTTP, 0, 0 },
	{ "Content-Length 4097 (over the ticket's cap)",
	  "POST /redeem" HV "Content-Length: 4097\r\n\r\n", 0, -EPX_E_NM_API_HTTPBIG, 0, 0 },
	{ "Content-Length 2^64", "POST /redeem" HV "Content-Length: 18446744073709551616\r\n\r\n", 0,
	  -EPX_E_NM_API_HTTP, 0, 0 },
	{ "Transfer-Encoding", "POST /redeem" HV "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	  0, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "a second request after the first", "GET /list" HV "\r\nGET /list" HV "\r\n", 0,
	  -EPX_E_NM_API_HTTP, 0, 0 },
	{ "a byte after the body", "POST /redeem" HV "Content-Length: 3\r\n\r\nabcd", 0,
	  -EPX_E_NM_API_HTTP, 0, 0 },
	{ "head over 8 KiB", NULL, NMAPI_HTTP_HEAD_MAX, -EPX_E_NM_API_HTTPBIG, 0, 0 },
	{ "33 headers", NULL, 33, -EPX_E_NM_API_HTTP, 0, 0 },
	{ "32 headers", NULL, 32, 0, NMAPI_LIST, 0 },
};

static void t_http(void)
{
	static char big[NMAPI_HTTP_REQ_MAX + 64];
	struct nmapi_req r;
	size_t i, len, k;
	const char *in;
	int rc;

	for (i = 0; i < sizeof(hreqs) / sizeof(hreqs[0]); i++) {
		const struct preq *p = &hreqs[i];

		in = p->in;
		len = p->len ? p->len : strlen(in);
		if (!in && p->len == NMAPI_HTTP_HEAD_MAX) {     /* one long header, no end */
			len = (size_t)snprintf(big, sizeof(big), "GET /list" HV "X-Pad: ");
			memset(big + len, 'p', NMAPI_HTTP_HEAD_MAX - len);
			len = NMAPI_HTTP_HEAD_MAX;
			in = big;
		} else if (!in) {       /* p->len headers */
			len = (size_t)snprintf(big, sizeof(big), "GET /list" HV);
			for (k = 0; k < p->len; k++)
				len += (size_t)snprintf(big + len, sizeof(big) - len, "X-H%zu: v\r\n", k);
			len += (size_t)snprintf(big + len, sizeof(big) - len, "\r\n");
			in = big;
		}
		rc = nmapi_http_parse(&r, in, len);
		preq_ok("http", p, rc, &r, in, len);
		/* every proper prefix of an accepted request waits for more */
		for (k = 0; rc == 0 && k < len; k++)
			if (nmapi_http_parse(&r, in, k) != NMAPI_MORE)
				break;
		if (rc == 0)
			ok(k == len, "http: %s: each of its %zu prefixes is NMAPI_MORE", p->name, len);
	}
}

struct pjournal {
	const char *name;
	const char *in;
	int rc;
	size_t nseen;
};

#define J "epoxy-nm-tickets 1\n"
#define N1 "1111111111111111111111111111111111111111111111111111111111111111"
#define N2 "2222222222222222222222222222222222222222222222222222222222222222"
static const struct pjournal pjs[] = {
	{ "empty journal", J, 0, 0 },
	{ "two live nonces", J "nonce " N1 " 1796380000\nnonce " N2 " 1796390000\n", 0, 2 },
	{ "an expired nonce is dropped", J "nonce " N1 " 1796377000\nnonce " N2 " 1796390000\n", 0, 1 },
	{ "no magic", "nonce " N1 " 1796380000\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "empty file", "", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "version 2", "epoxy-nm-tickets 2\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "no final newline", J "nonce " N1 " 1796380000", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "short nonce", J "nonce 1111 1796380000\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "nonce not hex", J "nonce " "g111111111111111111111111111111111111111111111111111111111111111"
	  " 1796380000\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "no expiry", J "nonce " N1 "\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "empty expiry", J "nonce " N1 " \n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "expiry 0", J "nonce " N1 " 0\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "negative expiry", J "nonce " N1 " -5\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "expiry not a number", J "nonce " N1 " soon\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "two spaces", J "nonce " N1 "  1796380000\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "trailing field", J "nonce " N1 " 1796380000 x\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "unknown line", J "nonce " N1 " 1796380000\nused " N2 "\n", -EPX_E_NM_TK_JOURNAL, 0 },
	{ "blank line", J "\n", -EPX_E_NM_TK_JOURNAL, 0 },
};

static void t_journal(void)
{
	static struct nmticket t, u;
	static char buf[NMTICKET_JOURNAL_MAX + 256], out[NMTICKET_JOURNAL_MAX];
	size_t i, len;
	int rc;

	for (i = 0; i < sizeof(pjs) / sizeof(pjs[0]); i++) {
		t.nseen = 99;
		rc = nmticket_journal_parse(&t, pjs[i].in, strlen(pjs[i].in), NOW);
		ok(rc == pjs[i].rc && t.nseen == pjs[i].nseen, "journal: %s (rc %d, %zu nonces)",
		   pjs[i].name, rc, t.nseen);
	}
	/* exactly NMTICKET_MAX entries parse and format back; one more does not */
	len = (size_t)snprintf(buf, sizeof(buf), J);
	for (i = 0; i < NMTICKET_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "nonce %064zx 1796380000\n", i);
	rc = nmticket_journal_parse(&t, buf, len, NOW);
	ok(rc == 0 && t.nseen == NMTICKET_MAX, "journal: %d entries (the cap)", NMTICKET_MAX);
	ok(nmticket_journal_format(&t, out, sizeof(out)) == len && !memcmp(out, buf, len),
	   "journal: formats back to the same bytes");
	rc = nmticket_journal_parse(&u, out, len, NOW);
	ok(rc == 0 && u.nseen == t.nseen && !memcmp(u.seen, t.seen, sizeof(t.seen)),
	   "journal: round trip");
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "nonce %064x 1796380000\n", 999);
	ok(nmticket_journal_parse(&t, buf, len, NOW) == -EPX_E_NM_TK_JOURNAL && t.nseen == 0,
	   "journal: one entry over the cap is refused");
}

/* A ticket for node of sliver name, nonce byte nb, expiring at exp,
 * signed by key (0: the online key); cpu_share 0 makes a bad record. */
static size_t mkticket(char *out, const char *node, const char *name, uint8_t nb, int64_t exp,
		       int key, uint64_t cpu_share)
{
	static struct sliverset ss;
	int signers[] = { key, FX_END };
	size_t len = 0;

	memset(&ss, 0, sizeof(ss));
	ss.ticket = 1;
	snprintf(ss.node, sizeof(ss.node), "%s", node);
	memset(ss.nonce, nb, sizeof(ss.nonce));
	ss.expires = exp;
	ss.n = 1;
	snprintf(ss.sl[0].name, sizeof(ss.sl[0].name), "%s", name);
	memset(ss.sl[0].image, 0x22, 32);
	ss.sl[0].image_bytes = 4096;
	snprintf(ss.sl[0].entry, sizeof(ss.sl[0].entry), "exec sleep 86403");
	ss.sl[0].expires = NOW + 86400;
	ss.sl[0].attr[0] = cpu_share;
	if (sliverset_format(&ss, out, DOCMAX, &len) < 0)
		abort();
	fx_sign(&fx, out, DOCMAX, &len, len, signers);
	return len;
}

/* A set for node1 with the sliver names, signed by the online key. */
static size_t mkset(char *out, const char *names)
{
	static struct sliverset ss;
	int signers[] = { 0, FX_END };
	char list[128], *save = NULL, *nm;
	size_t len = 0;

	memset(&ss, 0, sizeof(ss));
	snprintf(ss.node, sizeof(ss.node), "node1");
	ss.serial = 7;
	ss.issued = NOW;
	snprintf(list, sizeof(list), "%s", names);
	for (nm = strtok_r(list, ",", &save); nm; nm = strtok_r(NULL, ",", &save)) {
		struct sliver *sl = &ss.sl[ss.n++];

		snprintf(sl->name, sizeof(sl->name), "%s", nm);
		memset(sl->image, 0x11, 32);
		sl->image_bytes = 4096;
		snprintf(sl->entry, sizeof(sl->entry), "exec sleep 1d");
		sl->expires = NOW + 86400;
		sl->attr[0] = 1;
	}
	if (sliverset_format(&ss, out, DOCMAX, &len) < 0)
		abort();
	fx_sign(&fx, out, DOCMAX, &len, len, signers);
	return len;
}

static long journal(char *buf, size_t cap)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", dir, NMTICKET_FILE);
	return file_read(path, buf, cap);
}

struct hostile {
	const char *name;
	const char *node, *sliver;
	uint8_t nonce;
	int64_t expires;
	int key;
	uint64_t cpu_share;
	int flip;                       /* byte offset to change, -1 none */
	int rc;
};

static const struct hostile hostiles[] = {
	{ "replayed", "node1", "tk1", 0xa1, NOW + 600, 0, 1, -1, -EPX_E_NM_TK_REPLAY },
	{ "replayed for another sliver name", "node1", "tk9", 0xa1, NOW + 600, 0, 1, -1,
	  -EPX_E_NM_TK_REPLAY },
	{ "expired", "node1", "tk2", 0xa2, NOW, 0, 1, -1, -EPX_E_SLV_EXPIRED },
	{ "expired long ago", "node1", "tk2", 0xa2, NOW - 86400, 0, 1, -1, -EPX_E_SLV_EXPIRED },
	{ "another node's", "node2", "tk2", 0xa2, NOW + 600, 0, 1, -1, -EPX_E_SLV_NODE },
	{ "a changed byte in the nonce", "node1", "tk2", 0xa2, NOW + 600, 0, 1, 40, -EPX_E_SLV_SIG },
	{ "a changed byte in the entry", "node1", "tk2", 0xa2, NOW + 600, 0, 1, -2, -EPX_E_SLV_SIG },
	{ "signed by a release key", "node1", "tk2", 0xa2, NOW + 600, 1, 1, -1, -EPX_E_SLV_SIG },
	{ "signed by an unknown key", "node1", "tk2", 0xa2, NOW + 600, 2, 1, -1, -EPX_E_SLV_SIG },
	{ "a sliver name the set has", "node1", "web", 0xa3, NOW + 600, 0, 1, -1, -EPX_E_NM_TK_NAME },
	{ "a sliver name an earlier ticket has", "node1", "tk1", 0xa4, NOW + 600, 0, 1, -1,
	  -EPX_E_NM_TK_NAME },
	{ "a limit out of range (cpu_share 0)", "node1", "tk5", 0xa5, NOW + 600, 0, 0, -1,
	  -EPX_E_NM_LIMIT },
	{ "expiring past the longest ticket life", "node1", "tk6", 0xa6, NOW + 8 * 86400, 0, 1, -1,
	  -EPX_E_SLV_SYNTAX },
};

static void t_redeem(void)
{
	static char tk[DOCMAX], doc[DOCMAX], j0[NMTICKET_JOURNAL_MAX], j1[NMTICKET_JOURNAL_MAX];
	static struct nmticket t, r;
	static struct sliverset want;
	char name[SLIVERSET_NAME_MAX + 1], path[200];
	struct nmsync s;
	size_t len, i;
	long l0, l1;
	char *e;
	int rc;

	if (nmsync_init(&s, dir, "node1", ksfile) || nmticket_init(&t, dir, NOW))
		abort();
	len = mkset(doc, "web,zeta");
	ok(nmsync_accept(&s, doc, len) == 0, "redeem: a set of web and zeta accepted");
	ok(nmticket_redeem(&t, &s, tk, 0, NOW, name) != 0 && t.n == 0, "redeem: nothing");

	len = mkticket(tk, "node1", "tk1", 0xa1, NOW + 600, 0, 1);
	rc = nmticket_redeem(&t, &s, tk, len, NOW, name);
	ok(rc == 0 && t.n == 1 && !strcmp(name, "tk1") && !strcmp(t.sl[0].name, "tk1"),
	   "redeem: a good ticket joins the plan (rc %d)", rc);
	l0 = journal(j0, sizeof(j0));
	ok(l0 > 0 && memmem(j0, (size_t)l0, "nonce a1a1a1", 12) &&
	   memmem(j0, (size_t)l0, " 1796377600\n", 12), "redeem: its nonce and expiry journaled");
	nmticket_want(&t, s.cur, "node1", &want);
	ok(want.n == 3 && !strcmp(want.sl[0].name, "tk1") && !strcmp(want.sl[1].name, "web") &&
	   !strcmp(want.sl[2].name, "zeta"), "want: set and ticket slivers, names ascending");

	for (i = 0; i < sizeof(hostiles) / sizeof(hostiles[0]); i++) {
		const struct hostile *h = &hostiles[i];

		len = mkticket(tk, h->node, h->sliver, h->nonce, h->expires, h->key, h->cpu_share);
		if (h->flip >= 0)
			tk[h->flip] ^= 1;
		if (h->flip == -2 && (e = strstr(tk, "sleep 86403")))
			e[6] = '9';
		rc = nmticket_redeem(&t, &s, tk, len, NOW, name);
		l1 = journal(j1, sizeof(j1));
		ok(rc == h->rc && t.n == 1 && t.nseen == 1 && name[0] == '\0' && l1 == l0 &&
		   !memcmp(j0, j1, (size_t)l0), "refused: %s (rc %d, want %d), nothing changed",
		   h->name, rc, h->rc);
	}
	len = mkset(doc, "web");
	ok(nmticket_redeem(&t, &s, doc, len, NOW, name) == -EPX_E_SLV_SYNTAX && t.n == 1,
	   "refused: a sliver set in place of a ticket");
	memset(doc, 'x', NMTICKET_BYTES_MAX + 1);
	ok(nmticket_redeem(&t, &s, doc, NMTICKET_BYTES_MAX + 1, NOW, name) == -EPX_E_SLV_TOOBIG,
	   "refused: a ticket over 4 KiB");
	len = mkticket(tk, "node1", "tk1", 0xa1, NOW + 600, 0, 1);
	ok(nmticket_redeem(&t, &s, tk, len - 1, NOW, name) < 0 && t.n == 1,
	   "refused: a ticket cut by one byte");

	/* a restart: the nonce is still remembered; the ticket sliver is not */
	ok(nmticket_init(&r, dir, NOW) == 0 && r.nseen == 1 && r.n == 0,
	   "restart: the journal read back, no ticket sliver");
	ok(nmticket_redeem(&r, &s, tk, len, NOW + 10, name) == -EPX_E_NM_TK_REPLAY,
	   "restart: the replay is still refused");
	ok(nmticket_init(&r, dir, NOW + 600) == 0 && r.nseen == 0,
	   "restart after the ticket's expiry: its nonce forgotten");

	/* a second good ticket; then a full set confirms neither */
	len = mkticket(tk, "node1", "tk2", 0xb2, NOW + 600, 0, 1);
	ok(nmticket_redeem(&t, &s, tk, len, NOW, name) == 0 && t.n == 2 && t.nseen == 2,
	   "redeem: a second ticket");
	ok(nmticket_confirm(&t) == 2 && t.n == 0 && t.nseen == 2,
	   "confirm: a new set ends the ticket slivers, the nonces stay");
	nmticket_want(&t, s.cur, "node1", &want);
	ok(want.n == 2, "want: the set alone after the confirm");
	nmticket_want(&t, NULL, "node1", &want);
	ok(want.n == 0 && !strcmp(want.node, "node1"), "want: no set, no ticket: nothing");

	/* the journal full of live nonces */
	r = t;
	for (i = r.nseen; i < NMTICKET_MAX; i++) {
		memset(r.seen[i].nonce, 0, 32);
		memcpy(r.seen[i].nonce, &i, sizeof(i));
		r.seen[i].expires = NOW + 100;
	}
	r.nseen = NMTICKET_MAX;
	len = mkticket(tk, "node1", "tk3", 0xc3, NOW + 600, 0, 1);
	ok(nmticket_redeem(&r, &s, tk, len, NOW, name) == -EPX_E_NM_TK_FULL && r.n == 0,
	   "refused: %d live nonces journaled", NMTICKET_MAX);
	ok(nmticket_redeem(&r, &s, tk, len, NOW + 100, name) == 0 && r.nseen == 3,
	   "once they expire: room again, the expired ones dropped");

	/* SLIVERSET_MAX_SLIVERS slivers planned */
	r = t;
	r.n = SLIVERSET_MAX_SLIVERS - s.cur->n;
	for (i = 0; i < r.n; i++)
		snprintf(r.sl[i].name, sizeof(r.sl[i].name), "f%zu", i);
	len = mkticket(tk, "node1", "tk4", 0xd4, NOW + 600, 0, 1);
	ok(nmticket_redeem(&r, &s, tk, len, NOW, name) == -EPX_E_NM_TK_FULL,
	   "refused: %d slivers already planned", SLIVERSET_MAX_SLIVERS);

	/* an unwritable journal: the ticket is refused, nothing remembered */
	r = t;
	snprintf(r.dir, sizeof(r.dir), "%s/tickets/sub", dir);
	ok(nmticket_redeem(&r, &s, tk, len, NOW, name) == -EPX_E_NM_TK_JOURNAL && r.n == 0 &&
	   r.nseen == t.nseen, "refused: the journal cannot be written, nothing changed");

	/* a broken journal: fail closed */
	snprintf(path, sizeof(path), "%s/%s", dir, NMTICKET_FILE);
	{
		FILE *f = fopen(path, "w");

		if (!f || fputs("epoxy-nm-tickets 1\nnonce zz 1\n", f) < 0 || fclose(f))
			abort();
	}
	ok(nmticket_init(&r, dir, NOW) == -EPX_E_NM_TK_JOURNAL && r.broken,
	   "a malformed journal: E3151 at start");
	ok(nmticket_redeem(&r, &s, tk, len, NOW, name) == -EPX_E_NM_TK_JOURNAL && r.n == 0,
	   "...and every ticket is refused (fail closed)");
	unlink(path);
	ok(nmticket_init(&r, dir, NOW) == 0 && !r.broken && r.nseen == 0,
	   "a missing journal: empty");
	nmsync_free(&s);
}

static void t_json(void)
{
	static struct nmticket t;
	static char doc[DOCMAX], tk[DOCMAX];
	char name[SLIVERSET_NAME_MAX + 1], *buf = NULL;
	size_t blen = 0, len;
	struct nmsync s;
	FILE *f;

	if (nmsync_init(&s, dir, "node1", ksfile) || nmticket_init(&t, dir, NOW))
		abort();
	len = mkset(doc, "web");
	if (nmsync_accept(&s, doc, len))
		abort();
	len = mkticket(tk, "node1", "tkj", 0xe5, NOW + 600, 0, 1);
	if (nmticket_redeem(&t, &s, tk, len, NOW, name))
		abort();
	f = open_memstream(&buf, &blen);
	nmticket_json(&t, s.cur, "node1", f);
	fclose(f);
	ok(strstr(buf, "{\"node\": \"node1\", \"serial\": 7, \"slivers\": [{\"name\": \"web\", "
		       "\"source\": \"set\"") != NULL, "json: the set's sliver");
	ok(strstr(buf, "}, {\"name\": \"tkj\", \"source\": \"ticket\", \"expires\": 1796463400, "
		       "\"image\": \"sha256:2222") != NULL, "json: the ticket's sliver");
	ok(strstr(buf, "\"entry\": \"exec sleep 86403\", \"cpu_share\": 1, \"cpu_pct\": 0") != NULL,
	   "json: entry and attributes");
	ok(blen > 2 && !strcmp(buf + blen - 3, "]}\n"), "json: closed");
	free(buf);
	nmsync_free(&s);
}

/* The handler of t_socket: list answers "{}", redeem "again" is refused
 * as a replay, any other redeem answers its length. */
static int t_fn(void *ctx, const struct nmapi_req *r, FILE *f)
{
	(void)ctx;
	if (r->op == NMAPI_LIST)
		return fputs("{}\n", f) < 0 ? -EIO : 0;
	if (r->body_len == 5 && !memcmp(r->body, "again", 5))
		return -EPX_E_NM_TK_REPLAY;
	fprintf(f, "got %zu", r->body_len);
	return 0;
}

static int t_call(const char *path, const char *req, size_t len, const char *want_body,
		  int want_rc, int want_code)
{
	char *body = NULL;
	int code = -1, rc = nmapi_call(path, req, len, &body, &code);
	int good = rc == want_rc && code == want_code &&
		(!want_body || (body && !strcmp(body, want_body)));

	free(body);
	return good;
}

static void t_socket(void)
{
	static struct nmapi a, b;
	static char big[NMAPI_REQ_MAX + 200];
	char path[200], bad[200], longp[NMAPI_PATH_MAX + 8];
	int root = geteuid() == 0;
	struct stat st;

	snprintf(path, sizeof(path), "%s/api/api.sock", fx.dir);
	ok(nmapi_listen(&a, path) == 0 && a.fd >= 0, "socket: listening on %s", path);
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0600 &&
	   st.st_uid == 0, "socket: mode 0600, root's");
	snprintf(bad, sizeof(bad), "%s/api", fx.dir);
	ok(stat(bad, &st) == 0 && (st.st_mode & 07777) == 0700, "socket: its directory made 0700");
	snprintf(bad, sizeof(bad), "%s/open", fx.dir);
	if (mkdir(bad, 0777) < 0 || chmod(bad, 0777) < 0)
		abort();
	snprintf(bad, sizeof(bad), "%s/open/api.sock", fx.dir);
	ok(nmapi_listen(&b, bad) == -EPX_E_NM_API_SOCKET && b.fd == -1,
	   "socket: refused in a directory others may write");
	ok(nmapi_listen(&b, "api.sock") == -EPX_E_NM_USAGE, "socket: refused a relative path");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ok(nmapi_listen(&b, longp) == -EPX_E_NM_USAGE, "socket: refused a path over 107 bytes");
	snprintf(bad, sizeof(bad), "%s/file", fx.dir);
	if (close(open(bad, O_CREAT | O_WRONLY, 0600)) < 0)
		abort();
	snprintf(bad, sizeof(bad), "%s/file/api.sock", fx.dir);
	ok(nmapi_listen(&b, bad) == -EPX_E_NM_API_SOCKET, "socket: refused under a file");
	if (nmapi_start(&a, t_fn, NULL))
		abort();
	if (!root) {
		ok(t_call(path, M "list\n", 15 + 5, NULL, -EPX_E_NM_API_REFUSED, 3143),
		   "call: not root: refused E3143");
		return;
	}
	ok(t_call(path, M "list\n", 15 + 5, "{}\n", 0, 0), "call: list answered");
	ok(t_call(path, M "redeem 3\nabc", 15 + 12, "got 3", 0, 0), "call: redeem answered");
	ok(t_call(path, M "redeem 5\nagain", 15 + 14, "EPOXY-E3150 epoxy-nm: ticket already "
		  "redeemed on this node (its nonce is remembered until the ticket expires); "
		  "nothing changed\n", -EPX_E_NM_API_REFUSED, 3150),
	   "call: a refusal carries the handler's code and text");
	ok(t_call(path, M "lists\n", 15 + 6, NULL, -EPX_E_NM_API_REFUSED, 3140),
	   "call: a malformed request refused E3140");
	ok(t_call(path, "", 0, NULL, -EPX_E_NM_API_REFUSED, 3140),
	   "call: an empty request refused E3140");
	memset(big, 'x', sizeof(big));
	ok(t_call(path, big, sizeof(big), NULL, -EPX_E_NM_API_REFUSED, 3141),
	   "call: a request over %d bytes refused E3141", NMAPI_REQ_MAX);
	ok(t_call(path, M "list\n", 15 + 5, "{}\n", 0, 0), "call: still serving after them");
	snprintf(bad, sizeof(bad), "%s/none.sock", fx.dir);
	ok(t_call(bad, M "list\n", 15 + 5, NULL, -EPX_E_NM_API_CONNECT, 0),
	   "call: a socket nobody serves: E3145");
	ok(t_call("relative", M "list\n", 15 + 5, NULL, -EPX_E_NM_USAGE, 0),
	   "call: a relative path: usage");
	unlink(path);
	snprintf(bad, sizeof(bad), "%s/file", fx.dir);
	unlink(bad);
	snprintf(bad, sizeof(bad), "%s/open", fx.dir);
	rmdir(bad);
	snprintf(bad, sizeof(bad), "%s/api", fx.dir);
	rmdir(bad);
}

static void cleanup(void)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", dir, NMTICKET_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, NMSYNC_CACHE_NAME);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	static char ks[8192];
	int rel[] = { 1, 2, FX_END }, none[] = { FX_END };
	size_t len;
	FILE *f;

	fx_init(&fx, 4);
	snprintf(dir, sizeof(dir), "%s/cache", fx.dir);
	len = fx_keyset(&fx, ks, sizeof(ks), 1, 2, rel, 0, none, rel);
	snprintf(ksfile, sizeof(ksfile), "%s/keyset", fx.dir);
	f = fopen(ksfile, "w");
	if (!f || fwrite(ks, 1, len, f) != len || fclose(f))
		abort();
	t_parse();
	t_http();
	t_journal();
	t_redeem();
	cleanup();
	t_json();
	cleanup();
	t_socket();
	unlink(ksfile);
	fx_free(&fx);
	return test_done();
}
