/* nmimage: slice images fetched, verified and unpacked (nmimage.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <mbedtls/sha256.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "lib/nodeproto.h"
#include "net/https.h"
#include "node/nm/nmimage.h"
#include "node/nm/nmrun.h"

#define NMIMAGE_P (sizeof(((struct nmimage *)0)->dir) + 80)
#define NMIMAGE_NEW ".new-"
#define NMIMAGE_BLOCK 65536
/* what libarchive may do: no owner, ACL, xattr or file flags; never
 * through a link, never "..", never an absolute path */
#define NMIMAGE_FLAGS (ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | \
		       ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT | \
		       ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

static int nmimage_sweep(const struct nmimage *im, const struct sliverset *want, int64_t now,
			 int keep_all);

int nmimage_init(struct nmimage *im, const char *data, uint64_t max_entries,
		 uint64_t max_bytes)
{
	int n;

	memset(im, 0, sizeof(*im));
	im->max_entries = max_entries ? max_entries : NMIMAGE_ENTRIES_DEFAULT;
	im->max_bytes = max_bytes ? max_bytes : NMIMAGE_BYTES_DEFAULT;
	if (im->max_entries > NMIMAGE_ENTRIES_MAX || im->max_bytes > NMIMAGE_BYTES_MAX)
		return -EPX_E_NM_USAGE;
	n = snprintf(im->dir, sizeof(im->dir), "%s/" NMRUN_IMAGES, data);
	if (n <= 0 || (size_t)n >= sizeof(im->dir) || data[0] != '/')
		return -EPX_E_NM_USAGE;
	if (mkdir(im->dir, 0700) < 0 && errno != EEXIST)
		return -EPX_E_NM_IMG_DISK;
	return nmimage_sweep(im, NULL, 0, 1) < 0 ? -EPX_E_NM_IMG_DISK : 0;
}

static void nmimage_hex(const uint8_t sha[32], char hex[65])
{
	hex_encode(sha, 32, hex);
	hex[64] = '\0';
}

