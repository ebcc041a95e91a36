/* test_inventory: the inventory report (issue 16 point 3): lib/inventory.c,
 * the parser epoxyd runs on what a node sends, as a table of valid and
 * malformed reports (oversized, duplicate fields and devices, bad numbers,
 * control and non-ASCII bytes, too many disks and NICs); its canonical
 * form and diff; and the agent's collector (stage2/hwscan.c) against a fake
 * /proc + /sys + efivarfs tree made here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/inventory.h"
#include "stage2/hwscan.h"
#include "tests/test.h"

#define NODE "kind=node\n"
#define FULL "kind=node&cpu_model=Intel%28R%29+Xeon%28R%29&cpus=8&mem=17179869184" \
	"&fw_vendor=EDK+II&fw_version=1.0&secureboot=1\n" \
	"kind=disk&name=vda&size=1073741824&serial=QM00001\n" \
	"kind=disk&name=nvme0n1&size=0\n" \
	"kind=nic&name=eth0&mac=52%3A54%3A00%3A12%3A34%3A56&speed=1000\n" \
	"kind=nic&name=eth1&mac=52:54:00:12:34:57\n"

struct inv_case {
	const char *name;
	const char *in;
	size_t len;                     /* 0: strlen(in) */
	int rc;
};

static const struct inv_case inv_cases[] = {
	{ "node record only", NODE, 0, 0 },
	{ "full report", FULL, 0, 0 },
	{ "secureboot off", "kind=node&secureboot=0\n", 0, 0 },
	{ "disk of size 0", NODE "kind=disk&name=sr0&size=0\n", 0, 0 },
	{ "mem at its cap", "kind=node&mem=1152921504606846976\n", 0, 0 },
	{ "cpus at its cap", "kind=node&cpus=65536\n", 0, 0 },
	{ "speed at its cap", NODE "kind=nic&name=e&mac=00:00:00:00:00:01&speed=10000000\n", 0, 0 },
	{ "text of 64 bytes", "kind=node&cpu_model="
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 0, 0 },
	{ "name of 32 bytes", NODE "kind=disk&name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 0, 0 },
	/* structure */
	{ "empty report", "", 0, -EPX_E_INV_DUP },
	{ "no final newline", "kind=node", 0, -EPX_E_INV_SYNTAX },
	{ "disk before node", "kind=disk&name=vda\n" NODE, 0, -EPX_E_INV_DUP },
	{ "two node records", NODE NODE, 0, -EPX_E_INV_DUP },
	{ "node record later again", NODE "kind=disk&name=a\n" NODE, 0, -EPX_E_INV_DUP },
	{ "unknown kind", NODE "kind=gpu&name=a\n", 0, -EPX_E_INV_FIELD },
	{ "no kind", "cpus=1\n", 0, -EPX_E_INV_FIELD },
	{ "empty line", NODE "\n", 0, -EPX_E_INV_FIELD },
	{ "CRLF line", "kind=node\r\n", 0, -EPX_E_INV_SYNTAX },
	{ "unknown node key", "kind=node&bogus=1\n", 0, -EPX_E_INV_FIELD },
	{ "disk key on node", "kind=node&size=1\n", 0, -EPX_E_INV_FIELD },
	{ "nic key on disk", NODE "kind=disk&name=a&mac=00:00:00:00:00:01\n", 0, -EPX_E_INV_FIELD },
	{ "duplicate key", "kind=node&cpus=1&cpus=2\n", 0, -EPX_E_INV_SYNTAX },
	{ "duplicate kind", "kind=node&kind=node\n", 0, -EPX_E_INV_SYNTAX },
	{ "uppercase key", "Kind=node\n", 0, -EPX_E_INV_SYNTAX },
	{ "empty field", "kind=node&&cpus=1\n", 0, -EPX_E_INV_SYNTAX },
	{ "field without =", "kind=node&cpus\n", 0, -EPX_E_INV_SYNTAX },
	{ "bad escape", "kind=node&cpu_model=%zz\n", 0, -EPX_E_INV_SYNTAX },
	{ "escaped NUL", "kind=node&cpu_model=a%00b\n", 0, -EPX_E_INV_SYNTAX },
	{ "raw NUL", "kind=node&cpu_model=a\0b\n", 24, -EPX_E_INV_SYNTAX },
	{ "raw tab", "kind=node&cpu_model=a\tb\n", 0, -EPX_E_INV_SYNTAX },
	{ "raw escape byte", "kind=node&cpu_model=a\033[2Jb\n", 0, -EPX_E_INV_SYNTAX },
	{ "too many fields", "kind=node&a1=1&a2=1&a3=1&a4=1&a5=1&a6=1&a7=1&a8=1&a9=1&b1=1"
	  "&b2=1&b3=1&b4=1&b5=1&b6=1&b7=1&b8=1&b9=1&c1=1&c2=1&c3=1&c4=1&c5=1&c6=1&c7=1"
	  "&c8=1&c9=1&d1=1&d2=1&d3=1&d4=1&d5=1&d6=1\n", 0, -EPX_E_INV_SYNTAX },
	/* numbers (lib/num.h's one spelling) */
	{ "cpus 0", "kind=node&cpus=0\n", 0, -EPX_E_INV_FIELD },
	{ "cpus over cap", "kind=node&cpus=65537\n", 0, -EPX_E_INV_FIELD },
	{ "cpus leading zero", "kind=node&cpus=08\n", 0, -EPX_E_INV_FIELD },
	{ "cpus negative", "kind=node&cpus=-1\n", 0, -EPX_E_INV_FIELD },
	{ "cpus plus sign", "kind=node&cpus=%2B1\n", 0, -EPX_E_INV_FIELD },
	{ "cpus space", "kind=node&cpus=+1\n", 0, -EPX_E_INV_FIELD },
	{ "cpus hex", "kind=node&cpus=0x10\n", 0, -EPX_E_INV_FIELD },
	{ "cpus trailing junk", "kind=node&cpus=4x\n", 0, -EPX_E_INV_FIELD },
	{ "cpus empty", "kind=node&cpus=\n", 0, -EPX_E_INV_FIELD },
	{ "cpus huge", "kind=node&cpus=99999999999999999999999999\n", 0, -EPX_E_INV_FIELD },
	{ "mem 0", "kind=node&mem=0\n", 0, -EPX_E_INV_FIELD },
	{ "mem over cap", "kind=node&mem=1152921504606846977\n", 0, -EPX_E_INV_FIELD },
	{ "mem 2^64", "kind=node&mem=18446744073709551616\n", 0, -EPX_E_INV_FIELD },
	{ "secureboot 2", "kind=node&secureboot=2\n", 0, -EPX_E_INV_FIELD },
	{ "secureboot word", "kind=node&secureboot=on\n", 0, -EPX_E_INV_FIELD },
	{ "disk size negative", NODE "kind=disk&name=a&size=-1\n", 0, -EPX_E_INV_FIELD },
	{ "disk size over cap", NODE "kind=disk&name=a&size=1152921504606846977\n", 0,
	  -EPX_E_INV_FIELD },
	{ "nic speed 0", NODE "kind=nic&name=e&mac=00:00:00:00:00:01&speed=0\n", 0,
	  -EPX_E_INV_FIELD },
	{ "nic speed -1", NODE "kind=nic&name=e&mac=00:00:00:00:00:01&speed=-1\n", 0,
	  -EPX_E_INV_FIELD },
	{ "nic speed over cap", NODE "kind=nic&name=e&mac=00:00:00:00:00:01&speed=10000001\n",
	  0, -EPX_E_INV_FIELD },
	/* text */
	{ "empty text", "kind=node&cpu_model=\n", 0, -EPX_E_INV_FIELD },
	{ "text of 65 bytes", "kind=node&fw_vendor="
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 0,
	  -EPX_E_INV_FIELD },
	{ "escaped newline in text", "kind=node&cpu_model=a%0Akind%3Dnode\n", 0, -EPX_E_INV_FIELD },
	{ "escaped escape byte", "kind=node&cpu_model=a%1B%5B2J\n", 0, -EPX_E_INV_FIELD },
	{ "escaped DEL", "kind=node&fw_version=a%7F\n", 0, -EPX_E_INV_FIELD },
	{ "UTF-8 text", "kind=node&fw_vendor=caf%C3%A9\n", 0, -EPX_E_INV_FIELD },
	{ "non-UTF-8 byte", "kind=node&fw_vendor=a%FFb\n", 0, -EPX_E_INV_FIELD },
	{ "raw high byte", "kind=node&fw_vendor=a\xff" "b\n", 0, -EPX_E_INV_FIELD },
	{ "serial with newline", NODE "kind=disk&name=a&serial=x%0Ay\n", 0, -EPX_E_INV_FIELD },
	/* names and MACs */
	{ "disk without name", NODE "kind=disk&size=1\n", 0, -EPX_E_INV_FIELD },
	{ "disk name uppercase", NODE "kind=disk&name=SDA\n", 0, -EPX_E_INV_FIELD },
	{ "disk name with slash", NODE "kind=disk&name=..%2Fsda\n", 0, -EPX_E_INV_FIELD },
	{ "disk name of 33", NODE "kind=disk&name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 0,
	  -EPX_E_INV_FIELD },
	{ "disk name empty", NODE "kind=disk&name=\n", 0, -EPX_E_INV_FIELD },
	{ "disk twice", NODE "kind=disk&name=vda\nkind=disk&name=vda&size=1\n", 0,
	  -EPX_E_INV_DUP },
	{ "nic without mac", NODE "kind=nic&name=eth0\n", 0, -EPX_E_INV_FIELD },
	{ "nic without name", NODE "kind=nic&mac=00:00:00:00:00:01\n", 0, -EPX_E_INV_FIELD },
	{ "mac uppercase", NODE "kind=nic&name=e&mac=52:54:00:AB:CD:EF\n", 0, -EPX_E_INV_FIELD },
	{ "mac with dashes", NODE "kind=nic&name=e&mac=52-54-00-ab-cd-ef\n", 0, -EPX_E_INV_FIELD },
	{ "mac short", NODE "kind=nic&name=e&mac=52:54:00:ab:cd\n", 0, -EPX_E_INV_FIELD },
	{ "mac long", NODE "kind=nic&name=e&mac=52:54:00:ab:cd:ef:01\n", 0, -EPX_E_INV_FIELD },
	{ "mac not hex", NODE "kind=nic&name=e&mac=52:54:00:ab:cd:eg\n", 0, -EPX_E_INV_FIELD },
	{ "nic twice", NODE "kind=nic&name=e&mac=00:00:00:00:00:01\n"
	  "kind=nic&name=e&mac=00:00:00:00:00:02\n", 0, -EPX_E_INV_DUP },
};

static void t_table(void)
{
	struct inventory inv;
	size_t i;

	for (i = 0; i < sizeof(inv_cases) / sizeof(inv_cases[0]); i++) {
		const struct inv_case *c = &inv_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		int rc = inventory_parse(c->in, len, &inv);

		ok(rc == c->rc, "parse: %s (rc %d, want %d)", c->name, rc, c->rc);
		if (rc < 0)
			ok(inv.ndisks == 0 && inv.nnics == 0 && !inv.has && !inv.cpu_model[0],
			   "parse: %s: nothing kept on failure", c->name);
	}
}

/* n records of kind ("disk" or "nic") after the node record. */
static char *many(const char *kind, size_t n)
{
	char *s = malloc(64 * (n + 1));
	size_t i, len;

	len = (size_t)sprintf(s, NODE);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, !strcmp(kind, "disk") ? "kind=disk&name=d%zu\n" :
				       "kind=nic&name=n%zu&mac=00:00:00:00:00:%02zx\n", i, i);
	return s;
}

