/* archive: the local-directory archive (see archive.h).
 *
 * Order: name -> who is asking (client certificate + store) -> body
 * (hash while copying into a temporary file) -> hash matches the name ->
 * fsync, rename, fsync the directory -> answer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/sha256.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/sha256.h"
#include "server/archive.h"
#include "server/archive_s3.h"
#include "server/nodeapi.h"
#include "server/nodeid.h"
#include "store/store.h"

#define ARCHIVE_CHUNK 65536
#define ARCHIVE_LIST_MAX (4u << 20)

static int archive_name_rest(const char *p, char exp[65], char sha[65]);

int archive_name(const char *path, char exp[65], char sha[65])
{
	if (strncmp(path, ARCHIVE_PATH, strlen(ARCHIVE_PATH)))
		return -EPX_E_ARC_NAME;
	return archive_name_rest(path + strlen(ARCHIVE_PATH), exp, sha);
}

/* "<experiment>/<sha256>" */
static int archive_name_rest(const char *p, char exp[65], char sha[65])
{
	const char *slash = strchr(p, '/');
	size_t n;

	if (!slash)
		return -EPX_E_ARC_NAME;
	n = (size_t)(slash - p);
	/* a tag may hold dots: never "." or "..", never a hidden name */
	if (n == 0 || n > LABEL_TAG_MAX || p[0] == '.' || label_check(LABEL_TAG, p, n) < 0)
		return -EPX_E_ARC_NAME;
	memcpy(exp, p, n);
	exp[n] = '\0';
	p = slash + 1;
	if (hex_check_str(p, 64) < 0)
		return -EPX_E_ARC_NAME;
	for (n = 0; n < 64; n++)
		if (p[n] >= 'A' && p[n] <= 'F')
			return -EPX_E_ARC_NAME;
	memcpy(sha, p, 65);
	return 0;
}

static int archive_refuse(const struct http_req *req, struct http_resp *resp, int rc,
			  const char *what)
{
	char code[16];

	http_log(req, "refused %s: %s %s", what, epx_code(rc, code, sizeof(code)),
		 epx_strerror(rc));
	return http_resp_fail(resp, rc, NULL);
}

/* POST /v1/archive/<experiment>/<sha256>/url to the local backend */
static int archive_local_ask(const struct http_req *req)
{
	size_t n = strlen(req->path);

	return req->method == HTTP_POST && req->body_len == 0 && n > 4 &&
		!strcmp(req->path + n - 4, "/url");
}

/* The local backend's answer to "where do I upload": "put <path>\n", the
 * bundle's own PUT to epoxyd (docs/protocol.md, "Archive"): a pusher asks
 * the same question of either backend and follows the answer. */
static int archive_local_url(struct srv *srv, const struct http_req *req,
			     struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1], exp[65], sha[65], ans[160];
	enum archive_s3_op op = 0;
	int rc, n;

	rc = archive_s3_name(req->path, exp, sha, &op);
	if (rc == 0 && op != ARCHIVE_S3_URL)
		rc = -EPX_E_ARC_NAME;
	if (rc == 0)
		rc = nodeapi_identify(srv, req, host, serial);
	if (rc < 0)
		return archive_refuse(req, resp, rc, "archive request");
	n = snprintf(ans, sizeof(ans), "put %s%s/%s\n", ARCHIVE_PATH, exp, sha);
	return http_resp_copy(resp, 200, "text/plain", ans, (size_t)n);
}

int archive_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1], exp[65], sha[65];
	int rc;

	enum archive_s3_op op;

	if (req->method != HTTP_PUT && req->method != HTTP_POST)
		return 0;
	if (srv->s3 && req->method != HTTP_POST)
		return archive_refuse(req, resp, -EPX_E_S3_BACKEND, "archive upload");
	/* local: POST .../url asks where to upload (answered "put <path>") */
	rc = srv->s3 || archive_local_ask(req) ? archive_s3_name(req->path, exp, sha, &op) :
		archive_name(req->path, exp, sha);
	if (rc == 0)
		rc = nodeapi_identify(srv, req, host, serial);
	return rc < 0 ? archive_refuse(req, resp, rc, "archive upload") : 0;
}

/* mkdir -p of "archive/<host>/<exp>" under dfd; returns its descriptor. */
static int archive_dirs(int dfd, const char *host, const char *exp)
{
	const char *parts[3] = { ARCHIVE_DIR, host, exp };
	int fd = dup(dfd), next, i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < 3; i++) {
		if (mkdirat(fd, parts[i], 0750) < 0 && errno != EEXIST) {
			int err = errno;

			close(fd);
			return -err;
		}
		next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		close(fd);
		if (next < 0)
			return -errno;
		fd = next;
	}
	return fd;
}

