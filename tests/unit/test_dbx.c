/* Table test of lib/dbx: the shape of a dbx append update (time, PKCS#7
 * WIN_CERTIFICATE, EFI_CERT_SHA256 lists) with many malformed variants,
 * and the lookup of its hashes in a dbx variable of mixed list types. */
#include <string.h>

#include "lib/dbx.h"
#include "lib/err.h"
#include "tests/test.h"

static const uint8_t pkcs7_guid[16] = {
	0x9d, 0xd2, 0xaf, 0x4a, 0xdf, 0x68, 0xee, 0x49,
	0x8a, 0xa9, 0x34, 0x7d, 0x37, 0x56, 0x65, 0xa7
};
static const uint8_t sha256_guid[16] = {
	0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
	0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28
};
static const uint8_t x509_guid[16] = {
	0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
	0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72
};

static uint8_t buf[DBX_UPDATE_MAX + 64];

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* One list of n entries of size esize (type guid, header hdr) at p. */
static size_t esl(uint8_t *p, const uint8_t *guid, uint32_t hdr, uint32_t esize,
		  size_t n, uint8_t fill)
{
	size_t len = 28 + hdr + n * esize, i;

	memcpy(p, guid, 16);
	le32(p + 16, (uint32_t)len);
	le32(p + 20, hdr);
	le32(p + 24, esize);
	memset(p + 28, 0, hdr);
	for (i = 0; i < n; i++) {
		memset(p + 28 + hdr + i * esize, 0x42, 16);
		memset(p + 28 + hdr + i * esize + 16, fill + (uint8_t)i, esize - 16);
	}
	return len;
}

/* A valid update with n hashes (0x10, 0x11, ...) and a 100-byte signature. */
static size_t good(size_t n)
{
	size_t len;

	memset(buf, 0, sizeof(buf));
	buf[0] = 0xea;          /* 2026 */
	buf[1] = 0x07;
	buf[2] = 12;
	buf[3] = 4;
	buf[4] = 9;
	buf[5] = 30;
	buf[6] = 15;
	le32(buf + 16, 24 + 100);
	buf[20] = 0x00;
	buf[21] = 0x02;
	buf[22] = 0xf1;
	buf[23] = 0x0e;
	memcpy(buf + 24, pkcs7_guid, 16);
	memset(buf + 40, 0x30, 100);
	len = 140;
	return len + esl(buf + len, sha256_guid, 0, 48, n, 0x10);
}

static void parse_cases(void)
{
	struct dbx_update u;
	size_t len;

	len = good(1);
	ok(dbx_parse(&u, buf, len) == 0 && u.nhash == 1 && u.hash[0][0] == 0x10 &&
	   u.sig_len == 100 && u.data_off == 140, "one hash parses");
	len = good(3);
	len += esl(buf + len, sha256_guid, 0, 48, 2, 0x20);
	ok(dbx_parse(&u, buf, len) == 0 && u.nhash == 5 && u.hash[4][0] == 0x21,
	   "two lists, five hashes");
	memset(buf, 0, 7);
	ok(dbx_parse(&u, buf, len) == 0, "an all-zero timestamp (efitools' for appends)");
	len = good(DBX_HASHES_MAX);
	ok(dbx_parse(&u, buf, len) == 0 && u.nhash == DBX_HASHES_MAX, "the cap of hashes");
	len += esl(buf + len, sha256_guid, 0, 48, 1, 0x20);
	ok(dbx_parse(&u, buf, len) == -EPX_E_DBX_SYNTAX && u.nhash == 0, "one hash over the cap");
	ok(dbx_parse(&u, buf, DBX_UPDATE_MAX + 1) == -EPX_E_DBX_SYNTAX, "over the byte cap");
	ok(dbx_parse(&u, NULL, 0) == -EPX_E_DBX_SYNTAX, "NULL");
	len = good(1);
	ok(dbx_parse(&u, buf, 140) == -EPX_E_DBX_SYNTAX, "no signature list");
	ok(dbx_parse(&u, buf, 139) == -EPX_E_DBX_SYNTAX, "signature cut short");
	ok(dbx_parse(&u, buf, len - 1) == -EPX_E_DBX_SYNTAX, "list cut short");
	ok(dbx_parse(&u, buf, 39) == -EPX_E_DBX_SYNTAX, "shorter than time + WIN_CERTIFICATE");
}

static const struct {
	const char *name;
	size_t off;
	uint8_t val;
} flips[] = {
	{ "Pad1 set", 7, 1 }, { "Nanosecond set", 8, 1 }, { "TimeZone set", 12, 1 },
	{ "Nanosecond's last byte set", 11, 0x80 }, { "TimeZone's high byte set", 13, 1 },
	{ "Daylight set", 14, 1 }, { "Pad2 set", 15, 1 },
	{ "dwLength 24 (no signature)", 16, 24 }, { "dwLength past the end", 18, 1 },
	{ "wRevision 0x0100", 21, 0x01 }, { "certificate type PKCS_SIGNED_DATA", 22, 0x02 },
	{ "CertType not PKCS7", 24, 0x00 },
	{ "list type X509", 140, 0xa1 },
	{ "ListSize shorter than its entries", 156, 28 + 47 },
	{ "ListSize past the end", 157, 1 },
	{ "ListSize below the header", 156, 27 },
	{ "SignatureHeaderSize set", 160, 48 },
	{ "SignatureSize 32", 164, 32 },
	{ "SignatureSize 0", 164, 0 },
};

static void flip_cases(void)
{
	struct dbx_update u;
	size_t i, len;

	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		len = good(1);
		buf[flips[i].off] = flips[i].val;
		ok(dbx_parse(&u, buf, len) == -EPX_E_DBX_SYNTAX, "refused: %s", flips[i].name);
	}
	len = good(1);
	le32(buf + 156, 28);    /* ListSize of a list without entries */
	ok(dbx_parse(&u, buf, 140 + 28) == -EPX_E_DBX_SYNTAX, "refused: a list of no entries");
}

static void holds_cases(void)
{
	static uint8_t var[4096];
	struct dbx_update u;
	size_t len, vlen = 0;

	len = good(2);
	ok(dbx_parse(&u, buf, len) == 0, "holds: update parses");
	ok(dbx_holds(&u, var, 0) == 0, "an empty dbx holds nothing");
	vlen += esl(var + vlen, x509_guid, 0, 16 + 300, 1, 0x10);
	vlen += esl(var + vlen, sha256_guid, 0, 48, 1, 0x10);
	ok(dbx_holds(&u, var, vlen) == 0, "one of two hashes held: not all");
	vlen += esl(var + vlen, sha256_guid, 0, 48, 3, 0x0f);
	ok(dbx_holds(&u, var, vlen) == 1, "both held, behind an X509 list");
	ok(dbx_holds(&u, var, vlen - 1) == -EPX_E_DBX_SYNTAX, "a cut variable is malformed");
	ok(dbx_holds(&u, var, DBX_VAR_MAX + 1) == -EPX_E_DBX_SYNTAX, "over the variable cap");
	vlen = esl(var, x509_guid, 0, 48, 2, 0x10);
	ok(dbx_holds(&u, var, vlen) == 0, "the bytes under another list type do not count");
}

int main(void)
{
	parse_cases();
	flip_cases();
	holds_cases();
	return test_done();
}
