/* aesgcm: AES-GCM with AES-NI and PCLMULQDQ (or VAES and VPCLMULQDQ on
 * 512-bit registers), written for the client from SP 800-38D and the
 * instruction definitions.
 *
 * GHASH in the instructions' order.  A GCM block holds the coefficient of
 * x^0 in the top bit of its first byte; with its bytes reversed, the
 * 128-bit little-endian value R(A) holds a_k at bit 127-k.  The carry-less
 * product of R(A) and R(B) then holds c_k of C = A*B at bit 254-k: one
 * shift left makes the 256-bit value (hi:lo) with hi = R(C mod x^128) and
 * lo = R(D), C = C_low + x^128 D.  Since x^128 = 1 + x + x^2 + x^7 modulo
 * the field polynomial, C = C_low + D (1 + x + x^2 + x^7); multiplying by
 * x^s is a right shift by s of R(), and the s bits that fall off the
 * bottom (degree 128 and up) come back as D' = the low bits of D moved to
 * the top, D' having degree below 7, so its own product stays below x^128.
 * Both steps together: g = d ^ d<<127 ^ d<<126 ^ d<<121 (128-bit shifts,
 * truncated), result = hi ^ g ^ g>>1 ^ g>>2 ^ g>>7.  Every step is linear,
 * so the products of n blocks are added before one reduction
 * (Xn = (X0+C1)H^n + C2 H^(n-1) + ... + Cn H), and so are the middle terms
 * of the products (a0 b1 + a1 b0) before their one shift. */
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

#include <mbedtls/gcm.h>

#include "net/aesgcm.h"

int aesgcm_cpu_has_ni(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	return (c & bit_AES) && (c & bit_PCLMUL) && (c & bit_SSSE3) && (c & bit_SSE4_1);
}

int aesgcm_cpu_has_wide(void)
{
	unsigned a, b, c, d, lo, hi;

	/* the instructions, and the OS saving the 512-bit state (XCR0: SSE,
	 * AVX, opmask, ZMM_Hi256, Hi16_ZMM) */
	if (!aesgcm_cpu_has_ni() || !__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 0xe6) != 0xe6 || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_AVX2) && (b & bit_AVX512F) && (b & bit_AVX512BW) &&
	       (b & bit_AVX512VL) && (c & bit_VAES) && (c & bit_VPCLMULQDQ);
}

/* ------------------------------------------------------ portable path */

static uint64_t aesgcm_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void aesgcm_put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Portable multiply by H, 4 bits at a time (Horner's rule from the
 * highest coefficient, SP 800-38D's bit order: bit 7 of byte 0 is x^0,
 * and a right shift multiplies by x).  Nibble value n (its top bit the
 * lowest power) times H is mh/ml[n]: [8] = H, [4] = H x, [2] = H x^2,
 * [1] = H x^3, the others their sums. */
static void aesgcm_table(struct aesgcm *g)
{
	uint64_t vh = aesgcm_be64(g->h), vl = aesgcm_be64(g->h + 8), m;
	int i, j;

	g->mh[0] = g->ml[0] = 0;
	g->mh[8] = vh;
	g->ml[8] = vl;
	for (i = 4; i > 0; i >>= 1) {
		m = (uint64_t)0 - (vl & 1);
		vl = vl >> 1 | vh << 63;
		vh = vh >> 1 ^ (0xe100000000000000ULL & m);
		g->mh[i] = vh;
		g->ml[i] = vl;
	}
	for (i = 2; i <= 8; i *= 2)
		for (j = 1; j < i; j++) {
			g->mh[i + j] = g->mh[i] ^ g->mh[j];
			g->ml[i + j] = g->ml[i] ^ g->ml[j];
		}
}

/* Z x^4: the four coefficients that pass x^127 come back as R = x^128 mod
 * the field polynomial (1 + x + x^2 + x^7: 0xe1 in the top byte) times
 * x^0..x^3, i.e. R shifted right by 0..3 */
#define AESGCM_R4(r) (((r) & 8 ? 0xe100u : 0) ^ ((r) & 4 ? 0xe100u >> 1 : 0) ^ \
		      ((r) & 2 ? 0xe100u >> 2 : 0) ^ ((r) & 1 ? 0xe100u >> 3 : 0))
