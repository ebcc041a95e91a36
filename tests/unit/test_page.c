/* Table test of the status page's pure parts: the one HTML escaper
 * (server/html.c: every dangerous byte, control bytes, caps, the growing
 * buffer's cap), the session cookie's parser (server/page.c) and the fleet
 * filter's parser (server/fleet.c: the page's and GET /admin/v1/fleet's). */
#include <errno.h>
#include <string.h>

#include "lib/err.h"
#include "server/fleet.h"
#include "server/html.h"
#include "server/page.h"
#include "tests/test.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *in;
	size_t n;             /* 0: strlen(in) */
	int flags;
	const char *out;      /* NULL: -ENOSPC with cap */
	size_t cap;           /* 0: 256 */
} escs[] = {
	{ "", 0, 0, "", 0 },
	{ "plain text 123", 0, 0, "plain text 123", 0 },
	{ "<", 0, 0, "&lt;", 0 },
	{ ">", 0, 0, "&gt;", 0 },
	{ "&", 0, 0, "&amp;", 0 },
	{ "\"", 0, 0, "&quot;", 0 },
	{ "'", 0, 0, "&#39;", 0 },
	{ "<script>alert(1)</script>", 0, 0,
	  "&lt;script&gt;alert(1)&lt;/script&gt;", 0 },
	{ "&amp;", 0, 0, "&amp;amp;", 0 },
	{ "&lt;b&gt;", 0, 0, "&amp;lt;b&amp;gt;", 0 },
	{ "a\"onmouseover=\"x", 0, 0, "a&quot;onmouseover=&quot;x", 0 },
	{ "' onload='x", 0, 0, "&#39; onload=&#39;x", 0 },
	{ "\x1b[31mred", 0, 0, "\\x1b[31mred", 0 },
	{ "a\nb", 0, 0, "a\\x0ab", 0 },
	{ "a\nb", 0, HTML_NL, "a\nb", 0 },
	{ "a\rb", 0, HTML_NL, "a\\x0db", 0 },
	{ "t\tb", 0, HTML_NL, "t\\x09b", 0 },
	{ "\x7f", 0, 0, "\\x7f", 0 },
	{ "\xc3\xa9", 0, 0, "\\xc3\\xa9", 0 },
	{ "\xff<", 0, 0, "\\xff&lt;", 0 },
	{ "a\0b", 3, 0, "a\\x00b", 0 },
	{ "\\", 0, 0, "\\", 0 },
	{ "`=/", 0, 0, "`=/", 0 },
	/* caps: the NUL needs its byte; a replacement is never cut */
	{ "abc", 0, 0, "abc", 4 },
	{ "abc", 0, 0, NULL, 3 },
	{ "<", 0, 0, "&lt;", 5 },
	{ "<", 0, 0, NULL, 4 },
	{ "a<", 0, 0, NULL, 5 },
	{ "", 0, 0, "", 1 },
};

static void test_escape(void)
{
	char out[256];
	size_t i;

	for (i = 0; i < N(escs); i++) {
		size_t n = escs[i].n ? escs[i].n : strlen(escs[i].in);
		size_t cap = escs[i].cap ? escs[i].cap : sizeof(out);
		long rc = html_escape(escs[i].in, n, out, cap, escs[i].flags);

		if (!escs[i].out)
			ok(rc == -ENOSPC && out[0] == '\0', "escape #%zu: -ENOSPC at cap %zu", i, cap);
		else
			ok(rc == (long)strlen(escs[i].out) && !strcmp(out, escs[i].out),
			   "escape #%zu: '%s'", i, escs[i].out);
	}
	ok(html_escape("a", 1, out, 0, 0) == -ENOSPC, "escape: cap 0 refused");
}

