/* fuzz_nmimage: the checks of a slice image's entries (nmimage_check,
 * node/nm/nmimage.h) on any path, type, mode and link targets.  Input:
 * byte 0 picks the type, bytes 1-2 the mode, then path NUL symlink NUL
 * hardlink (an absent part: NULL).  An accepted entry's clean path is
 * relative, has no "..", ".", or empty component, fits its cap, and the
 * entry has no setuid or setgid bit and is a file, directory or link. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/err.h"
#include "node/nm/nmimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned fuzz_types[] = { S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO,
				       S_IFSOCK, 0 };

static void fuzz_clean_ok(const char *c)
{
	const char *p = c;
	size_t n;

	if (strlen(c) > NMIMAGE_NAME_MAX || c[0] == '/')
		abort();
	while (*p) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') ||
		    n > NMIMAGE_COMP_MAX)
			abort();
		p += n + (p[n] == '/');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *part[3] = { NULL, NULL, NULL }, *clean, *hl;
	struct nmimage_entry e;
	size_t i, k = 0, start = 3;
	int rc;

	if (size < 3 || size > 3 * (NMIMAGE_NAME_MAX + 64))
		return 0;
	buf = malloc(size + 1);
	clean = malloc(2 * (NMIMAGE_NAME_MAX + 1));
	if (!buf || !clean)
		abort();
	hl = clean + NMIMAGE_NAME_MAX + 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 3; i <= size && k < 3; i++)
		if (i == size || buf[i] == '\0') {
			buf[i] = '\0';
			part[k++] = buf + start;
			start = i + 1;
		}
	e.type = fuzz_types[data[0] % (sizeof(fuzz_types) / sizeof(fuzz_types[0]))];
	e.mode = ((unsigned)data[1] << 8 | data[2]) & 07777;
	e.path = part[0];
	e.symlink = part[1] && part[1][0] ? part[1] : NULL;
	e.hardlink = part[2] && part[2][0] ? part[2] : NULL;
	rc = nmimage_check(&e, clean, hl);
	if (rc == 0) {
		fuzz_clean_ok(clean);
		if (e.hardlink)
			fuzz_clean_ok(hl);
		if (e.mode & (S_ISUID | S_ISGID))
			abort();
		if (!e.hardlink && e.type != S_IFREG && e.type != S_IFDIR && e.type != S_IFLNK)
			abort();
		if (e.type == S_IFLNK && !e.hardlink && (!e.symlink || !clean[0]))
			abort();
	} else if (rc != -EPX_E_NM_IMG_PATH && rc != -EPX_E_NM_IMG_LINK &&
		   rc != -EPX_E_NM_IMG_TYPE) {
		abort();
	}
	free(buf);
	free(clean);
	return 0;
}
