/* doc: the signed text envelope shared by keysets, manifests and session
 * statements (docs/protocol.md, "Signed text documents").
 *
 * doc_split() checks the envelope (caps, line syntax, magic line, "end",
 * signature lines) and hashes the signed body.  It does not interpret body
 * fields: doc_next() walks them.  Nothing is copied: a struct doc points
 * into the caller's buffer, which must outlive it. */
#ifndef EPOXY_DOC_H
#define EPOXY_DOC_H

#include <stddef.h>
#include <stdint.h>

#define DOC_MAX_BYTES 16384
#define DOC_MAX_LINE 512
#define DOC_MAX_SIGS 32
#define DOC_MAX_DER 80          /* P-256 ECDSA DER signature is <= 72 bytes */
#define DOC_KEYID_LEN 8

struct doc_sig {
	uint8_t keyid[DOC_KEYID_LEN];
	uint8_t der[DOC_MAX_DER];
	size_t der_len;
};

struct doc {
	const char *body;       /* from the magic line through "end\n" */
	size_t body_len;
	uint8_t body_sha256[32];  /* what the signatures sign */
	uint8_t file_sha256[32];  /* the whole document, signatures included */
	struct doc_sig sigs[DOC_MAX_SIGS];
	size_t nsigs;
	size_t pos;             /* doc_next() cursor */
};

/* magic is e.g. "epoxy-manifest 1".  Returns 0 or -EPX_E_* (TOOBIG, SYNTAX,
 * MAGIC, NOEND, SIG_SYNTAX, TOOMANY). */
int doc_split(struct doc *d, const char *buf, size_t len, const char *magic);
/* Next body field.  Returns 1 with key/val set (not NUL-terminated), 0 at
 * "end", or a negative code.  x- fields are skipped here. */
int doc_next(struct doc *d, const char **key, size_t *klen,
	     const char **val, size_t *vlen);

#endif
