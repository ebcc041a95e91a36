/* nodeid: the node CA of epoxyd: certificate requests in, short-lived
 * node client certificates out, and the check of a presented certificate
 * (docs/protocol.md, "Node identity").
 *
 * Guarantees:
 *  - nodeid_csr_check() accepts only a PKCS#10 request (DER, at most
 *    NODEID_CSR_MAX bytes) of version 1 whose subject is exactly one
 *    CN equal to host, whose key is EC P-256, that carries no attribute
 *    (so no extension request), and whose ECDSA-SHA256 signature verifies
 *    under its own key; anything else is a distinct -EPX_E_NID_* code;
 *  - nodeid_issue() signs, with the node CA's key, a certificate for that
 *    key and CN=host only: a fresh random 128-bit serial, valid from
 *    now - NODEID_SKEW to now + ttl (the caller's clock), CA:FALSE,
 *    digitalSignature, extendedKeyUsage clientAuth and serverAuth (the
 *    node's HTTPS API); nothing of the request but its key and (checked)
 *    name is copied; never for a name of epoxyd's own TLS certificate
 *    (nodeid_server_names): with serverAuth, a node certificate for the
 *    server's name would pass any client that checks only the name and
 *    the fleet CA, so that name is refused (-EPX_E_NID_SERVERNAME);
 *  - nodeid_peer() accepts a DER certificate only if it chains directly to
 *    the node CA, or to one of the previous node CAs given to
 *    nodeid_trust_previous() (a rotation: certificates they issued work
 *    until they end; new ones come only from the current CA), is not a CA
 *    itself, and both it and its CA are valid at `now` (the server's
 *    clock, not the system's), and hands back its CN and serial; whether
 *    the serial is still good is the store's answer
 *    (store_nodecert_check), asked on every request;
 *  - an archive-only certificate (kind NODEID_ARCHIVE, chosen by the
 *    server's endpoint, never by the request) has the subject CN=host,
 *    OU=NODEID_ARCHIVE_OU and extendedKeyUsage clientAuth alone; the
 *    node CA signs it the same way, so it is as short-lived as the node's
 *    and dies with the host's revocation; nodeid_peer() says which kind
 *    a presented certificate is, and refuses any other subject (a second
 *    attribute, another OU) as -EPX_E_NID_CERT.
 * Threads: one mutex serialises every use of the CA (mbedTLS caches
 * precomputed points in the shared key); issuance is rare, and
 * server/nodeapi.c checks a certificate's bytes once, not on every
 * request (at 5,000 long-polling nodes, checks serialised under this
 * lock were epoxyd's limit).  The CA's key is read by epoxyd before its privilege drop. */
#ifndef EPOXY_NODEID_H
#define EPOXY_NODEID_H

#include <stddef.h>
#include <stdint.h>

#include "lib/label.h"
#include "lib/nodeproto.h"

#define NODEID_CSR_MAX NODEPROTO_CSR_MAX /* DER bytes of a certificate request */
#define NODEID_CERT_DER_MAX 4096    /* DER bytes of a presented certificate */
#define NODEID_PEM_MAX 2048         /* PEM bytes of an issued certificate */
#define NODEID_SERIAL_BYTES 16
#define NODEID_SERIAL_HEX 32
#define NODEID_SKEW 60              /* s of not-before slack for node clocks */
#define NODEID_PREV_MAX 4           /* previous node CAs still trusted */

struct nodeid;

#define NODEID_ARCHIVE_OU NODEPROTO_ARCHIVE_OU

enum nodeid_kind {
	NODEID_NODE = 0,        /* the node's certificate: every node endpoint */
	NODEID_ARCHIVE,         /* archive-only: the archive's upload endpoints */
};

/* Loads the node CA from PEM buffers (NUL-terminated, len counting the
 * NUL as mbedTLS wants): a CA certificate and its EC P-256 private key,
 * which must match.  Returns 0 or -EPX_E_NID_CAFILE. */
int nodeid_new(struct nodeid **out, const char *ca_pem, size_t ca_len,
	       const char *key_pem, size_t key_len);
void nodeid_free(struct nodeid *n);     /* NULL is fine; wipes the key */

/* The previous node CAs (PEM, one or more CA certificates, at most
 * NODEID_PREV_MAX; len counts the NUL): their certificates are accepted
 * by nodeid_peer() until they end.  Once per n.  0 or -EPX_E_NID_CAFILE. */
int nodeid_trust_previous(struct nodeid *n, const char *pem, size_t len);

#define NODEID_NAMES_MAX 16             /* names of epoxyd's certificate kept */

/* The names nodeid_issue() refuses: the dNSNames of the PEM certificate's
 * subjectAltName (a leading "*." matches one label), or its CN when it has
 * none; the certificate of epoxyd's HTTPS listener, given again after a
 * reload.  pem NUL-terminated, len counting the NUL.  Replaces the names
 * given before.  0 or -EPX_E_NID_CAFILE (unreadable, or more than
 * NODEID_NAMES_MAX names). */
int nodeid_server_names(struct nodeid *n, const char *pem, size_t len);

/* The checks above on a request for host.  0 or -EPX_E_NID_CSR,
 * -EPX_E_NID_KEYTYPE, -EPX_E_NID_CN, -EPX_E_NID_EXT. */
int nodeid_csr_check(const uint8_t *der, size_t len, const char *host);

/* Checks (as nodeid_csr_check) and issues.  pem gets the certificate
 * (NUL-terminated, *pem_len without the NUL), serial its serial as
 * NODEID_SERIAL_HEX lowercase digits, *not_after its end.  Returns 0,
 * a check's code, or -EPX_E_NID_ISSUE. */
int nodeid_issue(struct nodeid *n, const uint8_t *der, size_t len,
		 const char *host, enum nodeid_kind kind, int64_t now, unsigned ttl,
		 char serial[NODEID_SERIAL_HEX + 1], int64_t *not_after,
		 char *pem, size_t cap, size_t *pem_len);

/* A number of its own for each n made by nodeid_new (never 0, never
 * reused while epoxyd runs): what a check was made with, even when a
 * reload frees a CA and another takes its address. */
uint64_t nodeid_gen(const struct nodeid *n);

/* Checks a presented certificate (DER) as above.  host gets its CN,
 * serial its serial, window (may be NULL) the times between which both
 * it and the CA it chains to are valid: the same answer holds for the
 * same bytes at any time inside (server/nodeapi.c remembers it), kind
 * (may be NULL) its kind.  0, -EPX_E_NID_NOCERT (len 0) or -EPX_E_NID_CERT. */
int nodeid_peer(struct nodeid *n, const uint8_t *der, size_t len, int64_t now,
		char host[LABEL_HOST_MAX + 1], char serial[NODEID_SERIAL_HEX + 1],
		int64_t window[2], enum nodeid_kind *kind);

#endif
