/* nmsvc: the node services' certificate files (see nmsvc.h). */
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

/* dir/name <- len bytes of buf, 0600, through dir/.name.tmp */
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
	if (file_write_all(fd, buf, len) == 0 && fsync(fd) == 0 && rename(tmp, dst) == 0)
		rc = 0;
	close(fd);
	if (rc < 0)
		unlink(tmp);
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
		rc = nmsvc_put(dir, "node.key", pem, len - 1);
	explicit_bzero(pem, sizeof(pem));
	if (rc == 0)
		rc = nmsvc_put(dir, "node.crt", crt, crt_len);
	return rc;
}
