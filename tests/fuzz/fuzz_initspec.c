/* fuzz_initspec: the initramfs spec parser must survive any input and,
 * when it accepts one, hand back only valid, unique, sorted paths whose
 * parents are declared directories. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "initramfs/initspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct initspec spec;
	unsigned int line;
	size_t i;

	if (initspec_parse((const char *)data, size, &spec, &line) == 0) {
		for (i = 0; i < spec.n; i++) {
			if (initspec_check_path(spec.entries[i].path) != 0)
				abort();
			if (i > 0 && strcmp(spec.entries[i - 1].path,
					    spec.entries[i].path) >= 0)
				abort();
			if (spec.entries[i].mode > 07777)
				abort();
		}
	}
	initspec_free(&spec);
	return 0;
}
