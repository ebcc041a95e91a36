/* nmsvc: the archive-only certificate's files (see nmsvc.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "node/nm/nmsvc.h"

int nmsvc_dir_check(const char *dir)
{
	struct stat st;

	if (!dir || dir[0] != '/' || strlen(dir) > NMSVC_DIR_MAX ||
	    lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022))
		return -EPX_E_NM_SVCCERT;
	return 0;
}

/* dir/name <- len bytes of buf, root:NMSVC_GID 0640, through dir/.name.tmp */
static int nmsvc_put(const char *dir, const char *name, const char *buf, size_t len)
{
	char tmp[NMSVC_DIR_MAX + 32], dst[NMSVC_DIR_MAX + 32];
	int fd, rc = -EPX_E_NM_SVCCERT;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return rc;
	if (fchown(fd, 0, NMSVC_GID) == 0 && fchmod(fd, 0640) == 0 &&
	    file_write_all(fd, buf, len) == 0 && fsync(fd) == 0 && rename(tmp, dst) == 0)
		rc = 0;
	close(fd);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int nmsvc_prepare(const char *dir)
{
	char old[NMSVC_DIR_MAX + 32];
	int rc = nmsvc_dir_check(dir);

	if (rc == 0 && (chown(dir, 0, NMSVC_GID) != 0 || chmod(dir, 0750) != 0))
		rc = -EPX_E_NM_SVCCERT;
	/* a full node certificate never stays where a sliver looks */
	snprintf(old, sizeof(old), "%s/node.key", dir);
	if (rc == 0 && unlink(old) != 0 && errno != ENOENT)
		rc = -EPX_E_NM_SVCCERT;
	snprintf(old, sizeof(old), "%s/node.crt", dir);
	if (rc == 0 && unlink(old) != 0 && errno != ENOENT)
		rc = -EPX_E_NM_SVCCERT;
	return rc;
}

int nmsvc_write(const char *dir, struct nmid *id, const char *crt, size_t crt_len)
{
	char pem[NMID_KEY_PEM_MAX];
	size_t len = 0;
	int rc = nmsvc_dir_check(dir);

	if (rc == 0)
		rc = nmid_key_pem(id, pem, sizeof(pem), &len);
	if (rc == 0)
		rc = nmsvc_put(dir, NMSVC_KEY, pem, len - 1);
	explicit_bzero(pem, sizeof(pem));
	if (rc == 0)
		rc = nmsvc_put(dir, NMSVC_CRT, crt, crt_len);
	return rc;
}
