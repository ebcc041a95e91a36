/* Table test of the error registry: codes are unique and have text, each
 * carries the HTTP status of the answers that print it (lib/errors.def),
 * and "EPOXY-E<digits>" parses back only for registered codes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "tests/test.h"

static const struct {
	int rc;
	const char *code;
} cases[] = {
	{ -EPX_E_MF_TOOBIG, "EPOXY-E1000" },
	{ -EPX_E_SIG_THRESHOLD, "EPOXY-E1013" },
	{ EPX_E_ART_HASH, "EPOXY-E1030" },
};

/* the whole registry, read here as lib/err.c reads it */
static const struct {
	const char *name;
	int num, status;
} reg[] = {
#define EPX_ERR(name, num, status, msg) { #name, num, status },
#include "lib/errors.def"
#undef EPX_ERR
};
#define NREG (sizeof(reg) / sizeof(reg[0]))

/* statuses the handlers relied on before the registry carried them */
static const struct {
	int rc, status;
} statuses[] = {
	{ -EPX_E_SRV_NOTFOUND, 404 }, { -EPX_E_SRV_METHOD, 405 },
	{ -EPX_E_SRV_PLAIN, 403 }, { -EPX_E_SRV_CTYPE, 415 },
	{ -EPX_E_SRV_TOOBIG, 413 }, { -EPX_E_SRV_RANGE, 416 },
	{ -EPX_E_SRV_NOTOKEN, 401 }, { -EPX_E_SRV_BUSY, 503 },
	{ -EPX_E_SRV_RATE, 503 }, { -EPX_E_SRV_NORELEASE, 409 },
	{ -EPX_E_SRV_JOINCRED, 502 }, { -EPX_E_SRV_BOOTFILE, 404 },
	{ -EPX_E_TOK_FORMAT, 400 }, { -EPX_E_TOK_USED, 403 },
	{ -EPX_E_TOK_CLOSED, 403 }, { -EPX_E_CRED_BAD, 403 },
	{ -EPX_E_CRED_REVOKED, 403 }, { -EPX_E_SESS_CLOSED, 403 },
	{ -EPX_E_DB_BUSY, 503 }, { -EPX_E_DB_QUERY, 500 },
	{ -EPX_E_DB_NOTFOUND, 404 }, { -EPX_E_DB_EXISTS, 409 },
	{ -EPX_E_ADM_AUTH, 401 }, { -EPX_E_ADM_EXISTS, 409 },
	{ -EPX_E_ADM_KEYSET, 503 }, { -EPX_E_ADM_FORM, 400 },
	{ -EPX_E_MF_SYNTAX, 400 },
	{ -ENOENT, 500 }, { -ENOMEM, 500 },       /* the server's own failure */
	{ -9999, 500 },                            /* unknown */
	{ -EPX_E_KEXEC_LOAD, 500 },                /* never over HTTP */
};

static void test_registry(void)
{
	size_t i, bad_status = 0, bad_server = 0;

	for (i = 0; i < NREG; i++) {
		int s = reg[i].status, n = reg[i].num;

		if (s != 0 && (s < 400 || s > 599))
			bad_status++;
		/* epoxyd answers 2000-2299 and the admin API 2500-2599 over
		 * HTTP: each of those codes names its status */
		if (((n >= 2000 && n < 2300) || (n >= 2500 && n < 2600)) && !s)
			bad_server++;
		if (s)
			ok(epx_http_status(-n) == s, "%s: status %d", reg[i].name, s);
	}
	ok(NREG > 200, "registry read (%zu codes)", NREG);
	ok(!bad_status, "every status is 0 or an error status 400-599 (%zu not)", bad_status);
	ok(!bad_server, "every code epoxyd answers with has a status (%zu lack one)", bad_server);
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		ok(epx_http_status(statuses[i].rc) == statuses[i].status,
		   "status of %d is %d", statuses[i].rc, statuses[i].status);
}

static void test_parse(void)
{
	static const struct {
		const char *s;
		int rc, num;
	} t[] = {
		{ "EPOXY-E1030", 0, 1030 },
		{ "EPOXY-E2211", 0, 2211 },
		{ "EPOXY-E0002", 0, 2 },               /* epx_code() of -ENOENT */
		{ "EPOXY-E0000", 0, 0 },
		{ "EPOXY-E9999", -ENOENT, 9999 },
		{ "EPOXY-E2211 token refused", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E2211;", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E01030", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E+103", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E-103", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E 103", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E00-1", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E10x0", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E12", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-X1030", -EPX_E_NUM_SYNTAX, 0 },
		{ NULL, -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E103", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E", -EPX_E_NUM_SYNTAX, 0 },
		{ "EPOXY-E123456", -EPX_E_NUM_SYNTAX, 0 },
		{ "epoxy-e1030", -EPX_E_NUM_SYNTAX, 0 },
		{ "E1030", -EPX_E_NUM_SYNTAX, 0 },
		{ "", -EPX_E_NUM_SYNTAX, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int num = -1, rc = epx_code_parse(t[i].s, &num);

		ok(rc == t[i].rc && (rc == -EPX_E_NUM_SYNTAX || num == t[i].num),
		   "parse '%s' -> %d", t[i].s ? t[i].s : "(null)", t[i].rc);
	}
}

int main(void)
{
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok(strcmp(epx_code(cases[i].rc, buf, sizeof(buf)), cases[i].code) == 0,
		   "code of %d is %s", cases[i].rc, cases[i].code);
		ok(strcmp(epx_code_str(cases[i].rc), cases[i].code) == 0,
		   "code text of %d is %s", cases[i].rc, cases[i].code);
		ok(strcmp(epx_strerror(cases[i].rc), "unknown epoxy error") != 0,
		   "text of %s", cases[i].code);
	}
	ok(strcmp(epx_strerror(-9999), "unknown epoxy error") == 0, "unknown code");
	ok(strcmp(epx_code_str(-9999), "EPOXY-E????") == 0, "no code text for an unknown code");
	ok(strcmp(epx_code_str(-ENOENT), "EPOXY-E????") == 0, "no code text for an errno");
	for (i = 0; i < NREG; i++) {
		snprintf(buf, sizeof(buf), "EPOXY-E%d", reg[i].num);
		if (strcmp(epx_code_str(-reg[i].num), buf))
			break;
	}
	ok(i == NREG, "code text of every registry code (%zu)", i);
	ok(strcmp(epx_strerror(-2), "No such file or directory") == 0, "errno passes through");
	test_registry();
	test_parse();
	return test_done();
}