static const uint16_t aesgcm_r4[16] = {
	AESGCM_R4(0), AESGCM_R4(1), AESGCM_R4(2), AESGCM_R4(3), AESGCM_R4(4),
	AESGCM_R4(5), AESGCM_R4(6), AESGCM_R4(7), AESGCM_R4(8), AESGCM_R4(9),
	AESGCM_R4(10), AESGCM_R4(11), AESGCM_R4(12), AESGCM_R4(13),
	AESGCM_R4(14), AESGCM_R4(15),
};

static void aesgcm_mul_slow(const struct aesgcm *g, uint8_t x[16])
{
	uint64_t zh = 0, zl = 0, rem;
	int i, half;

	for (i = 15; i >= 0; i--)
		for (half = 0; half < 2; half++) {
			unsigned n = half ? x[i] >> 4 : x[i] & 0x0f;

			if (i != 15 || half) {
				rem = zl & 0x0f;
				zl = zl >> 4 | zh << 60;
				zh = zh >> 4 ^ (uint64_t)aesgcm_r4[rem] << 48;
			}
			zh ^= g->mh[n];
			zl ^= g->ml[n];
		}
	aesgcm_put64(x, zh);
	aesgcm_put64(x + 8, zl);
}

static void aesgcm_inc32(uint8_t ctr[16])
{
	int i;

	for (i = 15; i >= 12; i--)
		if (++ctr[i])
			break;
}

/* ------------------------------------------------------ AES-NI path */

#define AESGCM_NI __attribute__((target("aes,pclmul,sse4.1,ssse3")))

AESGCM_NI static __m128i aesgcm_rev(__m128i v)
{
	return _mm_shuffle_epi8(v, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
						11, 12, 13, 14, 15));
}

/* (hi:lo) += a * b, carry-less, not reduced */
AESGCM_NI static void aesgcm_clmul(__m128i a, __m128i b, __m128i *lo, __m128i *hi)
{
	__m128i m = _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01),
				  _mm_clmulepi64_si128(a, b, 0x10));

	*lo = _mm_xor_si128(*lo, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x00),
					       _mm_slli_si128(m, 8)));
	*hi = _mm_xor_si128(*hi, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x11),
					       _mm_srli_si128(m, 8)));
}

/* 128-bit right shift by s (0 < s < 64) */
#define AESGCM_SHR(v, s) _mm_or_si128(_mm_srli_epi64((v), (s)), \
				      _mm_slli_epi64(_mm_srli_si128((v), 8), 64 - (s)))

/* the reduction of the file's comment: (hi:lo) << 1, then modulo */
AESGCM_NI static __m128i aesgcm_reduce(__m128i lo, __m128i hi)
{
	__m128i d, g, t;

	/* (hi:lo) << 1 */
	hi = _mm_or_si128(_mm_or_si128(_mm_slli_epi64(hi, 1),
				       _mm_slli_si128(_mm_srli_epi64(hi, 63), 8)),
			  _mm_srli_si128(_mm_srli_epi64(lo, 63), 8));
	d = _mm_or_si128(_mm_slli_epi64(lo, 1), _mm_slli_si128(_mm_srli_epi64(lo, 63), 8));
	/* g = d ^ d<<127 ^ d<<126 ^ d<<121: the low lane's bits to the top */
	t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(d, 63), _mm_slli_epi64(d, 62)),
			  _mm_slli_epi64(d, 57));
	g = _mm_xor_si128(d, _mm_slli_si128(t, 8));
	t = _mm_xor_si128(g, _mm_xor_si128(AESGCM_SHR(g, 1), AESGCM_SHR(g, 2)));
	return _mm_xor_si128(hi, _mm_xor_si128(t, AESGCM_SHR(g, 7)));
}

AESGCM_NI static __m128i aesgcm_mul(__m128i a, __m128i b)
{
	__m128i lo = _mm_setzero_si128(), hi = _mm_setzero_si128();

	aesgcm_clmul(a, b, &lo, &hi);
	return aesgcm_reduce(lo, hi);
}

