/* nmsense: the sensors (see nmsense.h).  Kernel files are read whole with
 * one read into a NMSENSE_FILE_MAX buffer and parsed with lib/line.h's
 * rules by hand: "KEY N\n" lines, numbers through lib/num.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/quota.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/fs.h>

#include "lib/err.h"
#include "lib/num.h"
#include "lib/record.h"
#include "node/nm/nmnet.h"
#include "node/nm/nmrun.h"
#include "node/nm/nmsense.h"

#define NMSENSE_P (NMSENSE_PATH_MAX + 64)
#ifndef PRJQUOTA
#define PRJQUOTA 2              /* <linux/quota.h>; musl's sys/quota.h lacks it */
#endif
#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443     /* Linux 5.14, one number on every architecture */
#endif

static int nmsense_copy(char *dst, const char *src)
{
	if (!src) {
		dst[0] = '\0';
		return 0;
	}
	if (!src[0] || strlen(src) > NMSENSE_PATH_MAX)
		return -EPX_E_NM_USAGE;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

int nmsense_init(struct nmsense *s, const char *cgroot, const char *data, const char *netroot)
{
	int rc = nmsense_copy(s->cgroot, cgroot);

	if (rc == 0)
		rc = data ? nmsense_copy(s->data, data) : -EPX_E_NM_USAGE;
	if (rc == 0)
		rc = nmsense_copy(s->netroot, netroot);
	return rc;
}

int nmsense_number(const char *buf, size_t len, uint64_t *v)
{
	if (len < 2 || len > NMSENSE_FILE_MAX || buf[len - 1] != '\n' ||
	    num_parse_u64(buf, len - 1, USAGE_VALUE_MAX, v) < 0)
		return -EPX_E_NM_SENSE_FILE;
	return 0;
}

/* One "KEY N\n" line at buf[*pos..len): key [a-z_]{1,32}, N a num.h
 * decimal (unchecked here: only usage_usec's is parsed). */
static int nmsense_kv(const char *buf, size_t len, size_t *pos, const char **k, size_t *kn,
		      const char **v, size_t *vn)
{
	const char *nl = memchr(buf + *pos, '\n', len - *pos), *sp;

	if (!nl)
		return -EPX_E_NM_SENSE_FILE;
	*k = buf + *pos;
	sp = memchr(*k, ' ', (size_t)(nl - *k));
	if (!sp || sp == *k || sp - *k > 32 || sp + 1 == nl)
		return -EPX_E_NM_SENSE_FILE;
	*kn = (size_t)(sp - *k);
	*v = sp + 1;
	*vn = (size_t)(nl - *v);
	for (size_t i = 0; i < *kn; i++)
		if (!((*k)[i] >= 'a' && (*k)[i] <= 'z') && (*k)[i] != '_')
			return -EPX_E_NM_SENSE_FILE;
	*pos = (size_t)(nl - buf) + 1;
	return 0;
}

int nmsense_cpu_stat(const char *buf, size_t len, uint64_t *usec)
{
	const char *k, *v;
	size_t pos = 0, kn, vn;
	int seen = 0;

	if (len == 0 || len > NMSENSE_FILE_MAX)
		return -EPX_E_NM_SENSE_FILE;
	while (pos < len) {
		if (nmsense_kv(buf, len, &pos, &k, &kn, &v, &vn) < 0)
			return -EPX_E_NM_SENSE_FILE;
		if (kn != 10 || memcmp(k, "usage_usec", 10))
			continue;
		if (seen++ || num_parse_u64(v, vn, USAGE_VALUE_MAX, usec) < 0)
			return -EPX_E_NM_SENSE_FILE;
	}
	return seen ? 0 : -EPX_E_NM_SENSE_FILE;
}

/* dir/file read whole into buf: 0, -ENOENT (absent: no error), or
 * -EPX_E_NM_SENSE_FILE (unreadable, empty or over the cap). */
static int nmsense_read(const char *dir, const char *file, char *buf, size_t *len)
{
	char p[NMSENSE_P + 64];
	ssize_t r;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EPX_E_NM_SENSE_FILE;
	do
		r = read(fd, buf, NMSENSE_FILE_MAX + 1);
	while (r < 0 && errno == EINTR);
	close(fd);
	if (r <= 0 || r > NMSENSE_FILE_MAX)
		return -EPX_E_NM_SENSE_FILE;
	*len = (size_t)r;
	return 0;
}

/* Value v of out from dir/file with parse; the first error into *err. */
static void nmsense_value(const char *dir, const char *file,
			  int (*parse)(const char *, size_t, uint64_t *),
			  struct usage_sliver *out, enum usage_value v, int *err)
{
	char buf[NMSENSE_FILE_MAX + 1];
	size_t len = 0;
	int rc = nmsense_read(dir, file, buf, &len);

	if (rc == 0)
		rc = parse(buf, len, &out->v[v]);
	if (rc == 0)
		out->have |= 1u << v;
	else
		out->v[v] = 0;
	if (rc < 0 && rc != -ENOENT && *err == 0)
		*err = rc;
}

/* cpu_us, mem_bytes, tasks: the sliver's cgroup (absent without one) */
static void nmsense_cgroup(const struct nmsense *s, const char *name, struct usage_sliver *out,
			   int *err)
{
	char dir[NMSENSE_P];
	struct stat st;

	if (!s->cgroot[0])
		return;
	snprintf(dir, sizeof(dir), "%s%s/%s", s->cgroot, NMRUN_CGROUP_PARENT, name);
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	nmsense_value(dir, "cpu.stat", nmsense_cpu_stat, out, USAGE_CPU_US, err);
	nmsense_value(dir, "memory.current", nmsense_number, out, USAGE_MEM, err);
	nmsense_value(dir, "pids.current", nmsense_number, out, USAGE_TASKS, err);
}

/* the project quota of the directory fd, when it has one: 0 and *bytes */
static int nmsense_quota(int fd, uint64_t *bytes)
{
	struct fsxattr fx;
	struct dqblk dq;

	memset(&fx, 0, sizeof(fx));
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fx) < 0 || fx.fsx_projid == 0)
		return -ENOENT;
	memset(&dq, 0, sizeof(dq));
	if (syscall(SYS_quotactl_fd, fd, QCMD(Q_GETQUOTA, PRJQUOTA), (int)fx.fsx_projid, &dq) < 0 ||
	    !(dq.dqb_valid & QIF_SPACE))
		return -ENOENT;
	*bytes = dq.dqb_curspace;
	return 0;
}

