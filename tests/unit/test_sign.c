/* Table test of signing keys and signature verification (lib/sign,
 * lib/sig): key files are created 0600 with O_EXCL, loading refuses
 * exposed or malformed key files, signatures are deterministic, verify
 * accepts exactly the right (key, hash, signature) and public keys off the
 * curve are refused. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/rand.h"
#include "lib/sha256.h"
#include "lib/sig.h"
#include "lib/sign.h"
#include "tests/keys/fixture.h"
#include "tests/test.h"

static struct fx fx;

static void write_file(const char *path, const char *s, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd >= 0) {
		if (write(fd, s, strlen(s)) < 0)
			perror(path);
		fchmod(fd, mode);
		close(fd);
	}
}

static void files(void)
{
	static const struct {
		const char *name;
		mode_t mode;
		int rc;
	} modes[] = {
		{ "0600", 0600, 0 }, { "0400", 0400, 0 }, { "0640", 0640, -EPX_E_KEY_PERM },
		{ "0604", 0604, -EPX_E_KEY_PERM }, { "0660", 0660, -EPX_E_KEY_PERM },
		{ "0644", 0644, -EPX_E_KEY_PERM }, { "0620", 0620, -EPX_E_KEY_PERM },
		{ "0602", 0602, -EPX_E_KEY_PERM }, { "0610", 0610, -EPX_E_KEY_PERM },
	};
	char path[128], other[128];
	struct sign_key *k;
	struct stat sb;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%s/new.key", fx.dir);
	ok(sign_generate(path) == 0, "generate a key");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "new key file is mode 0600 (%o)", sb.st_mode & 0777);
	ok(sign_generate(path) == -EEXIST, "generate never overwrites an existing file");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		chmod(path, modes[i].mode);
		rc = sign_load(&k, path);
		ok(rc == modes[i].rc && (rc < 0) == (k == NULL), "load of a key file with mode %s: %d", modes[i].name, rc);
		sign_free(k);
	}
	chmod(path, 0600);
	snprintf(other, sizeof(other), "%s/link.key", fx.dir);
	ok(symlink(path, other) == 0 && sign_load(&k, other) == -EPX_E_KEY_LOAD && !k, "symlinked key refused");
	ok(sign_generate(other) == -EEXIST, "generate refuses an existing symlink");
	unlink(other);
	ok(sign_load(&k, fx.dir) == -EPX_E_KEY_LOAD, "directory refused");
	ok(sign_load(&k, "/nonexistent/x.key") == -EPX_E_KEY_LOAD, "missing file refused");
	write_file(other, "-----BEGIN EC PRIVATE KEY-----\nnot base64\n-----END EC PRIVATE KEY-----\n", 0600);
	ok(sign_load(&k, other) == -EPX_E_KEY_LOAD, "garbage PEM refused");
	write_file(other, "", 0600);
	ok(sign_load(&k, other) == -EPX_E_KEY_LOAD, "empty file refused");
	write_file(other, fx.pubhex[0], 0600);
	ok(sign_load(&k, other) == -EPX_E_KEY_LOAD, "public key hex is not a private key");
	unlink(other);
	unlink(path);
}

/* An RSA or P-384 key must not be taken for a release key. */
static void wrong_curve(void)
{
	char path[128], cmd[300];
	struct sign_key *k = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/p384.key", fx.dir);
	snprintf(cmd, sizeof(cmd), "umask 077; openssl ecparam -name secp384r1 -genkey -noout -out %s 2>/dev/null", path);
	if (system(cmd) != 0) {
		ok(0, "openssl ecparam (needed for the P-384 case) failed");
		return;
	}
	rc = sign_load(&k, path);
	ok(rc == -EPX_E_KEY_LOAD && !k, "P-384 key refused: %d", rc);
	unlink(path);
	snprintf(path, sizeof(path), "%s/p256.key", fx.dir);
	snprintf(cmd, sizeof(cmd), "umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s 2>/dev/null", path);
	ok(system(cmd) == 0 && sign_load(&k, path) == 0, "openssl's PKCS#8 P-256 key loads");
	sign_free(k);
	unlink(path);
}

