/* hash: SHA-256 with the x86 SHA extensions, written for the agent from
 * FIPS 180-4 and the instruction definitions (sha256rnds2 performs two
 * rounds on the ABEF/CDGH halves of the state; sha256msg1/msg2 compute
 * the sigma0/sigma1 parts of the message schedule).  The round constants
 * are derived at first use from the cube roots of the first 64 primes, as
 * the standard defines them, and the unit test pins the result to mbedTLS.
 * Without SHA-NI everything goes through mbedTLS unchanged. */
#include <cpuid.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "stage2/hash.h"

static uint32_t hash_k[64];
static int hash_k_ready;

static const uint32_t hash_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

/* K[i] = first 32 bits of the fractional part of cbrt(prime i). */
static void hash_make_k(void)
{
	unsigned n = 0, p;

	for (p = 2; n < 64; p++) {
		unsigned d;
		long double c, f;

		for (d = 2; d * d <= p; d++)
			if (p % d == 0)
				break;
		if (d * d <= p)
			continue;
		c = cbrtl((long double)p);
		f = c - floorl(c);
		hash_k[n++] = (uint32_t)(f * 4294967296.0L);
	}
	hash_k_ready = 1;
}

int hash_cpu_has_ni(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b >> 29) & 1;
}

__attribute__((target("sha,sse4.1,ssse3")))
static void hash_ni_blocks(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i st0, st1, tmp, save0, save1, msg, w[4];
	unsigned i;

	tmp = _mm_loadu_si128((const __m128i *)&h[0]);          /* D C B A */
	st1 = _mm_loadu_si128((const __m128i *)&h[4]);          /* H G F E */
	tmp = _mm_shuffle_epi32(tmp, 0xB1);                     /* C D A B */
	st1 = _mm_shuffle_epi32(st1, 0x1B);                     /* E F G H */
	st0 = _mm_alignr_epi8(tmp, st1, 8);                     /* A B E F */
	st1 = _mm_blend_epi16(st1, tmp, 0xF0);                  /* C D G H */
	while (nblocks--) {
		save0 = st0;
		save1 = st1;
		/* unrolled: w[] indices become constants and the schedule
		 * stays in registers (a loop kept w[] on the stack, -Os) */
#pragma GCC unroll 16
		for (i = 0; i < 16; i++) {
			if (i < 4) {
				w[i] = _mm_shuffle_epi8(
					_mm_loadu_si128((const __m128i *)(p + 16 * i)), mask);
			} else {
				tmp = _mm_sha256msg1_epu32(w[(i - 4) & 3], w[(i - 3) & 3]);
				tmp = _mm_add_epi32(tmp, _mm_alignr_epi8(w[(i - 1) & 3],
									 w[(i - 2) & 3], 4));
				w[i & 3] = _mm_sha256msg2_epu32(tmp, w[(i - 1) & 3]);
			}
			msg = _mm_add_epi32(w[i & 3],
					    _mm_loadu_si128((const __m128i *)&hash_k[4 * i]));
			st1 = _mm_sha256rnds2_epu32(st1, st0, msg);
			msg = _mm_shuffle_epi32(msg, 0x0E);
			st0 = _mm_sha256rnds2_epu32(st0, st1, msg);
		}
		st0 = _mm_add_epi32(st0, save0);
		st1 = _mm_add_epi32(st1, save1);
		p += 64;
	}
	tmp = _mm_shuffle_epi32(st0, 0x1B);                     /* F E B A */
	st1 = _mm_shuffle_epi32(st1, 0xB1);                     /* D C H G */
	st0 = _mm_blend_epi16(tmp, st1, 0xF0);                  /* D C B A */
	st1 = _mm_alignr_epi8(st1, tmp, 8);                     /* H G F E */
	_mm_storeu_si128((__m128i *)&h[0], st0);
	_mm_storeu_si128((__m128i *)&h[4], st1);
}

void hash_init(struct hash *x, int force)
{
	memset(x, 0, sizeof(*x));
	x->ni = force != 0 && hash_cpu_has_ni();
	if (x->ni) {
		if (!hash_k_ready)
			hash_make_k();
		memcpy(x->h, hash_iv, sizeof(x->h));
		return;
	}
	mbedtls_sha256_init(&x->mb);
	mbedtls_sha256_starts_ret(&x->mb, 0);
}

void hash_update(struct hash *x, const uint8_t *p, size_t n)
{
	size_t take;

	if (!x->ni) {
		mbedtls_sha256_update_ret(&x->mb, p, n);
		return;
	}
	x->total += n;
	if (x->buflen) {
		take = 64 - x->buflen < n ? 64 - x->buflen : n;
		memcpy(x->buf + x->buflen, p, take);
		x->buflen += take;
		p += take;
		n -= take;
		if (x->buflen < 64)
			return;
		hash_ni_blocks(x->h, x->buf, 1);
		x->buflen = 0;
	}
	if (n >= 64) {
		hash_ni_blocks(x->h, p, n / 64);
		p += n & ~(size_t)63;
		n &= 63;
	}
	memcpy(x->buf, p, n);
	x->buflen = n;
}

void hash_finish(struct hash *x, uint8_t out[32])
{
	uint64_t bits;
	unsigned i;

	if (!x->ni) {
		mbedtls_sha256_finish_ret(&x->mb, out);
		return;
	}
	bits = x->total * 8;
	x->buf[x->buflen++] = 0x80;
	if (x->buflen > 56) {
		memset(x->buf + x->buflen, 0, 64 - x->buflen);
		hash_ni_blocks(x->h, x->buf, 1);
		x->buflen = 0;
	}
	memset(x->buf + x->buflen, 0, 56 - x->buflen);
	for (i = 0; i < 8; i++)
		x->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	hash_ni_blocks(x->h, x->buf, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(x->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(x->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(x->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)x->h[i];
	}
}

void hash_free(struct hash *x)
{
	if (!x->ni)
		mbedtls_sha256_free(&x->mb);
	explicit_bzero(x, sizeof(*x));
}
