/* hex: lowercase hex encoding and strict decoding.
 *
 * Guarantees: hex_encode always writes exactly 2*n digits and a NUL;
 * hex_decode accepts exactly 2*outlen digits, nothing more or less, and
 * never writes past out[outlen).  On failure out may be partly written. */
#include <errno.h>

#include "lib/hex.h"

static const char hex_digits[] = "0123456789abcdef";

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *s, size_t slen, uint8_t *out, size_t outlen)
{
	size_t i;
	int hi, lo;

	if (outlen > ((size_t)-1) / 2 || slen != 2 * outlen)
		return -EINVAL;
	for (i = 0; i < outlen; i++) {
		hi = hex_nibble(s[2 * i]);
		lo = hex_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
