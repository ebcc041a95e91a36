/* inventory: the one codec of a node's inventory report (issue 16;
 * lib/nodeproto.h names its fields and caps, docs/protocol.md
 * "Inventory"): the agent formats what it collected (stage2/hwscan.c) and
 * checks it with the same parser epoxyd uses on what arrives.
 *
 * Guarantees of inventory_parse:
 * - reads only text[0..len), len at most NODEPROTO_INV_MAX (else
 *   -EPX_E_INV_TOOBIG), through lib/record.h's record_each (one form
 *   parser), lib/num.h, lib/hex.h and lib/label.h: no parser of its own;
 * - accepts exactly one "kind=node" record, first, then at most
 *   NODEPROTO_INV_DISKS_MAX disk and NODEPROTO_INV_NICS_MAX NIC records,
 *   each name once; only the fields nodeproto.h lists for the kind;
 *   text values are printable ASCII 1..NODEPROTO_INV_TEXT_MAX bytes;
 * - on success the disks and NICs are sorted by name, so that two reports
 *   of the same hardware parse to the same struct (and inventory_format
 *   writes the same bytes), whatever order the node listed them in;
 * - on failure *inv is zeroed and the code is one of -EPX_E_INV_*.
 * inventory_format writes the canonical text of a parsed inventory (what
 * epoxyd stores and compares); inventory_diff names what differs. */
#ifndef EPOXY_INVENTORY_H
#define EPOXY_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/nodeproto.h"

/* which optional fields are present (struct inventory's "has") */
#define INVENTORY_HAS_CPUS 0x1u
#define INVENTORY_HAS_MEM 0x2u
#define INVENTORY_HAS_SB 0x4u
#define INVENTORY_HAS_SIZE 0x8u        /* a disk's */
#define INVENTORY_HAS_SPEED 0x10u      /* a NIC's */

struct inventory_disk {
	char name[NODEPROTO_INV_NAME_MAX + 1];
	char serial[NODEPROTO_INV_TEXT_MAX + 1];        /* "" absent */
	uint64_t size;
	unsigned has;
};

struct inventory_nic {
	char name[NODEPROTO_INV_NAME_MAX + 1];
	char mac[18];
	uint32_t speed;                                  /* Mbit/s */
	unsigned has;
};

struct inventory {
	char cpu_model[NODEPROTO_INV_TEXT_MAX + 1];     /* "" absent */
	char fw_vendor[NODEPROTO_INV_TEXT_MAX + 1];
	char fw_version[NODEPROTO_INV_TEXT_MAX + 1];
	uint32_t cpus;
	uint64_t mem;                                    /* bytes */
	int secureboot;                                  /* 0 or 1 */
	unsigned has;
	size_t ndisks, nnics;
	struct inventory_disk disk[NODEPROTO_INV_DISKS_MAX];
	struct inventory_nic nic[NODEPROTO_INV_NICS_MAX];
};

int inventory_parse(const char *text, size_t len, struct inventory *inv);
/* The canonical text of inv (its disks and NICs in the order they are):
 * out[0..cap) NUL-terminated, *len without the NUL.  Returns 0 or
 * -EPX_E_INV_TOOBIG (more than NODEPROTO_INV_MAX bytes or cap). */
int inventory_format(const struct inventory *inv, char *out, size_t cap, size_t *len);
/* Sorts the disks and NICs by name (inventory_parse does it). */
void inventory_sort(struct inventory *inv);
/* What differs from old to new, as "cpu, mem, disk vdb, nic eth1" (at
 * most cap - 1 bytes, "..." when cut; "" when nothing does). */
void inventory_diff(const struct inventory *old, const struct inventory *new_,
		    char *out, size_t cap);
/* 1 if s (NUL-terminated) is a valid text value, else 0. */
int inventory_text_ok(const char *s);
/* 1 if s is a MAC as the report spells it (aa:bb:cc:dd:ee:ff), else 0. */
int inventory_mac_ok(const char *s);

#endif
