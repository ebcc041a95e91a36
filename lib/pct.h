/* pct: the one percent-encoding of epoxy (RFC 3986 section 2), for URL path
 * segments, query and form values.
 *
 * Guarantees:
 * - pct_encode leaves exactly the unreserved bytes of RFC 3986 as they are
 *   (A-Z a-z 0-9 - . _ ~, by byte value, never by locale) and writes every
 *   other byte as "%XX" with upper-case digits (RFC 3986 2.1); the output
 *   is therefore safe in a path segment, a query, a form, an iPXE script
 *   and a shell word.  It writes nothing past out[cap) and always
 *   NUL-terminates when cap > 0.
 * - pct_decode accepts "%XX" with two hex digits of either case, refuses
 *   a '%' without them, "%00" (so a decoded value never holds a NUL and is
 *   never cut short by one) and raw control bytes (0x00-0x1f, 0x7f);
 *   with PCT_PLUS, '+' decodes to a space (x-www-form-urlencoded).
 *   out may be in itself (decoding only shrinks).
 * - For every x without a NUL: pct_decode(pct_encode(x)) == x.
 * Errors: -EPX_E_PCT (malformed input), -EPX_E_CODEC_SPACE (out too small). */
#ifndef EPOXY_PCT_H
#define EPOXY_PCT_H

#include <stddef.h>

#define PCT_PLUS 1u     /* '+' means ' ' (forms) */

/* 1 if c is RFC 3986 unreserved (passed through by pct_encode). */
int pct_unreserved(unsigned char c);
/* The length pct_encode writes for in[0..n), without the NUL. */
size_t pct_encoded_len(const char *in, size_t n);
/* Encodes in[0..n) into out[0..cap) with a NUL; *outlen (may be NULL) is
 * the length without it. */
int pct_encode(const char *in, size_t n, char *out, size_t cap, size_t *outlen);
/* Decodes in[0..n) into out[0..cap) with a NUL (out == in is allowed;
 * then cap n + 1 is always enough); *outlen (may be NULL) is the length
 * without it. */
int pct_decode(const char *in, size_t n, char *out, size_t cap, size_t *outlen,
	       unsigned flags);

#endif
