/* fuzz_nmapi_http: the HTTPS API's request parser (node/nm/nmapi.h,
 * nmapi_http_parse) on any bytes: never a crash; 0, NMAPI_MORE or a
 * registered code; an accepted request names one of the four operations,
 * a redeem's body lies exactly at the end of the input and is 1..
 * NMTICKET_BYTES_MAX bytes, any other has no body; every prefix of an
 * accepted request is NMAPI_MORE or refused, never accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "node/nm/nmapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct nmapi_req r, p;
	int rc = nmapi_http_parse(&r, d, size);

	if (rc < 0 && strcmp(epx_strerror(rc), "unknown epoxy error") == 0)
		abort();
	if (rc > 0 && (rc != NMAPI_MORE || r.op != 0 || r.body))
		abort();
	if (rc == 0) {
		if (r.op < NMAPI_LIST || r.op > NMAPI_METRICS)
			abort();
		if (r.op == NMAPI_REDEEM ? r.body + r.body_len != d + size || r.body_len == 0 ||
		    r.body_len > NMTICKET_BYTES_MAX : r.body != NULL || r.body_len != 0)
			abort();
		if (size > 0 && nmapi_http_parse(&p, d, size - 1) == 0)
			abort();
	}
	return 0;
}