static int archive_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPX_E_ARC_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies the body into out, hashing it. */
static int archive_copy(const struct http_req *req, int out, uint8_t hash[SHA256_LEN])
{
	mbedtls_sha256_context c;
	uint8_t *buf = NULL;
	uint64_t done = 0;
	int rc = 0;

	mbedtls_sha256_init(&c);
	(void)mbedtls_sha256_starts_ret(&c, 0);
	if (req->body_fd < 0) {
		(void)mbedtls_sha256_update_ret(&c, req->body, req->body_len);
		rc = archive_write_all(out, req->body, req->body_len);
		goto cleanup;
	}
	buf = malloc(ARCHIVE_CHUNK);
	if (!buf) {
		rc = -ENOMEM;
		goto cleanup;
	}
	while (done < req->body_len) {
		size_t want = req->body_len - done > ARCHIVE_CHUNK ? ARCHIVE_CHUNK :
			(size_t)(req->body_len - done);
		ssize_t r = pread(req->body_fd, buf, want, (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = -EPX_E_ARC_IO;
			goto cleanup;
		}
		(void)mbedtls_sha256_update_ret(&c, buf, (size_t)r);
		rc = archive_write_all(out, buf, (size_t)r);
		if (rc < 0)
			goto cleanup;
		done += (uint64_t)r;
	}
cleanup:
	(void)mbedtls_sha256_finish_ret(&c, hash);
	mbedtls_sha256_free(&c);
	free(buf);
	return rc;
}

/* Stores the body as dir/sha: temporary name, fsync, rename, fsync dir. */
static int archive_store(const struct http_req *req, int dir, const char *sha, int *existed)
{
	char tmp[96], hex[2 * SHA256_LEN + 1];
	uint8_t hash[SHA256_LEN];
	struct stat st;
	int fd, rc;

	*existed = fstatat(dir, sha, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
	snprintf(tmp, sizeof(tmp), ".%s.%llu.tmp", sha, (unsigned long long)req->id);
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -EPX_E_ARC_IO;
	rc = archive_copy(req, fd, hash);
	if (rc == 0) {
		hex_encode(hash, SHA256_LEN, hex);
		if (strcmp(hex, sha))
			rc = -EPX_E_ARC_SHA;
	}
	if (rc == 0 && !*existed && fsync(fd) < 0)
		rc = -EPX_E_ARC_IO;
	if (close(fd) < 0 && rc == 0)
		rc = -EPX_E_ARC_IO;
	if (rc == 0 && !*existed && renameat(dir, tmp, dir, sha) < 0)
		rc = -EPX_E_ARC_IO;
	if (rc < 0 || *existed)
		unlinkat(dir, tmp, 0);
	if (rc == 0 && fsync(dir) < 0)
		rc = -EPX_E_ARC_IO;
	return rc;
}

static int archive_put(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1], exp[65], sha[65], ans[160];
	int rc, dfd, own = 0, dir = -1, existed = 0, n;

	rc = archive_name(req->path, exp, sha);
	if (rc == 0)
		rc = nodeapi_identify(srv, req, host, serial);
	if (rc == 0 && req->body_len == 0)
		rc = -EPX_E_ARC_EMPTY;

	if (rc < 0)
		return archive_refuse(req, resp, rc, "archive upload");
	dfd = http_dir(srv, HTTP_DIR_DATA, &own);
	if (dfd < 0)
		return archive_refuse(req, resp, -EPX_E_ARC_IO, "archive upload");
	dir = archive_dirs(dfd, host, exp);
	if (own)
		close(dfd);
	if (dir < 0) {
		http_log(req, "archive: cannot make data_dir/%s/%s/%s: %s", ARCHIVE_DIR, host, exp,
			 strerror(-dir));
		return archive_refuse(req, resp, -EPX_E_ARC_IO, "archive upload");
	}
	rc = archive_store(req, dir, sha, &existed);
	close(dir);
	if (rc == 0) {
		struct store_bundle b;
		int again = 0;

		memset(&b, 0, sizeof(b));
		snprintf(b.host, sizeof(b.host), "%s", host);
		snprintf(b.experiment, sizeof(b.experiment), "%s", exp);
		memcpy(b.sha256, sha, sizeof(b.sha256));
		b.size = (int64_t)req->body_len;
		/* durable on disk first: a crash between leaves an object the
		 * node sends again, which then gets its record */
		rc = store_bundle_add(srv->store, &b, &again);
	}
	if (rc < 0)
		return archive_refuse(req, resp, rc, "archive upload");
	http_log(req, "archive: %s bundle %s of %s/%s, %llu bytes", existed ? "again" : "stored",
		 sha, host, exp, (unsigned long long)req->body_len);
	n = snprintf(ans, sizeof(ans), "%s %s/%s/%s\n", existed ? "exists" : "stored", host, exp,
		     sha);
	return http_resp_copy(resp, 200, "text/plain", ans, (size_t)n);
}

int archive_public_name(const char *path, char host[LABEL_HOST_MAX + 1], char exp[65],
			char sha[65])
{
	const char *p, *slash;
	size_t n;

	if (strncmp(path, ARCHIVE_PATH, strlen(ARCHIVE_PATH)))
		return -EPX_E_ARC_NAME;
	p = path + strlen(ARCHIVE_PATH);
	slash = strchr(p, '/');
	n = slash ? (size_t)(slash - p) : 0;
	if (n == 0 || n > LABEL_HOST_MAX || label_check(LABEL_HOST, p, n) < 0)
		return -EPX_E_ARC_NAME;
	memcpy(host, p, n);
	host[n] = '\0';
	return archive_name_rest(slash + 1, exp, sha);
}

struct archive_list {
	char *buf;
	size_t len, cap;
	int err;
};

static int archive_list_cb(const struct store_bundle *b, void *arg)
{
	struct archive_list *l = arg;
	int n;

	if (l->cap - l->len < 256) {
		size_t cap = l->cap * 2;
		char *p = cap <= ARCHIVE_LIST_MAX ? realloc(l->buf, cap) : NULL;

		if (!p) {
			l->err = 1;
			return 0;    /* the list is cut, and says so */
		}
		l->buf = p;
		l->cap = cap;
	}
	n = snprintf(l->buf + l->len, l->cap - l->len, "%s/%s/%s %lld %lld %lld\n", b->host,
		     b->experiment, b->sha256, (long long)b->size, (long long)b->stored,
		     (long long)b->public_at);
	if (n > 0 && (size_t)n < l->cap - l->len)
		l->len += (size_t)n;
	return 0;
}

/* GET /v1/archive/: every bundle whose embargo ended; no credential */
static int archive_list(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	struct archive_list l = { malloc(4096), 0, 4096, 0 };
	int rc;

	if (!l.buf)
		return -ENOMEM;
	rc = store_bundle_list(srv->store, NULL, NULL, 1, archive_list_cb, &l);
	if (rc < 0) {
		free(l.buf);
		return rc;
	}
	if (l.err)
		http_log(req, "archive: public listing cut at %zu bytes", l.len);
	return http_resp_take(resp, 200, "text/plain", l.buf, l.len);
}

int archive_open(struct srv *srv, const char *host, const char *exp, const char *sha,
		 uint64_t *size)
{
	char rel[256];
	struct stat st;
	int dfd, own = 0, fd;

	if (label_check_str(LABEL_HOST, host) < 0 || label_check_str(LABEL_TAG, exp) < 0 ||
	    exp[0] == '.' || hex_check_str(sha, 64) < 0)
		return -EPX_E_ARC_NAME;
	dfd = http_dir(srv, HTTP_DIR_DATA, &own);
	if (dfd < 0)
		return -EPX_E_ARC_IO;
	snprintf(rel, sizeof(rel), "%s/%s/%s/%s", ARCHIVE_DIR, host, exp, sha);
	fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (own)
		close(dfd);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return -EPX_E_ARC_IO;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* GET /v1/archive/<host>/<experiment>/<sha256>: only once public; an
 * embargoed bundle answers exactly as an unknown one */
static int archive_get(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], exp[65], sha[65];
	struct store_bundle b;
	uint64_t size;
	int rc, fd;

	rc = archive_public_name(req->path, host, exp, sha);
	if (rc < 0)
		return http_resp_fail(resp, rc, NULL);
	rc = store_bundle_get(srv->store, host, exp, sha, &b);
	if (rc == -EPX_E_DB_NOTFOUND || (rc == 0 && b.public_at > http_now(srv)))
		return http_resp_fail(resp, -EPX_E_ARC_NOTPUBLIC, NULL);
	if (rc < 0)
		return rc;
	/* an S3 bundle still in the private prefix is not public yet, even
	 * when its embargo ended: housekeeping moves it first */
	if (!strcmp(b.location, STORE_BUNDLE_S3_PRIVATE) || (!strcmp(b.location,
	    STORE_BUNDLE_S3_PUBLIC) && !srv->s3))
		return http_resp_fail(resp, -EPX_E_ARC_NOTPUBLIC, NULL);
	if (!strcmp(b.location, STORE_BUNDLE_S3_PUBLIC))
		return archive_s3_public(srv, &b, resp);
	fd = archive_open(srv, host, exp, sha, &size);
	if (fd < 0)
		return fd;
	return http_resp_fd(resp, 200, "application/zstd", fd, 0, size);
}

int archive_handle(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	if ((req->method == HTTP_PUT || req->method == HTTP_POST) && srv->s3)
		return archive_s3_handle(srv, req, resp);
	if (archive_local_ask(req))
		return archive_local_url(srv, req, resp);
	if (req->method == HTTP_PUT || req->method == HTTP_POST)
		return archive_put(srv, req, resp);
	if (!strcmp(req->path, ARCHIVE_PATH))
		return archive_list(srv, req, resp);
	return archive_get(srv, req, resp);
}
