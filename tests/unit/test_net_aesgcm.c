/* Table test of net/aesgcm: every path this CPU has (VAES on 512-bit
 * registers, 128-bit AES-NI + PCLMULQDQ, portable) gives the GCM
 * specification's test vectors and exactly mbedTLS's output
 * and tag (Debian's libmbedcrypto, its own GCM) for every key size, IVs of
 * 12 and other lengths, additional data of 0..40 bytes, message lengths
 * 0..300 and large ones, streamed in whole blocks with a partial last
 * piece (pieces below and above the VAES path's 16 blocks), and a 32-bit
 * counter that wraps inside a 16-block group; a changed byte of ciphertext,
 * tag or additional data fails with MBEDTLS_ERR_GCM_AUTH_FAILED and leaves
 * the output zeroed; bad parameters are refused as mbedTLS refuses them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/gcm.h>

#include "net/aesgcm.h"
#include "tests/test.h"

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && sscanf(s, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static uint32_t rnd_state = 12345;
static uint8_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (uint8_t)(rnd_state >> 16);
}

static void fill(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = rnd();
}

/* mbedTLS's answer */
static int ref(const uint8_t *key, unsigned bits, const uint8_t *iv, size_t ivl,
	       const uint8_t *add, size_t addl, const uint8_t *in, size_t n,
	       uint8_t *out, uint8_t tag[16])
{
	mbedtls_gcm_context c;
	int rc;

	mbedtls_gcm_init(&c);
	rc = mbedtls_gcm_setkey(&c, MBEDTLS_CIPHER_ID_AES, key, bits);
	if (rc == 0)
		rc = mbedtls_gcm_crypt_and_tag(&c, MBEDTLS_GCM_ENCRYPT, n, iv, ivl, add,
					       addl, in, out, 16, tag);
	mbedtls_gcm_free(&c);
	return rc;
}

/* ours, streamed in pieces of step bytes (a multiple of 16) */
static int ours(int force, int mode, const uint8_t *key, unsigned bits, const uint8_t *iv,
		size_t ivl, const uint8_t *add, size_t addl, const uint8_t *in, size_t n,
		size_t step, uint8_t *out, uint8_t tag[16])
{
	struct aesgcm g;
	size_t off = 0;
	int rc;

	aesgcm_init(&g);
	rc = aesgcm_setkey(&g, key, bits, force);
	if (rc == 0)
		rc = aesgcm_starts(&g, mode, iv, ivl, add, addl);
	while (rc == 0 && off < n) {
		size_t k = n - off < step ? n - off : step;

		rc = aesgcm_update(&g, k, in + off, out + off);
		off += k;
	}
	if (rc == 0)
		rc = aesgcm_finish(&g, tag, 16);
	aesgcm_free(&g);
	return rc;
}

static void vectors(int force)
{
	static const struct {
		const char *key, *iv, *add, *pt, *ct, *tag;
	} v[] = {
		/* GCM specification (McGrew, Viega), test cases 1-4, 6, 14, 16 */
		{ "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
		  "58e2fccefa7e3061367f1d57a4e7455a" },
		{ "00000000000000000000000000000000", "000000000000000000000000", "",
		  "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
		  "ab6e47d42cec13bdf53a67b21257bddf" },
		{ "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
		  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
		  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
		  "4d5c2af327cd64a62cf35abd2ba6fab4" },
		{ "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
		  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		  "5bc94fbc3221a5db94fae95ae7121a47" },
		{ "feffe9928665731c6d6a8f9467308308",
		  "9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728"
		  "c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b",
		  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		  "8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca7"
		  "01e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5",
		  "619cc5aefffe0bfa462af43c1699d050" },
		{ "0000000000000000000000000000000000000000000000000000000000000000",
		  "000000000000000000000000", "", "00000000000000000000000000000000",
		  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
		{ "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		  "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		  "76fc6ece0f4e1768cddf8853bb2d551b" },
	};
	uint8_t key[32], iv[64], add[64], pt[64], ct[64], tag[16], out[64], t[16];
	size_t i, kl, ivl, al, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		kl = unhex(v[i].key, key);
		ivl = unhex(v[i].iv, iv);
		al = unhex(v[i].add, add);
		n = unhex(v[i].pt, pt);
		unhex(v[i].ct, ct);
		unhex(v[i].tag, tag);
		memset(out, 0, sizeof(out));
		ok(ours(force, AESGCM_ENCRYPT, key, (unsigned)kl * 8, iv, ivl, add, al, pt, n,
			16, out, t) == 0 && memcmp(out, ct, n) == 0 && memcmp(t, tag, 16) == 0,
		   "GCM spec vector %zu, path %d: ciphertext and tag", i, force);
	}
}

