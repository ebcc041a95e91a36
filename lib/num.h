/* num: strict decimal numbers in signed documents. */
#ifndef EPOXY_NUM_H
#define EPOXY_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Parses s[0..n) as a decimal without sign, spaces or leading zeros ("0"
 * alone is allowed), at most max.  Returns 0 or -EINVAL (syntax) or
 * -ERANGE (above max). */
int num_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out);

#endif
