/* Table test of hex: exact lengths, lowercase only, and a
 * strict decimal parser (lib/num) used by every signed document. */
#include <errno.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/num.h"
#include "tests/test.h"

static const struct {
	const char *in;
	size_t outlen;
	int rc;
	const char *canon;      /* re-encoded, when rc == 0 */
} dec[] = {
	{ "", 0, 0, "" },
	{ "00", 1, 0, "00" },
	{ "ff", 1, 0, "ff" },
	{ "FF", 1, 0, "ff" },
	{ "aB", 1, 0, "ab" },
	{ "0123456789abcdef", 8, 0, "0123456789abcdef" },
	{ "0", 1, -EPX_E_HEX, NULL },
	{ "000", 1, -EPX_E_HEX, NULL },
	{ "0000", 1, -EPX_E_HEX, NULL },
	{ "00", 2, -EPX_E_HEX, NULL },
	{ "g0", 1, -EPX_E_HEX, NULL },
	{ "0g", 1, -EPX_E_HEX, NULL },
	{ " 0", 1, -EPX_E_HEX, NULL },
	{ "0 ", 1, -EPX_E_HEX, NULL },
	{ "-1", 1, -EPX_E_HEX, NULL },
	{ "0x", 1, -EPX_E_HEX, NULL },
	{ "\xff\xff", 1, -EPX_E_HEX, NULL },
	{ "@@", 1, -EPX_E_HEX, NULL },
	{ "``", 1, -EPX_E_HEX, NULL },
	{ "//", 1, -EPX_E_HEX, NULL },
	{ "::", 1, -EPX_E_HEX, NULL },
	{ "GG", 1, -EPX_E_HEX, NULL },
};

static const struct {
	const char *in;
	uint64_t max;
	int rc;
	uint64_t val;
} num[] = {
	{ "0", 10, 0, 0 },
	{ "7", 10, 0, 7 },
	{ "10", 10, 0, 10 },
	{ "11", 10, -EPX_E_NUM_RANGE, 0 },
	{ "4294967295", 4294967295u, 0, 4294967295u },
	{ "4294967296", 4294967295u, -EPX_E_NUM_RANGE, 0 },
	{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, -EPX_E_NUM_RANGE, 0 },
	{ "99999999999999999999", UINT64_MAX, -EPX_E_NUM_RANGE, 0 },
	{ "123456789012345678901", UINT64_MAX, -EPX_E_NUM_RANGE, 0 },
	{ "5", 0, -EPX_E_NUM_RANGE, 0 },
	{ "0", 0, 0, 0 },
	{ "", 10, -EPX_E_NUM_SYNTAX, 0 },
	{ "01", 10, -EPX_E_NUM_SYNTAX, 0 },
	{ "00", 10, -EPX_E_NUM_SYNTAX, 0 },
	{ "-1", 10, -EPX_E_NUM_SYNTAX, 0 },
	{ "+1", 10, -EPX_E_NUM_SYNTAX, 0 },
	{ " 1", 10, -EPX_E_NUM_SYNTAX, 0 },
	{ "1 ", 10, -EPX_E_NUM_SYNTAX, 0 },
	{ "1a", 10, -EPX_E_NUM_SYNTAX, 0 },
	{ "0x1", 10, -EPX_E_NUM_SYNTAX, 0 },
	{ "1e3", 10000, -EPX_E_NUM_SYNTAX, 0 },
	{ "1.0", 10, -EPX_E_NUM_SYNTAX, 0 },
};

int main(void)
{
	uint8_t buf[64];
	char out[129];
	uint64_t v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(dec) / sizeof(dec[0]); i++) {
		rc = hex_decode(dec[i].in, strlen(dec[i].in), buf, dec[i].outlen);
		ok(rc == dec[i].rc, "hex_decode \"%s\" into %zu bytes: %d", dec[i].in, dec[i].outlen, rc);
		if (rc == 0) {
			hex_encode(buf, dec[i].outlen, out);
			ok(strcmp(out, dec[i].canon) == 0, "hex_encode round trip of \"%s\" is \"%s\"", dec[i].in, out);
		}
	}
	for (i = 0; i < 256; i++)
		buf[i % 64] = (uint8_t)i;
	hex_encode(buf, 64, out);
	ok(strlen(out) == 128 && out[128] == '\0', "hex_encode writes 2n digits and a NUL");
	memset(buf, 0xaa, sizeof(buf));
	ok(hex_decode("0102", 4, buf, 2) == 0 && buf[0] == 1 && buf[1] == 2 && buf[2] == 0xaa,
	   "hex_decode writes nothing past outlen");
	for (i = 0; i < sizeof(num) / sizeof(num[0]); i++) {
		v = 12345;
		rc = num_parse_u64(num[i].in, strlen(num[i].in), num[i].max, &v);
		ok(rc == num[i].rc && (rc < 0 || v == num[i].val),
		   "num_parse_u64 \"%s\" max %llu: %d", num[i].in, (unsigned long long)num[i].max, rc);
	}
	return test_done();
}
