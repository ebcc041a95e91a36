/* test_usage: the heartbeat's usage line (lib/usage.h): a table of valid
 * and malformed lines, the round trip, format's refusals. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/usage.h"
#include "tests/test.h"

#define H "usage 1 at=1796439507 net=off"

static const struct {
	const char *name, *in;
	int rc;
	size_t n;
} cases[] = {
	{ "no slivers", H, 0, 0 },
	{ "at 0, net on", "usage 1 at=0 net=on", 0, 0 },
	{ "one sliver, all measured", H " web=12,34,5,6,7,8", 0, 1 },
	{ "one sliver, cgroup absent", H " web=-,-,-,4096,0,0", 0, 1 },
	{ "every value absent", H " web=-,-,-,-,-,-", 0, 1 },
	{ "two, ascending", H " a.b=1,2,3,4,5,6 a_c=1,2,3,4,5,6", 0, 2 },
	{ "names with - . _", H " x-1=0,0,0,0,0,0 x.1=0,0,0,0,0,0 x_1=0,0,0,0,0,0", 0, 3 },
	{ "value at the cap", H " w=4611686018427387904,0,0,0,0,0", 0, 1 },
	{ "at at its cap", "usage 1 at=253402300799 net=off", 0, 0 },
	{ "empty", "", -EPX_E_USG_SYNTAX, 0 },
	{ "magic only", "usage 1", -EPX_E_USG_SYNTAX, 0 },
	{ "magic and a space", "usage 1 ", -EPX_E_USG_SYNTAX, 0 },
	{ "other version", "usage 2 at=1 net=off", -EPX_E_USG_SYNTAX, 0 },
	{ "upper-case magic", "USAGE 1 at=1 net=off", -EPX_E_USG_SYNTAX, 0 },
	{ "no net", "usage 1 at=1", -EPX_E_USG_SYNTAX, 0 },
	{ "net before at", "usage 1 net=off at=1", -EPX_E_USG_SYNTAX, 0 },
	{ "net=yes", "usage 1 at=1 net=yes", -EPX_E_USG_SYNTAX, 0 },
	{ "net=On", "usage 1 at=1 net=On", -EPX_E_USG_SYNTAX, 0 },
	{ "at with a sign", "usage 1 at=+1 net=off", -EPX_E_USG_SYNTAX, 0 },
	{ "at negative", "usage 1 at=-1 net=off", -EPX_E_USG_SYNTAX, 0 },
	{ "at leading zero", "usage 1 at=01 net=off", -EPX_E_USG_SYNTAX, 0 },
	{ "at past its cap", "usage 1 at=253402300800 net=off", -EPX_E_USG_SYNTAX, 0 },
	{ "at empty", "usage 1 at= net=off", -EPX_E_USG_SYNTAX, 0 },
	{ "at hex", "usage 1 at=0x10 net=off", -EPX_E_USG_SYNTAX, 0 },
	{ "two spaces", "usage 1 at=1  net=off", -EPX_E_USG_SYNTAX, 0 },
	{ "trailing space", H " ", -EPX_E_USG_SYNTAX, 0 },
	{ "trailing newline", H "\n", -EPX_E_USG_SYNTAX, 0 },
	{ "tab separator", "usage 1 at=1\tnet=off", -EPX_E_USG_SYNTAX, 0 },
	{ "a tab in the values", H " w=1,2,3,4,5,\t6", -EPX_E_USG_SYNTAX, 0 },
	{ "five values", H " w=1,2,3,4,5", -EPX_E_USG_SYNTAX, 0 },
	{ "seven values", H " w=1,2,3,4,5,6,7", -EPX_E_USG_SYNTAX, 0 },
	{ "an empty value", H " w=1,,3,4,5,6", -EPX_E_USG_SYNTAX, 0 },
	{ "a trailing comma", H " w=1,2,3,4,5,6,", -EPX_E_USG_SYNTAX, 0 },
	{ "a value past its cap", H " w=4611686018427387905,0,0,0,0,0", -EPX_E_USG_SYNTAX, 0 },
	{ "a value of 30 digits", H " w=999999999999999999999999999999,0,0,0,0,0",
	  -EPX_E_USG_SYNTAX, 0 },
	{ "a value with a leading zero", H " w=01,0,0,0,0,0", -EPX_E_USG_SYNTAX, 0 },
	{ "a negative value", H " w=-1,0,0,0,0,0", -EPX_E_USG_SYNTAX, 0 },
	{ "'--' for absent", H " w=--,0,0,0,0,0", -EPX_E_USG_SYNTAX, 0 },
	{ "a decimal point", H " w=1.5,0,0,0,0,0", -EPX_E_USG_SYNTAX, 0 },
	{ "no '='", H " w", -EPX_E_USG_SYNTAX, 0 },
	{ "no name", H " =1,2,3,4,5,6", -EPX_E_USG_SYNTAX, 0 },
	{ "upper-case name", H " Web=1,2,3,4,5,6", -EPX_E_USG_SYNTAX, 0 },
	{ "name starting with '.'", H " .w=1,2,3,4,5,6", -EPX_E_USG_SYNTAX, 0 },
	{ "name starting with '-'", H " -w=1,2,3,4,5,6", -EPX_E_USG_SYNTAX, 0 },
	{ "name with '/'", H " a/b=1,2,3,4,5,6", -EPX_E_USG_SYNTAX, 0 },
	{ "name of 33 bytes", H " abcdefghijabcdefghijabcdefghijabc=0,0,0,0,0,0",
	  -EPX_E_USG_SYNTAX, 0 },
	{ "name with a percent escape", H " a%41=0,0,0,0,0,0", -EPX_E_USG_SYNTAX, 0 },
	{ "duplicate name", H " a=0,0,0,0,0,0 a=0,0,0,0,0,0", -EPX_E_USG_SYNTAX, 0 },
	{ "descending names", H " b=0,0,0,0,0,0 a=0,0,0,0,0,0", -EPX_E_USG_SYNTAX, 0 },
	{ "an unknown field", H " x=1", -EPX_E_USG_SYNTAX, 0 },
	{ "a field before the slivers", "usage 1 at=1 net=off seq=2", -EPX_E_USG_SYNTAX, 0 },
};

static void test_table(void)
{
	struct usage *u = malloc(sizeof(*u)), zero;
	char out[USAGE_BYTES_MAX + 1];
	size_t i, len;
	int rc;

	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = usage_parse(u, cases[i].in, strlen(cases[i].in));
		ok(rc == cases[i].rc && u->n == cases[i].n, "%s: %d (%zu slivers)", cases[i].name, rc,
		   u->n);
		if (rc < 0) {
			ok(!memcmp(u, &zero, sizeof(zero)), "%s: refused, zeroed", cases[i].name);
			continue;
		}
		rc = usage_format(u, out, sizeof(out), &len);
		ok(rc == 0 && len == strlen(cases[i].in) && !memcmp(out, cases[i].in, len),
		   "%s: formats back to its own bytes", cases[i].name);
	}
	/* a NUL inside the line */
	ok(usage_parse(u, H " w=1,2,3,4,5,6\0", sizeof(H " w=1,2,3,4,5,6")) == -EPX_E_USG_SYNTAX,
	   "a NUL at the end: refused");
	free(u);
}

