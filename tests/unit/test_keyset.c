/* Table test of keysets: root self-signature with a threshold of distinct
 * keys, key IDs that must match their keys, one key never listed twice,
 * revocation, and rotation signed by a threshold of old and of new keys. */
#include <string.h>

#include <stdio.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/keyset.h"
#include "tests/keys/expand.h"
#include "tests/keys/fixture.h"
#include "tests/test.h"

#define HEAD(s, t) "epoxy-keyset 1\nserial " #s "\nthreshold " #t "\n"
#define R(n) "release {id" #n "} {pub" #n "}\n"
#define ON(n) "online {id" #n "} {pub" #n "}\n"
#define REV(n) "revoked {id" #n "}\n"
#define END "end\n"
#define BUF 20000

static const int S01[] = { 0, 1, FX_END };
static const int S0[] = { 0, FX_END };
static const int S00[] = { 0, 0, FX_END };
static const int S012[] = { 0, 1, 2, FX_END };
static const int S34[] = { 3, 4, FX_END };
static const int S03[] = { 0, 3, FX_END };
static const int SNONE[] = { FX_END };

static const struct {
	const char *name;
	const char *tmpl;
	const int *signers;
	int parse;              /* keyset_parse */
	int root;               /* keyset_load_root */
} roots[] = {
	{ "valid 2 of 3", HEAD(1, 2) R(0) R(1) R(2) ON(3) END, S01, 0, 0 },
	{ "valid 1 of 1", HEAD(1, 1) R(0) ON(3) END, S0, 0, 0 },
	{ "valid 3 of 3", HEAD(1, 3) R(0) R(1) R(2) ON(3) END, S012, 0, 0 },
	{ "valid with revoked key", HEAD(1, 2) R(0) R(1) R(2) ON(3) REV(2) END, S01, 0, 0 },
	{ "valid, revoked ID not listed", HEAD(1, 2) R(0) R(1) ON(3) REV(5) END, S01, 0, 0 },
	{ "valid with x- field", HEAD(1, 2) "x-comment rotated by ops\n" R(0) R(1) ON(3) END, S01, 0, 0 },
	{ "valid, serial 7 as a root", HEAD(7, 2) R(0) R(1) ON(3) END, S01, 0, 0 },
	{ "fields in another order", "epoxy-keyset 1\n" R(0) ON(3) "threshold 1\n" R(1) "serial 1\n" END, S0, 0, 0 },
	{ "unsigned", HEAD(1, 2) R(0) R(1) R(2) ON(3) END, SNONE, 0, -EPX_E_SIG_THRESHOLD },
	{ "t-1 signatures", HEAD(1, 2) R(0) R(1) R(2) ON(3) END, S0, 0, -EPX_E_SIG_THRESHOLD },
	{ "one key twice", HEAD(1, 2) R(0) R(1) R(2) ON(3) END, S00, 0, -EPX_E_SIG_DUPKEY },
	{ "signed by a revoked key", HEAD(1, 2) R(0) R(1) R(2) ON(3) REV(1) END, S01, 0, -EPX_E_SIG_REVOKED },
	{ "signed by the online key", HEAD(1, 2) R(0) R(1) R(2) ON(3) END, S03, 0, -EPX_E_SIG_UNKNOWNKEY },
	{ "signed by outsiders", HEAD(1, 2) R(0) R(1) R(2) ON(3) END, S34, 0, -EPX_E_SIG_UNKNOWNKEY },
	{ "threshold 0", HEAD(1, 0) R(0) R(1) ON(3) END, S01, -EPX_E_KS_THRESHOLD, -EPX_E_KS_THRESHOLD },
	{ "threshold above keys", HEAD(1, 3) R(0) R(1) ON(3) END, S01, -EPX_E_KS_THRESHOLD, -EPX_E_KS_THRESHOLD },
	{ "threshold above live keys", HEAD(1, 3) R(0) R(1) R(2) ON(3) REV(2) END, S01, -EPX_E_KS_THRESHOLD, -EPX_E_KS_THRESHOLD },
	{ "key ID of another key", HEAD(1, 2) R(0) "release {id2} {pub1}\n" ON(3) END, S01, -EPX_E_KS_KEYID, -EPX_E_KS_KEYID },
	{ "online key ID wrong", HEAD(1, 2) R(0) R(1) "online {id0} {pub3}\n" END, S01, -EPX_E_KS_KEYID, -EPX_E_KS_KEYID },
	{ "same key twice", HEAD(1, 2) R(0) R(1) R(0) ON(3) END, S01, -EPX_E_KS_DUPKEY, -EPX_E_KS_DUPKEY },
	{ "same key under two IDs", HEAD(1, 2) R(0) R(1) "release {id2} {pub0}\n" ON(3) END, S01, -EPX_E_KS_DUPKEY, -EPX_E_KS_DUPKEY },
	{ "online key is a release key", HEAD(1, 2) R(0) R(1) ON(1) END, S01, -EPX_E_KS_DUPKEY, -EPX_E_KS_DUPKEY },
	{ "release key equals online key", "epoxy-keyset 1\nserial 1\nthreshold 1\n" ON(0) R(0) END, S0, -EPX_E_KS_DUPKEY, -EPX_E_KS_DUPKEY },
	{ "no online key", HEAD(1, 2) R(0) R(1) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "two online keys", HEAD(1, 2) R(0) R(1) ON(3) ON(4) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "no release key", HEAD(1, 1) ON(3) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "serial 0", HEAD(0, 2) R(0) R(1) ON(3) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "serial 2^32", HEAD(4294967296, 2) R(0) R(1) ON(3) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "serial leading zero", HEAD(01, 2) R(0) R(1) ON(3) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "serial twice", HEAD(1, 2) "serial 1\n" R(0) R(1) ON(3) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "threshold twice", HEAD(1, 2) "threshold 1\n" R(0) R(1) ON(3) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "serial missing", "epoxy-keyset 1\nthreshold 1\n" R(0) ON(3) END, S0, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "threshold missing", "epoxy-keyset 1\nserial 1\n" R(0) ON(3) END, S0, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "threshold not a number", HEAD(1, two) R(0) R(1) ON(3) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "unknown field", HEAD(1, 2) R(0) R(1) ON(3) "mirror example.org\n" END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "release without key", HEAD(1, 1) R(0) "release {id1}\n" ON(3) END, S0, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "release key short", HEAD(1, 1) R(0) "release {id1} 04aabb\n" ON(3) END, S0, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "release key ID not hex", HEAD(1, 1) R(0) "release zzzzzzzzzzzzzzzz {pub1}\n" ON(3) END, S0, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "release key not on curve", HEAD(1, 1) R(0) "release {id1} 04" "0000000000000000000000000000000000000000000000000000000000000001"
	  "0000000000000000000000000000000000000000000000000000000000000001\n" ON(3) END, S0, -EPX_E_KS_PUBKEY, -EPX_E_KS_PUBKEY },
	{ "revoked twice", HEAD(1, 2) R(0) R(1) R(2) ON(3) REV(2) REV(2) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "revoked short ID", HEAD(1, 2) R(0) R(1) ON(3) "revoked 0011\n" END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "revoked online key", HEAD(1, 2) R(0) R(1) ON(3) REV(3) END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "manifest magic", "epoxy-manifest 1\nserial 1\n" END, S01, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "no end", HEAD(1, 2) R(0) R(1) ON(3), SNONE, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
	{ "CRLF", "epoxy-keyset 1\r\nserial 1\n" R(0) ON(3) END, S0, -EPX_E_KS_SYNTAX, -EPX_E_KS_SYNTAX },
};

static struct fx fx;

static size_t make(const char *tmpl, const int *signers, char *buf)
{
	size_t body, len;

	body = fx_expand(&fx, tmpl, buf, BUF);
	len = body;
	fx_sign(&fx, buf, BUF, &len, body, signers);
	return len;
}

static void root_table(void)
{
	char buf[BUF];
	struct keyset ks;
	size_t i, len;
	int rc;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		len = make(roots[i].tmpl, roots[i].signers, buf);
		rc = keyset_parse(&ks, buf, len);
		ok(rc == roots[i].parse, "parse %s: %d want %d", roots[i].name, rc, roots[i].parse);
		rc = keyset_load_root(&ks, buf, len);
		ok(rc == roots[i].root, "root %s: %d want %d", roots[i].name, rc, roots[i].root);
	}
	len = make(HEAD(1, 2) R(0) R(1) R(2) ON(3) REV(2) END, S01, buf);
	ok(keyset_load_root(&ks, buf, len) == 0 && ks.serial == 1 && ks.threshold == 2 &&
	   ks.nrelease == 3 && ks.nrevoked == 1 && !memcmp(ks.online.keyid, fx.pub[3].keyid, 8) &&
	   !memcmp(ks.release[1].point, fx.pub[1].point, 65), "fields of a loaded keyset");
	/* another valid hex digit (a bit flip could make 'a' into '`', a
	 * syntax error instead of a bad signature, in 1 run of 16) */
	buf[len - 3] = buf[len - 3] == '0' ? '1' : '0';
	ok(keyset_load_root(&ks, buf, len) == -EPX_E_SIG_BAD && ks.threshold == 0,
	   "one signature digit changed: refused, keyset cleared");
}