/* force values: automatic (the widest this CPU has), VAES, 128-bit
 * AES-NI, portable; a path the CPU lacks falls back to a narrower one */
static const int paths[] = { -1, 2, 1, 0 };
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

int main(void)
{
	static const unsigned bits[] = { 128, 192, 256 };
	static const size_t ivls[] = { 12, 1, 16, 60 };
	static const size_t bigs[] = { 511, 4096, 16384 + 5, 70000 };
	static const size_t steps[] = { 16, 48, 64, 4096, 1 << 20 };
	size_t max = 70000 + 16, n, a, i, s, fails;
	uint8_t *in = malloc(max), *want = malloc(max), *got = malloc(max), *back = malloc(max);
	uint8_t key[32], iv[64], add[64], wt[16], gt[16];
	int has = aesgcm_cpu_has_ni(), f, b, rc;
	size_t p;
	struct aesgcm g;

	printf("# AES-NI and PCLMULQDQ on this CPU: %s; VAES on 512-bit registers: %s\n",
	       has ? "yes" : "no (every path portable)",
	       aesgcm_cpu_has_wide() ? "yes" : "no (paths -1 and 2 are the next narrower)");
	for (p = 0; p < NPATHS; p++)
		vectors(paths[p]);
	/* every size, every path, against mbedTLS */
	for (p = 0; p < NPATHS && (f = paths[p], 1); p++)
		for (b = 0; b < 3; b++)
			for (i = 0; i < 4; i++) {
				fails = 0;
				for (n = 0; n <= 300; n++) {
					a = n % 41;
					fill(key, 32);
					fill(iv, ivls[i]);
					fill(add, a);
					fill(in, n);
					rc = ref(key, bits[b], iv, ivls[i], add, a, in, n, want, wt);
					if (rc || ours(f, AESGCM_ENCRYPT, key, bits[b], iv, ivls[i], add, a,
						       in, n, 32, got, gt) ||
					    memcmp(want, got, n) || memcmp(wt, gt, 16))
						fails++;
				}
				ok(fails == 0, "path %d, AES-%u, IV %zu bytes: lengths 0..300 = mbedTLS"
				   " (%zu differ)", f, bits[b], ivls[i], fails);
			}
	for (p = 0; p < NPATHS && (f = paths[p], 1); p++)
		for (i = 0; i < 4; i++)
			for (s = 0; s < 5; s++) {
				n = bigs[i];
				fill(key, 32);
				fill(iv, 12);
				fill(add, 13);
				fill(in, n);
				ref(key, 256, iv, 12, add, 13, in, n, want, wt);
				rc = ours(f, AESGCM_ENCRYPT, key, 256, iv, 12, add, 13, in, n, steps[s],
					  got, gt);
				ok(rc == 0 && !memcmp(want, got, n) && !memcmp(wt, gt, 16),
				   "path %d: %zu bytes in %zu-byte pieces = mbedTLS", f, n, steps[s]);
				rc = ours(f, AESGCM_DECRYPT, key, 256, iv, 12, add, 13, got, n, steps[s],
					  back, gt);
				ok(rc == 0 && !memcmp(back, in, n) && !memcmp(wt, gt, 16),
				   "path %d: %zu bytes decrypt back, same tag", f, n);
			}

	/* the 32-bit counter wraps (inc32), as mbedTLS's does, inside a
	 * 16-block group of the VAES path and in the 128-bit tail */
	for (p = 0; p < NPATHS && (f = paths[p], 1); p++) {
		mbedtls_gcm_context c;

		fill(key, 16);
		fill(iv, 12);
		fill(in, 400);
		mbedtls_gcm_init(&c);
		mbedtls_gcm_setkey(&c, MBEDTLS_CIPHER_ID_AES, key, 128);
		mbedtls_gcm_starts(&c, MBEDTLS_GCM_ENCRYPT, iv, 12, NULL, 0);
		memset(c.y + 12, 0xff, 4);
		c.y[15] = 0xfd;
		mbedtls_gcm_update(&c, 400, in, want);
		mbedtls_gcm_finish(&c, wt, 16);
		mbedtls_gcm_free(&c);
		aesgcm_init(&g);
		aesgcm_setkey(&g, key, 128, f);
		aesgcm_starts(&g, AESGCM_ENCRYPT, iv, 12, NULL, 0);
		memset(g.ctr + 12, 0xff, 4);
		g.ctr[15] = 0xfe;       /* ours holds the next counter */
		aesgcm_update(&g, 400, in, got);
		aesgcm_finish(&g, gt, 16);
		aesgcm_free(&g);
		ok(!memcmp(want, got, 400) && !memcmp(wt, gt, 16),
		   "path %d: the counter wraps from ffffffff to 0 as mbedTLS's", f);
	}

	/* authentication */
	for (p = 0; p < NPATHS && (f = paths[p], 1); p++) {
		static const size_t where[] = { 0, 100, 4095 };

		n = 4096;
		fill(key, 32);
		fill(iv, 12);
		fill(add, 13);
		fill(in, n);
		ref(key, 256, iv, 12, add, 13, in, n, want, wt);
		aesgcm_init(&g);
		aesgcm_setkey(&g, key, 256, f);
		rc = aesgcm_auth_decrypt(&g, n, iv, 12, add, 13, wt, 16, want, back);
		ok(rc == 0 && !memcmp(back, in, n), "path %d: auth_decrypt of mbedTLS's output", f);
		for (i = 0; i < 3; i++) {
			want[where[i]] ^= 0x01;
			memset(back, 0xaa, n);
			rc = aesgcm_auth_decrypt(&g, n, iv, 12, add, 13, wt, 16, want, back);
			for (s = 0; s < n && back[s] == 0; s++)
				;
			ok(rc == MBEDTLS_ERR_GCM_AUTH_FAILED && s == n,
			   "path %d: ciphertext byte %zu changed: refused, output zeroed", f, where[i]);
			want[where[i]] ^= 0x01;
		}
		wt[15] ^= 0x80;
		rc = aesgcm_auth_decrypt(&g, n, iv, 12, add, 13, wt, 16, want, back);
		ok(rc == MBEDTLS_ERR_GCM_AUTH_FAILED, "path %d: tag changed: refused", f);
		wt[15] ^= 0x80;
		add[3] ^= 0x10;
		rc = aesgcm_auth_decrypt(&g, n, iv, 12, add, 13, wt, 16, want, back);
		ok(rc == MBEDTLS_ERR_GCM_AUTH_FAILED, "path %d: additional data changed: refused", f);
		add[3] ^= 0x10;
		rc = aesgcm_auth_decrypt(&g, n, iv, 12, add, 13, wt, 12, want, back);
		ok(rc == 0, "path %d: a 12-byte tag (prefix) verifies", f);

		/* refusals */
		ok(aesgcm_starts(&g, AESGCM_ENCRYPT, iv, 0, NULL, 0) == MBEDTLS_ERR_GCM_BAD_INPUT,
		   "path %d: empty IV refused", f);
		ok(aesgcm_starts(&g, 7, iv, 12, NULL, 0) == MBEDTLS_ERR_GCM_BAD_INPUT,
		   "path %d: unknown mode refused", f);
		aesgcm_starts(&g, AESGCM_ENCRYPT, iv, 12, NULL, 0);
		ok(aesgcm_update(&g, 17, in, got) == 0 &&
		   aesgcm_update(&g, 16, in, got) == MBEDTLS_ERR_GCM_BAD_INPUT,
		   "path %d: more data after a partial block refused", f);
		ok(aesgcm_finish(&g, gt, 3) == MBEDTLS_ERR_GCM_BAD_INPUT &&
		   aesgcm_finish(&g, gt, 17) == MBEDTLS_ERR_GCM_BAD_INPUT,
		   "path %d: tag lengths 3 and 17 refused", f);
		aesgcm_starts(&g, AESGCM_ENCRYPT, iv, 12, NULL, 0);
		ok(aesgcm_update(&g, 64, in + 1, in) == 0 &&
		   aesgcm_update(&g, 64, in, in + 1) == MBEDTLS_ERR_GCM_BAD_INPUT,
		   "path %d: output overlapping the input ahead of it refused", f);
		ok(aesgcm_setkey(&g, key, 100, f) == MBEDTLS_ERR_GCM_BAD_INPUT &&
		   aesgcm_starts(&g, AESGCM_ENCRYPT, iv, 12, NULL, 0) == MBEDTLS_ERR_GCM_BAD_INPUT,
		   "path %d: a 100-bit key refused, the context unusable after it", f);
		aesgcm_free(&g);
	}
	free(in);
	free(want);
	free(got);
	free(back);
	return test_done();
}
