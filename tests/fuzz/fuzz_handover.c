/* libFuzzer target: the stage-2 inputs: handover file, session answer and
 * cpio archive parsers (stage2/handover.c, session.c, newc.c), chosen by
 * the first byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stage2/handover.h"
#include "stage2/newc.h"
#include "stage2/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct handover h;
	struct session s;
	struct newc_entry e;
	char *copy;

	if (size < 1)
		return 0;
	copy = malloc(size);
	memcpy(copy, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		if (handover_parse(&h, copy, size - 1) == 0) {
			char out[HANDOVER_MAX];
			int n = handover_format(&h, out, sizeof(out));

			/* what parses must format back to the same bytes */
			if (n < 0 || (size_t)n != size - 1 || memcmp(out, copy, (size_t)n))
				__builtin_trap();
		}
		break;
	case 1:
		if (session_parse(&s, copy, size - 1) == 0 &&
		    (s.statement < copy || s.statement + s.statement_len != copy + size - 1))
			__builtin_trap();
		break;
	default:
		newc_find((const uint8_t *)copy, size - 1, "run/epoxy/handover", &e);
		break;
	}
	free(copy);
	return 0;
}
