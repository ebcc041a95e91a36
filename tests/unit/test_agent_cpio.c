/* Table tests of the handover archive (cpio newc writer and reader, the
 * appended archive as the kernel would see it), the production command
 * line builder and the kexec recorder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "stage2/handover.h"
#include "stage2/kexec.h"
#include "stage2/newc.h"
#include "tests/test.h"

static size_t fd_read(int fd, uint8_t *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap, 0);

	return n > 0 ? (size_t)n : 0;
}

static void test_roundtrip(void)
{
	static uint8_t buf[1 << 16];
	static const size_t prefixes[] = { 0, 1, 2, 3, 4, 5, 1000, 1001 };
	struct handover h, g;
	struct newc_entry e;
	size_t i, n;

	memset(&h, 0, sizeof(h));
	strcpy(h.host, "node1");
	strcpy(h.session, "0123456789abcdef");
	strcpy(h.server, "epoxy.test");
	strcpy(h.addr, "10.0.2.100");
	h.port = 8443;
	memset(h.joincred, 0xaa, 32);
	memset(h.report, 0xbb, 32);
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		int fd = memfd_create("t", 0);
		uint64_t off = prefixes[i];
		uint8_t pre[1001];

		memset(pre, 0x5a, sizeof(pre));
		ok(fd >= 0 && pwrite(fd, pre, prefixes[i], 0) == (ssize_t)prefixes[i],
		   "prefix %zu written", prefixes[i]);
		ok(handover_append(fd, &off, &h, "epoxy-manifest 1\n", 17, "#!/bin/sh\n", 10) == 0,
		   "append after %zu bytes", prefixes[i]);
		n = fd_read(fd, buf, sizeof(buf));
		ok(n == off && off % 4 == 0, "archive ends 4-aligned (%zu)", n);
		ok(memcmp(buf, pre, prefixes[i]) == 0, "verified prefix untouched");
		{
			size_t start = (prefixes[i] + 3) & ~(size_t)3;

			ok(newc_find(buf + start, n - start, HANDOVER_PATH, &e) == 0 &&
			   (e.mode & 0777) == 0600 && S_ISREG(e.mode),
			   "handover entry is a 0600 file");
			ok(handover_parse(&g, (const char *)e.data, e.len) == 0 &&
			   memcmp(&g, &h, sizeof(h)) == 0, "handover round trip");
			ok(newc_find(buf + start, n - start, HANDOVER_MANIFEST_PATH, &e) == 0 &&
			   e.len == 17, "manifest entry");
			ok(newc_find(buf + start, n - start, HANDOVER_JOIN_PATH, &e) == 0 &&
			   e.len == 10 && (e.mode & 0777) == 0700, "join entry executable");
			ok(newc_find(buf + start, n - start, "run/epoxy", &e) == 0 &&
			   S_ISDIR(e.mode), "directory entries");
		}
		close(fd);
	}
}

/* malformed archives */
static void test_reader(void)
{
	static uint8_t good[4096], bad[4096];
	struct newc_out w;
	struct newc_entry e;
	size_t n, pos;
	int fd = memfd_create("t", 0), rc;
	static const struct {
		size_t off;
		uint8_t val;
		const char *what;
	} flips[] = {
		{ 0, '1', "magic" }, { 5, '2', "magic digit" }, { 6 + 8, 'g', "mode digit" },
		{ 6 + 8 * 6, 'F', "file size huge" }, { 6 + 8 * 11 + 7, '0', "name size 0" },
		{ 6 + 8 * 11, 'F', "name size huge" }, { 110 + 3, 0, "NUL inside name" },
		{ 110 + 4, 'x', "name not NUL-terminated" },
	};
	size_t i;

	memset(&w, 0, sizeof(w));
	w.fd = fd;
	ok(newc_add(&w, "abcd", S_IFREG | 0644, "data", 4) == 0 && newc_trailer(&w) == 0,
	   "small archive written");
	n = fd_read(fd, good, sizeof(good));
	pos = 0;
	ok(newc_next(good, n, &pos, &e) == 1 && strcmp(e.name, "abcd") == 0 && e.len == 4 &&
	   memcmp(e.data, "data", 4) == 0, "entry read back");
	ok(newc_next(good, n, &pos, &e) == 0, "trailer read back");
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(bad, good, n);
		bad[flips[i].off] = flips[i].val;
		pos = 0;
		rc = newc_next(bad, n, &pos, &e);
		ok(rc == -EPX_E_CPIO, "malformed: %s -> %d", flips[i].what, rc);
	}
	for (i = 0; i < n; i += 7) {
		pos = 0;
		rc = newc_next(good, i, &pos, &e);
		ok(rc == -EPX_E_CPIO || (rc == 1 && pos <= i), "truncated at %zu", i);
	}
	ok(newc_find(good, n, "nothere", &e) == -ENOENT, "missing name");
	ok(newc_add(&w, "d", S_IFDIR | 0755, "x", 1) == -EINVAL, "directory with data refused");
	{
		char longname[NEWC_NAME_MAX + 2];

		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = 0;
		ok(newc_add(&w, longname, S_IFREG | 0644, NULL, 0) == -EINVAL, "long name refused");
	}
	close(fd);
}

