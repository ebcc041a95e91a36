/* Table tests of the initramfs builder: the spec parser (well-formed and
 * many malformed specs), path rules, and the cpio writer (order, owners,
 * times, determinism, compression, failures that leave the output alone). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/cpio.h"
#include "initramfs/initspec.h"
#include "lib/err.h"
#include "tests/test.h"

#define BASE "dir bin 0755\n"

static const struct {
	const char *name;
	const char *spec;
	int rc;
	unsigned int line;	/* expected error line (0: not checked) */
	size_t n;		/* expected entries on success */
} parse_cases[] = {
	{ "empty spec", "", 0, 0, 0 },
	{ "comments and blanks", "# x\n\n   \n\t# y\n", 0, 0, 0 },
	{ "long comment", "# a b c d e f g h i j k l m n o p\ndir a 0755\n", 0, 0, 1 },
	{ "one dir", "dir bin 0755\n", 0, 0, 1 },
	{ "no final newline", "dir bin 0755", 0, 0, 1 },
	{ "tabs and runs of spaces", "dir\tbin   0755\n", 0, 0, 1 },
	{ "file", BASE "file bin/busybox /bin/busybox 0755\n", 0, 0, 2 },
	{ "slink", BASE "slink bin/sh busybox 0777\n", 0, 0, 2 },
	{ "slink absolute target", BASE "slink bin/sh /bin/busybox 0777\n", 0, 0, 2 },
	{ "nod c", "dir dev 0755\nnod dev/console 0600 c 5 1\n", 0, 0, 2 },
	{ "nod b", "dir dev 0755\nnod dev/vda 0600 b 254 0\n", 0, 0, 2 },
	{ "sorted regardless of order", "file bin/b x 0644\nfile bin/a x 0644\n" BASE, 0, 0, 3 },
	{ "mode 0", "dir d 0\n", 0, 0, 1 },
	{ "mode 07777", "dir d 07777\n", 0, 0, 1 },
	{ "deep path", "dir a 0755\ndir a/b 0755\ndir a/b/c 0755\nfile a/b/c/d x 0644\n", 0, 0, 4 },
	{ "dotfile allowed", "file .profile x 0644\n", 0, 0, 1 },
	{ "name with ._-+@", "file a.b_c-d+e@f x 0644\n", 0, 0, 1 },
	{ "three dots is a name", "file ... x 0644\n", 0, 0, 1 },
	/* malformed */
	{ "unknown keyword", "dirr bin 0755\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "keyword upper case", "DIR bin 0755\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "dir missing mode", "dir bin\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "dir extra field", "dir bin 0755 0 0\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "file missing source", "file a 0644\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "file extra field", "file a x 0644 0\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "nod missing minor", "dir dev 0755\nnod dev/x 0600 c 5\n", -EPX_E_IS_SYNTAX, 2, 0 },
	{ "too many fields", "dir a 1 2 3 4 5 6 7 8 9\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "trailing comment on line", "dir bin 0755 # c\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "CR line end", "dir bin 0755\r\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "NUL in line", "dir b\0n 0755\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "error on line 3", "dir a 0755\n\ndir b 9\n", -EPX_E_IS_MODE, 3, 0 },
	{ "absolute path", "dir /bin 0755\n", -EPX_E_IS_PATH, 1, 0 },
	{ "trailing slash", "dir bin/ 0755\n", -EPX_E_IS_PATH, 1, 0 },
	{ "double slash", BASE "file bin//x x 0644\n", -EPX_E_IS_PATH, 2, 0 },
	{ "dot component", BASE "file bin/./x x 0644\n", -EPX_E_IS_PATH, 2, 0 },
	{ "dotdot component", BASE "file bin/../x x 0644\n", -EPX_E_IS_PATH, 2, 0 },
	{ "dot alone", "dir . 0755\n", -EPX_E_IS_PATH, 1, 0 },
	{ "dotdot alone", "dir .. 0755\n", -EPX_E_IS_PATH, 1, 0 },
	{ "high byte in path", "dir b\xc3\xa9 0755\n", -EPX_E_IS_PATH, 1, 0 },
	{ "quote in path", "dir b\"n 0755\n", -EPX_E_IS_PATH, 1, 0 },
	{ "backslash in path", "dir b\\n 0755\n", -EPX_E_IS_PATH, 1, 0 },
	{ "star in path", "dir b* 0755\n", -EPX_E_IS_PATH, 1, 0 },
	{ "control byte in source", "file a x\x01y 0644\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "DEL in source", "file a x\x7fy 0644\n", -EPX_E_IS_SYNTAX, 1, 0 },
	{ "mode not octal", "dir bin 0789\n", -EPX_E_IS_MODE, 1, 0 },
	{ "mode too big", "dir bin 10000\n", -EPX_E_IS_MODE, 1, 0 },
	{ "mode too long", "dir bin 000755\n", -EPX_E_IS_MODE, 1, 0 },
	{ "mode negative", "dir bin -755\n", -EPX_E_IS_MODE, 1, 0 },
	{ "mode symbolic", "dir bin rwx\n", -EPX_E_IS_MODE, 1, 0 },
	{ "nod bad type", "dir dev 0755\nnod dev/x 0600 p 1 1\n", -EPX_E_IS_MODE, 2, 0 },
	{ "nod type word", "dir dev 0755\nnod dev/x 0600 char 1 1\n", -EPX_E_IS_MODE, 2, 0 },
	{ "nod major too big", "dir dev 0755\nnod dev/x 0600 c 4096 1\n", -EPX_E_IS_MODE, 2, 0 },
	{ "nod minor not number", "dir dev 0755\nnod dev/x 0600 c 1 x\n", -EPX_E_IS_MODE, 2, 0 },
	{ "nod leading zero", "dir dev 0755\nnod dev/x 0600 c 01 1\n", -EPX_E_IS_MODE, 2, 0 },
	{ "nod negative", "dir dev 0755\nnod dev/x 0600 c -1 1\n", -EPX_E_IS_MODE, 2, 0 },
	{ "duplicate path", BASE "dir bin 0755\n", -EPX_E_IS_DUPLICATE, 2, 0 },
	{ "duplicate file", BASE "file bin/a x 0644\nfile bin/a y 0644\n", -EPX_E_IS_DUPLICATE, 3, 0 },
	{ "dir and file same path", "dir a 0755\nfile a x 0644\n", -EPX_E_IS_DUPLICATE, 2, 0 },
	{ "missing parent", "file bin/busybox x 0755\n", -EPX_E_IS_PARENT, 1, 0 },
	{ "missing grandparent", "dir a/b 0755\n", -EPX_E_IS_PARENT, 1, 0 },
	{ "parent is a file", "file a x 0644\nfile a/b x 0644\n", -EPX_E_IS_PARENT, 2, 0 },
	{ "parent is a symlink", "slink a b 0777\nfile a/b x 0644\n", -EPX_E_IS_PARENT, 2, 0 },
	{ "empty source", "file a  0644\n", -EPX_E_IS_SYNTAX, 1, 0 },
	/* hard links: to a file entry of the spec, by its path */
	{ "hlink", BASE "file bin/a x 0755\nhlink bin/b bin/a\n", 0, 0, 3 },
	{ "hlink sorting before its file", BASE "file bin/b x 0755\nhlink bin/a bin/b\n", 0, 0, 3 },
	{ "two hlinks to one file", BASE "file bin/a x 0755\nhlink bin/b bin/a\nhlink bin/c bin/a\n",
	  0, 0, 4 },
	{ "hlink to a missing entry", BASE "hlink bin/b bin/a\n", -EPX_E_IS_LINK, 2, 0 },
	{ "hlink to a dir", BASE "dir d 0755\nhlink bin/b d\n", -EPX_E_IS_LINK, 3, 0 },
	{ "hlink to a symlink", BASE "slink bin/a x 0777\nhlink bin/b bin/a\n", -EPX_E_IS_LINK, 3, 0 },
	{ "hlink to a node", "dir dev 0755\nnod dev/a 0600 c 1 3\nhlink dev/b dev/a\n",
	  -EPX_E_IS_LINK, 3, 0 },
	{ "hlink to an hlink", BASE "file bin/a x 0755\nhlink bin/b bin/a\nhlink bin/c bin/b\n",
	  -EPX_E_IS_LINK, 4, 0 },
	{ "hlink to itself", BASE "hlink bin/b bin/b\n", -EPX_E_IS_LINK, 2, 0 },
	{ "hlink target absolute", BASE "file bin/a x 0755\nhlink bin/b /bin/a\n", -EPX_E_IS_PATH, 3, 0 },
	{ "hlink target with ..", BASE "file bin/a x 0755\nhlink bin/b bin/../bin/a\n",
	  -EPX_E_IS_PATH, 3, 0 },
	{ "hlink with a mode", BASE "file bin/a x 0755\nhlink bin/b bin/a 0755\n", -EPX_E_IS_SYNTAX, 3, 0 },
	{ "hlink missing target", BASE "hlink bin/b\n", -EPX_E_IS_SYNTAX, 2, 0 },
	{ "hlink missing parent", BASE "file bin/a x 0755\nhlink sbin/a bin/a\n", -EPX_E_IS_PARENT, 3, 0 },
	{ "hlink path taken", BASE "file bin/a x 0755\nhlink bin/a bin/a\n", -EPX_E_IS_DUPLICATE, 3, 0 },
};

static void test_parse_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct initspec spec;
		unsigned int line = 99;
		/* sizeof-1 would stop at an embedded NUL test; use strlen+tail */
		const char *s = parse_cases[i].spec;
		size_t len = strlen(s);
		int rc;

		if (strcmp(parse_cases[i].name, "NUL in line") == 0)
			len = 14;
		rc = initspec_parse(s, len, &spec, &line);
		ok(rc == parse_cases[i].rc, "parse: %s (rc %d, want %d)",
		   parse_cases[i].name, rc, parse_cases[i].rc);
		if (rc == 0)
			ok(spec.n == parse_cases[i].n, "parse: %s: %zu entries",
			   parse_cases[i].name, spec.n);
		else if (parse_cases[i].line != 0)
			ok(line == parse_cases[i].line, "parse: %s: line %u (want %u)",
			   parse_cases[i].name, line, parse_cases[i].line);
		initspec_free(&spec);
	}
}

