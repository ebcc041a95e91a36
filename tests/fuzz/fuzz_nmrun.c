/* fuzz_nmrun: the node manager's sliver state file parser
 * (nmrun_state_parse, node/nm/nmrun.h) on any bytes never crashes, reads
 * nothing past its input, and returns 0 or -EPX_E_NM_STATE; what it
 * accepts is exactly the one spelling nmrun writes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "node/nm/nmrun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t c[32], b[32];
	char hc[65], hb[65], again[NMRUN_STATE_MAX];
	char *copy = malloc(size ? size : 1);
	int rc, n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	rc = nmrun_state_parse(copy, size, c, b);
	if (rc != 0 && rc != -EPX_E_NM_STATE)
		abort();
	if (rc == 0) {
		hex_encode(c, 32, hc);
		hex_encode(b, 32, hb);
		n = snprintf(again, sizeof(again), "epoxy-sliver 1\nconfig %s\nbase %s\n", hc, hb);
		if (n < 0 || (size_t)n != size || memcmp(again, data, size))
			abort();
	}
	free(copy);
	return 0;
}
