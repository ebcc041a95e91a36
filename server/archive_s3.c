/* archive_s3: the S3-compatible backend of the archive (see archive_s3.h).
 *
 * Order of "done": who is asking (certificate + store) -> already
 * recorded? -> copy incoming/ to its final key -> delete incoming/ ->
 * read the final object back, hashing it (capped) -> hash matches the
 * name -> record; a mismatch deletes the final object. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libs3.h>
#include <mbedtls/sha256.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/sha256.h"
#include "server/archive.h"
#include "server/archive_s3.h"
#include "server/config.h"
#include "server/log.h"
#include "server/nodeapi.h"
#include "server/nodeid.h"
#include "server/s3sign.h"

#define ARCHIVE_S3_KEY_MAX (STORE_BUNDLE_NAME_MAX + 160)
#define ARCHIVE_S3_ANSWER_MAX (S3SIGN_URL_MAX + 512)

struct archive_s3 {
	char host[S3SIGN_FIELD_MAX + 1];        /* "127.0.0.1:8080" */
	int https;
	char node_host[S3SIGN_FIELD_MAX + 1];   /* upload URLs: s3_node_endpoint's */
	int node_https;
	char public_host[S3SIGN_FIELD_MAX + 1]; /* public GETs: s3_public_endpoint's */
	int public_https;
	char bucket[64], region[64];
	char access_key[S3SIGN_FIELD_MAX + 1];
	char secret[S3SIGN_SECRET_MAX + 1];
	unsigned ttl;
};

/* One line of printable ASCII, no blank, from a 0600 regular file. */
static int archive_s3_keyfile(const char *path, char *out, size_t cap)
{
	char buf[S3SIGN_SECRET_MAX + 2];
	struct stat st;
	ssize_t n = -1;
	size_t i, len;
	int fd, rc = -EPX_E_S3_KEYFILE;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -EPX_E_S3_KEYFILE;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & 077))
		n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || (size_t)n == sizeof(buf))
		goto cleanup;
	len = (size_t)n;
	if (buf[len - 1] == '\n')
		len--;
	if (len == 0 || len >= cap)
		goto cleanup;
	for (i = 0; i < len; i++)
		if (buf[i] <= ' ' || buf[i] > '~')
			goto cleanup;
	memcpy(out, buf, len);
	out[len] = '\0';
	rc = 0;
cleanup:
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

int archive_s3_load(struct archive_s3 **out, const struct config *cfg)
{
	struct archive_s3 *s3;
	const char *h;
	int rc;

	*out = NULL;
	s3 = calloc(1, sizeof(*s3));
	if (!s3)
		return -ENOMEM;
	s3->https = !strncmp(cfg->s3_endpoint, "https://", 8);
	h = cfg->s3_endpoint + (s3->https ? 8 : 7);
	snprintf(s3->host, sizeof(s3->host), "%s", h);
	/* nodes may reach the store by another name (a TLS front, a load
	 * balancer): upload URLs are signed for the Host header they send */
	s3->node_https = cfg->s3_node_endpoint[0] ? 1 : s3->https;
	snprintf(s3->node_host, sizeof(s3->node_host), "%s", cfg->s3_node_endpoint[0] ?
		 cfg->s3_node_endpoint + 8 : h);
	/* and the public by yet another (s3_endpoint is often internal):
	 * public GET URLs are signed for the host the public reaches */
	s3->public_https = cfg->s3_public_endpoint[0] ?
		!strncmp(cfg->s3_public_endpoint, "https://", 8) : s3->https;
	snprintf(s3->public_host, sizeof(s3->public_host), "%s", !cfg->s3_public_endpoint[0] ? h :
		 cfg->s3_public_endpoint + (s3->public_https ? 8 : 7));
	snprintf(s3->bucket, sizeof(s3->bucket), "%s", cfg->s3_bucket);
	snprintf(s3->region, sizeof(s3->region), "%s", cfg->s3_region);
	s3->ttl = cfg->s3_url_ttl;
	rc = archive_s3_keyfile(cfg->s3_access_key_file, s3->access_key, sizeof(s3->access_key));
	if (rc == 0)
		rc = archive_s3_keyfile(cfg->s3_secret_key_file, s3->secret, sizeof(s3->secret));
	if (rc == 0 && S3_initialize("epoxyd", S3_INIT_ALL, s3->host) != S3StatusOK)
		rc = -EPX_E_S3_INIT;
	if (rc < 0) {
		archive_s3_free(s3);
		return rc;
	}
	*out = s3;
	return 0;
}

