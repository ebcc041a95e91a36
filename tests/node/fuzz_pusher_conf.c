/* fuzz_pusher_conf: arbitrary bytes through epoxy-pusher's experiment
 * configuration parser (pusher_conf_parse).  Beyond memory safety it
 * checks the parser's promises on every accepted file: a server name, at
 * least one and at most PUSHER_CONF_EXPS_MAX experiments with distinct
 * LABEL_TAG names, datatypes without repeats, every limit within its range with
 * age-min <= age-max; and on a refusal, a zeroed result.  A violation
 * aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/label.h"
#include "node/pusher/pusher_bundle.h"
#include "node/pusher/pusher_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void fuzz_pusher_conf_lim(const struct pusher_limits *l)
{
	if (l->size == 0 || l->size > PUSHER_CONF_BYTES_MAX || l->max_bytes == 0 ||
	    l->max_bytes > PUSHER_CONF_BYTES_MAX || l->age_min == 0 ||
	    l->age_min > l->age_max || l->age_max > PUSHER_CONF_AGE_CAP ||
	    l->max_files == 0 || l->max_files > PUSHER_BUNDLE_FILES_MAX)
		abort();
}

static void fuzz_pusher_conf_exp(const struct pusher_conf *c, size_t i)
{
	const struct pusher_conf_exp *e = &c->exp[i];
	size_t j, k;

	if (label_check_str(LABEL_TAG, e->name) || e->name[0] == '.' ||
	    e->ndatatypes > PUSHER_CONF_DATATYPES_MAX)
		abort();
	fuzz_pusher_conf_lim(&e->lim);
	for (j = 0; j < e->ndatatypes; j++) {
		if (label_check_str(LABEL_TAG, e->datatypes[j]) || e->datatypes[j][0] == '.')
			abort();
		for (k = 0; k < j; k++)
			if (!strcmp(e->datatypes[j], e->datatypes[k]))
				abort();
	}
	for (j = 0; j < i; j++)
		if (!strcmp(e->name, c->exp[j].name))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const struct pusher_limits def = { 20000000, 1800, 7200, 10000, 100000000 };
	static struct pusher_conf c, zero;
	unsigned line;
	size_t i;

	if (pusher_conf_parse(&c, (const char *)d, n, &def, &line) < 0) {
		if (memcmp(&c, &zero, sizeof(c)))
			abort();
		return 0;
	}
	if (!c.server[0] || label_check_str(LABEL_DNS, c.server) || c.port == 0 ||
	    c.nexp == 0 || c.nexp > PUSHER_CONF_EXPS_MAX)
		abort();
	fuzz_pusher_conf_lim(&c.lim);
	for (i = 0; i < c.nexp; i++)
		fuzz_pusher_conf_exp(&c, i);
	return 0;
}
