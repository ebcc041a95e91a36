/* pct: percent-encoding with one safe set (see pct.h). */
#include <stdint.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/pct.h"

int pct_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

size_t pct_encoded_len(const char *in, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += pct_unreserved((unsigned char)in[i]) ? 1 : 3;
	return len;
}

int pct_encode(const char *in, size_t n, char *out, size_t cap, size_t *outlen)
{
	static const char hexu[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (cap == 0)
		return -EPX_E_CODEC_SPACE;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		size_t w = pct_unreserved(c) ? 1 : 3;

		if (cap - o <= w) {
			out[o] = '\0';
			return -EPX_E_CODEC_SPACE;
		}
		if (w == 1) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '%';
		out[o++] = hexu[c >> 4];
		out[o++] = hexu[c & 15];
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return 0;
}

/* One decoded byte at in[*i] (advancing *i past an escape), or -EPX_E_PCT. */
static int pct_byte(const char *in, size_t n, size_t *i, unsigned flags)
{
	unsigned char c = (unsigned char)in[*i];
	int hi, lo;

	if (c < 0x20 || c == 0x7f)
		return -EPX_E_PCT;
	if (c == '+' && (flags & PCT_PLUS))
		return ' ';
	if (c != '%')
		return c;
	if (n - *i < 3)
		return -EPX_E_PCT;
	hi = hex_nibble_ci(in[*i + 1]);
	lo = hex_nibble_ci(in[*i + 2]);
	if (hi < 0 || lo < 0 || (hi | lo) == 0)
		return -EPX_E_PCT;
	*i += 2;
	return hi << 4 | lo;
}

int pct_decode(const char *in, size_t n, char *out, size_t cap, size_t *outlen,
	       unsigned flags)
{
	size_t i, o = 0;
	int c;

	if (cap == 0)
		return -EPX_E_CODEC_SPACE;
	for (i = 0; i < n; i++) {
		c = pct_byte(in, n, &i, flags);
		if (c < 0 || o + 1 >= cap) {
			out[o < cap ? o : cap - 1] = '\0';
			return c < 0 ? c : -EPX_E_CODEC_SPACE;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return 0;
}