AESGCM_NI static void aesgcm_ni_powers(struct aesgcm *g)
{
	__m128i h = aesgcm_rev(_mm_loadu_si128((const __m128i *)g->h)), p = h;
	int i;

	for (i = 0; i < AESGCM_AGG; i++) {
		_mm_storeu_si128((__m128i *)g->hpow[i], p);
		p = aesgcm_mul(p, h);
	}
}

/* GHASH of whole blocks into g->x (nb blocks at p) */
AESGCM_NI static void aesgcm_ni_ghash(struct aesgcm *g, const uint8_t *p, size_t nb)
{
	__m128i x = aesgcm_rev(_mm_loadu_si128((const __m128i *)g->x));
	__m128i h = _mm_loadu_si128((const __m128i *)g->hpow[0]);

	for (; nb > 0; nb--, p += 16)
		x = aesgcm_mul(_mm_xor_si128(x, aesgcm_rev(_mm_loadu_si128((const __m128i *)p))), h);
	_mm_storeu_si128((__m128i *)g->x, aesgcm_rev(x));
}

/* CTR and GHASH over nb whole blocks, eight at a time (AESGCM_NI_GROUP):
 * eight AES pipelines in flight cover the aesenc latency, and the eight
 * carry-less products, their middle terms added before one shift, share
 * one reduction.  Decrypting, the GHASH input is the ciphertext, known
 * before the AES rounds: the compiler interleaves both. */
#define AESGCM_NI_GROUP 8
AESGCM_NI static void aesgcm_ni_blocks(struct aesgcm *g, const uint8_t *in,
				       uint8_t *out, size_t nb)
{
	__m128i rk[15], b[AESGCM_NI_GROUP], c[AESGCM_NI_GROUP], lo, hi, mid, h;
	__m128i x = aesgcm_rev(_mm_loadu_si128((const __m128i *)g->x));
	__m128i ctr = aesgcm_rev(_mm_loadu_si128((const __m128i *)g->ctr));
	const __m128i one = _mm_set_epi32(0, 0, 0, 1);
	int dec = g->mode == AESGCM_DECRYPT, nr = g->nr, r, i, k;

	for (r = 0; r <= nr; r++)
		rk[r] = _mm_loadu_si128((const __m128i *)g->rk[r]);
	while (nb > 0) {
		k = nb < AESGCM_NI_GROUP ? 1 : AESGCM_NI_GROUP;
		for (i = 0; i < k; i++) {
			b[i] = _mm_xor_si128(aesgcm_rev(ctr), rk[0]);
			ctr = _mm_add_epi32(ctr, one);  /* inc32: the low lane wraps */
		}
		for (r = 1; r < nr; r++)
			for (i = 0; i < k; i++)
				b[i] = _mm_aesenc_si128(b[i], rk[r]);
		for (i = 0; i < k; i++) {
			__m128i v = _mm_loadu_si128((const __m128i *)(in + 16 * i));
			__m128i o = _mm_xor_si128(v, _mm_aesenclast_si128(b[i], rk[nr]));

			_mm_storeu_si128((__m128i *)(out + 16 * i), o);
			c[i] = aesgcm_rev(dec ? v : o);
		}
		c[0] = _mm_xor_si128(c[0], x);
		lo = hi = mid = _mm_setzero_si128();
		for (i = 0; i < k; i++) {
			h = _mm_loadu_si128((const __m128i *)g->hpow[k - 1 - i]);
			lo = _mm_xor_si128(lo, _mm_clmulepi64_si128(c[i], h, 0x00));
			hi = _mm_xor_si128(hi, _mm_clmulepi64_si128(c[i], h, 0x11));
			mid = _mm_xor_si128(mid, _mm_xor_si128(_mm_clmulepi64_si128(c[i], h, 0x01),
							       _mm_clmulepi64_si128(c[i], h, 0x10)));
		}
		x = aesgcm_reduce(_mm_xor_si128(lo, _mm_slli_si128(mid, 8)),
				  _mm_xor_si128(hi, _mm_srli_si128(mid, 8)));
		in += 16 * k;
		out += 16 * k;
		nb -= (size_t)k;
	}
	_mm_storeu_si128((__m128i *)g->x, aesgcm_rev(x));
	_mm_storeu_si128((__m128i *)g->ctr, aesgcm_rev(ctr));
}

