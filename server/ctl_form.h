/* ctl_form: the record format of the admin API (docs/guide/40-epoxyctl.md).
 *
 * Requests and answers of /admin/v1/ carry records: one record per line,
 * each an application/x-www-form-urlencoded list of key=value fields.  This
 * module encodes and decodes them for both sides (server/admin.c and
 * epoxyctl) with hard caps, and renders records as JSON for --json.
 * Decoding works in place on a caller's mutable buffer: nothing is
 * allocated, and a struct ctl_rec points into that buffer. */
#ifndef EPOXY_CTL_FORM_H
#define EPOXY_CTL_FORM_H

#include <stddef.h>
#include <stdio.h>

#define CTL_FORM_MAX_FIELDS 32
#define CTL_FORM_MAX_KEY 32
#define CTL_FORM_MAX_LINE 65536

struct ctl_rec {
	size_t n;
	const char *key[CTL_FORM_MAX_FIELDS];
	const char *val[CTL_FORM_MAX_FIELDS];
};

/* A growable output buffer; len never exceeds cap - 1 and buf is always
 * NUL-terminated.  Once an append fails, err stays set and later appends
 * are ignored, so a caller checks once at the end. */
struct ctl_buf {
	char *buf;
	size_t len, cap, max;
	int err;
};

void ctl_buf_init(struct ctl_buf *b, size_t max);
void ctl_buf_free(struct ctl_buf *b);
/* Wipes the contents before freeing (buffers that held a secret). */
void ctl_buf_wipe(struct ctl_buf *b);
void ctl_buf_add(struct ctl_buf *b, const char *s, size_t n);
void ctl_buf_str(struct ctl_buf *b, const char *s);
void ctl_buf_printf(struct ctl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends "&key=value" ("key=value" at the start of a line), percent-
 * encoding the value. */
void ctl_buf_field(struct ctl_buf *b, const char *key, const char *val);
void ctl_buf_fieldu(struct ctl_buf *b, const char *key, unsigned long long v);
/* Ends the record with "\n". */
void ctl_buf_endrec(struct ctl_buf *b);

/* Decodes one line s[0..len) (no newline) in place into r.  Keys must be
 * [a-z0-9_-]{1,CTL_FORM_MAX_KEY}, unique, at most CTL_FORM_MAX_FIELDS of
 * them; values are percent-decoded and must not contain NUL.  An empty
 * line is a record with no fields.  Returns 0 or -EPX_E_ADM_FORM /
 * -EPX_E_ADM_TOOBIG. */
int ctl_form_parse(struct ctl_rec *r, char *s, size_t len);
/* Value of key in r, or NULL. */
const char *ctl_rec_get(const struct ctl_rec *r, const char *key);

/* Splits buf[0..len) at newlines; calls fn for each decoded record.
 * Stops at the first error from parsing or from fn.  Modifies buf. */
int ctl_form_each(char *buf, size_t len,
		  int (*fn)(const struct ctl_rec *r, void *arg), void *arg);

/* JSON rendering (UTF-8 passed through, control bytes escaped). */
void ctl_json_str(FILE *f, const char *s);
void ctl_json_rec(FILE *f, const struct ctl_rec *r);

#endif
