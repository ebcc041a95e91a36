/* fuzz_pusher_journal: arbitrary bytes through epoxy-pusher's journal
 * parser (pusher_bundle_parse), the one reader of what a crash or a
 * damaged disk leaves in the spool.  Beyond memory safety it checks the
 * parser's promise: an accepted entry names LABEL_TAG experiment and
 * datatype, a bundle name (lib/bundlename.h) of that experiment and
 * datatype, at least one file, and every file lies under them with no
 * hidden or empty path component.  A violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bundlename.h"
#include "node/pusher/pusher_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct pusher_bundle b;
	struct bundlename bn;
	size_t i, el, dl;

	memset(&b, 0, sizeof(b));
	if (pusher_bundle_parse(&b, (const char *)d, n) < 0) {
		if (b.files || b.nfiles)
			abort();
		return 0;
	}
	if (b.nfiles == 0 || !b.exp[0] || !b.dt[0] || b.exp[0] == '.' || b.dt[0] == '.')
		abort();
	if (bundlename_parse(b.name, strlen(b.name), &bn) < 0 || strcmp(bn.exp, b.exp) ||
	    strcmp(bn.dt, b.dt))
		abort();
	el = strlen(b.exp);
	dl = strlen(b.dt);
	for (i = 0; i < b.nfiles; i++) {
		const char *f = b.files[i];

		if (strncmp(f, b.exp, el) || f[el] != '/' || strncmp(f + el + 1, b.dt, dl) ||
		    f[el + 1 + dl] != '/' || strstr(f, "/.") || strstr(f, "//") ||
		    f[strlen(f) - 1] == '/')
			abort();
	}
	pusher_bundle_free(&b);
	return 0;
}