/* ------------------------------------------------------ VAES path
 * The same computation on 512-bit registers (VAES, VPCLMULQDQ, AVX-512):
 * one instruction does an AES round or a carry-less product on four blocks
 * (its four 128-bit lanes, lane 0 the lowest address), sixteen blocks per
 * loop (AESGCM_WIDE_GROUP): block j of the group is multiplied by
 * H^(16-j), the sixteen products are added lane by lane, the four lanes
 * are added, and one reduction ends the group.  What is left below sixteen
 * blocks goes through the 128-bit path above. */
#define AESGCM_WIDE __attribute__((target("aes,pclmul,sse4.1,ssse3,avx2,avx512f," \
					  "avx512bw,avx512vl,vaes,vpclmulqdq")))
#define AESGCM_WIDE_GROUP 16

AESGCM_WIDE static __m512i aesgcm_wide_rev(__m512i v)
{
	return _mm512_shuffle_epi8(v, _mm512_broadcast_i32x4(
		_mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)));
}

AESGCM_WIDE static __m128i aesgcm_wide_fold(__m512i v)
{
	return _mm_xor_si128(_mm_xor_si128(_mm512_extracti32x4_epi32(v, 0),
					   _mm512_extracti32x4_epi32(v, 1)),
			     _mm_xor_si128(_mm512_extracti32x4_epi32(v, 2),
					   _mm512_extracti32x4_epi32(v, 3)));
}

/* returns the blocks done: nb rounded down to whole groups */
AESGCM_WIDE static size_t aesgcm_wide_blocks(struct aesgcm *g, const uint8_t *in,
					     uint8_t *out, size_t nb)
{
	__m512i rk[15], hp[4], b[4], c[4], ctr[4], lo, hi, mid, v, o;
	const __m512i four = _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 4,
					      0, 0, 0, 4, 0, 0, 0, 4);
	const __m512i sixteen = _mm512_slli_epi32(four, 2);
	__m128i x = aesgcm_rev(_mm_loadu_si128((const __m128i *)g->x));
	__m128i c1 = aesgcm_rev(_mm_loadu_si128((const __m128i *)g->ctr));
	int dec = g->mode == AESGCM_DECRYPT, nr = g->nr, r, i;
	size_t done = 0;

	if (nb < AESGCM_WIDE_GROUP)
		return 0;
	for (r = 0; r <= nr; r++)
		rk[r] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)g->rk[r]));
	/* hp[i] lane l = H^(16 - 4i - l): hpow[15 - 4i - l] */
	for (i = 0; i < 4; i++)
		hp[i] = _mm512_inserti32x4(_mm512_inserti32x4(_mm512_inserti32x4(
			_mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)g->hpow[15 - 4 * i])),
			_mm_loadu_si128((const __m128i *)g->hpow[14 - 4 * i]), 1),
			_mm_loadu_si128((const __m128i *)g->hpow[13 - 4 * i]), 2),
			_mm_loadu_si128((const __m128i *)g->hpow[12 - 4 * i]), 3);
	/* ctr[i] lane l: the counter of block 4i + l (inc32 in the low lane) */
	ctr[0] = _mm512_add_epi32(_mm512_broadcast_i32x4(c1),
				  _mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0));
	for (i = 1; i < 4; i++)
		ctr[i] = _mm512_add_epi32(ctr[i - 1], four);
	for (; nb - done >= AESGCM_WIDE_GROUP; done += AESGCM_WIDE_GROUP) {
		for (i = 0; i < 4; i++) {
			b[i] = _mm512_xor_si512(aesgcm_wide_rev(ctr[i]), rk[0]);
			ctr[i] = _mm512_add_epi32(ctr[i], sixteen);
		}
		for (r = 1; r < nr; r++)
			for (i = 0; i < 4; i++)
				b[i] = _mm512_aesenc_epi128(b[i], rk[r]);
		for (i = 0; i < 4; i++) {
			v = _mm512_loadu_si512((const void *)(in + 64 * i));
			o = _mm512_xor_si512(v, _mm512_aesenclast_epi128(b[i], rk[nr]));
			_mm512_storeu_si512((void *)(out + 64 * i), o);
			c[i] = aesgcm_wide_rev(dec ? v : o);
		}
		c[0] = _mm512_xor_si512(c[0], _mm512_zextsi128_si512(x));
		lo = hi = mid = _mm512_setzero_si512();
		for (i = 0; i < 4; i++) {
			lo = _mm512_xor_si512(lo, _mm512_clmulepi64_epi128(c[i], hp[i], 0x00));
			hi = _mm512_xor_si512(hi, _mm512_clmulepi64_epi128(c[i], hp[i], 0x11));
			mid = _mm512_xor_si512(mid, _mm512_xor_si512(
				_mm512_clmulepi64_epi128(c[i], hp[i], 0x01),
				_mm512_clmulepi64_epi128(c[i], hp[i], 0x10)));
		}
		lo = _mm512_xor_si512(lo, _mm512_bslli_epi128(mid, 8));
		hi = _mm512_xor_si512(hi, _mm512_bsrli_epi128(mid, 8));
		x = aesgcm_reduce(aesgcm_wide_fold(lo), aesgcm_wide_fold(hi));
		in += 64 * 4;
		out += 64 * 4;
	}
	_mm_storeu_si128((__m128i *)g->x, aesgcm_rev(x));
	_mm_storeu_si128((__m128i *)g->ctr, aesgcm_rev(_mm512_castsi512_si128(ctr[0])));
	return done;
}

