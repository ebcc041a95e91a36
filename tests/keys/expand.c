/* expand: document templates with the fixture's key IDs and public keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/keys/expand.h"

size_t fx_expand(const struct fx *f, const char *tmpl, char *out, size_t cap)
{
	const char *p = tmpl, *rep;
	size_t off = 0, n;
	int k;

	while (*p) {
		rep = NULL;
		if (!strncmp(p, "{id", 3) && p[3] >= '0' && p[3] <= '9' && p[4] == '}') {
			k = p[3] - '0';
			rep = f->idhex[k];
			p += 5;
		} else if (!strncmp(p, "{pub", 4) && p[4] >= '0' && p[4] <= '9' && p[5] == '}') {
			k = p[4] - '0';
			rep = f->pubhex[k];
			p += 6;
		}
		n = rep ? strlen(rep) : 1;
		if (off > cap || n + 1 > cap - off) {
			fprintf(stderr, "fx_expand: buffer too small\n");
			abort();
		}
		memcpy(out + off, rep ? rep : p++, n);
		off += n;
	}
	out[off] = '\0';
	return off;
}