int nmimage_have(const struct nmimage *im, const struct sliver *sl)
{
	char hex[65], path[NMIMAGE_P];
	struct stat st;

	nmimage_hex(sl->image, hex);
	snprintf(path, sizeof(path), "%s/%s", im->dir, hex);
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---------------------------------------------------------------- check */

static int nmimage_text_ok(const char *s, size_t *len)
{
	size_t n = strnlen(s, NMIMAGE_NAME_MAX + 1), i;

	if (n == 0 || n > NMIMAGE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	*len = n;
	return 1;
}

/* p (relative, no "..") -> its components joined by '/' in out; *depth
 * their number.  "." and empty components are dropped. */
static int nmimage_clean(const char *p, char *out, int *depth)
{
	size_t n, i = 0, o = 0, c;

	*depth = 0;
	out[0] = '\0';
	if (!p || !nmimage_text_ok(p, &n) || p[0] == '/')
		return -EPX_E_NM_IMG_PATH;
	while (i < n) {
		c = strcspn(p + i, "/");
		if (c == 2 && p[i] == '.' && p[i + 1] == '.')
			return -EPX_E_NM_IMG_PATH;
		if (c > NMIMAGE_COMP_MAX)
			return -EPX_E_NM_IMG_PATH;
		if (c && !(c == 1 && p[i] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p + i, c);
			o += c;
			(*depth)++;
		}
		i += c + 1;
	}
	out[o] = '\0';
	return 0;
}

/* A symbolic link at a path of depth d: an absolute target resolves in
 * the sliver's own root (the kernel, in its mount namespace); a relative
 * one may not climb above the image's root. */
static int nmimage_target_ok(const char *t, int d)
{
	size_t n, i = 0, c;

	if (!nmimage_text_ok(t, &n))
		return 0;
	if (t[0] == '/')
		return 1;
	d--;                    /* the link's own directory */
	while (i < n) {
		c = strcspn(t + i, "/");
		if (c > NMIMAGE_COMP_MAX)
			return 0;
		if (c == 2 && t[i] == '.' && t[i + 1] == '.') {
			if (--d < 0)
				return 0;
		} else if (c && !(c == 1 && t[i] == '.')) {
			d++;
		}
		i += c + 1;
	}
	return 1;
}

int nmimage_check(const struct nmimage_entry *e, char *clean, char *hlclean)
{
	int d, hd, rc;

	hlclean[0] = '\0';
	rc = nmimage_clean(e->path, clean, &d);
	if (rc < 0)
		return rc;
	if (e->hardlink) {
		if (nmimage_clean(e->hardlink, hlclean, &hd) < 0 || hd == 0 || d == 0)
			return -EPX_E_NM_IMG_LINK;
		if (e->type != S_IFREG && e->type != 0)
			return -EPX_E_NM_IMG_TYPE;
	} else if (e->type == S_IFLNK) {
		if (!e->symlink || d == 0 || !nmimage_target_ok(e->symlink, d))
			return -EPX_E_NM_IMG_LINK;
	} else if (e->type != S_IFREG && e->type != S_IFDIR) {
		return -EPX_E_NM_IMG_TYPE;
	}
	if (e->type != S_IFDIR && d == 0)
		return -EPX_E_NM_IMG_PATH;      /* the root is a directory */
	if (e->mode & (S_ISUID | S_ISGID))
		return -EPX_E_NM_IMG_TYPE;
	return 0;
}

/* --------------------------------------------------------------- unpack */

/* libarchive's refusal of an entry, in our codes; logged with its words */
static int nmimage_wfail(struct archive *w, const char *path)
{
	const char *m = archive_error_string(w);

	nmrun_log("image entry %s: %s", path, m ? m : "write failed");
	if (m && (strstr(m, "symlink") || strstr(m, "link")))
		return -EPX_E_NM_IMG_LINK;
	if (m && (strstr(m, "..") || strstr(m, "bsolute")))
		return -EPX_E_NM_IMG_PATH;
	return -EPX_E_NM_IMG_DISK;
}

static int nmimage_data(struct archive *a, struct archive *w, const char *path)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(w, buf, len, off) != ARCHIVE_OK)
			return nmimage_wfail(w, path);
	return r == ARCHIVE_EOF ? 0 : -EPX_E_NM_IMG_FORMAT;
}

/* In the child, chrooted into the new tree: every entry checked, then
 * written. */
static int nmimage_extract(const struct nmimage *im, int fd)
{
	struct archive *a = archive_read_new(), *w = archive_write_disk_new();
	struct archive_entry *e;
	struct nmimage_entry x;
	char *clean = malloc(2 * (NMIMAGE_NAME_MAX + 1)), *hl;
	uint64_t entries = 0, bytes = 0;
	la_int64_t size;
	int rc = 0, r = ARCHIVE_FATAL;

	if (!a || !w || !clean) {
		rc = -ENOMEM;
		goto out;
	}
	hl = clean + NMIMAGE_NAME_MAX + 1;
	archive_read_support_format_tar(a);
	archive_write_disk_set_options(w, NMIMAGE_FLAGS);
	if (archive_read_open_fd(a, fd, NMIMAGE_BLOCK) != ARCHIVE_OK)
		rc = -EPX_E_NM_IMG_FORMAT;
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		x.path = archive_entry_pathname(e);
		x.type = archive_entry_filetype(e);
		x.mode = archive_entry_perm(e);
		x.symlink = archive_entry_symlink(e);
		x.hardlink = archive_entry_hardlink(e);
		size = archive_entry_size(e);
		if (++entries > im->max_entries)
			rc = -EPX_E_NM_IMG_ENTRIES;
		if (rc == 0)
			rc = nmimage_check(&x, clean, hl);
		if (rc == 0 && size > 0 && !x.hardlink) {
			bytes += (uint64_t)size;
			if (bytes > im->max_bytes)
				rc = -EPX_E_NM_IMG_BYTES;
		}
		if (rc < 0) {
			nmrun_log("image entry %.200s: refused", x.path ? x.path : "(no name)");
			break;
		}
		if (!clean[0])
			continue;               /* "./": the root, made already */
		archive_entry_set_pathname(e, clean);
		if (x.hardlink)
			archive_entry_set_hardlink(e, hl);
		if (archive_write_header(w, e) != ARCHIVE_OK)
			rc = nmimage_wfail(w, clean);
		if (rc == 0 && size > 0)
			rc = nmimage_data(a, w, clean);
		if (rc == 0 && archive_write_finish_entry(w) != ARCHIVE_OK)
			rc = nmimage_wfail(w, clean);
	}
	if (rc == 0 && r != ARCHIVE_EOF) {
		nmrun_log("image: %s", archive_error_string(a) ? archive_error_string(a) :
			  "not a tar archive");
		rc = -EPX_E_NM_IMG_FORMAT;
	}
	if (rc == 0 && entries == 0)
		rc = -EPX_E_NM_IMG_FORMAT;
	if (rc == 0 && archive_write_close(w) != ARCHIVE_OK)
		rc = nmimage_wfail(w, "(close)");