static void test_caps(void)
{
	struct initspec spec;
	unsigned int line;
	size_t i, len;
	char *big;

	/* a spec over INITSPEC_MAX_BYTES */
	big = malloc(INITSPEC_MAX_BYTES + 2);
	memset(big, '#', INITSPEC_MAX_BYTES + 1);
	ok(initspec_parse(big, INITSPEC_MAX_BYTES + 1, &spec, &line) == -EPX_E_IS_TOOBIG,
	   "cap: spec of INITSPEC_MAX_BYTES + 1 refused");
	initspec_free(&spec);
	/* one line over INITSPEC_MAX_LINE */
	ok(initspec_parse(big, INITSPEC_MAX_LINE + 1, &spec, &line) == -EPX_E_IS_TOOBIG,
	   "cap: line of INITSPEC_MAX_LINE + 1 refused");
	initspec_free(&spec);
	ok(initspec_parse(big, INITSPEC_MAX_LINE, &spec, &line) == 0,
	   "cap: line of INITSPEC_MAX_LINE accepted");
	initspec_free(&spec);
	/* too many entries */
	len = 0;
	for (i = 0; i <= INITSPEC_MAX_ENTRIES; i++)
		len += (size_t)sprintf(big + len, "dir d%zu 0755\n", i);
	ok(initspec_parse(big, len, &spec, &line) == -EPX_E_IS_TOOBIG,
	   "cap: INITSPEC_MAX_ENTRIES + 1 entries refused (line %u)", line);
	initspec_free(&spec);
	len -= strlen("dir d4096 0755\n");
	ok(initspec_parse(big, len, &spec, &line) == 0 &&
	   spec.n == INITSPEC_MAX_ENTRIES, "cap: INITSPEC_MAX_ENTRIES entries accepted");
	initspec_free(&spec);
	free(big);
}

