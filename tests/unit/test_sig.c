/* Verification side only, as the agent links it (libepoxy.a, no
 * signing code): the committed PUBLIC vectors of tests/fuzz/corpus/ are
 * accepted or refused with their exact codes, and every single-byte change
 * anywhere in a valid keyset, manifest or statement (body or signature)
 * is refused (keysets: every third byte, to keep the test short). */
#include <string.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/manifest.h"
#include "lib/statement.h"
#include "tests/test.h"

#define KDIR "tests/fuzz/corpus/fuzz_keyset/"
#define MDIR "tests/fuzz/corpus/fuzz_manifest/"
#define SDIR "tests/fuzz/corpus/fuzz_statement/"
#define NONCE "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0"

static struct keyset root;
static uint8_t nonce[32];

enum kind { ROOT, ROTATE, MANIFEST, STATEMENT };

static const struct {
	enum kind kind;
	const char *file;
	int rc;
} vec[] = {
	{ ROOT, KDIR "keyset-root", 0 },
	{ ROOT, KDIR "keyset-root-3sig", 0 },
	{ ROOT, KDIR "keyset-x", 0 },
	{ ROOT, KDIR "keyset-unsigned", -EPX_E_SIG_THRESHOLD },
	{ ROOT, KDIR "keyset-dupsig", -EPX_E_SIG_DUPKEY },
	{ ROOT, KDIR "keyset-twoids", -EPX_E_KS_DUPKEY },
	{ ROOT, KDIR "keyset-threshold0", -EPX_E_KS_THRESHOLD },
	{ ROTATE, KDIR "keyset-rot2", 0 },
	{ ROTATE, KDIR "keyset-root", -EPX_E_KS_SERIAL },
	{ MANIFEST, MDIR "manifest-valid", 0 },
	{ MANIFEST, MDIR "manifest-3sig", 0 },
	{ MANIFEST, MDIR "manifest-x", 0 },
	{ MANIFEST, MDIR "manifest-1sig", -EPX_E_SIG_THRESHOLD },
	{ MANIFEST, MDIR "manifest-dupsig", -EPX_E_SIG_DUPKEY },
	{ MANIFEST, MDIR "manifest-unknownkey", -EPX_E_SIG_UNKNOWNKEY },
	{ MANIFEST, MDIR "manifest-missing", -EPX_E_MF_MISSING },
	{ MANIFEST, MDIR "manifest-dup", -EPX_E_MF_DUPLICATE },
	{ MANIFEST, MDIR "manifest-oversize", -EPX_E_MF_OVERSIZE },
	{ MANIFEST, MDIR "manifest-unknown", -EPX_E_MF_UNKNOWN },
	{ STATEMENT, SDIR "statement-valid", 0 },
	{ STATEMENT, SDIR "statement-x", 0 },
	{ STATEMENT, SDIR "statement-unsigned", -EPX_E_ST_SIG },
	{ STATEMENT, SDIR "statement-release-signed", -EPX_E_ST_SIG },
	{ STATEMENT, SDIR "statement-expired", -EPX_E_ST_EXPIRED },
};

static int run(enum kind k, const char *buf, size_t len)
{
	struct keyset ks = root;
	struct manifest m;
	struct statement st;

	switch (k) {
	case ROOT: return keyset_load_root(&ks, buf, len);
	case ROTATE: return keyset_rotate(&ks, buf, len);
	case MANIFEST: return manifest_verify(&m, buf, len, &root);
	case STATEMENT: return statement_verify(&st, buf, len, &root, nonce, "node1");
	}
	return -1;
}

/* Every step-th byte of a valid document changed (xor 1; every fifth of
 * those also replaced by 'a'): never accepted. */
static void flips(enum kind k, const char *file, size_t step)
{
	size_t len, i, accepted = 0, tried = 0;
	char *buf = test_slurp(file, &len);
	char orig;

	for (i = 0; i < len; i += step) {
		orig = buf[i];
		buf[i] = (char)(orig ^ 1);
		accepted += run(k, buf, len) == 0;
		tried++;
		if (orig != 'a' && i % (5 * step) == 0) {
			buf[i] = 'a';
			accepted += run(k, buf, len) == 0;
			tried++;
		}
		buf[i] = orig;
	}
	ok(run(k, buf, len) == 0 && accepted == 0, "%s: %zu single-byte changes (offset step %zu of %zu bytes), %zu accepted",
	   file, tried, step, len, accepted);
	ok(run(k, buf, len - 1) != 0, "%s: last byte cut: refused", file);
	free(buf);
}

int main(void)
{
	size_t len, i;
	char *buf;
	int rc;

	hex_decode(NONCE, 64, nonce, 32);
	buf = test_slurp(KDIR "keyset-root", &len);
	ok(keyset_load_root(&root, buf, len) == 0, "public root keyset loads");
	free(buf);
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		buf = test_slurp(vec[i].file, &len);
		rc = run(vec[i].kind, buf, len);
		ok(rc == vec[i].rc, "%s: %d want %d", vec[i].file, rc, vec[i].rc);
		free(buf);
	}
	flips(ROOT, KDIR "keyset-root", 3);
	flips(ROTATE, KDIR "keyset-rot2", 3);
	flips(MANIFEST, MDIR "manifest-valid", 1);
	flips(STATEMENT, SDIR "statement-valid", 1);
	return test_done();
}
