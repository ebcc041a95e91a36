/* test_record: the admin API's record codec (lib/record.c), the
 * parser both epoxyd and epoxyctl run on untrusted bytes.  A table of valid
 * and malformed lines, a round trip of hostile values, buffer caps. */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/record.h"
#include "tests/test.h"

struct form_case {
	const char *name;
	const char *in;
	int rc;            /* expected return */
	size_t n;          /* expected fields */
	const char *key, *val;  /* one field to check (optional) */
};

static const struct form_case form_cases[] = {
	{ "empty line", "", 0, 0, NULL, NULL },
	{ "one field", "name=node1", 0, 1, "name", "node1" },
	{ "two fields", "name=node1&hwclass=qemu", 0, 2, "hwclass", "qemu" },
	{ "empty value", "site=", 0, 1, "site", "" },
	{ "plus is space", "detail=a+b", 0, 1, "detail", "a b" },
	{ "escaped semicolon", "name=a%3Breboot", 0, 1, "name", "a;reboot" },
	{ "escaped slash", "name=..%2Fx", 0, 1, "name", "../x" },
	{ "escaped newline", "tail=a%0Ab", 0, 1, "tail", "a\nb" },
	{ "lowercase hex escape", "v=%3b", 0, 1, "v", ";" },
	{ "escaped amp", "v=a%26b=c", 0, 1, "v", "a&b=c" },
	{ "value with =", "v=a=b", 0, 1, "v", "a=b" },
	{ "key with digits and _-", "last_stage-2=x", 0, 1, "last_stage-2", "x" },
	{ "high bytes pass", "v=%C3%A9", 0, 1, "v", "\xc3\xa9" },
	{ "no equals", "name", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "empty key", "=x", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "uppercase key", "Name=x", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "key with space", "na me=x", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "key with dot", "a.b=x", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "key with percent", "a%62=x", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "key too long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=x", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "key at cap", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=x", 0, 1, NULL, NULL },
	{ "duplicate key", "a=1&a=2", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "trailing amp", "a=1&", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "leading amp", "&a=1", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "double amp", "a=1&&b=2", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "escaped NUL", "a=x%00y", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "short escape at end", "a=%4", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "bare percent", "a=%", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "bad hex escape", "a=%zz", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "half bad escape", "a=%4g", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "raw newline", "a=1\nb=2", -EPX_E_ADM_FORM, 0, NULL, NULL },
	{ "33 fields", "a0=0&a1=1&a2=2&a3=3&a4=4&a5=5&a6=6&a7=7&a8=8&a9=9&b0=0&b1=1&b2=2&b3=3&b4=4&b5=5&b6=6&b7=7&b8=8&b9=9&c0=0&c1=1&c2=2&c3=3&c4=4&c5=5&c6=6&c7=7&c8=8&c9=9&d0=0&d1=1&d2=2",
	  -EPX_E_ADM_TOOBIG, 0, NULL, NULL },
	{ "32 fields", "a0=0&a1=1&a2=2&a3=3&a4=4&a5=5&a6=6&a7=7&a8=8&a9=9&b0=0&b1=1&b2=2&b3=3&b4=4&b5=5&b6=6&b7=7&b8=8&b9=9&c0=0&c1=1&c2=2&c3=3&c4=4&c5=5&c6=6&c7=7&c8=8&c9=9&d0=0&d1=1",
	  0, 32, "d1", "1" },
};

static void test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
		const struct form_case *c = &form_cases[i];
		size_t len = strlen(c->in);
		char *buf = malloc(len + 1);
		struct form r;
		int rc;

		memcpy(buf, c->in, len + 1);
		rc = record_parse(&r, buf, len);
		ok(rc == c->rc, "parse: %s (rc %d, want %d)", c->name, rc, c->rc);
		if (rc == 0 && c->rc == 0) {
			ok(r.n == c->n, "parse: %s: %zu fields", c->name, r.n);
			if (c->key)
				ok(form_get(&r, c->key) && !strcmp(form_get(&r, c->key), c->val),
				   "parse: %s: value of %s", c->name, c->key);
		}
		free(buf);
	}
}

static void test_embedded_nul(void)
{
	char buf[] = "a=1\0b=2";
	struct form r;

	ok(record_parse(&r, buf, sizeof(buf) - 1) == -EPX_E_ADM_FORM,
	   "parse: raw NUL inside the line is refused");
}

