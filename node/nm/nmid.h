/* nmid: the node's identity key and certificate, in memory only.
 *
 * Guarantees: the EC P-256 key is made from getrandom(2) in this
 * process's memory and never leaves it: no function here writes a file
 * or prints; the PEM form handed to the TLS client (nmid_key_pem) lives
 * in a caller buffer the caller wipes, and nmid_free() wipes the key.
 * nmid_csr() writes a PKCS#10 request of exactly CN=<host> with no
 * attribute (what epoxyd's nodeid_csr_check() accepts); nmid_cert_check()
 * accepts a certificate only if it is for this key and CN=<host>. */
#ifndef EPOXY_NMID_H
#define EPOXY_NMID_H

#include <stddef.h>
#include <stdint.h>

#include "lib/label.h"

#define NMID_CSR_MAX 2048
#define NMID_KEY_PEM_MAX 512

struct nmid;

/* A fresh key for host (LABEL_HOST).  0, -EPX_E_NM_KEY or -ENOMEM. */
int nmid_new(struct nmid **out, const char *host);
void nmid_free(struct nmid *id);
/* The request, DER, into der (cap bytes); *len its length. */
int nmid_csr(struct nmid *id, uint8_t *der, size_t cap, size_t *len);
/* The private key as PEM (NUL-terminated; *len counts the NUL). */
int nmid_key_pem(struct nmid *id, char *pem, size_t cap, size_t *len);
/* Checks a PEM certificate (len bytes, no NUL needed) is for this key
 * and host; *lifetime gets not_after - not_before in seconds.
 * 0 or -EPX_E_NM_CERT. */
int nmid_cert_check(struct nmid *id, const char *pem, size_t len, int64_t *lifetime);
/* The same for an archive-only certificate (server/nodeid.h): subject
 * CN=<host> and OU=NODEPROTO_ARCHIVE_OU, nothing else.  A node's
 * certificate is refused here, an archive-only one by nmid_cert_check. */
int nmid_archive_check(struct nmid *id, const char *pem, size_t len, int64_t *lifetime);

#endif