static const struct {
	const char *path;
	int ok;
} path_cases[] = {
	{ "a", 1 }, { "a/b", 1 }, { "init", 1 }, { "etc/epoxy/ca.pem", 1 },
	{ "", 0 }, { "/", 0 }, { "/a", 0 }, { "a/", 0 }, { "a//b", 0 },
	{ ".", 0 }, { "..", 0 }, { "a/.", 0 }, { "a/..", 0 }, { "./a", 0 },
	{ "a b", 0 }, { "a\tb", 0 }, { "a\x01b", 0 }, { "a:b", 0 }, { "~a", 0 },
	{ "..a", 1 }, { ".a.", 1 },
};

static void test_paths(void)
{
	char buf[INITSPEC_MAX_PATH + 2];
	size_t i;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++)
		ok((initspec_check_path(path_cases[i].path) == 0) == path_cases[i].ok,
		   "path '%s' %s", path_cases[i].path,
		   path_cases[i].ok ? "valid" : "invalid");
	memset(buf, 'a', INITSPEC_MAX_COMPONENT + 1);
	buf[INITSPEC_MAX_COMPONENT + 1] = '\0';
	ok(initspec_check_path(buf) < 0, "path: component over 255 bytes invalid");
	buf[INITSPEC_MAX_COMPONENT] = '\0';
	ok(initspec_check_path(buf) == 0, "path: component of 255 bytes valid");
	for (i = 0; i < INITSPEC_MAX_PATH + 1; i++)
		buf[i] = (i % 2) ? '/' : 'a';
	buf[INITSPEC_MAX_PATH + 1] = '\0';
	ok(initspec_check_path(buf) < 0, "path: over INITSPEC_MAX_PATH invalid");
	strcpy(buf, "a");
	for (i = 1; i < INITSPEC_MAX_DEPTH + 1; i++)
		strcat(buf, "/a");
	ok(initspec_check_path(buf) < 0, "path: depth %d invalid", INITSPEC_MAX_DEPTH + 1);
	buf[strlen(buf) - 2] = '\0';
	ok(initspec_check_path(buf) == 0, "path: depth %d valid", INITSPEC_MAX_DEPTH);
}