static void t_caps(void)
{
	struct inventory inv;
	char *s, big[NODEPROTO_INV_MAX + 2];

	s = many("disk", NODEPROTO_INV_DISKS_MAX);
	ok(inventory_parse(s, strlen(s), &inv) == 0 && inv.ndisks == NODEPROTO_INV_DISKS_MAX,
	   "%d disks: the cap", NODEPROTO_INV_DISKS_MAX);
	free(s);
	s = many("disk", NODEPROTO_INV_DISKS_MAX + 1);
	ok(inventory_parse(s, strlen(s), &inv) == -EPX_E_INV_TOOMANY, "one disk over the cap");
	free(s);
	s = many("nic", NODEPROTO_INV_NICS_MAX);
	ok(inventory_parse(s, strlen(s), &inv) == 0 && inv.nnics == NODEPROTO_INV_NICS_MAX,
	   "%d NICs: the cap", NODEPROTO_INV_NICS_MAX);
	free(s);
	s = many("nic", NODEPROTO_INV_NICS_MAX + 1);
	ok(inventory_parse(s, strlen(s), &inv) == -EPX_E_INV_TOOMANY, "one NIC over the cap");
	free(s);
	s = many("nic", 1000);
	ok(inventory_parse(s, strlen(s), &inv) == -EPX_E_INV_TOOBIG, "1000 NICs: over the byte cap");
	free(s);
	/* exactly the byte cap: a node record padded by a long key's value is
	 * refused as a field, never as too big; one byte more is too big */
	memset(big, 'a', sizeof(big));
	memcpy(big, "kind=node&cpu_model=", 20);
	big[NODEPROTO_INV_MAX - 1] = '\n';
	ok(inventory_parse(big, NODEPROTO_INV_MAX, &inv) == -EPX_E_INV_FIELD,
	   "%d bytes: parsed (text over its cap)", NODEPROTO_INV_MAX);
	big[NODEPROTO_INV_MAX] = '\n';
	ok(inventory_parse(big, NODEPROTO_INV_MAX + 1, &inv) == -EPX_E_INV_TOOBIG,
	   "%d bytes: too big", NODEPROTO_INV_MAX + 1);
	ok(inventory_parse(big, (size_t)-1, &inv) == -EPX_E_INV_TOOBIG, "SIZE_MAX length");
}