void archive_s3_free(struct archive_s3 *s3)
{
	if (!s3)
		return;
	explicit_bzero(s3, sizeof(*s3));
	free(s3);
}

int archive_s3_name(const char *path, char exp[65], char sha[65], enum archive_s3_op *op)
{
	char head[sizeof(ARCHIVE_PATH) + 64 + 1 + 64 + 1];
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash || strncmp(path, ARCHIVE_PATH, strlen(ARCHIVE_PATH)))
		return -EPX_E_ARC_NAME;
	if (!strcmp(slash, "/url"))
		*op = ARCHIVE_S3_URL;
	else if (!strcmp(slash, "/done"))
		*op = ARCHIVE_S3_DONE;
	else
		return -EPX_E_ARC_NAME;
	n = (size_t)(slash - path);
	if (n >= sizeof(head))
		return -EPX_E_ARC_NAME;
	memcpy(head, path, n);
	head[n] = '\0';
	return archive_name(head, exp, sha);
}

/* the upload's key, "incoming/<experiment>/<host>/<sha256>.tgz": one
 * object of one node, whatever name it asks for */
static void archive_s3_key(char *out, size_t cap, const char *area, const char *exp,
			   const char *host, const char *sha)
{
	snprintf(out, cap, "%s/%s/%s/%s.tgz", area, exp, host, sha);
}

/* a recorded bundle's key in area: "<area>/<name>", or, recorded before
 * names, "<area>/<experiment>/<host>/<sha256>.tar.zst" */
static void archive_s3_obj(char *out, size_t cap, const char *area, const struct store_bundle *b)
{
	if (b->name[0])
		snprintf(out, cap, "%s/%s", area, b->name);
	else
		snprintf(out, cap, "%s/%s/%s/%s.tar.zst", area, b->experiment, b->host, b->sha256);
}

/* ------------------------------------------------------------ libs3 */

struct archive_s3_call {
	S3Status status;
	char err[160];
	mbedtls_sha256_context *hash;   /* GET: hash what arrives */
	uint64_t got, cap;
};

static S3Status archive_s3_props(const S3ResponseProperties *p, void *arg)
{
	return S3StatusOK;
}

static void archive_s3_complete(S3Status st, const S3ErrorDetails *e, void *arg)
{
	struct archive_s3_call *c = arg;

	c->status = st;
	if (st != S3StatusOK)
		snprintf(c->err, sizeof(c->err), "%s%s%s", S3_get_status_name(st),
			 e && e->message ? ": " : "", e && e->message ? e->message : "");
}

static S3Status archive_s3_data(int n, const char *buf, void *arg)
{
	struct archive_s3_call *c = arg;

	if (n < 0 || (uint64_t)n > c->cap - c->got) {
		c->got = c->cap + 1;
		return S3StatusAbortedByCallback;
	}
	c->got += (uint64_t)n;
	(void)mbedtls_sha256_update_ret(c->hash, (const unsigned char *)buf, (size_t)n);
	return S3StatusOK;
}

static void archive_s3_ctx(const struct archive_s3 *s3, S3BucketContext *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->hostName = s3->host;
	ctx->bucketName = s3->bucket;
	ctx->protocol = s3->https ? S3ProtocolHTTPS : S3ProtocolHTTP;
	ctx->uriStyle = S3UriStylePath;
	ctx->accessKeyId = s3->access_key;
	ctx->secretAccessKey = s3->secret;
}

static int archive_s3_rc(const struct archive_s3_call *c, const char *what, const char *key)
{
	if (c->status == S3StatusOK)
		return 0;
	if (c->status == S3StatusErrorNoSuchKey || c->status == S3StatusHttpErrorNotFound)
		return -EPX_E_S3_MISSING;
	log_msg(LOG_ERR, "archive: S3 %s of %s: %s", what, key, c->err);
	return -EPX_E_S3_IO;
}

