/* inventory: the inventory report's codec (see inventory.h).
 *
 * Guarantees: every byte is read through lib/record.h (form lines),
 * lib/num.h, lib/hex.h and lib/label.h; the input is copied once into a
 * buffer of NODEPROTO_INV_MAX + 1 bytes on the stack, so nothing outside
 * text[0..len) is read or written. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/inventory.h"
#include "lib/label.h"
#include "lib/num.h"
#include "lib/record.h"

struct inventory_ctx {
	struct inventory *inv;
	size_t nrec;
};

int inventory_text_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > NODEPROTO_INV_TEXT_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* An optional text field into dst (NODEPROTO_INV_TEXT_MAX + 1 bytes). */
static int inventory_text(const struct form *r, const char *key, char *dst)
{
	const char *v = form_get(r, key);

	if (!v)
		return 0;
	if (!inventory_text_ok(v))
		return -EPX_E_INV_FIELD;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* An optional number field in [lo, hi]; sets bit in *has when present. */
static int inventory_num(const struct form *r, const char *key, uint64_t lo, uint64_t hi,
			 uint64_t *out, unsigned *has, unsigned bit)
{
	const char *v = form_get(r, key);

	if (!v)
		return 0;
	if (num_str_u64(v, hi, out) < 0 || *out < lo)
		return -EPX_E_INV_FIELD;
	*has |= bit;
	return 0;
}

/* A disk's or NIC's name: LABEL_TAG of at most NODEPROTO_INV_NAME_MAX. */
static int inventory_name(const struct form *r, char dst[NODEPROTO_INV_NAME_MAX + 1])
{
	const char *v = form_get(r, NODEPROTO_INV_NAME);

	if (!v || strlen(v) > NODEPROTO_INV_NAME_MAX ||
	    label_check_str(LABEL_TAG, v) < 0)
		return -EPX_E_INV_FIELD;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* "aa:bb:cc:dd:ee:ff", lowercase hex pairs (lib/hex.h's one spelling). */
int inventory_mac_ok(const char *v)
{
	size_t i;

	if (!v || strlen(v) != 17)
		return 0;
	for (i = 0; i < 6; i++)
		if (hex_check(v + 3 * i, 2, 2) < 0 || (i < 5 && v[3 * i + 2] != ':'))
			return 0;
	return 1;
}

static int inventory_mac(const char *v, char dst[18])
{
	if (!inventory_mac_ok(v))
		return -EPX_E_INV_FIELD;
	memcpy(dst, v, 18);
	return 0;
}

static int inventory_node(const struct form *r, struct inventory *inv)
{
	static const char *const keys[] = {
		NODEPROTO_INV_KIND, NODEPROTO_INV_CPU_MODEL, NODEPROTO_INV_CPUS,
		NODEPROTO_INV_MEM, NODEPROTO_INV_FW_VENDOR, NODEPROTO_INV_FW_VERSION,
		NODEPROTO_INV_SECUREBOOT,
	};
	uint64_t v = 0, sb = 0;
	int rc;

	if (form_known(r, keys, sizeof(keys) / sizeof(keys[0])) < 0)
		return -EPX_E_INV_FIELD;
	rc = inventory_text(r, NODEPROTO_INV_CPU_MODEL, inv->cpu_model);
	if (rc == 0)
		rc = inventory_text(r, NODEPROTO_INV_FW_VENDOR, inv->fw_vendor);
	if (rc == 0)
		rc = inventory_text(r, NODEPROTO_INV_FW_VERSION, inv->fw_version);
	if (rc == 0)
		rc = inventory_num(r, NODEPROTO_INV_CPUS, 1, NODEPROTO_INV_CPUS_MAX, &v,
				   &inv->has, INVENTORY_HAS_CPUS);
	inv->cpus = (uint32_t)v;
	if (rc == 0)
		rc = inventory_num(r, NODEPROTO_INV_MEM, 1, NODEPROTO_INV_BYTES_MAX, &inv->mem,
				   &inv->has, INVENTORY_HAS_MEM);
	if (rc == 0)
		rc = inventory_num(r, NODEPROTO_INV_SECUREBOOT, 0, 1, &sb, &inv->has,
				   INVENTORY_HAS_SB);
	inv->secureboot = (int)sb;
	return rc;
}

static int inventory_disk(const struct form *r, struct inventory *inv)
{
	static const char *const keys[] = {
		NODEPROTO_INV_KIND, NODEPROTO_INV_NAME, NODEPROTO_INV_SIZE, NODEPROTO_INV_SERIAL,
	};
	struct inventory_disk *d;
	size_t i;
	int rc;

	if (form_known(r, keys, sizeof(keys) / sizeof(keys[0])) < 0)
		return -EPX_E_INV_FIELD;
	if (inv->ndisks >= NODEPROTO_INV_DISKS_MAX)
		return -EPX_E_INV_TOOMANY;
	d = &inv->disk[inv->ndisks];
	rc = inventory_name(r, d->name);
	if (rc == 0)
		rc = inventory_text(r, NODEPROTO_INV_SERIAL, d->serial);
	if (rc == 0)
		rc = inventory_num(r, NODEPROTO_INV_SIZE, 0, NODEPROTO_INV_BYTES_MAX, &d->size,
				   &d->has, INVENTORY_HAS_SIZE);
	for (i = 0; rc == 0 && i < inv->ndisks; i++)
		if (!strcmp(inv->disk[i].name, d->name))
			rc = -EPX_E_INV_DUP;
	if (rc == 0)
		inv->ndisks++;
	return rc;
}

static int inventory_nic(const struct form *r, struct inventory *inv)
{
	static const char *const keys[] = {
		NODEPROTO_INV_KIND, NODEPROTO_INV_NAME, NODEPROTO_INV_MAC, NODEPROTO_INV_SPEED,
	};
	struct inventory_nic *n;
	uint64_t v = 0;
	size_t i;
	int rc;

	if (form_known(r, keys, sizeof(keys) / sizeof(keys[0])) < 0)
		return -EPX_E_INV_FIELD;
	if (inv->nnics >= NODEPROTO_INV_NICS_MAX)
		return -EPX_E_INV_TOOMANY;
	n = &inv->nic[inv->nnics];
	rc = inventory_name(r, n->name);
	if (rc == 0)
		rc = inventory_mac(form_get(r, NODEPROTO_INV_MAC), n->mac);
	if (rc == 0)
		rc = inventory_num(r, NODEPROTO_INV_SPEED, 1, NODEPROTO_INV_SPEED_MAX, &v,
				   &n->has, INVENTORY_HAS_SPEED);
	n->speed = (uint32_t)v;
	for (i = 0; rc == 0 && i < inv->nnics; i++)
		if (!strcmp(inv->nic[i].name, n->name))
			rc = -EPX_E_INV_DUP;
	if (rc == 0)
		inv->nnics++;
	return rc;
}

static int inventory_rec(const struct form *r, void *arg)
{
	struct inventory_ctx *c = arg;
	const char *kind = form_get(r, NODEPROTO_INV_KIND);
	int first = c->nrec++ == 0;

	if (!kind)
		return -EPX_E_INV_FIELD;
	if (!strcmp(kind, NODEPROTO_INV_NODE))
		return first ? inventory_node(r, c->inv) : -EPX_E_INV_DUP;
	if (first)
		return -EPX_E_INV_DUP;       /* the node record comes first */
	if (!strcmp(kind, NODEPROTO_INV_DISK))
		return inventory_disk(r, c->inv);
	if (!strcmp(kind, NODEPROTO_INV_NIC))
		return inventory_nic(r, c->inv);
	return -EPX_E_INV_FIELD;
}

static int inventory_disk_cmp(const void *a, const void *b)
{
	return strcmp(((const struct inventory_disk *)a)->name,
		      ((const struct inventory_disk *)b)->name);
}

static int inventory_nic_cmp(const void *a, const void *b)
{
	return strcmp(((const struct inventory_nic *)a)->name,
		      ((const struct inventory_nic *)b)->name);
}

void inventory_sort(struct inventory *inv)
{
	qsort(inv->disk, inv->ndisks, sizeof(inv->disk[0]), inventory_disk_cmp);
	qsort(inv->nic, inv->nnics, sizeof(inv->nic[0]), inventory_nic_cmp);
}

int inventory_parse(const char *text, size_t len, struct inventory *inv)
{
	char buf[NODEPROTO_INV_MAX + 1];
	struct inventory_ctx c = { inv, 0 };
	int rc = -EPX_E_INV_TOOBIG;

	memset(inv, 0, sizeof(*inv));
	if (len > NODEPROTO_INV_MAX)
		return rc;
	memcpy(buf, text, len);
	buf[len] = '\0';
	rc = record_each(buf, len, inventory_rec, &c);
	if (rc == -EPX_E_ADM_FORM || rc == -EPX_E_ADM_TOOBIG)
		rc = -EPX_E_INV_SYNTAX;
	if (rc == 0 && c.nrec == 0)
		rc = -EPX_E_INV_DUP;           /* no node record */
	if (rc < 0)
		memset(inv, 0, sizeof(*inv));
	else
		inventory_sort(inv);
	return rc;
}

/* ------------------------------------------------------------- format */

struct inventory_out {
	char *out;
	size_t cap, len;
	char line[1024];
	size_t ll;
	int rc;
};

static void inventory_put(struct inventory_out *o, const char *key, const char *val)
{
	if (o->rc == 0 && form_put(o->line, sizeof(o->line), &o->ll, key, val, strlen(val)) < 0)
		o->rc = -EPX_E_INV_TOOBIG;
}

static void inventory_putu(struct inventory_out *o, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	inventory_put(o, key, num);
}

static void inventory_endline(struct inventory_out *o)
{
	size_t max = o->cap - 1 < NODEPROTO_INV_MAX ? o->cap - 1 : NODEPROTO_INV_MAX;

	if (o->rc == 0 && (o->len > max || o->ll + 1 > max - o->len))
		o->rc = -EPX_E_INV_TOOBIG;
	if (o->rc == 0) {
		memcpy(o->out + o->len, o->line, o->ll);
		o->len += o->ll;
		o->out[o->len++] = '\n';
		o->out[o->len] = '\0';
	}
	o->ll = 0;
}

static void inventory_fmt_node(struct inventory_out *o, const struct inventory *inv)
{
	inventory_put(o, NODEPROTO_INV_KIND, NODEPROTO_INV_NODE);
	if (inv->cpu_model[0])
		inventory_put(o, NODEPROTO_INV_CPU_MODEL, inv->cpu_model);
	if (inv->has & INVENTORY_HAS_CPUS)
		inventory_putu(o, NODEPROTO_INV_CPUS, inv->cpus);
	if (inv->has & INVENTORY_HAS_MEM)
		inventory_putu(o, NODEPROTO_INV_MEM, inv->mem);
	if (inv->fw_vendor[0])
		inventory_put(o, NODEPROTO_INV_FW_VENDOR, inv->fw_vendor);
	if (inv->fw_version[0])
		inventory_put(o, NODEPROTO_INV_FW_VERSION, inv->fw_version);
	if (inv->has & INVENTORY_HAS_SB)
		inventory_putu(o, NODEPROTO_INV_SECUREBOOT, (uint64_t)inv->secureboot);
	inventory_endline(o);
}

int inventory_format(const struct inventory *inv, char *out, size_t cap, size_t *len)
{
	struct inventory_out o;
	size_t i;

	*len = 0;
	if (cap == 0)
		return -EPX_E_INV_TOOBIG;
	memset(&o, 0, sizeof(o));
	o.out = out;
	o.cap = cap;
	out[0] = '\0';
	inventory_fmt_node(&o, inv);
	for (i = 0; i < inv->ndisks && i < NODEPROTO_INV_DISKS_MAX; i++) {
		inventory_put(&o, NODEPROTO_INV_KIND, NODEPROTO_INV_DISK);
		inventory_put(&o, NODEPROTO_INV_NAME, inv->disk[i].name);
		if (inv->disk[i].has & INVENTORY_HAS_SIZE)
			inventory_putu(&o, NODEPROTO_INV_SIZE, inv->disk[i].size);
		if (inv->disk[i].serial[0])
			inventory_put(&o, NODEPROTO_INV_SERIAL, inv->disk[i].serial);
		inventory_endline(&o);
	}
	for (i = 0; i < inv->nnics && i < NODEPROTO_INV_NICS_MAX; i++) {
		inventory_put(&o, NODEPROTO_INV_KIND, NODEPROTO_INV_NIC);
		inventory_put(&o, NODEPROTO_INV_NAME, inv->nic[i].name);
		inventory_put(&o, NODEPROTO_INV_MAC, inv->nic[i].mac);
		if (inv->nic[i].has & INVENTORY_HAS_SPEED)
			inventory_putu(&o, NODEPROTO_INV_SPEED, inv->nic[i].speed);
		inventory_endline(&o);
	}
	if (o.rc < 0) {
		out[0] = '\0';
		return o.rc;
	}
	*len = o.len;
	return 0;
}

/* -------------------------------------------------------------- diff */

static void inventory_note(char *out, size_t cap, const char *what, const char *name)
{
	size_t n = strlen(out);

	if (n + 4 >= cap)
		return;
	snprintf(out + n, cap - n, "%s%s%s%s", n ? ", " : "", what, name ? " " : "",
		 name ? name : "");
	if (strlen(out) + 4 >= cap)
		memcpy(out + cap - 4, "...", 4);
}

static const struct inventory_disk *inventory_disk_find(const struct inventory *inv,
							const char *name)
{
	size_t i;

	for (i = 0; i < inv->ndisks; i++)
		if (!strcmp(inv->disk[i].name, name))
			return &inv->disk[i];
	return NULL;
}

static const struct inventory_nic *inventory_nic_find(const struct inventory *inv,
						      const char *name)
{
	size_t i;

	for (i = 0; i < inv->nnics; i++)
		if (!strcmp(inv->nic[i].name, name))
			return &inv->nic[i];
	return NULL;
}

static int inventory_disk_same(const struct inventory_disk *a, const struct inventory_disk *b)
{
	return a && b && a->has == b->has && a->size == b->size && !strcmp(a->serial, b->serial);
}

static int inventory_nic_same(const struct inventory_nic *a, const struct inventory_nic *b)
{
	return a && b && a->has == b->has && a->speed == b->speed && !strcmp(a->mac, b->mac);
}

static void inventory_diff_parts(const struct inventory *a, const struct inventory *b,
				 char *out, size_t cap)
{
	size_t i;

	for (i = 0; i < a->ndisks; i++)
		if (!inventory_disk_same(&a->disk[i], inventory_disk_find(b, a->disk[i].name)))
			inventory_note(out, cap, "disk", a->disk[i].name);
	for (i = 0; i < b->ndisks; i++)
		if (!inventory_disk_find(a, b->disk[i].name))
			inventory_note(out, cap, "disk", b->disk[i].name);
	for (i = 0; i < a->nnics; i++)
		if (!inventory_nic_same(&a->nic[i], inventory_nic_find(b, a->nic[i].name)))
			inventory_note(out, cap, "nic", a->nic[i].name);
	for (i = 0; i < b->nnics; i++)
		if (!inventory_nic_find(a, b->nic[i].name))
			inventory_note(out, cap, "nic", b->nic[i].name);
}

void inventory_diff(const struct inventory *a, const struct inventory *b, char *out, size_t cap)
{
	if (cap == 0)
		return;
	out[0] = '\0';
	if (cap < 8)
		return;
	if (strcmp(a->cpu_model, b->cpu_model) || (a->has & INVENTORY_HAS_CPUS) !=
	    (b->has & INVENTORY_HAS_CPUS) || a->cpus != b->cpus)
		inventory_note(out, cap, "cpu", NULL);
	if ((a->has & INVENTORY_HAS_MEM) != (b->has & INVENTORY_HAS_MEM) || a->mem != b->mem)
		inventory_note(out, cap, "mem", NULL);
	if (strcmp(a->fw_vendor, b->fw_vendor) || strcmp(a->fw_version, b->fw_version))
		inventory_note(out, cap, "firmware", NULL);
	if ((a->has & INVENTORY_HAS_SB) != (b->has & INVENTORY_HAS_SB) ||
	    a->secureboot != b->secureboot)
		inventory_note(out, cap, "secureboot", NULL);
	inventory_diff_parts(a, b, out, cap);
}