static void test_buf(void)
{
	struct html_buf b;
	size_t i;

	html_buf_init(&b, 16);
	html_raw(&b, "<p>");
	html_textz(&b, "<&>");
	ok(!b.err && !strcmp(b.buf, "<p>&lt;&amp;&gt;"), "buf: raw markup and escaped text");
	html_textz(&b, "x");
	ok(b.err == -EPX_E_PAGE_TOOBIG, "buf: past its max the page is refused");
	html_raw(&b, "y");
	ok(b.err == -EPX_E_PAGE_TOOBIG && b.len <= 16, "buf: nothing added after the cap");
	html_buf_free(&b);
	html_buf_init(&b, 1u << 20);
	for (i = 0; i < 10000; i++)
		html_textz(&b, "\"");
	ok(!b.err && b.len == 60000 && !strchr(b.buf, '"'), "buf: grows, 10000 quotes escaped");
	html_buf_free(&b);
	html_buf_init(&b, 64);
	html_rawf(&b, "<td>%d</td>", 42);
	ok(!b.err && !strcmp(b.buf, "<td>42</td>"), "buf: rawf of a number");
	html_buf_free(&b);
}

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
static const struct {
	const char *hdr;
	int rc;
} cookies[] = {
	{ PAGE_COOKIE "=" H64, 0 },
	{ "a=b; " PAGE_COOKIE "=" H64, 0 },
	{ PAGE_COOKIE "=" H64 "; theme=dark", 0 },
	{ "x=1;" PAGE_COOKIE "=" H64, 0 },
	{ "", -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=", -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=" H64 "0", -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	  -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	  -EPX_E_PAGE_AUTH },
	{ "x" PAGE_COOKIE "=" H64, -EPX_E_PAGE_AUTH },
	{ "epoxy-ui=" H64, -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE " =" H64, -EPX_E_PAGE_AUTH },
	{ PAGE_COOKIE "=\"" H64 "\"", -EPX_E_PAGE_AUTH },
	{ ";;;;", -EPX_E_PAGE_AUTH },
	{ "   ", -EPX_E_PAGE_AUTH },
};

static void test_cookie(void)
{
	char out[65];
	size_t i;

	for (i = 0; i < N(cookies); i++) {
		int rc = page_cookie(cookies[i].hdr, out);

		ok(rc == cookies[i].rc && (rc || !strcmp(out, H64)),
		   "cookie #%zu: %d", i, cookies[i].rc);
	}
}

static const struct {
	const char *k[3], *v[3];
	int admin, rc;
	const char *site, *state, *group;
	uint32_t release;
	size_t limit;
} filters[] = {
	{ { NULL }, { NULL }, 0, 0, "", "", "", 0, FLEET_HOSTS_MAX },
	{ { "site", "state" }, { "ber01", "failed" }, 0, 0, "ber01", "failed", "", 0, FLEET_HOSTS_MAX },
	{ { "group", "release" }, { "canary", "7" }, 0, 0, "", "", "canary", 7, FLEET_HOSTS_MAX },
	{ { "site", "release" }, { "", "" }, 0, 0, "", "", "", 0, FLEET_HOSTS_MAX },
	{ { "limit" }, { "10" }, 1, 0, "", "", "", 0, 10 },
	{ { "limit" }, { "10" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "limit" }, { "0" }, 1, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "limit" }, { "4097" }, 1, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "site" }, { "<script>" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "site" }, { "Ber01" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "state" }, { "a\"b" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "state" }, { "a.b" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "group" }, { "x y" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release" }, { "0" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release" }, { "07" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release" }, { "-1" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release" }, { "4294967296" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "release", "release" }, { "1", "2" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "site", "site" }, { "a", "b" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "colour" }, { "red" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "site" }, { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }, 0,
	  -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
	{ { "state" }, { "aaaaaaaaaaaaaaaa" }, 0, -EPX_E_PAGE_FILTER, "", "", "", 0, 0 },
};

static void test_filter(void)
{
	static struct http_arg args[3];
	struct fleet_filter f;
	size_t i, n;

	for (i = 0; i < N(filters); i++) {
		int rc;

		for (n = 0; n < 3 && filters[i].k[n]; n++) {
			snprintf(args[n].key, sizeof(args[n].key), "%s", filters[i].k[n]);
			snprintf(args[n].val, sizeof(args[n].val), "%s", filters[i].v[n]);
			args[n].val_len = strlen(args[n].val);
		}
		rc = fleet_filter_parse(args, n, filters[i].admin, &f);
		ok(rc == filters[i].rc && (rc || (!strcmp(f.site, filters[i].site) &&
		   !strcmp(f.state, filters[i].state) && !strcmp(f.group, filters[i].group) &&
		   f.release == filters[i].release && f.limit == filters[i].limit)),
		   "filter #%zu: %d", i, filters[i].rc);
	}
}

int main(void)
{
	test_escape();
	test_buf();
	test_cookie();
	test_filter();
	return test_done();
}
