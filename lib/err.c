/* err: text and stable console codes for epoxy's error numbers. */
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

static const struct {
	int num;
	const char *msg;
} epx_errs[] = {
#define EPX_ERR(name, num, msg) { num, msg },
#include "lib/errors.def"
#undef EPX_ERR
};

const char *epx_strerror(int rc)
{
	size_t i;

	if (rc < 0)
		rc = -rc;
	if (rc < 1000)
		return strerror(rc);
	for (i = 0; i < sizeof(epx_errs) / sizeof(epx_errs[0]); i++)
		if (epx_errs[i].num == rc)
			return epx_errs[i].msg;
	return "unknown epoxy error";
}

char *epx_code(int rc, char *buf, unsigned long len)
{
	if (rc < 0)
		rc = -rc;
	snprintf(buf, len, "EPOXY-E%04d", rc);
	return buf;
}

/* Never called: a duplicated number in lib/errors.def is a duplicate case
 * label here, so the build fails instead of two failures sharing a code. */
int epx_err_unique_(int num);
int epx_err_unique_(int num)
{
	switch (num) {
#define EPX_ERR(name, n, msg) case n:
#include "lib/errors.def"
#undef EPX_ERR
		return 1;
	}
	return 0;
}
