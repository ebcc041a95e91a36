/* hwscan: the node's inventory from /proc, /sys and efivarfs (hwscan.h).
 *
 * Every file is read whole into a bounded buffer (lib/file.h) and
 * trimmed; numbers are read with lib/num.h, names checked with
 * lib/label.h, the MAC and the whole report with lib/inventory.h. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/label.h"
#include "lib/num.h"
#include "stage2/hwscan.h"

#define HWSCAN_PATH_MAX 512
#define HWSCAN_SMALL 256               /* a sysfs attribute */

struct hwscan {
	const char *root;
	char *buf;                      /* HWSCAN_FILE_MAX + 1 bytes */
	int found;                      /* anything read at all */
};

/* root + rel (+ name + tail) into path; 0 or -1 when too long. */
static int hwscan_path(char path[HWSCAN_PATH_MAX], const char *root, const char *rel,
		       const char *name, const char *tail)
{
	int n = snprintf(path, HWSCAN_PATH_MAX, "%s%s%s%s", root, rel, name ? name : "",
			 tail ? tail : "");

	return n < 0 || n >= HWSCAN_PATH_MAX ? -1 : 0;
}

/* Reads path into buf (cap bytes with the NUL), whitespace trimmed at
 * both ends.  Returns the length, or -1 (missing, unreadable, too big). */
static long hwscan_read(const char *path, char *buf, size_t cap)
{
	long n = file_read(path, buf, cap - 1);
	long start = 0;

	if (n < 0 || (size_t)n >= cap - 1)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	while (start < n && (buf[start] == ' ' || buf[start] == '\t'))
		start++;
	memmove(buf, buf + start, (size_t)(n - start));
	buf[n - start] = '\0';
	return n - start;
}

/* A text value: bytes outside printable ASCII become '?', cut to the cap;
 * "" (absent) when empty. */
