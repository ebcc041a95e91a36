/* fuzz_nmapi: the node manager's local API request parser and its ticket
 * journal's parser (node/nm/nmapi.h, nmticket.h) on any bytes: never a
 * crash, 0 or a registered code; an accepted request's body lies exactly
 * at the end of the input; an accepted journal formats back to a journal
 * that parses to the same nonces, and holds no more than NMTICKET_MAX. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "node/nm/nmapi.h"
#include "node/nm/nmticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc)
{
	if (rc > 0 || (rc < 0 && strcmp(epx_strerror(rc), "unknown epoxy error") == 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nmticket t, u;
	static char out[NMTICKET_JOURNAL_MAX];
	const char *d = (const char *)data;
	struct nmapi_req r;
	size_t len;
	int rc;

	rc = nmapi_parse(&r, d, size);
	check_code(rc);
	if (rc == 0 && (r.op == NMAPI_REDEEM ? r.body + r.body_len != d + size ||
			r.body_len == 0 || r.body_len > NMTICKET_BYTES_MAX : r.body != NULL))
		abort();
	rc = nmticket_journal_parse(&t, d, size, 1796377000);
	check_code(rc);
	if (rc == 0) {
		if (t.nseen > NMTICKET_MAX)
			abort();
		len = nmticket_journal_format(&t, out, sizeof(out));
		if (nmticket_journal_parse(&u, out, len, 1796377000) != 0 || u.nseen != t.nseen ||
		    memcmp(u.seen, t.seen, t.nseen * sizeof(t.seen[0])) != 0)
			abort();
	} else if (t.nseen != 0)
		abort();
	return 0;
}
