/* form: x-www-form-urlencoded fields, parsed in place (see form.h).
 *
 * Guarantees: never reads outside s[0..len], never writes outside it
 * (decoding only shrinks), and accepts only what label_check(LABEL_KEY)
 * and pct_decode accept for keys and values. */
#include <string.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/label.h"
#include "lib/pct.h"

/* One "k=v" at p[0..n); p[n] is writable ('&' or the end of s). */
static int form_pair(struct form *f, char *p, size_t n, size_t val_max)
{
	char *eq = memchr(p, '=', n);
	size_t klen, vlen, i;

	if (!eq)
		return -EPX_E_FORM;
	klen = (size_t)(eq - p);
	if (label_check(LABEL_KEY, p, klen) < 0)
		return -EPX_E_FORM;
	*eq = '\0';
	for (i = 0; i < f->n; i++)
		if (!strcmp(f->key[i], p))
			return -EPX_E_FORM;
	if (pct_decode(eq + 1, n - klen - 1, eq + 1, n - klen, &vlen, PCT_PLUS) < 0)
		return -EPX_E_FORM;
	if (vlen > val_max)
		return -EPX_E_FORM_TOOBIG;
	f->key[f->n] = p;
	f->val[f->n] = eq + 1;
	f->len[f->n] = vlen;
	f->n++;
	return 0;
}

int form_parse(struct form *f, char *s, size_t len, size_t max_fields,
	       size_t val_max)
{
	size_t start = 0, i;
	int rc;

	f->n = 0;
	if (max_fields > FORM_FIELDS_MAX)
		max_fields = FORM_FIELDS_MAX;
	if (len == 0) {
		s[0] = '\0';
		return 0;
	}
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '&')
			continue;
		if (f->n >= max_fields)
			return -EPX_E_FORM_TOOBIG;
		rc = form_pair(f, s + start, i - start, val_max);
		if (rc < 0)
			return rc;
		start = i + 1;
	}
	return 0;
}

const char *form_get(const struct form *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->key[i], key))
			return f->val[i];
	return NULL;
}

int form_known(const struct form *f, const char *const *keys, size_t n)
{
	size_t i, j;

	for (i = 0; i < f->n; i++) {
		for (j = 0; j < n && strcmp(f->key[i], keys[j]); j++)
			;
		if (j == n)
			return -EPX_E_FORM;
	}
	return 0;
}

int form_put(char *out, size_t cap, size_t *len, const char *key,
	     const char *val, size_t vlen)
{
	size_t klen = strlen(key), o = *len, w;

	if (o >= cap || cap - o < 1 + klen + 1 + 1)
		return -EPX_E_CODEC_SPACE;
	if (o > 0)
		out[o++] = '&';
	memcpy(out + o, key, klen);
	o += klen;
	out[o++] = '=';
	if (pct_encode(val, vlen, out + o, cap - o, &w) < 0) {
		out[*len] = '\0';
		return -EPX_E_CODEC_SPACE;
	}
	*len = o + w;
	return 0;
}