static void test_values(void)
{
	struct usage *u = malloc(sizeof(*u));
	const char *l = H " web=12,34,-,6,7,8";
	const struct usage_sliver *w;

	ok(usage_parse(u, l, strlen(l)) == 0, "parse one sliver");
	w = usage_find(u, "web");
	ok(w && w->v[USAGE_CPU_US] == 12 && w->v[USAGE_MEM] == 34 && w->v[USAGE_DISK] == 6 &&
	   w->v[USAGE_TX] == 7 && w->v[USAGE_RX] == 8, "the values in order");
	ok(w && w->have == (0x3fu & ~(1u << USAGE_TASKS)) && w->v[USAGE_TASKS] == 0,
	   "tasks absent: its bit clear");
	ok(u->at == 1796439507 && u->net == 0, "at and net");
	ok(usage_find(u, "we") == NULL && usage_find(u, "webx") == NULL, "find: exact names only");
	free(u);
}

/* USAGE_SLIVERS_MAX (128) slivers of the longest names and values: at the
 * cap, and one more refused */
static void test_caps(void)
{
	struct usage *u = calloc(1, sizeof(*u)), *back = malloc(sizeof(*u));
	char *out = malloc(USAGE_BYTES_MAX + 64), *big;
	size_t i, v, len = 0;

	u->at = USAGE_AT_MAX;
	u->net = 1;
	for (i = 0; i < USAGE_SLIVERS_MAX; i++) {
		snprintf(u->sl[i].name, sizeof(u->sl[i].name), "%03zuabcdefghijabcdefghijabcdefghi",
			 i);
		u->sl[i].have = 0x3f;
		for (v = 0; v < USAGE_N; v++)
			u->sl[i].v[v] = USAGE_VALUE_MAX;
	}
	u->n = USAGE_SLIVERS_MAX;
	ok(usage_format(u, out, USAGE_BYTES_MAX + 1, &len) == 0 && len <= USAGE_BYTES_MAX,
	   "%d slivers at their longest: %zu bytes <= USAGE_BYTES_MAX",
	   USAGE_SLIVERS_MAX, len);
	ok(usage_parse(back, out, len) == 0 && back->n == USAGE_SLIVERS_MAX, "...and parse back");
	ok(usage_format(u, out, len, &len) == -EPX_E_CODEC_SPACE, "format into a buffer too small");
	u->n = USAGE_SLIVERS_MAX + 1;
	ok(usage_format(u, out, USAGE_BYTES_MAX + 1, &len) == -EPX_E_USG_SYNTAX,
	   "format of USAGE_SLIVERS_MAX + 1 slivers: refused");
	/* USAGE_SLIVERS_MAX + 1 short slivers: within the bytes, over the count */
	big = malloc(USAGE_BYTES_MAX + 1);
	len = (size_t)snprintf(big, USAGE_BYTES_MAX + 1, "%s", H);
	for (i = 0; i <= USAGE_SLIVERS_MAX; i++)
		len += (size_t)snprintf(big + len, USAGE_BYTES_MAX + 1 - len, " s%03zu=0,0,0,0,0,0", i);
	ok(usage_parse(back, big, len) == -EPX_E_USG_SYNTAX, "%d slivers: refused", USAGE_SLIVERS_MAX + 1);
	memset(big, 'a', USAGE_BYTES_MAX + 1);
	ok(usage_parse(back, big, USAGE_BYTES_MAX + 1) == -EPX_E_USG_TOOBIG, "one byte over: E2591");
	free(big);
	u->n = 1;
	u->sl[0].v[0] = USAGE_VALUE_MAX + 1;
	ok(usage_format(u, out, USAGE_BYTES_MAX + 1, &len) == -EPX_E_USG_SYNTAX,
	   "format of a value past its cap: refused");
	u->sl[0].v[0] = 0;
	strcpy(u->sl[0].name, "Bad");
	ok(usage_format(u, out, USAGE_BYTES_MAX + 1, &len) == -EPX_E_USG_SYNTAX,
	   "format of a bad name: refused");
	u->n = 0;
	u->at = -1;
	ok(usage_format(u, out, USAGE_BYTES_MAX + 1, &len) == -EPX_E_USG_SYNTAX,
	   "format of a negative time: refused");
	free(u);
	free(back);
	free(out);
}

int main(void)
{
	test_table();
	test_values();
	test_caps();
	return test_done();
}
