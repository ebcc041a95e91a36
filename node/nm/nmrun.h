/* nmrun: the node manager runs its slivers (issue 14 point 5) as OCI
 * containers of Debian's crun, invoked the way containerd and Podman
 * invoke it: `crun --root STATE create --bundle DIR ID`, `start`,
 * `update --resources FILE`, `kill`, `delete --force`, `state`, `list`.
 *
 * Layout: DATA/NAME/ is a sliver's bundle (config.json, resources.json,
 * out/ its one writable directory, bind-mounted at /out, console its
 * stdout and stderr, state the record of what runs); DATA/.new-NAME/ a
 * bundle being written; STATE/NAME/ crun's own state.
 *
 * Guarantees:
 *  - config.json is written by nmrun_config alone, through lib/record.h's
 *    JSON string writer; the sliver sees only its root (read-only), its
 *    own out/ and fresh proc, sys (read-only), dev, tmp: no bind mount of
 *    anything else, so never /run/epoxy, the node key or a credential;
 *    but a sliver whose slice holds grants, on a node manager with a
 *    priv_dir, also gets a /run tmpfs and in it priv_dir read-only at
 *    NMPRIV_MOUNT (epoxy-priv's socket directory, never /run/epoxy);
 *    and a sliver whose slice holds the grant archive, on a node manager
 *    with an archive_dir, gets that /run tmpfs and in it archive_dir
 *    read-only at NMSVC_MOUNT and the group NMSVC_GID that may read it:
 *    the archive-only certificate, never the node's own (nmsvc.h), and
 *    EPOXY_HOST, the node's name (its files are named by it);
 *    namespaces pid, mount, ipc, uts and network; no new privileges;
 *  - each sliver runs as its own uid and gid, never 0 (nmpriv_uids: in
 *    [uid_base, uid_base + 1024), kept in the owner of its out/, which is
 *    that uid's, mode 0700; two live slivers never share one), with
 *    CAP_NET_BIND_SERVICE (ambient) as its only capability: no
 *    CAP_SETUID, so it cannot take another slice's uid, which is what
 *    epoxy-priv knows a slice by; /proc paths masked or read-only;
 *  - with priv_grants, the grants file for epoxy-priv is written (only
 *    when it changed, atomically) from the set's grants and the uids
 *    before any sliver is created or started; when it cannot be, a
 *    sliver with grants is not run (E3161) and the others are;
 *  - disk_max is a project quota on out/ (node/nm/nmdisk.h): checked
 *    before anything is written (a DATA without project quotas refuses
 *    a sliver with disk_max), given to out/ before the bundle is renamed
 *    into place, changed in place, cleared when the sliver is destroyed;
 *    it is in config.json's annotations, so its change alone is an update;
 *  - limits go to cgroup v2 by name in linux.resources.unified:
 *    cpu.weight = cpu_share, cpu.max = "cpu_pct*1000 100000" ("max" for
 *    0), memory.max = mem_max ("max" for 0), pids.max = tasks_max ("max"
 *    for 0): exact, with no conversion by the runtime (crun's shares to
 *    weight formula changed between versions);
 *  - a record that fails nmrun_check (name, entry, expiry, a limit out of
 *    range) writes nothing and runs nothing, and an older sliver of its
 *    name is destroyed (it would run with limits the set no longer
 *    grants);
 *  - nmrun_reconcile is idempotent and survives kill -9 at any point: a
 *    bundle is written under .new-NAME and renamed, the state file (the
 *    SHA-256 of the config and of its limit-free part) is written by
 *    write + fsync + rename + fsync of the directory only after crun
 *    started the container; so at the next run a container or bundle
 *    without a state file, a state that does not match the wanted config,
 *    a .new- bundle, a crun state directory crun cannot delete, are all
 *    destroyed (and made again when wanted), while a running sliver whose
 *    state matches is left alone, one whose limits alone changed is
 *    updated in place (same process), and one not running whose state
 *    matches its image, entry and root (a reboot: crun's state is gone;
 *    or its entry ended) is started again on its kept bundle, out/ and
 *    its project id with it (made afresh only when that fails);
 *  - it only ever removes entries of DATA and STATE named like a sliver
 *    (sliverset_name_ok) or .new-<sliver name>; anything else is logged
 *    and left (DATA/.images, the slice images of node/nm/nmimage.h,
 *    silently);
 *  - with images on (r->images, epoxy-nm --images) a sliver's root is
 *    IMAGES/<hex of its image's SHA-256>, read-only, made whole by
 *    r->image before its config is written (a failure there writes
 *    nothing and runs nothing, like a refused record; -EPX_E_NM_IMG_PENDING,
 *    an image still being fetched, is the same but counted as waiting,
 *    not failed, and logged by nobody: it is no error); off, every sliver
 *    runs on rootfs.  The root is in the state's base hash, so a kept
 *    bundle (a reboot) is started again only on the very same image. */
#ifndef EPOXY_NMRUN_H
#define EPOXY_NMRUN_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "lib/sliverset.h"
#include "node/nm/nmdisk.h"

#define NMRUN_PATH_MAX 200
#define NMRUN_CONFIG_MAX (16 * 1024)
#define NMRUN_STATE_MAX 256
#define NMRUN_OUT_MAX (16 * 1024)       /* crun's answer kept from one call */
#define NMRUN_SETTLE_MS 10000           /* wait for crun calls of a killed run */
#define NMRUN_CPU_PERIOD 100000         /* cpu.max period, microseconds */
#define NMRUN_MEM_MIN ((uint64_t)4 << 20)