/* nftw has no context argument: one walk at a time (the caller's lock) */
static uint64_t nmsense_walk_bytes;
static size_t nmsense_walk_n;

static int nmsense_walk1(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_NS || flag == FTW_DNR || ++nmsense_walk_n > NMSENSE_WALK_MAX)
		return 1;
	nmsense_walk_bytes += (uint64_t)st->st_blocks * 512;
	return 0;
}

/* disk_bytes of DATA/NAME/out: the quota's, else a walk */
static void nmsense_disk(const struct nmsense *s, const char *name, struct usage_sliver *out,
			 int *err)
{
	char dir[NMSENSE_P];
	int fd, rc;

	snprintf(dir, sizeof(dir), "%s/%s/out", s->data, name);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	rc = nmsense_quota(fd, &out->v[USAGE_DISK]);
	close(fd);
	if (rc < 0) {
		nmsense_walk_bytes = 0;
		nmsense_walk_n = 0;
		rc = nftw(dir, nmsense_walk1, 16, FTW_PHYS | FTW_MOUNT) == 0 ? 0 :
			-EPX_E_NM_SENSE_DISK;
		out->v[USAGE_DISK] = rc == 0 ? nmsense_walk_bytes : 0;
	}
	if (rc == 0)
		out->have |= 1u << USAGE_DISK;
	else if (*err == 0)
		*err = rc;
}

/* the host side of name's veth: epx<digits> whose ifalias is name */
static int nmsense_veth(const struct nmsense *s, const char *name, char *dir, size_t cap)
{
	char buf[NMSENSE_FILE_MAX + 1];
	size_t len = 0, k = strlen(NMNET_IF_PREFIX), n = strlen(name);
	struct dirent *e;
	int found = 0;
	DIR *d = opendir(s->netroot);

	if (!d)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, NMNET_IF_PREFIX, k) || !e->d_name[k] ||
		    strlen(e->d_name) > NMNET_IFNAME_MAX ||
		    strspn(e->d_name + k, "0123456789") != strlen(e->d_name + k))
			continue;
		snprintf(dir, cap, "%s/%.15s", s->netroot, e->d_name);
		found = nmsense_read(dir, "ifalias", buf, &len) == 0 && len == n + 1 &&
			!memcmp(buf, name, n) && buf[n] == '\n';
	}
	closedir(d);
	return found;
}

/* tx_bytes, rx_bytes: 0 without a sliver network, else the veth's */
static void nmsense_net(const struct nmsense *s, const char *name, struct usage_sliver *out,
			int *err)
{
	char dir[NMSENSE_P + 32];

	if (!s->netroot[0]) {
		out->have |= 1u << USAGE_TX | 1u << USAGE_RX;
		return;
	}
	if (!nmsense_veth(s, name, dir, sizeof(dir) - 16))
		return;
	strcat(dir, "/statistics");
	/* what the host side receives, the sliver sent */
	nmsense_value(dir, "rx_bytes", nmsense_number, out, USAGE_TX, err);
	nmsense_value(dir, "tx_bytes", nmsense_number, out, USAGE_RX, err);
}

int nmsense_sliver(const struct nmsense *s, const char *name, struct usage_sliver *out)
{
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!sliverset_name_ok(name, strnlen(name, SLIVERSET_NAME_MAX + 1)))
		return -EPX_E_NM_SLIVER;
	memcpy(out->name, name, strlen(name) + 1);
	nmsense_cgroup(s, name, out, &err);
	nmsense_disk(s, name, out, &err);
	nmsense_net(s, name, out, &err);
	return err;
}

/* nmrun writes DATA/NAME/state once crun started the sliver (nmrun.h) */
static int nmsense_runs(const struct nmsense *s, const char *name)
{
	char p[NMSENSE_P];

	snprintf(p, sizeof(p), "%s/%s/state", s->data, name);
	return access(p, F_OK) == 0;
}

