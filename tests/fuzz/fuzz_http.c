/* libFuzzer target: the HTTP response-head parser (stage2/http.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stage2/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h;
	long end = http_head_end(data, size);

	if (end > 0) {
		if (http_parse_head(&h, data, (size_t)end) == 0 &&
		    (h.status < 100 || h.status > 599 || (h.chunked && h.content_length >= 0)))
			__builtin_trap();
	}
	http_parse_head(&h, data, size);
	return 0;
}
