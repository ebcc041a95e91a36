/* fuzz_keyset: keyset_parse on any bytes never crashes and returns 0 or a
 * registered code; whatever parses is also tried as a root (self-signed)
 * (on a sample, see fuzz_keyset.h) and as the successor of the public fuzz
 * root keyset, and an accepted
 * keyset always satisfies the invariants keyset.h promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/keyset.h"
#include "lib/sha256.h"
#include "tests/keys/fuzz_keyset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc)
{
	if (rc > 0 || (rc < 0 && strcmp(epx_strerror(rc), "unknown epoxy error") == 0))
		abort();
}

static void invariants(const struct keyset *ks)
{
	size_t i, j;

	if (ks->serial == 0 || ks->threshold == 0 || ks->threshold > ks->nrelease ||
	    ks->nrelease == 0 || ks->nrelease > KEYSET_MAX_KEYS || ks->nrevoked > KEYSET_MAX_KEYS)
		abort();
	for (i = 0; i < ks->nrelease; i++) {
		if (!memcmp(ks->release[i].point, ks->online.point, SIG_POINT_LEN))
			abort();
		for (j = i + 1; j < ks->nrelease; j++)
			if (!memcmp(ks->release[i].point, ks->release[j].point, SIG_POINT_LEN))
				abort();
	}
}

static unsigned sha_byte(const uint8_t *data, size_t size)
{
	uint8_t h[32];

	sha256_buf(data, size, h);
	return h[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keyset root;
	static int init;
	struct keyset ks, cur;
	int rc;

	if (!init) {
		if (keyset_load_root(&root, fuzz_root_keyset, strlen(fuzz_root_keyset)) != 0)
			abort();
		init = 1;
	}
	rc = keyset_parse(&ks, (const char *)data, size);
	check_code(rc);
	if (rc != 0)
		return 0;
	invariants(&ks);
	if (sha_byte(data, size) % FUZZ_VERIFY_ONE_IN != 0)
		return 0;
	rc = keyset_load_root(&ks, (const char *)data, size);
	check_code(rc);
	if (rc == 0)
		invariants(&ks);
	cur = root;
	rc = keyset_rotate(&cur, (const char *)data, size);
	check_code(rc);
	if (rc == 0 && cur.serial != root.serial + 1)
		abort();
	if (rc != 0 && memcmp(&cur, &root, sizeof(cur)) != 0)
		abort();        /* a refused rotation must leave the trusted set alone */
	return 0;
}
