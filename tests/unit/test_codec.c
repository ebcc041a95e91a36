/* Table test of the wire codec of lib/: numbers (num), lowercase hex (hex),
 * names (label), percent-encoding (pct), forms (form) and prefixed text
 * lines (line).  Each parser
 * gets its valid spellings and many malformed ones; each encoder a round
 * trip through its decoder. */
#include <stdint.h>
#include <string.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/line.h"
#include "lib/num.h"
#include "lib/pct.h"
#include "tests/test.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SYN (-EPX_E_NUM_SYNTAX)
#define RNG (-EPX_E_NUM_RANGE)
#define HEX (-EPX_E_HEX)
#define LBL (-EPX_E_LABEL)
#define LONG (-EPX_E_LABEL_LONG)
#define PCT (-EPX_E_PCT)
#define SPC (-EPX_E_CODEC_SPACE)
#define FRM (-EPX_E_FORM)
#define BIG (-EPX_E_FORM_TOOBIG)
#define LIN (-EPX_E_LINE)

static const struct {
	const char *in;
	uint64_t max;
	int rc;
	uint64_t val;
} u64s[] = {
	{ "0", 10, 0, 0 },
	{ "7", 10, 0, 7 },
	{ "10", 10, 0, 10 },
	{ "11", 10, RNG, 0 },
	{ "4294967295", 4294967295u, 0, 4294967295u },
	{ "4294967296", 4294967295u, RNG, 0 },
	{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, RNG, 0 },
	{ "99999999999999999999", UINT64_MAX, RNG, 0 },
	{ "123456789012345678901", UINT64_MAX, RNG, 0 },
	{ "5", 0, RNG, 0 },
	{ "0", 0, 0, 0 },
	{ "", 10, SYN, 0 },
	{ "01", 10, SYN, 0 },
	{ "00", 10, SYN, 0 },
	{ "007", 1000, SYN, 0 },
	{ "-1", 10, SYN, 0 },
	{ "-0", 10, SYN, 0 },
	{ "+1", 10, SYN, 0 },
	{ "+5", 10, SYN, 0 },
	{ " 1", 10, SYN, 0 },
	{ "1 ", 10, SYN, 0 },
	{ "\t1", 10, SYN, 0 },
	{ "1\n", 10, SYN, 0 },
	{ "1a", 10, SYN, 0 },
	{ "a1", 10, SYN, 0 },
	{ "0x1", 10, SYN, 0 },
	{ "1e3", 10000, SYN, 0 },
	{ "1.0", 10, SYN, 0 },
	{ "1,000", 10000, SYN, 0 },
	{ "1_000", 10000, SYN, 0 },
	{ "\xd9\xa1", 10, SYN, 0 },     /* ARABIC-INDIC DIGIT ONE */
	{ "１", 10, SYN, 0 },            /* FULLWIDTH DIGIT ONE */
};

