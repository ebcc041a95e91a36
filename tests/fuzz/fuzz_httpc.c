/* libFuzzer target: the HTTP response-head parser (net/httpc.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/httpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct httpc_head h;
	long end = httpc_head_end(data, size);

	if (end > 0) {
		if (httpc_parse_head(&h, data, (size_t)end) == 0 &&
		    (h.status < 100 || h.status > 599 || (h.chunked && h.content_length >= 0)))
			__builtin_trap();
	}
	httpc_parse_head(&h, data, size);
	return 0;
}
