/* efivarfs: write one UEFI variable through Linux's efivarfs, shared by the
 * enrollment tool (boot/efiwrite.c) and the agent's dbx step
 * (stage2/dbxapply.c).
 *
 * Guarantees: the variable (4 attribute bytes, then the value; for an
 * authenticated variable the whole update) is written in exactly one
 * write(2), as efivarfs requires; an existing variable's immutable flag,
 * which efivarfs sets on most variables, is cleared first.  The firmware's
 * verdict comes back as the write's errno (Linux maps
 * EFI_SECURITY_VIOLATION to EACCES, EFI_INVALID_PARAMETER to EINVAL,
 * EFI_OUT_OF_RESOURCES to ENOSPC).  Needs only libc: efiwrite links it
 * alone. */
#ifndef EPOXY_EFIVARFS_H
#define EPOXY_EFIVARFS_H

#include <stddef.h>

/* Returns 0 or -errno (a short write is -EIO). */
int efivarfs_write(const char *path, const void *buf, size_t len);

#endif
