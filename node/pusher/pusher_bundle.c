/* pusher_bundle: bundles, their journal entries and recovery (see
 * pusher_bundle.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <mbedtls/sha256.h>

#include "lib/bundlename.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/line.h"
#include "lib/num.h"
#include "lib/pct.h"
#include "node/pusher/pusher_bundle.h"

#define PUSHER_BUNDLE_CHUNK 65536
#define PUSHER_BUNDLE_TMP ".build.tmp"
#define PUSHER_JOURNAL_MAGIC "epoxy-pusher-journal 2"
#define PUSHER_BUNDLE_EXT "tgz"
#define PUSHER_BUNDLE_OLD_EXT ".tar.zst"      /* before names: dropped at start */

/* b's name, experiment and datatype from a bundle name */
static int pusher_bundle_setname(struct pusher_bundle *b, const char *name, size_t n)
{
	struct bundlename bn;

	if (n > PUSHER_NAME_MAX || bundlename_parse(name, n, &bn) < 0)
		return -EPX_E_PU_JOURNAL;
	memcpy(b->name, name, n);
	b->name[n] = '\0';
	snprintf(b->exp, sizeof(b->exp), "%s", bn.exp);
	snprintf(b->dt, sizeof(b->dt), "%s", bn.dt);
	return 0;
}

struct pusher_bundle_out {
	int fd;
	mbedtls_sha256_context sha;
	uint64_t bytes;
	int err;
};

static la_ssize_t pusher_bundle_write_cb(struct archive *a, void *ctx, const void *buf,
					 size_t n)
{
	struct pusher_bundle_out *o = ctx;
	const uint8_t *p = buf;
	size_t left = n;

	while (left) {
		ssize_t w = write(o->fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->err = 1;
			archive_set_error(a, EIO, "spool write");
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	(void)mbedtls_sha256_update_ret(&o->sha, buf, n);
	o->bytes += n;
	return (la_ssize_t)n;
}

static int pusher_bundle_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -EPX_E_PU_SPOOL;
	if (fsync(fd) < 0)
		rc = -EPX_E_PU_SPOOL;
	close(fd);
	return rc;
}

/* Appends one file; 0, 1 when it is gone, or an error. */
static int pusher_bundle_file(struct archive *a, const char *root, const char *rel,
			      uint8_t *buf, uint64_t *bytes)
{
	char path[PATH_MAX];
	struct archive_entry *e = NULL;
	struct stat st, st2;
	uint64_t done = 0;
	int fd, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		return 1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 1 : -EPX_E_PU_CHANGED;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EPX_E_PU_CHANGED;
		goto cleanup;
	}
	e = archive_entry_new();
	if (!e) {
		rc = -ENOMEM;
		goto cleanup;
	}
	archive_entry_set_pathname(e, rel);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, st.st_size);
	archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		rc = -EPX_E_PU_ARCHIVE;
		goto cleanup;
	}
	while (done < (uint64_t)st.st_size) {
		size_t want = (uint64_t)st.st_size - done > PUSHER_BUNDLE_CHUNK ?
			PUSHER_BUNDLE_CHUNK : (size_t)((uint64_t)st.st_size - done);
		ssize_t r = read(fd, buf, want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {       /* shrank under us */
			rc = -EPX_E_PU_CHANGED;
			goto cleanup;
		}
		if (archive_write_data(a, buf, (size_t)r) != r) {
			rc = -EPX_E_PU_ARCHIVE;
			goto cleanup;
		}
		done += (uint64_t)r;
	}
	/* grown, rewritten or touched while read: not this bundle's */
	if (fstat(fd, &st2) < 0 || st2.st_size != st.st_size ||
	    st2.st_mtim.tv_sec != st.st_mtim.tv_sec || st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec)
		rc = -EPX_E_PU_CHANGED;
	*bytes += (uint64_t)st.st_size;
cleanup:
	archive_entry_free(e);
	close(fd);
	return rc;
}

