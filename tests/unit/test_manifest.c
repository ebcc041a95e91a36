/* Table test of release manifests: every way a manifest can be wrong is
 * refused with its own stable code, through the whole verification
 * pipeline the agent runs (root keyset, optional rotation, signatures,
 * policy, artifacts).  Keys are generated at test time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/manifest.h"
#include "lib/sha256.h"
#include "tests/keys/fixture.h"
#include "tests/test.h"

#define H64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define NOW 1763784000
#define NLINES 10
#define BUF 20000

enum op { KEEP, DEL, DUP, REPL, INS };
enum post { P_NONE, P_FLIP_HASH, P_RELABEL, P_GARBAGE_SIGS, P_SIG_SYNTAX, P_AFTER_END, P_BIG, P_LONG512, P_LONG513 };
enum ksv { KS_MAIN, KS_TWO_IDS, KS_ROT_OK, KS_ROT_FORGED, KS_ROT_OLD_ONLY, KS_ROT_REVOKED,
	   KS_ROT_SKIP, KS_ROT_UNKNOWN, KS_ROT_NEWKEYS_SIGN };

static const int S01[] = { 0, 1, FX_END };
static const int S0[] = { 0, FX_END };
static const int S00[] = { 0, 0, FX_END };
static const int S04[] = { 0, 4, FX_END };
static const int S05[] = { 0, 5, FX_END };
static const int S02[] = { 0, 2, FX_END };
static const int S012[] = { 0, 1, 2, FX_END };
static const int S3[] = { 3, 3, FX_END };
static const int S67[] = { 6, 7, FX_END };
static const int SNONE[] = { FX_END };

struct mcase {
	const char *name;
	enum op op;
	int line;
	const char *text;
	const int *signers;     /* NULL: keys 0 and 1 */
	enum post post;
	enum ksv ks;
	int64_t now;            /* 0: NOW */
	uint32_t floor;         /* 0: 7 */
	const char *hw;         /* NULL: qemu-x86_64 */
	int art_flip;           /* 1 + role whose bytes get one byte changed */
	int art_trunc;          /* 1 + role whose bytes lose their last byte */
	int expect;
};