static int archive_s3_copy(const struct archive_s3 *s3, const char *from, const char *to)
{
	const S3ResponseHandler h = { archive_s3_props, archive_s3_complete };
	struct archive_s3_call c = { S3StatusInternalError, "", NULL, 0, 0 };
	S3BucketContext ctx;
	char etag[256];
	int64_t mtime = 0;

	archive_s3_ctx(s3, &ctx);
	S3_copy_object(&ctx, from, s3->bucket, to, NULL, &mtime, sizeof(etag), etag, NULL, &h, &c);
	return archive_s3_rc(&c, "copy", from);
}

static int archive_s3_delete(const struct archive_s3 *s3, const char *key)
{
	const S3ResponseHandler h = { archive_s3_props, archive_s3_complete };
	struct archive_s3_call c = { S3StatusInternalError, "", NULL, 0, 0 };
	S3BucketContext ctx;

	archive_s3_ctx(s3, &ctx);
	S3_delete_object(&ctx, key, NULL, &h, &c);
	return archive_s3_rc(&c, "delete", key);
}

/* Reads key back whole (at most ARCHIVE_BUNDLE_MAX bytes): its SHA-256
 * in lowercase hex and its size. */
static int archive_s3_readback(const struct archive_s3 *s3, const char *key, char hex[65],
			       uint64_t *size)
{
	const S3GetObjectHandler h = { { archive_s3_props, archive_s3_complete },
				       archive_s3_data };
	mbedtls_sha256_context sc;
	struct archive_s3_call c = { S3StatusInternalError, "", &sc, 0, ARCHIVE_BUNDLE_MAX };
	S3BucketContext ctx;
	uint8_t d[SHA256_LEN];
	int rc;

	mbedtls_sha256_init(&sc);
	(void)mbedtls_sha256_starts_ret(&sc, 0);
	archive_s3_ctx(s3, &ctx);
	S3_get_object(&ctx, key, NULL, 0, 0, NULL, &h, &c);
	rc = c.got > c.cap ? -EPX_E_S3_TOOBIG : archive_s3_rc(&c, "read-back", key);
	(void)mbedtls_sha256_finish_ret(&sc, d);
	mbedtls_sha256_free(&sc);
	hex_encode(d, sizeof(d), hex);
	*size = c.got;
	return rc;
}

/* ------------------------------------------------------------ requests */

static int archive_s3_refuse(const struct http_req *req, struct http_resp *resp, int rc,
			     const char *what)
{
	char code[16];

	http_log(req, "refused %s: %s %s", what, epx_code(rc, code, sizeof(code)),
		 epx_strerror(rc));
	return http_resp_fail(resp, rc, NULL);
}

enum archive_s3_for { ARCHIVE_S3_FOR_NODE, ARCHIVE_S3_FOR_PUBLIC };

/* "url <URL>\nexpires <t>\nttl <s>\n" for METHOD of key, valid ttl s from
 * now, naming the store as who asks reaches it: s3_node_endpoint for a
 * node's upload, s3_public_endpoint for a public GET */
static int archive_s3_answer_url(const struct archive_s3 *s3, const char *method,
				 const char *key, int64_t now, enum archive_s3_for who,
				 struct http_resp *resp)
{
	int node = who == ARCHIVE_S3_FOR_NODE;
	const char *host = node ? s3->node_host : s3->public_host;
	const struct s3sign sg = { s3->access_key, s3->secret, s3->region, host };
	char *ans = malloc(ARCHIVE_S3_ANSWER_MAX), path[S3SIGN_URL_MAX];
	int rc, n;

