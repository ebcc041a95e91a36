/* num: the one decimal number parser of epoxy (signed documents, the wire,
 * command lines, configuration files).
 *
 * Guarantees: exactly one spelling is accepted for each value: ASCII digits
 * only, no sign ("-" only for num_parse_i64, and never "-0"), no spaces, no
 * leading zeros ("0" alone is the only spelling of zero), no "0x", no
 * locale.  A syntactically valid number above max (below min) is refused
 * with -EPX_E_NUM_RANGE without overflow, however many digits it has;
 * anything else with -EPX_E_NUM_SYNTAX.  *out is written only on success.
 * Every function reads exactly s[0..n) (the _str forms: up to the NUL; a
 * NULL string is a syntax error) and never allocates. */
#ifndef EPOXY_NUM_H
#define EPOXY_NUM_H

#include <stddef.h>
#include <stdint.h>

/* s[0..n) as a decimal in [0, max]. */
int num_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out);
int num_parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out);
/* s[0..n) as an optionally negative decimal in [min, max]. */
int num_parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);
/* The same for a NUL-terminated s (NULL: -EPX_E_NUM_SYNTAX). */
int num_str_u64(const char *s, uint64_t max, uint64_t *out);
int num_str_u32(const char *s, uint32_t max, uint32_t *out);

#endif
