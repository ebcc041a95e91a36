/* Table tests of the boot credential's one module (stage2/bootcred.c): the
 * choice of source (firmware variable, token medium on a node without a
 * variable store or with --token-medium, --token-file over either), the
 * token file's rules (64 hex digits of either case, one trailing newline),
 * the request field it appends (exactly credential=<64 lowercase hex> or
 * token=<64 lowercase hex>), and that a refusal or bootcred_wipe() leaves
 * nothing behind. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/err.h"
#include "stage2/agent.h"
#include "stage2/bootcred.h"
#include "stage2/con.h"
#include "stage2/efivar.h"
#include "stage2/media.h"
#include "stage2/session.h"
#include "tests/test.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define T64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define T64U "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"
#define M64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define T63 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba987654321"
#define EV "\007\000\000\000epoxy-boot 1\nhost node1\ncredential " H64 "\nend\n"
#define MEDIUM "epoxy-token-medium 1\nhost node1\ntoken " M64 "\nend\n"

/* Directories under the test's tmp: efi (the variable), efi-bad (a
 * malformed one), efi-empty (a store without it), noefi (no store at all);
 * sys + dev (one disk, vda, holding a token medium), sys-empty. */
static const struct {
	const char *name, *efivars, *sysblock;
	const char *medium;             /* --token-medium FILE under tmp */
	const char *host;               /* epoxy.host= */
	const char *tokfile;            /* --token-file contents, or NULL */
	int rc;
	const char *field;              /* bootcred_form() on an empty body */
} cases[] = {
	{ "efivar", "efi", "sys", NULL, "", NULL, 0, "credential=" H64 },
	{ "efivar, disks ignored", "efi", "sys", NULL, "node2", NULL, 0, "credential=" H64 },
	{ "efivar + token file", "efi", "sys", NULL, "", T64, 0, "token=" T64 },
	{ "token file, trailing newline", "efi", "sys", NULL, "", T64 "\n", 0, "token=" T64 },
	{ "token file, upper case (one spelling)", "efi", "sys", NULL, "", T64U,
	  -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "token file, upper case + newline", "efi", "sys", NULL, "", T64U "\n",
	  -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "token file, 63 hex", "efi", "sys", NULL, "", T63, -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "token file, 63 hex + newline", "efi", "sys", NULL, "", T63 "\n", -EPX_E_EFIVAR_SYNTAX,
	  NULL },
	{ "token file, 65 hex", "efi", "sys", NULL, "", T64 "0", -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "token file, 128 hex", "efi", "sys", NULL, "", T64 T64, -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "token file, non-hex", "efi", "sys", NULL, "", "g" T63, -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "token file, two newlines", "efi", "sys", NULL, "", T64 "\n\n", -EPX_E_EFIVAR_SYNTAX,
	  NULL },
	{ "token file, CRLF", "efi", "sys", NULL, "", T64 "\r\n", -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "token file, leading space", "efi", "sys", NULL, "", " " T64, -EPX_E_EFIVAR_SYNTAX,
	  NULL },
	{ "token file, empty", "efi", "sys", NULL, "", "", -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "token file, newline only", "efi", "sys", NULL, "", "\n", -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "token file, 0x prefix", "efi", "sys", NULL, "", "0x" T64, -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "malformed variable", "efi-bad", "sys", NULL, "", NULL, -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "malformed variable, token file", "efi-bad", "sys", NULL, "", T64, -EPX_E_EFIVAR_SYNTAX,
	  NULL },
	{ "store without the variable: no medium scan", "efi-empty", "sys", NULL, "", NULL,
	  -EPX_E_EFIVAR_MISSING, NULL },
	{ "no store: medium scan", "noefi", "sys", NULL, "", NULL, 0, "token=" M64 },
	{ "no store: medium for epoxy.host", "noefi", "sys", NULL, "node1", NULL, 0,
	  "token=" M64 },
	{ "no store: medium for another host", "noefi", "sys", NULL, "node2", NULL,
	  -EPX_E_MEDIA_HOST, NULL },
	{ "no store: no disk", "noefi", "sys-empty", NULL, "", NULL, -EPX_E_EFIVAR_MISSING, NULL },
	{ "no store: medium + token file", "noefi", "sys", NULL, "", T64, 0, "token=" T64 },
	{ "no store: medium + bad token file", "noefi", "sys", NULL, "", T63,
	  -EPX_E_EFIVAR_SYNTAX, NULL },
	{ "--token-medium, store without variable", "efi-empty", "sys-empty", "dev/vda", "",
	  NULL, 0, "token=" M64 },
	{ "--token-medium, no store", "noefi", "sys-empty", "dev/vda", "", NULL, 0, "token=" M64 },
	{ "--token-medium, not a medium", "noefi", "sys", "dev/blank", "", NULL,
	  -EPX_E_MEDIA_MAGIC, NULL },
	{ "--token-medium, variable wins", "efi", "sys-empty", "dev/vda", "", NULL, 0,
	  "credential=" H64 },
};

