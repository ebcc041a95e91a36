/* efivar: strict parser of the EpoxyBoot firmware variable.
 *
 * The variable is written by enrollment and readable only by root through
 * efivarfs; the agent still treats it as untrusted bytes with a hard cap. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/line.h"
#include "stage2/efivar.h"

int efivar_parse(struct bootcred *bc, const uint8_t *buf, size_t len)
{
	const char *t, *v;
	size_t tl, pos = 0;
	uint32_t attr;
	long n;

	memset(bc, 0, sizeof(*bc));
	if (len < 4 || len > EFIVAR_MAX)
		return -EPX_E_EFIVAR_SYNTAX;
	attr = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
	       (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
	if ((attr & EFIVAR_ATTR_REQUIRED) != EFIVAR_ATTR_REQUIRED)
		return -EPX_E_EFIVAR_SYNTAX;
	t = (const char *)buf + 4;
	tl = len - 4;
	if (line_take(t, tl, &pos, "epoxy-boot 1", &v) != 0)
		return -EPX_E_EFIVAR_SYNTAX;
	n = line_take(t, tl, &pos, "host ", &v);
	if (n < 0 || label_check(LABEL_HOST, v, (size_t)n) < 0)
		return -EPX_E_EFIVAR_SYNTAX;
	memcpy(bc->host, v, (size_t)n);
	n = line_take(t, tl, &pos, "credential ", &v);
	if (n != 64 || hex_decode(v, 64, bc->credential, BOOTCRED_LEN) < 0)
		goto bad;
	if (line_take(t, tl, &pos, "end", &v) != 0 || pos != tl)
		goto bad;
	return 0;
bad:
	bootcred_wipe(bc);
	return -EPX_E_EFIVAR_SYNTAX;
}

int efivar_read(struct bootcred *bc, const char *dir)
{
	uint8_t buf[EFIVAR_MAX + 1];
	char path[512];
	long len;
	int rc = -EPX_E_EFIVAR_MISSING;

	memset(bc, 0, sizeof(*bc));
	if (snprintf(path, sizeof(path), "%s/%s", dir, EFIVAR_NAME) >=
	    (int)sizeof(path))
		return rc;
	len = file_read(path, buf, sizeof(buf));
	if (len < 0 && len != -EIO)
		return rc;
	rc = -EPX_E_EFIVAR_SYNTAX;
	if (len >= 0 && len <= EFIVAR_MAX)
		rc = efivar_parse(bc, buf, (size_t)len);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}
