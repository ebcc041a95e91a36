/* dbxapply: the agent's dbx step (issue 13 point 10; docs/guide/50-agent.md).
 *
 * Once the session statement is verified and names a dbx update, the agent
 * fetches it (stage2/boot.c) and hands the bytes here, before anything else
 * of the chain runs.  Guarantees: the bytes are used only if their SHA-256
 * is the statement's (-EPX_E_DBX_HASH) and their shape is a dbx append
 * update (lib/dbx.h, -EPX_E_DBX_SYNTAX); when the firmware's dbx already
 * holds every hash of the update nothing is written (no flash wear at every
 * boot); otherwise the update is written once through efivarfs with the
 * attributes NV|BS|RT|TIME_BASED_AUTHENTICATED_WRITE|APPEND_WRITE
 * (lib/efivarfs.h), the firmware verifies the KEK's signature, and dbx is
 * read back: a refusal (EACCES, EINVAL, or hashes still missing) is
 * -EPX_E_DBX_REFUSED, any other failure -EPX_E_DBX_EFIVARFS.  The caller
 * stops the chain on any error.  Without UEFI (no efivars directory: legacy
 * BIOS has no Secure Boot) there is nothing to append: DBXAPPLY_NOEFI.
 * The directory must be an efivarfs mount (-EPX_E_DBX_EFIVARFS otherwise),
 * except in the agent's host test mode (test_dir: --kexec-record), where a
 * plain directory plays it and, since it keeps the bytes as written rather
 * than the firmware's lists, is not read back after the write. */
#ifndef EPOXY_STAGE2_DBXAPPLY_H
#define EPOXY_STAGE2_DBXAPPLY_H

#include <stddef.h>
#include <stdint.h>

enum dbxapply_result {
	DBXAPPLY_APPENDED = 1,          /* written and read back */
	DBXAPPLY_HELD,                  /* dbx held every hash already */
	DBXAPPLY_NOEFI,                 /* no efivarfs: not booted by UEFI */
};

/* efivars: the efivarfs directory; buf/len: the update as served; want:
 * the statement's SHA-256; test_dir: see above; *nhash gets the update's
 * hash count.  Returns a dbxapply_result or a negative registry code. */
int dbxapply(const char *efivars, const uint8_t *buf, size_t len,
	     const uint8_t want[32], int test_dir, size_t *nhash);

#endif
