/* record: the record format of the admin API (docs/guide/40-epoxyctl.md).
 *
 * Requests and answers of /admin/v1/ carry records: one record per line,
 * each an application/x-www-form-urlencoded list of key=value fields.  This
 * module encodes and decodes them for both sides (server/admin.c and
 * ctl/, epoxyctl) with hard caps, and renders records as JSON for --json.
 * A decoded record is a struct form of lib/form.h, read with form_get():
 * there is no second form parser.  Decoding works in place on a caller's
 * mutable buffer: nothing is allocated, and the struct form points into
 * that buffer. */
#ifndef EPOXY_RECORD_H
#define EPOXY_RECORD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/form.h"
#include "lib/label.h"

#define RECORD_MAX_FIELDS FORM_FIELDS_MAX
#define RECORD_MAX_KEY LABEL_KEY_MAX
#define RECORD_MAX_LINE 65536

/* A growable output buffer; len never exceeds cap - 1 and buf is always
 * NUL-terminated.  Once an append fails, err stays set and later appends
 * are ignored, so a caller checks once at the end. */
struct record_buf {
	char *buf;
	size_t len, cap, max;
	int err;
	int toobig;             /* err past max: -EPX_E_ADM_TOOBIG unless set */
};

void record_buf_init(struct record_buf *b, size_t max);
void record_buf_free(struct record_buf *b);
/* Wipes the contents before freeing (buffers that held a secret). */
void record_buf_wipe(struct record_buf *b);
void record_buf_add(struct record_buf *b, const char *s, size_t n);
void record_buf_str(struct record_buf *b, const char *s);
void record_buf_vprintf(struct record_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void record_buf_printf(struct record_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends "&key=value" ("key=value" at the start of a line), the value
 * percent-encoded by lib/pct.h (RFC 3986 unreserved bytes as they are). */
void record_buf_field(struct record_buf *b, const char *key, const char *val);
void record_buf_fieldu(struct record_buf *b, const char *key, unsigned long long v);
/* Ends the record with "\n". */
void record_buf_endrec(struct record_buf *b);

/* Decodes one line s[0..len) (no newline; s[len] writable) in place into
 * r with form_parse (lib/form.h): keys LABEL_KEY, unique, at most
 * RECORD_MAX_FIELDS of them; values percent-decoded, never a NUL or a raw
 * control byte.  An empty line is a record with no fields.  Returns 0 or
 * -EPX_E_ADM_FORM / -EPX_E_ADM_TOOBIG. */
int record_parse(struct form *r, char *s, size_t len);

/* Splits buf[0..len) at newlines; calls fn for each decoded record.
 * Stops at the first error from parsing or from fn.  Modifies buf. */
int record_each(char *buf, size_t len,
		  int (*fn)(const struct form *r, void *arg), void *arg);

/* JSON rendering (UTF-8 passed through, control bytes escaped). */
void record_json_str(FILE *f, const char *s);
void record_json_rec(FILE *f, const struct form *r);

#endif