/* ------------------------------------------------------------ writer */

static char tmpdir[64];

static void put(const char *name, const char *content)
{
	char p[128];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
}

static int build(const char *text, const char *out, enum cpio_compress c,
		 uint64_t mtime, struct cpio_stats *st)
{
	struct initspec spec;
	unsigned int line;
	int rc = initspec_parse(text, strlen(text), &spec, &line);

	if (rc == 0)
		rc = cpio_write(&spec, tmpdir, out, c, mtime, st, NULL);
	initspec_free(&spec);
	return rc;
}

static int same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = test_slurp(a, &la), *y = test_slurp(b, &lb);
	int same = la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

static const char wspec[] =
	"file init init.sh 0755\n"
	"dir etc 0755\n"
	"dir dev 0755\n"
	"nod dev/console 0600 c 5 1\n"
	"slink bin busybox-dir 0777\n"
	"file etc/floor floor 0644\n"
	"dir busybox-dir 0755\n";

/* Reads the archive back and checks order, owners, times, types, data. */
static void check_readback(const char *path, uint64_t mtime, const char *what)
{
	/* sorted bytewise */
	static const char *const want[] = { "bin", "busybox-dir", "dev",
					    "dev/console", "etc", "etc/floor",
					    "init" };
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	size_t i = 0, bad_owner = 0, bad_time = 0, bad_order = 0;
	char data[64];

	archive_read_support_format_cpio(a);
	archive_read_support_filter_all(a);
	ok(archive_read_open_filename(a, path, 4096) == ARCHIVE_OK, "%s: opens", what);
	while (archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae);

		if (i >= 7 || strcmp(name, want[i]) != 0)
			bad_order++;
		if (archive_entry_uid(ae) != 0 || archive_entry_gid(ae) != 0)
			bad_owner++;
		if ((uint64_t)archive_entry_mtime(ae) != mtime)
			bad_time++;
		if (strcmp(name, "etc/floor") == 0) {
			ssize_t n = archive_read_data(a, data, sizeof(data) - 1);

			data[n > 0 ? n : 0] = '\0';
			ok(strcmp(data, "7\n") == 0, "%s: file data intact", what);
			ok(archive_entry_perm(ae) == 0644, "%s: file mode 0644", what);
		}
		if (strcmp(name, "dev/console") == 0)
			ok(archive_entry_filetype(ae) == AE_IFCHR &&
			   archive_entry_rdevmajor(ae) == 5 &&
			   archive_entry_rdevminor(ae) == 1,
			   "%s: char device 5:1", what);
		if (strcmp(name, "bin") == 0)
			ok(archive_entry_filetype(ae) == AE_IFLNK &&
			   strcmp(archive_entry_symlink(ae), "busybox-dir") == 0,
			   "%s: symlink target", what);
		i++;
	}
	ok(i == 7 && bad_order == 0, "%s: 7 entries in sorted order", what);
	ok(bad_owner == 0, "%s: every owner 0:0", what);
	ok(bad_time == 0, "%s: every mtime %llu", what, (unsigned long long)mtime);
	archive_read_free(a);
}