out:
	if (a)
		archive_read_free(a);
	if (w)
		archive_write_free(w);
	free(clean);
	return rc;
}

/* The child: chrooted into dir (nothing it writes can land elsewhere),
 * no file above max_bytes, its answer on p. */
static void nmimage_child(const struct nmimage *im, int fd, const char *dir, int p)
{
	struct rlimit rl = { im->max_bytes + 1, im->max_bytes + 1 };
	int rc = -EPX_E_NM_IMG_DISK;

	signal(SIGXFSZ, SIG_IGN);
	umask(022);
	if (setrlimit(RLIMIT_FSIZE, &rl) == 0 && chroot(dir) == 0 && chdir("/") == 0)
		rc = nmimage_extract(im, fd);
	if (write(p, &rc, sizeof(rc)) != (ssize_t)sizeof(rc))
		_exit(1);
	_exit(0);
}

int nmimage_unpack(const struct nmimage *im, int fd, const uint8_t sha[32])
{
	char hex[65], tmp[NMIMAGE_P], dst[NMIMAGE_P];
	int p[2], rc = -EPX_E_NM_IMG_DISK, st = 0, dfd;
	pid_t pid;

	nmimage_hex(sha, hex);
	snprintf(tmp, sizeof(tmp), "%s/" NMIMAGE_NEW "%s", im->dir, hex);
	snprintf(dst, sizeof(dst), "%s/%s", im->dir, hex);
	if (lseek(fd, 0, SEEK_SET) != 0 || nmrun_rmtree(tmp) < 0 || mkdir(tmp, 0755) < 0)
		return -EPX_E_NM_IMG_DISK;
	if (pipe2(p, O_CLOEXEC) < 0)
		goto out;
	/* the child dies with a killed node manager: it never writes on
	 * into a tree the next run is removing */
	pid = nmrun_fork_tied();
	if (pid == 0) {
		close(p[0]);
		nmimage_child(im, fd, tmp, p[1]);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &rc, sizeof(rc)) != (ssize_t)sizeof(rc))
		rc = -EPX_E_NM_IMG_DISK;
	close(p[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		rc = rc < 0 ? rc : -EPX_E_NM_IMG_DISK;
	if (rc == 0 && chmod(tmp, 0755) < 0)
		rc = -EPX_E_NM_IMG_DISK;
	if (rc == 0) {
		/* the whole tree on the disk before its name says it is whole */
		dfd = open(im->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || syncfs(dfd) < 0 || rename(tmp, dst) < 0 || fsync(dfd) < 0)
			rc = -EPX_E_NM_IMG_DISK;
		if (dfd >= 0)
			close(dfd);
	}
out:
	if (rc < 0)
		nmrun_rmtree(tmp);
	return rc;
}

/* ---------------------------------------------------------------- fetch */

static int64_t nmimage_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

struct nmimage_sink {
	int fd;
	uint64_t len, max;
	mbedtls_sha256_context sha;
};

static int nmimage_write(void *ctx, const uint8_t *p, size_t n)
{
	struct nmimage_sink *s = ctx;

	if (n > s->max - s->len)
		return -EPX_E_NM_IMG_SIZE;
	(void)mbedtls_sha256_update_ret(&s->sha, p, n);
	s->len += n;
	return file_write_all(s->fd, p, n) < 0 ? -EPX_E_NM_IMG_DISK : 0;
}

/* the transfer's error in our codes */
static int nmimage_http(int rc)
{
	if (rc == -EPX_E_HTTP_TRUNC || rc == -EPX_E_HTTP_LENGTH || rc == -EPX_E_HTTP_BODYBIG ||
	    rc == -EPX_E_NM_IMG_SIZE)
		return -EPX_E_NM_IMG_SIZE;
	if (rc == -EPX_E_NM_IMG_DISK)
		return rc;
	return -EPX_E_NM_IMG_FETCH;
}

int nmimage_refused(const struct nmimage *im, const struct sliver *sl)
{
	unsigned i;

	for (i = 0; i < im->nbad && i < NMIMAGE_BAD_MAX; i++)
		if (!memcmp(im->bad[i], sl->image, 32) &&
		    (!im->bad_until[i] || nmimage_now() < im->bad_until[i]))
			return im->bad_rc[i];
	return 0;
}

int nmimage_get(struct nmimage *im, struct https *h, const struct sliver *sl)
{
	return nmimage_get_ticket(im, h, sl, NULL, 0);
}

int nmimage_get_ticket(struct nmimage *im, struct https *h, const struct sliver *sl,
		       const char *ticket, size_t ticket_len)
{
	struct nmimage_sink s;
	char hex[65], path[NMIMAGE_P], code[16], *thex = NULL;
	struct https_resp resp;
	struct https_req r;
	uint8_t got[32];
	unsigned i;
	int rc;

	if (nmimage_have(im, sl))
		return 0;
	rc = nmimage_refused(im, sl);
	if (rc < 0)
		return rc;
	nmimage_hex(sl->image, hex);
	if (!h) {
		nmrun_log("image %.12s of sliver %s: not unpacked, and no server to fetch it from",
			  hex, sl->name);
		return -EPX_E_NM_IMG_FETCH;
	}
	if (sl->image_bytes == 0 || sl->image_bytes > NODEPROTO_IMAGE_MAX)
		return -EPX_E_NM_IMG_SIZE;
	if (ticket && (ticket_len == 0 || ticket_len > NODEPROTO_TICKET_MAX))
		return -EPX_E_NM_IMG_TICKET;
	if (ticket) {
		thex = malloc(2 * ticket_len + 1);
		if (!thex)
			return -ENOMEM;
		hex_encode((const uint8_t *)ticket, ticket_len, thex);
		thex[2 * ticket_len] = '\0';
	}
	memset(&s, 0, sizeof(s));
	s.max = sl->image_bytes;
	/* unlinked at once: a kill leaves no file */
	snprintf(path, sizeof(path), "%s/.tmp-%s", im->dir, hex);
	unlink(path);
	s.fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s.fd < 0) {
		free(thex);
		return -EPX_E_NM_IMG_DISK;
	}
	unlink(path);
	mbedtls_sha256_init(&s.sha);
	(void)mbedtls_sha256_starts_ret(&s.sha, 0);
	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), NODEPROTO_IMAGE_PATH "%s", hex);
	r.method = "GET";
	r.path = path;
	r.body_max = sl->image_bytes;
	r.deadline = tls_now_ms() + NMIMAGE_REQ_MS;
	r.min_rate = NMIMAGE_MIN_RATE;
	r.on_data = nmimage_write;
	r.ctx = &s;
	if (thex) {
		r.xhdr_name = NODEPROTO_TICKET_HEADER;
		r.xhdr_val = thex;
	}
	rc = https_do(h, &r, &resp);
	httpc_head_wipe(&resp.head);
	free(thex);
	(void)mbedtls_sha256_finish_ret(&s.sha, got);
	mbedtls_sha256_free(&s.sha);
	if (rc < 0) {
		nmrun_log("image %.12s of sliver %s: GET: %s %s%s%s", hex, sl->name,
			  epx_code(rc, code, sizeof(code)), epx_strerror(rc),
			  resp.reason[0] ? "; server: " : "", resp.reason);
		rc = ticket && rc == -EPX_E_HTTP_CODE && resp.head.status == 404 ?
			-EPX_E_NM_IMG_TICKET : nmimage_http(rc);
	} else if (s.len != sl->image_bytes) {
		rc = -EPX_E_NM_IMG_SIZE;
	} else if (memcmp(got, sl->image, 32)) {
		rc = -EPX_E_NM_IMG_HASH;
	}
	if (rc == 0)
		rc = nmimage_unpack(im, s.fd, sl->image);
	close(s.fd);
	/* verified bytes refused: for good; a wrong size or hash: a while */
	if (rc < 0 && rc != -EPX_E_NM_IMG_DISK && rc != -ENOMEM && rc != -EPX_E_NM_IMG_FETCH &&
	    rc != -EPX_E_NM_IMG_TICKET) {
		i = im->nbad++ % NMIMAGE_BAD_MAX;
		memcpy(im->bad[i], sl->image, 32);
		im->bad_rc[i] = rc;
		im->bad_until[i] = rc == -EPX_E_NM_IMG_SIZE || rc == -EPX_E_NM_IMG_HASH ?
			nmimage_now() + NMIMAGE_RETRY_S : 0;
	}
	if (rc == 0)
		nmrun_log("image %.12s (%llu bytes) verified and unpacked%s%s", hex,
			  (unsigned long long)sl->image_bytes, ticket ? ", fetched on the ticket of " : "",
			  ticket ? sl->name : "");
	return rc;
}

