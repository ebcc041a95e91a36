/* test_nmdisk: disk_max and the data disk (node/nm/nmdisk.h): the device
 * classifier on a table of heads and tails (blank, ours, another file
 * system, a partition table, a stray byte at either end, our label with
 * a feature missing or a longer label, short reads); the limit's range
 * and its rounding to the quota's KiB; the refusal of disk_max without
 * project quotas (nmdisk_check, and a whole reconciliation that writes
 * no bundle for it); nmdisk_init on a directory without quotas.  (The
 * config's disk annotation and seccomp filter: test_nmrun.) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "node/nm/nmdisk.h"
#include "node/nm/nmrun.h"
#include "tests/test.h"

#define P NMDISK_PROBE_BYTES

enum shape { S_ZERO, S_OURS, S_OURS_NOPRJ, S_OURS_NOQUOTA, S_LABEL_LONG, S_LABEL_OTHER,
	     S_EXT4_NOLABEL, S_XFS, S_MBR, S_GPT, S_BYTE_MID, S_BTRFS };

static void ext4(uint8_t *h, const char *label, uint32_t ro)
{
	h[1024 + 56] = 0x53;
	h[1024 + 57] = 0xef;
	h[1024 + 100] = (uint8_t)ro;
	h[1024 + 101] = (uint8_t)(ro >> 8);
	memcpy(h + 1024 + 120, label, strlen(label));
}

static void shape(uint8_t *h, enum shape s)
{
	memset(h, 0, P);
	switch (s) {
	case S_ZERO: break;
	case S_OURS: ext4(h, NMDISK_LABEL, 0x2100 | 0x3); break;
	case S_OURS_NOPRJ: ext4(h, NMDISK_LABEL, 0x100); break;
	case S_OURS_NOQUOTA: ext4(h, NMDISK_LABEL, 0x2000); break;
	case S_LABEL_LONG: ext4(h, NMDISK_LABEL "x", 0x2100); break;
	case S_LABEL_OTHER: ext4(h, "rootfs", 0x2100); break;
	case S_EXT4_NOLABEL: ext4(h, "", 0x2100); break;
	case S_XFS: memcpy(h, "XFSB", 4); break;
	case S_MBR: h[510] = 0x55; h[511] = 0xaa; break;
	case S_GPT: memcpy(h + 512, "EFI PART", 8); break;
	case S_BYTE_MID: h[P / 2] = 1; break;
	case S_BTRFS: memcpy(h + 65536 + 64, "_BHRfS_M", 8); break;
	}
}

struct cls {
	const char *what;
	enum shape head, tail;
	size_t hlen, tlen;
	enum nmdisk_kind want;
};

static const struct cls cls[] = {
	{ "all zero: blank", S_ZERO, S_ZERO, P, P, NMDISK_BLANK },
	{ "ours (quota, project, label)", S_OURS, S_ZERO, P, P, NMDISK_OURS },
	{ "ours, data in its tail", S_OURS, S_BYTE_MID, P, P, NMDISK_OURS },
	{ "our label without project", S_OURS_NOPRJ, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "our label without quota", S_OURS_NOQUOTA, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "label epoxy-datax", S_LABEL_LONG, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "another ext4 label", S_LABEL_OTHER, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "ext4 without label", S_EXT4_NOLABEL, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "xfs", S_XFS, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "btrfs", S_BTRFS, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "an MBR", S_MBR, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "a GPT header", S_GPT, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "one byte in the head", S_BYTE_MID, S_ZERO, P, P, NMDISK_FOREIGN },
	{ "one byte in the tail (RAID 0.90, GPT backup)", S_ZERO, S_BYTE_MID, P, P,
	  NMDISK_FOREIGN },
	{ "ours cut before its label", S_OURS, S_ZERO, 1024 + 130, P, NMDISK_FOREIGN },
	{ "ours cut before its superblock", S_OURS, S_ZERO, 1000, P, NMDISK_BLANK },
	{ "nothing read: blank", S_ZERO, S_ZERO, 0, 0, NMDISK_BLANK },
	{ "ours, exactly its label's end", S_OURS, S_ZERO, 1024 + 136, 0, NMDISK_OURS },
};

static void test_classify(void)
{
	uint8_t *h = malloc(P + 1), *t = malloc(P + 1);
	size_t i;

	for (i = 0; i < sizeof(cls) / sizeof(cls[0]); i++) {
		shape(h, cls[i].head);
		shape(t, cls[i].tail);
		ok(nmdisk_classify(h, cls[i].hlen, t, cls[i].tlen) == cls[i].want, "classify: %s",
		   cls[i].what);
	}
	memset(h, 0, P + 1);
	memset(t, 0, P + 1);
	ok(nmdisk_classify(h, P + 1, t, P) == NMDISK_FOREIGN, "classify: a head over the cap");
	ok(nmdisk_classify(h, P, t, P + 1) == NMDISK_FOREIGN, "classify: a tail over the cap");
	free(h);
	free(t);
}

static void mksliver(struct sliver *sl, const char *name, uint64_t disk)
{
	memset(sl, 0, sizeof(*sl));
	snprintf(sl->name, sizeof(sl->name), "%s", name);
	snprintf(sl->entry, sizeof(sl->entry), "exec sleep 1");
	sl->expires = 4102444800;
	sl->attr[0] = 1;
	sl->attr[NMDISK_DISK_MAX] = disk;
}

struct lim {
	uint64_t disk;
	int on;
	int rc;
};

static const struct lim lims[] = {
	{ 0, 0, 0 }, { 0, 1, 0 },
	{ NMDISK_MIN, 1, 0 }, { NMDISK_MAX, 1, 0 }, { 123456789, 1, 0 },
	{ NMDISK_MIN, 0, -EPX_E_NM_DISK_NOQUOTA }, { NMDISK_MAX, 0, -EPX_E_NM_DISK_NOQUOTA },
	{ 1, 1, -EPX_E_NM_DISK_LIMIT }, { NMDISK_MIN - 1, 1, -EPX_E_NM_DISK_LIMIT },
	{ NMDISK_MAX + 1, 1, -EPX_E_NM_DISK_LIMIT }, { UINT64_MAX, 1, -EPX_E_NM_DISK_LIMIT },
	{ 1, 0, -EPX_E_NM_DISK_LIMIT }, { UINT64_MAX, 0, -EPX_E_NM_DISK_LIMIT },
};

static void test_limits(void)
{
	struct nmdisk d = { -1, 0 };
	struct sliver sl;
	size_t i;

	for (i = 0; i < sizeof(lims) / sizeof(lims[0]); i++) {
		mksliver(&sl, "web", lims[i].disk);
		d.on = lims[i].on;
		ok(nmdisk_check(&d, &sl) == lims[i].rc, "check: disk_max %llu, quotas %s -> %d",
		   (unsigned long long)lims[i].disk, d.on ? "on" : "off", lims[i].rc);
	}
	mksliver(&sl, "web", NMDISK_MIN);
	ok(nmdisk_check(NULL, &sl) == -EPX_E_NM_DISK_NOQUOTA, "check: no nmdisk at all refuses");
	ok(nmdisk_blocks(0) == 0 && nmdisk_blocks(1) == 1 && nmdisk_blocks(1024) == 1 &&
	   nmdisk_blocks(1025) == 2 && nmdisk_blocks(NMDISK_MIN) == 1024 &&
	   nmdisk_blocks(NMDISK_MAX) == (uint64_t)1 << 40, "blocks: rounded up to KiB");
}

/* a reconciliation on a directory without project quotas: disk_max
 * refused with its code, no bundle written; disk_max 0 is not refused */
