/* kfile: file helpers for the offline key and release commands.
 *
 * Guarantees: reads are capped (no unbounded allocation from a file an
 * attacker may have placed), writes are atomic (temporary file, fsync,
 * rename) so a signed document is never seen half-written, and artifact
 * hashes cover exactly the bytes of a file whose size did not change while
 * it was read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "keys/kfile.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/sign.h"

int kfile_read(const char *path, size_t cap, char **buf, size_t *len)
{
	struct stat sb;
	char *b = NULL;
	size_t off = 0;
	ssize_t r;
	int fd, rc = -EIO;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		rc = -EINVAL;
		goto cleanup;
	}
	rc = -EFBIG;
	if ((uint64_t)sb.st_size > cap)
		goto cleanup;
	rc = -ENOMEM;
	b = malloc(cap + 1);
	if (!b)
		goto cleanup;
	rc = -EIO;
	for (;;) {
		r = read(fd, b + off, cap + 1 - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto cleanup;
		if (r == 0)
			break;
		off += (size_t)r;
		if (off > cap) {
			rc = -EFBIG;
			goto cleanup;
		}
	}
	b[off] = '\0';
	*buf = b;
	*len = off;
	b = NULL;
	rc = 0;
cleanup:
	free(b);
	close(fd);
	return rc;
}

int kfile_write(const char *path, const void *buf, size_t len, unsigned mode)
{
	char tmp[4096];
	const char *p = buf;
	size_t off = 0;
	ssize_t w;
	int fd, rc = -EIO;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		w = write(fd, p + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	return 0;
fail:
	rc = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int kfile_sha256(const char *path, uint64_t cap, uint64_t *len, uint8_t out[32])
{
	mbedtls_sha256_context ctx;
	static unsigned char chunk[1 << 16];
	struct stat sb;
	uint64_t total = 0;
	ssize_t r;
	int fd, rc = -EIO;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	mbedtls_sha256_init(&ctx);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		rc = -EINVAL;
		goto cleanup;
	}
	rc = -EFBIG;
	if ((uint64_t)sb.st_size > cap)
		goto cleanup;
	rc = -EIO;
	if (mbedtls_sha256_starts_ret(&ctx, 0) != 0)
		goto cleanup;
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto cleanup;
		if (r == 0)
			break;
		total += (uint64_t)r;
		if (total > (uint64_t)sb.st_size ||
		    mbedtls_sha256_update_ret(&ctx, chunk, (size_t)r) != 0)
			goto cleanup;
	}
	if (total != (uint64_t)sb.st_size || mbedtls_sha256_finish_ret(&ctx, out) != 0)
		goto cleanup;
	*len = total;
	rc = 0;
cleanup:
	mbedtls_sha256_free(&ctx);
	close(fd);
	return rc;
}

int kfile_keyset_chain(const char *root, char *const *rot, size_t nrot,
		       struct keyset *ks, const char **which)
{
	char *buf = NULL;
	size_t len, i;
	int rc = -EPX_E_KS_SYNTAX;

	*which = root;
	rc = kfile_read(root, DOC_MAX_BYTES, &buf, &len);
	if (rc == -EFBIG)
		rc = -EPX_E_KS_SYNTAX;
	if (rc < 0)
		return rc;
	rc = keyset_load_root(ks, buf, len);
	free(buf);
	for (i = 0; rc == 0 && i < nrot; i++) {
		*which = rot[i];
		rc = kfile_read(rot[i], DOC_MAX_BYTES, &buf, &len);
		if (rc == -EFBIG)
			rc = -EPX_E_KS_SYNTAX;
		if (rc < 0)
			return rc;
		rc = keyset_rotate(ks, buf, len);
		free(buf);
	}
	return rc;
}

/* "<keyid> <pubhex>\n" as written by `epoxyctl keys new` */
static int kfile_pub_text(const char *s, size_t n, struct sig_pub *pk)
{
	uint8_t id[DOC_KEYID_LEN];

	while (n > 0 && s[n - 1] == '\n')
		n--;
	if (n != 2 * DOC_KEYID_LEN + 1 + 2 * SIG_POINT_LEN || s[2 * DOC_KEYID_LEN] != ' ' ||
	    hex_decode(s, 2 * DOC_KEYID_LEN, id, sizeof(id)) < 0)
		return -EPX_E_KS_SYNTAX;
	if (sig_pub_from_hex(pk, s + 2 * DOC_KEYID_LEN + 1, 2 * SIG_POINT_LEN) < 0)
		return -EPX_E_KS_PUBKEY;
	return memcmp(id, pk->keyid, sizeof(id)) ? -EPX_E_KS_KEYID : 0;
}

int kfile_pub(const char *path, struct sig_pub *pk)
{
	struct sign_key *key = NULL;
	char *buf = NULL;
	size_t len;
	int rc = -EPX_E_KEY_LOAD;

	rc = kfile_read(path, 4096, &buf, &len);
	if (rc < 0)
		return -EPX_E_KEY_LOAD;
	if (strncmp(buf, "-----BEGIN", 10) != 0) {
		rc = kfile_pub_text(buf, len, pk);
		goto cleanup;
	}
	explicit_bzero(buf, len);
	rc = sign_load(&key, path);
	if (rc == 0)
		rc = sign_pub(key, pk);
	sign_free(key);
cleanup:
	free(buf);
	return rc;
}
