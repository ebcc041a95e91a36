/* test_nmimage: slice images (node/nm/nmimage.h).  nmimage_check on a
 * table of entries (clean paths, "./" prefixes, absolute paths, ".."
 * anywhere, control bytes, over-long names and components, links that
 * stay in the root or climb out, absolute link targets, hard links,
 * devices, FIFOs, sockets, setuid and setgid bits); then, as root (the
 * unpacking child chroots), nmimage_unpack on tars written here with
 * libarchive: a good tree (files, a directory, relative and absolute
 * links, a hard link), and hostile ones each refused with its code and
 * nothing left in DATA/.images; then nmimage_sync keeps a wanted image
 * and removes one no sliver names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/err.h"
#include "node/nm/nmimage.h"
#include "tests/test.h"

struct ccase {
	const char *path;
	unsigned type, mode;
	const char *sym, *hard;
	int want;
	const char *clean;
};

static const char long_comp[] =
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

#define PATHE (-EPX_E_NM_IMG_PATH)
#define LINKE (-EPX_E_NM_IMG_LINK)
#define TYPEE (-EPX_E_NM_IMG_TYPE)

static const struct ccase ccases[] = {
	{ "bin/busybox", S_IFREG, 0755, NULL, NULL, 0, "bin/busybox" },
	{ "./bin/busybox", S_IFREG, 0755, NULL, NULL, 0, "bin/busybox" },
	{ "./", S_IFDIR, 0755, NULL, NULL, 0, "" },
	{ ".", S_IFDIR, 0755, NULL, NULL, 0, "" },
	{ "usr//lib/./x/", S_IFDIR, 0755, NULL, NULL, 0, "usr/lib/x" },
	{ "tmp", S_IFDIR, 01777, NULL, NULL, 0, "tmp" },
	{ "..", S_IFDIR, 0755, NULL, NULL, PATHE, NULL },
	{ "../etc/passwd", S_IFREG, 0644, NULL, NULL, PATHE, NULL },
	{ "a/../../b", S_IFREG, 0644, NULL, NULL, PATHE, NULL },
	{ "a/..", S_IFDIR, 0755, NULL, NULL, PATHE, NULL },
	{ "/etc/passwd", S_IFREG, 0644, NULL, NULL, PATHE, NULL },
	{ "//etc", S_IFDIR, 0755, NULL, NULL, PATHE, NULL },
	{ "", S_IFREG, 0644, NULL, NULL, PATHE, NULL },
	{ NULL, S_IFREG, 0644, NULL, NULL, PATHE, NULL },
	{ "a\nb", S_IFREG, 0644, NULL, NULL, PATHE, NULL },
	{ "a\x7f", S_IFREG, 0644, NULL, NULL, PATHE, NULL },
	{ long_comp, S_IFREG, 0644, NULL, NULL, PATHE, NULL },
	{ "./", S_IFREG, 0644, NULL, NULL, PATHE, NULL },
	{ "bin/sh", S_IFLNK, 0777, "busybox", NULL, 0, "bin/sh" },
	{ "bin/sh", S_IFLNK, 0777, "/bin/busybox", NULL, 0, "bin/sh" },
	{ "a/b/c", S_IFLNK, 0777, "../../x", NULL, 0, "a/b/c" },
	{ "a/b/c", S_IFLNK, 0777, "../../../x", NULL, LINKE, NULL },
	{ "esc", S_IFLNK, 0777, "..", NULL, LINKE, NULL },
	{ "a/esc", S_IFLNK, 0777, "./../..", NULL, LINKE, NULL },
	{ "a/ok", S_IFLNK, 0777, "b/../../c", NULL, 0, "a/ok" },
	{ "a/esc", S_IFLNK, 0777, "b/../../../c", NULL, LINKE, NULL },
	{ "a/esc", S_IFLNK, 0777, "", NULL, LINKE, NULL },
	{ "a/esc", S_IFLNK, 0777, NULL, NULL, LINKE, NULL },
	{ "a/esc", S_IFLNK, 0777, "x\ny", NULL, LINKE, NULL },
	{ "./", S_IFLNK, 0777, "x", NULL, LINKE, NULL },
	{ "bin/ln", S_IFREG, 0755, NULL, "bin/busybox", 0, "bin/ln" },
	{ "bin/ln", S_IFREG, 0755, NULL, "./bin/busybox", 0, "bin/ln" },
	{ "bin/ln", S_IFREG, 0755, NULL, "../etc/shadow", LINKE, NULL },
	{ "bin/ln", S_IFREG, 0755, NULL, "/etc/shadow", LINKE, NULL },
	{ "bin/ln", S_IFREG, 0755, NULL, "./", LINKE, NULL },
	{ "bin/ln", S_IFCHR, 0755, NULL, "bin/busybox", TYPEE, NULL },
	{ "dev/sda", S_IFBLK, 0600, NULL, NULL, TYPEE, NULL },
	{ "dev/null", S_IFCHR, 0666, NULL, NULL, TYPEE, NULL },
	{ "fifo", S_IFIFO, 0644, NULL, NULL, TYPEE, NULL },
	{ "sock", S_IFSOCK, 0644, NULL, NULL, TYPEE, NULL },
	{ "bin/su", S_IFREG, 04755, NULL, NULL, TYPEE, NULL },
	{ "bin/sg", S_IFREG, 02755, NULL, NULL, TYPEE, NULL },
	{ "var/mail", S_IFDIR, 02775, NULL, NULL, TYPEE, NULL },
};

static void check_table(void)
{
	char clean[NMIMAGE_NAME_MAX + 1], hl[NMIMAGE_NAME_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		const struct ccase *c = &ccases[i];
		struct nmimage_entry e = { c->path, c->type, c->mode, c->sym, c->hard };
		int rc = nmimage_check(&e, clean, hl);

		ok(rc == c->want && (rc || !strcmp(clean, c->clean)),
		   "check %zu %s (type %o mode %o%s%s): %d, clean '%s'", i,
		   c->path ? c->path : "(null)", c->type, c->mode, c->sym ? " -> " : "",
		   c->sym ? c->sym : "", rc, rc ? "" : clean);
	}
}

/* ------------------------------------------------------------- unpacking */

