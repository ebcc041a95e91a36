/* nmpriv: slivers' uids and epoxy-priv's grants file (nmpriv.h).
 *
 * Guarantees: see nmpriv.h.  The uid lives in the owner of out/, written
 * by nmrun before the bundle is renamed into place, so the uid and the
 * bundle appear together; nothing here is kept in memory between runs. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/grant.h"
#include "node/nm/nmpriv.h"

#define NMPRIV_P 512

/* the owner of data/name/out, or 0 (none, or outside the range) */
static uint32_t nmpriv_owner(const char *data, const char *name, uint32_t base)
{
	char p[NMPRIV_P];
	struct stat st;

	if ((size_t)snprintf(p, sizeof(p), "%s/%s/out", data, name) >= sizeof(p) ||
	    lstat(p, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid < base ||
	    st.st_uid - base >= NMPRIV_UIDS)
		return 0;
	return st.st_uid;
}

/* every out/ owner under data (sliver bundles only) marked in used[] */
static void nmpriv_scan(const char *data, uint32_t base, unsigned char *used)
{
	DIR *d = opendir(data);
	struct dirent *de;
	uint32_t u;

	while (d && (de = readdir(d))) {
		if (!sliverset_name_ok(de->d_name, strlen(de->d_name)))
			continue;
		u = nmpriv_owner(data, de->d_name, base);
		if (u)
			used[u - base] = 1;
	}
	if (d)
		closedir(d);
}

int nmpriv_uids(const char *data, uint32_t base, const struct sliverset *want, int64_t now,
		uint32_t uids[SLIVERSET_MAX_SLIVERS])
{
	unsigned char used[NMPRIV_UIDS], given[NMPRIV_UIDS];
	size_t i, k = 0;
	uint32_t u;

	memset(used, 0, sizeof(used));
	memset(given, 0, sizeof(given));
	memset(uids, 0, SLIVERSET_MAX_SLIVERS * sizeof(uids[0]));
	nmpriv_scan(data, base, used);
	/* first the slivers that have a uid, then the new ones */
	for (i = 0; want && i < want->n; i++) {
		if (want->sl[i].expires <= now)
			continue;
		u = nmpriv_owner(data, want->sl[i].name, base);
		if (u && !given[u - base]) {
			given[u - base] = 1;
			uids[i] = u;
		}
	}
	for (i = 0; want && i < want->n; i++) {
		if (want->sl[i].expires <= now || uids[i])
			continue;
		while (k < NMPRIV_UIDS && (used[k] || given[k]))
			k++;
		if (k == NMPRIV_UIDS)
			return -EPX_E_NM_UID;
		given[k] = 1;
		uids[i] = base + (uint32_t)k;
	}
	return 0;
}

static int nmpriv_put(char *out, size_t cap, size_t *o, const char *a, const char *b,
		      const char *c, const char *d)
{
	int n = snprintf(out + *o, cap - *o, "%s%s%s%s\n", a, b, c, d);

	if (n < 0 || (size_t)n >= cap - *o)
		return -EPX_E_NM_GRANTS;
	*o += (size_t)n;
	return 0;
}

/* the grant lines of one sliver */
static int nmpriv_one(const struct sliver *sl, uint32_t uid, char *out, size_t cap, size_t *o)
{
	struct grant g[GRANT_MAX];
	char u[16];
	size_t n = 0, i;
	int rc;

	snprintf(u, sizeof(u), "%" PRIu32, uid);
	rc = nmpriv_put(out, cap, o, "slice ", sl->name, " uid ", u);
	if (rc == 0 && grant_list_parse(sl->grants, strlen(sl->grants), g, &n) < 0)
		rc = -EPX_E_NM_GRANTS;
	/* archive is the node manager's own (nmsvc.h), not epoxy-priv's */
	for (i = 0; rc == 0 && i < n; i++)
		rc = g[i].kind == GRANT_ARCHIVE ? 0 : nmpriv_put(out, cap, o, "grant ", sl->name,
				g[i].kind == GRANT_SOCK_DIAG ? " sock_diag" :
				g[i].kind == GRANT_FILE ? " file " : " dir ", g[i].path);
	return rc;
}

int nmpriv_format(const struct sliverset *want, int64_t now,
		  const uint32_t uids[SLIVERSET_MAX_SLIVERS], char *out, size_t cap, size_t *len)
{
	size_t o = 0, i;
	int rc = nmpriv_put(out, cap, &o, "# epoxy-nm: the slivers' uids and grants", "", "", "");

	for (i = 0; rc == 0 && want && i < want->n; i++)
		if (want->sl[i].expires > now && uids[i])
			rc = nmpriv_one(&want->sl[i], uids[i], out, cap, &o);
	if (rc == 0)
		*len = o;
	return rc;
}

/* 1 when path holds exactly buf[0..len) */
static int nmpriv_same(const char *path, const char *buf, size_t len, char *old)
{
	long n = file_read(path, old, NMPRIV_FILE_MAX + 1);

	return n >= 0 && (size_t)n == len && memcmp(old, buf, len) == 0;
}

int nmpriv_write(const char *path, const struct sliverset *want, int64_t now,
		 const uint32_t uids[SLIVERSET_MAX_SLIVERS])
{
	char *buf = malloc(NMPRIV_FILE_MAX), *old = malloc(NMPRIV_FILE_MAX + 1);
	size_t len = 0;
	int rc = buf && old ? 0 : -ENOMEM;

	if (rc == 0)
		rc = nmpriv_format(want, now, uids, buf, NMPRIV_FILE_MAX, &len);
	if (rc == 0 && !nmpriv_same(path, buf, len, old))
		rc = file_replace(path, buf, len) < 0 ? -EPX_E_NM_GRANTS : 0;
	free(buf);
	free(old);
	return rc;
}
