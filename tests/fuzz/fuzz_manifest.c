/* fuzz_manifest: manifest_parse on any bytes never crashes, returns 0 or
 * a registered epoxy code, and whatever it accepts formats back to a
 * manifest that parses to the same values; accepted manifests also go
 * through signature checks against the public fuzz keysets (see
 * tests/keys/fuzz_keyset.h for the sampling), policy and artifact checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/manifest.h"
#include "tests/keys/fuzz_keyset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc)
{
	if (rc > 0 || (rc < 0 && strcmp(epx_strerror(rc), "unknown epoxy error") == 0))
		abort();
}

static void roundtrip(const struct manifest *m)
{
	static char out[DOC_MAX_BYTES];
	struct manifest m2;
	size_t len = 0;
	int r;

	if (manifest_format(m, out, sizeof(out), &len) != 0 || manifest_parse(&m2, out, len) != 0)
		abort();
	if (m2.version != m->version || m2.expires != m->expires || m2.min_agent != m->min_agent ||
	    strcmp(m2.hwclass, m->hwclass) != 0)
		abort();
	for (r = 0; r < MANIFEST_NROLES; r++)
		if (m2.art[r].length != m->art[r].length ||
		    memcmp(m2.art[r].sha256, m->art[r].sha256, 32) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keyset ks, other;
	static int init;
	struct manifest m;
	int rc, sample;

	if (!init) {
		if (keyset_parse(&ks, fuzz_root_keyset, strlen(fuzz_root_keyset)) != 0 ||
		    keyset_parse(&other, fuzz_other_keyset, strlen(fuzz_other_keyset)) != 0)
			abort();
		init = 1;
	}
	rc = manifest_parse(&m, (const char *)data, size);
	check_code(rc);
	if (rc != 0)
		return 0;
	roundtrip(&m);
	check_code(manifest_policy(&m, 1763784000, 7, "qemu-x86_64", 1));
	check_code(manifest_check_artifact(&m, MANIFEST_CMDLINE, data, size < 4096 ? size : 4096));
	sample = m.file_sha256[0] % FUZZ_VERIFY_ONE_IN == 0;
	check_code(manifest_verify(&m, (const char *)data, size, &other));
	if (sample)
		check_code(manifest_verify(&m, (const char *)data, size, &ks));
	return 0;
}
