/* fuzz_codec: every parser of the wire codec (lib/num, hex, label, pct,
 * form, line) on any bytes.  The first byte picks caps; the rest is the input.
 * Properties, each an abort() when broken:
 * - every function returns 0 or its own registered code, never anything
 *   else, and never reads outside the input (ASan);
 * - num: an accepted number re-printed with %llu is the input itself
 *   (one spelling), and is within max;
 * - hex: hex_check and hex_decode agree, and hex_encode(decode(x)) == x;
 * - label: an accepted name is within its class's cap and alphabet
 *   (LABEL_ADDR: [0-9a-fA-F.:/], at least 2 bytes);
 * - pct: decode(encode(x)) == x for x without NUL; an accepted decode
 *   never holds a NUL; decoding never grows;
 * - form: every accepted key passes label_check(LABEL_KEY), every value
 *   is NUL-free and within val_max, keys are unique; form_put of the
 *   parsed fields parses again to the same fields;
 * - line: walking the input line by line with an empty prefix ends
 *   exactly at the last '\n', every value within the input and free of
 *   '\n'; a failure leaves the position alone. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/line.h"
#include "lib/num.h"
#include "lib/pct.h"

#define FUZZ_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void want(int cond)
{
	if (!cond)
		abort();
}

static void fuzz_num(const char *s, size_t n, uint8_t sel)
{
	uint64_t max = sel & 1 ? UINT64_MAX : (uint64_t)sel * 1000003u, v;
	int64_t iv, lo, hi;
	char buf[32];
	int rc = num_parse_u64(s, n, max, &v);

	want(rc == 0 || rc == -EPX_E_NUM_SYNTAX || rc == -EPX_E_NUM_RANGE);
	if (rc == 0) {
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
		want(v <= max && strlen(buf) == n && !memcmp(buf, s, n));
	}
	lo = sel & 1 ? INT64_MIN : -(int64_t)(max / 2);
	hi = sel & 1 ? INT64_MAX : (int64_t)(max / 2);
	rc = num_parse_i64(s, n, lo, hi, &iv);
	want(rc == 0 || rc == -EPX_E_NUM_SYNTAX || rc == -EPX_E_NUM_RANGE);
	if (rc == 0) {
		snprintf(buf, sizeof(buf), "%" PRId64, iv);
		want(iv >= lo && iv <= hi && strlen(buf) == n && !memcmp(buf, s, n));
	}
}

static void fuzz_hex(const char *s, size_t n)
{
	uint8_t raw[FUZZ_MAX / 2];
	char back[FUZZ_MAX + 1];
	int rc = hex_decode(s, n, raw, n / 2);

	want(rc == 0 || rc == -EPX_E_HEX);
	if (n % 2 == 0)
		want(hex_check(s, n, n) == rc);
	if (rc == 0) {
		hex_encode(raw, n / 2, back);
		want(!memcmp(back, s, n));
	}
}

static void fuzz_label(const char *s, size_t n)
{
	static const size_t caps[] = { LABEL_HOST_MAX, LABEL_DNS_MAX, LABEL_TAG_MAX,
				       LABEL_WORD_MAX, LABEL_KEY_MAX, LABEL_FIELD_MAX,
				       LABEL_ACTOR_MAX, LABEL_ADDR_MAX };
	size_t c, i;
	int rc;

	for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		rc = label_check((enum label_class)c, s, n);
		want(rc == 0 || rc == -EPX_E_LABEL || rc == -EPX_E_LABEL_LONG);
		if (rc != 0)
			continue;
		want(n >= (c == LABEL_ADDR ? 2 : 1) && n <= caps[c]);
		for (i = 0; i < n && c == LABEL_ADDR; i++)
			want(s[i] && strchr("0123456789abcdefABCDEF.:/", s[i]));
		for (i = 0; i < n && c != LABEL_ADDR; i++)
			want((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			     strchr("._-", s[i]) || (c == LABEL_ACTOR && s[i] &&
			     (strchr(":@/", s[i]) || (s[i] >= 'A' && s[i] <= 'Z'))));
	}
}

static void fuzz_pct(const char *s, size_t n, uint8_t sel)
{
	static char enc[3 * FUZZ_MAX + 1], dec[FUZZ_MAX + 1];
	size_t el, dl;
	int rc;

	rc = pct_decode(s, n, dec, sizeof(dec), &dl, sel & PCT_PLUS);
	want(rc == 0 || rc == -EPX_E_PCT);
	if (rc == 0)
		want(dl <= n && strlen(dec) == dl);
	if (memchr(s, 0, n))
		return;
	want(pct_encode(s, n, enc, sizeof(enc), &el) == 0 && el == pct_encoded_len(s, n));
	rc = pct_decode(enc, el, dec, sizeof(dec), &dl, sel & PCT_PLUS);
	want(rc == 0 && dl == n && !memcmp(dec, s, n));
	rc = pct_encode(s, n, enc, (size_t)sel + 1, &el);
	want(rc == 0 || rc == -EPX_E_CODEC_SPACE);
	want(strlen(enc) <= sel);
}

static void fuzz_form(const char *s, size_t n, uint8_t sel)
{
	static char buf[FUZZ_MAX + 1], out[3 * FUZZ_MAX + 64 * FORM_FIELDS_MAX];
	size_t maxf = (size_t)(sel & 31) + 1, vmax = (size_t)sel * 16, i, j, len = 0;
	struct form f, g;
	int rc;

	memcpy(buf, s, n);
	rc = form_parse(&f, buf, n, maxf, vmax);
	want(rc == 0 || rc == -EPX_E_FORM || rc == -EPX_E_FORM_TOOBIG);
	if (rc < 0)
		return;
	want(f.n <= maxf);
	for (i = 0; i < f.n; i++) {
		want(label_check_str(LABEL_KEY, f.key[i]) == 0);
		want(strlen(f.val[i]) == f.len[i] && f.len[i] <= vmax);
		for (j = 0; j < i; j++)
			want(strcmp(f.key[i], f.key[j]));
		want(form_put(out, sizeof(out), &len, f.key[i], f.val[i], f.len[i]) == 0);
	}
	want(form_parse(&g, out, len, maxf, vmax) == 0 && g.n == f.n);
	for (i = 0; i < f.n; i++)
		want(!strcmp(g.key[i], f.key[i]) && g.len[i] == f.len[i] &&
		     !memcmp(g.val[i], f.val[i], f.len[i]));
}

static void fuzz_line(const char *s, size_t n, uint8_t sel)
{
	const char *v, *last = NULL;
	size_t pos = 0, was;
	long rc;

	for (;;) {
		was = pos;
		v = NULL;
		rc = line_take(s, n, &pos, "", &v);
		if (rc < 0)
			break;
		want(v == s + was && pos == was + (size_t)rc + 1 && pos <= n &&
		     !memchr(v, '\n', (size_t)rc));
		last = s + pos - 1;
	}
	want(rc == -EPX_E_LINE && pos == was && v == NULL);
	want(last ? memrchr(s, '\n', n) == last : !memchr(s, '\n', n));
	pos = sel;
	rc = line_take(s, n, &pos, "x", &v);
	want(rc == -EPX_E_LINE ? pos == sel : (pos <= n && s[pos - 1] == '\n' &&
	     s[sel] == 'x'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s;
	uint8_t sel;
	size_t n;

	if (size < 1 || size > FUZZ_MAX + 1)
		return 0;
	sel = data[0];
	s = (const char *)data + 1;
	n = size - 1;
	fuzz_num(s, n, sel);
	fuzz_hex(s, n);
	fuzz_label(s, n);
	fuzz_pct(s, n, sel);
	fuzz_form(s, n, sel);
	fuzz_line(s, n, sel);
	return 0;
}
