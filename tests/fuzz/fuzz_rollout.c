/* fuzz_rollout: the rollout spec parser (store_rollout_spec_parse), the
 * operator's --canary, --step, --max-failures and --wait as the admin API
 * receives them.  Input: byte 0 says which of the four arguments are given
 * (bit i: argument i, else NULL); the rest is split at '\n' into them.
 * Whatever the input: no crash or out-of-bounds read (ASan/UBSan); a
 * refusal is -EPX_E_RO_SPEC and leaves the output untouched; an accepted
 * spec is within every cap, and its canonical spelling parses back to the
 * same spec. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

#define FZ_ARG 64

static int fz_same(const struct store_rollout_spec *a, const struct store_rollout_spec *b)
{
	return a->canary == b->canary && a->canary_pct == b->canary_pct &&
	       a->step_pct == b->step_pct && a->max_failures == b->max_failures &&
	       a->wait == b->wait;
}

static void fz_check(const struct store_rollout_spec *sp)
{
	char c[32], s[32], m[32], w[32];
	struct store_rollout_spec again;

	if (!!sp->canary == !!sp->canary_pct || sp->canary > STORE_LIST_MAX ||
	    sp->canary_pct > 100 || sp->step_pct < 1 || sp->step_pct > 100 ||
	    sp->max_failures > STORE_ROLLOUT_FAIL_MAX || sp->wait < 0 ||
	    sp->wait > STORE_ROLLOUT_WAIT_MAX)
		abort();
	snprintf(c, sizeof(c), "%u%s", sp->canary ? sp->canary : sp->canary_pct,
		 sp->canary ? "" : "%");
	snprintf(s, sizeof(s), "%u%%", sp->step_pct);
	snprintf(m, sizeof(m), "%u", sp->max_failures);
	snprintf(w, sizeof(w), "%llds", (long long)sp->wait);
	if (store_rollout_spec_parse(c, s, m, w, &again) != 0 || !fz_same(sp, &again))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char arg[4][FZ_ARG + 1];
	const char *p[4];
	struct store_rollout_spec sp, keep;
	size_t i, k = 0, o = 0;
	int rc;

	if (n < 1)
		return 0;
	memset(arg, 0, sizeof(arg));
	for (i = 1; i < n && k < 4; i++) {
		if (d[i] == '\n') {
			k++;
			o = 0;
		} else if (o < FZ_ARG) {
			arg[k][o++] = (char)d[i];
		}
	}
	for (i = 0; i < 4; i++)
		p[i] = d[0] & (1u << i) ? arg[i] : NULL;
	memset(&sp, 0x5a, sizeof(sp));
	keep = sp;
	rc = store_rollout_spec_parse(p[0], p[1], p[2], p[3], &sp);
	if (rc != 0 && (rc != -EPX_E_RO_SPEC || memcmp(&sp, &keep, sizeof(sp))))
		abort();
	if (rc == 0)
		fz_check(&sp);
	return 0;
}
