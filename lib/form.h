/* form: the one application/x-www-form-urlencoded codec of epoxy: node
 * request bodies (lib/nodeproto.h), admin API records and answers
 * (docs/guide/40-epoxyctl.md), both ends.
 *
 * Guarantees of form_parse:
 * - s[0..len) is "key=value" fields joined by '&'; an empty s is a form
 *   of no fields; an empty field ("a=1&&b=2", a trailing '&') or one
 *   without '=' is refused.
 * - keys are literal LABEL_KEY names (lib/label.h: [a-z0-9_-]{1,32}, not
 *   escaped), unique within the form;
 * - values are percent-decoded with PCT_PLUS (lib/pct.h): never a NUL,
 *   never a raw control byte, at most val_max bytes once decoded;
 * - at most max_fields fields (and never more than FORM_FIELDS_MAX);
 * - it works in place: s must have len + 1 writable bytes (s[len] becomes
 *   a NUL); the struct points into s; nothing is allocated.
 * Errors: -EPX_E_FORM (syntax, bad or duplicate key, bad escape) or
 * -EPX_E_FORM_TOOBIG (too many fields, a value over val_max).
 * form_put appends one field, encoding the value with pct_encode. */
#ifndef EPOXY_FORM_H
#define EPOXY_FORM_H

#include <stddef.h>

#define FORM_FIELDS_MAX 32

struct form {
	size_t n;
	const char *key[FORM_FIELDS_MAX];
	const char *val[FORM_FIELDS_MAX];
	size_t len[FORM_FIELDS_MAX];    /* strlen(val[i]) */
};

int form_parse(struct form *f, char *s, size_t len, size_t max_fields,
	       size_t val_max);
/* The value of key, or NULL. */
const char *form_get(const struct form *f, const char *key);
/* 0 if every key of f is one of keys[0..n), else -EPX_E_FORM. */
int form_known(const struct form *f, const char *const *keys, size_t n);
/* Appends "key=value" (with a '&' first when *len > 0) to out[0..cap),
 * NUL-terminated; on -EPX_E_CODEC_SPACE *len and out[0..*len) are kept. */
int form_put(char *out, size_t cap, size_t *len, const char *key,
	     const char *val, size_t vlen);

#endif
