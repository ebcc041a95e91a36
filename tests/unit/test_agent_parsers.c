/* Table tests of the agent's parsers: kernel command line, boot credential
 * variable, HTTP response head, chunked coding, session answer, handover
 * file.  Each table holds valid inputs and many malformed ones. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "net/chunked.h"
#include "net/httpc.h"
#include "stage2/cmdline.h"
#include "stage2/efivar.h"
#include "stage2/handover.h"
#include "stage2/session.h"
#include "tests/test.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
	const char *in;
	int rc;
	const char *server, *addr;
	int port, stage;
} cl_cases[] = {
	{ "console=ttyS0 epoxy.server=epoxy.test epoxy.addr=10.0.2.100 epoxy.port=8443 epoxy.stage=1",
	  0, "epoxy.test", "10.0.2.100", 8443, 1 },
	{ "epoxy.stage=2 epoxy.session=0123456789abcdef", 0, "", "", 0, 2 },
	{ "epoxy.stage=2 epoxy.session=0123456789ABCDEF", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.port=08443", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.port=+8443", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=10.0.2.010", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=10.0.2.256", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=10.0.2", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=10.0.2.1.", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.host=node-", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "", 0, "", "", 0, 0 },
	{ "quiet splash root=\"/dev/sda 1\" epoxy.port=1", 0, "", "", 1, 0 },
	{ "  epoxy.server=a.b\t\nepoxy.addr=1.2.3.4  ", 0, "a.b", "1.2.3.4", 0, 0 },
	{ "epoxyx=1 epoxy=2", 0, "", "", 0, 0 },
	{ "epoxy.server=Epoxy.test", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server=-a.test", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server=a-.test", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server=a..test", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server=.a", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server=a.", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server=", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server=a_b", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server=a.test epoxy.server=a.test", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=10.0.2", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=10.0.2.256", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=10.0.2.1.5", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=010.0.2.1", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=10..2.1", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=::1", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.addr=1.2.3.4x", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.port=0", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.port=65536", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.port=08443", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.port=-1", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.port=844300", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.stage=3", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.stage=0", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.session=0123", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.session=0123456789abcdeg", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.token=" H64, -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.server=\"a.test\"", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "root=\"unterminated epoxy.port=1", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.stage=1 epoxy.host=node-1.site", 0, "", "", 0, 1 },
	{ "epoxy.host=Node1", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.host=", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.host=node_1", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.host=a epoxy.host=a", -EPX_E_CMDLINE, 0, 0, 0, 0 },
	{ "epoxy.host=abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abcd",
	  -EPX_E_CMDLINE, 0, 0, 0, 0 },
};

static void test_cmdline(void)
{
	struct cmdline c;
	const char *bad;
	char big[CMDLINE_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(cl_cases) / sizeof(cl_cases[0]); i++) {
		int rc = cmdline_parse(&c, cl_cases[i].in, strlen(cl_cases[i].in), &bad);

		ok(rc == cl_cases[i].rc, "cmdline case %zu -> %d (%s)", i, rc, bad);
		if (rc == 0 && cl_cases[i].rc == 0)
			ok(strcmp(c.server, cl_cases[i].server) == 0 &&
			   strcmp(c.addr, cl_cases[i].addr) == 0 &&
			   c.port == cl_cases[i].port && c.stage == cl_cases[i].stage,
			   "cmdline case %zu values", i);
	}
	ok(cmdline_parse(&c, "epoxy.host=node1 epoxy.stage=1", 30, &bad) == 0 &&
	   strcmp(c.host, "node1") == 0, "cmdline epoxy.host value");
	ok(cmdline_parse(&c, "epoxy.stage=1", 13, &bad) == 0 && c.host[0] == '\0',
	   "cmdline without epoxy.host: empty");
	ok(cmdline_parse(&c, "epoxy.stage=2 epoxy.session=0123456789abcdef", 44, &bad) == 0 &&
	   strcmp(c.session, "0123456789abcdef") == 0, "session kept (lowercase only)");
	ok(cmdline_parse(&c, "epoxy.port=1\0epoxy.port=2", 25, &bad) == -EPX_E_CMDLINE,
	   "NUL byte refused");
	memset(big, 'a', sizeof(big));
	ok(cmdline_parse(&c, big, CMDLINE_MAX + 1, &bad) == -EPX_E_CMDLINE, "over cap refused");
	ok(cmdline_parse(&c, big, CMDLINE_MAX, &bad) == 0, "at cap accepted");
}

static const struct {
	const char *text;
	unsigned attr;
	int rc;
} ev_cases[] = {
	{ "epoxy-boot 1\nhost node1\ncredential " H64 "\nend\n", 7, 0 },
	{ "epoxy-boot 1\nhost node1\ncredential " H64 "\nend\n", 0x27, 0 },
	{ "epoxy-boot 1\nhost node1\ncredential " H64 "\nend\n", 3, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\nhost node1\ncredential " H64 "\nend", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\nhost node1\ncredential " H64 "\nend\nx", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 2\nhost node1\ncredential " H64 "\nend\n", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\nhost Node1\ncredential " H64 "\nend\n", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\nhost \ncredential " H64 "\nend\n", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\nhost node1\ncredential " H64 "0\nend\n", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\nhost node1\ncredential 0123\nend\n", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\ncredential " H64 "\nhost node1\nend\n", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\r\nhost node1\ncredential " H64 "\nend\n", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\nhost node1\ncredential " H64 "\n", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "", 7, -EPX_E_EFIVAR_SYNTAX },
	{ "epoxy-boot 1\nhost node1\nhost node2\ncredential " H64 "\nend\n", 7, -EPX_E_EFIVAR_SYNTAX },
};

static void test_efivar(void)
{
	struct bootcred bc;
	uint8_t buf[EFIVAR_MAX + 8];
	size_t i, n;

	for (i = 0; i < sizeof(ev_cases) / sizeof(ev_cases[0]); i++) {
		n = strlen(ev_cases[i].text);
		buf[0] = (uint8_t)ev_cases[i].attr;
		buf[1] = buf[2] = buf[3] = 0;
		memcpy(buf + 4, ev_cases[i].text, n);
		ok(efivar_parse(&bc, buf, n + 4) == ev_cases[i].rc, "efivar case %zu", i);
		if (ev_cases[i].rc == 0)
			ok(strcmp(bc.host, "node1") == 0 && bc.credential[0] == 0x01 &&
			   bc.credential[31] == 0xef, "efivar values %zu", i);
		else
			ok(bc.credential[0] == 0 && bc.credential[31] == 0,
			   "efivar %zu: nothing kept on error", i);
	}
	ok(efivar_parse(&bc, buf, 3) == -EPX_E_EFIVAR_SYNTAX, "efivar shorter than attributes");
	ok(efivar_parse(&bc, buf, EFIVAR_MAX + 1) == -EPX_E_EFIVAR_SYNTAX, "efivar over cap");
	ok(efivar_read(&bc, "/nonexistent") == -EPX_E_EFIVAR_MISSING, "efivar missing");
}

static const struct {
	const char *in;
	int rc;
	int status;
	long long cl;
	int chunked;
} http_cases[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 0, 200, 5, 0 },
	{ "HTTP/1.1 200 OK\r\n\r\n", 0, 200, -1, 0 },
	{ "HTTP/1.0 204 No Content\r\n\r\n", 0, 204, -1, 0 },
	{ "HTTP/1.1 200\r\n\r\n", 0, 200, -1, 0 },
	{ "HTTP/1.1 206 Partial\r\nContent-Range: bytes 10-19/20\r\nContent-Length: 10\r\n\r\n", 0, 206, 10, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 200, -1, 1 },
	{ "HTTP/1.1 200 OK\r\ncontent-length:   7  \r\nX-A: b\r\n\r\n", 0, 200, 7, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n", 0, 200, 7, 0 },
	{ "HTTP/1.1 503 Busy\r\nRetry-After: 99999\r\n\r\n", 0, 503, -1, 0 },
	{ "HTTP/1.1 200 OK\r\nEpoxy-Next-Token: " H64 "\r\n\r\n", 0, 200, -1, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: +7\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nEpoxy-Next-Token: " "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef" "\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nX: a\001b\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\nX: a\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nX: a\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/2 200 OK\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "HTTP/1.1 20 OK\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "HTTP/1.1 099 OK\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "HTTP/1.1 600 OK\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "HTTP/1.1 2000 OK\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "HTTP/1.1 2x0 OK\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "http/1.1 200 OK\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "HTTP/1.2 200 OK\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "\r\n\r\n", -EPX_E_HTTP_STATUS, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nEpoxy-Next-Token: 0123\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nEpoxy-Next-Token: " H64 "\r\nEpoxy-Next-Token: " H64 "\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 206 P\r\nContent-Range: bytes 10-9/20\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 206 P\r\nContent-Range: bytes 10-20/20\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 206 P\r\nContent-Range: bytes */20\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 206 P\r\nContent-Range: items 1-2/3\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
	{ "HTTP/1.1 503 B\r\nRetry-After: Fri, 31 Dec 1999\r\n\r\n", -EPX_E_HTTP_HEADER, 0, 0, 0 },
};