/* ----------------------------------------------------------------- sync */

static int nmimage_wanted(const struct sliverset *want, int64_t now, const char *name)
{
	char hex[65];
	size_t i;

	for (i = 0; want && i < want->n; i++) {
		if (want->sl[i].expires <= now)
			continue;
		nmimage_hex(want->sl[i].image, hex);
		if (!strcmp(hex, name))
			return 1;
	}
	return 0;
}

/* keep_all: only leftovers go (a start: the cached set is not planned
 * yet, and a kept sliver's image must survive the restart) */
static int nmimage_sweep(const struct nmimage *im, const struct sliverset *want, int64_t now,
			 int keep_all)
{
	char path[NMIMAGE_P + 256];
	struct dirent *de;
	DIR *d = opendir(im->dir);
	int n = 0, rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : -EPX_E_NM_IMG_DISK;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strlen(de->d_name) == 64 && hex_check_str(de->d_name, 64) == 0 &&
		    (keep_all || nmimage_wanted(want, now, de->d_name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", im->dir, de->d_name);
		if (nmrun_rmtree(path) < 0)
			rc = -EPX_E_NM_IMG_DISK;
		else
			n++;
		if (de->d_name[0] != '.')
			nmrun_log("image %.12s: no sliver uses it; removed", de->d_name);
	}
	closedir(d);
	return rc < 0 ? rc : n;
}

int nmimage_sync(const struct nmimage *im, const struct sliverset *want, int64_t now)
{
	return nmimage_sweep(im, want, now, 0);
}

#ifndef __GLIBC__
/* The musl link takes Debian's static libarchive, built against glibc
 * (node/nm/nm.mk): the few glibc-only symbols it names.  acl_* are
 * called only with ARCHIVE_EXTRACT_ACL, which nmimage never sets: they
 * fail. */
#include <sys/sysmacros.h>

unsigned long long gnu_dev_makedev(unsigned int ma, unsigned int mi);
unsigned long long gnu_dev_makedev(unsigned int ma, unsigned int mi)
{
	return makedev(ma, mi);
}

int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

#define NMIMAGE_NOACL(f) int f(void); int f(void) { errno = ENOTSUP; return -1; }
NMIMAGE_NOACL(acl_init)
NMIMAGE_NOACL(acl_set_tag_type)
NMIMAGE_NOACL(acl_set_qualifier)
NMIMAGE_NOACL(acl_set_file)
NMIMAGE_NOACL(acl_set_fd)
NMIMAGE_NOACL(acl_get_permset)
NMIMAGE_NOACL(acl_free)
NMIMAGE_NOACL(acl_create_entry)
NMIMAGE_NOACL(acl_clear_perms)
NMIMAGE_NOACL(acl_add_perm)
#endif