static const struct {
	const char *in;
	int64_t min, max;
	int rc;
	int64_t val;
} i64s[] = {
	{ "0", -5, 5, 0, 0 },
	{ "-5", -5, 5, 0, -5 },
	{ "-6", -5, 5, RNG, 0 },
	{ "5", -5, 5, 0, 5 },
	{ "6", -5, 5, RNG, 0 },
	{ "-0", -5, 5, SYN, 0 },
	{ "-", -5, 5, SYN, 0 },
	{ "--1", -5, 5, SYN, 0 },
	{ "-01", -5, 5, SYN, 0 },
	{ "+1", -5, 5, SYN, 0 },
	{ "1", 2, 5, RNG, 0 },
	{ "-3", -10, -5, RNG, 0 },
	{ "-7", -10, -5, 0, -7 },
	{ "-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN },
	{ "-9223372036854775809", INT64_MIN, INT64_MAX, RNG, 0 },
	{ "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX },
	{ "9223372036854775808", INT64_MIN, INT64_MAX, RNG, 0 },
	{ "-1", 0, 5, RNG, 0 },
	{ "1", 5, 2, RNG, 0 },
};

static const struct {
	const char *in;
	size_t outlen;
	int rc;
} hexs[] = {
	{ "", 0, 0 },
	{ "00", 1, 0 },
	{ "ff", 1, 0 },
	{ "0123456789abcdef", 8, 0 },
	{ "FF", 1, HEX },
	{ "aB", 1, HEX },
	{ "Ab", 1, HEX },
	{ "0123456789ABCDEF", 8, HEX },
	{ "0", 1, HEX },
	{ "000", 1, HEX },
	{ "0000", 1, HEX },
	{ "00", 2, HEX },
	{ "g0", 1, HEX },
	{ "0g", 1, HEX },
	{ " 0", 1, HEX },
	{ "0 ", 1, HEX },
	{ "-1", 1, HEX },
	{ "0x", 1, HEX },
	{ "\xff\xff", 1, HEX },
	{ "@@", 1, HEX },
	{ "``", 1, HEX },
	{ "//", 1, HEX },
	{ "::", 1, HEX },
	{ "GG", 1, HEX },
};

static const struct {
	enum label_class c;
	const char *in;
	int rc;
} labels[] = {
	{ LABEL_HOST, "node1", 0 },
	{ LABEL_HOST, "node-1.rack2.example", 0 },
	{ LABEL_HOST, "0", 0 },
	{ LABEL_HOST, "a23456789012345678901234567890123456789012345678901234567890123", 0 },
	{ LABEL_HOST, "a234567890123456789012345678901234567890123456789012345678901234", LBL },
	{ LABEL_HOST, "a2345678901234567890123456789012.a2345678901234567890123456789012", LONG },
	{ LABEL_HOST, "", LBL },
	{ LABEL_HOST, "Node1", LBL },
	{ LABEL_HOST, "node_1", LBL },
	{ LABEL_HOST, "-node", LBL },
	{ LABEL_HOST, "node-", LBL },
	{ LABEL_HOST, "a.-b", LBL },
	{ LABEL_HOST, "a-.b", LBL },
	{ LABEL_HOST, ".node", LBL },
	{ LABEL_HOST, "node.", LBL },
	{ LABEL_HOST, "a..b", LBL },
	{ LABEL_HOST, "no de", LBL },
	{ LABEL_HOST, "node\n", LBL },
	{ LABEL_HOST, "n\xc3\xb6" "de", LBL },
	{ LABEL_HOST, "node/..", LBL },
	{ LABEL_DNS, "epoxy.example.org", 0 },
	{ LABEL_DNS, "a2345678901234567890123456789012.a2345678901234567890123456789012", 0 },
	{ LABEL_DNS, "Epoxy.example.org", LBL },
	{ LABEL_DNS, "epoxy..org", LBL },
	{ LABEL_TAG, "x86_64-v2", 0 },
	{ LABEL_TAG, "rack.2", 0 },
	{ LABEL_TAG, ".", 0 },
	{ LABEL_TAG, "a234567890123456789012345678901234567890123456789012345678901234", 0 },
	{ LABEL_TAG, "a2345678901234567890123456789012345678901234567890123456789012345", LONG },
	{ LABEL_TAG, "", LBL },
	{ LABEL_TAG, "Rack", LBL },
	{ LABEL_TAG, "rack 2", LBL },
	{ LABEL_TAG, "rack/2", LBL },
	{ LABEL_TAG, "rack,2", LBL },
	{ LABEL_WORD, "2", 0 },
	{ LABEL_WORD, "stage-1", 0 },
	{ LABEL_WORD, "a23456789012345", 0 },
	{ LABEL_WORD, "a234567890123456", LONG },
	{ LABEL_WORD, "stage_1", LBL },
	{ LABEL_WORD, "stage.1", LBL },
	{ LABEL_KEY, "next_token", 0 },
	{ LABEL_KEY, "a-b", 0 },
	{ LABEL_KEY, "a2345678901234567890123456789012", 0 },
	{ LABEL_KEY, "a23456789012345678901234567890123", LONG },
	{ LABEL_KEY, "Key", LBL },
	{ LABEL_KEY, "k%65y", LBL },
	{ LABEL_KEY, "k.y", LBL },
	{ LABEL_KEY, "k=y", LBL },
	{ LABEL_FIELD, "x-ext", 0 },
	{ LABEL_FIELD, "version", 0 },
	{ LABEL_FIELD, "9x", LBL },
	{ LABEL_FIELD, "-x", LBL },
	{ LABEL_FIELD, "x_y", LBL },
	{ LABEL_FIELD, "", LBL },
	{ LABEL_ACTOR, "admin:alice@site/x", 0 },
	{ LABEL_ACTOR, "epoxyd", 0 },
	{ LABEL_ACTOR, "a b", LBL },
	{ LABEL_ACTOR, "a%b", LBL },
	{ LABEL_ACTOR, "a234567890123456789012345678901234567890123456789012345678901234", 0 },
	{ LABEL_ACTOR, "a2345678901234567890123456789012345678901234567890123456789012345", LONG },
	{ LABEL_ADDR, "10.0.2.15", 0 },
	{ LABEL_ADDR, "10.0.2.0/24", 0 },
	{ LABEL_ADDR, "fd00::1", 0 },
	{ LABEL_ADDR, "FD00:ABCD::/64", 0 },
	{ LABEL_ADDR, "::", 0 },
	{ LABEL_ADDR, "1", LBL },               /* store and admin API: at least 2 */
	{ LABEL_ADDR, "", LBL },
	{ LABEL_ADDR, "fe80::1%eth0", LBL },    /* no zone */
	{ LABEL_ADDR, "10.0.2.g", LBL },        /* hex letters only */
	{ LABEL_ADDR, "10.0.2.15 ", LBL },
	{ LABEL_ADDR, "10.0.2.15,10.0.2.16", LBL },
	{ LABEL_ADDR, "host.example", LBL },
	{ LABEL_ADDR, "-1", LBL },
	{ LABEL_ADDR, "123456789012345678901234567890123456789012345678", 0 },
	{ LABEL_ADDR, "1234567890123456789012345678901234567890123456789", LONG },
};

static const struct {
	const char *in, *out;
	unsigned flags;
	int rc;
} pcts[] = {
	{ "", "", 0, 0 },
	{ "abc", "abc", 0, 0 },
	{ "a%20b", "a b", 0, 0 },
	{ "a%2fb", "a/b", 0, 0 },
	{ "a%2Fb", "a/b", 0, 0 },
	{ "a+b", "a+b", 0, 0 },
	{ "a+b", "a b", PCT_PLUS, 0 },
	{ "%2B", "+", PCT_PLUS, 0 },
	{ "%0A", "\n", 0, 0 },
	{ "%FF", "\xff", 0, 0 },
	{ "a/b:c", "a/b:c", 0, 0 },
	{ "%", NULL, 0, PCT },
	{ "%4", NULL, 0, PCT },
	{ "a%", NULL, 0, PCT },
	{ "%zz", NULL, 0, PCT },
	{ "%4g", NULL, 0, PCT },
	{ "%g4", NULL, 0, PCT },
	{ "% 4", NULL, 0, PCT },
	{ "%+4", NULL, 0, PCT },
	{ "%-1", NULL, 0, PCT },
	{ "%00", NULL, 0, PCT },
	{ "a%00b", NULL, 0, PCT },
	{ "/admin%00/x", NULL, 0, PCT },
	{ "a\nb", NULL, 0, PCT },
	{ "a\rb", NULL, 0, PCT },
	{ "a\tb", NULL, 0, PCT },
	{ "a\x7f", NULL, 0, PCT },
	{ "a\x01", NULL, 0, PCT },
};

static const struct {
	const char *in;
	size_t max_fields, val_max;
	int rc;
	size_t n;
	const char *k0, *v0;
} forms[] = {
	{ "", 8, 64, 0, 0, NULL, NULL },
	{ "a=1", 8, 64, 0, 1, "a", "1" },
	{ "a=", 8, 64, 0, 1, "a", "" },
	{ "a=1&b=2", 8, 64, 0, 2, "a", "1" },
	{ "tail=a+b%0Ac", 8, 64, 0, 1, "tail", "a b\nc" },
	{ "a=x%3Dy%26z", 8, 64, 0, 1, "a", "x=y&z" },
	{ "a=1=2", 8, 64, 0, 1, "a", "1=2" },
	{ "a=1&b=2&c=3", 2, 64, BIG, 0, NULL, NULL },
	{ "a=12345", 8, 4, BIG, 0, NULL, NULL },
	{ "a=%31%32%33%34", 8, 4, 0, 1, "a", "1234" },
	{ "a", 8, 64, FRM, 0, NULL, NULL },
	{ "=1", 8, 64, FRM, 0, NULL, NULL },
	{ "a=1&", 8, 64, FRM, 0, NULL, NULL },
	{ "&a=1", 8, 64, FRM, 0, NULL, NULL },
	{ "a=1&&b=2", 8, 64, FRM, 0, NULL, NULL },
	{ "a=1&a=2", 8, 64, FRM, 0, NULL, NULL },
	{ "A=1", 8, 64, FRM, 0, NULL, NULL },
	{ "a%62=1", 8, 64, FRM, 0, NULL, NULL },
	{ "a b=1", 8, 64, FRM, 0, NULL, NULL },
	{ "a+b=1", 8, 64, FRM, 0, NULL, NULL },
	{ "a=%00", 8, 64, FRM, 0, NULL, NULL },
	{ "a=%0", 8, 64, FRM, 0, NULL, NULL },
	{ "a=%zz", 8, 64, FRM, 0, NULL, NULL },
	{ "a=1\nb=2", 8, 64, FRM, 0, NULL, NULL },
	{ "a=1\r", 8, 64, FRM, 0, NULL, NULL },
	{ "a23456789012345678901234567890123=1", 8, 64, FRM, 0, NULL, NULL },
};

static void test_nums(void)
{
	uint64_t v;
	uint32_t w;
	int64_t s;
	size_t i;
	int rc;

	for (i = 0; i < N(u64s); i++) {
		v = 12345;
		rc = num_parse_u64(u64s[i].in, strlen(u64s[i].in), u64s[i].max, &v);
		ok(rc == u64s[i].rc && (rc < 0 ? v == 12345 : v == u64s[i].val),
		   "num_parse_u64 \"%s\" max %llu: %d", u64s[i].in,
		   (unsigned long long)u64s[i].max, rc);
		rc = num_str_u64(u64s[i].in, u64s[i].max, &v);
		ok(rc == u64s[i].rc, "num_str_u64 \"%s\" agrees: %d", u64s[i].in, rc);
	}
	for (i = 0; i < N(i64s); i++) {
		s = 12345;
		rc = num_parse_i64(i64s[i].in, strlen(i64s[i].in), i64s[i].min, i64s[i].max, &s);
		ok(rc == i64s[i].rc && (rc < 0 ? s == 12345 : s == i64s[i].val),
		   "num_parse_i64 \"%s\" in [%lld, %lld]: %d", i64s[i].in,
		   (long long)i64s[i].min, (long long)i64s[i].max, rc);
	}
	ok(num_parse_u32("4294967295", 10, UINT32_MAX, &w) == 0 && w == UINT32_MAX,
	   "num_parse_u32 takes UINT32_MAX");
	ok(num_parse_u32("4294967296", 10, UINT32_MAX, &w) == RNG, "num_parse_u32 refuses 2^32");
	ok(num_str_u32(NULL, 10, &w) == SYN, "num_str_u32 refuses NULL");
	ok(num_parse_u64("12", 1, 100, &v) == 0 && v == 1, "num_parse_u64 reads only n bytes");
}

static void test_hex(void)
{
	uint8_t buf[64];
	char out[129];
	size_t i;
	int rc;

	for (i = 0; i < N(hexs); i++) {
		size_t n = strlen(hexs[i].in);

		rc = hex_decode(hexs[i].in, n, buf, hexs[i].outlen);
		ok(rc == hexs[i].rc, "hex_decode \"%s\" into %zu bytes: %d", hexs[i].in,
		   hexs[i].outlen, rc);
		ok(hex_check(hexs[i].in, n, 2 * hexs[i].outlen) == rc,
		   "hex_check \"%s\" agrees with hex_decode", hexs[i].in);
		ok(hex_check_str(hexs[i].in, 2 * hexs[i].outlen) == rc,
		   "hex_check_str \"%s\" agrees with hex_decode", hexs[i].in);
		if (rc == 0) {
			hex_encode(buf, hexs[i].outlen, out);
			ok(strcmp(out, hexs[i].in) == 0, "hex round trip of \"%s\"", hexs[i].in);
		}
	}
	for (i = 0; i < 64; i++)
		buf[i] = (uint8_t)(i * 37);
	hex_encode(buf, 64, out);
	ok(strlen(out) == 128 && strspn(out, "0123456789abcdef") == 128,
	   "hex_encode writes 2n lowercase digits and a NUL");
	memset(buf, 0xaa, sizeof(buf));
	ok(hex_decode("0102", 4, buf, 2) == 0 && buf[0] == 1 && buf[1] == 2 && buf[2] == 0xaa,
	   "hex_decode writes nothing past outlen");
	ok(hex_check_str(NULL, 0) == HEX, "hex_check_str refuses NULL");
	ok(hex_check_str("abcd0", 4) == HEX, "hex_check_str refuses a longer string");
	ok(hex_nibble('A') == HEX && hex_nibble_ci('A') == 10 && hex_nibble_ci('f') == 15 &&
	   hex_nibble_ci('g') == HEX && hex_nibble_ci('G') == HEX, "nibbles: _ci alone takes upper case");
}

static void test_labels(void)
{
	size_t i;
	int rc;

	for (i = 0; i < N(labels); i++) {
		rc = label_check(labels[i].c, labels[i].in, strlen(labels[i].in));
		ok(rc == labels[i].rc, "label_check class %d \"%s\": %d", (int)labels[i].c,
		   labels[i].in, rc);
		ok(label_check_str(labels[i].c, labels[i].in) == rc,
		   "label_check_str agrees on \"%s\"", labels[i].in);
	}
	ok(label_check(LABEL_HOST, "a\0b", 3) == LBL, "label_check refuses an inner NUL");
	ok(label_check_str(LABEL_TAG, NULL) == LBL, "label_check_str refuses NULL");
	ok(label_check((enum label_class)99, "a", 1) == LBL, "label_check refuses an unknown class");
}

static void test_pct(void)
{
	char out[256], enc[256], all[256];
	size_t i, n;
	int rc;

	for (i = 0; i < N(pcts); i++) {
		n = 99;
		rc = pct_decode(pcts[i].in, strlen(pcts[i].in), out, sizeof(out), &n, pcts[i].flags);
		ok(rc == pcts[i].rc && (rc < 0 || (n == strlen(pcts[i].out) && !strcmp(out, pcts[i].out))),
		   "pct_decode \"%s\" flags %u: %d", pcts[i].in, pcts[i].flags, rc);
	}
	for (i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	ok(pct_encode(all, 255, enc, sizeof(enc), &n) == SPC, "pct_encode refuses a short buffer");
	{
		char big[3 * 255 + 1];

		ok(pct_encoded_len(all, 255) == 3 * 255 - 2 * 66, "66 unreserved bytes pass through");
		ok(pct_encode(all, 255, big, sizeof(big), &n) == 0 && n == pct_encoded_len(all, 255) &&
		   strlen(big) == n, "pct_encode of every byte but NUL");
		ok(strspn(big, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%") == n,
		   "pct_encode writes unreserved bytes and escapes only");
		ok(pct_decode(big, n, big, n + 1, &n, 0) == 0 && n == 255 && !memcmp(big, all, 255),
		   "pct_decode(pct_encode(x)) == x, in place");
	}
	ok(pct_encode("a b", 3, enc, 4, &n) == SPC && enc[0] == 'a' && enc[1] == '\0',
	   "pct_encode stops before an escape that does not fit, NUL-terminated");
	ok(pct_encode("abc", 3, enc, 4, &n) == 0 && n == 3, "pct_encode fills cap - 1 exactly");
	ok(pct_decode("abcd", 4, out, 4, &n, 0) == SPC, "pct_decode refuses a short buffer");
	ok(pct_encode("~", 1, enc, sizeof(enc), &n) == 0 && !strcmp(enc, "~") &&
	   pct_encode("\xe9", 1, enc, sizeof(enc), &n) == 0 && !strcmp(enc, "%E9"),
	   "pct_encode: '~' as is, 8-bit bytes escaped whatever the locale");
}

static void test_forms(void)
{
	char buf[256], out[64];
	struct form f;
	size_t i, len;
	int rc;

	for (i = 0; i < N(forms); i++) {
		snprintf(buf, sizeof(buf), "%s", forms[i].in);
		rc = form_parse(&f, buf, strlen(forms[i].in), forms[i].max_fields, forms[i].val_max);
		ok(rc == forms[i].rc && (rc < 0 || (f.n == forms[i].n &&
		   (f.n == 0 || (!strcmp(f.key[0], forms[i].k0) && !strcmp(f.val[0], forms[i].v0))))),
		   "form_parse \"%s\": %d", forms[i].in, rc);
	}
	memcpy(buf, "a=1\0b=2", 8);
	ok(form_parse(&f, buf, 7, 8, 64) == FRM, "form_parse refuses a raw NUL");
	len = 0;
	ok(form_put(out, sizeof(out), &len, "host", "node1", 5) == 0 &&
	   form_put(out, sizeof(out), &len, "tail", "a b&c=d\n", 8) == 0 &&
	   !strcmp(out, "host=node1&tail=a%20b%26c%3Dd%0A"), "form_put encodes values");
	snprintf(buf, sizeof(buf), "%s", out);
	ok(form_parse(&f, buf, len, 8, 64) == 0 && f.n == 2 && !strcmp(form_get(&f, "tail"), "a b&c=d\n") &&
	   f.len[1] == 8 && form_get(&f, "nope") == NULL, "form_parse(form_put(x)) == x");
	{
		static const char *const known[] = { "host", "tail" };

		ok(form_known(&f, known, 2) == 0 && form_known(&f, known, 1) == FRM,
		   "form_known refuses a field not listed");
	}
	len = 0;
	ok(form_put(out, 12, &len, "tail", "a b c", 5) == SPC && len == 0 && out[0] == '\0',
	   "form_put that does not fit leaves the buffer as it was");
	snprintf(buf, sizeof(buf), "a=1&b=2&c=3&d=4");
	ok(form_parse(&f, buf, strlen(buf), 100, 64) == 0 && f.n == 4,
	   "form_parse clamps max_fields to FORM_FIELDS_MAX");
}

static const struct {
	const char *in;         /* the text, from position at */
	size_t at;
	const char *prefix;
	long rc;                /* value length or LIN */
	const char *val;        /* the value on success */
} lines[] = {
	{ "host a1\nend\n", 0, "host ", 2, "a1" },
	{ "host a1\nend\n", 8, "end", 0, "" },
	{ "end\n", 0, "end", 0, "" },
	{ "epoxy-boot 1\n", 0, "epoxy-boot 1", 0, "" },
	{ "abc\n", 0, "", 3, "abc" },
	{ "host \n", 0, "host ", 0, "" },
	{ "host a1", 0, "host ", LIN, NULL },          /* no newline */
	{ "Host a1\n", 0, "host ", LIN, NULL },       /* prefix byte for byte */
	{ "hos", 0, "host ", LIN, NULL },              /* shorter than prefix */
	{ "", 0, "end", LIN, NULL },
	{ "", 0, "", LIN, NULL },
	{ "end\n", 5, "", LIN, NULL },                /* position past the end */
	{ "x\nend\n", 0, "end", LIN, NULL },         /* only the next line */
	{ "host a\0b\n", 0, "host ", LIN, NULL },     /* text is strlen'd: no \n */
};

static void test_lines(void)
{
	const char *v = NULL;
	size_t i, pos, len;
	long rc;

	for (i = 0; i < N(lines); i++) {
		len = strlen(lines[i].in);
		pos = lines[i].at;
		v = NULL;
		rc = line_take(lines[i].in, len, &pos, lines[i].prefix, &v);
		ok(rc == lines[i].rc, "line_take \"%s\"@%zu prefix \"%s\": %ld",
		   lines[i].in, lines[i].at, lines[i].prefix, rc);
		if (lines[i].rc >= 0)
			ok(rc >= 0 && v && memcmp(v, lines[i].val, (size_t)rc) == 0 &&
			   pos == lines[i].at + strlen(lines[i].prefix) + (size_t)rc + 1,
			   "line_take \"%s\": value and position", lines[i].in);
		else
			ok(pos == lines[i].at && v == NULL,
			   "line_take \"%s\": position and value untouched", lines[i].in);
	}
}

int main(void)
{
	test_nums();
	test_hex();
	test_labels();
	test_pct();
	test_forms();
	test_lines();
	return test_done();
}
