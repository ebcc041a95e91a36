/* err: text and stable console codes for epoxy's error numbers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/num.h"

static const struct {
	int num;
	int status;
	const char *msg;
	const char *code;
} epx_errs[] = {
#define EPX_ERR(name, num, status, msg) { num, status, msg, "EPOXY-E" #num },
#include "lib/errors.def"
#undef EPX_ERR
};

/* The registry's entry for rc (negative or positive), or -1. */
static int err_find(int rc)
{
	size_t i;

	if (rc < 0)
		rc = -rc;
	for (i = 0; i < sizeof(epx_errs) / sizeof(epx_errs[0]); i++)
		if (epx_errs[i].num == rc)
			return (int)i;
	return -1;
}

const char *epx_strerror(int rc)
{
	int i;

	if (rc < 0)
		rc = -rc;
	if (rc < 1000)
		return strerror(rc);
	i = err_find(rc);
	return i < 0 ? "unknown epoxy error" : epx_errs[i].msg;
}

int epx_http_status(int rc)
{
	int i = err_find(rc);

	if (i < 0 || !epx_errs[i].status)
		return 500;
	return epx_errs[i].status;
}

int epx_code_parse(const char *s, int *num)
{
	size_t i = 7;
	uint32_t n;

	if (!s || strnlen(s, 12) != 11 || strncmp(s, "EPOXY-E", 7))
		return -EPX_E_NUM_SYNTAX;
	/* epx_code()'s "%04d": leading zeros spell an errno's code; the rest
	 * is one number in num.h's one spelling */
	while (i < 10 && s[i] == '0')
		i++;
	if (num_parse_u32(s + i, 11 - i, 9999, &n))
		return -EPX_E_NUM_SYNTAX;
	*num = (int)n;
	return n >= 1000 && err_find((int)n) < 0 ? -ENOENT : 0;
}

const char *epx_code_str(int rc)
{
	int i = err_find(rc);

	return i < 0 ? "EPOXY-E????" : epx_errs[i].code;
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
#define EPX_ERR(name, n, status, msg) case n:
#include "lib/errors.def"
#undef EPX_ERR
		return 1;
	}
	return 0;
}
