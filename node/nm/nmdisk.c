/* nmdisk: disk_max as a project quota, and the data disk (nmdisk.h).
 *
 * The kernel's interfaces are used through their UAPI numbers, defined
 * here: the static build's musl ships neither <linux/fs.h> nor PRJQUOTA,
 * Q_GETNEXTQUOTA or SYS_quotactl_fd, and these numbers never change. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/err.h"
#include "node/nm/nmdisk.h"
#include "node/nm/nmrun.h"

#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443             /* one number on every architecture */
#endif

/* <linux/fs.h>: struct fsxattr and its ioctls */
struct nmdisk_fsx {
	uint32_t xflags, extsize, nextents, projid, cowextsize;
	unsigned char pad[8];
};
#define NMDISK_FSGETXATTR 0x801c581fu   /* _IOR('X', 31, struct fsxattr) */
#define NMDISK_FSSETXATTR 0x401c5820u   /* _IOW('X', 32, struct fsxattr) */
#define NMDISK_PROJINHERIT 0x200u
#define NMDISK_BLKGETSIZE64 0x80081272u /* _IOR(0x12, 114, size_t) */
/* <linux/quota.h>, <linux/dqblk_xfs.h> */
#define NMDISK_PRJQUOTA 2
#define NMDISK_QCMD(c) (((c) << 8) | NMDISK_PRJQUOTA)
#define NMDISK_Q_SETQUOTA 0x800008
#define NMDISK_Q_GETNEXTQUOTA 0x800009
#define NMDISK_Q_XGETQSTATV 0x5808
#define NMDISK_QIF_LIMITS 5u            /* QIF_BLIMITS | QIF_ILIMITS */
#define NMDISK_PDQ_ACCT 0x10u
#define NMDISK_PDQ_ENFD 0x20u
/* struct if_nextdqblk (struct if_dqblk is its first 72 bytes) */
struct nmdisk_dq {
	uint64_t bhard, bsoft, curspace, ihard, isoft, curinodes, btime, itime;
	uint32_t valid, id;
};
/* struct fs_quota_statv: the version in, the flags out (the kernel
 * writes its 160 bytes; rest leaves room) */
struct nmdisk_statv {
	int8_t version;
	uint8_t pad;
	uint16_t flags;
	unsigned char rest[252];
};
/* the ext4 superblock, at byte 1024 of the device */
#define NMDISK_SB 1024
#define NMDISK_SB_MAGIC 56              /* 0xEF53, little endian */
#define NMDISK_SB_RO_COMPAT 100
#define NMDISK_SB_LABEL 120             /* s_volume_name[16] */
#define NMDISK_RO_QUOTA 0x100u
#define NMDISK_RO_PROJECT 0x2000u
#define NMDISK_NEW ".new-"

static long nmdisk_quotactl(int fd, int cmd, uint32_t id, void *arg)
{
	return syscall(SYS_quotactl_fd, fd, (unsigned)NMDISK_QCMD(cmd), id, arg);
}

int nmdisk_init(struct nmdisk *d, const char *data)
{
	struct nmdisk_statv st;

	d->on = 0;
	d->fd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0)
		return -EPX_E_NM_BUNDLE;
	memset(&st, 0, sizeof(st));
	st.version = 1;                 /* FS_QSTATV_VERSION1 */
	if (nmdisk_quotactl(d->fd, NMDISK_Q_XGETQSTATV, 0, &st) == 0 &&
	    (st.flags & NMDISK_PDQ_ACCT) && (st.flags & NMDISK_PDQ_ENFD))
		d->on = 1;
	return 0;
}

void nmdisk_free(struct nmdisk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->on = 0;
}

uint64_t nmdisk_blocks(uint64_t disk_max)
{
	return disk_max / 1024 + (disk_max % 1024 != 0);
}

int nmdisk_check(const struct nmdisk *d, const struct sliver *sl)
{
	uint64_t max = sl->attr[NMDISK_DISK_MAX];

	if (max && (max < NMDISK_MIN || max > NMDISK_MAX))
		return -EPX_E_NM_DISK_LIMIT;
	if (max && (!d || !d->on))
		return -EPX_E_NM_DISK_NOQUOTA;
	return 0;
}

void nmdisk_seccomp(FILE *f)
{
	fprintf(f, ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
		"[{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, "
		"\"args\": [{\"index\": 1, \"value\": %u, \"valueTwo\": %u, "
		"\"op\": \"SCMP_CMP_MASKED_EQ\"}]}]}", 0xffffffffu, NMDISK_FSSETXATTR);
}

/* ------------------------------------------------------------ the ids */

