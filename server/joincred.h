/* joincred: the join-credential plug-ins of epoxyd (/v1/joincred).
 *
 * Three kinds, chosen by the config's `joincred`:
 *  - builtin: a Kubernetes bootstrap-token-shaped credential
 *    "[a-z0-9]{6}.[a-z0-9]{16}" from getrandom (uniform: rejection sampled);
 *  - command: runs the operator's command (absolute path, fixed arguments)
 *    with stdin /dev/null and only EPOXY_HOST, EPOXY_SESSION, EPOXY_HWCLASS
 *    and PATH in its environment (no secret is ever passed in); the
 *    credential is its stdout; a non-zero exit, an empty or over-long
 *    output, a control byte or running longer than joincred_timeout (then
 *    killed) is a failure;
 *  - url: POSTs host, session and hwclass form-encoded to the operator's URL
 *    (libcurl, timeout, answer capped); the credential is a 200 answer body.
 * The credential is returned in a caller buffer the caller wipes. */
#ifndef EPOXY_JOINCRED_H
#define EPOXY_JOINCRED_H

#include <stddef.h>

#include "server/config.h"

#define JOINCRED_MAX 4096

struct joincred;

int joincred_new(struct joincred **out, const struct config *cfg);
void joincred_free(struct joincred *jc);
/* Writes the credential (printable ASCII and '\n', NUL-terminated) to out.
 * Returns its length or -EPX_E_SRV_JOINCRED / -ENOSPC. */
int joincred_get(struct joincred *jc, const char *host, const char *session,
		 const char *hwclass, char *out, size_t cap);
/* The builtin generator alone (also used by tests). */
int joincred_builtin(char *out, size_t cap);

#endif