static void t_canonical(void)
{
	static const char shuffled[] =
		"kind=node&secureboot=1&fw_version=1.0&fw_vendor=EDK%20II&mem=17179869184"
		"&cpus=8&cpu_model=Intel(R)%20Xeon(R)\n"
		"kind=nic&name=eth1&mac=52:54:00:12:34:57\n"
		"kind=disk&name=vda&serial=QM00001&size=1073741824\n"
		"kind=nic&speed=1000&mac=52:54:00:12:34:56&name=eth0\n"
		"kind=disk&size=0&name=nvme0n1\n";
	struct inventory a, b;
	char t1[NODEPROTO_INV_MAX + 1], t2[NODEPROTO_INV_MAX + 1], small[16];
	size_t l1 = 0, l2 = 0;

	ok(inventory_parse(FULL, strlen(FULL), &a) == 0, "full report parses");
	ok(!strcmp(a.cpu_model, "Intel(R) Xeon(R)") && a.cpus == 8 && a.mem == 17179869184ull &&
	   !strcmp(a.fw_vendor, "EDK II") && a.secureboot == 1 && (a.has & INVENTORY_HAS_SB),
	   "node facts decoded");
	ok(a.ndisks == 2 && !strcmp(a.disk[0].name, "nvme0n1") && !strcmp(a.disk[1].name, "vda") &&
	   a.disk[1].size == 1073741824ull && !strcmp(a.disk[1].serial, "QM00001") &&
	   !a.disk[0].serial[0] && (a.disk[0].has & INVENTORY_HAS_SIZE), "disks sorted by name");
	ok(a.nnics == 2 && !strcmp(a.nic[0].mac, "52:54:00:12:34:56") && a.nic[0].speed == 1000 &&
	   !(a.nic[1].has & INVENTORY_HAS_SPEED), "NICs decoded, absent speed absent");
	ok(inventory_format(&a, t1, sizeof(t1), &l1) == 0 && l1 == strlen(t1), "format");
	ok(inventory_parse(shuffled, strlen(shuffled), &b) == 0 &&
	   inventory_format(&b, t2, sizeof(t2), &l2) == 0 && l1 == l2 && !strcmp(t1, t2),
	   "another order of fields and devices: the same canonical text");
	ok(inventory_parse(t1, l1, &b) == 0 && inventory_format(&b, t2, sizeof(t2), &l2) == 0 &&
	   !strcmp(t1, t2), "canonical text is a fixed point");
	ok(inventory_format(&a, small, sizeof(small), &l2) == -EPX_E_INV_TOOBIG && l2 == 0 &&
	   small[0] == '\0', "format into a small buffer: refused, empty");
	ok(inventory_parse(NODE, strlen(NODE), &b) == 0 &&
	   inventory_format(&b, t2, sizeof(t2), &l2) == 0 && !strcmp(t2, NODE),
	   "absent facts stay absent");
}