static void test_writer(void)
{
	char o1[128], o2[128], o3[128], oz[128], on[128];
	struct cpio_stats st;
	struct stat sb;
	int rc;

	strcpy(tmpdir, "/tmp/test_mkinitramfs.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	put("init.sh", "#!/bin/sh\necho hi\n");
	put("floor", "7\n");
	snprintf(o1, sizeof(o1), "%s/a.gz", tmpdir);
	snprintf(o2, sizeof(o2), "%s/b.gz", tmpdir);
	snprintf(o3, sizeof(o3), "%s/c.gz", tmpdir);
	snprintf(oz, sizeof(oz), "%s/a.zst", tmpdir);
	snprintf(on, sizeof(on), "%s/a.cpio", tmpdir);

	rc = build(wspec, o1, CPIO_GZIP, 1700000000, &st);
	ok(rc == 0, "write gzip (rc %d)", rc);
	ok(st.entries == 7 && st.raw_bytes > 0 && st.out_bytes > 0,
	   "stats: 7 entries, %llu raw, %llu out", (unsigned long long)st.raw_bytes,
	   (unsigned long long)st.out_bytes);
	ok(st.out_bytes % 4 == 0, "output padded to 4 bytes (%llu)",
	   (unsigned long long)st.out_bytes);
	check_readback(o1, 1700000000, "gzip");
	sleep(1);	/* a time stamp leaking into the output would differ now */
	ok(build(wspec, o2, CPIO_GZIP, 1700000000, NULL) == 0, "write gzip again");
	ok(same_file(o1, o2), "two gzip builds are byte-identical");
	ok(build(wspec, o3, CPIO_GZIP, 1700000001, NULL) == 0 && !same_file(o1, o3),
	   "another mtime gives other bytes");
	ok(build(wspec, oz, CPIO_ZSTD, 5, NULL) == 0, "write zstd");
	check_readback(oz, 5, "zstd");
	ok(build(wspec, on, CPIO_NONE, 5, &st) == 0, "write uncompressed");
	check_readback(on, 5, "none");
	ok(stat(on, &sb) == 0 && (uint64_t)sb.st_size == st.raw_bytes &&
	   sb.st_size % 4 == 0, "uncompressed size equals the cpio size");
	{
		size_t len;
		char *raw = test_slurp(on, &len);

		ok(len > 6 && memcmp(raw, "070701", 6) == 0, "newc magic 070701");
		ok(memmem(raw, len, "TRAILER!!!", 10) != NULL, "newc trailer present");
		free(raw);
	}

	/* failures leave the old output in place */
	ok(build("file a missing-source 0644\n", o1, CPIO_GZIP, 0, NULL) == -EPX_E_IS_SOURCE,
	   "missing source refused");
	ok(build("file a . 0644\n", o1, CPIO_GZIP, 0, NULL) == -EPX_E_IS_SOURCE,
	   "directory as source refused");
	ok(build("file a /dev/null 0644\n", o1, CPIO_GZIP, 0, NULL) == -EPX_E_IS_SOURCE,
	   "device as source refused");
	ok(same_file(o1, o2), "failed builds left the output untouched");
	ok(build("dir a 0755\n", o3, CPIO_GZIP, CPIO_MAX_MTIME + 1, NULL) == -EINVAL,
	   "mtime over 32 bits refused");
	{
		struct initspec spec;
		unsigned int line;
		char bad[200];

		snprintf(bad, sizeof(bad), "%s/no/such/dir/out", tmpdir);
		initspec_parse("dir a 0755\n", 11, &spec, &line);
		ok(cpio_write(&spec, tmpdir, bad, CPIO_NONE, 0, NULL, NULL) == -ENOENT,
		   "unwritable output directory refused");
		initspec_free(&spec);
	}
	{
		enum cpio_compress c;

		ok(cpio_compress_parse("gzip", &c) == 0 && c == CPIO_GZIP, "parse gzip");
		ok(cpio_compress_parse("zstd", &c) == 0 && c == CPIO_ZSTD, "parse zstd");
		ok(cpio_compress_parse("none", &c) == 0 && c == CPIO_NONE, "parse none");
		ok(cpio_compress_parse("xz", &c) == -EINVAL, "xz refused");
		ok(cpio_compress_parse("", &c) == -EINVAL, "empty refused");
	}
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			ok(0, "cleanup");
	}
}

