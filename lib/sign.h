/* sign: private P-256 keys and signing, for host programs only (epoxyctl,
 * epoxyd).  Private key files are PEM, created mode 0600; loading refuses a
 * file readable by group or others.  Keys are never printed. */
#ifndef EPOXY_SIGN_H
#define EPOXY_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sig.h"

struct sign_key;

/* Creates a new key at path (O_EXCL, mode 0600).  Returns 0 or -errno. */
int sign_generate(const char *path);
/* Loads a private key.  Returns 0 or -EPX_E_KEY_LOAD / -EPX_E_KEY_PERM. */
int sign_load(struct sign_key **key, const char *path);
void sign_free(struct sign_key *key);
/* The public half and its key ID. */
int sign_pub(const struct sign_key *key, struct sig_pub *pub);
/* Deterministic ECDSA over hash; der must hold DOC_MAX_DER bytes. */
int sign_hash(struct sign_key *key, const uint8_t hash[32], uint8_t *der,
	      size_t *der_len);
/* Appends "sig <keyid> <derhex>\n" for body (which ends in "end\n") to out,
 * where out already holds *outlen bytes of cap.  Returns 0 or -ENOSPC. */
int sign_doc_append(struct sign_key *key, const char *body, size_t body_len,
		    char *out, size_t cap, size_t *outlen);

#endif
