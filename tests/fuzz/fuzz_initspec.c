/* fuzz_initspec: the initramfs spec parser must survive any input and,
 * when it accepts one, hand back only valid, unique, sorted paths whose
 * parents are declared directories, and hard links that each name a file
 * entry by its path, with that file's mode. */
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
			if (spec.entries[i].type == INITSPEC_HLINK) {
				const struct initspec_entry *f;

				if (spec.entries[i].file >= spec.n)
					abort();
				f = &spec.entries[spec.entries[i].file];
				if (f->type != INITSPEC_FILE ||
				    strcmp(f->path, spec.entries[i].source) != 0 ||
				    f->mode != spec.entries[i].mode)
					abort();
			}
		}
	}
	initspec_free(&spec);
	return 0;
}