/* A file and two hard links: one inode, three names, the bytes once (with
 * the last name), every name with the file's mode. */
static void test_hlinks(void)
{
	static const char spec[] =
		"dir bin 0755\n"
		"file bin/b big 0750\n"
		"hlink bin/a bin/b\n"
		"hlink bin/c bin/b\n"
		"file bin/d floor 0644\n";
	static const char *const want[] = { "bin", "bin/a", "bin/b", "bin/c", "bin/d" };
	char dir[] = "/tmp/test_mkinitramfs_hl.XXXXXX", out[128], one[128];
	struct archive *a;
	struct archive_entry *ae;
	int64_t ino_b = -1, ino[5] = { 0 };
	int64_t size[5] = { 0 };
	unsigned int nlink[5] = { 0 }, mode[5] = { 0 };
	size_t i = 0, n, big_len = 100000;
	char *big = malloc(big_len), *got = malloc(big_len + 1);
	struct stat sb1, sb2;

	if (mkdtemp(dir) == NULL || big == NULL || got == NULL) {
		ok(0, "hlinks: set-up");
		goto out;
	}
	strcpy(tmpdir, dir);
	for (n = 0; n < big_len; n++)
		big[n] = (char)('a' + (n * 7919) % 26);
	{
		char p[160];
		FILE *f;

		snprintf(p, sizeof(p), "%s/big", tmpdir);
		f = fopen(p, "w");
		fwrite(big, 1, big_len, f);
		fclose(f);
	}
	put("floor", "7\n");
	snprintf(out, sizeof(out), "%s/h.cpio", tmpdir);
	snprintf(one, sizeof(one), "%s/one.cpio", tmpdir);
	ok(build(spec, out, CPIO_NONE, 5, NULL) == 0, "hlinks: written");
	ok(build("dir bin 0755\nfile bin/b big 0750\nfile bin/d floor 0644\n", one, CPIO_NONE, 5,
		 NULL) == 0, "hlinks: the same without the links written");
	ok(stat(out, &sb1) == 0 && stat(one, &sb2) == 0 && sb1.st_size < sb2.st_size + 1024,
	   "hlinks: two more names cost %lld bytes, not the file's %zu again",
	   (long long)(sb1.st_size - sb2.st_size), big_len);
	a = archive_read_new();
	archive_read_support_format_cpio(a);
	ok(archive_read_open_filename(a, out, 4096) == ARCHIVE_OK, "hlinks: opens");
	while (i < 5 && archive_read_next_header(a, &ae) == ARCHIVE_OK) {
		ok(strcmp(archive_entry_pathname(ae), want[i]) == 0, "hlinks: entry %zu is %s",
		   i, want[i]);
		ino[i] = archive_entry_ino64(ae);
		size[i] = archive_entry_size(ae);
		nlink[i] = archive_entry_nlink(ae);
		mode[i] = archive_entry_perm(ae);
		if (archive_entry_filetype(ae) == AE_IFREG && size[i] == (int64_t)big_len) {
			ssize_t r = archive_read_data(a, got, big_len + 1);

			ok(r == (ssize_t)big_len && memcmp(got, big, big_len) == 0,
			   "hlinks: %s carries the file's bytes", want[i]);
		}
		i++;
	}
	archive_read_free(a);
	ino_b = ino[2];
	ok(i == 5, "hlinks: five entries");
	ok(ino[1] == ino_b && ino[3] == ino_b && ino[4] != ino_b && ino[0] != ino_b,
	   "hlinks: bin/a, bin/b and bin/c share one inode number, bin/d has its own");
	ok(nlink[1] == 3 && nlink[2] == 3 && nlink[3] == 3 && nlink[4] == 1,
	   "hlinks: nlink 3 on each name, 1 on the plain file");
	ok(size[1] == 0 && size[2] == 0 && size[3] == (int64_t)big_len,
	   "hlinks: only the last name (bin/c) carries the bytes");
	ok(mode[1] == 0750 && mode[2] == 0750 && mode[3] == 0750,
	   "hlinks: every name has the file's mode 0750");
	/* a missing source is named by its file entry, not by the link
	 * that would have carried the bytes */
	{
		struct initspec sp;
		unsigned int line;
		const char *failed = NULL;
		static const char bad[] = "dir bin 0755\nfile bin/b no-such-source 0755\nhlink bin/c bin/b\n";
		int rc = initspec_parse(bad, strlen(bad), &sp, &line);

		if (rc == 0)
			rc = cpio_write(&sp, tmpdir, out, CPIO_NONE, 5, NULL, &failed);
		ok(rc == -EPX_E_IS_SOURCE && failed != NULL && strcmp(failed, "bin/b") == 0,
		   "hlinks: a missing source is the file entry's (rc %d, '%s')", rc,
		   failed ? failed : "(none)");
		initspec_free(&sp);
	}
	/* GNU cpio, as another newc reader: one inode, the bytes intact */
	{
		char cmd[512], p[160];
		size_t len = 0;
		char *x;

		snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir x && cd x && cpio -idm --quiet <../h.cpio",
			 tmpdir);
		ok(system(cmd) == 0, "hlinks: GNU cpio unpacks the archive");
		snprintf(p, sizeof(p), "%s/x/bin/a", tmpdir);
		x = test_slurp(p, &len);
		ok(x != NULL && len == big_len && memcmp(x, big, big_len) == 0,
		   "hlinks: bin/a unpacked has the file's bytes");
		free(x);
		snprintf(p, sizeof(p), "%s/x/bin/a", tmpdir);
		ok(stat(p, &sb1) == 0 && sb1.st_nlink == 3, "hlinks: bin/a unpacked with 3 links");
		snprintf(p, sizeof(p), "%s/x/bin/c", tmpdir);
		ok(stat(p, &sb2) == 0 && sb2.st_ino == sb1.st_ino, "hlinks: bin/c is the same inode");
	}
	{
		char cmd[200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			ok(0, "hlinks: cleanup");
	}
out:
	free(big);
	free(got);
}

int main(void)
{
	test_parse_table();
	test_caps();
	test_paths();
	test_writer();
	test_hlinks();
	return test_done();
}
