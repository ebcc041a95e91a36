/* pusher_bundle: a bundle of epoxy-pusher's spool and its journal entry.
 *
 * A bundle is a tar archive (pax) compressed with gzip, written by
 * libarchive through its API, streamed file by file (never the whole
 * bundle in memory), kept in the spool by the SHA-256 of its bytes:
 * <spool>/<sha256>.tgz.  Its journal entry <spool>/<sha256>.list says
 * which experiment it is for, its archive name (lib/bundlename.h, chosen
 * when it was built: every retry, after a crash too, sends the same) and
 * which files (paths relative to the data root) it holds:
 *   epoxy-pusher-journal 2\n
 *   experiment <tag>\n
 *   datatype <tag>\n
 *   name <experiment>/<datatype>/<YYYY/MM/DD>/<time>-<datatype>-<node>-<experiment>.tgz\n
 *   files <n>\n
 *   file <percent-encoded path>\n      (n lines)
 *   end\n
 *
 * Guarantees (crash safety, in this order on disk):
 *  - the bundle is written to <spool>/.build.tmp and fsync'ed; the journal
 *    entry is written to a temporary name, fsync'ed and renamed; only then
 *    is the bundle renamed to its final name and the spool directory
 *    fsync'ed: a bundle under its final name always has its journal entry;
 *  - a journal entry without its bundle, a bundle without its journal
 *    entry, a bundle of before names (<sha256>.tar.zst, journal 1) and
 *    every temporary name are removed at start
 *    (pusher_bundle_recover): their files were never deleted and are
 *    bundled again;
 *  - a file that changed size or mtime while it was read aborts the
 *    bundle (-EPX_E_PU_CHANGED, *changed names it); nothing is left;
 *  - the journal parser reads at most PUSHER_JOURNAL_MAX bytes, takes
 *    only the form above (lib/line.h, lib/num.h, lib/label.h, lib/pct.h,
 *    lib/bundlename.h: the name's experiment and datatype the entry's)
 *    and refuses anything else with -EPX_E_PU_JOURNAL. */
#ifndef EPOXY_PUSHER_BUNDLE_H
#define EPOXY_PUSHER_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "node/pusher/pusher_files.h"

struct pusher_s3_url;

#define PUSHER_JOURNAL_MAX (8u << 20)
#define PUSHER_BUNDLE_FILES_MAX 100000
#define PUSHER_SHA_HEX 64
#define PUSHER_NAME_MAX 243             /* epoxyd's ARCHIVE_NAME_MAX */

struct pusher_bundle {
	char sha[PUSHER_SHA_HEX + 1];
	char exp[PUSHER_TAG_MAX + 1];
	char dt[PUSHER_TAG_MAX + 1];
	char name[PUSHER_NAME_MAX + 1];         /* its archive name */
	char **files;                   /* relative paths */
	size_t nfiles;
	uint64_t bytes;                 /* of the bundle file */
	uint64_t data_bytes;            /* of the files in it */
	unsigned attempts;
	int64_t next_try_ms;            /* monotonic */
	struct pusher_s3_url *url;      /* epoxyd's last upload URL, or NULL
					 * (pusher.c owns it; never written
					 * to the spool or a log) */
	int64_t url_until_ms;           /* monotonic: asked again from then */
};

/* Builds the bundle name (lib/bundlename.h: its experiment and datatype
 * are the files') of files[0..n) (relative to root) in spool.  Returns 0,
 * -EPX_E_PU_CHANGED (with *changed set to the index of the file),
 * -EPX_E_PU_ARCHIVE or -EPX_E_PU_SPOOL.  A file that is gone is left out
 * (*gone counts them); a bundle of no file at all is -ENOENT. */
int pusher_bundle_build(struct pusher_bundle *b, const char *root, const char *spool,
			const char *name, char *const *files, size_t n, size_t *changed,
			size_t *gone);
/* Parses a journal entry (buf[0..len)) into b (files malloc'd). */
int pusher_bundle_parse(struct pusher_bundle *b, const char *buf, size_t len);
/* Reads <spool>/<sha>.list into b, checking the bundle is there. */
int pusher_bundle_load(struct pusher_bundle *b, const char *spool, const char *sha);
/* SHA-256 of <spool>/<sha>.tgz is sha: 0, else -EPX_E_PU_SPOOL. */
int pusher_bundle_verify(const char *spool, const char *sha);
/* Removes the bundle, then its journal entry (after its files are gone). */
int pusher_bundle_remove(const char *spool, const char *sha);
/* Removes leftovers (see above); calls found(ctx, sha) for every intact
 * bundle. */
int pusher_bundle_recover(const char *spool, void (*found)(void *ctx, const char *sha),
			  void *ctx);
void pusher_bundle_free(struct pusher_bundle *b);

#endif
