/* fuzz_ipxe: the iPXE script renderer (server/ipxe.c) with arbitrary field
 * values, checking its injection-proof property, not just memory safety:
 * the input is split at NUL bytes into host, mac, uuid, serial, platform,
 * buildarch and cmdline; whatever they hold, the rendered script must have
 * exactly the shape (line count, first word and word count of every line)
 * of the script rendered with benign values, and no '$', '{', '}', '|', '&'
 * or '#' outside the template's own text.  A violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/ipxe.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* shape of one line: first word and number of words */
static int fz_shape(const char *s, char out[][48], int max)
{
	int lines = 0;

	while (*s && lines < max) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s), i, w = 0, f = 0;

		for (i = 0; i < len; i++)
			if (s[i] != ' ' && (i == 0 || s[i - 1] == ' ') && w++ == 0)
				for (f = i; f < len && s[f] != ' '; f++)
					;
		if (s[0] == '#' || s[0] == ':')
			snprintf(out[lines], 48, "%.*s", (int)(len < 40 ? len : 40), s);
		else
			snprintf(out[lines], 48, "%.*s/%zu", (int)(f < 30 ? f : 30), s, w);
		lines++;
		s += len + (nl ? 1 : 0);
	}
	return lines;
}

/* no special character in any line but the template's fixed ones */
static int fz_clean(const char *s)
{
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s), i;
		const char *tail = strstr(s, " || ");

		if (tail && tail < s + len)
			len = (size_t)(tail - s);      /* "|| goto failN" / "|| exit 1" */
		if (s[0] != '#')
			for (i = 0; i < len; i++)
				if (strchr("${}|&#\"'\\\r\t", s[i]))
					return 0;
		s = nl ? nl + 1 : s + strlen(s);
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static char in[4096], ref[IPXE_SCRIPT_MAX], got[IPXE_SCRIPT_MAX];
	static char sref[80][48], sgot[80][48];
	const char *f[7] = { "node1", "52-54-00-12-34-56", "u", "s", "efi", "x86_64", "quiet" };
	struct ipxe_stage1 p, b;
	size_t i, k = 0, start = 0;
	int nr, ng, rr, rg, j;

	if (n >= sizeof(in))
		n = sizeof(in) - 1;
	memcpy(in, d, n);
	in[n] = '\0';
	for (i = 0; i <= n && k < 7; i++)
		if (i == n || in[i] == '\0') {
			in[i] = '\0';
			f[k++] = in + start;
			start = i + 1;
		}
	memset(&p, 0, sizeof(p));
	p.boot_url = "http://10.0.2.100:8080";
	p.host = f[0]; p.mac = f[1]; p.uuid = f[2]; p.serial = f[3];
	p.platform = f[4]; p.buildarch = f[5]; p.cmdline = f[6];
	p.retry_s = n % 100;
	p.tries = (unsigned)(n % 11);
	b = p;
	b.host = "h"; b.mac = "m"; b.uuid = "u"; b.serial = "s"; b.buildarch = "a";
	rg = ipxe_render_stage1(&p, got, sizeof(got));
	rr = ipxe_render_stage1(&b, ref, sizeof(ref));
	if (rg >= 0) {
		if (rr < 0 || !fz_clean(got))
			abort();
		nr = fz_shape(ref, sref, 80);
		ng = fz_shape(got, sgot, 80);
		if (nr != ng)
			abort();
		for (j = 0; j < nr; j++)
			if (strcmp(sref[j], sgot[j]))
				abort();
	}
	if (ipxe_escape(in, n > IPXE_VALUE_MAX ? IPXE_VALUE_MAX : n, got, sizeof(got)) >= 0 &&
	    strpbrk(got, " ${}|&#\n"))
		abort();
	return 0;
}
