/* gcm_alt: the GCM context of the agent's and the node services' mbedTLS
 * (the header MBEDTLS_GCM_ALT makes mbedtls/gcm.h include; found through
 * -I net in the musl build, stage2/agent.mk).  Its functions are
 * net/aesgcm.c's.
 *
 * Guarantees: those of net/aesgcm.h. */
#ifndef EPOXY_NET_GCM_ALT_H
#define EPOXY_NET_GCM_ALT_H

#include "net/aesgcm.h"

typedef struct mbedtls_gcm_context {
	struct aesgcm g;
} mbedtls_gcm_context;

#endif
