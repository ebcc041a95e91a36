/* efivar: the host's boot credential from the firmware variable store
 * (docs/protocol.md, "Boot credential").
 *
 * Guarantees: the variable is read once, at most EFIVAR_MAX bytes, parsed
 * strictly (attributes NV|BS|RT, magic, host, credential, end, nothing
 * else), and every buffer that held the credential is wiped before return.
 * The credential lives only in the caller's struct bootcred (stage2/bootcred.h,
 * the one module that chooses, uses and wipes it). */
#ifndef EPOXY_STAGE2_EFIVAR_H
#define EPOXY_STAGE2_EFIVAR_H

#include <stddef.h>
#include <stdint.h>

#include "stage2/bootcred.h"

#define EFIVAR_NAME "EpoxyBoot-2c1e5b7a-9d3f-4e21-8a6b-5f0c4d7e9a13"
#define EFIVAR_DIR "/sys/firmware/efi/efivars"
#define EFIVAR_MAX 1024
#define EFIVAR_ATTR_REQUIRED 0x7u       /* NV | BS | RT */

/* Parses the raw variable (4 attribute bytes + text).  Returns 0,
 * -EPX_E_EFIVAR_SYNTAX (bc wiped). */
int efivar_parse(struct bootcred *bc, const uint8_t *buf, size_t len);
/* Reads dir/EFIVAR_NAME.  Returns 0, -EPX_E_EFIVAR_MISSING or
 * -EPX_E_EFIVAR_SYNTAX. */
int efivar_read(struct bootcred *bc, const char *dir);

#endif
