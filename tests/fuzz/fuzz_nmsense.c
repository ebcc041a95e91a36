/* fuzz_nmsense: the node manager's kernel-file parsers (node/nm/nmsense.h:
 * cpu.stat and the one-number files) on any bytes: never a crash, 0 or a
 * registered code, an accepted value within USAGE_VALUE_MAX. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "node/nm/nmsense.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, uint64_t v)
{
	if (rc > 0 || (rc < 0 && strcmp(epx_strerror(rc), "unknown epoxy error") == 0) ||
	    (rc == 0 && v > USAGE_VALUE_MAX))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v = 0;
	int rc = nmsense_cpu_stat((const char *)data, size, &v);

	check(rc, v);
	v = 0;
	rc = nmsense_number((const char *)data, size, &v);
	check(rc, v);
	return 0;
}
