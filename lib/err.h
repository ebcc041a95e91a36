/* err: epoxy's error codes.
 *
 * Every function that can fail returns 0 or a negative code: either -errno
 * (values below 1000) or -EPX_E_* from lib/errors.def.  epx_strerror() gives
 * the human text for both; epx_code() the stable console code. */
#ifndef EPOXY_ERR_H
#define EPOXY_ERR_H

enum epx_err {
#define EPX_ERR(name, num, msg) EPX_##name = num,
#include "lib/errors.def"
#undef EPX_ERR
};

/* Text for rc (negative or positive); never NULL. */
const char *epx_strerror(int rc);
/* Writes "EPOXY-E1234" for epoxy codes, "EPOXY-E0" + errno otherwise, into
 * buf (at least 16 bytes); returns buf. */
char *epx_code(int rc, char *buf, unsigned long len);

#endif
