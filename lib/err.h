/* err: epoxy's error codes.
 *
 * Every function that can fail returns 0 or a negative code: either -errno
 * (values below 1000) or -EPX_E_* from lib/errors.def.  epx_strerror() gives
 * the human text for both; epx_code() the stable console code. */
#ifndef EPOXY_ERR_H
#define EPOXY_ERR_H

enum epx_err {
#define EPX_ERR(name, num, status, msg) EPX_##name = num,
#include "lib/errors.def"
#undef EPX_ERR
};

/* Text for rc (negative or positive); never NULL. */
const char *epx_strerror(int rc);
/* Writes "EPOXY-E1234" for epoxy codes, "EPOXY-E0" + errno otherwise, into
 * buf (at least 16 bytes); returns buf. */
char *epx_code(int rc, char *buf, unsigned long len);
/* "EPOXY-E1234" for a code of the registry (negative or positive), as a
 * constant string for printf's %s; "EPOXY-E????" for any other rc (an
 * errno has no console code of its own: use epx_code()).  Never NULL. */
const char *epx_code_str(int rc);
/* The HTTP status of an answer that carries rc (lib/errors.def): 500 for
 * an errno (the server's own failure, never the request's), for an
 * unknown code and for a code that never travels over HTTP (status 0). */
int epx_http_status(int rc);
/* The one check of a console code: s (NUL-terminated, NULL allowed) must
 * be exactly what epx_code() prints, "EPOXY-E" and four digits, nothing
 * after.  0 and *num set for a code of the registry or an errno's code
 * (below 1000, leading zeros); -ENOENT and *num set for a well-formed code
 * the registry does not know (a newer peer's); else -EPX_E_NUM_SYNTAX. */
int epx_code_parse(const char *s, int *num);

#endif
