/* num: strict decimal parsing (see num.h for the rules).
 *
 * Guarantees: one spelling per value, no overflow, no locale; the syntax
 * is judged before the range, so "007" is a syntax error whatever max is
 * and "99999999999999999999999" a range error. */
#include <string.h>

#include "lib/err.h"
#include "lib/num.h"

/* Digits only, no leading zero. */
static int num_syntax(const char *s, size_t n)
{
	size_t i;

	if (!s || n == 0 || (n > 1 && s[0] == '0'))
		return -EPX_E_NUM_SYNTAX;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -EPX_E_NUM_SYNTAX;
	return 0;
}

int num_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	unsigned d;
	size_t i;
	int rc = num_syntax(s, n);

	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		d = (unsigned)(s[i] - '0');
		if (d > max || x > (max - d) / 10)
			return -EPX_E_NUM_RANGE;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

int num_parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	uint64_t x;
	int rc = num_parse_u64(s, n, max, &x);

	if (rc == 0)
		*out = (uint32_t)x;
	return rc;
}

int num_parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	int neg = s && n > 0 && s[0] == '-';
	uint64_t x, lim;
	int64_t v;
	int rc;

	if (min > max)
		return -EPX_E_NUM_RANGE;
	if (neg) {
		/* -min as unsigned without overflow; a non-negative min allows none */
		lim = min < 0 ? (uint64_t)(-(min + 1)) + 1 : 0;
		rc = num_parse_u64(s + 1, n - 1, UINT64_MAX, &x);
		if (rc == 0 && x == 0)
			return -EPX_E_NUM_SYNTAX;       /* "-0" */
		if (rc < 0)
			return rc;
		if (x > lim)
			return -EPX_E_NUM_RANGE;
		v = x == lim ? min : -(int64_t)x;
		if (v > max)
			return -EPX_E_NUM_RANGE;
		*out = v;
		return 0;
	}
	rc = num_parse_u64(s, n, max < 0 ? 0 : (uint64_t)max, &x);
	if (rc == 0 && (max < 0 || (int64_t)x < min))
		return -EPX_E_NUM_RANGE;
	if (rc == 0)
		*out = (int64_t)x;
	return rc;
}

int num_str_u64(const char *s, uint64_t max, uint64_t *out)
{
	return num_parse_u64(s, s ? strlen(s) : 0, max, out);
}

int num_str_u32(const char *s, uint32_t max, uint32_t *out)
{
	return num_parse_u32(s, s ? strlen(s) : 0, max, out);
}
