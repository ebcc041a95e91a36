/* fuzz_priv: epoxy-priv's parsers on any bytes: the request line
 * (priv_req_parse), the grants file (priv_grants_parse) and the client's
 * answer (privc_answer_parse).  The first byte picks the parser; the rest
 * is the input.  Properties, each an abort() when broken:
 * - every parser returns 0 or its own registered codes, never reads
 *   outside the input (ASan);
 * - an accepted open request has a path that priv_req_path accepts again,
 *   that fits PRIV_PATH_MAX, and the request re-printed as "open PATH\n"
 *   parses to the same path (one spelling);
 * - an accepted grants file has no slice of uid 0, no two slices of one
 *   uid, no grant of a path grant_denied names, and every grant allows
 *   a request for its own path (file) or a file beneath it (dir);
 * - an accepted answer is exactly "ok\n" or a refusal with a code >= 1000. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "node/priv/priv_grants.h"
#include "node/priv/priv_req.h"
#include "node/priv/privc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct priv_grants g;

static void want(int cond)
{
	if (!cond)
		abort();
}

static void fuzz_req(const char *s, size_t n)
{
	struct priv_req r, r2;
	char again[PRIV_PATH_MAX + 8];
	int rc = priv_req_parse(s, n, &r);

	want(rc == 0 || rc == -EPX_E_PRIV_REQUEST || rc == -EPX_E_PRIV_TOOBIG ||
	     rc == -EPX_E_PRIV_PATH || rc == -EPX_E_PRIV_WRITE);
	if (rc != 0 || r.op != PRIV_OP_OPEN)
		return;
	want(r.path_len <= PRIV_PATH_MAX && strlen(r.path) == r.path_len);
	want(priv_req_path(r.path, r.path_len) == 0);
	snprintf(again, sizeof(again), "open %s\n", r.path);
	want(priv_req_parse(again, strlen(again), &r2) == 0 && !strcmp(r.path, r2.path));
	(void)grant_denied(r.path, r.path_len);
}

static void fuzz_grants(const char *s, size_t n)
{
	struct priv_req r;
	const struct priv_grant *out;
	unsigned line, i, j;
	int rc = priv_grants_parse(&g, s, n, &line);

	want(rc == 0 || rc == -EPX_E_PRIV_GRANTS);
	if (rc != 0)
		return;
	for (i = 0; i < g.nslices; i++) {
		want(g.slices[i].uid != 0 && priv_grants_uid(&g, g.slices[i].uid) == (int)i);
		for (j = i + 1; j < g.nslices; j++)
			want(g.slices[i].uid != g.slices[j].uid);
	}
	for (i = 0; i < g.ngrants; i++) {
		const struct priv_grant *gr = &g.grants[i];

		want(gr->slice < g.nslices);
		memset(&r, 0, sizeof(r));
		if (gr->kind == PRIV_KIND_SOCK_DIAG) {
			r.op = PRIV_OP_SOCK_DIAG;
		} else {
			want(!grant_denied(gr->path, gr->path_len));
			r.op = PRIV_OP_OPEN;
			memcpy(r.path, gr->path, gr->path_len);
			r.path_len = gr->path_len;
			if (gr->kind == PRIV_KIND_DIR && gr->path_len + 2 <= PRIV_PATH_MAX) {
				memcpy(r.path + r.path_len, "/z", 3);
				r.path_len += 2;
			}
		}
		if (gr->kind != PRIV_KIND_DIR || r.path_len > gr->path_len)
			want(priv_grants_allow(&g, gr->slice, &r, &out) == 0);
	}
}

static void fuzz_answer(const char *s, size_t n)
{
	int code = 0, rc = privc_answer_parse(s, n, &code);

	want(rc == 0 || rc == 1 || rc == -EPX_E_PRIV_ANSWER);
	if (rc == 0)
		want(n == 3 && !memcmp(s, "ok\n", 3));
	if (rc == 1)
		want(code >= 1000 && code <= 9999);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;

	if (size < 1 || size > PRIV_GRANTS_FILE_MAX + 2)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_req(s, size - 1);
		break;
	case 1:
		fuzz_grants(s, size - 1);
		break;
	default:
		fuzz_answer(s, size - 1);
	}
	return 0;
}