static int pusher_bundle_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPX_E_PU_SPOOL;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes the journal entry of b durably: temporary name, fsync, rename. */
static int pusher_bundle_journal(const struct pusher_bundle *b, const char *spool)
{
	char tmp[PATH_MAX], fin[PATH_MAX], line[3 * PUSHER_REL_MAX + 16];
	int fd, rc = 0;
	size_t i, n;

	if (snprintf(tmp, sizeof(tmp), "%s/.%s.list.tmp", spool, b->sha) >= (int)sizeof(tmp) ||
	    snprintf(fin, sizeof(fin), "%s/%s.list", spool, b->sha) >= (int)sizeof(fin))
		return -EPX_E_PU_SPOOL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -EPX_E_PU_SPOOL;
	n = (size_t)snprintf(line, sizeof(line), PUSHER_JOURNAL_MAGIC "\nexperiment %s\n"
			     "datatype %s\nname %s\nfiles %zu\n", b->exp, b->dt, b->name, b->nfiles);
	rc = pusher_bundle_write_all(fd, line, n);
	for (i = 0; rc == 0 && i < b->nfiles; i++) {
		memcpy(line, "file ", 5);
		rc = pct_encode(b->files[i], strlen(b->files[i]), line + 5, sizeof(line) - 6, &n);
		if (rc < 0)
			break;
		line[5 + n] = '\n';
		rc = pusher_bundle_write_all(fd, line, n + 6);
	}
	if (rc == 0)
		rc = pusher_bundle_write_all(fd, "end\n", 4);
	if (rc == 0 && fsync(fd) < 0)
		rc = -EPX_E_PU_SPOOL;
	if (close(fd) < 0 && rc == 0)
		rc = -EPX_E_PU_SPOOL;
	if (rc == 0 && rename(tmp, fin) < 0)
		rc = -EPX_E_PU_SPOOL;
	if (rc < 0)
		unlink(tmp);
	return rc < 0 ? -EPX_E_PU_SPOOL : 0;
}

int pusher_bundle_build(struct pusher_bundle *b, const char *root, const char *spool,
			const char *name, char *const *files, size_t n, size_t *changed,
			size_t *gone)
{
	struct pusher_bundle_out o = { .fd = -1 };
	struct archive *a = NULL;
	char tmp[PATH_MAX], fin[PATH_MAX];
	uint8_t *buf = NULL, hash[32];
	size_t i;
	int rc = 0, opened = 0;

	memset(b, 0, sizeof(*b));
	*gone = 0;
	rc = pusher_bundle_setname(b, name, strlen(name));
	if (rc < 0)
		return rc;
	mbedtls_sha256_init(&o.sha);
	(void)mbedtls_sha256_starts_ret(&o.sha, 0);
	if (snprintf(tmp, sizeof(tmp), "%s/" PUSHER_BUNDLE_TMP, spool) >= (int)sizeof(tmp)) {
		rc = -EPX_E_PU_SPOOL;
		goto cleanup;
	}
	b->files = calloc(n ? n : 1, sizeof(*b->files));
	buf = malloc(PUSHER_BUNDLE_CHUNK);
	if (!b->files || !buf) {
		rc = -ENOMEM;
		goto cleanup;
	}
	o.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o.fd < 0) {
		rc = -EPX_E_PU_SPOOL;
		goto cleanup;
	}
	a = archive_write_new();
	if (!a || archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &o, NULL, pusher_bundle_write_cb, NULL) != ARCHIVE_OK) {
		rc = o.err ? -EPX_E_PU_SPOOL : -EPX_E_PU_ARCHIVE;
		goto cleanup;
	}
	opened = 1;
	for (i = 0; i < n; i++) {
		rc = pusher_bundle_file(a, root, files[i], buf, &b->data_bytes);
		if (rc == 1) {
			(*gone)++;
			rc = 0;
			continue;
		}
		if (rc == -EPX_E_PU_CHANGED)
			*changed = i;
		if (rc < 0)
			goto cleanup;
		b->files[b->nfiles] = strdup(files[i]);
		if (!b->files[b->nfiles]) {
			rc = -ENOMEM;
			goto cleanup;
		}
		b->nfiles++;
	}
	if (b->nfiles == 0) {
		rc = -ENOENT;
		goto cleanup;
	}
	opened = 0;
	if (archive_write_close(a) != ARCHIVE_OK) {
		rc = o.err ? -EPX_E_PU_SPOOL : -EPX_E_PU_ARCHIVE;
		goto cleanup;
	}
	if (fsync(o.fd) < 0) {
		rc = -EPX_E_PU_SPOOL;
		goto cleanup;
	}
	(void)mbedtls_sha256_finish_ret(&o.sha, hash);
	hex_encode(hash, sizeof(hash), b->sha);
	b->bytes = o.bytes;
	rc = pusher_bundle_journal(b, spool);
	if (rc < 0)
		goto cleanup;
	if (snprintf(fin, sizeof(fin), "%s/%s." PUSHER_BUNDLE_EXT, spool, b->sha) >= (int)sizeof(fin) ||
	    rename(tmp, fin) < 0) {
		rc = -EPX_E_PU_SPOOL;
		goto cleanup;
	}
	rc = pusher_bundle_fsync_dir(spool);
