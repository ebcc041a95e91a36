/* newc: cpio newc writer and reader.  The writer uses pwrite at explicit
 * offsets so it can only ever add bytes after the verified initramfs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "stage2/newc.h"

static int newc_put(struct newc_out *w, const void *p, size_t n)
{
	return file_pwrite_all(w->fd, p, n, w->off, &w->off);
}

static int newc_pad(struct newc_out *w)
{
	static const uint8_t zero[4];
	size_t n = (4 - (w->off & 3)) & 3;

	return n ? newc_put(w, zero, n) : 0;
}

int newc_add(struct newc_out *w, const char *name, uint32_t mode,
	     const void *data, size_t len)
{
	char hdr[NEWC_HDR_LEN + 1];
	size_t nlen = strlen(name) + 1;
	int rc = -EINVAL;

	if (nlen > NEWC_NAME_MAX || len > 0xffffffffu ||
	    (S_ISDIR(mode) && len != 0))
		return rc;
	rc = newc_pad(w);
	if (rc < 0)
		return rc;
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++w->ino, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u,
		 (unsigned)len, 0u, 0u, 0u, 0u, (unsigned)nlen, 0u);
	rc = newc_put(w, hdr, NEWC_HDR_LEN);
	if (rc == 0)
		rc = newc_put(w, name, nlen);
	if (rc == 0)
		rc = newc_pad(w);
	if (rc == 0 && len)
		rc = newc_put(w, data, len);
	return rc;
}

int newc_trailer(struct newc_out *w)
{
	int rc = newc_add(w, "TRAILER!!!", 0, NULL, 0);

	return rc < 0 ? rc : newc_pad(w);
}

static int newc_hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	/* newc headers are defined by the kernel's cpio, in either case */
	for (i = 0; i < 8; i++) {
		int d = hex_nibble_ci((char)p[i]);

		if (d < 0)
			return d;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

static size_t newc_align(size_t x)
{
	return (x + 3) & ~(size_t)3;
}

int newc_next(const uint8_t *buf, size_t len, size_t *pos,
	      struct newc_entry *e)
{
	uint32_t f[13];
	size_t p = *pos, name_off, data_off;
	int i;

	while (p < len && buf[p] == 0)
		p++;
	if (p > len || NEWC_HDR_LEN > len - p || memcmp(buf + p, "070701", 6))
		return -EPX_E_CPIO;
	for (i = 0; i < 13; i++)
		if (newc_hex8(buf + p + 6 + 8 * i, &f[i]) < 0)
			return -EPX_E_CPIO;
	name_off = p + NEWC_HDR_LEN;
	if (f[11] == 0 || f[11] > NEWC_NAME_MAX || f[11] > len - name_off ||
	    buf[name_off + f[11] - 1] != 0 ||
	    memchr(buf + name_off, 0, f[11] - 1))
		return -EPX_E_CPIO;
	data_off = newc_align(name_off + f[11]);
	if (data_off > len || f[6] > len - data_off)
		return -EPX_E_CPIO;
	e->name = (const char *)buf + name_off;
	e->mode = f[1];
	e->data = buf + data_off;
	e->len = f[6];
	*pos = newc_align(data_off + f[6]);
	if (*pos > len)
		*pos = len;
	return strcmp(e->name, "TRAILER!!!") != 0;
}

int newc_find(const uint8_t *buf, size_t len, const char *name,
	      struct newc_entry *out)
{
	struct newc_entry e;
	size_t pos = 0, n = 0;
	int found = 0, rc;

	while (pos < len) {
		if (++n > NEWC_ENTRIES_MAX)
			return -EPX_E_CPIO;
		rc = newc_next(buf, len, &pos, &e);
		if (rc < 0)
			return rc;
		if (rc == 1 && strcmp(e.name, name) == 0) {
			*out = e;
			found = 1;
		}
		while (rc == 0 && pos < len && buf[pos] == 0)
			pos++;
	}
	return found ? 0 : -ENOENT;
}
