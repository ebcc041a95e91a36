/* nmrun: slivers as crun containers (nmrun.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/grant.h"
#include "lib/hex.h"
#include "lib/line.h"
#include "lib/logline.h"
#include "lib/record.h"
#include "lib/num.h"
#include "lib/sha256.h"
#include "node/nm/nmnet.h"
#include "node/nm/nmpriv.h"
#include "node/nm/nmrun.h"
#include "node/nm/nmsvc.h"

#define NMRUN_P (NMRUN_PATH_MAX + 96)
#define NMRUN_NEW ".new-"

enum { NMRUN_CPU_SHARE, NMRUN_CPU_PCT, NMRUN_MEM_MAX, NMRUN_TASKS_MAX };

/* the one capability a sliver keeps, ambient so that it survives the
 * exec of the entry by a uid that is not 0: a port below 1024 of its own
 * network namespace.  Never CAP_SETUID/CAP_SETGID (it could become
 * another slice's uid, the identity epoxy-priv trusts), CAP_SYS_ADMIN,
 * CAP_NET_ADMIN, CAP_DAC_OVERRIDE, CAP_SYS_PTRACE, CAP_MKNOD ... */
static const char *const nmrun_caps[] = {
	"CAP_NET_BIND_SERVICE",
};
static const char *const nmrun_masked[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/fs/selinux", "/sys/dev/block",
};
static const char *const nmrun_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};
static const char *const nmrun_ns[] = { "pid", "mount", "ipc", "uts", "network" };

void nmrun_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logline_vwrite(2, "epoxy-nm: ", fmt, ap);      /* whole: one write(2) */
	va_end(ap);
}

static int nmrun_fail(int rc, const char *name, const char *what, const char *detail)
{
	char code[16];

	nmrun_log("%s sliver %s: %s: %s%s%s", epx_code(rc, code, sizeof(code)), name, what,
		  epx_strerror(rc), detail && detail[0] ? ": " : "", detail ? detail : "");
	return rc;
}

static int nmrun_copy(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n > NMRUN_PATH_MAX || src[0] != '/')
		return -EPX_E_NM_USAGE;
	memcpy(dst, src, n + 1);
	return 0;
}

int nmrun_init(struct nmrun *r, const char *data, const char *root, const char *rootfs,
	       const char *crun, const char *cgroup, int no_pivot)
{
	struct stat st;
	int rc;

	memset(r, 0, sizeof(*r));
	r->disk.fd = -1;
	r->uid_base = NMPRIV_UID_BASE;
	rc = nmrun_copy(r->data, data);
	if (rc == 0)
		rc = nmrun_copy(r->root, root);
	if (rc == 0)
		rc = nmrun_copy(r->rootfs, rootfs);
	if (rc == 0)
		rc = nmrun_copy(r->crun, crun);
	if (rc < 0)
		return rc;
	if (!strcmp(cgroup, "cgroupfs"))
		r->cg = NMRUN_CG_CGROUPFS;
	else if (!strcmp(cgroup, "disabled"))
		r->cg = NMRUN_CG_DISABLED;
	else
		return -EPX_E_NM_USAGE;
	r->no_pivot = no_pivot;
	if (stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return -EPX_E_NM_ROOTFS;
	if (stat(crun, &st) < 0 || !S_ISREG(st.st_mode) || access(crun, X_OK) < 0)
		return -EPX_E_NM_CRUN;
	if ((mkdir(data, 0700) < 0 && errno != EEXIST) || (mkdir(root, 0700) < 0 && errno != EEXIST))
		return -EPX_E_NM_BUNDLE;
	rc = nmdisk_init(&r->disk, data);
	if (rc == 0)
		nmrun_log("%s: project quotas %s", data, r->disk.on ? "on (disk_max enforced)" :
			  "off (a sliver with disk_max is refused)");
	return rc;
}

/* ---------------------------------------------------------------- check */

int nmrun_check(const struct sliver *sl)
{
	const uint64_t *a = sl->attr;
	size_t n = strnlen(sl->name, sizeof(sl->name));
	size_t e = strnlen(sl->entry, sizeof(sl->entry));
	size_t i;

	if (n >= sizeof(sl->name) || !sliverset_name_ok(sl->name, n) || e == 0 ||
	    e >= sizeof(sl->entry) || sl->expires <= 0)
		return -EPX_E_NM_SLIVER;
	for (i = 0; i < e; i++)
		if ((unsigned char)sl->entry[i] < 0x20 || (unsigned char)sl->entry[i] > 0x7e)
			return -EPX_E_NM_SLIVER;
	if (a[NMRUN_CPU_SHARE] < 1 || a[NMRUN_CPU_SHARE] > 10000 || a[NMRUN_CPU_PCT] > 25600 ||
	    (a[NMRUN_MEM_MAX] && a[NMRUN_MEM_MAX] < NMRUN_MEM_MIN) ||
	    a[NMRUN_MEM_MAX] > ((uint64_t)1 << 50) || a[NMRUN_TASKS_MAX] > 4194304)
		return -EPX_E_NM_LIMIT;
	return 0;
}

/* --------------------------------------------------------------- config */

static void nmrun_strs(FILE *f, const char *key, const char *const *v, size_t n)
{
	size_t i;

	fprintf(f, "\"%s\": [", key);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		record_json_str(f, v[i]);
	}
	fputs("]", f);
}