static int nmdisk_setlimit(const struct nmdisk *d, uint32_t id, uint64_t disk_max)
{
	struct nmdisk_dq q;

	memset(&q, 0, sizeof(q));
	q.bhard = nmdisk_blocks(disk_max);
	q.valid = NMDISK_QIF_LIMITS;
	return nmdisk_quotactl(d->fd, NMDISK_Q_SETQUOTA, id, &q) == 0 ? 0 :
		-EPX_E_NM_DISK_QUOTA;
}

static int nmdisk_ours(uint32_t id)
{
	return id >= NMDISK_PROJ_BASE && id - NMDISK_PROJ_BASE < NMDISK_SLOTS;
}

/* out's project id (0 when it has none or cannot be read) */
static uint32_t nmdisk_projid(int dirfd, const char *out)
{
	struct nmdisk_fsx x;
	int fd = openat(dirfd, out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	uint32_t id = 0;

	if (fd < 0)
		return 0;
	if (ioctl(fd, NMDISK_FSGETXATTR, &x) == 0)
		id = x.projid;
	close(fd);
	return id;
}

/* used[slot] = 1 for the ids held by DATA/<bundle>/out (bundles: sliver
 * names and .new-<sliver name>) */
static int nmdisk_used(const struct nmdisk *d, unsigned char used[NMDISK_SLOTS])
{
	char path[300];
	int fd = dup(d->fd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	const char *n;
	uint32_t id;

	memset(used, 0, NMDISK_SLOTS);
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -EPX_E_NM_BUNDLE;
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		n = de->d_name;
		if (!strncmp(n, NMDISK_NEW, strlen(NMDISK_NEW)))
			n += strlen(NMDISK_NEW);
		if (!sliverset_name_ok(n, strlen(n)))
			continue;
		snprintf(path, sizeof(path), "%s/out", de->d_name);
		id = nmdisk_projid(d->fd, path);
		if (nmdisk_ours(id))
			used[id - NMDISK_PROJ_BASE] = 1;
	}
	closedir(dir);
	return 0;
}

/* out gets id and PROJINHERIT */
static int nmdisk_tag(const char *out, uint32_t id)
{
	struct nmdisk_fsx x;
	int fd = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -EPX_E_NM_DISK_QUOTA;
	if (ioctl(fd, NMDISK_FSGETXATTR, &x) < 0)
		rc = -EPX_E_NM_DISK_QUOTA;
	x.projid = id;
	x.xflags |= NMDISK_PROJINHERIT;
	if (rc == 0 && ioctl(fd, NMDISK_FSSETXATTR, &x) < 0)
		rc = -EPX_E_NM_DISK_QUOTA;
	close(fd);
	return rc;
}

int nmdisk_attach(const struct nmdisk *d, const char *out, const struct sliver *sl)
{
	unsigned char used[NMDISK_SLOTS];
	unsigned slot;
	int rc = nmdisk_check(d, sl);

	if (rc < 0 || !d->on)
		return rc;
	rc = nmdisk_used(d, used);
	for (slot = 0; rc == 0 && slot < NMDISK_SLOTS && used[slot]; slot++)
		;
	if (rc == 0 && slot == NMDISK_SLOTS)
		rc = -EPX_E_NM_DISK_FULL;
	/* the limit first: an id set with no limit yet is never seen */
	if (rc == 0)
		rc = nmdisk_setlimit(d, NMDISK_PROJ_BASE + slot, sl->attr[NMDISK_DISK_MAX]);
	if (rc == 0)
		rc = nmdisk_tag(out, NMDISK_PROJ_BASE + slot);
	return rc;
}

int nmdisk_update(const struct nmdisk *d, const char *out, const struct sliver *sl)
{
	int rc = nmdisk_check(d, sl);
	uint32_t id;

	if (rc < 0 || !d->on)
		return rc;
	id = nmdisk_projid(AT_FDCWD, out);
	/* made while DATA had no quotas: an id now (what out/ holds already
	 * stays uncharged; new files are counted) */
	if (!nmdisk_ours(id))
		return nmdisk_attach(d, out, sl);
	return nmdisk_setlimit(d, id, sl->attr[NMDISK_DISK_MAX]);
}

int nmdisk_clear(const struct nmdisk *d, const char *out)
{
	uint32_t id;

	if (!d->on)
		return 0;
	id = nmdisk_projid(AT_FDCWD, out);
	return nmdisk_ours(id) ? nmdisk_setlimit(d, id, 0) : 0;
}

int nmdisk_sync(const struct nmdisk *d)
{
	unsigned char used[NMDISK_SLOTS];
	struct nmdisk_dq q;
	uint32_t id = NMDISK_PROJ_BASE;
	unsigned n;
	int rc;

	if (!d->on)
		return 0;
	rc = nmdisk_used(d, used);
	for (n = 0; rc == 0 && n < NMDISK_SLOTS; n++) {
		memset(&q, 0, sizeof(q));
		if (nmdisk_quotactl(d->fd, NMDISK_Q_GETNEXTQUOTA, id, &q) < 0 || !nmdisk_ours(q.id))
			break;          /* ENOENT: no id left at or past id */
		if (!used[q.id - NMDISK_PROJ_BASE] && (q.bhard || q.bsoft || q.ihard || q.isoft)) {
			nmrun_log("project quota %#x held by no sliver; its limit cleared",
				  (unsigned)q.id);
			rc = nmdisk_setlimit(d, q.id, 0);
		}
		id = q.id + 1;
	}
	return rc;
}

/* ------------------------------------------------------- the data disk */

static int nmdisk_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

enum nmdisk_kind nmdisk_classify(const uint8_t *head, size_t hlen, const uint8_t *tail,
				 size_t tlen)
{
	const uint8_t *sb = head + NMDISK_SB;
	char label[sizeof(NMDISK_LABEL)] = NMDISK_LABEL;
	uint32_t ro;

	if (hlen > NMDISK_PROBE_BYTES || tlen > NMDISK_PROBE_BYTES)
		return NMDISK_FOREIGN;
	if (nmdisk_zero(head, hlen) && nmdisk_zero(tail, tlen))
		return NMDISK_BLANK;
	if (hlen < NMDISK_SB + NMDISK_SB_LABEL + 16 || sb[NMDISK_SB_MAGIC] != 0x53 ||
	    sb[NMDISK_SB_MAGIC + 1] != 0xef)
		return NMDISK_FOREIGN;
	ro = (uint32_t)sb[NMDISK_SB_RO_COMPAT] | (uint32_t)sb[NMDISK_SB_RO_COMPAT + 1] << 8 |
		(uint32_t)sb[NMDISK_SB_RO_COMPAT + 2] << 16 |
		(uint32_t)sb[NMDISK_SB_RO_COMPAT + 3] << 24;
	/* the label exactly, NUL-padded to its 16 bytes */
	if (memcmp(sb + NMDISK_SB_LABEL, label, strlen(label)) ||
	    !nmdisk_zero(sb + NMDISK_SB_LABEL + strlen(label), 16 - strlen(label)))
		return NMDISK_FOREIGN;
	if (!(ro & NMDISK_RO_QUOTA) || !(ro & NMDISK_RO_PROJECT))
		return NMDISK_FOREIGN;
	return NMDISK_OURS;
}

/* The first and last NMDISK_PROBE_BYTES of fd (size bytes) classified. */
static int nmdisk_probe(int fd, uint64_t size, enum nmdisk_kind *kind)
{
	size_t n = size < NMDISK_PROBE_BYTES ? (size_t)size : NMDISK_PROBE_BYTES;
	uint8_t *head = malloc(NMDISK_PROBE_BYTES), *tail = malloc(NMDISK_PROBE_BYTES);
	int rc = -EPX_E_NM_DISK_DEVICE;

	if (!head || !tail)
		goto out;
	if (pread(fd, head, n, 0) != (ssize_t)n || pread(fd, tail, n, (off_t)(size - n)) != (ssize_t)n)
		goto out;
	*kind = nmdisk_classify(head, n, tail, n);
	rc = 0;
out:
	free(head);
	free(tail);
	return rc;
}

static int nmdisk_open(const char *dev, int *fd, uint64_t *size, dev_t *rdev)
{
	struct stat st;

	*fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &st) < 0 || !S_ISBLK(st.st_mode) ||
	    ioctl(*fd, NMDISK_BLKGETSIZE64, size) < 0 || *size < 2 * NMDISK_PROBE_BYTES) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPX_E_NM_DISK_DEVICE;
	}
	*rdev = st.st_rdev;
	return 0;
}

