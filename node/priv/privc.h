/* privc: the client side of epoxy-priv, for a slice's process: ask for one
 * privileged operation and receive its descriptor (SCM_RIGHTS).
 *
 * Guarantees:
 * - privc_ask sends exactly one request line (req without its '\n', at
 *   most PRIV_REQ_MAX - 1 bytes; a longer one is sent as given, for tests
 *   of the service's cap), waits at most timeout_ms for each of connect,
 *   send and the answer, and returns 0 with *fd set (close-on-exec, the
 *   caller owns it) only for an "ok" answer that carried exactly one
 *   descriptor; a refusal returns the service's code, negative (a code
 *   this build does not know: -EPX_E_PRIV_REFUSED); a service out of reach
 *   -EPX_E_PRIV_CONNECT; anything else -EPX_E_PRIV_ANSWER.  Every
 *   descriptor received in any other case is closed, never leaked;
 * - privc_answer_parse is the one reader of an answer: buf[0..len) must be
 *   exactly "ok\n" (0) or "refused EPOXY-Ennnn\n" (1, *code set to the code's
 *   number, or EPX_E_PRIV_REFUSED for a code unknown to this build); else
 *   -EPX_E_PRIV_ANSWER.  It reads nothing outside buf. */
#ifndef EPOXY_PRIVC_H
#define EPOXY_PRIVC_H

#include <stddef.h>

#define PRIVC_ANSWER_MAX 64

int privc_ask(const char *sock_path, const char *req, unsigned timeout_ms, int *fd);
int privc_answer_parse(const char *buf, size_t len, int *code);

#endif
