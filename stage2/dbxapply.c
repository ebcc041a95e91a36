/* dbxapply: check, compare with the firmware's dbx, append, read back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "lib/dbx.h"
#include "lib/efivarfs.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/sha256.h"
#include "stage2/dbxapply.h"

/* Whether the firmware's dbx holds every hash of u: 1, 0 (also when dbx
 * does not exist yet: absent, or the empty file efivarfs leaves behind
 * when the firmware refused to create it) or a negative code. */
static int dbxapply_held(const char *path, const struct dbx_update *u)
{
	uint8_t *var = malloc(DBX_VAR_MAX + 5);
	long n;
	int rc = -ENOMEM;

	if (!var)
		return rc;
	n = file_read(path, var, DBX_VAR_MAX + 5);
	if (n == -ENOENT || n == 0)
		rc = 0;
	else if (n < 4 || n > DBX_VAR_MAX + 4)
		rc = -EPX_E_DBX_EFIVARFS;
	else
		rc = dbx_holds(u, var + 4, (size_t)n - 4);
	free(var);
	return rc == -EPX_E_DBX_SYNTAX ? -EPX_E_DBX_EFIVARFS : rc;
}

static int dbxapply_write(const char *path, const uint8_t *buf, size_t len)
{
	uint8_t *w = malloc(len + 4);
	int rc;

	if (!w)
		return -ENOMEM;
	w[0] = DBX_APPEND_ATTR & 0xff;
	w[1] = w[2] = w[3] = 0;
	memcpy(w + 4, buf, len);
	rc = efivarfs_write(path, w, len + 4);
	free(w);
	if (rc == -EACCES || rc == -EINVAL || rc == -EPERM)
		return -EPX_E_DBX_REFUSED;
	return rc < 0 ? -EPX_E_DBX_EFIVARFS : 0;
}

#define DBXAPPLY_EFIVARFS_MAGIC 0xde5e81e4u     /* <linux/magic.h> */

/* 1 if dir is an efivarfs mount, 0 if not, -1 if it cannot be asked. */
static int dbxapply_efivarfs(const char *dir)
{
	struct statfs fs;

	if (statfs(dir, &fs) < 0)
		return -1;
	return (uint32_t)fs.f_type == DBXAPPLY_EFIVARFS_MAGIC;
}

int dbxapply(const char *efivars, const uint8_t *buf, size_t len,
	     const uint8_t want[32], int test_dir, size_t *nhash)
{
	struct dbx_update u;
	struct stat sb;
	uint8_t got[32];
	char path[512];
	int rc, efi;

	*nhash = 0;
	sha256_buf(buf, len, got);
	if (memcmp(got, want, 32) != 0)
		return -EPX_E_DBX_HASH;
	rc = dbx_parse(&u, buf, len);
	if (rc < 0)
		return rc;
	*nhash = u.nhash;
	if (stat(efivars, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return DBXAPPLY_NOEFI;
	efi = dbxapply_efivarfs(efivars);
	if (efi != 1 && !test_dir)
		return -EPX_E_DBX_EFIVARFS;
	if (snprintf(path, sizeof(path), "%s/%s", efivars, DBX_EFIVAR_NAME) >=
	    (int)sizeof(path))
		return -EPX_E_DBX_EFIVARFS;
	rc = dbxapply_held(path, &u);
	if (rc != 0)
		return rc < 0 ? rc : DBXAPPLY_HELD;
	rc = dbxapply_write(path, buf, len);
	if (rc < 0)
		return rc;
	if (efi != 1)           /* a test directory keeps what was written */
		return DBXAPPLY_APPENDED;
	rc = dbxapply_held(path, &u);
	if (rc < 0)
		return rc;
	return rc == 1 ? DBXAPPLY_APPENDED : -EPX_E_DBX_REFUSED;
}
