/* num: strict decimal parsing for signed documents.
 *
 * Guarantees: exactly one spelling is accepted for each number (no sign,
 * no leading zeros, no spaces), so a signed document cannot carry the same
 * value in two encodings; values above the caller's cap are refused
 * without overflow. */
#include <errno.h>

#include "lib/num.h"

#define NUM_MAX_DIGITS 20

int num_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	unsigned d;
	size_t i;

	if (n == 0 || n > NUM_MAX_DIGITS || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		d = (unsigned)(s[i] - '0');
		if (d > max || x > (max - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}
