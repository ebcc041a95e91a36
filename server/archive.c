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

#include "lib/bundlename.h"
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

int archive_req_name(struct srv *srv, const struct http_req *req, const char *exp,
		     const char *host, char name[ARCHIVE_NAME_MAX + 1], char dt[65])
{
	const struct http_arg *a = http_arg_get(req->args, req->nargs, "name");
	struct store_experiment e;
	struct bundlename bn;
	const char *d;
	size_t n;

	name[0] = dt[0] = '\0';
	if (!a || a->val_len > ARCHIVE_NAME_MAX || bundlename_parse(a->val, a->val_len, &bn) < 0)
		return -EPX_E_ARC_BUNDLENAME;
	/* the node part is the certificate's host, never the node's word */
	if (strcmp(bn.node, host) || strcmp(bn.exp, exp))
		return -EPX_E_ARC_NAMENODE;
	if (store_experiment_get(srv->store, exp, &e) == 0 && e.datatypes[0]) {
		n = strlen(bn.dt);
		for (d = e.datatypes; *d; d += strcspn(d, ",") + (d[strcspn(d, ",")] == ','))
			if (strcspn(d, ",") == n && !memcmp(d, bn.dt, n))
				break;
		if (!*d)
			return -EPX_E_ARC_DATATYPE;
	}
	memcpy(name, a->val, a->val_len + 1);
	snprintf(dt, 65, "%s", bn.dt);
	return 0;
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
	char name[ARCHIVE_NAME_MAX + 1], dt[65];
	enum archive_s3_op op = 0;
	int rc, n;

	rc = archive_s3_name(req->path, exp, sha, &op);
	if (rc == 0 && op != ARCHIVE_S3_URL)
		rc = -EPX_E_ARC_NAME;
	if (rc == 0)
		rc = nodeapi_identify_archive(srv, req, host, serial);
	if (rc == 0)
		rc = archive_req_name(srv, req, exp, host, name, dt);
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
		rc = nodeapi_identify_archive(srv, req, host, serial);
	return rc < 0 ? archive_refuse(req, resp, rc, "archive upload") : 0;
}

/* mkdir -p of "archive/" and the directories of name (checked by
 * bundlename_parse: no "..", no empty segment) under dfd; returns the
 * descriptor of the last one, *base the file name in it. */