static const struct mcase cases[] = {
	{ "valid manifest", .expect = 0 },
	{ "valid with three signatures", .signers = S012, .expect = 0 },
	{ "valid: signers 0 and 2", .signers = S02, .expect = 0 },
	{ "x- extension field ignored", INS, 5, "x-note built by ci", .expect = 0 },
	/* each field missing */
	{ "version missing", DEL, 1, .expect = EPX_E_MF_MISSING },
	{ "expires missing", DEL, 2, .expect = EPX_E_MF_MISSING },
	{ "hwclass missing", DEL, 3, .expect = EPX_E_MF_MISSING },
	{ "min-agent missing", DEL, 4, .expect = EPX_E_MF_MISSING },
	{ "kernel missing", DEL, 5, .expect = EPX_E_MF_MISSING },
	{ "initramfs missing", DEL, 6, .expect = EPX_E_MF_MISSING },
	{ "cmdline missing", DEL, 7, .expect = EPX_E_MF_MISSING },
	{ "join missing", DEL, 8, .expect = EPX_E_MF_MISSING },
	{ "end missing", DEL, 9, .expect = EPX_E_MF_NOEND },
	{ "magic missing", DEL, 0, .expect = EPX_E_MF_MAGIC },
	/* each field duplicated */
	{ "version duplicated", DUP, 1, .expect = EPX_E_MF_DUPLICATE },
	{ "expires duplicated", DUP, 2, .expect = EPX_E_MF_DUPLICATE },
	{ "hwclass duplicated", DUP, 3, .expect = EPX_E_MF_DUPLICATE },
	{ "min-agent duplicated", DUP, 4, .expect = EPX_E_MF_DUPLICATE },
	{ "kernel duplicated", DUP, 5, .expect = EPX_E_MF_DUPLICATE },
	{ "initramfs duplicated", DUP, 6, .expect = EPX_E_MF_DUPLICATE },
	{ "cmdline duplicated", DUP, 7, .expect = EPX_E_MF_DUPLICATE },
	{ "join duplicated", DUP, 8, .expect = EPX_E_MF_DUPLICATE },
	{ "kernel twice, other hash", INS, 6, "artifact kernel 5 " H64, .expect = EPX_E_MF_DUPLICATE },
	{ "version twice, same value later", INS, 9, "version 7", .expect = EPX_E_MF_DUPLICATE },
	/* each field oversized or out of range */
	{ "version 2^32", REPL, 1, "version 4294967296", .expect = EPX_E_MF_OVERSIZE },
	{ "version 0", REPL, 1, "version 0", .expect = EPX_E_MF_OVERSIZE },
	{ "version 25 digits", REPL, 1, "version 1234567890123456789012345", .expect = EPX_E_MF_OVERSIZE },
	{ "expires 2^63", REPL, 2, "expires 9223372036854775808", .expect = EPX_E_MF_OVERSIZE },
	{ "expires 2^64", REPL, 2, "expires 18446744073709551616", .expect = EPX_E_MF_OVERSIZE },
	{ "hwclass 65 chars", REPL, 3, "hwclass aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", .expect = EPX_E_MF_OVERSIZE },
	{ "min-agent 2^32", REPL, 4, "min-agent 4294967296", .expect = EPX_E_MF_OVERSIZE },
	{ "kernel above 512 MiB", REPL, 5, "artifact kernel 536870913 " H64, .expect = EPX_E_MF_OVERSIZE },
	{ "initramfs above 512 MiB", REPL, 6, "artifact initramfs 536870913 " H64, .expect = EPX_E_MF_OVERSIZE },
	{ "cmdline above 4 KiB", REPL, 7, "artifact cmdline 4097 " H64, .expect = EPX_E_MF_OVERSIZE },
	{ "join above 1 MiB", REPL, 8, "artifact join 1048577 " H64, .expect = EPX_E_MF_OVERSIZE },
	{ "kernel length 2^64", REPL, 5, "artifact kernel 18446744073709551616 " H64, .expect = EPX_E_MF_OVERSIZE },
	{ "line of 513 bytes", .post = P_LONG513, .expect = EPX_E_MF_SYNTAX },
	{ "line of exactly 512 bytes", .post = P_LONG512, .expect = 0 },
	{ "document above 16 KiB", .post = P_BIG, .expect = EPX_E_MF_TOOBIG },
	{ "33 signatures", .post = P_GARBAGE_SIGS, .expect = EPX_E_MF_TOOMANY },
	/* unknown critical field, unknown role */
	{ "unknown field", INS, 5, "priority high", .expect = EPX_E_MF_UNKNOWN },
	{ "unknown field after artifacts", INS, 9, "signer alice", .expect = EPX_E_MF_UNKNOWN },
	{ "unknown artifact role", INS, 9, "artifact firmware 5 " H64, .expect = EPX_E_ART_ROLE },
	{ "role name in capitals", REPL, 5, "artifact KERNEL 5 " H64, .expect = EPX_E_ART_ROLE },
	/* syntax */
	{ "version leading zero", REPL, 1, "version 07", .expect = EPX_E_MF_SYNTAX },
	{ "version negative", REPL, 1, "version -7", .expect = EPX_E_MF_SYNTAX },
	{ "version plus sign", REPL, 1, "version +7", .expect = EPX_E_MF_SYNTAX },
	{ "version hex", REPL, 1, "version 0x7", .expect = EPX_E_MF_SYNTAX },
	{ "version double space", REPL, 1, "version  7", .expect = EPX_E_MF_SYNTAX },
	{ "version trailing space", REPL, 1, "version 7 ", .expect = EPX_E_MF_SYNTAX },
	{ "version two values", REPL, 1, "version 7 8", .expect = EPX_E_MF_SYNTAX },
	{ "field in capitals", REPL, 1, "Version 7", .expect = EPX_E_MF_SYNTAX },
	{ "field without value", REPL, 1, "version", .expect = EPX_E_MF_SYNTAX },
	{ "tab separator", REPL, 1, "version\t7", .expect = EPX_E_MF_SYNTAX },
	{ "carriage return", REPL, 1, "version 7\r", .expect = EPX_E_MF_SYNTAX },
	{ "non-ascii byte", REPL, 3, "hwclass qemu\xc3\xa9", .expect = EPX_E_MF_SYNTAX },
	{ "empty line", INS, 2, "", .expect = EPX_E_MF_SYNTAX },
	{ "hwclass upper case", REPL, 3, "hwclass QEMU", .expect = EPX_E_MF_SYNTAX },
	{ "hwclass slash", REPL, 3, "hwclass qemu/x86", .expect = EPX_E_MF_SYNTAX },
	{ "expires not a number", REPL, 2, "expires tomorrow", .expect = EPX_E_MF_SYNTAX },
	{ "artifact without hash", REPL, 5, "artifact kernel 5", .expect = EPX_E_MF_SYNTAX },
	{ "artifact short hash", REPL, 5, "artifact kernel 5 0011", .expect = EPX_E_MF_SYNTAX },
	{ "artifact hash not hex", REPL, 5, "artifact kernel 5 zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", .expect = EPX_E_MF_SYNTAX },
	{ "artifact length not a number", REPL, 5, "artifact kernel five " H64, .expect = EPX_E_MF_SYNTAX },
	{ "artifact only a role", REPL, 5, "artifact kernel", .expect = EPX_E_MF_SYNTAX },
	{ "magic version 2", REPL, 0, "epoxy-manifest 2", .expect = EPX_E_MF_MAGIC },
	{ "keyset magic", REPL, 0, "epoxy-keyset 1", .expect = EPX_E_MF_MAGIC },
	{ "end with a value", REPL, 9, "end now", .expect = EPX_E_MF_NOEND },
	{ "malformed signature line", .post = P_SIG_SYNTAX, .expect = EPX_E_SIG_SYNTAX },
	{ "field after end", .post = P_AFTER_END, .expect = EPX_E_SIG_SYNTAX },
	/* signatures */
	{ "no signature", .signers = SNONE, .expect = EPX_E_SIG_THRESHOLD },
	{ "t-1 signatures", .signers = S0, .expect = EPX_E_SIG_THRESHOLD },
	{ "wrong key (not in keyset)", .signers = S04, .expect = EPX_E_SIG_UNKNOWNKEY },
	{ "online key signs a manifest", .signers = S3, .expect = EPX_E_SIG_UNKNOWNKEY },
	{ "one key counted twice", .signers = S00, .expect = EPX_E_SIG_DUPKEY },
	{ "revoked key", .signers = S05, .expect = EPX_E_SIG_REVOKED },
	{ "signature relabelled with another key ID", .post = P_RELABEL, .expect = EPX_E_SIG_BAD },
	{ "hash in manifest changed after signing", .post = P_FLIP_HASH, .expect = EPX_E_SIG_BAD },
	/* keysets */
	{ "one key under two key IDs", .ks = KS_TWO_IDS, .expect = EPX_E_KS_DUPKEY },
	{ "rotation signed by old and new", .ks = KS_ROT_OK, .signers = S67, .expect = 0 },
	{ "old keys after rotation", .ks = KS_ROT_OK, .expect = EPX_E_SIG_UNKNOWNKEY },
	{ "forged rotation: new keys only", .ks = KS_ROT_FORGED, .signers = S67, .expect = EPX_E_KS_ROTATION },
	{ "forged rotation: old keys only", .ks = KS_ROT_OLD_ONLY, .signers = S67, .expect = EPX_E_KS_ROTATION },
	{ "forged rotation: revoked old key", .ks = KS_ROT_REVOKED, .signers = S67, .expect = EPX_E_KS_ROTATION },
	{ "forged rotation: outsider as old key", .ks = KS_ROT_UNKNOWN, .signers = S67, .expect = EPX_E_KS_ROTATION },
	{ "rotation skips a serial", .ks = KS_ROT_SKIP, .signers = S67, .expect = EPX_E_KS_SERIAL },
	/* policy */
	{ "expired", .now = 2000000000, .expect = EPX_E_MF_EXPIRED },
	{ "expired one second ago", .now = 2000000001, .expect = EPX_E_MF_EXPIRED },
	{ "valid one second before expiry", .now = 1999999999, .expect = 0 },
	{ "version below the floor", .floor = 8, .expect = EPX_E_MF_ROLLBACK },
	{ "version equal to the floor", .floor = 7, .expect = 0 },
	{ "other hardware class", .hw = "rack-amd64", .expect = EPX_E_MF_HWCLASS },
	{ "needs newer agent", REPL, 4, "min-agent 2", .expect = EPX_E_MF_AGENT },
	/* artifacts */
	{ "kernel changed by one byte", .art_flip = 1 + MANIFEST_KERNEL, .expect = EPX_E_ART_HASH },
	{ "initramfs changed by one byte", .art_flip = 1 + MANIFEST_INITRAMFS, .expect = EPX_E_ART_HASH },
	{ "cmdline changed by one byte", .art_flip = 1 + MANIFEST_CMDLINE, .expect = EPX_E_ART_HASH },
	{ "join changed by one byte", .art_flip = 1 + MANIFEST_JOIN, .expect = EPX_E_ART_HASH },
	{ "kernel one byte short", .art_trunc = 1 + MANIFEST_KERNEL, .expect = EPX_E_ART_LENGTH },
	{ "cmdline one byte short", .art_trunc = 1 + MANIFEST_CMDLINE, .expect = EPX_E_ART_LENGTH },
};