static void signatures(void)
{
	uint8_t h[32], h2[32], der[DOC_MAX_DER], der2[DOC_MAX_DER], bad[DOC_MAX_DER + 1];
	size_t n = 0, n2 = 0, i;
	struct sig_pub pk;

	sha256_buf("hello", 5, h);
	sha256_buf("hellp", 5, h2);
	ok(sign_hash(fx.key[0], h, der, &n) == 0 && n >= 8 && n <= 72, "sign (%zu bytes DER)", n);
	ok(sign_hash(fx.key[0], h, der2, &n2) == 0 && n == n2 && !memcmp(der, der2, n), "RFC 6979: same key and hash give the same signature");
	ok(sig_verify(&fx.pub[0], h, der, n) == 0, "verify good signature");
	ok(sig_verify(&fx.pub[1], h, der, n) == -EPX_E_SIG_BAD, "other key refused");
	ok(sig_verify(&fx.pub[0], h2, der, n) == -EPX_E_SIG_BAD, "other hash refused");
	ok(sig_verify(&fx.pub[0], h, der, n - 1) == -EPX_E_SIG_BAD, "truncated signature refused");
	memcpy(bad, der, n);
	bad[n] = 0;
	ok(sig_verify(&fx.pub[0], h, bad, n + 1) == -EPX_E_SIG_BAD, "signature with trailing byte refused");
	ok(sig_verify(&fx.pub[0], h, der, 0) == -EPX_E_SIG_BAD, "empty signature refused");
	for (i = 0; i < n; i += 7) {
		memcpy(bad, der, n);
		bad[i] ^= 0x01;
		ok(sig_verify(&fx.pub[0], h, bad, n) == -EPX_E_SIG_BAD, "signature with byte %zu flipped refused", i);
	}
	ok(sign_pub(fx.key[0], &pk) == 0 && !memcmp(pk.point, fx.pub[0].point, 65) &&
	   !memcmp(pk.keyid, fx.pub[0].keyid, 8), "public half and key ID");
	sha256_buf(pk.point, 65, h);
	ok(!memcmp(h, pk.keyid, 8), "key ID is SHA-256(point)[0..8)");
}

static void pubkeys(void)
{
	char hex[131];
	struct sig_pub pk;
	size_t i;

	ok(sig_pub_from_hex(&pk, fx.pubhex[2], 130) == 0 && !memcmp(pk.keyid, fx.pub[2].keyid, 8), "public key from hex");
	ok(sig_pub_from_hex(&pk, fx.pubhex[2], 128) == -EPX_E_KS_PUBKEY, "short public key refused");
	ok(sig_pub_from_hex(&pk, fx.pubhex[2] + 2, 128) == -EPX_E_KS_PUBKEY, "compressed-length key refused");
	memcpy(hex, fx.pubhex[2], 131);
	hex[1] = '2';
	ok(sig_pub_from_hex(&pk, hex, 130) == -EPX_E_KS_PUBKEY, "compressed prefix 02 refused");
	memcpy(hex, fx.pubhex[2], 131);
	hex[129] = hex[129] == '0' ? '1' : '0';
	ok(sig_pub_from_hex(&pk, hex, 130) == -EPX_E_KS_PUBKEY, "point off the curve refused");
	memset(hex, '0', 130);
	hex[1] = '4';
	ok(sig_pub_from_hex(&pk, hex, 130) == -EPX_E_KS_PUBKEY, "zero point refused");
	memset(hex, 'f', 130);
	hex[0] = '0';
	hex[1] = '4';
	ok(sig_pub_from_hex(&pk, hex, 130) == -EPX_E_KS_PUBKEY, "coordinates above p refused");
	for (i = 2; i < 130; i += 16) {
		memcpy(hex, fx.pubhex[3], 131);
		hex[i] = hex[i] == 'a' ? 'b' : 'a';
		ok(sig_pub_from_hex(&pk, hex, 130) == -EPX_E_KS_PUBKEY, "digit %zu changed: off the curve", i);
	}
	memcpy(hex, fx.pubhex[2], 131);
	hex[50] = 'x';
	ok(sig_pub_from_hex(&pk, hex, 130) == -EPX_E_KS_PUBKEY, "non-hex digit refused");
}

static void doc_append(void)
{
	static const char body[] = "epoxy-test 1\na b\nend\n";
	char out[400];
	size_t len;
	struct doc d;

	memcpy(out, body, sizeof(body));
	len = strlen(body);
	ok(sign_doc_append(fx.key[1], out, len, out, sizeof(out), &len) == 0, "sign_doc_append");
	ok(doc_split(&d, out, len, "epoxy-test 1") == 0 && d.nsigs == 1 &&
	   !memcmp(d.sigs[0].keyid, fx.pub[1].keyid, 8) &&
	   sig_verify(&fx.pub[1], d.body_sha256, d.sigs[0].der, d.sigs[0].der_len) == 0,
	   "appended line parses and verifies");
	ok(sign_doc_append(fx.key[1], out, strlen(body), out, len + 20, &len) == -ENOSPC, "no room: -ENOSPC");
	ok(sign_doc_append(fx.key[1], "a b\n", 4, out, sizeof(out), &len) == -EINVAL, "body without end refused");
}

static void randomness(void)
{
	uint8_t a[64], b[64], z[64] = { 0 };

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ok(rand_bytes(a, sizeof(a)) == 0 && rand_bytes(b, sizeof(b)) == 0, "rand_bytes");
	ok(memcmp(a, z, sizeof(a)) != 0 && memcmp(a, b, sizeof(a)) != 0, "two draws differ and are not zero");
	ok(rand_bytes(a, 0) == 0, "zero bytes");
}

int main(void)
{
	fx_init(&fx, 4);
	randomness();
	files();
	wrong_curve();
	signatures();
	pubkeys();
	doc_append();
	fx_free(&fx);
	return test_done();
}
