/* fuzz_statement: statement_parse on any bytes never crashes and returns
 * 0 or a registered code; what parses formats back to the same values and
 * is run through verification against the public fuzz keyset. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/statement.h"
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
	static int init;
	static const uint8_t nonce[32] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
		0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8,
		0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0 };
	struct statement st, st2;
	char out[1024];
	size_t len = 0;
	int rc;

	if (!init) {
		if (keyset_parse(&ks, fuzz_root_keyset, strlen(fuzz_root_keyset)) != 0)
			abort();
		init = 1;
	}
	rc = statement_parse(&st, (const char *)data, size);
	check_code(rc);
	if (rc != 0)
		return 0;
	if (statement_format(&st, out, sizeof(out), &len) != 0 ||
	    statement_parse(&st2, out, len) != 0 || memcmp(&st, &st2, sizeof(st)) != 0)
		abort();
	rc = statement_verify(&st, (const char *)data, size, &ks, nonce, "node1");
	check_code(rc);
	if (rc == 0)
		check_code(statement_bind_manifest(&st, st.manifest, st.version));
	return 0;
}
