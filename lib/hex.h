/* hex: the one lowercase hex codec of epoxy (keys, hashes, tokens, session
 * ids, credentials: in signed documents, on the wire, in files).
 *
 * Guarantees: one spelling per value: hex_encode writes lowercase only and
 * hex_decode/hex_check accept lowercase only ("AB" is refused, never
 * folded), of exactly the length asked for, nothing more or less.  Only
 * hex_nibble_ci accepts upper case: it is for formats others define (HTTP
 * chunk sizes, cpio newc headers, %XX escapes, MACs typed by people),
 * never for our values.
 * Errors are -EPX_E_HEX; nothing is read outside s[0..slen). */
#ifndef EPOXY_HEX_H
#define EPOXY_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*n lowercase hex digits and a NUL to out (2*n+1 bytes). */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes s[0..slen), exactly 2*outlen lowercase digits, into out.
 * Returns 0 or -EPX_E_HEX (out may then be partly written). */
int hex_decode(const char *s, size_t slen, uint8_t *out, size_t outlen);
/* 0 if s[0..slen) is exactly ndigits lowercase hex digits, else -EPX_E_HEX. */
int hex_check(const char *s, size_t slen, size_t ndigits);
/* The same for a NUL-terminated s (NULL: -EPX_E_HEX). */
int hex_check_str(const char *s, size_t ndigits);
/* The value of one lowercase hex digit, or -EPX_E_HEX. */
int hex_nibble(char c);
/* The value of one hex digit of either case, or -EPX_E_HEX. */
int hex_nibble_ci(char c);

#endif