static void t_diff(void)
{
	struct inventory a, b;
	char d[200], tiny[12];

	inventory_parse(FULL, strlen(FULL), &a);
	b = a;
	inventory_diff(&a, &b, d, sizeof(d));
	ok(!strcmp(d, ""), "same: no difference ('%s')", d);
	b.mem -= 1024;
	b.disk[1].serial[0] = 'X';
	b.nic[0].mac[16] = '9';
	inventory_diff(&a, &b, d, sizeof(d));
	ok(!strcmp(d, "mem, disk vda, nic eth0"), "mem, serial, MAC changed: '%s'", d);
	b = a;
	b.ndisks = 1;           /* vda gone */
	b.secureboot = 0;
	inventory_diff(&a, &b, d, sizeof(d));
	ok(!strcmp(d, "secureboot, disk vda"), "disk removed, Secure Boot off: '%s'", d);
	inventory_diff(&b, &a, d, sizeof(d));
	ok(!strcmp(d, "secureboot, disk vda"), "disk added: '%s'", d);
	b = a;
	b.has &= ~INVENTORY_HAS_CPUS;
	snprintf(b.fw_version, sizeof(b.fw_version), "2.0");
	inventory_diff(&a, &b, tiny, sizeof(tiny));
	ok(strlen(tiny) < sizeof(tiny) && !strcmp(tiny + strlen(tiny) - 3, "..."),
	   "cut to its buffer with '...': '%s'", tiny);
}