#define NMRUN_DATA_DEFAULT "/var/lib/epoxy/slivers"
#define NMRUN_ROOT_DEFAULT "/run/epoxy-crun"
#define NMRUN_CRUN_DEFAULT "/usr/bin/crun"
/* cgroupsPath of a sliver with --cgroup-manager cgroupfs: PARENT/NAME
 * under the cgroup v2 mount (nmsense.h reads it there) */
#define NMRUN_CGROUP_PARENT "/epoxy"
/* DATA/.images: the unpacked slice images (node/nm/nmimage.h) */
#define NMRUN_IMAGES ".images"

struct nmnet;

enum nmrun_cgroup { NMRUN_CG_CGROUPFS = 1, NMRUN_CG_DISABLED };

struct nmrun {
	char data[NMRUN_PATH_MAX + 1];
	char root[NMRUN_PATH_MAX + 1];          /* crun --root */
	char rootfs[NMRUN_PATH_MAX + 1];
	char crun[NMRUN_PATH_MAX + 1];
	enum nmrun_cgroup cg;
	int no_pivot;                           /* crun create --no-pivot */
	struct nmnet *net;                      /* --uplink: the slivers' network
						 * (node/nm/nmnet.h); NULL off */
	struct nmdisk disk;                     /* disk_max: project quotas of
						 * data (node/nm/nmdisk.h) */
	/* slice images (node/nm/nmimage.h): images[0] when on; image(ctx,
	 * sl) makes images/<hex> whole or returns the code of its refusal */
	char images[NMRUN_PATH_MAX + 16];
	int (*image)(void *ctx, const struct sliver *sl);
	void *image_ctx;
	/* the slivers' uids and privileged operations (node/nm/nmpriv.h):
	 * uid_base (NMPRIV_UID_BASE unless set after nmrun_init); priv_grants
	 * the grants file written for epoxy-priv ("": none written);
	 * priv_dir the directory of its socket, bind-mounted read-only at
	 * NMPRIV_MOUNT into each sliver with grants ("": into none) */
	uint32_t uid_base;
	char priv_grants[NMRUN_PATH_MAX + 1];
	char priv_dir[NMRUN_PATH_MAX + 1];
	/* archive_dir: the archive-only certificate's directory (epoxy-nm
	 * --service-cert, node/nm/nmsvc.h), bind-mounted read-only at
	 * NMSVC_MOUNT into each sliver whose slice holds the grant archive,
	 * which also gets NMSVC_GID as a supplementary group ("": none) */
	char archive_dir[NMRUN_PATH_MAX + 1];
	char host[64];                          /* the node's name: EPOXY_HOST
						 * of an archive sliver ("": none) */
};

struct nmrun_stats {
	unsigned created, updated, destroyed, kept, failed;
	unsigned waiting;               /* for an image being fetched */
};

/* Checks the paths (lengths; rootfs a directory: -EPX_E_NM_ROOTFS; crun
 * executable: -EPX_E_NM_CRUN), the cgroup manager's name ("cgroupfs" or
 * "disabled": -EPX_E_NM_USAGE), makes data and root (0700), and probes
 * data's project quotas (r->disk). */
int nmrun_init(struct nmrun *r, const char *data, const char *root, const char *rootfs,
	       const char *crun, const char *cgroup, int no_pivot);
/* 0, -EPX_E_NM_SLIVER (name, entry, expiry) or -EPX_E_NM_LIMIT. */
int nmrun_check(const struct sliver *sl);
/* Writes the OCI config of sl to f; limits 0: without linux.resources
 * (the part whose change needs a new container).  nmrun_check first. */
int nmrun_config(const struct nmrun *r, const struct sliver *sl, uint32_t uid, int limits,
		 FILE *f);
/* The linux.resources object alone (crun update --resources). */
int nmrun_resources(const struct sliver *sl, FILE *f);
/* The state file: "epoxy-sliver 1\nconfig HEX\nbase HEX\n".  0 or
 * -EPX_E_NM_STATE. */
int nmrun_state_parse(const char *buf, size_t len, uint8_t config[32], uint8_t base[32]);
/* Makes what runs match the live slivers of want (NULL: none) at now.
 * 0 when every sliver is as wanted, else the first error (the others
 * are still tried), -EPX_E_NM_IMG_PENDING when the only ones not
 * running wait for their image; counts in st. */
int nmrun_reconcile(struct nmrun *r, const struct sliverset *want, int64_t now,
		    struct nmrun_stats *st);

/* rm -rf path: never follows a symbolic link, never leaves its file
 * system; 0 when it is gone (or never was), else -EPX_E_NM_BUNDLE. */
int nmrun_rmtree(const char *path);

/* fork() whose child dies with this process (PR_SET_PDEATHSIG SIGKILL,
 * which an exec keeps): a killed node manager leaves no mke2fs, nft,
 * unpacker or crun call running on beside its next run.  The child checks
 * that its parent is still the caller, else exits 127 at once.  The
 * signal follows the forking thread, so that thread waits for the child
 * (every caller does).  Returns what fork() returns. */
pid_t nmrun_fork_tied(void);

/* One line "epoxy-nm: ..." on stderr: the node manager's one logger
 * (nm.c and nmrun.c). */
void nmrun_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