static int archive_dirs(int dfd, const char *name, const char **base)
{
	char seg[LABEL_TAG_MAX + 1];
	const char *p = name, *slash;
	int fd = dup(dfd), next, first = 1;

	if (fd < 0)
		return -errno;
	for (;;) {
		size_t n;

		slash = first ? NULL : strchr(p, '/');
		if (!first && !slash)
			break;
		n = first ? strlen(ARCHIVE_DIR) : (size_t)(slash - p);
		if (n == 0 || n > LABEL_TAG_MAX) {
			close(fd);
			return -EINVAL;
		}
		memcpy(seg, first ? ARCHIVE_DIR : p, n);
		seg[n] = '\0';
		if (mkdirat(fd, seg, 0750) < 0 && errno != EEXIST) {
			int err = errno;

			close(fd);
			return -err;
		}
		next = openat(fd, seg, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		close(fd);
		if (next < 0)
			return -errno;
		fd = next;
		if (!first)
			p = slash + 1;
		first = 0;
	}
	*base = p;
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

/* Stores the body as dir/base: temporary name, hash checked, fsync,
 * rename, fsync dir.  A file already at base is another bundle's unless
 * the store names none there (a crash between the rename and the record
 * left it): it is replaced then, never else. */
static int archive_store(struct srv *srv, const struct http_req *req, int dir, const char *base,
			 const char *name, const char *sha)
{
	char tmp[96], hex[2 * SHA256_LEN + 1];
	uint8_t hash[SHA256_LEN];
	struct store_bundle other;
	int fd, rc;

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
	if (rc == 0 && fsync(fd) < 0)
		rc = -EPX_E_ARC_IO;
	if (close(fd) < 0 && rc == 0)
		rc = -EPX_E_ARC_IO;
	if (rc == 0 && renameat2(dir, tmp, dir, base, RENAME_NOREPLACE) < 0) {
		if (errno != EEXIST)
			rc = -EPX_E_ARC_IO;
		else if (store_bundle_by_name(srv->store, name, &other) == 0)
			rc = -EPX_E_ARC_NAMETAKEN;
		else if (renameat(dir, tmp, dir, base) < 0)
			rc = -EPX_E_ARC_IO;
	}
	if (rc < 0)
		unlinkat(dir, tmp, 0);
	if (rc == 0 && fsync(dir) < 0)
		rc = -EPX_E_ARC_IO;
	return rc;
}

/* "exists <name>" for a bundle recorded already (the name it was
 * recorded with: one file, one name) */
static int archive_exists(const struct store_bundle *b, struct http_resp *resp)
{
	char ans[STORE_BUNDLE_NAME_MAX + 160];
	int n;

	if (b->name[0])
		n = snprintf(ans, sizeof(ans), "exists %s\n", b->name);
	else
		n = snprintf(ans, sizeof(ans), "exists %s/%s/%s\n", b->host, b->experiment,
			     b->sha256);
	return http_resp_copy(resp, 200, "text/plain", ans, (size_t)n);
}

static int archive_put(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1], exp[65], sha[65];
	char name[ARCHIVE_NAME_MAX + 1], dt[65], ans[ARCHIVE_NAME_MAX + 16];
	struct store_bundle b, got;
	const char *base = NULL;
	int rc, dfd, own = 0, dir = -1, again = 0, n;

	rc = archive_name(req->path, exp, sha);
	if (rc == 0)
		rc = nodeapi_identify_archive(srv, req, host, serial);
	if (rc == 0)
		rc = archive_req_name(srv, req, exp, host, name, dt);
	if (rc == 0 && req->body_len == 0)
		rc = -EPX_E_ARC_EMPTY;
	if (rc < 0)
		return archive_refuse(req, resp, rc, "archive upload");
	/* the same bundle again (a retry after a crash, under whatever
	 * name): nothing written, its recorded name answered */
	if (store_bundle_get(srv->store, host, exp, sha, &got) == 0) {
		http_log(req, "archive: again bundle %s of %s/%s", sha, host, exp);
		return archive_exists(&got, resp);
	}
	if (store_bundle_by_name(srv->store, name, &got) == 0)
		return archive_refuse(req, resp, -EPX_E_ARC_NAMETAKEN, "archive upload");
	dfd = http_dir(srv, HTTP_DIR_DATA, &own);
	if (dfd < 0)
		return archive_refuse(req, resp, -EPX_E_ARC_IO, "archive upload");
	dir = archive_dirs(dfd, name, &base);
	if (own)
		close(dfd);
	if (dir < 0) {
		http_log(req, "archive: cannot make the directories of data_dir/%s/%s: %s",
			 ARCHIVE_DIR, name, strerror(-dir));
		return archive_refuse(req, resp, -EPX_E_ARC_IO, "archive upload");
	}
	rc = archive_store(srv, req, dir, base, name, sha);
	if (rc == 0) {
		memset(&b, 0, sizeof(b));
		snprintf(b.host, sizeof(b.host), "%s", host);
		snprintf(b.experiment, sizeof(b.experiment), "%s", exp);
		memcpy(b.sha256, sha, sizeof(b.sha256));
		snprintf(b.name, sizeof(b.name), "%s", name);
		b.size = (int64_t)req->body_len;
		/* durable on disk first: a crash between leaves a file the
		 * node sends again, which then gets its record */
		rc = store_bundle_add(srv->store, &b, &again, &got);
		/* recorded meanwhile by a request of its own under another
		 * name: this copy goes, the archive keeps one */
		if (rc == 0 && again && strcmp(got.name, name))
			unlinkat(dir, base, 0);
	}
	close(dir);
	if (rc < 0)
		return archive_refuse(req, resp, rc, "archive upload");
	if (again)
		return archive_exists(&got, resp);
	http_log(req, "archive: stored bundle %s of %s/%s as %s, %llu bytes, certificate %s", sha,
		 host, exp, name, (unsigned long long)req->body_len, serial);
	n = snprintf(ans, sizeof(ans), "stored %s\n", name);
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

	if (l->cap - l->len < ARCHIVE_NAME_MAX + 160) {
		size_t cap = l->cap * 2;
		char *p = cap <= ARCHIVE_LIST_MAX ? realloc(l->buf, cap) : NULL;

		if (!p) {
			l->err = 1;
			return 0;    /* the list is cut, and says so */
		}
		l->buf = p;
		l->cap = cap;
	}
	/* what GET /v1/archive/<it> serves: its name, or host/experiment/sha
	 * for a bundle recorded before names */
	if (b->name[0])
		n = snprintf(l->buf + l->len, l->cap - l->len, "%s %s %lld %lld %lld\n", b->name,
			     b->sha256, (long long)b->size, (long long)b->stored,
			     (long long)b->public_at);
	else
		n = snprintf(l->buf + l->len, l->cap - l->len, "%s/%s/%s %s %lld %lld %lld\n",
			     b->host, b->experiment, b->sha256, b->sha256, (long long)b->size,
			     (long long)b->stored, (long long)b->public_at);
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

int archive_open(struct srv *srv, const struct store_bundle *b, uint64_t *size)
{
	char rel[STORE_BUNDLE_NAME_MAX + 160];
	struct bundlename bn;
	struct stat st;
	int dfd, own = 0, fd;

	if (b->name[0] ? bundlename_parse(b->name, strlen(b->name), &bn) < 0 :
	    (label_check_str(LABEL_HOST, b->host) < 0 ||
	     label_check_str(LABEL_TAG, b->experiment) < 0 || b->experiment[0] == '.' ||
	     hex_check_str(b->sha256, 64) < 0))
		return -EPX_E_ARC_NAME;
	dfd = http_dir(srv, HTTP_DIR_DATA, &own);
	if (dfd < 0)
		return -EPX_E_ARC_IO;
	if (b->name[0])
		snprintf(rel, sizeof(rel), "%s/%s", ARCHIVE_DIR, b->name);
	else
		snprintf(rel, sizeof(rel), "%s/%s/%s/%s", ARCHIVE_DIR, b->host, b->experiment,
			 b->sha256);
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

/* GET /v1/archive/<name> (or <host>/<experiment>/<sha256>, a bundle of
 * before names): only once public; an embargoed bundle answers exactly as
 * an unknown one */
static int archive_get(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], exp[65], sha[65];
	const char *rest = req->path + strlen(ARCHIVE_PATH);
	struct bundlename bn;
	struct store_bundle b;
	uint64_t size;
	int rc, fd;

	if (bundlename_parse(rest, strlen(rest), &bn) == 0) {
		rc = store_bundle_by_name(srv->store, rest, &b);
	} else {
		rc = archive_public_name(req->path, host, exp, sha);
		if (rc < 0)
			return http_resp_fail(resp, rc, NULL);
		rc = store_bundle_get(srv->store, host, exp, sha, &b);
	}
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
	fd = archive_open(srv, &b, &size);
	if (fd < 0)
		return fd;
	return http_resp_fd(resp, 200, b.name[0] ? "application/gzip" : "application/zstd", fd, 0,
			    size);
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