/* Rotation: chain 1 (keys 0,1,2; t=2) -> 2 (keys 4,5,6; t=2) -> 3 */
#define KS1 HEAD(1, 2) R(0) R(1) R(2) ON(3) END
#define KS2 HEAD(2, 2) R(4) R(5) R(6) ON(7) END
#define KS2_REV1 HEAD(2, 2) R(4) R(5) R(6) ON(7) REV(1) END
#define KS2_T3 HEAD(2, 3) R(4) R(5) R(6) ON(7) END
#define KS3 HEAD(3, 1) R(8) ON(9) END

static const int S0145[] = { 0, 1, 4, 5, FX_END };
static const int S0245[] = { 0, 2, 4, 5, FX_END };
static const int S45[] = { 4, 5, FX_END };
static const int S456[] = { 4, 5, 6, FX_END };
static const int S014[] = { 0, 1, 4, FX_END };
static const int S0045[] = { 0, 0, 4, 5, FX_END };
static const int S0144[] = { 0, 1, 4, 4, FX_END };
static const int S019[] = { 0, 1, 9, FX_END };
static const int S458[] = { 4, 5, 8, FX_END };
static const int S48[] = { 4, 8, FX_END };

static const struct {
	const char *name;
	const char *tmpl;
	const int *signers;
	int rc;
} rots[] = {
	{ "old 0,1 + new 4,5", KS2, S0145, 0 },
	{ "old 0,2 + new 4,5", KS2, S0245, 0 },
	{ "new keys only", KS2, S45, -EPX_E_KS_ROTATION },
	{ "all new keys, no old", KS2, S456, -EPX_E_KS_ROTATION },
	{ "old keys only", KS2, S01, -EPX_E_KS_ROTATION },
	{ "old t + new t-1", KS2, S014, -EPX_E_KS_ROTATION },
	{ "old key counted twice", KS2, S0045, -EPX_E_KS_ROTATION },
	{ "new key counted twice", KS2, S0144, -EPX_E_KS_ROTATION },
	{ "old key revoked by the new set", KS2_REV1, S0145, -EPX_E_KS_ROTATION },
	{ "new threshold 3, only 2 new", KS2_T3, S0145, -EPX_E_KS_ROTATION },
	{ "skips a serial", KS3, S019, -EPX_E_KS_SERIAL },
	{ "same serial", KS1, S012, -EPX_E_KS_SERIAL },
	{ "malformed successor", HEAD(2, 0) R(4) ON(7) END, S0145, -EPX_E_KS_THRESHOLD },
};

