/* nmimage: a slice's image as the root of its slivers (issue 14 point 5,
 * epoxy-nm --images): fetched from epoxyd by its SHA-256 over the node's
 * mutual-TLS client (net/https.h, the one client of the agent and the
 * node manager), checked against the signed sliver set, and unpacked
 * with libarchive into DATA/.images/<sha256 hex>/, one read-only copy
 * that every sliver of that image shares.
 *
 * Guarantees:
 *  - the image is streamed (GET NODEPROTO_IMAGE_PATH<hex>, at most the
 *    set's image_bytes and never over the node's --image-bytes) into a
 *    file of DATA/.images that is unlinked as soon as it is opened, and
 *    hashed on the way: a body of another length is -EPX_E_NM_IMG_SIZE,
 *    another SHA-256 -EPX_E_NM_IMG_HASH, and nothing is unpacked; a kill
 *    at any point leaves no file behind;
 *  - it is unpacked by a child process chrooted into DATA/.images/.new-<hex>
 *    (so whatever libarchive does, it writes nowhere else; it dies with
 *    its parent, PR_SET_PDEATHSIG), tar only (no
 *    compression filter, no external program), with
 *    ARCHIVE_EXTRACT_SECURE_SYMLINKS, _SECURE_NODOTDOT and
 *    _SECURE_NOABSOLUTEPATHS and without owner, ACL, xattr or flags; and
 *    before libarchive sees an entry, nmimage_check refuses it:
 *    an absolute path, a ".." component, a control byte or an over-long
 *    name (-EPX_E_NM_IMG_PATH); a symbolic link whose relative target
 *    climbs above the image's root, a hard link to a path that is not a
 *    clean relative one (-EPX_E_NM_IMG_LINK); a device node, FIFO,
 *    socket or any other type than file, directory and link, a setuid or
 *    setgid bit (-EPX_E_NM_IMG_TYPE); more than max_entries entries
 *    (-EPX_E_NM_IMG_ENTRIES) or more than max_bytes of file data
 *    (-EPX_E_NM_IMG_BYTES); an entry libarchive would write through a
 *    link is -EPX_E_NM_IMG_LINK, an archive that does not read to its
 *    end -EPX_E_NM_IMG_FORMAT.  Any refusal removes .new-<hex> whole;
 *  - only a complete tree is renamed to <hex> (after syncfs), so an image
 *    directory that exists is whole and verified; the sliver's config
 *    names it as its root, read-only (node/nm/nmrun.h);
 *  - an image whose verified bytes were refused is remembered (in
 *    memory, the last NMIMAGE_BAD_MAX) and refused again with its code
 *    without another download: a hostile image costs one transfer, not
 *    one per reconciliation; a wrong size or hash is remembered for
 *    NMIMAGE_RETRY_S (the server's object may be mended), a failed
 *    transfer not at all;
 *  - nmimage_sync removes every image no live sliver of the set names,
 *    and every .new- or other leftover of DATA/.images; it touches
 *    nothing outside DATA/.images and never follows a link. */
#ifndef EPOXY_NMIMAGE_H
#define EPOXY_NMIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sliverset.h"
#include "node/nm/nmrun.h"

struct https;

#define NMIMAGE_ENTRIES_DEFAULT 200000
#define NMIMAGE_BYTES_DEFAULT ((uint64_t)8 << 30)
#define NMIMAGE_ENTRIES_MAX 10000000
#define NMIMAGE_BYTES_MAX ((uint64_t)1 << 40)
#define NMIMAGE_NAME_MAX 1024           /* bytes of an entry's path or link target */
#define NMIMAGE_COMP_MAX 255            /* bytes of one path component */
#define NMIMAGE_REQ_MS 600000           /* one image's whole transfer */
#define NMIMAGE_MIN_RATE 16384          /* bytes/s over HTTPS_RATE_WINDOW_MS */

#define NMIMAGE_BAD_MAX 64              /* refused images remembered */
#define NMIMAGE_RETRY_S 600             /* a wrong size or hash: asked again after */

struct nmimage {
	char dir[NMRUN_PATH_MAX + 16];  /* DATA/.images */
	uint64_t max_entries, max_bytes;
	/* images whose verified bytes were refused (an entry, the format,
	 * a cap): the same bytes are refused again without a download;
	 * the last NMIMAGE_BAD_MAX, in memory only */
	uint8_t bad[NMIMAGE_BAD_MAX][32];
	int bad_rc[NMIMAGE_BAD_MAX];
	int64_t bad_until[NMIMAGE_BAD_MAX];     /* CLOCK_MONOTONIC s; 0: for good */
	unsigned nbad;
};

/* One archive entry as nmimage_check sees it.  type: S_IFREG, S_IFDIR,
 * S_IFLNK ... (libarchive's AE_IF* have the same values); mode: the
 * permission bits with setuid, setgid and sticky; symlink and hardlink:
 * the targets, or NULL. */
struct nmimage_entry {
	const char *path;
	unsigned type;
	unsigned mode;
	const char *symlink;
	const char *hardlink;
};

/* DATA/.images made (0700); leftovers of a killed run (.new- trees,
 * temporary files, names that are no image's) removed, whole images
 * kept (the cached set decides about them at its first plan).  Caps of
 * 0 take the defaults; over the maxima: -EPX_E_NM_USAGE. */
int nmimage_init(struct nmimage *im, const char *data, uint64_t max_entries,
		 uint64_t max_bytes);
/* 1 when the image of sl is unpacked. */
int nmimage_have(const struct nmimage *im, const struct sliver *sl);
/* The code of an earlier refusal of sl's image that still holds (the
 * same bytes are refused again without a download, see above), or 0:
 * none, fetch it. */
int nmimage_refused(const struct nmimage *im, const struct sliver *sl);
/* The image of sl unpacked (fetched with h unless it already is): 0, or
 * one of the codes above (-EPX_E_NM_IMG_FETCH for a transfer that
 * failed or was refused, -EPX_E_NM_IMG_DISK for the data disk). */
int nmimage_get(struct nmimage *im, struct https *h, const struct sliver *sl);
/* The same for a ticket sliver: the ticket that brought it (its bytes,
 * at most NODEPROTO_TICKET_MAX) goes with the request as
 * NODEPROTO_TICKET_HEADER, in hex; epoxyd's 404 to it is
 * -EPX_E_NM_IMG_TICKET (retried, not remembered). */
int nmimage_get_ticket(struct nmimage *im, struct https *h, const struct sliver *sl,
		       const char *ticket, size_t ticket_len);
/* The tar readable on fd (from its start) unpacked into DATA/.images/<hex>
 * of sha as above; public for the tests.  0 or a code. */
int nmimage_unpack(const struct nmimage *im, int fd, const uint8_t sha[32]);
/* Removes what DATA/.images holds that no live sliver of want (NULL:
 * none) at now names.  The number removed, or -EPX_E_NM_IMG_DISK. */
int nmimage_sync(const struct nmimage *im, const struct sliverset *want, int64_t now);
/* One entry checked; on 0 its clean path (no "./" prefix, no "."
 * component, no trailing '/'; "" for the root itself) in clean and the
 * hard link's in hlclean (both NMIMAGE_NAME_MAX + 1 bytes). */
int nmimage_check(const struct nmimage_entry *e, char *clean, char *hlclean);

#endif
