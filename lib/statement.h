/* statement: the server's session statement (docs/protocol.md).  Signed by
 * the online key of the keyset; binds the agent's nonce, the host, the
 * session and the manifest's hash and version, and carries the server's time
 * (the agent's only clock). */
#ifndef EPOXY_STATEMENT_H
#define EPOXY_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/keyset.h"
#include "lib/label.h"

#define STATEMENT_HOST_MAX LABEL_HOST_MAX     /* LABEL_HOST (lib/label.h) */
/* A statement valid longer than this is refused (-EPX_E_ST_EXPIRED). */
#define STATEMENT_MAX_VALIDITY 86400

struct statement {
	char host[STATEMENT_HOST_MAX + 1];
	uint8_t session[8];
	uint8_t nonce[32];
	uint8_t manifest[32];
	uint32_t version;
	int has_dbx;                    /* the optional dbx field is present */
	uint8_t dbx[32];
	int64_t time;
	int64_t expires;
};

/* Syntax only. */
int statement_parse(struct statement *st, const char *buf, size_t len);
/* Parse, check the online key's signature and the bindings to nonce and
 * host.  The manifest binding is separate: the caller must call
 * statement_bind_manifest() once the manifest is fetched.  Returns 0,
 * -EPX_E_ST_SYNTAX, -EPX_E_ST_EXPIRED (expires <= time, or valid longer than
 * STATEMENT_MAX_VALIDITY), -EPX_E_ST_SIG, -EPX_E_ST_NONCE or -EPX_E_ST_HOST. */
int statement_verify(struct statement *st, const char *buf, size_t len,
		     const struct keyset *ks, const uint8_t nonce[32],
		     const char *host);
/* Checks the statement names this manifest (hash and version). */
int statement_bind_manifest(const struct statement *st,
			    const uint8_t manifest_sha256[32], uint32_t version);
/* 0 if s[0..n) is a valid host name, else -EPX_E_ST_SYNTAX. */
int statement_host_ok(const char *s, size_t n);
/* Writes the body (magic through "end\n"); -EINVAL for invalid fields,
 * -ENOSPC if cap is too small. */
int statement_format(const struct statement *st, char *out, size_t cap,
		     size_t *outlen);

#endif