static void test_http(void)
{
	static uint8_t big[HTTPC_HEAD_MAX + 16];
	struct httpc_head h;
	size_t i, off;

	for (i = 0; i < sizeof(http_cases) / sizeof(http_cases[0]); i++) {
		const uint8_t *in = (const uint8_t *)http_cases[i].in;
		size_t n = strlen(http_cases[i].in);
		long end = httpc_head_end(in, n);
		int rc = httpc_parse_head(&h, in, n);

		ok(rc == http_cases[i].rc, "http case %zu -> %d", i, rc);
		if (rc == 0)
			ok(end == (long)n && h.status == http_cases[i].status &&
			   h.content_length == http_cases[i].cl &&
			   h.chunked == http_cases[i].chunked, "http case %zu values", i);
	}
	ok(httpc_parse_head(&h, (const uint8_t *)"HTTP/1.1 503 B\r\nRetry-After: 99999\r\n\r\n", 38) == 0 &&
	   h.retry_after == HTTPC_RETRY_AFTER_MAX, "Retry-After capped");
	ok(httpc_head_end((const uint8_t *)"HTTP/1.1 200 OK\r\n", 17) == 0, "incomplete head");
	memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
	for (off = 17; off + 8 < sizeof(big); off += 8)
		memcpy(big + off, "X: abc\r\n", 8);
	ok(httpc_head_end(big, sizeof(big)) == -EPX_E_HTTP_HDRBIG, "head over cap");
	ok(httpc_parse_head(&h, big, sizeof(big)) == -EPX_E_HTTP_HDRBIG, "parse over cap");
	off = 17;
	for (i = 0; i < HTTPC_HEADERS_MAX + 2; i++, off += 8)
		memcpy(big + off, "X: abc\r\n", 8);
	memcpy(big + off, "\r\n", 2);
	ok(httpc_parse_head(&h, big, off + 2) == -EPX_E_HTTP_HDRBIG, "too many headers");
}

