/* paths: open the state directories before the drop, check them after.
 *
 * The check uses the descriptors, not the path names, because that is
 * what the daemon does at run time: a failure here is exactly a failure a
 * request would meet later (an upload, a publish, a boot file). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "server/config.h"
#include "server/log.h"
#include "server/paths.h"
#include "store/store.h"

static const char *paths_user(char *buf, size_t cap)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw)
		snprintf(buf, cap, "%s (uid %u)", pw->pw_name, (unsigned)geteuid());
	else
		snprintf(buf, cap, "uid %u", (unsigned)geteuid());
	return buf;
}

static int paths_fail(const char *key, const char *path, const char *what, int err)
{
	char user[96];

	log_msg(LOG_ERR, "EPOXY-E%04d %s %s: user %s %s: %s", EPX_E_SRV_PATH, key,
		path, paths_user(user, sizeof(user)), what, strerror(err));
	return -EPX_E_SRV_PATH;
}

int paths_open(struct paths *p, const struct config *cfg)
{
	p->data_fd = open(cfg->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->data_fd < 0)
		return paths_fail("data_dir", cfg->data_dir, "cannot open it", errno);
	p->boot_fd = open(cfg->boot_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->boot_fd < 0) {
		int err = errno;

		paths_close(p);
		return paths_fail("boot_dir", cfg->boot_dir, "cannot open it", err);
	}
	return 0;
}

/* An unlinked file in dir (what the upload spool and object writes need:
 * search and write permission on dir, space, O_TMPFILE support). */
static int paths_tmpfile(int dirfd, const char *key, const char *path)
{
	int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return paths_fail(key, path, "cannot create a file in it", errno);
	if (write(fd, "x", 1) != 1) {
		int err = errno;

		close(fd);
		return paths_fail(key, path, "cannot write a file in it", err);
	}
	close(fd);
	return 0;
}

static int paths_objects(const struct paths *p, const struct config *cfg)
{
	char path[CONFIG_PATH_MAX + 16];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/objects", cfg->data_dir);
	if (mkdirat(p->data_fd, "objects", 0755) < 0 && errno != EEXIST)
		return paths_fail("data_dir", path, "cannot create it", errno);
	fd = openat(p->data_fd, "objects", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return paths_fail("data_dir", path, "cannot open it", errno);
	rc = paths_tmpfile(fd, "data_dir", path);
	close(fd);
	return rc;
}

static int paths_boot(const struct paths *p, const struct config *cfg)
{
	int fd = openat(p->boot_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return paths_fail("boot_dir", cfg->boot_dir, "cannot search it", errno);
	close(fd);
	if (faccessat(p->boot_fd, ".", R_OK | X_OK, AT_EACCESS) < 0)
		return paths_fail("boot_dir", cfg->boot_dir, "cannot read it", errno);
	return 0;
}

static int paths_store(struct store *st, const struct config *cfg)
{
	char user[96];
	int rc = store_check_write(st);

	if (rc < 0)
		log_msg(LOG_ERR, "EPOXY-E%04d store %s: user %s cannot write to it: %s",
			-rc, cfg->store, paths_user(user, sizeof(user)), epx_strerror(rc));
	return rc;
}

/* The TLS files were read before the drop; a reload (SIGHUP) reads them
 * again as the service user.  Unreadable now: a warning, not a failure
 * (root-only keys are the safer default outside systemd). */
static void paths_reload_files(const struct config *cfg)
{
	const char *key[] = { "tls_cert", "tls_key" };
	const char *path[] = { cfg->tls_cert, cfg->tls_key };
	char user[96];
	size_t i;
	int fd;

	for (i = 0; i < 2 && cfg->https_port; i++) {
		fd = open(path[i], O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		log_msg(LOG_WARNING, "%s %s: user %s cannot read it (%s): a reload (SIGHUP) "
			"cannot renew the certificate; restart epoxyd to change it", key[i],
			path[i], paths_user(user, sizeof(user)), strerror(errno));
	}
}

int paths_check(const struct paths *p, const struct config *cfg, struct store *st)
{
	int rc, first = 0;

	rc = paths_tmpfile(p->data_fd, "data_dir", cfg->data_dir);
	if (rc == 0)
		rc = paths_objects(p, cfg);
	first = rc;
	rc = paths_boot(p, cfg);
	if (!first)
		first = rc;
	rc = st ? paths_store(st, cfg) : 0;
	if (!first)
		first = rc;
	if (!first)
		paths_reload_files(cfg);
	return first;
}

void paths_close(struct paths *p)
{
	if (p->data_fd >= 0)
		close(p->data_fd);
	if (p->boot_fd >= 0)
		close(p->boot_fd);
	p->data_fd = p->boot_fd = -1;
}
