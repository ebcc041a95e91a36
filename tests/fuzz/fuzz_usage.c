/* fuzz_usage: the heartbeat's usage line (lib/usage.h), the parser epoxyd
 * runs on every heartbeat's usage field and again on every stored
 * snapshot it shows: never a crash, 0 or a registered code; an accepted
 * line formats back to exactly its own bytes (one spelling), holds at
 * most USAGE_SLIVERS_MAX slivers in strictly ascending order, and a
 * refused one leaves the struct zeroed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/usage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct usage u, zero;
	static char out[USAGE_BYTES_MAX + 1];
	size_t len = 0, i;
	int rc = usage_parse(&u, (const char *)data, size);

	if (rc > 0 || (rc < 0 && strcmp(epx_strerror(rc), "unknown epoxy error") == 0))
		abort();
	if (rc < 0) {
		if (memcmp(&u, &zero, sizeof(u)))
			abort();
		return 0;
	}
	if (u.n > USAGE_SLIVERS_MAX)
		abort();
	for (i = 1; i < u.n; i++)
		if (strcmp(u.sl[i - 1].name, u.sl[i].name) >= 0)
			abort();
	if (usage_format(&u, out, sizeof(out), &len) != 0 || len != size ||
	    memcmp(out, data, size))
		abort();
	return 0;
}
