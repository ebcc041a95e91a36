/* fuzz_nmnet: the range parser of epoxy-nm --net-range
 * (nmnet_range_parse, node/nm/nmnet.h) on any bytes never crashes, reads
 * nothing past its input, returns 0 or -EPX_E_NM_NETRANGE, and what it
 * accepts prints back to exactly its input (one spelling); the plan of
 * every slot of an accepted range stays inside it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "node/nm/nmnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nmnet net;
	struct nmnet_range r;
	struct nmnet_plan p;
	struct sliver sl;
	char again[32];
	char *copy = malloc(size ? size : 1);
	int rc, n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	rc = nmnet_range_parse(copy, size, &r);
	if (rc != 0 && rc != -EPX_E_NM_NETRANGE)
		abort();
	if (rc == 0) {
		n = snprintf(again, sizeof(again), "%u.%u.%u.%u/%u", r.net >> 24, r.net >> 16 & 255,
			     r.net >> 8 & 255, r.net & 255, r.plen);
		if (n < 0 || (size_t)n != size || memcmp(again, data, size))
			abort();
		net.range = r;
		net.node_rate = 1000000;
		memset(&sl, 0, sizeof(sl));
		if (nmnet_plan(&net, NMNET_SLOTS - 1, &sl, 0, 0, &p) != 0 ||
		    p.sliver_addr + 1 > (r.net | (0xffffffffU >> r.plen)) || p.host_addr <= r.net)
			abort();
	}
	free(copy);
	return 0;
}
