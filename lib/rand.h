/* rand: cryptographic random bytes from getrandom(2), blocking until the
 * kernel's pool is initialised.  Used for tokens, credentials and nonces. */
#ifndef EPOXY_RAND_H
#define EPOXY_RAND_H

#include <stddef.h>

/* Fills buf with n random bytes.  Returns 0 or -EPX_E_RNG. */
int rand_bytes(void *buf, size_t n);

#endif
