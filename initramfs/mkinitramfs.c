/* epoxy-mkinitramfs: build a reproducible initramfs from a spec file.
 *
 * Reads the spec (initspec.h: dir/file/slink/nod lines), writes a cpio
 * newc archive whose entries are sorted, owned by 0:0 and dated
 * SOURCE_DATE_EPOCH, compresses it without time stamps, and prints the
 * sizes.  Two runs over the same spec and sources give the same bytes.
 * Any error names the spec line or entry and its stable EPOXY code; the
 * output file is then left untouched. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs/cpio.h"
#include "initramfs/initspec.h"
#include "lib/err.h"
#include "lib/num.h"

static const char usage[] =
	"usage: epoxy-mkinitramfs [-r ROOT] [-c gzip|zstd|none] [-t MTIME] -o OUT SPEC\n"
	"\n"
	"Builds a reproducible cpio newc initramfs from SPEC (one entry a line):\n"
	"  dir   PATH MODE\n"
	"  file  PATH SOURCE MODE\n"
	"  slink PATH TARGET MODE\n"
	"  nod   PATH MODE c|b MAJOR MINOR\n"
	"  hlink PATH FILE      (a hard link to the file entry FILE)\n"
	"PATH is relative (no leading '/'); MODE is octal; every parent of PATH\n"
	"must be declared as a dir.  Entries are sorted, owned by 0:0, dated\n"
	"MTIME (default: $SOURCE_DATE_EPOCH, else 0).\n"
	"\n"
	"  -o OUT     output file (written atomically)\n"
	"  -r ROOT    directory relative SOURCEs are taken from (default: .)\n"
	"  -c COMP    compression: gzip (default), zstd or none\n"
	"  -t MTIME   time stamp of every entry (unix seconds)\n"
	"  -q         do not print the sizes\n"
	"  -h, --help this help\n";

#define SPEC_READ_CAP (INITSPEC_MAX_BYTES + 1)

static int mkinitramfs_parse_u64(const char *s, uint64_t *out)
{
	return num_str_u64(s, CPIO_MAX_MTIME, out);
}

/* Reads at most SPEC_READ_CAP bytes; a longer file fails the cap check in
 * initspec_parse. */
static int mkinitramfs_read_spec(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = -errno;
	size_t n = 0;

	*buf = NULL;
	if (fd < 0)
		return rc;
	rc = -ENOMEM;
	*buf = malloc(SPEC_READ_CAP);
	if (*buf == NULL)
		goto out;
	while (n < SPEC_READ_CAP) {
		ssize_t got = read(fd, *buf + n, SPEC_READ_CAP - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*len = n;
	rc = 0;
out:
	close(fd);
	if (rc < 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

static void mkinitramfs_die_rc(int rc, const char *what, const char *where)
{
	char code[16];

	fprintf(stderr, "epoxy-mkinitramfs: %s: %s%s%s (%s)\n", what,
		where ? where : "", where ? ": " : "", epx_strerror(rc),
		epx_code(rc, code, sizeof(code)));
	exit(1);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *root = NULL, *failed = NULL;
	enum cpio_compress comp = CPIO_GZIP;
	uint64_t mtime = 0;
	int quiet = 0, c, rc;
	struct initspec spec;
	struct cpio_stats st;
	unsigned int line = 0;
	char *text = NULL, where[64];
	size_t len = 0;

	if (getenv("SOURCE_DATE_EPOCH") != NULL &&
	    mkinitramfs_parse_u64(getenv("SOURCE_DATE_EPOCH"), &mtime) < 0)
		mkinitramfs_die_rc(-EINVAL, "SOURCE_DATE_EPOCH", "not unix seconds");
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	while ((c = getopt(argc, argv, "o:r:c:t:qh")) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'r': root = optarg; break;
		case 'c':
			if (cpio_compress_parse(optarg, &comp) < 0)
				mkinitramfs_die_rc(-EINVAL, "-c", optarg);
			break;
		case 't':
			if (mkinitramfs_parse_u64(optarg, &mtime) < 0)
				mkinitramfs_die_rc(-EINVAL, "-t", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (out == NULL || optind != argc - 1) {
		fputs(usage, stderr);
		return 2;
	}
	rc = mkinitramfs_read_spec(argv[optind], &text, &len);
	if (rc < 0)
		mkinitramfs_die_rc(rc, "cannot read spec", argv[optind]);
	rc = initspec_parse(text, len, &spec, &line);
	if (rc < 0) {
		snprintf(where, sizeof(where), "line %u", line);
		mkinitramfs_die_rc(rc, argv[optind], where);
	}
	rc = cpio_write(&spec, root, out, comp, mtime, &st, &failed);
	if (rc < 0)
		mkinitramfs_die_rc(rc, out, failed);
	if (!quiet)
		printf("%s: %" PRIu64 " entries, cpio %" PRIu64
		       " bytes, written %" PRIu64 " bytes\n",
		       out, st.entries, st.raw_bytes, st.out_bytes);
	initspec_free(&spec);
	free(text);
	return 0;
}