static const struct {
	const char *in;
	int rc;             /* 1 done, 0 more, <0 error */
	const char *out;
} ch_cases[] = {
	{ "5\r\nhello\r\n0\r\n\r\n", 1, "hello" },
	{ "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 1, "hello world" },
	{ "A\r\n0123456789\r\n0\r\n\r\n", 1, "0123456789" },
	{ "5;ext=1\r\nhello\r\n0\r\n\r\n", 1, "hello" },
	{ "5\r\nhello\r\n0\r\nX-Trailer: y\r\n\r\n", 1, "hello" },
	{ "0\r\n\r\n", 1, "" },
	{ "5\r\nhel", 0, "hel" },
	{ "5\r\nhello\r\n", 0, "hello" },
	{ "5\nhello\r\n0\r\n\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "5\r\nhello\n0\r\n\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "5\r\nhelloX\r\n0\r\n\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "\r\nhello\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "g\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ " 5\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "5 \r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "-5\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ ";x\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "1000000000000000\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "5;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "0\r\nX: y\n\r\n", -EPX_E_HTTP_CHUNK, 0 },
	{ "0\r\n\rX", -EPX_E_HTTP_CHUNK, 0 },
	{ "5;e\nx\r\n", -EPX_E_HTTP_CHUNK, 0 },
};

static void test_chunked(void)
{
	static uint8_t buf[8192];
	struct chunked c;
	size_t i, used, out, total, pos;

	for (i = 0; i < sizeof(ch_cases) / sizeof(ch_cases[0]); i++) {
		size_t n = strlen(ch_cases[i].in);
		int rc;

		/* whole buffer at once */
		memcpy(buf, ch_cases[i].in, n);
		chunked_init(&c);
		rc = chunked_feed(&c, buf, n, &used, &out);
		ok(rc == ch_cases[i].rc, "chunked case %zu whole -> %d", i, rc);
		if (rc >= 0)
			ok(out == strlen(ch_cases[i].out) &&
			   memcmp(buf, ch_cases[i].out, out) == 0, "chunked case %zu data", i);
		/* one byte at a time gives the same answer */
		chunked_init(&c);
		total = 0;
		rc = 0;
		for (pos = 0; pos < n && rc == 0; pos++) {
			uint8_t b = (uint8_t)ch_cases[i].in[pos];

			rc = chunked_feed(&c, &b, 1, &used, &out);
			total += rc >= 0 ? out : 0;
		}
		ok(rc == ch_cases[i].rc && (rc < 0 || total == strlen(ch_cases[i].out)),
		   "chunked case %zu bytewise -> %d", i, rc);
	}
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "0\r\n", 3);
	for (i = 3; i + 4 < sizeof(buf); i += 4)
		memcpy(buf + i, "X:y\r\n", 4);
	chunked_init(&c);
	ok(chunked_feed(&c, buf, sizeof(buf), &used, &out) == -EPX_E_HTTP_CHUNK,
	   "trailers over cap");
	memcpy(buf, "3\r\nabc\r\n0\r\n\r\nHTTP", 17);
	chunked_init(&c);
	ok(chunked_feed(&c, buf, 17, &used, &out) == 1 && used == 13 && out == 3,
	   "stops at the end of the message");
}

static void test_session(void)
{
	static const char *const purposes[] = { "manifest", "kernel", "initramfs",
						"cmdline", "join", "joincred",
						"report" };
	static const struct {
		const char *mod;
		int rc;
	} cases[] = {
		{ "", 0 },
		{ "drop:kernel", -EPX_E_SESSION_TOKEN },
		{ "drop:report", -EPX_E_SESSION_TOKEN },
		{ "dup:kernel", -EPX_E_SESSION_SYNTAX },
		{ "extra:token bogus " H64 "\n", -EPX_E_SESSION_SYNTAX },
		{ "extra:x-note hello\n", 0 },
		{ "extra:color blue\n", -EPX_E_SESSION_SYNTAX },
		{ "extra:session 0123456789abcdef\n", -EPX_E_SESSION_SYNTAX },
		{ "extra:release 8\n", -EPX_E_SESSION_SYNTAX },
		{ "short:kernel", -EPX_E_SESSION_SYNTAX },
		{ "nostmt", -EPX_E_SESSION_SYNTAX },
		{ "noend", -EPX_E_SESSION_SYNTAX },
		{ "magic", -EPX_E_SESSION_SYNTAX },
		{ "release0", -EPX_E_SESSION_SYNTAX },
		{ "releasebig", -EPX_E_SESSION_SYNTAX },
		{ "badsid", -EPX_E_SESSION_SYNTAX },
	};
	static char buf[SESSION_MAX + 16];
	struct session s;
	size_t i, j, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *m = cases[i].mod;

		n = (size_t)sprintf(buf, "%s\nsession %s\nrelease %s\n",
				    strcmp(m, "magic") ? "epoxy-session 1" : "epoxy-session 2",
				    strcmp(m, "badsid") ? "0123456789abcdef" : "0123456789abcdeZ",
				    !strcmp(m, "release0") ? "0" :
				    !strcmp(m, "releasebig") ? "4294967296" : "7");
		for (j = 0; j < 7; j++) {
			if (!strncmp(m, "drop:", 5) && !strcmp(m + 5, purposes[j]))
				continue;
			n += (size_t)sprintf(buf + n, "token %s %s\n", purposes[j],
					     !strncmp(m, "short:", 6) && !strcmp(m + 6, purposes[j]) ?
					     "0123" : H64);
			if (!strncmp(m, "dup:", 4) && !strcmp(m + 4, purposes[j]))
				n += (size_t)sprintf(buf + n, "token %s %s\n", purposes[j], H64);
		}
		if (!strncmp(m, "extra:", 6))
			n += (size_t)sprintf(buf + n, "%s", m + 6);
		if (strcmp(m, "noend"))
			n += (size_t)sprintf(buf + n, "end\n");
		if (strcmp(m, "nostmt"))
			n += (size_t)sprintf(buf + n, "epoxy-statement 1\n...");
		ok(session_parse(&s, buf, n) == cases[i].rc, "session case %zu", i);
		if (cases[i].rc == 0)
			ok(s.release == 7 && strcmp(s.id_hex, "0123456789abcdef") == 0 &&
			   s.tok[SESSION_TOK_REPORT][0] == 0x01 &&
			   strncmp(s.statement, "epoxy-statement 1\n", 18) == 0,
			   "session case %zu values", i);
		else
			ok(s.tok[SESSION_TOK_MANIFEST][0] == 0, "session case %zu wiped", i);
	}
	memset(buf, 'a', sizeof(buf));
	ok(session_parse(&s, buf, SESSION_MAX + 1) == -EPX_E_SESSION_SYNTAX, "session over cap");
	{
		uint8_t nonce[32] = { 1 };
		char body[SESSION_BODY_MAX];
		int len = session_request(body, sizeof(body), "node1", "52-54-00-12-34-56",
					  nonce, 1, 1);

		/* the credential field is stage2/bootcred.c's (test_agent_bootcred) */
		ok(len > 0 && strstr(body, "host=node1&mac=52-54-00-12-34-56&nonce=01") &&
		   strcmp(body + len - 16, "&agent=1&stage=1") == 0 && !strstr(body, "credential"),
		   "session request body, no secret");
		ok(session_request(body, 40, "node1", "m", nonce, 1, 1) == -EPX_E_CODEC_SPACE,
		   "session request too long");
	}
}