/* mke2fs -q -t ext4 -O quota,project -L LABEL -m 0 DEV, stdin /dev/null
 * (it never prompts), its messages on our stderr */
static int nmdisk_mkfs(const char *mke2fs, const char *dev)
{
	const char *argv[] = { mke2fs, "-q", "-t", "ext4", "-O", "quota,project", "-L",
			       NMDISK_LABEL, "-m", "0", dev, NULL };
	int st = 0, fd;
	pid_t pid;

	if (access(mke2fs, X_OK) < 0)
		return -EPX_E_NM_DISK_MKFS;
	/* a mke2fs left by a killed node manager would format on beside
	 * the next run's */
	pid = nmrun_fork_tied();
	if (pid == 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		dup2(2, 1);
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		execv(mke2fs, (char *const *)argv);
		_exit(127);
	}
	if (pid < 0)
		return -EPX_E_NM_DISK_MKFS;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EPX_E_NM_DISK_MKFS;
}

/* DIR made if needed; DEV mounted on it with prjquota unless it already
 * is; then its project quotas must be on. */
static int nmdisk_mount(const char *dev, dev_t rdev, const char *dir)
{
	struct nmdisk d = { -1, 0 };
	struct stat st;
	int rc;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -EPX_E_NM_DISK_MOUNT;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return -EPX_E_NM_DISK_MOUNT;
	if (st.st_dev != rdev && mount(dev, dir, "ext4", MS_NOSUID | MS_NODEV, "prjquota") < 0) {
		nmrun_log("mount %s on %s (ext4, prjquota): %s", dev, dir, strerror(errno));
		return -EPX_E_NM_DISK_MOUNT;
	}
	rc = nmdisk_init(&d, dir);
	if (rc == 0 && !d.on)
		rc = -EPX_E_NM_DISK_MOUNT;
	nmdisk_free(&d);
	return rc;
}

