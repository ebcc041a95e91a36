/* media: strict reader of the token medium of legacy-BIOS nodes.
 *
 * A BIOS node has no firmware variable store, so its first boot session is
 * opened with a one-time boot token that an operator wrote to a disk or USB
 * stick (`epoxyctl token issue HOST --media FILE`, then dd).  The sector is
 * untrusted bytes from whatever disk is attached: it is capped at one
 * sector and parsed strictly; a disk that does not start with the magic is
 * simply not a medium. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/line.h"
#include "stage2/cmdline.h"
#include "stage2/media.h"

/* The text ends at the first NUL; everything after it must be zero. */
static int media_text_len(const unsigned char *sec, size_t len, size_t *tl)
{
	const unsigned char *z = memchr(sec, 0, len);
	size_t i;

	*tl = z ? (size_t)(z - sec) : len;
	for (i = *tl; i < len; i++)
		if (sec[i])
			return -EPX_E_MEDIA_SYNTAX;
	return 0;
}

static int media_body(struct bootcred *bc, const char *t, size_t tl,
		      size_t pos, const char *want_host)
{
	const char *v;
	long n;

	n = line_take(t, tl, &pos, "host ", &v);
	if (n < 0 || label_check(LABEL_HOST, v, (size_t)n) < 0)
		return -EPX_E_MEDIA_SYNTAX;
	memcpy(bc->host, v, (size_t)n);
	n = line_take(t, tl, &pos, "token ", &v);
	if (n < 0)
		return -EPX_E_MEDIA_SYNTAX;
	if (n < 0 || hex_check(v, (size_t)n, 2 * BOOTCRED_LEN) < 0 ||
	    hex_decode(v, 64, bc->credential, BOOTCRED_LEN) < 0)
		return -EPX_E_MEDIA_TOKEN;
	if (line_take(t, tl, &pos, "end", &v) != 0 || pos != tl)
		return -EPX_E_MEDIA_SYNTAX;
	if (want_host && want_host[0] && strcmp(want_host, bc->host) != 0)
		return -EPX_E_MEDIA_HOST;
	return 0;
}

int media_parse(struct bootcred *bc, const unsigned char *sec, size_t len,
		const char *want_host)
{
	const char *t = (const char *)sec, *v;
	size_t mlen = strlen(MEDIA_MAGIC), tl, pos = 0;
	int rc = -EPX_E_MEDIA_MAGIC;
	long n;

	memset(bc, 0, sizeof(*bc));
	if (len < mlen || memcmp(sec, MEDIA_MAGIC, mlen) != 0)
		return rc;
	rc = -EPX_E_MEDIA_SYNTAX;
	if (len != MEDIA_SECTOR || media_text_len(sec, len, &tl) < 0)
		return rc;
	pos = mlen;
	n = line_take(t, tl, &pos, "", &v);
	if (n < 0)
		return rc;
	if ((size_t)n != strlen(MEDIA_VERSION) ||
	    memcmp(v, MEDIA_VERSION, (size_t)n) != 0)
		return -EPX_E_MEDIA_VERSION;
	rc = media_body(bc, t, tl, pos, want_host);
	if (rc < 0)
		bootcred_wipe(bc);
	return rc;
}

int media_read(struct bootcred *bc, const char *path, const char *want_host)
{
	unsigned char sec[MEDIA_SECTOR];
	size_t len = 0;
	ssize_t n;
	struct stat st;
	int fd, rc = -EPX_E_MEDIA_MAGIC;

	memset(bc, 0, sizeof(*bc));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return rc;
	if (fstat(fd, &st) < 0 || !(S_ISBLK(st.st_mode) || S_ISREG(st.st_mode)))
		goto out;
	while (len < sizeof(sec)) {
		n = pread(fd, sec + len, sizeof(sec) - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (len == sizeof(sec))
		rc = media_parse(bc, sec, len, want_host);
out:
	close(fd);
	explicit_bzero(sec, sizeof(sec));
	return rc;
}

/* Whole disks that may carry a medium; never loop, ram, dm, md, sr. */
static int media_disk_name(const char *name)
{
	static const char *const pfx[] = { "vd", "sd", "hd", "xvd", "nvme",
					   "mmcblk" };
	size_t i, n = strlen(name);

	if (n == 0 || n > MEDIA_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			return 0;
	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (strncmp(name, pfx[i], strlen(pfx[i])) == 0 &&
		    n > strlen(pfx[i]))
			return 1;
	return 0;
}

static int media_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The candidate disks of sysblock, sorted; returns their number. */
static size_t media_list(const char *sysblock,
			 char names[MEDIA_MAX_DEVICES][MEDIA_NAME_MAX + 1])
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(sysblock);

	while (d && n < MEDIA_MAX_DEVICES && (de = readdir(d)))
		if (media_disk_name(de->d_name))        /* <= MEDIA_NAME_MAX */
			memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
	if (d)
		closedir(d);
	qsort(names, n, MEDIA_NAME_MAX + 1, media_cmp);
	return n;
}

static int media_scan_once(struct bootcred *bc, const char *sysblock,
			   const char *devdir, const char *want_host,
			   char *dev, size_t devcap)
{
	char names[MEDIA_MAX_DEVICES][MEDIA_NAME_MAX + 1], path[512];
	struct bootcred one;
	size_t i, n = media_list(sysblock, names);
	int rc, found = 0;

	for (i = 0; i < n; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", devdir, names[i]) >=
		    (int)sizeof(path))
			continue;
		rc = media_read(&one, path, want_host);
		if (rc == -EPX_E_MEDIA_MAGIC)
			continue;
		snprintf(dev, devcap, "%s", names[i]);
		if (rc == 0 && !found) {
			*bc = one;
			found = 1;
			continue;
		}
		bootcred_wipe(&one);
		if (found)
			bootcred_wipe(bc);
		return rc < 0 ? rc : -EPX_E_MEDIA_MULTI;
	}
	return found ? 0 : -EPX_E_EFIVAR_MISSING;
}

static long long media_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int media_scan(struct bootcred *bc, const char *sysblock, const char *devdir,
	       const char *want_host, unsigned wait_ms, char *dev, size_t devcap)
{
	long long deadline = media_now_ms() + wait_ms;
	struct timespec half = { 0, 500 * 1000000L };
	int rc;

	memset(bc, 0, sizeof(*bc));
	if (devcap)
		dev[0] = '\0';
	for (;;) {
		rc = media_scan_once(bc, sysblock, devdir, want_host, dev, devcap);
		if (rc != -EPX_E_EFIVAR_MISSING || media_now_ms() >= deadline)
			return rc;
		nanosleep(&half, NULL);
	}
}