#define NMRUN_N(a) (sizeof(a) / sizeof((a)[0]))

/* What a sliver's grants give it in its config, from one parse of its
 * grants list per sliver (nmrun_prepare): NMRUN_G_PRIV, epoxy-priv's
 * socket directory (nmpriv.h: any grant, on a node manager with a
 * priv_dir); NMRUN_G_ARCHIVE, the archive-only certificate (nmsvc.h:
 * the grant archive, on one with an archive_dir; a list that does not
 * parse grants no archive). */
enum {
	NMRUN_G_PRIV = 1,
	NMRUN_G_ARCHIVE = 2,
};

static unsigned nmrun_grants(const struct nmrun *r, const struct sliver *sl)
{
	struct grant g[GRANT_MAX];
	size_t n = 0, i;
	unsigned fl = 0;

	if (!sl->grants[0])
		return 0;
	if (r->priv_dir[0])
		fl |= NMRUN_G_PRIV;
	if (r->archive_dir[0] && grant_list_parse(sl->grants, strlen(sl->grants), g, &n) == 0)
		for (i = 0; i < n; i++)
			if (g[i].kind == GRANT_ARCHIVE)
				fl |= NMRUN_G_ARCHIVE;
	return fl;
}

static void nmrun_process(const struct nmrun *r, const struct sliver *sl, uint32_t uid,
			  unsigned fl, FILE *f)
{
	const char *args[] = { "/bin/sh", "-c", sl->entry };
	char env[64], host[16 + sizeof(r->host)];
	const char *envs[4] = { "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", env };
	size_t ne = 2;
	static const char *const caps[] = {
		"bounding", "effective", "permitted", "inheritable", "ambient",
	};
	size_t i;

	snprintf(env, sizeof(env), "EPOXY_SLIVER=%s", sl->name);
	snprintf(host, sizeof(host), "EPOXY_HOST=%s", r->host);
	if (fl & NMRUN_G_PRIV)
		envs[ne++] = "EPOXY_PRIV=" NMPRIV_SOCKET;
	/* the archive's sliver names its files by the node (epoxy-tcpinfo -H) */
	if ((fl & NMRUN_G_ARCHIVE) && r->host[0])
		envs[ne++] = host;
	fprintf(f, "\"process\": {\"terminal\": false, \"user\": {\"uid\": %" PRIu32
		", \"gid\": %" PRIu32, uid, uid);
	if (fl & NMRUN_G_ARCHIVE)
		fprintf(f, ", \"additionalGids\": [%u]", (unsigned)NMSVC_GID);
	fputs("}, ", f);
	nmrun_strs(f, "args", args, NMRUN_N(args));
	fputs(", ", f);
	nmrun_strs(f, "env", envs, ne);
	fputs(", \"cwd\": \"/\", \"noNewPrivileges\": true, \"capabilities\": {", f);
	for (i = 0; i < NMRUN_N(caps); i++) {
		fputs(i ? ", " : "", f);
		nmrun_strs(f, caps[i], nmrun_caps, NMRUN_N(nmrun_caps));
	}
	fputs("}, \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 4096, \"soft\": 4096}]}",
	      f);
}

static void nmrun_mount(FILE *f, const char *dst, const char *type, const char *src,
			const char *opts)
{
	fputs(", {\"destination\": ", f);
	record_json_str(f, dst);
	fputs(", \"type\": ", f);
	record_json_str(f, type);
	fputs(", \"source\": ", f);
	record_json_str(f, src);
	fprintf(f, ", \"options\": [%s]}", opts);
}

/* proc, dev, sys as the runtime spec's Linux defaults want them; a tmp
 * of its own; out/ of the bundle, the one host directory it sees */