static char tmp[64];

/* The tree under tmp: a directory where text is NULL, else a file of len
 * bytes, the tl bytes of text then zeros. */
static const struct {
	const char *rel, *text;
	size_t tl, len;
} tree[] = {
	{ "efi", NULL, 0, 0 }, { "efi-bad", NULL, 0, 0 }, { "efi-empty", NULL, 0, 0 },
	{ "sys", NULL, 0, 0 }, { "sys/vda", NULL, 0, 0 }, { "sys-empty", NULL, 0, 0 },
	{ "dev", NULL, 0, 0 },
	{ "efi/" EFIVAR_NAME, EV, sizeof(EV) - 1, sizeof(EV) - 1 },
	{ "efi-bad/" EFIVAR_NAME, EV "x", sizeof(EV), sizeof(EV) },
	{ "dev/vda", MEDIUM, sizeof(MEDIUM) - 1, MEDIA_SECTOR },
	{ "dev/blank", "", 0, MEDIA_SECTOR },
};

static void put(const char *rel, const char *text, size_t tl, size_t len)
{
	char path[256], data[MEDIA_SECTOR] = { 0 };
	FILE *f;

	if (tl > len || len > sizeof(data))
		abort();
	memcpy(data, text, tl);
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		abort();
}

static void setup(void)
{
	char path[256];
	size_t i;

	snprintf(tmp, sizeof(tmp), "/tmp/test_agent_bootcred.XXXXXX");
	if (!mkdtemp(tmp))
		abort();
	for (i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, tree[i].rel);
		if (tree[i].text)
			put(tree[i].rel, tree[i].text, tree[i].tl, tree[i].len);
		else if (mkdir(path, 0700) < 0)
			abort();
	}
}

static int zeroed(const struct bootcred *bc)
{
	static const struct bootcred z;

	return memcmp(bc, &z, sizeof(z)) == 0;
}

static void opts(struct agent_opts *o, size_t i, char path[][256])
{
	memset(o, 0, sizeof(*o));
	snprintf(path[0], 256, "%s/%s", tmp, cases[i].efivars);
	snprintf(path[1], 256, "%s/%s", tmp, cases[i].sysblock);
	snprintf(path[2], 256, "%s/dev", tmp);
	snprintf(path[3], 256, "%s/%s", tmp, cases[i].medium ? cases[i].medium : "");
	snprintf(path[4], 256, "%s/tokfile", tmp);
	o->efivars = path[0];
	o->sysblock = path[1];
	o->devdir = path[2];
	o->token_medium = cases[i].medium ? path[3] : NULL;
	o->token_file = cases[i].tokfile ? path[4] : NULL;
	snprintf(o->cl.host, sizeof(o->cl.host), "%s", cases[i].host);
	if (cases[i].tokfile)
		put("tokfile", cases[i].tokfile, strlen(cases[i].tokfile),
		    strlen(cases[i].tokfile));
}

