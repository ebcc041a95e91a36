/* fixture: throw-away signing keys and signed documents for the trust
 * library's table tests.  Keys are generated at test time in a fresh
 * temporary directory (never committed) and removed by fx_free(). */
#ifndef EPOXY_TEST_FIXTURE_H
#define EPOXY_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sign.h"

#define FX_MAX_KEYS 40
#define FX_END -1               /* terminates index lists */

struct fx {
	char dir[64];
	int nkeys;
	struct sign_key *key[FX_MAX_KEYS];
	struct sig_pub pub[FX_MAX_KEYS];
	char idhex[FX_MAX_KEYS][17];
	char pubhex[FX_MAX_KEYS][131];
};

/* Generates n keys (aborts on failure: a broken fixture is not a test). */
void fx_init(struct fx *f, int n);
void fx_free(struct fx *f);
/* Appends a signature by each key in signers (FX_END-terminated) to the
 * document in buf (which holds *len bytes and ends with "end\n" or with
 * signature lines).  The signed body is buf[0..body_len). */
void fx_sign(struct fx *f, char *buf, size_t cap, size_t *len, size_t body_len,
	     const int *signers);
/* Writes a keyset body: serial, threshold, release keys rel[], online key,
 * revoked[]; returns its length (body only, unsigned). */
size_t fx_keyset_body(struct fx *f, char *out, size_t cap, uint32_t serial,
		      unsigned t, const int *rel, int online, const int *revoked);
/* The same, signed by signers[]; returns the total length. */
size_t fx_keyset(struct fx *f, char *out, size_t cap, uint32_t serial,
		 unsigned t, const int *rel, int online, const int *revoked,
		 const int *signers);

/* The other valid ECDSA signature of the same key and hash: (r, n - s).
 * Returns 0, or -1 if der is not a P-256 signature. */
int fx_malleate(const uint8_t *der, size_t len, uint8_t *out, size_t *outlen);

#endif
