/* media: the one-time boot token of a legacy-BIOS node, read from the
 * first sector of a local or removable disk (docs/protocol.md, "Token
 * medium"), written by `epoxyctl token issue HOST --media FILE`.
 *
 * Guarantees: at most MEDIA_SECTOR bytes are read from each of at most
 * MEDIA_MAX_DEVICES whole disks; the sector is parsed strictly (magic and
 * version, host, exactly 64 lowercase hex digits, end, zero padding to the
 * end of the sector, nothing else); every buffer that held the token is
 * wiped before return, and the token itself lives only in the caller's
 * struct bootcred (stage2/bootcred.h, wiped with bootcred_wipe()).  Nothing
 * here logs. */
#ifndef EPOXY_STAGE2_MEDIA_H
#define EPOXY_STAGE2_MEDIA_H

#include <stddef.h>

#include "stage2/bootcred.h"

#define MEDIA_SECTOR 512                /* the medium is sector 0 */
#define MEDIA_MAGIC "epoxy-token-medium "
#define MEDIA_VERSION "1"
#define MEDIA_MAX_DEVICES 64            /* whole disks looked at per scan */
#define MEDIA_NAME_MAX 32               /* /sys/block/<name> */
#define MEDIA_WAIT_MS 10000             /* disks may appear late (USB) */

/* Parses one sector sec[0..len).  want_host, when non-NULL and non-empty,
 * must equal the medium's host.  Returns 0 (bc filled), -EPX_E_MEDIA_MAGIC
 * (not a token medium at all), -EPX_E_MEDIA_VERSION, -EPX_E_MEDIA_SYNTAX,
 * -EPX_E_MEDIA_TOKEN or -EPX_E_MEDIA_HOST; on error bc is zeroed. */
int media_parse(struct bootcred *bc, const unsigned char *sec, size_t len,
		const char *want_host);
/* Reads and parses the first sector of path (a block device or a regular
 * file).  Returns media_parse()'s codes, or -EPX_E_MEDIA_MAGIC when path
 * cannot be opened or holds less than one sector. */
int media_read(struct bootcred *bc, const char *path, const char *want_host);
/* Looks at every whole disk named in sysblock (vd*, sd*, hd*, xvd*,
 * nvme*, mmcblk*) through devdir/<name>, again every 500 ms until one
 * holds a token medium or wait_ms have passed.  Exactly one medium is
 * accepted; its device name goes to dev[0..devcap).  Returns 0,
 * -EPX_E_EFIVAR_MISSING (no medium anywhere), -EPX_E_MEDIA_MULTI, or the
 * code of the first medium found that is refused. */
int media_scan(struct bootcred *bc, const char *sysblock, const char *devdir,
	       const char *want_host, unsigned wait_ms, char *dev, size_t devcap);

#endif
