/* handover: the file the stage-1 agent hands to the stage-2 agent through
 * the archive appended to the verified initramfs (docs/handover.md).
 *
 * Guarantees: the format is exactly docs/protocol.md's "epoxy-handover 1"
 * with fields in that order and nothing else, at most HANDOVER_MAX bytes;
 * tokens never leave struct handover except into that file, and
 * handover_wipe() clears them.  The archive holds /run/epoxy/handover
 * (0600), /run/epoxy/manifest and /epoxy/join (the verified join script). */
#ifndef EPOXY_STAGE2_HANDOVER_H
#define EPOXY_STAGE2_HANDOVER_H

#include <stddef.h>
#include <stdint.h>

#include "stage2/cmdline.h"

#define HANDOVER_MAX 1024
#define HANDOVER_PATH "run/epoxy/handover"
#define HANDOVER_MANIFEST_PATH "run/epoxy/manifest"
#define HANDOVER_JOIN_PATH "epoxy/join"

struct handover {
	char host[64];
	char session[17];
	char server[CMDLINE_NAME_MAX + 1];
	char addr[CMDLINE_ADDR_MAX + 1];
	uint16_t port;
	uint8_t joincred[32];
	uint8_t report[32];
};

/* Writes the text into out (cap >= HANDOVER_MAX).  Returns length or
 * -ENOSPC.  The caller wipes out after use. */
int handover_format(const struct handover *h, char *out, size_t cap);
/* Parses the text.  Returns 0 or -EPX_E_HO_SYNTAX (h wiped on error). */
int handover_parse(struct handover *h, const char *buf, size_t len);
/* Appends the handover archive to fd at offset *off (4-aligned by zero
 * padding first), leaving *off at its end.  Returns 0 or -errno. */
int handover_append(int fd, uint64_t *off, const struct handover *h,
		    const void *manifest, size_t manifest_len,
		    const void *join, size_t join_len);
void handover_wipe(struct handover *h);

#endif
