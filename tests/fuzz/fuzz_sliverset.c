/* fuzz_sliverset: sliverset_parse and sliverset_verify on any bytes never
 * crash and return 0 or a registered code; what parses formats back to
 * exactly its own body (one spelling per value); verification against
 * the public fuzz keyset's online key zeroes its result on refusal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/keyset.h"
#include "lib/sliverset.h"
#include "tests/keys/fuzz_keyset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc)
{
	if (rc > 0 || (rc < 0 && strcmp(epx_strerror(rc), "unknown epoxy error") == 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keyset ks;
	static struct sliverset ss, zero;
	static char out[SLIVERSET_MAX_BYTES];
	static int init;
	const char *d = (const char *)data;
	size_t len = 0, body;
	int rc;

	if (!init) {
		if (keyset_parse(&ks, fuzz_root_keyset, strlen(fuzz_root_keyset)) != 0)
			abort();
		init = 1;
	}
	rc = sliverset_parse(&ss, d, size);
	check_code(rc);
	if (rc == 0) {
		/* the body is everything before the last line (the signature) */
		for (body = size - 1; body > 0 && d[body - 1] != '\n'; body--)
			;
		if (sliverset_format(&ss, out, sizeof(out), &len) != 0 || len != body ||
		    memcmp(out, d, len) != 0)
			abort();
	}
	rc = sliverset_verify(&ss, d, size, &ks.online, "node1", 1);
	check_code(rc);
	if (rc != 0 && memcmp(&ss, &zero, sizeof(ss)) != 0)
		abort();
	return 0;
}