/* ------------------------------------------------------------ collector */

static char root[] = "/tmp/test_inventory.XXXXXX";

static void put(const char *rel, const char *data, size_t n)
{
	char path[512], *p;
	int fd;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (!data) {
		mkdir(path, 0755);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n)
		abort();
	close(fd);
}

#define PUT(rel, s) put(rel, s, sizeof(s) - 1)

static void fake_tree(void)
{
	PUT("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n"
	    "model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz\n\n"
	    "processor\t: 1\nmodel name\t: other\n\n");
	PUT("/proc/meminfo", "MemTotal:        2048000 kB\nMemFree:  1 kB\n");
	PUT("/sys/class/dmi/id/bios_vendor", "EDK II\n");
	PUT("/sys/class/dmi/id/bios_version", "1.0\x01\xff\n");
	PUT("/sys/block/vda/device/x", "");
	PUT("/sys/block/vda/size", "2097152\n");
	PUT("/sys/block/vda/serial", "SER123\n");
	PUT("/sys/block/nvme0n1/device/serial", "  NV 9   \n");
	PUT("/sys/block/nvme0n1/size", "abc\n");
	PUT("/sys/block/loop0/size", "100\n");          /* no device: virtual */
	PUT("/sys/block/Bad:Name/device/x", "");        /* not a name of the report */
	PUT("/sys/class/net/lo/address", "00:00:00:00:00:00\n");
	PUT("/sys/class/net/eth0/device/x", "");
	PUT("/sys/class/net/eth0/address", "52:54:00:12:34:56\n");
	PUT("/sys/class/net/eth0/speed", "1000\n");
	PUT("/sys/class/net/eth1/device/x", "");
	PUT("/sys/class/net/eth1/address", "52:54:00:12:34:57\n");
	PUT("/sys/class/net/eth1/speed", "-1\n");
	PUT("/sys/class/net/ib0/device/x", "");
	PUT("/sys/class/net/ib0/address", "80:00:02:08:fe:80:00:00:00:00:00:00\n");
	PUT("/sys/class/net/br0/address", "52:54:00:00:00:01\n");
	put("/efi/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", "\x06\0\0\0\x01", 5);
}