/* ------------------------------------------------------ both paths */

/* GHASH of len bytes, the last block padded with zeros */
static void aesgcm_ghash(struct aesgcm *g, const uint8_t *p, size_t len)
{
	uint8_t blk[16];
	size_t whole = len / 16, i;

	if (g->ni) {
		aesgcm_ni_ghash(g, p, whole);
	} else {
		for (i = 0; i < whole; i++) {
			for (size_t j = 0; j < 16; j++)
				g->x[j] ^= p[16 * i + j];
			aesgcm_mul_slow(g, g->x);
		}
	}
	if (len % 16) {
		memset(blk, 0, sizeof(blk));
		memcpy(blk, p + 16 * whole, len % 16);
		if (g->ni) {
			aesgcm_ni_ghash(g, blk, 1);
		} else {
			for (i = 0; i < 16; i++)
				g->x[i] ^= blk[i];
			aesgcm_mul_slow(g, g->x);
		}
	}
}

static int aesgcm_ecb(struct aesgcm *g, const uint8_t in[16], uint8_t out[16])
{
	return mbedtls_aes_crypt_ecb(&g->aes, MBEDTLS_AES_ENCRYPT, in, out) ? MBEDTLS_ERR_GCM_BAD_INPUT : 0;
}

void aesgcm_init(struct aesgcm *g)
{
	memset(g, 0, sizeof(*g));
	mbedtls_aes_init(&g->aes);
}

int aesgcm_setkey(struct aesgcm *g, const uint8_t *key, unsigned keybits, int force)
{
	static const uint8_t zero[16];
	int r;

	aesgcm_free(g);
	if (keybits != 128 && keybits != 192 && keybits != 256)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	if (mbedtls_aes_setkey_enc(&g->aes, key, keybits))
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	g->nr = g->aes.nr;
	/* mbedTLS keeps the expanded key as 32-bit words in memory order,
	 * the bytes of FIPS 197's schedule (also with AES-NI) */
	for (r = 0; r <= g->nr; r++)
		memcpy(g->rk[r], (const uint8_t *)g->aes.rk + 16 * r, 16);
	g->ni = force != 0 && aesgcm_cpu_has_ni();
	if (g->ni && (force < 0 || force == 2) && aesgcm_cpu_has_wide())
		g->ni = 2;
	if (aesgcm_ecb(g, zero, g->h))
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	if (g->ni)
		aesgcm_ni_powers(g);
	else
		aesgcm_table(g);
	g->keyed = 1;
	return 0;
}

