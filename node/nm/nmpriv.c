/* nmpriv: slivers' uids and epoxy-priv's grants file (nmpriv.h).
 *
 * Guarantees: see nmpriv.h.  The uid lives in the owner of out/, written
 * by nmrun before the bundle is renamed into place, so the uid and the
 * bundle appear together; nothing here is kept in memory between runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	for (i = 0; rc == 0 && i < n; i++)
		rc = nmpriv_put(out, cap, o, "grant ", sl->name,
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

static int nmpriv_replace(const char *path, const char *buf, size_t len)
{
	char tmp[NMPRIV_P], dir[NMPRIV_P], *slash;
	int fd, rc = -EPX_E_NM_GRANTS;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return rc;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		return rc;
	*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return rc;
	if (file_write_all(fd, buf, len) == 0 && fsync(fd) == 0)
		rc = 0;
	if (close(fd) < 0)
		rc = -EPX_E_NM_GRANTS;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -EPX_E_NM_GRANTS;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = -EPX_E_NM_GRANTS;
	if (fd >= 0)
		close(fd);
	return rc;
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
		rc = nmpriv_replace(path, buf, len);
	free(buf);
	free(old);
	return rc;
}