static void rotation_table(void)
{
	char buf[BUF];
	struct keyset ks, before;
	size_t i, len;
	int rc;

	for (i = 0; i < sizeof(rots) / sizeof(rots[0]); i++) {
		len = make(KS1, S01, buf);
		if (keyset_load_root(&ks, buf, len) < 0) {
			ok(0, "rotation %s: root did not load", rots[i].name);
			continue;
		}
		before = ks;
		len = make(rots[i].tmpl, rots[i].signers, buf);
		rc = keyset_rotate(&ks, buf, len);
		ok(rc == rots[i].rc, "rotation %s: %d want %d", rots[i].name, rc, rots[i].rc);
		ok(rc == 0 ? ks.serial == 2 : !memcmp(&ks, &before, sizeof(ks)),
		   "rotation %s: %s", rots[i].name, rc == 0 ? "now serial 2" : "trusted set unchanged");
	}
	/* a chain 1 -> 2 -> 3, and the same rotation replayed */
	len = make(KS1, S01, buf);
	keyset_load_root(&ks, buf, len);
	len = make(KS2, S0145, buf);
	ok(keyset_rotate(&ks, buf, len) == 0, "chain: 1 -> 2");
	ok(keyset_rotate(&ks, buf, len) == -EPX_E_KS_SERIAL, "chain: 2 replayed");
	len = make(KS3, S458, buf);
	ok(keyset_rotate(&ks, buf, len) == 0 && ks.serial == 3 && ks.threshold == 1, "chain: 2 -> 3");
	len = make(KS1, S01, buf);
	ok(keyset_load_root(&ks, buf, len) == 0, "chain: root again");
	len = make(KS3, S48, buf);
	ok(keyset_rotate(&ks, buf, len) == -EPX_E_KS_SERIAL, "chain: cannot jump 1 -> 3");
}