static struct fx fx;
static char art[MANIFEST_NROLES][64];
static char lines[NLINES][200];

static void base_lines(void)
{
	uint8_t h[32];
	char hex[65];
	int r;

	snprintf(lines[0], sizeof(lines[0]), "epoxy-manifest 1");
	snprintf(lines[1], sizeof(lines[1]), "version 7");
	snprintf(lines[2], sizeof(lines[2]), "expires 2000000000");
	snprintf(lines[3], sizeof(lines[3]), "hwclass qemu-x86_64");
	snprintf(lines[4], sizeof(lines[4]), "min-agent 1");
	for (r = 0; r < MANIFEST_NROLES; r++) {
		snprintf(art[r], sizeof(art[r]), "the %s bytes of release 7", manifest_role_name(r));
		sha256_buf(art[r], strlen(art[r]), h);
		hex_encode(h, 32, hex);
		snprintf(lines[5 + r], sizeof(lines[5 + r]), "artifact %s %zu %s",
			 manifest_role_name(r), strlen(art[r]), hex);
	}
	snprintf(lines[9], sizeof(lines[9]), "end");
}

static size_t put(char *out, size_t off, const char *s)
{
	size_t n = strlen(s);

	memcpy(out + off, s, n);
	out[off + n] = '\n';
	return off + n + 1;
}

