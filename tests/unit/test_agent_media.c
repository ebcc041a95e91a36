/* Table tests of the token medium (stage2/media.c): the sector parser with
 * many malformed sectors, the reader (files that are too short, not
 * regular, missing) and the disk scan (candidate names, no medium, one,
 * two, one refused).  Every refusal must leave the credential zeroed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "stage2/media.h"
#include "tests/test.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MAG "epoxy-token-medium 1\n"
#define GOOD MAG "host node1\ntoken " H64 "\nend\n"
#define H63 "abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abc"

static const struct {
	const char *name, *text, *want;
	int rc;
	const char *host;
} cases[] = {
	{ "valid", GOOD, NULL, 0, "node1" },
	{ "valid, host wanted", GOOD, "node1", 0, "node1" },
	{ "valid, empty wanted host", GOOD, "", 0, "node1" },
	{ "valid dotted host", MAG "host node-1.site2.example\ntoken " H64 "\nend\n", NULL, 0,
	  "node-1.site2.example" },
	{ "valid 63-byte host", MAG "host " H63 "\ntoken " H64 "\nend\n", NULL, 0, H63 },
	{ "all zero (blank disk)", "", NULL, -EPX_E_MEDIA_MAGIC, NULL },
	{ "MBR boot code", "\xeb\x63\x90\x10\x8e\xd0\xbc", NULL, -EPX_E_MEDIA_MAGIC, NULL },
	{ "upper-case magic", "EPOXY-TOKEN-MEDIUM 1\nhost node1\ntoken " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_MAGIC, NULL },
	{ "magic without space", "epoxy-token-medium\nhost node1\n", NULL, -EPX_E_MEDIA_MAGIC, NULL },
	{ "leading newline", "\n" GOOD, NULL, -EPX_E_MEDIA_MAGIC, NULL },
	{ "boot credential text", "epoxy-boot 1\nhost node1\ncredential " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_MAGIC, NULL },
	{ "version 2", "epoxy-token-medium 2\nhost node1\ntoken " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_VERSION, NULL },
	{ "version 10", "epoxy-token-medium 10\nhost node1\ntoken " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_VERSION, NULL },
	{ "version 01", "epoxy-token-medium 01\nhost node1\ntoken " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_VERSION, NULL },
	{ "version with trailing space", "epoxy-token-medium 1 \nhost node1\ntoken " H64 "\nend\n",
	  NULL, -EPX_E_MEDIA_VERSION, NULL },
	{ "empty version", "epoxy-token-medium \nhost node1\n", NULL, -EPX_E_MEDIA_VERSION, NULL },
	{ "CRLF after version", "epoxy-token-medium 1\r\nhost node1\r\ntoken " H64 "\r\nend\r\n",
	  NULL, -EPX_E_MEDIA_VERSION, NULL },
	{ "magic line unterminated", "epoxy-token-medium 1", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "magic only", MAG, NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "no host line", MAG "token " H64 "\nend\n", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "empty host", MAG "host \ntoken " H64 "\nend\n", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "upper-case host", MAG "host Node1\ntoken " H64 "\nend\n", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "underscore in host", MAG "host node_1\ntoken " H64 "\nend\n", NULL, -EPX_E_MEDIA_SYNTAX,
	  NULL },
	{ "host starts with dash", MAG "host -node\ntoken " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_SYNTAX, NULL },
	{ "host ends with dot", MAG "host node.\ntoken " H64 "\nend\n", NULL, -EPX_E_MEDIA_SYNTAX,
	  NULL },
	{ "64-byte host", MAG "host " H63 "d\ntoken " H64 "\nend\n", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "double space before host", MAG "host  node1\ntoken " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_SYNTAX, NULL },
	{ "trailing space after host", MAG "host node1 \ntoken " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_SYNTAX, NULL },
	{ "tab after host", MAG "host\tnode1\ntoken " H64 "\nend\n", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "host twice", MAG "host node1\nhost node2\ntoken " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_SYNTAX, NULL },
	{ "token before host", MAG "token " H64 "\nhost node1\nend\n", NULL, -EPX_E_MEDIA_SYNTAX,
	  NULL },
	{ "no token line", MAG "host node1\nend\n", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "token line unterminated", MAG "host node1\ntoken " H64, NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "tab after token", MAG "host node1\ntoken\t" H64 "\nend\n", NULL, -EPX_E_MEDIA_SYNTAX,
	  NULL },
	{ "credential instead of token", MAG "host node1\ncredential " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_SYNTAX, NULL },
	{ "empty token", MAG "host node1\ntoken \nend\n", NULL, -EPX_E_MEDIA_TOKEN, NULL },
	{ "token of 63 digits", MAG "host node1\ntoken 0123456789abcdef0123456789abcdef"
	  "0123456789abcdef0123456789abcde\nend\n", NULL, -EPX_E_MEDIA_TOKEN, NULL },
	{ "token of 65 digits", MAG "host node1\ntoken " H64 "0\nend\n", NULL, -EPX_E_MEDIA_TOKEN,
	  NULL },
	{ "token of 128 digits", MAG "host node1\ntoken " H64 H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_TOKEN, NULL },
	{ "upper-case token", MAG "host node1\ntoken 0123456789ABCDEF0123456789abcdef"
	  "0123456789abcdef0123456789abcdef\nend\n", NULL, -EPX_E_MEDIA_TOKEN, NULL },
	{ "non-hex digit in token", MAG "host node1\ntoken g123456789abcdef0123456789abcdef"
	  "0123456789abcdef0123456789abcdef\nend\n", NULL, -EPX_E_MEDIA_TOKEN, NULL },
	{ "space inside token", MAG "host node1\ntoken 0123456789abcdef 123456789abcdef"
	  "0123456789abcdef0123456789abcdef\nend\n", NULL, -EPX_E_MEDIA_TOKEN, NULL },
	{ "0x prefix token", MAG "host node1\ntoken 0x23456789abcdef0123456789abcdef"
	  "0123456789abcdef0123456789abcdef\nend\n", NULL, -EPX_E_MEDIA_TOKEN, NULL },
	{ "trailing space after token", MAG "host node1\ntoken " H64 " \nend\n", NULL,
	  -EPX_E_MEDIA_TOKEN, NULL },
	{ "no end", MAG "host node1\ntoken " H64 "\n", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "end unterminated", MAG "host node1\ntoken " H64 "\nend", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "end with CR", MAG "host node1\ntoken " H64 "\nend\r\n", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "END upper case", MAG "host node1\ntoken " H64 "\nEND\n", NULL, -EPX_E_MEDIA_SYNTAX, NULL },
	{ "line after end", MAG "host node1\ntoken " H64 "\nend\nhost node2\n", NULL,
	  -EPX_E_MEDIA_SYNTAX, NULL },
	{ "blank line after end", MAG "host node1\ntoken " H64 "\nend\n\n", NULL,
	  -EPX_E_MEDIA_SYNTAX, NULL },
	{ "space after end", MAG "host node1\ntoken " H64 "\nend\n ", NULL, -EPX_E_MEDIA_SYNTAX,
	  NULL },
	{ "extension field", MAG "host node1\nx-note hi\ntoken " H64 "\nend\n", NULL,
	  -EPX_E_MEDIA_SYNTAX, NULL },
	{ "blank line inside", MAG "\nhost node1\ntoken " H64 "\nend\n", NULL, -EPX_E_MEDIA_SYNTAX,
	  NULL },
	{ "another host wanted", GOOD, "node2", -EPX_E_MEDIA_HOST, NULL },
	{ "prefix of the wanted host", GOOD, "node10", -EPX_E_MEDIA_HOST, NULL },
	{ "wanted host is a prefix", MAG "host node10\ntoken " H64 "\nend\n", "node1",
	  -EPX_E_MEDIA_HOST, NULL },
};

/* A sector holding text, zero padded. */
static void sector(unsigned char sec[MEDIA_SECTOR], const char *text)
{
	memset(sec, 0, MEDIA_SECTOR);
	memcpy(sec, text, strlen(text));
}

