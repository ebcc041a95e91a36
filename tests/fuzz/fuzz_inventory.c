/* libFuzzer target: the inventory report's parser (lib/inventory.c), what
 * epoxyd runs on the inventory field of every session request.
 * Properties: inventory_parse returns 0 or one of -EPX_E_INV_*; an
 * accepted report keeps within its caps, every text printable ASCII, every
 * name a valid one; its canonical text (inventory_format) parses again to
 * the same text (a fixed point); inventory_diff of it against itself is
 * empty and never overruns a small buffer against an empty inventory. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/err.h"
#include "lib/inventory.h"
#include "lib/label.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_inventory_check(const struct inventory *v)
{
	size_t i;

	if (v->ndisks > NODEPROTO_INV_DISKS_MAX || v->nnics > NODEPROTO_INV_NICS_MAX)
		__builtin_trap();
	if ((v->cpu_model[0] && !inventory_text_ok(v->cpu_model)) ||
	    (v->fw_vendor[0] && !inventory_text_ok(v->fw_vendor)) ||
	    (v->fw_version[0] && !inventory_text_ok(v->fw_version)))
		__builtin_trap();
	for (i = 0; i < v->ndisks; i++)
		if (label_check_str(LABEL_TAG, v->disk[i].name) < 0 ||
		    (v->disk[i].serial[0] && !inventory_text_ok(v->disk[i].serial)) ||
		    (i && strcmp(v->disk[i - 1].name, v->disk[i].name) >= 0))
			__builtin_trap();
	for (i = 0; i < v->nnics; i++)
		if (label_check_str(LABEL_TAG, v->nic[i].name) < 0 ||
		    !inventory_mac_ok(v->nic[i].mac) ||
		    (i && strcmp(v->nic[i - 1].name, v->nic[i].name) >= 0))
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct inventory a, b, empty;
	static char t1[NODEPROTO_INV_MAX + 1], t2[NODEPROTO_INV_MAX + 1];
	char d[24];
	size_t l1, l2;
	int rc = inventory_parse((const char *)data, size, &a);

	if (rc != 0 && rc != -EPX_E_INV_TOOBIG && rc != -EPX_E_INV_SYNTAX &&
	    rc != -EPX_E_INV_FIELD && rc != -EPX_E_INV_TOOMANY && rc != -EPX_E_INV_DUP)
		__builtin_trap();
	if (rc < 0)
		return 0;
	fuzz_inventory_check(&a);
	/* the canonical text may exceed the cap only if escaping grew it */
	if (inventory_format(&a, t1, sizeof(t1), &l1) < 0)
		return 0;
	if (inventory_parse(t1, l1, &b) != 0 || inventory_format(&b, t2, sizeof(t2), &l2) != 0 ||
	    l1 != l2 || memcmp(t1, t2, l1))
		__builtin_trap();
	inventory_diff(&a, &b, d, sizeof(d));
	if (d[0])
		__builtin_trap();
	inventory_diff(&a, &empty, d, sizeof(d));
	if (strlen(d) >= sizeof(d))
		__builtin_trap();
	return 0;
}