	if (!ans)
		return -ENOMEM;
	rc = s3sign_presign(&sg, method, s3->bucket, key, now, s3->ttl, path, sizeof(path));
	if (rc < 0) {
		free(ans);
		return rc;
	}
	n = snprintf(ans, ARCHIVE_S3_ANSWER_MAX, "url %s://%s%s\nexpires %lld\nttl %u\n",
		     (node ? s3->node_https : s3->public_https) ? "https" : "http", host, path,
		     (long long)(now + s3->ttl), s3->ttl);
	explicit_bzero(path, sizeof(path));
	rc = http_resp_take(resp, 200, "text/plain", ans, (size_t)n);
	resp->secret = 1;       /* a capability until it expires */
	return rc;
}

/* the final area of a new bundle: public/ only when its experiment is
 * registered and has no embargo */
static const char *archive_s3_area(struct srv *srv, const char *exp)
{
	struct store_experiment e;

	if (store_experiment_get(srv->store, exp, &e) == 0 && e.embargo_days == 0)
		return "public";
	return "private";
}

static int archive_s3_done(struct srv *srv, const struct http_req *req, struct http_resp *resp,
			   const char *host, const char *exp, const char *sha, const char *name)
{
	struct archive_s3 *s3 = srv->s3;
	char in[ARCHIVE_S3_KEY_MAX], fin[ARCHIVE_S3_KEY_MAX], hex[65], ans[ARCHIVE_S3_KEY_MAX + 16];
	const char *area;
	struct store_bundle b, got;
	uint64_t size = 0;
	int rc, again = 0, n;

	archive_s3_key(in, sizeof(in), "incoming", exp, host, sha);
	/* the same bundle again, under whatever name: its recorded name */
	if (store_bundle_get(srv->store, host, exp, sha, &got) == 0) {
		(void)archive_s3_delete(s3, in);
		archive_s3_obj(fin, sizeof(fin), "", &got);
		n = snprintf(ans, sizeof(ans), "exists %s\n", fin + 1);
		return http_resp_copy(resp, 200, "text/plain", ans, (size_t)n);
	}
	/* another bundle's name is never copied over */
	if (store_bundle_by_name(srv->store, name, &got) == 0) {
		(void)archive_s3_delete(s3, in);
		return archive_s3_refuse(req, resp, -EPX_E_ARC_NAMETAKEN, "archive done");
	}
	memset(&b, 0, sizeof(b));
	snprintf(b.host, sizeof(b.host), "%s", host);
	snprintf(b.experiment, sizeof(b.experiment), "%s", exp);
	memcpy(b.sha256, sha, sizeof(b.sha256));
	snprintf(b.name, sizeof(b.name), "%s", name);
	area = archive_s3_area(srv, exp);
	archive_s3_obj(fin, sizeof(fin), area, &b);
	rc = archive_s3_copy(s3, in, fin);
	if (rc < 0)
		return archive_s3_refuse(req, resp, rc, "archive done");
	(void)archive_s3_delete(s3, in);
	rc = archive_s3_readback(s3, fin, hex, &size);
	if (rc == 0 && (size == 0 || strcmp(hex, sha)))
		rc = size == 0 ? -EPX_E_ARC_EMPTY : -EPX_E_ARC_SHA;
	if (rc < 0) {
		(void)archive_s3_delete(s3, fin);
		return archive_s3_refuse(req, resp, rc, "archive done");
	}
	b.size = (int64_t)size;
	snprintf(b.location, sizeof(b.location), "%s", !strcmp(area, "public") ?
		 STORE_BUNDLE_S3_PUBLIC : STORE_BUNDLE_S3_PRIVATE);
	rc = store_bundle_add(srv->store, &b, &again, &got);
	if (rc < 0)
		return archive_s3_refuse(req, resp, rc, "archive done");
	if (again) {
		/* recorded meanwhile under its first name: one copy kept */
		if (strcmp(got.name, name))
			(void)archive_s3_delete(s3, fin);
		archive_s3_obj(fin, sizeof(fin), "", &got);
		n = snprintf(ans, sizeof(ans), "exists %s\n", fin + 1);
		return http_resp_copy(resp, 200, "text/plain", ans, (size_t)n);
	}
	http_log(req, "archive: stored bundle %s of %s/%s in S3 %s/%s, %llu bytes", sha, host, exp,
		 area, name, (unsigned long long)size);
	n = snprintf(ans, sizeof(ans), "stored %s\n", name);
	return http_resp_copy(resp, 200, "text/plain", ans, (size_t)n);
}