static void test_oversized(void)
{
	size_t len = RECORD_MAX_LINE + 1;
	char *buf = malloc(len + 1);
	struct form r;

	memset(buf, 'a', len);
	buf[0] = 'v';
	buf[1] = '=';
	buf[len] = '\0';
	ok(record_parse(&r, buf, len) == -EPX_E_ADM_TOOBIG, "parse: line over the cap refused");
	ok(record_parse(&r, buf, len - 1) == 0, "parse: line at the cap accepted");
	free(buf);
}

/* Every byte 1..255 survives encode then decode. */
static void test_roundtrip(void)
{
	static const char *const hostile[] = {
		"a;reboot", "../x", "$(reboot)", "`id`", "a b&c=d%", "line1\nline2",
		"quote\"'", "\x01\x1f\x7f\xff", "#!ipxe\nshell", "%00", "+plus+",
	};
	char all[256];
	struct record_buf b;
	struct form r;
	size_t i;
	int rc;

	for (i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	record_buf_init(&b, 1 << 16);
	record_buf_field(&b, "all", all);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char key[8];

		snprintf(key, sizeof(key), "h%zu", i);
		record_buf_field(&b, key, hostile[i]);
	}
	ok(b.err == 0 && strchr(b.buf, '\n') == NULL, "encode: no raw newline in an encoded record");
	rc = record_parse(&r, b.buf, b.len);
	ok(rc == 0, "roundtrip: parse of encoded hostile values (rc %d)", rc);
	ok(rc == 0 && !strcmp(form_get(&r, "all"), all), "roundtrip: every byte 1..255");
	for (i = 0; rc == 0 && i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char key[8];

		snprintf(key, sizeof(key), "h%zu", i);
		ok(!strcmp(form_get(&r, key), hostile[i]), "roundtrip: hostile value %zu", i);
	}
	record_buf_free(&b);
}

static int count_cb(const struct form *r, void *arg)
{
	(*(int *)arg)++;
	return r->n > 5 ? -1 : 0;
}

static void test_each(void)
{
	char ok1[] = "a=1\nb=2&c=3\n\n";
	char noeol[] = "a=1\nb=2";
	char bad2[] = "a=1\nb\n";
	int n = 0;

	ok(record_each(ok1, strlen(ok1), count_cb, &n) == 0 && n == 3,
	   "each: three records (one empty)");
	n = 0;
	ok(record_each(noeol, strlen(noeol), count_cb, &n) == -EPX_E_ADM_FORM,
	   "each: unterminated last record refused");
	n = 0;
	ok(record_each(bad2, strlen(bad2), count_cb, &n) == -EPX_E_ADM_FORM && n == 1,
	   "each: stops at the first malformed record");
}

static void test_buf_caps(void)
{
	struct record_buf b;
	int i;

	record_buf_init(&b, 16);
	record_buf_str(&b, "0123456789");
	ok(b.err == 0 && b.len == 10, "buf: within cap");
	record_buf_str(&b, "0123456789");
	ok(b.err == -EPX_E_ADM_TOOBIG && b.len == 10 && b.buf[10] == '\0',
	   "buf: over cap sets err, keeps contents");
	record_buf_str(&b, "x");
	ok(b.len == 10, "buf: sticky error ignores later appends");
	record_buf_wipe(&b);
	ok(b.buf == NULL, "buf: wipe frees");
	record_buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		record_buf_field(&b, "k", "v");
	ok(b.err == 0 && b.len == 10000 * 4 - 1, "buf: growth keeps every byte");
	record_buf_free(&b);
}

static void test_json(void)
{
	char line[] = "a=%22q%22&b=%5C&c=%01&d=%C3%A9";
	struct form r;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ok(record_parse(&r, line, strlen(line)) == 0, "json: parse");
	record_json_rec(f, &r);
	fclose(f);
	ok(out && !strcmp(out, "{\"a\": \"\\\"q\\\"\", \"b\": \"\\\\\", \"c\": \"\\u0001\", \"d\": \"\\ufffd\\ufffd\"}"),
	   "json: quotes, backslash, control and non-ASCII bytes escaped: %s", out ? out : "");
	free(out);
}

int main(void)
{
	test_table();
	test_embedded_nul();
	test_oversized();
	test_roundtrip();
	test_each();
	test_buf_caps();
	test_json();
	return test_done();
}