cleanup:
	if (a) {
		if (opened)
			archive_write_fail(a);
		archive_write_free(a);
	}
	mbedtls_sha256_free(&o.sha);
	if (o.fd >= 0)
		close(o.fd);
	free(buf);
	if (rc < 0) {
		unlink(tmp);
		pusher_bundle_free(b);
	}
	return rc;
}

/* "<prefix><tag>\n" into out */
static int pusher_bundle_tag(const char *buf, size_t len, size_t *pos, const char *prefix,
			     char out[PUSHER_TAG_MAX + 1])
{
	const char *v;
	long n = line_take(buf, len, pos, prefix, &v);

	if (n <= 0 || n > PUSHER_TAG_MAX || v[0] == '.' ||
	    label_check(LABEL_TAG, v, (size_t)n) < 0)
		return -EPX_E_PU_JOURNAL;
	memcpy(out, v, (size_t)n);
	out[n] = '\0';
	return 0;
}

int pusher_bundle_parse(struct pusher_bundle *b, const char *buf, size_t len)
{
	char exp[PUSHER_TAG_MAX + 1], dt[PUSHER_TAG_MAX + 1];
	char path[PUSHER_REL_MAX + 1];
	size_t pos = 0, i, plen;
	uint64_t nfiles;
	const char *v;
	long n;
	int rc = -EPX_E_PU_JOURNAL;

	b->files = NULL;
	b->nfiles = 0;
	if (len > PUSHER_JOURNAL_MAX)
		return -EPX_E_PU_JOURNAL;
	if (line_take(buf, len, &pos, PUSHER_JOURNAL_MAGIC, &v) != 0)
		return -EPX_E_PU_JOURNAL;
	if (pusher_bundle_tag(buf, len, &pos, "experiment ", exp) < 0 ||
	    pusher_bundle_tag(buf, len, &pos, "datatype ", dt) < 0)
		return -EPX_E_PU_JOURNAL;
	/* the name holds the experiment and the datatype, the same */
	n = line_take(buf, len, &pos, "name ", &v);
	if (n <= 0 || pusher_bundle_setname(b, v, (size_t)n) < 0 || strcmp(exp, b->exp) ||
	    strcmp(dt, b->dt)) {
		memset(b->name, 0, sizeof(b->name));
		return -EPX_E_PU_JOURNAL;
	}
	n = line_take(buf, len, &pos, "files ", &v);
	if (n <= 0 || num_parse_u64(v, (size_t)n, PUSHER_BUNDLE_FILES_MAX, &nfiles) < 0 ||
	    nfiles == 0)
		return -EPX_E_PU_JOURNAL;
	b->files = calloc((size_t)nfiles, sizeof(*b->files));
	if (!b->files)
		return -ENOMEM;
	for (i = 0; i < nfiles; i++) {
		n = line_take(buf, len, &pos, "file ", &v);
		if (n <= 0 || pct_decode(v, (size_t)n, path, sizeof(path), &plen, 0) < 0 ||
		    plen == 0 || pusher_files_group(path, exp, dt) < 0 || strcmp(exp, b->exp) ||
		    strcmp(dt, b->dt) || strstr(path, "/.") || strstr(path, "//") ||
		    path[plen - 1] == '/')
			goto cleanup;
		b->files[i] = strdup(path);
		if (!b->files[i]) {
			rc = -ENOMEM;
			goto cleanup;
		}
		b->nfiles++;
	}
	if (line_take(buf, len, &pos, "end", &v) != 0 || pos != len)
		goto cleanup;
	return 0;
cleanup:
	pusher_bundle_free(b);
	return rc;
}

