/* nmdisk: a sliver's disk_max as an ext4 project quota on its one
 * writable directory, DATA/NAME/out (issue 14 point 5), and the node's
 * data disk that holds DATA (`epoxy-nm disk`).
 *
 * Project ids: NMDISK_PROJ_BASE + slot, slot 0 .. NMDISK_SLOTS-1, the
 * lowest slot no other bundle's out/ holds when the sliver's bundle is
 * made; kept for the sliver's life.  Its record is the out/ directory's
 * own project id (FS_IOC_FSGETXATTR), which the kernel writes with the
 * directory: it cannot drift from what the quota counts, and a bundle
 * that exists always has it (nmrun makes out/ under .new-NAME, gives it
 * its id, then renames the bundle into place).
 *
 * Guarantees:
 *  - disk_max > 0 on a DATA without project quotas enforced (accounting
 *    and limits, Q_XGETQSTATV) is refused with -EPX_E_NM_DISK_NOQUOTA
 *    before anything is written: a sliver never runs unlimited silently;
 *    disk_max 0 means no limit (the id is still given, so usage counts);
 *  - the hard block limit is disk_max rounded up to whole KiB (the
 *    quota's unit), set with quotactl_fd(Q_SETQUOTA, PRJQUOTA) on DATA's
 *    own descriptor (Linux >= 5.14: no device name to look up, no race
 *    between a name and the mount); inode limits and soft limits stay 0;
 *    out/ gets FS_XFLAG_PROJINHERIT so all it holds is charged to it;
 *  - a limit change is applied in place (same id, same files);
 *  - nmdisk_clear zeroes the limits of a destroyed sliver's id, and
 *    nmdisk_sync zeroes those of every id of our range that no bundle
 *    holds: after a kill -9 at any point the next reconciliation leaves no
 *    limit behind; ids outside NMDISK_PROJ_BASE's range are never touched;
 *  - a process charged to the quota is held to it only without
 *    CAP_SYS_RESOURCE (the kernel lets that capability pass hard limits):
 *    nmrun never grants it to a sliver; and as the owner of its files a
 *    sliver's root could move them to project 0 with FS_IOC_FSSETXATTR:
 *    nmdisk_seccomp's filter, in every sliver's config, refuses that;
 *  - `epoxy-nm disk` formats only a blank device (its first and last
 *    NMDISK_PROBE_BYTES all zero: no partition table, no superblock of any
 *    file system, RAID or LVM at either end) and mounts it with prjquota;
 *    a device that holds an ext4 superblock labelled NMDISK_LABEL with the
 *    quota and project features is ours and is mounted as it is (slivers
 *    kept); anything else is refused with -EPX_E_NM_DISK_FOREIGN and not
 *    written to. */
#ifndef EPOXY_NMDISK_H
#define EPOXY_NMDISK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/sliverset.h"

#define NMDISK_PROJ_BASE 0x65700000u    /* "ep": far from ids an admin picks */
#define NMDISK_SLOTS 1024
#define NMDISK_MIN ((uint64_t)1 << 20)  /* disk_max: 0 or 1 MiB .. 2^50 bytes */
#define NMDISK_MAX ((uint64_t)1 << 50)
#define NMDISK_LABEL "epoxy-data"
#define NMDISK_PROBE_BYTES (1024 * 1024)
#define NMDISK_PATH_MAX 200
#define NMDISK_MKE2FS_DEFAULT "/sbin/mke2fs"

enum { NMDISK_DISK_MAX = 4 };           /* disk_max's index in sliver.attr */

enum nmdisk_kind { NMDISK_BLANK = 1, NMDISK_OURS, NMDISK_FOREIGN };

struct nmdisk {
	int fd;                 /* DATA (O_DIRECTORY), -1 before init */
	int on;                 /* project quotas accounted and enforced on DATA */
};

/* Opens data and probes its quotas: d->on 1 or 0.  Never fails for lack
 * of quotas (a set without disk_max runs anywhere); -EPX_E_NM_BUNDLE when
 * data cannot be opened. */
int nmdisk_init(struct nmdisk *d, const char *data);
void nmdisk_free(struct nmdisk *d);
/* 0, -EPX_E_NM_DISK_LIMIT (out of range) or -EPX_E_NM_DISK_NOQUOTA
 * (disk_max > 0, d NULL or off).  Writes nothing. */
int nmdisk_check(const struct nmdisk *d, const struct sliver *sl);
/* disk_max in bytes -> the quota's hard limit in KiB (rounded up). */
uint64_t nmdisk_blocks(uint64_t disk_max);
/* A new out/ (dir, empty): the lowest free id of our range (held by no
 * out/ of DATA's bundles), PROJINHERIT, its limit.  0 when d is off and
 * disk_max 0 (nothing to do); -EPX_E_NM_DISK_FULL, -EPX_E_NM_DISK_QUOTA. */
int nmdisk_attach(const struct nmdisk *d, const char *out, const struct sliver *sl);
/* The limit of a running sliver's out/ set to its disk_max again. */
int nmdisk_update(const struct nmdisk *d, const char *out, const struct sliver *sl);
/* The limit of out/'s id zeroed (a sliver being destroyed); 0 when out
 * has no id of ours or d is off. */
int nmdisk_clear(const struct nmdisk *d, const char *out);
/* Zeroes the limits of every id of our range no out/ of DATA holds. */
int nmdisk_sync(const struct nmdisk *d);
/* What a device holds, from its first hlen and last tlen bytes (each at
 * most NMDISK_PROBE_BYTES; the superblock is read from head). */
enum nmdisk_kind nmdisk_classify(const uint8_t *head, size_t hlen, const uint8_t *tail,
				 size_t tlen);
/* The OCI linux.seccomp member (", \"seccomp\": {...}") that keeps a
 * sliver from moving its files to another project: ioctl
 * FS_IOC_FSSETXATTR fails with EPERM (the low 32 bits of the request
 * compared, as the kernel reads them); every other call is allowed. */
void nmdisk_seccomp(FILE *f);
/* epoxy-nm disk --device DEV --mount DIR [--mke2fs PATH]: argv[0] is
 * "disk".  Returns a lib/cli.h exit status. */
int nmdisk_cli(int argc, char **argv);

#endif