static int zeroed(const struct bootcred *bc)
{
	static const struct bootcred z;

	return memcmp(bc, &z, sizeof(z)) == 0;
}

static void test_table(void)
{
	unsigned char sec[MEDIA_SECTOR];
	struct bootcred bc;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		sector(sec, cases[i].text);
		memset(&bc, 0xa5, sizeof(bc));
		rc = media_parse(&bc, sec, sizeof(sec), cases[i].want);
		ok(rc == cases[i].rc, "%s -> %d (want %d)", cases[i].name, rc, cases[i].rc);
		if (cases[i].rc == 0)
			ok(rc == 0 && strcmp(bc.host, cases[i].host) == 0 &&
			   bc.credential[0] == 0x01 && bc.credential[31] == 0xef,
			   "%s: host and token", cases[i].name);
		else
			ok(zeroed(&bc), "%s: nothing kept", cases[i].name);
	}
}

static void test_raw(void)
{
	unsigned char sec[MEDIA_SECTOR + 1];
	struct bootcred bc;
	size_t t = strlen(GOOD);

	sector(sec, GOOD);
	sec[MEDIA_SECTOR] = 0;
	ok(media_parse(&bc, sec, MEDIA_SECTOR - 1, NULL) == -EPX_E_MEDIA_SYNTAX, "511 bytes");
	ok(media_parse(&bc, sec, MEDIA_SECTOR + 1, NULL) == -EPX_E_MEDIA_SYNTAX, "513 bytes");
	ok(media_parse(&bc, sec, t, NULL) == -EPX_E_MEDIA_SYNTAX, "text only, no padding");
	ok(media_parse(&bc, sec, 0, NULL) == -EPX_E_MEDIA_MAGIC, "0 bytes");
	ok(media_parse(&bc, sec, 10, NULL) == -EPX_E_MEDIA_MAGIC, "shorter than the magic");
	sec[MEDIA_SECTOR - 1] = 1;
	ok(media_parse(&bc, sec, MEDIA_SECTOR, NULL) == -EPX_E_MEDIA_SYNTAX && zeroed(&bc),
	   "non-zero last byte");
	sector(sec, GOOD);
	sec[t + 1] = 'x';
	ok(media_parse(&bc, sec, MEDIA_SECTOR, NULL) == -EPX_E_MEDIA_SYNTAX, "byte after the NUL");
	memset(sec + t, 0xff, MEDIA_SECTOR - t);
	ok(media_parse(&bc, sec, MEDIA_SECTOR, NULL) == -EPX_E_MEDIA_SYNTAX, "0xff padding");
	memset(sec + t, ' ', MEDIA_SECTOR - t);
	ok(media_parse(&bc, sec, MEDIA_SECTOR, NULL) == -EPX_E_MEDIA_SYNTAX, "space padding");
	sector(sec, GOOD);
	sec[strlen(MAG) + 6] = 0;       /* "host n\0de1..." */
	ok(media_parse(&bc, sec, MEDIA_SECTOR, NULL) == -EPX_E_MEDIA_SYNTAX && zeroed(&bc),
	   "NUL inside the host line");
	sector(sec, GOOD);
	sec[t - 10] = 0;                /* inside the token */
	ok(media_parse(&bc, sec, MEDIA_SECTOR, NULL) == -EPX_E_MEDIA_SYNTAX, "NUL inside the token");
	sector(sec, GOOD);
	sec[strlen(MAG) + 5] = 0x80;
	ok(media_parse(&bc, sec, MEDIA_SECTOR, NULL) == -EPX_E_MEDIA_SYNTAX, "high byte in the host");
}

