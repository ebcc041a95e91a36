/* fuzz_archive: arbitrary paths through the archive's name parsers
 * (archive_name for PUT, archive_public_name for GET), the only input of
 * the upload handler a node chooses besides its body.  Beyond memory
 * safety it checks their promise: an accepted name gives an experiment
 * (and host) of lib/label's alphabet not starting with '.', and 64
 * lowercase hex digits, so that no accepted name can leave its directory
 * under data_dir/archive.  A violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/label.h"
#include "server/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void fz_check(const char *exp, const char *sha)
{
	size_t i;

	if (!exp[0] || exp[0] == '.' || label_check_str(LABEL_TAG, exp) < 0 || strchr(exp, '/'))
		abort();
	if (strlen(sha) != 64)
		abort();
	for (i = 0; i < 64; i++)
		if (!((sha[i] >= '0' && sha[i] <= '9') || (sha[i] >= 'a' && sha[i] <= 'f')))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char path[HTTP_PATH_MAX + 1], host[64], exp[65], sha[65];

	if (n > HTTP_PATH_MAX)
		n = HTTP_PATH_MAX;
	memcpy(path, d, n);
	path[n] = '\0';
	if (archive_name(path, exp, sha) == 0)
		fz_check(exp, sha);
	if (archive_public_name(path, host, exp, sha) == 0) {
		if (label_check_str(LABEL_HOST, host) < 0 || strchr(host, '/'))
			abort();
		fz_check(exp, sha);
	}
	return 0;
}