static void t_collect(void)
{
	struct inventory inv, back;
	char text[NODEPROTO_INV_MAX + 1], efi[300], none[300], disk[80];
	size_t len = 0, dropped = 9;
	int rc, i;

	if (!mkdtemp(root))
		abort();
	fake_tree();
	snprintf(efi, sizeof(efi), "%s/efi", root);
	rc = hwscan_report(root, efi, &inv, text, sizeof(text), &len, &dropped);
	ok(rc == 0 && len > 0 && len == strlen(text), "collect the fake tree (rc %d)", rc);
	ok(inv.cpus == 2 && (inv.has & INVENTORY_HAS_CPUS) &&
	   !strcmp(inv.cpu_model, "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"),
	   "cpus 2, the first model name ('%s')", inv.cpu_model);
	ok(inv.mem == 2048000ull * 1024 && (inv.has & INVENTORY_HAS_MEM), "MemTotal in bytes");
	ok(!strcmp(inv.fw_vendor, "EDK II") && !strcmp(inv.fw_version, "1.0??"),
	   "firmware from DMI, control and high bytes as '?' ('%s')", inv.fw_version);
	ok((inv.has & INVENTORY_HAS_SB) && inv.secureboot == 1, "Secure Boot on from efivarfs");
	ok(inv.ndisks == 2 && !strcmp(inv.disk[0].name, "nvme0n1") &&
	   !strcmp(inv.disk[1].name, "vda"), "disks with a device only, sorted");
	ok(inv.disk[1].size == 2097152ull * 512 && (inv.disk[1].has & INVENTORY_HAS_SIZE) &&
	   !strcmp(inv.disk[1].serial, "SER123"), "vda: size in bytes, serial");
	ok(!(inv.disk[0].has & INVENTORY_HAS_SIZE) && !strcmp(inv.disk[0].serial, "NV 9"),
	   "nvme0n1: bad size absent, device/serial trimmed ('%s')", inv.disk[0].serial);
	ok(inv.nnics == 2 && !strcmp(inv.nic[0].name, "eth0") && inv.nic[0].speed == 1000 &&
	   !strcmp(inv.nic[0].mac, "52:54:00:12:34:56"), "eth0: MAC, speed");
	ok(!strcmp(inv.nic[1].name, "eth1") && !(inv.nic[1].has & INVENTORY_HAS_SPEED),
	   "eth1: link down, speed absent; no lo, br0 or ib0");
	ok(dropped == 1, "the badly named disk counted as dropped (%zu)", dropped);
	ok(inventory_parse(text, len, &back) == 0 && back.ndisks == 2 && back.nnics == 2,
	   "the report passes epoxyd's parser");
	/* no model name (not x86), MemTotal in another unit, no SecureBoot */
	PUT("/proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 50.00\n");
	PUT("/proc/meminfo", "MemTotal: 12 MB\n");
	put("/efi/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", "\x06\0\0\0\x02", 5);
	rc = hwscan_report(root, efi, &inv, text, sizeof(text), &len, &dropped);
	ok(rc == 0 && inv.cpus == 1 && !inv.cpu_model[0] && !(inv.has & INVENTORY_HAS_MEM) &&
	   !(inv.has & INVENTORY_HAS_SB), "absent model, odd MemTotal, bad SecureBoot: absent");
	/* more disks than the cap: the cap, the rest counted */
	for (i = 0; i < NODEPROTO_INV_DISKS_MAX + 3; i++) {
		snprintf(disk, sizeof(disk), "/sys/block/sd%c/device/x", 'a' + i);
		put(disk, "", 0);
	}
	rc = hwscan_report(root, efi, &inv, text, sizeof(text), &len, &dropped);
	ok(rc == 0 && inv.ndisks == NODEPROTO_INV_DISKS_MAX &&
	   dropped == 2 + (NODEPROTO_INV_DISKS_MAX + 3) - NODEPROTO_INV_DISKS_MAX + 1,
	   "disks over the cap dropped (%zu listed, %zu dropped)", inv.ndisks, dropped);
	snprintf(none, sizeof(none), "%s/nonexistent", root);
	rc = hwscan_report(none, none, &inv, text, sizeof(text), &len, &dropped);
	ok(rc == -EPX_E_HWSCAN_NONE && len == 0 && text[0] == '\0',
	   "no /proc or /sys at all: no report (rc %d)", rc);
	snprintf(text, sizeof(text), "rm -rf '%s'", root);
	if (system(text) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
}

int main(void)
{
	t_table();
	t_caps();
	t_canonical();
	t_diff();
	t_collect();
	return test_done();
}
