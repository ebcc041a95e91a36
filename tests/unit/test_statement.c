/* Table test of session statements: exactly one signature by the online
 * key, bound to the agent's nonce, the host and the manifest, bounded
 * validity, strict fields. */
#include <errno.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/statement.h"
#include "tests/keys/expand.h"
#include "tests/keys/fixture.h"
#include "tests/test.h"

#define BUF 8000
#define NONCE "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0"
#define MF "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000"
#define MAGIC "epoxy-statement 1\n"
#define HOST "host node1\n"
#define SESS "session 0123456789abcdef\n"
#define NON "nonce " NONCE "\n"
#define MAN "manifest " MF "\n"
#define VER "version 7\n"
#define TIME "time 1763784000\n"
#define EXP "expires 1763784600\n"
#define END "end\n"
#define DBX "dbx 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
#define GOOD MAGIC HOST SESS NON MAN VER TIME EXP END

static const int S3[] = { 3, FX_END };
static const int S33[] = { 3, 3, FX_END };
static const int S0[] = { 0, FX_END };
static const int S30[] = { 3, 0, FX_END };
static const int SNONE[] = { FX_END };

static const struct {
	const char *name;
	const char *tmpl;
	const int *signers;
	int post;               /* 1: relabel the signature with key 0's ID */
	int rc;
} cases[] = {
	{ "valid", GOOD, S3, 0, 0 },
	{ "valid with dbx", MAGIC HOST SESS NON MAN DBX VER TIME EXP END, S3, 0, 0 },
	{ "dbx twice", MAGIC HOST SESS NON MAN DBX DBX VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "dbx short", MAGIC HOST SESS NON MAN "dbx 0011\n" VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "dbx upper-case", MAGIC HOST SESS NON MAN "dbx 00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\n" VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "dbx empty", MAGIC HOST SESS NON MAN "dbx \n" VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "fields reordered", MAGIC EXP TIME VER MAN NON SESS HOST END, S3, 0, 0 },
	{ "x- field", MAGIC "x-server epoxyd-2\n" HOST SESS NON MAN VER TIME EXP END, S3, 0, 0 },
	{ "host with dots and dashes", MAGIC "host rack-1.site-2.example\n" SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_HOST },
	{ "unsigned", GOOD, SNONE, 0, -EPX_E_ST_SIG },
	{ "two signatures by the online key", GOOD, S33, 0, -EPX_E_ST_SIG },
	{ "online + release key", GOOD, S30, 0, -EPX_E_ST_SIG },
	{ "signed by a release key", GOOD, S0, 0, -EPX_E_ST_SIG },
	{ "online signature under another ID", GOOD, S3, 1, -EPX_E_ST_SIG },
	{ "body changed after signing", GOOD, S3, 2, -EPX_E_ST_SIG },
	{ "stale nonce", MAGIC HOST SESS "nonce a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc1\n" MAN VER TIME EXP END, S3, 0, -EPX_E_ST_NONCE },
	{ "other host", MAGIC "host node2\n" SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_HOST },
	{ "host prefix", MAGIC "host node\n" SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_HOST },
	{ "expires before time", MAGIC HOST SESS NON MAN VER TIME "expires 1763783999\n" END, S3, 0, -EPX_E_ST_EXPIRED },
	{ "expires equal to time", MAGIC HOST SESS NON MAN VER TIME "expires 1763784000\n" END, S3, 0, -EPX_E_ST_EXPIRED },
	{ "valid for more than a day", MAGIC HOST SESS NON MAN VER TIME "expires 1763870401\n" END, S3, 0, -EPX_E_ST_EXPIRED },
	{ "valid for exactly a day", MAGIC HOST SESS NON MAN VER TIME "expires 1763870400\n" END, S3, 0, 0 },
	{ "host missing", MAGIC SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "session missing", MAGIC HOST NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "nonce missing", MAGIC HOST SESS MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "manifest missing", MAGIC HOST SESS NON VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "version missing", MAGIC HOST SESS NON MAN TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "time missing", MAGIC HOST SESS NON MAN VER EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "expires missing", MAGIC HOST SESS NON MAN VER TIME END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "host twice", MAGIC HOST HOST SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "nonce twice", MAGIC HOST SESS NON NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "time twice", MAGIC HOST SESS NON MAN VER TIME TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "unknown field", MAGIC HOST SESS NON MAN VER TIME EXP "token 00\n" END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "host upper case", MAGIC "host Node1\n" SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "host underscore", MAGIC "host node_1\n" SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "host 64 chars", MAGIC "host aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "session 15 hex", MAGIC HOST "session 0123456789abcde\n" NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "session 17 hex", MAGIC HOST "session 0123456789abcdef0\n" NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "session not hex", MAGIC HOST "session 0123456789abcdeg\n" NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "nonce short", MAGIC HOST SESS "nonce a1a2\n" MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "manifest hash short", MAGIC HOST SESS NON "manifest 0f0e\n" VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "version 0", MAGIC HOST SESS NON MAN "version 0\n" TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "version 2^32", MAGIC HOST SESS NON MAN "version 4294967296\n" TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "time 0", MAGIC HOST SESS NON MAN VER "time 0\n" EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "time negative", MAGIC HOST SESS NON MAN VER "time -5\n" EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "time 2^63", MAGIC HOST SESS NON MAN VER "time 9223372036854775808\n" EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "wrong magic", "epoxy-statement 2\n" HOST SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "manifest magic", "epoxy-manifest 1\n" HOST SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
	{ "no end", MAGIC HOST SESS NON MAN VER TIME EXP, SNONE, 0, -EPX_E_ST_SYNTAX },
	{ "tab", MAGIC "host\tnode1\n" SESS NON MAN VER TIME EXP END, S3, 0, -EPX_E_ST_SYNTAX },
};

static struct fx fx;
static struct keyset ks;

static void setup_keyset(void)
{
	static const int rel[] = { 0, 1, 2, FX_END };
	static const int sig[] = { 0, 1, FX_END };
	char buf[BUF];
	size_t len = fx_keyset(&fx, buf, sizeof(buf), 1, 2, rel, 3, NULL, sig);

	ok(keyset_load_root(&ks, buf, len) == 0, "keyset for statements loads");
}

static size_t make(size_t i, char *buf)
{
	size_t body, len;

	body = fx_expand(&fx, cases[i].tmpl, buf, BUF);
	len = body;
	fx_sign(&fx, buf, BUF, &len, body, cases[i].signers);
	if (cases[i].post == 1)
		memcpy(strstr(buf + body, fx.idhex[3]), fx.idhex[0], 16);
	if (cases[i].post == 2)
		strstr(buf, "version 7")[8] = '8';
	return len;
}

static void binding(void)
{
	uint8_t nonce[32], mf[32];
	struct statement st;
	char buf[BUF];
	size_t len;

	hex_decode(NONCE, 64, nonce, 32);
	hex_decode(MF, 64, mf, 32);
	len = make(0, buf);
	ok(statement_verify(&st, buf, len, &ks, nonce, "node1") == 0, "binding: verifies");
	ok(statement_bind_manifest(&st, mf, 7) == 0, "binding: names this manifest");
	ok(statement_bind_manifest(&st, mf, 8) == -EPX_E_ST_MANIFEST, "binding: other version");
	mf[31] ^= 1;
	ok(statement_bind_manifest(&st, mf, 7) == -EPX_E_ST_MANIFEST, "binding: manifest one byte off");
	ok(st.time == 1763784000 && st.expires == 1763784600 && st.version == 7 &&
	   st.session[0] == 0x01 && st.session[7] == 0xef && !strcmp(st.host, "node1"), "binding: fields");
}

static void format_roundtrip(void)
{
	struct statement st, back;
	char buf[BUF];
	size_t len = 0;

	memset(&st, 0, sizeof(st));
	strcpy(st.host, "node7");
	memset(st.session, 0x5a, sizeof(st.session));
	memset(st.nonce, 0xa5, sizeof(st.nonce));
	memset(st.manifest, 0x11, sizeof(st.manifest));
	st.version = 9;
	st.time = 1000;
	st.expires = 1600;
	ok(statement_format(&st, buf, sizeof(buf), &len) == 0, "format");
	ok(statement_parse(&back, buf, len) == 0 && !memcmp(&st, &back, sizeof(st)), "format then parse round-trips");
	ok(!back.has_dbx && !strstr(buf, "dbx"), "no dbx field unless has_dbx");
	st.has_dbx = 1;
	memset(st.dbx, 0xd6, sizeof(st.dbx));
	ok(statement_format(&st, buf, sizeof(buf), &len) == 0, "format with dbx");
	ok(statement_parse(&back, buf, len) == 0 && !memcmp(&st, &back, sizeof(st)),
	   "format then parse round-trips the dbx field");
	st.has_dbx = 0;
	ok(statement_format(&st, buf, 100, &len) == -ENOSPC, "format: no room");
	strcpy(st.host, "Bad Host");
	ok(statement_format(&st, buf, sizeof(buf), &len) == -EINVAL, "format: invalid host refused");
}

int main(void)
{
	uint8_t nonce[32];
	struct statement st;
	char buf[BUF];
	size_t i, len;
	int rc;

	fx_init(&fx, 5);
	setup_keyset();
	hex_decode(NONCE, 64, nonce, 32);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = make(i, buf);
		rc = statement_verify(&st, buf, len, &ks, nonce, "node1");
		ok(rc == cases[i].rc, "%s: %d want %d", cases[i].name, rc, cases[i].rc);
	}
	binding();
	format_roundtrip();
	fx_free(&fx);
	return test_done();
}
