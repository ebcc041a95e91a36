/* fuzz_bundlename: a bundle's archive name (lib/bundlename.h), which
 * epoxyd parses on every upload a node asks for: never a crash, 0 or
 * EPOXY-E2387 with a zeroed result; an accepted name is made back, byte
 * for byte, from the parts it yields (one spelling). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bundlename.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bundlename b, zero;
	static char out[BUNDLENAME_MAX + 1];
	int rc = bundlename_parse((const char *)data, size, &b);

	if (rc != 0 && rc != -EPX_E_ARC_BUNDLENAME)
		abort();
	if (rc < 0) {
		if (memcmp(&b, &zero, sizeof(b)))
			abort();
		return 0;
	}
	if (bundlename_make(out, sizeof(out), b.exp, b.dt, b.node, b.sec, b.usec) != 0 ||
	    strlen(out) != size || memcmp(out, data, size))
		abort();
	return 0;
}
