/* verify: anchors from the image, statement and manifest checks in the
 * order signature -> binding -> policy, so that nothing read from the
 * network influences a decision before its signature has been checked. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/doc.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/label.h"
#include "lib/num.h"
#include "stage2/con.h"
#include "stage2/verify.h"

long verify_slurp(const char *path, char *buf, size_t cap)
{
	long len = file_read(path, buf, cap);

	if (len < 0)
		return len;
	if ((size_t)len >= cap)
		return -EFBIG;
	buf[len] = '\0';
	return len;
}

static int verify_u32_file(const char *path, uint32_t *out)
{
	char buf[16];
	long n = verify_slurp(path, buf, sizeof(buf));

	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n <= 0 || num_parse_u32(buf, (size_t)n, UINT32_MAX, out) < 0 || *out == 0)
		return -EPX_E_ANCHOR;
	return 0;
}

static int verify_hwclass(const char *path, char *out)
{
	char buf[MANIFEST_HWCLASS_MAX + 2];
	long n = verify_slurp(path, buf, sizeof(buf));

	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n <= 0 || n > MANIFEST_HWCLASS_MAX || label_check(LABEL_TAG, buf, (size_t)n) < 0)
		return -EPX_E_ANCHOR;
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

/* Applies dir/keyset.2, keyset.3, ... in order; stops at the first gap. */
static int verify_rotations(struct anchors *a, const char *dir, char *buf)
{
	char path[VERIFY_PATH_MAX];
	unsigned n;
	long len;
	int rc;

	for (n = a->ks.serial + 1; n < a->ks.serial + 1 + VERIFY_ROTATIONS_MAX; n++) {
		snprintf(path, sizeof(path), "%s/keyset.%u", dir, n);
		len = verify_slurp(path, buf, DOC_MAX_BYTES + 1);
		if (len == -ENOENT)
			return 0;
		if (len < 0)
			return con_fail(-EPX_E_ANCHOR, "cannot read %s", path);
		rc = keyset_rotate(&a->ks, buf, (size_t)len);
		if (rc < 0)
			return con_fail(rc, "rotation %s refused", path);
	}
	return 0;
}

int verify_anchors(struct anchors *a, const char *dir)
{
	static char buf[DOC_MAX_BYTES + 1];
	char path[VERIFY_PATH_MAX];
	long len;
	int rc;

	memset(a, 0, sizeof(*a));
	snprintf(a->ca_path, sizeof(a->ca_path), "%s/ca.pem", dir);
	snprintf(path, sizeof(path), "%s/keyset", dir);
	len = verify_slurp(path, buf, sizeof(buf));
	if (len < 0)
		return con_fail(-EPX_E_ANCHOR, "cannot read %s", path);
	rc = keyset_load_root(&a->ks, buf, (size_t)len);
	if (rc < 0)
		return con_fail(rc, "root keyset %s refused", path);
	rc = verify_rotations(a, dir, buf);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/floor", dir);
	if (verify_u32_file(path, &a->floor) < 0)
		return con_fail(-EPX_E_ANCHOR, "%s: want a decimal version", path);
	snprintf(path, sizeof(path), "%s/hwclass", dir);
	if (verify_hwclass(path, a->hwclass) < 0)
		return con_fail(-EPX_E_ANCHOR, "%s: want [a-z0-9._-]{1,64}", path);
	if (access(a->ca_path, R_OK) < 0)
		return con_fail(-EPX_E_ANCHOR, "cannot read %s", a->ca_path);
	return 0;
}

int verify_statement(const struct anchors *a, struct statement *st,
		     const char *buf, size_t len, const uint8_t nonce[32],
		     const char *host)
{
	return statement_verify(st, buf, len, &a->ks, nonce, host);
}

int verify_manifest(const struct anchors *a, const struct statement *st,
		    struct manifest *m, const char *buf, size_t len)
{
	int rc = manifest_verify(m, buf, len, &a->ks);

	if (rc == 0)
		rc = statement_bind_manifest(st, m->file_sha256, m->version);
	if (rc == 0)
		rc = manifest_policy(m, st->time, a->floor, a->hwclass,
				     AGENT_VERSION);
	return rc;
}
