/* Table test of the error registry: codes are unique and have text. */
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

int main(void)
{
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok(strcmp(epx_code(cases[i].rc, buf, sizeof(buf)), cases[i].code) == 0,
		   "code of %d is %s", cases[i].rc, cases[i].code);
		ok(strcmp(epx_strerror(cases[i].rc), "unknown epoxy error") != 0,
		   "text of %s", cases[i].code);
	}
	ok(strcmp(epx_strerror(-9999), "unknown epoxy error") == 0, "unknown code");
	ok(strcmp(epx_strerror(-2), "No such file or directory") == 0, "errno passes through");
	return test_done();
}