int archive_s3_handle(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1], exp[65], sha[65];
	char key[ARCHIVE_S3_KEY_MAX], name[ARCHIVE_NAME_MAX + 1], dt[65];
	enum archive_s3_op op = 0;
	int rc;

	if (req->method != HTTP_POST || req->body_len)
		return archive_s3_refuse(req, resp, -EPX_E_S3_BACKEND, "archive upload");
	rc = archive_s3_name(req->path, exp, sha, &op);
	if (rc == 0)
		rc = nodeapi_identify_archive(srv, req, host, serial);
	if (rc == 0)
		rc = archive_req_name(srv, req, exp, host, name, dt);
	if (rc < 0)
		return archive_s3_refuse(req, resp, rc, "archive request");
	if (op == ARCHIVE_S3_DONE)
		return archive_s3_done(srv, req, resp, host, exp, sha, name);
	archive_s3_key(key, sizeof(key), "incoming", exp, host, sha);
	rc = archive_s3_answer_url(srv->s3, "PUT", key, (int64_t)time(NULL), ARCHIVE_S3_FOR_NODE,
				   resp);
	if (rc < 0)
		return archive_s3_refuse(req, resp, rc, "archive url");
	http_log(req, "archive: upload URL for %s/%s/%s, %u s", host, exp, sha, srv->s3->ttl);
	return 0;
}

int archive_s3_public(struct srv *srv, const struct store_bundle *b, struct http_resp *resp)
{
	char key[ARCHIVE_S3_KEY_MAX];

	archive_s3_obj(key, sizeof(key), "public", b);
	return archive_s3_answer_url(srv->s3, "GET", key, (int64_t)time(NULL),
				     ARCHIVE_S3_FOR_PUBLIC, resp);
}

/* ------------------------------------------------------------ housekeeping */

struct archive_s3_due {
	struct store_bundle *b;
	size_t n;
	int64_t now;
};

static int archive_s3_due_cb(const struct store_bundle *b, void *arg)
{
	struct archive_s3_due *d = arg;

	if (b->public_at <= d->now && d->n < ARCHIVE_S3_HOUSEKEEPING_MAX)
		d->b[d->n++] = *b;
	return 0;
}

/* copy to public/, record the move, then delete the private copy: a
 * crash in between leaves a copy done again or a private orphan, never a
 * public bundle the store does not know or a recorded one that is gone */
static int archive_s3_move(struct archive_s3 *s3, struct store *store,
			   const struct store_bundle *b)
{
	char from[ARCHIVE_S3_KEY_MAX], to[ARCHIVE_S3_KEY_MAX];
	int rc;

	archive_s3_obj(from, sizeof(from), "private", b);
	archive_s3_obj(to, sizeof(to), "public", b);
	rc = archive_s3_copy(s3, from, to);
	if (rc == 0)
		rc = store_bundle_move(store, b, STORE_BUNDLE_S3_PRIVATE, STORE_BUNDLE_S3_PUBLIC);
	if (rc == 0)
		(void)archive_s3_delete(s3, from);
	return rc;
}

int archive_s3_housekeeping(struct archive_s3 *s3, struct store *store, int64_t now,
			    uint64_t *moved)
{
	struct store_bundle_query q;
	struct archive_s3_due d = { NULL, 0, now };
	size_t i;
	int rc, first = 0;

	*moved = 0;
	d.b = calloc(ARCHIVE_S3_HOUSEKEEPING_MAX, sizeof(*d.b));
	if (!d.b)
		return -ENOMEM;
	memset(&q, 0, sizeof(q));
	q.location = STORE_BUNDLE_S3_PRIVATE;
	rc = store_bundle_find(store, &q, archive_s3_due_cb, &d);
	for (i = 0; rc == 0 && i < d.n; i++) {
		int r = archive_s3_move(s3, store, &d.b[i]);

		if (r == 0)
			(*moved)++;
		else if (!first)
			first = r;      /* the others still move; the first error is told */
	}
	free(d.b);
	return rc < 0 ? rc : first;
}