static void test_refused(void)
{
	char dir[] = "/tmp/test_nmdisk.XXXXXX", data[64], root[64], rootfs[64], b[96];
	static struct sliverset want;
	struct nmrun_stats st;
	static struct nmrun r;
	struct stat s;
	int rc;

	if (!mkdtemp(dir))
		abort();
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", dir);
	mkdir(rootfs, 0700);
	rc = nmrun_init(&r, data, root, rootfs, "/bin/false", "disabled", 0);
	ok(rc == 0 && r.disk.fd >= 0 && !r.disk.on, "init: a directory without quotas is off");
	want.n = 1;
	mksliver(&want.sl[0], "big", NMDISK_MIN);
	rc = nmrun_reconcile(&r, &want, 1000, &st);
	snprintf(b, sizeof(b), "%s/big", data);
	ok(rc == -EPX_E_NM_DISK_NOQUOTA && st.failed == 1 && stat(b, &s) < 0,
	   "reconcile: disk_max without quotas -> E3175, no bundle (rc %d)", rc);
	snprintf(b, sizeof(b), "%s/.new-big", data);
	ok(stat(b, &s) < 0, "reconcile: no .new- bundle either");
	mksliver(&want.sl[0], "big", 0);
	rc = nmrun_reconcile(&r, &want, 1000, &st);
	ok(rc != -EPX_E_NM_DISK_NOQUOTA && rc != -EPX_E_NM_DISK_QUOTA,
	   "reconcile: disk_max 0 is not refused for quotas (rc %d: /bin/false as crun)", rc);
	ok(nmdisk_attach(&r.disk, rootfs, &want.sl[0]) == 0, "attach: off and 0: nothing to do");
	ok(nmdisk_clear(&r.disk, rootfs) == 0 && nmdisk_sync(&r.disk) == 0,
	   "clear, sync: off: nothing to do");
	nmdisk_free(&r.disk);
	ok(r.disk.fd == -1, "free: closed");
	rc = nmdisk_init(&r.disk, "/nonexistent/data");
	ok(rc == -EPX_E_NM_BUNDLE && r.disk.fd < 0, "init: a missing directory");
	if (system("rm -rf /tmp/test_nmdisk.*") != 0)
		abort();
}

int main(void)
{
	test_classify();
	test_limits();
	test_refused();
	return test_done();
}
