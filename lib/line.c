/* line: "<prefix><value>\n" lines (see line.h).
 *
 * Guarantees: bounds checked in the subtraction form; nothing is copied
 * or allocated. */
#include <string.h>

#include "lib/err.h"
#include "lib/line.h"

long line_take(const char *t, size_t len, size_t *pos, const char *prefix,
	       const char **val)
{
	size_t plen = strlen(prefix), p = *pos;
	const char *nl;

	if (p > len || plen > len - p || memcmp(t + p, prefix, plen) != 0)
		return -EPX_E_LINE;
	nl = memchr(t + p + plen, '\n', len - p - plen);
	if (!nl)
		return -EPX_E_LINE;
	*val = t + p + plen;
	*pos = (size_t)(nl - t) + 1;
	return nl - *val;
}
