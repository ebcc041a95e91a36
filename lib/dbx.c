/* dbx: shape of a dbx append update and lookup in the dbx variable.
 *
 * Layout (UEFI 2.x, 8.2.2 and 32.4.1), little-endian:
 *   EFI_TIME            16  Pad1, Nanosecond, TimeZone, Daylight, Pad2 zero
 *   dwLength             4  WIN_CERTIFICATE from here, >= 24
 *   wRevision            2  0x0200
 *   wCertificateType     2  0x0ef1 (WIN_CERT_TYPE_EFI_GUID)
 *   CertType            16  EFI_CERT_TYPE_PKCS7_GUID
 *   CertData             dwLength - 24
 *   EFI_SIGNATURE_LIST...   type 16, ListSize 4, HeaderSize 4, SignatureSize 4,
 *                           header, then (ListSize - 28 - HeaderSize) /
 *                           SignatureSize entries: owner GUID 16 + data */
#include <string.h>

#include "lib/dbx.h"
#include "lib/err.h"

#define DBX_TIME_LEN 16
#define DBX_WINCERT_HDR 24
#define DBX_ESL_HDR 28
#define DBX_SHA256_ENTRY 48             /* owner GUID + SHA-256 */

static const uint8_t dbx_pkcs7_guid[16] = {
	0x9d, 0xd2, 0xaf, 0x4a, 0xdf, 0x68, 0xee, 0x49,
	0x8a, 0xa9, 0x34, 0x7d, 0x37, 0x56, 0x65, 0xa7
};
static const uint8_t dbx_sha256_guid[16] = {
	0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40,
	0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28
};

static uint32_t dbx_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t dbx_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* EFI_TIME of an authenticated write: the fields the specification wants
 * zero are zero (what the firmware checks; the date itself is compared
 * only for non-append writes, and efitools writes all zero for appends). */
static int dbx_time_ok(const uint8_t *t)
{
	static const uint8_t zero[9];

	return memcmp(t + 7, zero, sizeof(zero)) == 0;
}

/* One signature list at lists[*off..len): where its entries start, how many
 * there are and their size; advances *off past it.  Returns 0 or
 * -EPX_E_DBX_SYNTAX. */
static int dbx_esl(const uint8_t *lists, size_t len, size_t *off,
		   size_t *first, size_t *n, uint32_t *size)
{
	uint32_t list, hdr;
	size_t o = *off;

	if (o > len || DBX_ESL_HDR > len - o)
		return -EPX_E_DBX_SYNTAX;
	list = dbx_le32(lists + o + 16);
	hdr = dbx_le32(lists + o + 20);
	*size = dbx_le32(lists + o + 24);
	if (list < DBX_ESL_HDR || list > len - o || *size < 16 ||
	    hdr > list - DBX_ESL_HDR ||
	    (list - DBX_ESL_HDR - hdr) % *size != 0)
		return -EPX_E_DBX_SYNTAX;
	*first = o + DBX_ESL_HDR + hdr;
	*n = (list - DBX_ESL_HDR - hdr) / *size;
	*off = o + list;
	return 0;
}

/* The update's lists: EFI_CERT_SHA256 only, no header, entries of 48
 * bytes, at least one, at most DBX_HASHES_MAX in all. */
static int dbx_parse_lists(struct dbx_update *u, const uint8_t *buf, size_t len)
{
	size_t off = u->data_off, start, first, n, i;
	uint32_t size;

	if (off >= len)
		return -EPX_E_DBX_SYNTAX;
	while (off < len) {
		start = off;
		if (dbx_esl(buf, len, &off, &first, &n, &size) < 0 ||
		    memcmp(buf + start, dbx_sha256_guid, 16) != 0 ||
		    first != start + DBX_ESL_HDR || size != DBX_SHA256_ENTRY ||
		    n == 0 || n > DBX_HASHES_MAX - u->nhash)
			return -EPX_E_DBX_SYNTAX;
		for (i = 0; i < n; i++)
			u->hash[u->nhash++] = buf + first + i * size + 16;
	}
	return 0;
}

int dbx_parse(struct dbx_update *u, const uint8_t *buf, size_t len)
{
	uint32_t cert;
	int rc = -EPX_E_DBX_SYNTAX;

	memset(u, 0, sizeof(*u));
	if (!buf || len > DBX_UPDATE_MAX || len < DBX_TIME_LEN + DBX_WINCERT_HDR ||
	    !dbx_time_ok(buf))
		goto out;
	cert = dbx_le32(buf + DBX_TIME_LEN);
	if (cert <= DBX_WINCERT_HDR || cert > len - DBX_TIME_LEN ||
	    dbx_le16(buf + DBX_TIME_LEN + 4) != 0x0200 ||
	    dbx_le16(buf + DBX_TIME_LEN + 6) != 0x0ef1 ||
	    memcmp(buf + DBX_TIME_LEN + 8, dbx_pkcs7_guid, 16) != 0)
		goto out;
	u->sig_len = cert - DBX_WINCERT_HDR;
	u->data_off = DBX_TIME_LEN + cert;
	rc = dbx_parse_lists(u, buf, len);
out:
	if (rc < 0)
		memset(u, 0, sizeof(*u));
	return rc;
}

/* Whether the lists hold h as an EFI_CERT_SHA256 entry: 1, 0 or
 * -EPX_E_DBX_SYNTAX. */
static int dbx_holds_one(const uint8_t *lists, size_t len, const uint8_t *h)
{
	size_t off = 0, start, first, n, i;
	uint32_t size;

	while (off < len) {
		start = off;
		if (dbx_esl(lists, len, &off, &first, &n, &size) < 0)
			return -EPX_E_DBX_SYNTAX;
		if (memcmp(lists + start, dbx_sha256_guid, 16) != 0 ||
		    size != DBX_SHA256_ENTRY)
			continue;
		for (i = 0; i < n; i++)
			if (memcmp(lists + first + i * size + 16, h, 32) == 0)
				return 1;
	}
	return 0;
}

int dbx_holds(const struct dbx_update *u, const uint8_t *lists, size_t len)
{
	size_t i;
	int rc;

	if (len > DBX_VAR_MAX)
		return -EPX_E_DBX_SYNTAX;
	for (i = 0; i < u->nhash; i++) {
		rc = dbx_holds_one(lists, len, u->hash[i]);
		if (rc <= 0)
			return rc;
	}
	return 1;
}
