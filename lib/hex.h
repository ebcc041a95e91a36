/* hex: lowercase hex encoding of binary values (keys, hashes, tokens). */
#ifndef EPOXY_HEX_H
#define EPOXY_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*n lowercase hex digits and a NUL to out (2*n+1 bytes). */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly 2*outlen hex digits (either case) from s[0..slen).
 * Returns 0, or -EINVAL if slen != 2*outlen or a digit is invalid. */
int hex_decode(const char *s, size_t slen, uint8_t *out, size_t outlen);
/* The value of one hex digit (either case), or -1. */
int hex_nibble(char c);

#endif