static void nmdisk_usage(FILE *f)
{
	fputs("usage: epoxy-nm disk --device DEV --mount DIR [--mke2fs PATH]\n"
	      "  The node's data disk: a blank DEV (its first and last MiB all zero) is\n"
	      "  formatted ext4 with the quota and project features, labelled "
	      NMDISK_LABEL ",\n"
	      "  by --mke2fs (default " NMDISK_MKE2FS_DEFAULT "); a DEV that already is such a\n"
	      "  disk is kept as it is; any other DEV is refused and not written to.  Then\n"
	      "  DEV is mounted on DIR with prjquota (unless it already is) and its project\n"
	      "  quotas checked: run join with --data DIR/slivers.\n"
	      "exit: 0 mounted, 1 refused or failed, 2 usage\n", f);
}

static int nmdisk_fail(int rc, const char *what)
{
	char code[16];

	nmrun_log("%s %s: %s", epx_code(rc, code, sizeof(code)), what, epx_strerror(rc));
	return CLI_FAIL;
}

int nmdisk_cli(int argc, char **argv)
{
	static const struct option lo[] = { { "device", 1, 0, 'd' }, { "mount", 1, 0, 'm' },
					    { "mke2fs", 1, 0, 'k' }, { "help", 0, 0, 'h' },
					    { 0, 0, 0, 0 } };
	const char *dev = NULL, *dir = NULL, *mke2fs = NMDISK_MKE2FS_DEFAULT, **p;
	enum nmdisk_kind kind = NMDISK_FOREIGN;
	int o, fd, rc, formatted = 0;
	uint64_t size = 0;
	dev_t rdev = 0;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == 'h')
			return nmdisk_usage(stdout), CLI_OK;
		p = o == 'd' ? &dev : o == 'm' ? &dir : o == 'k' ? &mke2fs : NULL;
		if (!p || optarg[0] != '/' || strlen(optarg) > NMDISK_PATH_MAX)
			return nmdisk_fail(-EPX_E_NM_USAGE, "disk"), nmdisk_usage(stderr), CLI_USAGE;
		*p = optarg;
	}
	if (!dev || !dir || optind != argc)
		return nmdisk_fail(-EPX_E_NM_USAGE, "disk"), nmdisk_usage(stderr), CLI_USAGE;
	rc = nmdisk_open(dev, &fd, &size, &rdev);
	if (rc == 0) {
		rc = nmdisk_probe(fd, size, &kind);
		close(fd);
	}
	if (rc == 0 && kind == NMDISK_FOREIGN)
		rc = -EPX_E_NM_DISK_FOREIGN;
	if (rc == 0 && kind == NMDISK_BLANK) {
		nmrun_log("data disk %s is blank: formatting it ext4 (quota, project)", dev);
		rc = nmdisk_mkfs(mke2fs, dev);
		formatted = 1;
		/* what mke2fs wrote must read back as ours */
		if (rc == 0 && (rc = nmdisk_open(dev, &fd, &size, &rdev)) == 0) {
			rc = nmdisk_probe(fd, size, &kind);
			close(fd);
			if (rc == 0 && kind != NMDISK_OURS)
				rc = -EPX_E_NM_DISK_MKFS;
		}
	}
	if (rc == 0)
		rc = nmdisk_mount(dev, rdev, dir);
	if (rc < 0)
		return nmdisk_fail(rc, dev);
	nmrun_log("data disk %s on %s (%s): project quotas on", dev, dir,
		  formatted ? "formatted" : "kept");
	return CLI_OK;
}
