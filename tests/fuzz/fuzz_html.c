/* fuzz_html: the status page's escaper (server/html.c) and its session
 * cookie parser (server/page.c) on any bytes.  The first byte picks the
 * flags and the output cap; the rest is the input.  Properties, each an
 * abort() when broken:
 * - html_escape's output never holds '<', '>', '"' or '\'' (so no byte of
 *   the input can open a tag or leave an attribute), never a control byte
 *   but '\n' under HTML_NL, never a byte >= 0x7f; every '&' starts one of
 *   the five entities; decoding the output gives back the input (the
 *   "\xNN" form decodes too); a too-small cap gives -ENOSPC and "";
 * - html_text into a capped buffer agrees with html_escape, or refuses the
 *   page with -EPX_E_PAGE_TOOBIG;
 * - page_cookie accepts only a value of 64 lowercase hex digits that the
 *   header holds right after the cookie's name. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "server/html.h"
#include "server/page.h"

#define FUZZ_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void want(int cond)
{
	if (!cond)
		abort();
}

static int fuzz_hex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes out back into dec; returns its length. */
static size_t fuzz_decode(const char *out, size_t n, char *dec)
{
	static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	static const char lit[] = "&<>\"'";
	size_t i = 0, d = 0, k;

	while (i < n) {
		if (out[i] == '&') {
			for (k = 0; k < 5; k++)
				if (!strncmp(out + i, ent[k], strlen(ent[k])))
					break;
			want(k < 5);
			dec[d++] = lit[k];
			i += strlen(ent[k]);
		} else if (out[i] == '\\' && i + 3 < n + 0 && out[i + 1] == 'x' &&
			   fuzz_hex(out[i + 2]) >= 0 && fuzz_hex(out[i + 3]) >= 0) {
			dec[d++] = (char)(fuzz_hex(out[i + 2]) << 4 | fuzz_hex(out[i + 3]));
			i += 4;
		} else {
			dec[d++] = out[i++];
		}
	}
	return d;
}

static void fuzz_escape(const char *in, size_t n, int flags, size_t cap)
{
	static char out[FUZZ_MAX * HTML_ESC_MAX + 1], dec[FUZZ_MAX * HTML_ESC_MAX + 1];
	long rc = html_escape(in, n, out, cap, flags);
	size_t i, dn;

	if (rc < 0) {
		want(rc == -ENOSPC && out[0] == '\0');
		want(html_escape(in, n, out, sizeof(out), flags) >= (long)cap - 1);
		return;
	}
	want((size_t)rc < cap && out[rc] == '\0');
	for (i = 0; i < (size_t)rc; i++) {
		unsigned char ch = (unsigned char)out[i];

		want(!strchr("<>\"'", ch) || !ch);
		want(ch >= 0x20 || (ch == '\n' && (flags & HTML_NL)));
		want(ch < 0x7f);
	}
	dn = fuzz_decode(out, (size_t)rc, dec);
	/* a literal "\x41" in the input decodes as 'A': compare only when the
	 * input holds no backslash */
	if (!memchr(in, '\\', n))
		want(dn == n && !memcmp(dec, in, n));
}

static void fuzz_buf(const char *in, size_t n, int flags, size_t max)
{
	static char ref[FUZZ_MAX * HTML_ESC_MAX + 1];
	struct record_buf b;
	long r = html_escape(in, n, ref, sizeof(ref), flags);

	html_buf_init(&b, max);
	html_text(&b, in, n, flags);
	want(r >= 0);
	if ((size_t)r <= max)
		want(!b.err && b.len == (size_t)r && (!r || !memcmp(b.buf, ref, (size_t)r)));
	else
		want(b.err == -EPX_E_PAGE_TOOBIG && b.len <= max);
	html_buf_free(&b);
}

static void fuzz_cookie(const char *in, size_t n)
{
	static const char name[] = PAGE_COOKIE "=";
	static char hdr[FUZZ_MAX + 1];
	char out[65];
	const char *p;

	memcpy(hdr, in, n);
	hdr[n] = '\0';
	if (page_cookie(hdr, out) < 0)
		return;
	want(strlen(out) == 64 && strspn(out, "0123456789abcdef") == 64);
	p = strstr(hdr, out);
	want(p && p - hdr >= (long)sizeof(name) - 1 &&
	     !strncmp(p - (sizeof(name) - 1), name, sizeof(name) - 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t n;
	int flags;

	if (size < 1 || size > FUZZ_MAX + 1)
		return 0;
	n = size - 1;
	flags = data[0] & 1 ? HTML_NL : 0;
	fuzz_escape(in, n, flags, data[0] & 2 ? (size_t)(data[0] >> 2) + 1 :
		    FUZZ_MAX * HTML_ESC_MAX + 1);
	fuzz_buf(in, n, flags, (size_t)data[0] * 16);
	fuzz_cookie(in, strnlen(in, n));
	return 0;
}