int pusher_bundle_load(struct pusher_bundle *b, const char *spool, const char *sha)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	ssize_t got;
	size_t len = 0;
	int fd, rc;

	memset(b, 0, sizeof(*b));
	if (hex_check_str(sha, PUSHER_SHA_HEX) < 0)
		return -EPX_E_PU_JOURNAL;
	snprintf(b->sha, sizeof(b->sha), "%s", sha);
	if (snprintf(path, sizeof(path), "%s/%s." PUSHER_BUNDLE_EXT, spool, sha) >= (int)sizeof(path) ||
	    stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -ENOENT;
	b->bytes = (uint64_t)st.st_size;
	snprintf(path, sizeof(path), "%s/%s.list", spool, sha);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	buf = malloc(PUSHER_JOURNAL_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len <= PUSHER_JOURNAL_MAX) {
		got = read(fd, buf + len, PUSHER_JOURNAL_MAX + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	rc = pusher_bundle_parse(b, buf, len);
	free(buf);
	return rc;
}

int pusher_bundle_verify(const char *spool, const char *sha)
{
	char path[PATH_MAX], hex[PUSHER_SHA_HEX + 1];
	mbedtls_sha256_context c;
	uint8_t *buf, hash[32];
	ssize_t r;
	int fd, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s." PUSHER_BUNDLE_EXT, spool, sha) >= (int)sizeof(path))
		return -EPX_E_PU_SPOOL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EPX_E_PU_SPOOL;
	buf = malloc(PUSHER_BUNDLE_CHUNK);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	mbedtls_sha256_init(&c);
	(void)mbedtls_sha256_starts_ret(&c, 0);
	while ((r = read(fd, buf, PUSHER_BUNDLE_CHUNK)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -EPX_E_PU_SPOOL;
			break;
		}
		(void)mbedtls_sha256_update_ret(&c, buf, (size_t)r);
	}
	(void)mbedtls_sha256_finish_ret(&c, hash);
	mbedtls_sha256_free(&c);
	free(buf);
	close(fd);
	hex_encode(hash, sizeof(hash), hex);
	return rc < 0 ? rc : strcmp(hex, sha) ? -EPX_E_PU_SPOOL : 0;
}

int pusher_bundle_remove(const char *spool, const char *sha)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s." PUSHER_BUNDLE_EXT, spool, sha);
	if (unlink(path) < 0 && errno != ENOENT)
		return -EPX_E_PU_SPOOL;
	snprintf(path, sizeof(path), "%s/%s.list", spool, sha);
	if (unlink(path) < 0 && errno != ENOENT)
		return -EPX_E_PU_SPOOL;
	return pusher_bundle_fsync_dir(spool);
}

/* "<64 hex><suffix>" */
static int pusher_bundle_named(const char *name, const char *suffix, char sha[65])
{
	if (strlen(name) != PUSHER_SHA_HEX + strlen(suffix) ||
	    strcmp(name + PUSHER_SHA_HEX, suffix) || hex_check(name, PUSHER_SHA_HEX, PUSHER_SHA_HEX) < 0)
		return -1;
	memcpy(sha, name, PUSHER_SHA_HEX);
	sha[PUSHER_SHA_HEX] = '\0';
	return 0;
}

int pusher_bundle_recover(const char *spool, void (*found)(void *ctx, const char *sha),
			  void *ctx)
{
	char sha[65], other[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(spool);

	if (!d)
		return -EPX_E_PU_SPOOL;
	while ((e = readdir(d)) != NULL) {
		int list = pusher_bundle_named(e->d_name, ".list", sha) == 0;
		int tz = !list && pusher_bundle_named(e->d_name, "." PUSHER_BUNDLE_EXT, sha) == 0;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!list && !tz) {
			/* temporaries of a build or a journal cut short, and
			 * bundles of a pusher before names (their journal goes
			 * too: the files are bundled again) */
			if (e->d_name[0] == '.' ||
			    pusher_bundle_named(e->d_name, PUSHER_BUNDLE_OLD_EXT, sha) == 0)
				unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		snprintf(other, sizeof(other), "%s.%s", sha, list ? PUSHER_BUNDLE_EXT : "list");
		if (fstatat(dirfd(d), other, &st, 0) < 0) {
			unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		if (list)
			found(ctx, sha);
	}
	closedir(d);
	return pusher_bundle_fsync_dir(spool);
}

void pusher_bundle_free(struct pusher_bundle *b)
{
	size_t i;

	if (b->files)
		for (i = 0; i < b->nfiles; i++)
			free(b->files[i]);
	free(b->files);
	b->files = NULL;
	b->nfiles = 0;
}