static void nmrun_mounts(const struct nmrun *r, const struct sliver *sl, unsigned fl, FILE *f)
{
	char out[NMRUN_P];

	snprintf(out, sizeof(out), "%s/%s/out", r->data, sl->name);
	fputs("\"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\","
	      " \"options\": [\"nosuid\", \"noexec\", \"nodev\"]}", f);
	nmrun_mount(f, "/dev", "tmpfs", "tmpfs",
		    "\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"");
	nmrun_mount(f, "/dev/pts", "devpts", "devpts", "\"nosuid\", \"noexec\", \"newinstance\","
		    " \"ptmxmode=0666\", \"mode=0620\"");
	nmrun_mount(f, "/dev/shm", "tmpfs", "shm",
		    "\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"");
	nmrun_mount(f, "/dev/mqueue", "mqueue", "mqueue", "\"nosuid\", \"noexec\", \"nodev\"");
	nmrun_mount(f, "/sys", "sysfs", "sysfs", "\"nosuid\", \"noexec\", \"nodev\", \"ro\"");
	nmrun_mount(f, "/tmp", "tmpfs", "tmpfs",
		    "\"nosuid\", \"nodev\", \"mode=1777\", \"size=65536k\"");
	nmrun_mount(f, "/out", "bind", out, "\"bind\", \"nosuid\", \"nodev\", \"rw\"");
	/* a granted sliver: a /run of its own and in it, read-only, the one
	 * directory of epoxy-priv's socket (never /run/epoxy) */
	if (fl & (NMRUN_G_PRIV | NMRUN_G_ARCHIVE))
		nmrun_mount(f, "/run", "tmpfs", "tmpfs",
			    "\"nosuid\", \"nodev\", \"noexec\", \"mode=755\", \"size=1024k\"");
	if (fl & NMRUN_G_PRIV)
		nmrun_mount(f, NMPRIV_MOUNT, "bind", r->priv_dir,
			    "\"bind\", \"nosuid\", \"nodev\", \"noexec\", \"ro\"");
	/* the archive grant: the archive-only certificate's directory */
	if (fl & NMRUN_G_ARCHIVE)
		nmrun_mount(f, NMSVC_MOUNT, "bind", r->archive_dir,
			    "\"bind\", \"nosuid\", \"nodev\", \"noexec\", \"ro\"");
	fputs("]", f);
}

int nmrun_resources(const struct sliver *sl, FILE *f)
{
	const uint64_t *a = sl->attr;
	int rc = nmrun_check(sl);

	if (rc < 0)
		return rc;
	fputs("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}], \"unified\": {", f);
	fprintf(f, "\"cpu.weight\": \"%" PRIu64 "\", ", a[NMRUN_CPU_SHARE]);
	if (a[NMRUN_CPU_PCT])
		fprintf(f, "\"cpu.max\": \"%" PRIu64 " %u\", ",
			a[NMRUN_CPU_PCT] * NMRUN_CPU_PERIOD / 100, NMRUN_CPU_PERIOD);
	else
		fprintf(f, "\"cpu.max\": \"max %u\", ", NMRUN_CPU_PERIOD);
	if (a[NMRUN_MEM_MAX])
		fprintf(f, "\"memory.max\": \"%" PRIu64 "\", ", a[NMRUN_MEM_MAX]);
	else
		fputs("\"memory.max\": \"max\", ", f);
	if (a[NMRUN_TASKS_MAX])
		fprintf(f, "\"pids.max\": \"%" PRIu64 "\"", a[NMRUN_TASKS_MAX]);
	else
		fputs("\"pids.max\": \"max\"", f);
	fputs("}}", f);
	return ferror(f) ? -EPX_E_NM_BUNDLE : 0;
}

/* nmrun_config with the grants' flags fl (nmrun_grants) */
static int nmrun_config_fl(const struct nmrun *r, const struct sliver *sl, uint32_t uid,
			   int limits, unsigned fl, FILE *f)
{
	char root[sizeof(r->images) + 80];
	int rc = nmrun_check(sl);

	if (rc < 0)
		return rc;
	if (r->images[0]) {
		snprintf(root, sizeof(root), "%s/", r->images);
		hex_encode(sl->image, 32, root + strlen(root));
	} else {
		snprintf(root, sizeof(root), "%s", r->rootfs);
	}
	fputs("{\"ociVersion\": \"1.0.2\", ", f);
	nmrun_process(r, sl, uid, fl, f);
	fputs(", \"root\": {\"path\": ", f);
	record_json_str(f, root);
	fputs(", \"readonly\": true}, \"hostname\": ", f);
	record_json_str(f, sl->name);
	fputs(", ", f);
	nmrun_mounts(r, sl, fl, f);
	fputs(", \"linux\": {", f);
	if (r->cg == NMRUN_CG_CGROUPFS)
		fprintf(f, "\"cgroupsPath\": \"%s/%s\", ", NMRUN_CGROUP_PARENT, sl->name);
	if (limits) {
		fputs("\"resources\": ", f);
		rc = nmrun_resources(sl, f);
		fputs(", ", f);
	}
	fputs("\"namespaces\": [", f);
	for (size_t i = 0; i < NMRUN_N(nmrun_ns); i++)
		fprintf(f, "%s{\"type\": \"%s\"}", i ? ", " : "", nmrun_ns[i]);
	fputs("], ", f);
	nmrun_strs(f, "maskedPaths", nmrun_masked, NMRUN_N(nmrun_masked));
	fputs(", ", f);
	nmrun_strs(f, "readonlyPaths", nmrun_readonly, NMRUN_N(nmrun_readonly));
	nmdisk_seccomp(f);
	fputs("}", f);
	/* the disk's (nmdisk) and the network's limits (nmnet), with the
	 * others: their change alone is an update in place */
	if (limits)
		fprintf(f, ", \"annotations\": {\"org.epoxy.disk\": \"max %" PRIu64 "\"",
			sl->attr[NMDISK_DISK_MAX]);
	if (limits && r->net)
		fprintf(f, ", \"org.epoxy.net\": \"min %" PRIu64 " max %" PRIu64
			" day %" PRIu64 "\"", sl->attr[NMNET_MIN_RATE], sl->attr[NMNET_MAX_RATE],
			sl->attr[NMNET_BYTES_DAY]);
	if (limits)
		fputs("}", f);
	fputs("}\n", f);
	return rc == 0 && ferror(f) ? -EPX_E_NM_BUNDLE : rc;
}

int nmrun_config(const struct nmrun *r, const struct sliver *sl, uint32_t uid, int limits,
		 FILE *f)
{
	return nmrun_config_fl(r, sl, uid, limits, nmrun_grants(r, sl), f);
}

/* The config (which 1: with limits; 2: resources alone; fl the grants'
 * flags) into a buffer of the caller's (NMRUN_CONFIG_MAX). */
static int nmrun_render(const struct nmrun *r, const struct sliver *sl, uint32_t uid, int which,
			unsigned fl, char *buf, size_t *len)
{
	FILE *f = fmemopen(buf, NMRUN_CONFIG_MAX, "w");
	long n;
	int rc;

	if (!f)
		return -ENOMEM;
	rc = which == 2 ? nmrun_resources(sl, f) : nmrun_config_fl(r, sl, uid, which, fl, f);
	n = ftell(f);
	if (fclose(f) != 0 && rc == 0)
		rc = -EPX_E_NM_BUNDLE;
	if (rc == 0 && (n <= 0 || n >= NMRUN_CONFIG_MAX))
		rc = -EPX_E_NM_BUNDLE;
	if (rc == 0)
		*len = (size_t)n;
	return rc;
}

/* ----------------------------------------------------------- state file */

int nmrun_state_parse(const char *buf, size_t len, uint8_t config[32], uint8_t base[32])
{
	const char *v;
	size_t pos = 0;

	if (len > NMRUN_STATE_MAX || line_take(buf, len, &pos, "epoxy-sliver 1", &v) != 0 ||
	    line_take(buf, len, &pos, "config ", &v) != 64 || hex_decode(v, 64, config, 32) < 0 ||
	    line_take(buf, len, &pos, "base ", &v) != 64 || hex_decode(v, 64, base, 32) < 0 ||
	    pos != len)
		return -EPX_E_NM_STATE;
	return 0;
}

/* --------------------------------------------------------------- files */

static int nmrun_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -EPX_E_NM_BUNDLE;
	if (fsync(fd) < 0)
		rc = -EPX_E_NM_BUNDLE;
	close(fd);
	return rc;
}

/* dir/name = buf, whole or not at all (lib/file.h's file_replace) */
static int nmrun_put(const char *dir, const char *name, const char *buf, size_t len)
{
	char path[NMRUN_P + 40];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return file_replace(path, buf, len) < 0 ? -EPX_E_NM_BUNDLE : 0;
}

static int nmrun_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

pid_t nmrun_fork_tied(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0 && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
		_exit(127);
	return pid;
}

/* rm -rf path: never follows a symbolic link, never leaves the file
 * system (out/ is bind-mounted only inside the sliver's namespace). */
int nmrun_rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -EPX_E_NM_BUNDLE;
	if (nftw(path, nmrun_rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return -EPX_E_NM_BUNDLE;
	return 0;
}

static int nmrun_exists(const char *dir, const char *name)
{
	char path[NMRUN_P];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

/* ----------------------------------------------------------------- crun */

struct nmrun_out {
	char buf[NMRUN_OUT_MAX];
	size_t len;
};

/* Runs crun --root R --cgroup-manager M ARGS (NULL-ended).  The child's
 * stdout and stderr go to outfd when it is >= 0 (a sliver's console),
 * else into *out.  Returns the exit status, or -1 when it did not run.
 * Every descriptor but 0-2 is closed in the child: nothing of the node
 * manager (its TLS connection, its files) reaches crun or a sliver.
 * A child whose node manager dies before the exec (kill -9 while it
 * closes its descriptors) never runs crun: it would start a crun call
 * after the next node manager's nmrun_settle looked, and race it (seen
 * as "container already exists" in t_nm_run's kill rounds).  Once crun
 * runs, it finishes what it started and nmrun_settle waits for it. */
static int nmrun_crun(const struct nmrun *r, const char *const *args, int outfd,
		      struct nmrun_out *out)
{
	const char *argv[16];
	int p[2] = { -1, -1 }, st = 0, fd;
	size_t n = 0, i;
	ssize_t got;
	pid_t pid, parent;

	argv[n++] = r->crun;
	argv[n++] = "--root";
	argv[n++] = r->root;
	argv[n++] = r->cg == NMRUN_CG_DISABLED ? "--cgroup-manager=disabled" :
		"--cgroup-manager=cgroupfs";
	for (i = 0; args[i] && n < NMRUN_N(argv) - 1; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (out)
		out->len = 0;
	if (outfd < 0 && pipe2(p, O_CLOEXEC) < 0)
		return -1;
	parent = getpid();
	pid = nmrun_fork_tied();
	if (pid == 0) {
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		dup2(outfd >= 0 ? outfd : p[1], 1);
		dup2(outfd >= 0 ? outfd : p[1], 2);
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		/* crun itself is not tied to this process's life */
		prctl(PR_SET_PDEATHSIG, 0);
		if (getppid() != parent)
			_exit(127);
		execv(r->crun, (char *const *)argv);
		_exit(127);
	}
	if (p[1] >= 0)
		close(p[1]);
	while (p[0] >= 0 && (got = read(p[0], out->buf + out->len,
					sizeof(out->buf) - 1 - out->len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		out->len += (size_t)got;
		if (out->len == sizeof(out->buf) - 1) {
			char sink[512];

			while (read(p[0], sink, sizeof(sink)) > 0)
				;
			break;
		}
	}
	if (out)
		out->buf[out->len] = '\0';
	if (p[0] >= 0)
		close(p[0]);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The last line of crun's answer, for the log. */
static const char *nmrun_tail(struct nmrun_out *o)
{
	char *p;

	while (o->len && (o->buf[o->len - 1] == '\n' || o->buf[o->len - 1] == '\r'))
		o->buf[--o->len] = '\0';
	p = strrchr(o->buf, '\n');
	return p ? p + 1 : o->buf;
}

/* 1 when crun says the container name runs. */
static int nmrun_running(const struct nmrun *r, const char *name, struct nmrun_out *o)
{
	const char *args[] = { "state", name, NULL };

	if (nmrun_crun(r, args, -1, o) != 0)
		return 0;
	return strstr(o->buf, "\"status\": \"running\"") != NULL;
}

/* 1 when /proc/pid is a crun call on our --root in our pid namespace (a
 * created container's init has crun's command line too, in its own). */
static int nmrun_ours(const struct nmrun *r, const char *pid, const char *selfns)
{
	char path[64], buf[4096], ns[64];
	ssize_t n, k;
	size_t i;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "/proc/%s/ns/pid", pid) >= sizeof(path))
		return 0;
	k = readlink(path, ns, sizeof(ns) - 1);
	if (k <= 0 || (size_t)k != strlen(selfns) || memcmp(ns, selfns, (size_t)k))
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "/proc/%s/cmdline", pid) >= sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (strcmp(buf, r->crun))
		return 0;
	for (i = 0; i + 1 < (size_t)n; i += strlen(buf + i) + 1)
		if (!strcmp(buf + i, "--root") && i + 7 < (size_t)n && !strcmp(buf + i + 7, r->root))
			return 1;
	return 0;
}

/* Waits for crun calls a killed node manager left running (they finish
 * what they started; NMRUN_SETTLE_MS at most, then SIGKILL). */
static void nmrun_settle(const struct nmrun *r)
{
	char selfns[64];
	struct timespec ts = { 0, 20 * 1000000 };
	struct dirent *de;
	ssize_t k = readlink("/proc/self/ns/pid", selfns, sizeof(selfns) - 1);
	int waited, busy = 1;
	DIR *d;

	if (k <= 0)
		return;
	selfns[k] = '\0';
	for (waited = 0; busy && waited <= NMRUN_SETTLE_MS; waited += 20) {
		busy = 0;
		d = opendir("/proc");
		while (d && (de = readdir(d)))
			if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
			    nmrun_ours(r, de->d_name, selfns)) {
				busy = 1;
				if (waited >= NMRUN_SETTLE_MS)
					kill((pid_t)atoi(de->d_name), SIGKILL);
			}
		if (d)
			closedir(d);
		if (busy)
			nanosleep(&ts, NULL);
	}
}

/* -------------------------------------------------------------- actions */

/* A container's remains: its network, crun kill, delete --force; a crun
 * state directory crun cannot delete (a crun killed half-way) is removed
 * by hand. */
static int nmrun_remains(const struct nmrun *r, const char *name)
{
	const char *kargs[] = { "kill", name, "KILL", NULL };
	const char *dargs[] = { "delete", "--force", name, NULL };
	struct nmrun_out *o = malloc(sizeof(*o));
	char path[NMRUN_P];
	int rc = 0;

	if (!o)
		return -ENOMEM;
	if (r->net)
		nmnet_down(r->net, name);
	if (nmrun_exists(r->root, name)) {
		nmrun_crun(r, kargs, -1, o);
		if (nmrun_crun(r, dargs, -1, o) != 0 && nmrun_exists(r->root, name)) {
			nmrun_log("sliver %s: crun delete: %s; removing its stale state", name,
				  nmrun_tail(o));
			snprintf(path, sizeof(path), "%s/%s", r->root, name);
			rc = nmrun_rmtree(path);
		}
	}
	free(o);
	return rc;
}

/* The container's remains, then the bundle (its out/'s limit zeroed
 * first). */
static int nmrun_destroy(const struct nmrun *r, const char *name)
{
	char path[NMRUN_P];
	int rc = nmrun_remains(r, name);

	snprintf(path, sizeof(path), "%s/%s/out", r->data, name);
	if (rc == 0)
		nmdisk_clear(&r->disk, path);   /* a failure: nmdisk_sync's again */
	snprintf(path, sizeof(path), "%s/%s", r->data, name);
	if (rc == 0)
		rc = nmrun_rmtree(path);
	return rc < 0 ? nmrun_fail(rc, name, "destroy", NULL) : 0;
}

struct nmrun_want {
	const struct sliver *sl;
	uint32_t uid;                   /* nmpriv_uids' */
	char cfg[NMRUN_CONFIG_MAX], res[NMRUN_CONFIG_MAX];
	size_t cfg_len, res_len;
	uint8_t h_cfg[32], h_base[32];
};

static int nmrun_prepare(const struct nmrun *r, const struct sliver *sl, uint32_t uid,
			 struct nmrun_want *w)
{
	char *base = malloc(NMRUN_CONFIG_MAX);
	size_t blen = 0;
	unsigned fl = nmrun_grants(r, sl);     /* the one parse of its grants */
	int rc = base ? 0 : -ENOMEM;

	w->sl = sl;
	w->uid = uid;
	if (rc == 0 && !uid)
		rc = -EPX_E_NM_UID;
	if (rc == 0)
		rc = nmdisk_check(&r->disk, sl);
	if (rc == 0)
		rc = nmrun_check(sl);
	if (rc == 0 && r->images[0])
		rc = r->image ? r->image(r->image_ctx, sl) : -EPX_E_NM_IMG_FETCH;
	if (rc == 0)
		rc = nmrun_render(r, sl, uid, 1, fl, w->cfg, &w->cfg_len);
	if (rc == 0)
		rc = nmrun_render(r, sl, uid, 0, fl, base, &blen);
	if (rc == 0)
		rc = nmrun_render(r, sl, uid, 2, fl, w->res, &w->res_len);
	if (rc == 0) {
		sha256_buf(w->cfg, w->cfg_len, w->h_cfg);
		sha256_buf(base, blen, w->h_base);
	}
	free(base);
	return rc;
}

static int nmrun_state_write(const struct nmrun *r, const struct nmrun_want *w)
{
	char dir[NMRUN_P], buf[NMRUN_STATE_MAX], c[65], b[65];
	int n;

	hex_encode(w->h_cfg, 32, c);
	hex_encode(w->h_base, 32, b);
	n = snprintf(buf, sizeof(buf), "epoxy-sliver 1\nconfig %s\nbase %s\n", c, b);
	snprintf(dir, sizeof(dir), "%s/%s", r->data, w->sl->name);
	return nmrun_put(dir, "state", buf, (size_t)n);
}

/* The bundle under .new-NAME, renamed to NAME once whole. */
static int nmrun_bundle(const struct nmrun *r, const struct nmrun_want *w)
{
	char tmp[NMRUN_P], dir[NMRUN_P], out[NMRUN_P + 8];
	int rc;

	snprintf(tmp, sizeof(tmp), "%s/" NMRUN_NEW "%s", r->data, w->sl->name);
	snprintf(dir, sizeof(dir), "%s/%s", r->data, w->sl->name);
	snprintf(out, sizeof(out), "%s/out", tmp);
	rc = nmrun_rmtree(tmp);
	if (rc == 0 && (mkdir(tmp, 0700) < 0 || mkdir(out, 0700) < 0))
		rc = -EPX_E_NM_BUNDLE;
	/* out/ is the sliver's uid's: the one place it writes, and where
	 * its uid is kept (nmpriv_uids) */
	if (rc == 0 && chown(out, w->uid, w->uid) < 0)
		rc = -EPX_E_NM_UID;
	if (rc == 0)
		rc = nmdisk_attach(&r->disk, out, w->sl);
	if (rc == 0)
		rc = nmrun_put(tmp, "config.json", w->cfg, w->cfg_len);
	if (rc == 0)
		rc = nmrun_put(tmp, "resources.json", w->res, w->res_len);
	if (rc == 0 && rename(tmp, dir) < 0)
		rc = -EPX_E_NM_BUNDLE;
	if (rc == 0)
		rc = nmrun_fsync_dir(r->data);
	return rc;
}

/* The bundle of a sliver that is kept (nmrun_restart): config.json and
 * resources.json written again in place, its out/'s limit set again;
 * out/ and all it holds stay. */
static int nmrun_rewrite(const struct nmrun *r, const struct nmrun_want *w)
{
	char dir[NMRUN_P], out[NMRUN_P + 8];
	int rc;

	snprintf(dir, sizeof(dir), "%s/%s", r->data, w->sl->name);
	snprintf(out, sizeof(out), "%s/out", dir);
	rc = nmrun_put(dir, "config.json", w->cfg, w->cfg_len);
	if (rc == 0)
		rc = nmrun_put(dir, "resources.json", w->res, w->res_len);
	if (rc == 0)
		rc = nmdisk_update(&r->disk, out, w->sl);
	return rc;
}

/* fresh 1: a new bundle; 0: the kept one rewritten (nmrun_restart). */
static int nmrun_create(const struct nmrun *r, const struct nmrun_want *w, int fresh)
{
	const char *name = w->sl->name;
	char dir[NMRUN_P], con[NMRUN_P + 16], pidf[NMRUN_P + 16], pbuf[16];
	const char *cargs[] = { "create", "--bundle", dir, "--pid-file", pidf, name, NULL, NULL };
	uint32_t pid;
	const char *sargs[] = { "start", name, NULL };
	struct nmrun_out *o = malloc(sizeof(*o));
	int rc, fd;
	long n;

	if (!o)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s/%s", r->data, name);
	snprintf(con, sizeof(con), "%s/console", dir);
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	if (r->no_pivot) {
		cargs[5] = "--no-pivot";
		cargs[6] = name;
	}
	rc = fresh ? nmrun_bundle(r, w) : nmrun_rewrite(r, w);
	if (rc < 0)
		goto out;
	rc = -EPX_E_NM_RUNTIME;
	fd = open(con, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto out;
	if (nmrun_crun(r, cargs, fd, NULL) != 0) {
		close(fd);
		n = lseek(fd = open(con, O_RDONLY | O_CLOEXEC), 0, SEEK_END);
		o->len = 0;
		if (fd >= 0 && n > 0 && pread(fd, o->buf, sizeof(o->buf) - 1,
					       n > (long)sizeof(o->buf) - 1 ?
					       n - (long)sizeof(o->buf) + 1 : 0) > 0)
			o->len = strnlen(o->buf, sizeof(o->buf) - 1);
		o->buf[o->len] = '\0';
		if (fd >= 0)
			close(fd);
		nmrun_fail(rc, name, "crun create", nmrun_tail(o));
		goto out;
	}
	close(fd);
	if (r->net) {
		/* the network, in the namespace crun made, before the entry runs */
		n = file_read(pidf, pbuf, sizeof(pbuf) - 1);
		while (n > 0 && pbuf[n - 1] == '\n')
			n--;
		if (n <= 0 || num_parse_u32(pbuf, (size_t)n, 4194304, &pid) < 0 || pid < 2) {
			nmrun_fail(rc, name, "crun --pid-file", NULL);
			goto out;
		}
		rc = nmnet_up(r->net, w->sl, (pid_t)pid);
		if (rc < 0)
			goto out;
		rc = -EPX_E_NM_RUNTIME;
	}
	if (nmrun_crun(r, sargs, -1, o) != 0) {
		nmrun_fail(rc, name, "crun start", nmrun_tail(o));
		goto out;
	}
	rc = nmrun_state_write(r, w);
	if (rc < 0)
		nmrun_fail(rc, name, "state file", NULL);
out:
	free(o);
	return rc;
}

/* A sliver whose bundle matches its state (same image, entry, root) but
 * whose container does not run (the node rebooted, crun's state is
 * gone; or its entry ended): the container's remains deleted, then
 * started again on its kept bundle, so out/, what it holds and its
 * project id survive (the data disk's promise).  A kill -9 anywhere
 * leaves a state that leads here again, or to an update. */
static int nmrun_restart(const struct nmrun *r, const struct nmrun_want *w)
{
	int rc = nmrun_remains(r, w->sl->name);

	if (rc == 0)
		rc = nmrun_create(r, w, 0);
	if (rc == 0)
		nmrun_log("sliver %s: started again on its kept bundle and out/", w->sl->name);
	return rc;
}

/* New limits on a running sliver: its config and resources files, then
 * crun update (cgroupfs), then the state. */
static int nmrun_update(const struct nmrun *r, const struct nmrun_want *w)
{
	const char *name = w->sl->name;
	char dir[NMRUN_P], res[NMRUN_P + 16];
	const char *uargs[] = { "update", "--resources", res, name, NULL };
	struct nmrun_out *o = malloc(sizeof(*o));
	int rc;

	if (!o)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s/%s", r->data, name);
	snprintf(res, sizeof(res), "%s/resources.json", dir);
	rc = nmrun_rewrite(r, w);
	if (rc == 0 && r->cg == NMRUN_CG_CGROUPFS && nmrun_crun(r, uargs, -1, o) != 0)
		rc = nmrun_fail(-EPX_E_NM_RUNTIME, name, "crun update", nmrun_tail(o));
	else if (rc == 0 && r->cg == NMRUN_CG_DISABLED)
		nmrun_log("sliver %s: new limits written to its config; --cgroup-manager "
			  "disabled: not applied to a cgroup", name);
	if (rc == 0 && r->net)
		rc = nmnet_update(r->net, w->sl, time(NULL));
	if (rc == 0)
		rc = nmrun_state_write(r, w);
	free(o);
	return rc;
}

/* ------------------------------------------------------------ reconcile */

static const struct sliver *nmrun_live(const struct sliverset *want, const char *name,
				       int64_t now)
{
	size_t i;

	for (i = 0; want && i < want->n; i++)
		if (!strcmp(want->sl[i].name, name))
			return want->sl[i].expires > now ? &want->sl[i] : NULL;
	return NULL;
}

/* Destroys what dir holds (a crun root or the data directory) that is
 * not a live sliver of want; .new- bundles always. */
static int nmrun_sweep(const struct nmrun *r, const char *dir, const struct sliverset *want,
		       int64_t now, struct nmrun_stats *st)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[NMRUN_P];
	const char *n;
	int rc = 0, e;

	if (!d)
		return errno == ENOENT ? 0 : -EPX_E_NM_BUNDLE;
	while ((de = readdir(d))) {
		n = de->d_name;
		if (!strcmp(n, ".") || !strcmp(n, "..") ||
		    (dir == r->data && !strcmp(n, NMRUN_IMAGES)))
			continue;
		if (!strncmp(n, NMRUN_NEW, strlen(NMRUN_NEW)) && dir == r->data &&
		    sliverset_name_ok(n + 5, strlen(n + 5))) {
			snprintf(path, sizeof(path), "%s/%s", dir, n);
			e = nmrun_rmtree(path);
		} else if (!sliverset_name_ok(n, strlen(n))) {
			nmrun_log("%s/%s: not a sliver's; left alone", dir, n);
			continue;
		} else if (nmrun_live(want, n, now)) {
			continue;
		} else {
			e = nmrun_destroy(r, n);
			if (e == 0)
				st->destroyed++;
		}
		if (e < 0 && rc == 0)
			rc = e;
	}
	closedir(d);
	return rc;
}

/* One wanted sliver: kept, updated, or destroyed and made again. */
static int nmrun_one(struct nmrun *r, const struct sliver *sl, uint32_t uid, int grants_rc,
		     struct nmrun_want *w, struct nmrun_out *o, struct nmrun_stats *st)
{
	char path[NMRUN_P + 16], buf[NMRUN_STATE_MAX + 1];
	uint8_t sc[32], sb[32];
	long len;
	int rc = sl->grants[0] && grants_rc < 0 ? grants_rc : nmrun_prepare(r, sl, uid, w), have,
	    same;

	if (rc < 0) {
		/* a record refused now must not leave an older sliver of
		 * that name running with limits the set no longer grants */
		if (sliverset_name_ok(sl->name, strnlen(sl->name, sizeof(sl->name) - 1)) &&
		    (nmrun_exists(r->root, sl->name) || nmrun_exists(r->data, sl->name)) &&
		    nmrun_destroy(r, sl->name) == 0)
			st->destroyed++;
		return rc == -EPX_E_NM_IMG_PENDING ? rc : nmrun_fail(rc, sl->name, "refused", NULL);
	}
	snprintf(path, sizeof(path), "%s/%s/state", r->data, sl->name);
	len = file_read(path, buf, sizeof(buf));
	same = len > 0 && nmrun_state_parse(buf, (size_t)len, sc, sb) == 0 &&
		!memcmp(sb, w->h_base, 32);
	have = same && nmrun_running(r, sl->name, o);
	if (have && !memcmp(sc, w->h_cfg, 32)) {
		st->kept++;
		return 0;
	}
	if (have) {
		rc = nmrun_update(r, w);
		st->updated += rc == 0;
		return rc;
	}
	if (same && nmrun_restart(r, w) == 0) {
		st->created++;
		return 0;
	}
	if (len != -ENOENT && len > 0 && nmrun_state_parse(buf, (size_t)len, sc, sb) < 0)
		nmrun_fail(-EPX_E_NM_STATE, sl->name, "state file", "made again");
	if (nmrun_exists(r->root, sl->name) || nmrun_exists(r->data, sl->name)) {
		rc = nmrun_destroy(r, sl->name);
		st->destroyed += rc == 0;
	}
	if (rc == 0)
		rc = nmrun_create(r, w, 1);
	st->created += rc == 0;
	return rc;
}

int nmrun_reconcile(struct nmrun *r, const struct sliverset *want, int64_t now,
		    struct nmrun_stats *st)
{
	struct nmrun_want *w = malloc(sizeof(*w));
	struct nmrun_out *o = malloc(sizeof(*o));
	uint32_t uids[SLIVERSET_MAX_SLIVERS];
	size_t i;
	int rc = -ENOMEM, e, grc = 0, prc = 0;

	memset(st, 0, sizeof(*st));
	if (!w || !o)
		goto out;
	nmrun_settle(r);
	rc = nmrun_sweep(r, r->root, want, now, st);
	e = nmrun_sweep(r, r->data, want, now, st);
	rc = rc < 0 ? rc : e;
	/* every live sliver's uid, then the grants file epoxy-priv reads,
	 * before any sliver starts: its first request finds its grants */
	e = nmpriv_uids(r->data, r->uid_base, want, now, uids);
	if (e < 0)
		nmrun_fail(e, "*", "uids", NULL);
	if (e == 0 && r->priv_grants[0])
		grc = nmpriv_write(r->priv_grants, want, now, uids);
	if (grc < 0)
		nmrun_fail(grc, "*", r->priv_grants, "slivers with grants are not run");
	for (i = 0; want && i < want->n; i++) {
		if (want->sl[i].expires <= now)
			continue;
		e = nmrun_one(r, &want->sl[i], uids[i], grc, w, o, st);
		if (e == -EPX_E_NM_IMG_PENDING) {
			st->waiting++;
			prc = e;
		} else if (e < 0) {
			st->failed++;
			rc = rc < 0 ? rc : e;
		}
	}
	/* no veth, class or rule of a sliver that is not running */
	e = r->net ? nmnet_sync(r->net, want, now) : 0;
	rc = rc < 0 ? rc : e;
	/* no quota limit of a sliver that is gone */
	e = nmdisk_sync(&r->disk);
	rc = rc < 0 ? rc : e;
out:
	free(w);
	free(o);
	return rc < 0 ? rc : prc;
}
