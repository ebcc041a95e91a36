/* libFuzzer target: the chunked decoder (net/chunked.c), fed whole and
 * in pieces split by the first input byte; both must agree. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/chunked.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chunked a, b;
	uint8_t *x, *y;
	size_t used, out, total_a = 0, total_b = 0, pos = 0, step;
	int ra, rb = 0;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	x = malloc(size + 1);
	y = malloc(size + 1);
	memcpy(x, data, size);
	memcpy(y, data, size);
	chunked_init(&a);
	ra = chunked_feed(&a, x, size, &used, &out);
	if (ra >= 0) {
		if (out > used || used > size)
			__builtin_trap();
		total_a = out;
	}
	chunked_init(&b);
	while (pos < size && rb == 0) {
		size_t n = size - pos < step ? size - pos : step;

		rb = chunked_feed(&b, y + pos, n, &used, &out);
		if (rb >= 0) {
			if (out > used || used > n)
				__builtin_trap();
			total_b += out;
			pos += used;
		}
	}
	if ((ra < 0) != (rb < 0) || (ra >= 0 && (ra != rb || total_a != total_b)))
		__builtin_trap();
	free(x);
	free(y);
	return 0;
}