int aesgcm_starts(struct aesgcm *g, int mode, const uint8_t *iv, size_t iv_len,
		  const uint8_t *add, size_t add_len)
{
	uint8_t lenblk[16];

	/* SP 800-38D's limits, as mbedTLS checks them */
	if (!g->keyed || iv_len == 0 || (uint64_t)iv_len >> 61 != 0 ||
	    (uint64_t)add_len >> 61 != 0 || (mode != AESGCM_ENCRYPT && mode != AESGCM_DECRYPT))
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	g->mode = mode;
	g->partial = 0;
	g->len = 0;
	g->add_len = add_len;
	memset(g->x, 0, sizeof(g->x));
	if (iv_len == 12) {
		memcpy(g->ctr, iv, 12);
		memset(g->ctr + 12, 0, 3);
		g->ctr[15] = 1;
	} else {
		memset(lenblk, 0, 8);
		aesgcm_put64(lenblk + 8, (uint64_t)iv_len * 8);
		aesgcm_ghash(g, iv, iv_len);
		aesgcm_ghash(g, lenblk, 16);
		memcpy(g->ctr, g->x, 16);
		memset(g->x, 0, sizeof(g->x));
	}
	if (aesgcm_ecb(g, g->ctr, g->ek0))
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	aesgcm_inc32(g->ctr);
	if (add_len)
		aesgcm_ghash(g, add, add_len);
	return 0;
}

int aesgcm_update(struct aesgcm *g, size_t len, const uint8_t *in, uint8_t *out)
{
	uint8_t ks[16], blk[16];
	size_t whole, i, j;

	if (len == 0)
		return 0;
	if (g->partial || (out > in && (size_t)(out - in) < len) ||
	    g->len + len < g->len || g->len + len > 0xFFFFFFFE0ULL)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	g->len += len;
	whole = len / 16;
	if (g->ni) {
		i = g->ni == 2 ? aesgcm_wide_blocks(g, in, out, whole) : 0;
		aesgcm_ni_blocks(g, in + 16 * i, out + 16 * i, whole - i);
	} else {
		for (i = 0; i < whole; i++) {
			if (aesgcm_ecb(g, g->ctr, ks))
				return MBEDTLS_ERR_GCM_BAD_INPUT;
			aesgcm_inc32(g->ctr);
			for (j = 0; j < 16; j++) {
				uint8_t c = g->mode == AESGCM_DECRYPT ? in[16 * i + j] :
					(uint8_t)(in[16 * i + j] ^ ks[j]);

				out[16 * i + j] = (uint8_t)(in[16 * i + j] ^ ks[j]);
				g->x[j] ^= c;
			}
			aesgcm_mul_slow(g, g->x);
		}
	}
	if (len % 16) {
		size_t n = len % 16;

		if (aesgcm_ecb(g, g->ctr, ks))
			return MBEDTLS_ERR_GCM_BAD_INPUT;
		aesgcm_inc32(g->ctr);
		memset(blk, 0, sizeof(blk));
		for (j = 0; j < n; j++) {
			uint8_t v = in[16 * whole + j];

			out[16 * whole + j] = (uint8_t)(v ^ ks[j]);
			blk[j] = g->mode == AESGCM_DECRYPT ? v : (uint8_t)(v ^ ks[j]);
		}
		aesgcm_ghash(g, blk, 16);
		g->partial = 1;
		explicit_bzero(ks, sizeof(ks));
	}
	return 0;
}

int aesgcm_finish(struct aesgcm *g, uint8_t *tag, size_t tag_len)
{
	uint8_t lenblk[16];
	size_t i;

	if (tag_len > 16 || tag_len < 4)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	aesgcm_put64(lenblk, g->add_len * 8);
	aesgcm_put64(lenblk + 8, g->len * 8);
	aesgcm_ghash(g, lenblk, 16);
	for (i = 0; i < tag_len; i++)
		tag[i] = g->x[i] ^ g->ek0[i];
	return 0;
}