static void hwscan_text(char dst[NODEPROTO_INV_TEXT_MAX + 1], const char *s, size_t n)
{
	size_t i;

	if (n > NODEPROTO_INV_TEXT_MAX)
		n = NODEPROTO_INV_TEXT_MAX;
	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ? '?' : s[i];
	dst[n] = '\0';
	while (n > 0 && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

/* A sysfs file under root as a text value. */
static void hwscan_text_file(struct hwscan *h, const char *rel, const char *name,
			     const char *tail, char dst[NODEPROTO_INV_TEXT_MAX + 1])
{
	char path[HWSCAN_PATH_MAX], v[HWSCAN_SMALL];
	long n;

	dst[0] = '\0';
	if (hwscan_path(path, h->root, rel, name, tail) < 0)
		return;
	n = hwscan_read(path, v, sizeof(v));
	if (n > 0)
		hwscan_text(dst, v, (size_t)n);
}

/* A sysfs file under root as a decimal in [0, max]; -1 if not one. */
static int hwscan_num_file(struct hwscan *h, const char *rel, const char *name,
			   const char *tail, uint64_t max, uint64_t *out)
{
	char path[HWSCAN_PATH_MAX], v[HWSCAN_SMALL];
	long n;

	if (hwscan_path(path, h->root, rel, name, tail) < 0)
		return -1;
	n = hwscan_read(path, v, sizeof(v));
	return n > 0 && num_parse_u64(v, (size_t)n, max, out) == 0 ? 0 : -1;
}

/* --------------------------------------------------------------- /proc */

/* "key<spaces/tabs>: value": the value of a line that starts with key. */
static const char *hwscan_field(const char *line, size_t n, const char *key, size_t *vlen)
{
	size_t k = strlen(key), i;

	if (n < k || memcmp(line, key, k))
		return NULL;
	for (i = k; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i >= n || line[i] != ':')
		return NULL;
	for (i++; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	*vlen = n - i;
	return line + i;
}

static void hwscan_cpuinfo(struct hwscan *h, struct inventory *inv)
{
	char path[HWSCAN_PATH_MAX];
	const char *p, *end, *nl, *v;
	size_t vlen;
	long n;
	uint64_t cpus = 0;

	if (hwscan_path(path, h->root, "/proc/cpuinfo", NULL, NULL) < 0 ||
	    (n = hwscan_read(path, h->buf, HWSCAN_FILE_MAX + 1)) <= 0)
		return;
	h->found = 1;
	for (p = h->buf, end = h->buf + n; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (hwscan_field(p, (size_t)(nl - p), "processor", &vlen))
			cpus++;
		v = hwscan_field(p, (size_t)(nl - p), "model name", &vlen);
		if (v && !inv->cpu_model[0])
			hwscan_text(inv->cpu_model, v, vlen);
	}
	if (cpus >= 1 && cpus <= NODEPROTO_INV_CPUS_MAX) {
		inv->cpus = (uint32_t)cpus;
		inv->has |= INVENTORY_HAS_CPUS;
	}
}

/* MemTotal of /proc/meminfo: "MemTotal:       8045340 kB". */
static void hwscan_meminfo(struct hwscan *h, struct inventory *inv)
{
	char path[HWSCAN_PATH_MAX];
	const char *v, *sp;
	size_t vlen;
	uint64_t kb;
	long n;

	if (hwscan_path(path, h->root, "/proc/meminfo", NULL, NULL) < 0 ||
	    (n = hwscan_read(path, h->buf, HWSCAN_FILE_MAX + 1)) <= 0)
		return;
	h->found = 1;
	v = hwscan_field(h->buf, strcspn(h->buf, "\n"), "MemTotal", &vlen);
	sp = v ? memchr(v, ' ', vlen) : NULL;
	if (!sp || (size_t)(v + vlen - sp) != 3 || memcmp(sp, " kB", 3) ||
	    num_parse_u64(v, (size_t)(sp - v), NODEPROTO_INV_BYTES_MAX / 1024, &kb) < 0 ||
	    kb == 0)
		return;
	inv->mem = kb * 1024;
	inv->has |= INVENTORY_HAS_MEM;
}

/* ------------------------------------------------------ firmware, EFI */

static void hwscan_firmware(struct hwscan *h, const char *efivars, struct inventory *inv)
{
	char path[HWSCAN_PATH_MAX];
	unsigned char v[8];
	long n;

	hwscan_text_file(h, "/sys/class/dmi/id/bios_vendor", NULL, NULL, inv->fw_vendor);
	hwscan_text_file(h, "/sys/class/dmi/id/bios_version", NULL, NULL, inv->fw_version);
	if (inv->fw_vendor[0] || inv->fw_version[0])
		h->found = 1;
	/* 4 attribute bytes, then one byte: 1 Secure Boot on, 0 off */
	if (!efivars || hwscan_path(path, efivars, "/" HWSCAN_SB_VAR, NULL, NULL) < 0)
		return;
	n = file_read(path, v, sizeof(v));
	if (n == 5 && v[4] <= 1) {
		inv->secureboot = v[4];
		inv->has |= INVENTORY_HAS_SB;
	}
}

/* ------------------------------------------------------- disks, NICs */

/* 1 if root/rel/name/device exists: a real device, not a virtual one. */
static int hwscan_has_device(struct hwscan *h, const char *rel, const char *name)
{
	char path[HWSCAN_PATH_MAX];
	struct stat st;

	return hwscan_path(path, h->root, rel, name, "/device") == 0 && stat(path, &st) == 0;
}

static int hwscan_name_ok(const char *name)
{
	return strlen(name) <= NODEPROTO_INV_NAME_MAX && label_check_str(LABEL_TAG, name) == 0;
}

static void hwscan_disk(struct hwscan *h, const char *name, struct inventory *inv)
{
	struct inventory_disk *d = &inv->disk[inv->ndisks++];
	uint64_t sectors;

	memset(d, 0, sizeof(*d));
	memcpy(d->name, name, strlen(name) + 1);
	if (hwscan_num_file(h, "/sys/block/", name, "/size", NODEPROTO_INV_BYTES_MAX / 512,
			    &sectors) == 0) {
		d->size = sectors * 512;  /* the block layer counts 512-byte sectors */
		d->has |= INVENTORY_HAS_SIZE;
	}
	hwscan_text_file(h, "/sys/block/", name, "/serial", d->serial);
	if (!d->serial[0])
		hwscan_text_file(h, "/sys/block/", name, "/device/serial", d->serial);
}

static void hwscan_nic(struct hwscan *h, const char *name, struct inventory *inv)
{
	struct inventory_nic *n = &inv->nic[inv->nnics];
	char path[HWSCAN_PATH_MAX], mac[HWSCAN_SMALL];
	uint64_t speed;
	long len;

	memset(n, 0, sizeof(*n));
	if (hwscan_path(path, h->root, "/sys/class/net/", name, "/address") < 0 ||
	    (len = hwscan_read(path, mac, sizeof(mac))) != 17 || !inventory_mac_ok(mac))
		return;                 /* no Ethernet address: not reported */
	memcpy(n->name, name, strlen(name) + 1);
	memcpy(n->mac, mac, 18);
	/* -1 or unreadable while the link is down: absent */
	if (hwscan_num_file(h, "/sys/class/net/", name, "/speed", NODEPROTO_INV_SPEED_MAX,
			    &speed) == 0 && speed > 0) {
		n->speed = (uint32_t)speed;
		n->has |= INVENTORY_HAS_SPEED;
	}
	inv->nnics++;
}

/* Each entry of root/rel with a device, through fn, at most max. */
static void hwscan_dir(struct hwscan *h, const char *rel, struct inventory *inv,
		       size_t *count, size_t max, size_t *dropped,
		       void (*fn)(struct hwscan *, const char *, struct inventory *))
{
	char path[HWSCAN_PATH_MAX];
	struct dirent *de;
	DIR *d;

	if (hwscan_path(path, h->root, rel, NULL, NULL) < 0 || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !hwscan_has_device(h, rel, de->d_name))
			continue;
		h->found = 1;
		if (!hwscan_name_ok(de->d_name) || *count >= max) {
			(*dropped)++;
			continue;
		}
		fn(h, de->d_name, inv);
	}
	closedir(d);
}

int hwscan_collect(const char *root, const char *efivars, struct inventory *inv,
		   size_t *dropped)
{
	struct hwscan h = { root ? root : "", NULL, 0 };

	memset(inv, 0, sizeof(*inv));
	*dropped = 0;
	h.buf = malloc(HWSCAN_FILE_MAX + 1);
	if (!h.buf)
		return -EPX_E_HWSCAN_NONE;
	hwscan_cpuinfo(&h, inv);
	hwscan_meminfo(&h, inv);
	hwscan_firmware(&h, efivars, inv);
	hwscan_dir(&h, "/sys/block/", inv, &inv->ndisks, NODEPROTO_INV_DISKS_MAX, dropped,
		   hwscan_disk);
	hwscan_dir(&h, "/sys/class/net/", inv, &inv->nnics, NODEPROTO_INV_NICS_MAX, dropped,
		   hwscan_nic);
	free(h.buf);
	inventory_sort(inv);
	return h.found || (inv->has & INVENTORY_HAS_SB) ? 0 : -EPX_E_HWSCAN_NONE;
}

int hwscan_report(const char *root, const char *efivars, struct inventory *inv,
		  char *out, size_t cap, size_t *len, size_t *dropped)
{
	struct inventory *check = malloc(sizeof(*check));
	int rc = hwscan_collect(root, efivars, inv, dropped);

	*len = 0;
	if (rc == 0)
		rc = inventory_format(inv, out, cap, len) < 0 ? -EPX_E_HWSCAN_SELF : 0;
	if (rc == 0 && (!check || inventory_parse(out, *len, check) < 0))
		rc = -EPX_E_HWSCAN_SELF;
	if (rc < 0) {
		*len = 0;
		if (cap)
			out[0] = '\0';
	}
	free(check);
	return rc;
}
