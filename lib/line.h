/* line: the one reader of "<prefix><value>\n" lines, the form of the
 * agent's small text files (the EpoxyBoot variable, the token medium, the
 * handover).
 *
 * Guarantees of line_take:
 * - reads only t[*pos..len); the line must start with prefix (compared
 *   byte for byte) and end with '\n' before len;
 * - on success *val points at the value (after prefix, not NUL-
 *   terminated, inside t), *pos moves past the '\n', and the value's
 *   length is returned (0 for a line that is exactly prefix);
 * - on failure *pos and *val are untouched and -EPX_E_LINE is returned;
 *   the caller answers with its own code (it knows which file it read).
 * It checks no charset: the value goes on to label.h, hex.h or num.h. */
#ifndef EPOXY_LINE_H
#define EPOXY_LINE_H

#include <stddef.h>

long line_take(const char *t, size_t len, size_t *pos, const char *prefix,
	       const char **val);

#endif