static void test_handover(void)
{
	static const struct {
		const char *from, *to;
		int rc;
	} cases[] = {
		{ "", "", 0 },
		{ "host node1\n", "host Node1\n", -EPX_E_HO_SYNTAX },
		{ "host node1\n", "", -EPX_E_HO_SYNTAX },
		{ "session 0123456789abcdef\n", "session 0123\n", -EPX_E_HO_SYNTAX },
		{ "server epoxy.test\n", "server epoxy..test\n", -EPX_E_HO_SYNTAX },
		{ "addr 10.0.2.100\n", "addr 10.0.2.300\n", -EPX_E_HO_SYNTAX },
		{ "addr 10.0.2.100\n", "addr 10.0.2.100 \n", -EPX_E_HO_SYNTAX },
		{ "port 8443\n", "port 0\n", -EPX_E_HO_SYNTAX },
		{ "port 8443\n", "port 99999\n", -EPX_E_HO_SYNTAX },
		{ "port 8443\n", "port 8443x\n", -EPX_E_HO_SYNTAX },
		{ "token joincred", "token join", -EPX_E_HO_SYNTAX },
		{ "end\n", "end\nextra\n", -EPX_E_HO_SYNTAX },
		{ "end\n", "end", -EPX_E_HO_SYNTAX },
		{ "epoxy-handover 1", "epoxy-handover 2", -EPX_E_HO_SYNTAX },
		{ "token report " H64, "token report " H64 "0", -EPX_E_HO_SYNTAX },
		{ "token joincred 0101", "token joincred 01AB", -EPX_E_HO_SYNTAX },
		{ "session 0123456789abcdef", "session 0123456789ABCDEF", -EPX_E_HO_SYNTAX },
	};
	struct handover h, g;
	char text[HANDOVER_MAX], mod[HANDOVER_MAX * 2];
	size_t i;
	int n;

	memset(&h, 0, sizeof(h));
	strcpy(h.host, "node1");
	strcpy(h.session, "0123456789abcdef");
	strcpy(h.server, "epoxy.test");
	strcpy(h.addr, "10.0.2.100");
	h.port = 8443;
	memset(h.joincred, 0x01, 32);
	memset(h.report, 0x02, 32);
	n = handover_format(&h, text, sizeof(text));
	ok(n > 0, "handover formats");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = strstr(text, cases[i].from);
		size_t pre;

		if (cases[i].from[0] == 0)
			p = text;
		if (cases[i].from[0] == 0 || !p) {
			snprintf(mod, sizeof(mod), "%s", text);
		} else {
			pre = (size_t)(p - text);
			snprintf(mod, sizeof(mod), "%.*s%s%s", (int)pre, text, cases[i].to,
				 p + strlen(cases[i].from));
		}
		if (strcmp(cases[i].from, "token report " H64) == 0) {
			snprintf(mod, sizeof(mod), "%s", text);
			p = strstr(mod, "token report ");
			memmove(p + 13 + 65, p + 13 + 64, strlen(p + 13 + 64) + 1);
			p[13 + 64] = '0';
		}
		ok(handover_parse(&g, mod, strlen(mod)) == cases[i].rc, "handover case %zu", i);
		if (cases[i].rc == 0)
			ok(memcmp(&g, &h, sizeof(h)) == 0, "handover round trip");
		else
			ok(g.report[0] == 0 && g.joincred[0] == 0, "handover %zu wiped", i);
	}
	ok(handover_parse(&g, text, HANDOVER_MAX + 1) == -EPX_E_HO_SYNTAX, "handover over cap");
}

int main(void)
{
	test_cmdline();
	test_efivar();
	test_http();
	test_chunked();
	test_session();
	test_handover();
	return test_done();
}
