/* expand: fills test document templates with the fixture's keys.
 * "{idN}" becomes key N's ID (16 hex), "{pubN}" its public key (130 hex),
 * for N in 0..9.  Aborts if out is too small. */
#ifndef EPOXY_TEST_EXPAND_H
#define EPOXY_TEST_EXPAND_H

#include <stddef.h>

#include "tests/keys/fixture.h"

size_t fx_expand(const struct fx *f, const char *tmpl, char *out, size_t cap);

#endif