int aesgcm_crypt_and_tag(struct aesgcm *g, int mode, size_t len,
			 const uint8_t *iv, size_t iv_len, const uint8_t *add,
			 size_t add_len, const uint8_t *in, uint8_t *out,
			 size_t tag_len, uint8_t *tag)
{
	int rc = aesgcm_starts(g, mode, iv, iv_len, add, add_len);

	if (rc == 0)
		rc = aesgcm_update(g, len, in, out);
	if (rc == 0)
		rc = aesgcm_finish(g, tag, tag_len);
	return rc;
}

int aesgcm_auth_decrypt(struct aesgcm *g, size_t len, const uint8_t *iv,
			size_t iv_len, const uint8_t *add, size_t add_len,
			const uint8_t *tag, size_t tag_len, const uint8_t *in,
			uint8_t *out)
{
	uint8_t check[16];
	unsigned diff = 0;
	size_t i;
	int rc;

	rc = aesgcm_crypt_and_tag(g, AESGCM_DECRYPT, len, iv, iv_len, add, add_len,
				  in, out, tag_len, check);
	if (rc)
		return rc;
	for (i = 0; i < tag_len; i++)
		diff |= tag[i] ^ check[i];
	explicit_bzero(check, sizeof(check));
	if (diff) {
		explicit_bzero(out, len);
		return MBEDTLS_ERR_GCM_AUTH_FAILED;
	}
	return 0;
}

void aesgcm_free(struct aesgcm *g)
{
	mbedtls_aes_free(&g->aes);
	explicit_bzero(g, sizeof(*g));
	mbedtls_aes_init(&g->aes);
}

#ifdef MBEDTLS_GCM_ALT
/* ------------------------------------------------------ mbedTLS's names
 * The GCM that mbedTLS's cipher and TLS layers call (MBEDTLS_GCM_ALT in
 * stage2/mbedtls_config.h, the context in net/gcm_alt.h). */
void mbedtls_gcm_init(mbedtls_gcm_context *ctx)
{
	aesgcm_init(&ctx->g);
}

int mbedtls_gcm_setkey(mbedtls_gcm_context *ctx, mbedtls_cipher_id_t cipher,
		       const unsigned char *key, unsigned int keybits)
{
	if (cipher != MBEDTLS_CIPHER_ID_AES)
		return MBEDTLS_ERR_GCM_BAD_INPUT;
	return aesgcm_setkey(&ctx->g, key, keybits, -1);
}

int mbedtls_gcm_crypt_and_tag(mbedtls_gcm_context *ctx, int mode, size_t length,
			      const unsigned char *iv, size_t iv_len,
			      const unsigned char *add, size_t add_len,
			      const unsigned char *input, unsigned char *output,
			      size_t tag_len, unsigned char *tag)
{
	return aesgcm_crypt_and_tag(&ctx->g, mode, length, iv, iv_len, add, add_len,
				    input, output, tag_len, tag);
}

int mbedtls_gcm_auth_decrypt(mbedtls_gcm_context *ctx, size_t length,
			     const unsigned char *iv, size_t iv_len,
			     const unsigned char *add, size_t add_len,
			     const unsigned char *tag, size_t tag_len,
			     const unsigned char *input, unsigned char *output)
{
	return aesgcm_auth_decrypt(&ctx->g, length, iv, iv_len, add, add_len,
				   tag, tag_len, input, output);
}

int mbedtls_gcm_starts(mbedtls_gcm_context *ctx, int mode, const unsigned char *iv,
		       size_t iv_len, const unsigned char *add, size_t add_len)
{
	return aesgcm_starts(&ctx->g, mode, iv, iv_len, add, add_len);
}

int mbedtls_gcm_update(mbedtls_gcm_context *ctx, size_t length,
		       const unsigned char *input, unsigned char *output)
{
	return aesgcm_update(&ctx->g, length, input, output);
}

int mbedtls_gcm_finish(mbedtls_gcm_context *ctx, unsigned char *tag, size_t tag_len)
{
	return aesgcm_finish(&ctx->g, tag, tag_len);
}

void mbedtls_gcm_free(mbedtls_gcm_context *ctx)
{
	aesgcm_free(&ctx->g);
}
#endif