static void test_table(void)
{
	char path[5][256], out[SESSION_BODY_MAX];
	struct agent_opts o;
	struct bootcred bc;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc, n;

		opts(&o, i, path);
		memset(&bc, 0xa5, sizeof(bc));
		rc = bootcred_load(&bc, &o);
		ok(rc == cases[i].rc, "%s -> %d (want %d)", cases[i].name, rc, cases[i].rc);
		if (cases[i].rc < 0) {
			ok(zeroed(&bc), "%s: nothing kept", cases[i].name);
			continue;
		}
		n = bootcred_form(&bc, out, sizeof(out), 0);
		ok(n == (int)strlen(cases[i].field) && strcmp(out, cases[i].field) == 0,
		   "%s: request field exact", cases[i].name);
		ok(strcmp(bootcred_host(&bc), "node1") == 0 &&
		   bootcred_is_token(&bc) == (cases[i].field[0] == 't'),
		   "%s: host %s, %s", cases[i].name, bootcred_host(&bc),
		   bootcred_is_token(&bc) ? "one-time boot token" : "boot credential");
		bootcred_wipe(&bc);
		ok(zeroed(&bc), "%s: all zero after bootcred_wipe", cases[i].name);
	}
}

static void test_missing_token_file(void)
{
	char path[5][256];
	struct agent_opts o;
	struct bootcred bc;

	opts(&o, 0, path);
	snprintf(path[4], 256, "%s/no-such-file", tmp);
	o.token_file = path[4];
	ok(bootcred_load(&bc, &o) == -EPX_E_EFIVAR_SYNTAX && zeroed(&bc), "missing token file");
	snprintf(path[4], 256, "%s/efi", tmp);
	ok(bootcred_load(&bc, &o) == -EPX_E_EFIVAR_SYNTAX && zeroed(&bc), "token file is a directory");
}

/* The field follows the public part of the body exactly as the session
 * request had it, and a field that does not fit leaves no digit behind. */
static void test_form(void)
{
	static const uint8_t nonce[32] = { 0xaa };
	char out[SESSION_BODY_MAX], want[SESSION_BODY_MAX];
	struct bootcred bc;
	size_t i;
	int n;

	memset(&bc, 0, sizeof(bc));
	snprintf(bc.host, sizeof(bc.host), "node1");
	for (i = 0; i < 32; i++)
		bc.credential[i] = (uint8_t)(0xf0 + (i & 0xf));
	n = session_request(out, sizeof(out), "node1", "52-54-00-12-34-56", nonce, 1, 1);
	n = bootcred_form(&bc, out, sizeof(out), (size_t)n);
	snprintf(want, sizeof(want), "host=node1&mac=52-54-00-12-34-56&nonce=aa%062d"
		 "&agent=1&stage=1&credential=%s", 0,
		 "f0f1f2f3f4f5f6f7f8f9fafbfcfdfefff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
	ok(n == (int)strlen(want) && strcmp(out, want) == 0, "session body with credential: %d bytes", n);
	bc.is_token = 1;
	n = bootcred_form(&bc, out, sizeof(out), 3);
	ok(n == 3 + 1 + 6 + 64 && memcmp(out + 3, "&token=f0f1", 11) == 0, "token field after a prefix");
	memset(out, 'x', sizeof(out));
	n = bootcred_form(&bc, out, 10 + 71, 10);
	ok(n == -EPX_E_CODEC_SPACE, "field one byte too long for its NUL: -EPX_E_CODEC_SPACE");
	for (i = 10; i < 81 && out[i] == 0; i++)
		;
	ok(i == 81 && out[81] == 'x', "cut field wiped, nothing beyond cap touched");
	ok(bootcred_form(&bc, out, 10 + 72, 10) == 81 && out[81] == 0, "field that just fits");
	ok(bootcred_form(&bc, out, 10, 10) == -EPX_E_CODEC_SPACE, "no room at all");
	ok(bootcred_form(&bc, out, 10, 11) == -EPX_E_CODEC_SPACE, "len beyond cap");
	bootcred_wipe(&bc);
	ok(zeroed(&bc), "wiped");
}

int main(void)
{
	char cmd[128];

	con_quiet(1);
	setup();
	test_table();
	test_missing_token_file();
	test_form();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", tmp);
	return test_done();
}