static int nmsense_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int nmsense_snapshot(const struct nmsense *s, char (*names)[SLIVERSET_NAME_MAX + 1], size_t n,
		     int64_t now, struct usage *u, struct nmsense_errs *errs)
{
	size_t i;
	int rc, first = 0;

	memset(u, 0, sizeof(*u));
	if (errs)
		memset(errs, 0, sizeof(*errs));
	if (n > USAGE_SLIVERS_MAX)
		return -EPX_E_NM_SENSE_TOOBIG;
	qsort(names, n, sizeof(*names), nmsense_cmp);
	u->at = now;
	u->net = s->netroot[0] != '\0';
	for (i = 0; i < n; i++) {
		if ((i > 0 && !strcmp(names[i - 1], names[i])) ||
		    !sliverset_name_ok(names[i], strnlen(names[i], SLIVERSET_NAME_MAX + 1)) ||
		    !nmsense_runs(s, names[i]))
			continue;
		rc = nmsense_sliver(s, names[i], &u->sl[u->n]);
		if (rc == -EPX_E_NM_SLIVER)
			continue;
		if (errs)
			errs->err[u->n] = rc;
		if (rc < 0 && !first)
			first = rc;
		u->n++;
	}
	return first;
}

static void nmsense_json_val(const struct usage_sliver *sl, enum usage_value v, FILE *f)
{
	fprintf(f, ", \"%s\": ", usage_names[v]);
	if (sl->have & (1u << v))
		fprintf(f, "%" PRIu64, sl->v[v]);
	else
		fputs("null", f);
}

void nmsense_json(const struct usage *u, const struct nmsense_errs *errs, int cgroup, FILE *f)
{
	char code[16];
	size_t i, v;

	fprintf(f, "{\"at\": %" PRId64 ", \"cgroup\": \"%s\", \"net\": \"%s\", \"slivers\": [",
		u->at, cgroup ? "on" : "off", u->net ? "on" : "off");
	for (i = 0; i < u->n; i++) {
		fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
		record_json_str(f, u->sl[i].name);
		for (v = 0; v < USAGE_N; v++)
			nmsense_json_val(&u->sl[i], (enum usage_value)v, f);
		if (errs && errs->err[i] < 0)
			fprintf(f, ", \"error\": \"%s\"", epx_code(errs->err[i], code, sizeof(code)));
		fputs("}", f);
	}
	fputs(u->n ? "\n]}\n" : "]}\n", f);
}

static const struct {
	const char *name, *type, *help;
	enum usage_value v;
	int seconds;                    /* microseconds shown as seconds */
} nmsense_prom_m[USAGE_N] = {
	{ "epoxy_sliver_cpu_seconds_total", "counter",
	  "CPU time of the sliver's cgroup (cpu.stat usage_usec)", USAGE_CPU_US, 1 },
	{ "epoxy_sliver_memory_bytes", "gauge", "memory.current of the sliver's cgroup",
	  USAGE_MEM, 0 },
	{ "epoxy_sliver_tasks", "gauge", "pids.current of the sliver's cgroup", USAGE_TASKS, 0 },
	{ "epoxy_sliver_disk_bytes", "gauge",
	  "bytes of the sliver's writable directory (quota or walk)", USAGE_DISK, 0 },
	{ "epoxy_sliver_transmit_bytes_total", "counter", "bytes the sliver sent (its veth)",
	  USAGE_TX, 0 },
	{ "epoxy_sliver_receive_bytes_total", "counter", "bytes the sliver received (its veth)",
	  USAGE_RX, 0 },
};

void nmsense_prom(const struct usage *u, FILE *f)
{
	size_t m, i;

	fputs("# HELP epoxy_sensors_timestamp_seconds when the node manager took this snapshot\n"
	      "# TYPE epoxy_sensors_timestamp_seconds gauge\n", f);
	fprintf(f, "epoxy_sensors_timestamp_seconds %" PRId64 "\n", u->at);
	fputs("# HELP epoxy_slivers running slivers the sensors read\n"
	      "# TYPE epoxy_slivers gauge\n", f);
	fprintf(f, "epoxy_slivers %zu\n", u->n);
	for (m = 0; m < USAGE_N; m++) {
		enum usage_value v = nmsense_prom_m[m].v;

		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", nmsense_prom_m[m].name,
			nmsense_prom_m[m].help, nmsense_prom_m[m].name, nmsense_prom_m[m].type);
		for (i = 0; i < u->n; i++) {
			if (!(u->sl[i].have & (1u << v)))
				continue;
			fprintf(f, "%s{sliver=\"%s\"} ", nmsense_prom_m[m].name, u->sl[i].name);
			if (nmsense_prom_m[m].seconds)
				fprintf(f, "%" PRIu64 ".%06" PRIu64 "\n", u->sl[i].v[v] / 1000000,
					u->sl[i].v[v] % 1000000);
			else
				fprintf(f, "%" PRIu64 "\n", u->sl[i].v[v]);
		}
	}
}