struct tent {
	const char *path;
	unsigned type, mode;
	const char *sym, *hard;
	size_t size;
};

/* A tar of the entries (files of size bytes of 'x') into a new unlinked
 * file; its descriptor. */
static int make_tar(const struct tent *t, size_t n)
{
	char tmpl[] = "/tmp/test_nmimage.XXXXXX", *data = calloc(1, 65536);
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	int fd = mkstemp(tmpl);
	size_t i;

	if (fd < 0 || !a || !data)
		abort();
	unlink(tmpl);
	memset(data, 'x', 65536);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
		abort();
	for (i = 0; i < n; i++) {
		e = archive_entry_new();
		archive_entry_set_pathname(e, t[i].path);
		archive_entry_set_filetype(e, t[i].type);
		archive_entry_set_perm(e, t[i].mode);
		if (t[i].sym)
			archive_entry_set_symlink(e, t[i].sym);
		if (t[i].hard)
			archive_entry_set_hardlink(e, t[i].hard);
		if (t[i].type == AE_IFCHR || t[i].type == AE_IFBLK)
			archive_entry_set_rdev(e, 0x0801);
		archive_entry_set_size(e, (la_int64_t)t[i].size);
		archive_write_header(a, e);
		if (t[i].size)
			archive_write_data(a, data, t[i].size);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	free(data);
	return fd;
}

#define F(p, n) { p, AE_IFREG, 0644, NULL, NULL, n }
#define D(p) { p, AE_IFDIR, 0755, NULL, NULL, 0 }
#define L(p, t) { p, AE_IFLNK, 0777, t, NULL, 0 }

static const struct tent t_good[] = {
	D("./"), D("bin"), F("bin/busybox", 5000), L("bin/sh", "busybox"),
	L("bin/abs", "/bin/busybox"), { "bin/ln", AE_IFREG, 0755, NULL, "bin/busybox", 0 },
	{ "tmp", AE_IFDIR, 01777, NULL, NULL, 0 }, F("etc/hostname", 3),
};
static const struct tent t_dotdot[] = { D("bin"), F("bin/../../escaped", 10) };
static const struct tent t_abs[] = { F("/tmp/test_nmimage-abs", 10) };
static const struct tent t_symesc[] = { L("esc", "../../../../../../tmp"), F("esc/pwned", 4) };
static const struct tent t_symabs[] = { L("abs", "/tmp"), F("abs/test_nmimage-pwned", 4) };
static const struct tent t_dev[] = { D("dev"), { "dev/sda", AE_IFBLK, 0600, NULL, NULL, 0 } };
static const struct tent t_suid[] = { F("bin/x", 4), { "bin/su", AE_IFREG, 04755, NULL, NULL, 4 } };
static const struct tent t_hard[] = { { "bin/ln", AE_IFREG, 0644, NULL, "../../etc/shadow", 0 } };
static const struct tent t_many[] = { F("a", 0), F("b", 0), F("c", 0), F("d", 0), F("e", 0),
				      F("f", 0), F("g", 0), F("h", 0), F("i", 0), F("j", 0),
				      F("k", 0) };
static const struct tent t_big[] = { F("a", 60000), F("b", 60000) };

struct ucase {
	const char *name;
	const struct tent *t;
	size_t n;
	int want;
};

#define U(name, t, want) { name, t, sizeof(t) / sizeof(t[0]), want }

static const struct ucase ucases[] = {
	U("good", t_good, 0),
	U("../ escape", t_dotdot, -EPX_E_NM_IMG_PATH),
	U("absolute path", t_abs, -EPX_E_NM_IMG_PATH),
	U("symlink escape then write through it", t_symesc, -EPX_E_NM_IMG_LINK),
	U("absolute symlink then write through it", t_symabs, -EPX_E_NM_IMG_LINK),
	U("device node", t_dev, -EPX_E_NM_IMG_TYPE),
	U("setuid file", t_suid, -EPX_E_NM_IMG_TYPE),
	U("hard link outside", t_hard, -EPX_E_NM_IMG_LINK),
	U("too many entries", t_many, -EPX_E_NM_IMG_ENTRIES),
	U("too many bytes", t_big, -EPX_E_NM_IMG_BYTES),
};

static int count_entries(const char *dir)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s' -mindepth 1 -maxdepth 1 | wc -l", dir);
	p = popen(cmd, "r");
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static void unpack_cases(void)
{
	char data[] = "/tmp/test_nmimage-data.XXXXXX", path[512];
	struct nmimage im;
	struct sliverset *ss = calloc(1, sizeof(*ss));
	struct stat st;
	uint8_t sha[32];
	size_t i;
	int fd, rc;

	if (!ss || !mkdtemp(data))
		abort();
	rc = nmimage_init(&im, data, 10, 100000);
	ok(rc == 0, "nmimage_init: %d", rc);
	for (i = 0; i < sizeof(ucases) / sizeof(ucases[0]); i++) {
		memset(sha, 0, sizeof(sha));
		sha[0] = (uint8_t)(i + 1);
		fd = make_tar(ucases[i].t, ucases[i].n);
		rc = nmimage_unpack(&im, fd, sha);
		close(fd);
		ok(rc == ucases[i].want, "unpack %s: %d (want %d)", ucases[i].name, rc,
		   ucases[i].want);
		ok(count_entries(im.dir) == (i == 0 ? 1 : 1), "unpack %s: DATA/.images holds %d",
		   ucases[i].name, count_entries(im.dir));
	}
	ok(stat("/tmp/test_nmimage-abs", &st) < 0 && stat("/tmp/test_nmimage-pwned", &st) < 0 &&
	   stat("/tmp/pwned", &st) < 0, "nothing written outside the image");
	snprintf(path, sizeof(path), "%s/0100000000000000000000000000000000000000000000000000000000000000",
		 im.dir);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/bin/ln");
	ok(stat(path, &st) == 0 && st.st_nlink == 2 && st.st_size == 5000,
	   "the good image: bin/ln is busybox's hard link");
	snprintf(path + strlen(path) - 2, 8, "abs");
	ok(lstat(path, &st) == 0 && S_ISLNK(st.st_mode), "the good image: an absolute link kept");
	/* a truncated tar and bytes that are no tar */
	fd = make_tar(t_good, sizeof(t_good) / sizeof(t_good[0]));
	ok(ftruncate(fd, 700) == 0, "truncated tar");
	sha[0] = 0x77;
	rc = nmimage_unpack(&im, fd, sha);
	ok(rc == -EPX_E_NM_IMG_FORMAT, "a truncated tar: %d", rc);
	ok(ftruncate(fd, 0) == 0 && write(fd, "not a tar at all", 16) == 16, "not a tar");
	rc = nmimage_unpack(&im, fd, sha);
	ok(rc == -EPX_E_NM_IMG_FORMAT, "bytes that are no tar: %d", rc);
	close(fd);
	ok(count_entries(im.dir) == 1, "refusals left nothing");
	/* a restart: a killed run's leftovers go, the whole image stays */
	snprintf(path, sizeof(path), "%s/.new-ab", im.dir);
	ok(mkdir(path, 0700) == 0, "a leftover .new- tree");
	snprintf(path, sizeof(path), "%s/.tmp-ab", im.dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ok(fd >= 0 && close(fd) == 0, "a leftover temporary file");
	ok(count_entries(im.dir) == 3, "three entries before the restart");
	rc = nmimage_init(&im, data, 10, 100000);
	ok(rc == 0 && count_entries(im.dir) == 1, "restart: leftovers removed, the image kept (%d)",
	   count_entries(im.dir));
	/* sync: kept while a live sliver names it, removed after */
	ss->n = 1;
	ss->sl[0].image[0] = 1;
	ss->sl[0].expires = 100;
	rc = nmimage_sync(&im, ss, 50);
	ok(rc == 0 && count_entries(im.dir) == 1, "sync: a wanted image stays (%d)", rc);
	ok(nmimage_have(&im, &ss->sl[0]) == 1, "nmimage_have: the image is there");
	rc = nmimage_sync(&im, ss, 100);
	ok(rc == 1 && count_entries(im.dir) == 0, "sync: an expired sliver's image removed (%d)", rc);
	ok(nmimage_have(&im, &ss->sl[0]) == 0, "nmimage_have: gone");
	ok(nmimage_get(&im, NULL, &ss->sl[0]) == -EPX_E_NM_IMG_FETCH,
	   "nmimage_get without a server: E3183");
	rmdir(im.dir);
	rmdir(data);
	free(ss);
}

int main(void)
{
	struct nmimage im;

	check_table();
	ok(nmimage_init(&im, "relative", 0, 0) == -EPX_E_NM_USAGE, "init: a relative DATA");
	ok(nmimage_init(&im, "/tmp", NMIMAGE_ENTRIES_MAX + 1, 0) == -EPX_E_NM_USAGE,
	   "init: entries over the maximum");
	if (geteuid() == 0)
		unpack_cases();
	else
		ok(0, "unpacking needs root (its child chroots); run as root");
	return test_done();
}