static const struct {
	const char *art;
	int rc;
	const char *want;
} cl_cases[] = {
	{ "console=ttyS0 quiet\n", 0, "console=ttyS0 quiet epoxy.stage=2 epoxy.session=0123456789abcdef" },
	{ "console=ttyS0", 0, "console=ttyS0 epoxy.stage=2 epoxy.session=0123456789abcdef" },
	{ "", 0, "epoxy.stage=2 epoxy.session=0123456789abcdef" },
	{ "\n", 0, "epoxy.stage=2 epoxy.session=0123456789abcdef" },
	{ "a\nb", -EPX_E_KEXEC_CMDLINE, 0 },
	{ "a\n\n", -EPX_E_KEXEC_CMDLINE, 0 },
	{ "a\tb", -EPX_E_KEXEC_CMDLINE, 0 },
	{ "a\x7f", -EPX_E_KEXEC_CMDLINE, 0 },
	{ "a\rb", -EPX_E_KEXEC_CMDLINE, 0 },
};

static void test_cmdline(void)
{
	char out[KEXEC_CMDLINE_MAX + 64], *big;
	size_t i;

	for (i = 0; i < sizeof(cl_cases) / sizeof(cl_cases[0]); i++) {
		int rc = kexec_cmdline(out, sizeof(out), cl_cases[i].art,
				       strlen(cl_cases[i].art), "0123456789abcdef");

		ok(rc == cl_cases[i].rc && (rc < 0 || strcmp(out, cl_cases[i].want) == 0),
		   "production cmdline case %zu", i);
	}
	ok(kexec_cmdline(out, sizeof(out), "a\0b", 3, "0123456789abcdef") == -EPX_E_KEXEC_CMDLINE,
	   "NUL in cmdline refused");
	big = malloc(KEXEC_CMDLINE_MAX);
	memset(big, 'a', KEXEC_CMDLINE_MAX);
	ok(kexec_cmdline(out, sizeof(out), big, KEXEC_CMDLINE_MAX, "0123456789abcdef") ==
	   -EPX_E_KEXEC_CMDLINE, "cmdline over cap with the session parameter");
	ok(kexec_cmdline(out, sizeof(out), big, KEXEC_CMDLINE_MAX - 60, "0123456789abcdef") == 0,
	   "cmdline just under cap");
	free(big);
}

static void test_record(void)
{
	char dir[] = "/tmp/epoxy-kexec-rec.XXXXXX", path[256];
	uint8_t buf[64];
	int k = memfd_create("k", 0), i = memfd_create("i", 0), fd;
	ssize_t n;

	ok(mkdtemp(dir) != NULL, "record dir");
	ok(write(k, "KERNEL", 6) == 6 && write(i, "INITRD", 6) == 6, "fds written");
	ok(kexec_load(k, i, "console=ttyS0 epoxy.stage=2", dir) == 0, "recorded load");
	snprintf(path, sizeof(path), "%s/kernel", dir);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf));
	ok(n == 6 && memcmp(buf, "KERNEL", 6) == 0, "kernel bytes recorded");
	close(fd);
	snprintf(path, sizeof(path), "%s/exec", dir);
	ok(access(path, F_OK) < 0, "no exec before kexec_exec");
	ok(kexec_exec(dir) == 0 && access(path, F_OK) == 0, "exec recorded");
	ok(kexec_load(k, i, "x", "/nonexistent/dir") == -EPX_E_KEXEC_RECORD, "bad record dir");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	ok(system(path) == 0, "cleanup");
	close(k);
	close(i);
}

/* lib/file.h's positional write, which the archive writer and the
 * download use: bytes land at the offset, nothing else moves, the count
 * is exact, and a descriptor that cannot write is its errno, counting 0 */
static void test_pwrite_all(void)
{
	static const struct { uint64_t off; size_t n; } rows[] = {
		{ 0, 0 }, { 0, 1 }, { 0, 4096 }, { 3, 5 }, { 4095, 2 }, { 1 << 20, 100 },
		{ (uint64_t)1 << 32, 7 },
	};
	static uint8_t src[4096], back[4096];
	size_t i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int fd = memfd_create("pw", 0);
		uint64_t done = 11;
		int rc = file_pwrite_all(fd, src, rows[i].n, rows[i].off, &done);

		ok(rc == 0 && done == 11 + rows[i].n && lseek(fd, 0, SEEK_CUR) == 0 &&
		   pread(fd, back, rows[i].n, (off_t)rows[i].off) == (ssize_t)rows[i].n &&
		   memcmp(back, src, rows[i].n) == 0,
		   "pwrite_all %zu bytes at %llu: rc %d, counted %llu", rows[i].n,
		   (unsigned long long)rows[i].off, rc, (unsigned long long)(done - 11));
		close(fd);
	}
	{
		uint64_t done = 0;
		int fd = open("/dev/null", O_RDONLY);

		ok(file_pwrite_all(fd, src, 10, 0, &done) == -EBADF && done == 0,
		   "pwrite_all to a read-only descriptor: -EBADF, nothing counted");
		close(fd);
		ok(file_pwrite_all(fd, src, 10, 0, NULL) == -EBADF, "pwrite_all to a closed descriptor: -EBADF");
	}
}

int main(void)
{
	test_pwrite_all();
	test_roundtrip();
	test_reader();
	test_cmdline();
	test_record();
	return test_done();
}