/* 32 release keys are fine, 33 are too many */
static void caps(void)
{
	static const int sig[] = { 0, 1, FX_END };
	int rel[40];
	char buf[BUF];
	struct keyset ks;
	size_t len;
	int i;

	for (i = 0; i < 32; i++)
		rel[i] = i;
	rel[32] = FX_END;
	len = fx_keyset(&fx, buf, sizeof(buf), 1, 2, rel, 39, NULL, sig);
	ok(keyset_load_root(&ks, buf, len) == 0 && ks.nrelease == 32, "32 release keys accepted");
	rel[32] = 32;
	rel[33] = FX_END;
	len = fx_keyset(&fx, buf, sizeof(buf), 1, 2, rel, 39, NULL, sig);
	ok(keyset_parse(&ks, buf, len) == -EPX_E_KS_SYNTAX, "33 release keys refused");
}

/* Two different valid signatures by one key, (r, s) and (r, n - s):
 * still one key, counted once. */
static void malleated(void)
{
	uint8_t der[DOC_MAX_DER], mal[DOC_MAX_DER];
	char buf[BUF], line[300], hex[2 * DOC_MAX_DER + 1];
	size_t body, len, dl, ml = 0;
	struct keyset ks;
	struct doc d;

	body = fx_expand(&fx, KS1, buf, BUF);
	len = body;
	fx_sign(&fx, buf, BUF, &len, body, S0);
	if (doc_split(&d, buf, len, "epoxy-keyset 1") < 0 || d.nsigs != 1) {
		ok(0, "malleated: base document");
		return;
	}
	dl = d.sigs[0].der_len;
	memcpy(der, d.sigs[0].der, dl);
	ok(fx_malleate(der, dl, mal, &ml) == 0 && (ml != dl || memcmp(mal, der, dl) != 0) &&
	   sig_verify(&fx.pub[0], d.body_sha256, mal, ml) == 0,
	   "malleated signature differs and is itself valid");
	hex_encode(mal, ml, hex);
	snprintf(line, sizeof(line), "sig %s %s\n", fx.idhex[0], hex);
	memcpy(buf + len, line, strlen(line) + 1);
	len += strlen(line);
	ok(keyset_load_root(&ks, buf, len) == -EPX_E_SIG_DUPKEY,
	   "key 0 twice with two different valid signatures: counted once (E1014)");
	fx_sign(&fx, buf, BUF, &len, body, (const int[]){ 1, FX_END });
	ok(keyset_load_root(&ks, buf, len) == 0, "... and valid once key 1 signs too");
}

int main(void)
{
	fx_init(&fx, 40);
	malleated();
	root_table();
	rotation_table();
	caps();
	fx_free(&fx);
	return test_done();
}
