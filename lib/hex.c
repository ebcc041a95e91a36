/* hex: lowercase hex encoding and strict decoding (see hex.h).
 *
 * Guarantees: hex_encode always writes exactly 2*n digits and a NUL;
 * hex_decode accepts exactly 2*outlen lowercase digits and never writes
 * past out[outlen); hex_check accepts exactly what hex_decode accepts. */
#include <string.h>

#include "lib/err.h"
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
	return -EPX_E_HEX;
}

int hex_nibble_ci(char c)
{
	return hex_nibble(c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c);
}

int hex_check(const char *s, size_t slen, size_t ndigits)
{
	size_t i;

	if (!s || slen != ndigits)
		return -EPX_E_HEX;
	for (i = 0; i < slen; i++)
		if (hex_nibble(s[i]) < 0)
			return -EPX_E_HEX;
	return 0;
}

int hex_check_str(const char *s, size_t ndigits)
{
	/* reads at most ndigits + 1 bytes: a longer string is refused unread */
	return hex_check(s, s && ndigits < (size_t)-1 ? strnlen(s, ndigits + 1) : 0, ndigits);
}

int hex_decode(const char *s, size_t slen, uint8_t *out, size_t outlen)
{
	size_t i;
	int hi, lo;

	if (outlen > ((size_t)-1) / 2 || slen != 2 * outlen)
		return -EPX_E_HEX;
	for (i = 0; i < outlen; i++) {
		hi = hex_nibble(s[2 * i]);
		lo = hex_nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EPX_E_HEX;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
