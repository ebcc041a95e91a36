/* dbx: the firmware's forbidden-signature database update (docs/protocol.md,
 * "dbx update"; issue 13 point 10).
 *
 * An update is what `epoxy-pki dbx-append` writes and the firmware verifies:
 * an EFI_VARIABLE_AUTHENTICATION_2 (EFI_TIME, then a WIN_CERTIFICATE_UEFI_GUID
 * carrying a PKCS#7 signature by the KEK), then one or more
 * EFI_SIGNATURE_LISTs of EFI_CERT_SHA256 entries (the Authenticode digests of
 * retired images).  Guarantees: dbx_parse() accepts only that shape, within
 * DBX_UPDATE_MAX bytes and DBX_HASHES_MAX hashes, with every length checked
 * in the subtraction form; it does not check the signature (the firmware
 * does, and is the only verifier that counts: epoxyd and the agent check the
 * shape so that a wrong file is refused by name before it reaches the
 * firmware).  dbx_holds() walks a variable's signature lists of any type,
 * bounded, and looks for SHA-256 entries only.  No allocation. */
#ifndef EPOXY_DBX_H
#define EPOXY_DBX_H

#include <stddef.h>
#include <stdint.h>

#define DBX_UPDATE_MAX 32768            /* bytes of an update */
#define DBX_HASHES_MAX 256              /* SHA-256 entries in an update */
#define DBX_VAR_MAX (256 * 1024)        /* bytes of the dbx variable read back */
/* efivarfs name of dbx and the attributes of an append update:
 * NV | BS | RT | TIME_BASED_AUTHENTICATED_WRITE_ACCESS | APPEND_WRITE */
#define DBX_EFIVAR_NAME "dbx-d719b2cb-3d3a-4596-a3bc-dad00e67656f"
#define DBX_APPEND_ATTR 0x67u

struct dbx_update {
	size_t sig_len;                 /* bytes of the PKCS#7 signature */
	size_t data_off;                /* the signature lists start here */
	size_t nhash;
	const uint8_t *hash[DBX_HASHES_MAX];    /* point into the parsed buffer */
};

/* Returns 0 or -EPX_E_DBX_SYNTAX; u points into buf. */
int dbx_parse(struct dbx_update *u, const uint8_t *buf, size_t len);
/* Whether the signature lists lists[0..len) (a dbx variable's value, without
 * efivarfs' 4 attribute bytes) hold every hash of u.  Returns 1 (all held),
 * 0 (at least one missing) or -EPX_E_DBX_SYNTAX (malformed lists). */
int dbx_holds(const struct dbx_update *u, const uint8_t *lists, size_t len);

#endif