/* The body of case c; returns its length. */
static size_t build_body(const struct mcase *c, char *out)
{
	size_t off = 0;
	int i;

	for (i = 0; i < NLINES; i++) {
		if (i == c->line && c->op == INS)
			off = put(out, off, c->text);
		if (i == c->line && c->op == DEL)
			continue;
		off = put(out, off, i == c->line && c->op == REPL ? c->text : lines[i]);
		if (i == c->line && c->op == DUP)
			off = put(out, off, lines[i]);
	}
	if (c->post == P_BIG) {
		/* x- lines before end, inside the body, push past 16 KiB */
		off -= 4;
		while (off < DOC_MAX_BYTES + 100)
			off = put(out, off, "x-pad aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
		off = put(out, off, "end");
	}
	if (c->post == P_LONG512 || c->post == P_LONG513) {
		/* "x-pad " + a's + "\n" = 512 or 513 bytes, before end */
		off -= 4;
		memcpy(out + off, "x-pad ", 6);
		off += 6;
		memset(out + off, 'a', c->post == P_LONG512 ? 505 : 506);
		off += c->post == P_LONG512 ? 505 : 506;
		out[off++] = '\n';
		off = put(out, off, "end");
	}
	out[off] = '\0';
	return off;
}

static void post_process(const struct mcase *c, char *buf, size_t *len, size_t body)
{
	char *p;
	int i;

	switch (c->post) {
	case P_FLIP_HASH:
		p = strstr(buf, "artifact kernel ");
		p = strchr(p + 16, ' ') + 1;
		*p = *p == 'a' ? 'b' : 'a';
		break;
	case P_RELABEL:     /* key 0's signature under key 1's ID, plus key 2 */
		memcpy(strstr(buf + body, fx.idhex[0]), fx.idhex[1], 16);
		break;
	case P_GARBAGE_SIGS:
		for (i = 0; i < 33; i++)
			*len = put(buf, *len, "sig 0011223344556677 3044022000112233445566778899aabbccddeeff00112233445566778899aabbccddeeff02200011");
		break;
	case P_SIG_SYNTAX:
		*len = put(buf, *len, "sig nothex 3044");
		break;
	case P_AFTER_END:
		*len = put(buf, *len, "version 8");
		break;
	default:
		break;
	}
	buf[*len] = '\0';
}

static const int REL_MAIN[] = { 0, 1, 2, 5, FX_END };
static const int REV_MAIN[] = { 5, FX_END };
static const int REL_NEW[] = { 6, 7, 8, FX_END };

static int rotate(struct keyset *ks, uint32_t serial, const int *signers)
{
	char buf[BUF];
	size_t body, len;

	body = fx_keyset_body(&fx, buf, sizeof(buf), serial, 2, REL_NEW, 9, NULL);
	len = body;
	fx_sign(&fx, buf, sizeof(buf), &len, body, signers);
	return keyset_rotate(ks, buf, len);
}

static int load_keyset(const struct mcase *c, struct keyset *ks)
{
	static const int rot_ok[] = { 0, 1, 6, 7, FX_END };
	static const int rot_new[] = { 6, 7, 8, FX_END };
	static const int rot_old[] = { 0, 1, 2, FX_END };
	static const int rot_rev[] = { 0, 5, 6, 7, FX_END };
	static const int rot_unk[] = { 0, 4, 6, 7, FX_END };
	static const int rel3[] = { 0, 1, 2, FX_END };
	char buf[BUF], *p;
	size_t len;
	int rc;

	if (c->ks == KS_TWO_IDS) {
		len = fx_keyset_body(&fx, buf, sizeof(buf), 1, 2, rel3, 3, NULL);
		p = strstr(buf, fx.pubhex[1]);
		memcpy(p, fx.pubhex[0], 130);
		fx_sign(&fx, buf, sizeof(buf), &len, len, S01);
		return keyset_load_root(ks, buf, len);
	}
	len = fx_keyset(&fx, buf, sizeof(buf), 1, 2, REL_MAIN, 3, REV_MAIN, S01);
	rc = keyset_load_root(ks, buf, len);
	if (rc < 0 || c->ks == KS_MAIN)
		return rc;
	switch (c->ks) {
	case KS_ROT_OK: return rotate(ks, 2, rot_ok);
	case KS_ROT_FORGED: return rotate(ks, 2, rot_new);
	case KS_ROT_OLD_ONLY: return rotate(ks, 2, rot_old);
	case KS_ROT_REVOKED: return rotate(ks, 2, rot_rev);
	case KS_ROT_UNKNOWN: return rotate(ks, 2, rot_unk);
	case KS_ROT_SKIP: return rotate(ks, 3, rot_ok);
	default: return -1;
	}
}

static int check_artifacts(const struct mcase *c, const struct manifest *m)
{
	char bytes[64];
	size_t n;
	int r, rc;

	for (r = 0; r < MANIFEST_NROLES; r++) {
		n = strlen(art[r]);
		memcpy(bytes, art[r], n);
		if (c->art_flip == 1 + r)
			bytes[n / 2] ^= 0x01;
		if (c->art_trunc == 1 + r)
			n--;
		rc = manifest_check_artifact(m, r, bytes, n);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int run_case(const struct mcase *c)
{
	static char buf[BUF * 2];
	struct manifest m;
	struct keyset ks;
	size_t body, len;
	int rc;

	rc = load_keyset(c, &ks);
	if (rc < 0)
		return rc;
	body = build_body(c, buf);
	len = body;
	fx_sign(&fx, buf, sizeof(buf), &len, body, c->signers ? c->signers : S01);
	post_process(c, buf, &len, body);
	rc = manifest_verify(&m, buf, len, &ks);
	if (rc < 0)
		return rc;
	rc = manifest_policy(&m, c->now ? c->now : NOW, c->floor ? c->floor : 7,
			     c->hw ? c->hw : "qemu-x86_64", 1);
	if (rc < 0)
		return rc;
	return check_artifacts(c, &m);
}

static void roles_and_format(void)
{
	static const struct { const char *name; int role; uint64_t cap; } roles[] = {
		{ "kernel", MANIFEST_KERNEL, 512ull << 20 }, { "initramfs", MANIFEST_INITRAMFS, 512ull << 20 },
		{ "cmdline", MANIFEST_CMDLINE, 4096 }, { "join", MANIFEST_JOIN, 1 << 20 },
	};
	static const char *const bad[] = { "", "kern", "kernel ", "Kernel", "firmware", "joins", "cmd line" };
	struct manifest m, back;
	char buf[2048];
	size_t i, len = 0;

	for (i = 0; i < 4; i++) {
		ok(manifest_role_from_name(roles[i].name, strlen(roles[i].name)) == roles[i].role &&
		   !strcmp(manifest_role_name(roles[i].role), roles[i].name) &&
		   manifest_role_cap(roles[i].role) == roles[i].cap, "role %s: name and cap", roles[i].name);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(manifest_role_from_name(bad[i], strlen(bad[i])) == -EPX_E_ART_ROLE, "role '%s' unknown", bad[i]);
	ok(manifest_role_cap(MANIFEST_NROLES) == 0, "no cap for an out-of-range role");
	memset(&m, 0, sizeof(m));
	m.version = 4294967295u;
	m.expires = INT64_MAX;
	m.min_agent = 3;
	strcpy(m.hwclass, "rack_amd64.v2-x");
	for (i = 0; i < MANIFEST_NROLES; i++) {
		m.art[i].length = manifest_role_cap(i);
		memset(m.art[i].sha256, (int)(0x11 * (i + 1)), 32);
	}
	ok(manifest_format(&m, buf, sizeof(buf), &len) == 0, "format at every cap");
	ok(manifest_parse(&back, buf, len) == 0 && back.version == m.version && back.expires == m.expires &&
	   back.min_agent == 3 && !strcmp(back.hwclass, m.hwclass) &&
	   !memcmp(back.art, m.art, sizeof(m.art)), "format then parse round-trips");
	ok(manifest_format(&m, buf, 100, &len) == -ENOSPC, "format: no room");
	m.art[MANIFEST_CMDLINE].length = 4097;
	ok(manifest_format(&m, buf, sizeof(buf), &len) == -EINVAL, "format refuses a length above the cap");
	m.art[MANIFEST_CMDLINE].length = 1;
	m.version = 0;
	ok(manifest_format(&m, buf, sizeof(buf), &len) == -EINVAL, "format refuses version 0");
	m.version = 1;
	strcpy(m.hwclass, "Bad");
	ok(manifest_format(&m, buf, sizeof(buf), &len) == -EINVAL, "format refuses a bad hwclass");
	ok(manifest_check_artifact(&m, MANIFEST_NROLES, "", 0) == -EPX_E_ART_ROLE, "artifact check: bad role");
}

int main(void)
{
	char code[32];
	size_t i;
	int rc;

	fx_init(&fx, 10);
	base_lines();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = run_case(&cases[i]);
		ok(rc == -cases[i].expect, "%s: got %s (%s), want %s", cases[i].name,
		   epx_code(rc, code, sizeof(code)), rc ? epx_strerror(rc) : "accepted",
		   cases[i].expect ? epx_code(cases[i].expect, (char[32]){ 0 }, 32) : "accepted");
	}
	roles_and_format();
	fx_free(&fx);
	return test_done();
}
