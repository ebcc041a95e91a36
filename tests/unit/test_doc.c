/* Table test of the signed-document envelope: caps, line syntax, magic,
 * "end", signature lines, hashes, and the field walker. */
#include <string.h>

#include "lib/doc.h"
#include "lib/err.h"
#include "lib/sha256.h"
#include "tests/test.h"

#define M "epoxy-test 1\n"
#define SIG "sig 0011223344556677 304402200011223344556677\n"

static const struct {
	const char *name;
	const char *in;
	int rc;
	int nsigs;
	int nfields;
} cases[] = {
	{ "minimal", M "end\n", 0, 0, 0 },
	{ "one field", M "a b\nend\n", 0, 0, 1 },
	{ "value with spaces", M "artifact kernel 5 00\nend\n", 0, 0, 1 },
	{ "x- field skipped by walker", M "x-a b\nc d\nend\n", 0, 0, 1 },
	{ "one sig", M "a b\nend\n" SIG, 0, 1, 1 },
	{ "two sigs", M "a b\nend\n" SIG SIG, 0, 2, 1 },
	{ "digits and dash in key", M "min-agent 1\nk9 v\nend\n", 0, 0, 2 },
	{ "empty input", "", -EPX_E_MF_MAGIC, 0, 0 },
	{ "only newline", "\n", -EPX_E_MF_MAGIC, 0, 0 },
	{ "wrong magic", "epoxy-test 2\nend\n", -EPX_E_MF_MAGIC, 0, 0 },
	{ "magic with trailing space", "epoxy-test 1 \nend\n", -EPX_E_MF_MAGIC, 0, 0 },
	{ "magic prefix", "epoxy-test 10\nend\n", -EPX_E_MF_MAGIC, 0, 0 },
	{ "magic without newline", "epoxy-test 1", -EPX_E_MF_MAGIC, 0, 0 },
	{ "leading blank line", "\n" M "end\n", -EPX_E_MF_MAGIC, 0, 0 },
	{ "no end", M "a b\n", -EPX_E_MF_NOEND, 0, 0 },
	{ "end without newline", M "a b\nend", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "end twice", M "end\nend\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "END upper case", M "END\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "empty line", M "\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "field without value", M "a\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "field with empty value", M "a \nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "double space", M "a  b\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "leading space", M " a b\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "trailing space", M "a b \nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "tab", M "a\tb\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "CR LF", M "a b\r\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "upper case key", M "A b\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "key starts with digit", M "1a b\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "key with underscore", M "a_b c\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "key with dot", M "a.b c\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "DEL byte", M "a b\x7f\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "high byte", M "a b\x80\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "escape byte", M "a \x1b[2J\nend\n", -EPX_E_MF_SYNTAX, 0, 0 },
	{ "sig line before end", M "sig 0011223344556677 30440220\nend\n", 0, 0, 1 },
	{ "field after end", M "end\na b\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig keyid short", M "end\nsig 00112233445566 304402200011223344556677\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig keyid long", M "end\nsig 001122334455667788 304402200011223344556677\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig keyid not hex", M "end\nsig 00112233445566zz 304402200011223344556677\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig without der", M "end\nsig 0011223344556677\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig der odd", M "end\nsig 0011223344556677 304402200011223344556\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig der too short", M "end\nsig 0011223344556677 30440220\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig der not hex", M "end\nsig 0011223344556677 3044022000112233445566xx\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig extra word", M "end\nsig 0011223344556677 304402200011223344556677 00\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig without space", M "end\nsig0011223344556677 304402200011223344556677\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig tab", M "end\nsig\t0011223344556677 304402200011223344556677\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "empty line after end", M "end\n\n", -EPX_E_SIG_SYNTAX, 0, 0 },
	{ "sig without final newline", M "end\n" "sig 0011223344556677 304402200011223344556677", -EPX_E_MF_SYNTAX, 0, 0 },
};

static int count_fields(struct doc *d)
{
	const char *k, *v;
	size_t kl, vl;
	int n = 0, rc;

	while ((rc = doc_next(d, &k, &kl, &v, &vl)) == 1)
		n++;
	return rc < 0 ? rc : n;
}

static void caps(void)
{
	static char buf[DOC_MAX_BYTES + 600];
	struct doc d;
	size_t off, i;

	/* exactly at the cap is fine, one byte over is not */
	off = strlen(M);
	memcpy(buf, M, off);
	while (off + 100 < DOC_MAX_BYTES) {
		memcpy(buf + off, "x-p ", 4);
		memset(buf + off + 4, 'a', 75);
		buf[off + 79] = '\n';
		off += 80;
	}
	i = DOC_MAX_BYTES - off - 4 - 5;        /* "x-p " + pad + "\n" + "end\n" */
	memcpy(buf + off, "x-p ", 4);
	memset(buf + off + 4, 'b', i);
	off += 4 + i;
	memcpy(buf + off, "\nend\n", 5);
	off += 5;
	ok(off == DOC_MAX_BYTES && doc_split(&d, buf, off, "epoxy-test 1") == 0,
	   "document of exactly %d bytes accepted", DOC_MAX_BYTES);
	memmove(buf + off - 4, "b\nend\n", 6);
	ok(doc_split(&d, buf, off + 1, "epoxy-test 1") == -EPX_E_MF_TOOBIG,
	   "document of %d bytes refused", DOC_MAX_BYTES + 1);
	/* 32 signatures fine, 33 too many */
	off = strlen(M "end\n");
	memcpy(buf, M "end\n", off);
	for (i = 0; i < DOC_MAX_SIGS; i++) {
		memcpy(buf + off, SIG, strlen(SIG));
		off += strlen(SIG);
	}
	ok(doc_split(&d, buf, off, "epoxy-test 1") == 0 && d.nsigs == DOC_MAX_SIGS, "32 signatures accepted");
	memcpy(buf + off, SIG, strlen(SIG));
	off += strlen(SIG);
	ok(doc_split(&d, buf, off, "epoxy-test 1") == -EPX_E_MF_TOOMANY, "33 signatures refused");
	/* a NUL inside the length is a syntax error, not a terminator */
	memcpy(buf, M "a b\0c\nend\n", strlen(M) + 10);
	ok(doc_split(&d, buf, strlen(M) + 10, "epoxy-test 1") == -EPX_E_MF_SYNTAX, "NUL byte refused");
}

static void hashes(void)
{
	static const char in[] = M "a b\nend\n" SIG;
	uint8_t h[32];
	struct doc d;

	ok(doc_split(&d, in, strlen(in), "epoxy-test 1") == 0, "hash case parses");
	ok(d.body_len == strlen(M "a b\nend\n"), "body runs through end");
	sha256_buf(in, d.body_len, h);
	ok(memcmp(h, d.body_sha256, 32) == 0, "body hash is over magic..end");
	sha256_buf(in, strlen(in), h);
	ok(memcmp(h, d.file_sha256, 32) == 0, "file hash covers signatures");
	ok(d.sigs[0].der_len == 12 && d.sigs[0].keyid[7] == 0x77, "signature decoded");
}

int main(void)
{
	struct doc d;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = doc_split(&d, cases[i].in, strlen(cases[i].in), "epoxy-test 1");
		ok(rc == cases[i].rc, "%s: rc %d want %d", cases[i].name, rc, cases[i].rc);
		if (rc == 0 && cases[i].rc == 0) {
			ok((int)d.nsigs == cases[i].nsigs, "%s: %zu signatures", cases[i].name, d.nsigs);
			ok(count_fields(&d) == cases[i].nfields, "%s: %d fields", cases[i].name, cases[i].nfields);
		}
	}
	caps();
	hashes();
	return test_done();
}