static char tmp[64];

static void put(const char *rel, const char *text, size_t len)
{
	unsigned char sec[MEDIA_SECTOR * 2];
	char path[256];
	FILE *f;

	memset(sec, 0, sizeof(sec));
	memcpy(sec, text, strlen(text));
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	f = fopen(path, "wb");
	if (!f || fwrite(sec, 1, len, f) != len || fclose(f))
		abort();
}

static void mkd(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	if (mkdir(path, 0700) < 0)
		abort();
}

static void rmf(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	unlink(path);
}

static int scan(struct bootcred *bc, char *dev, size_t cap)
{
	char sb[128], dd[128];

	snprintf(sb, sizeof(sb), "%s/sys", tmp);
	snprintf(dd, sizeof(dd), "%s/dev", tmp);
	return media_scan(bc, sb, dd, "node1", 0, dev, cap);
}

static void test_read_scan(void)
{
	struct bootcred bc;
	char path[256], dev[MEDIA_NAME_MAX + 1];

	snprintf(tmp, sizeof(tmp), "/tmp/test_agent_media.XXXXXX");
	if (!mkdtemp(tmp))
		abort();
	mkd("sys"); mkd("dev");
	put("dev/good", GOOD, MEDIA_SECTOR);
	snprintf(path, sizeof(path), "%s/dev/good", tmp);
	ok(media_read(&bc, path, "node1") == 0 && strcmp(bc.host, "node1") == 0, "read a medium file");
	ok(media_read(&bc, path, "node2") == -EPX_E_MEDIA_HOST && zeroed(&bc), "read: other host");
	put("dev/big", GOOD, MEDIA_SECTOR * 2);
	snprintf(path, sizeof(path), "%s/dev/big", tmp);
	ok(media_read(&bc, path, NULL) == 0, "a medium on a larger disk: only sector 0 counts");
	put("dev/short", GOOD, MEDIA_SECTOR - 1);
	snprintf(path, sizeof(path), "%s/dev/short", tmp);
	ok(media_read(&bc, path, NULL) == -EPX_E_MEDIA_MAGIC, "less than a sector: no medium");
	snprintf(path, sizeof(path), "%s/dev/none", tmp);
	ok(media_read(&bc, path, NULL) == -EPX_E_MEDIA_MAGIC, "missing file: no medium");
	snprintf(path, sizeof(path), "%s/sys", tmp);
	ok(media_read(&bc, path, NULL) == -EPX_E_MEDIA_MAGIC, "a directory: no medium");
	ok(media_read(&bc, "/dev/null", NULL) == -EPX_E_MEDIA_MAGIC, "a character device: no medium");

	ok(scan(&bc, dev, sizeof(dev)) == -EPX_E_EFIVAR_MISSING, "scan: no disks");
	mkd("sys/vda"); put("dev/vda", "", MEDIA_SECTOR);
	mkd("sys/sda"); put("dev/sda", "\xeb\x63\x90", MEDIA_SECTOR * 2);
	ok(scan(&bc, dev, sizeof(dev)) == -EPX_E_EFIVAR_MISSING, "scan: disks, no medium");
	mkd("sys/loop0"); put("dev/loop0", GOOD, MEDIA_SECTOR);
	mkd("sys/sr0"); put("dev/sr0", GOOD, MEDIA_SECTOR);
	mkd("sys/Vdz"); put("dev/Vdz", GOOD, MEDIA_SECTOR);
	mkd("sys/vd"); put("dev/vd", GOOD, MEDIA_SECTOR);
	ok(scan(&bc, dev, sizeof(dev)) == -EPX_E_EFIVAR_MISSING,
	   "scan: loop, sr, upper-case and bare-prefix names are never read");
	mkd("sys/vdb"); put("dev/vdb", GOOD, MEDIA_SECTOR);
	ok(scan(&bc, dev, sizeof(dev)) == 0 && strcmp(dev, "vdb") == 0 &&
	   strcmp(bc.host, "node1") == 0, "scan: one medium found on vdb");
	mkd("sys/vdc");
	ok(scan(&bc, dev, sizeof(dev)) == 0, "scan: a disk without a device node is skipped");
	put("dev/vdc", GOOD, MEDIA_SECTOR);
	ok(scan(&bc, dev, sizeof(dev)) == -EPX_E_MEDIA_MULTI && zeroed(&bc), "scan: two media refused");
	put("dev/vdc", MAG "host node2\ntoken " H64 "\nend\n", MEDIA_SECTOR);
	ok(scan(&bc, dev, sizeof(dev)) == -EPX_E_MEDIA_HOST && strcmp(dev, "vdc") == 0 && zeroed(&bc),
	   "scan: a medium for another host is refused, naming its disk");
	rmf("dev/vdb");
	put("dev/vdc", "epoxy-token-medium 9\n", MEDIA_SECTOR);
	ok(scan(&bc, dev, sizeof(dev)) == -EPX_E_MEDIA_VERSION, "scan: unknown version refused");
	snprintf(path, sizeof(path), "rm -rf '%s'", tmp);
	if (system(path) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmp);
}

int main(void)
{
	test_table();
	test_raw();
	test_read_scan();
	return test_done();
}
