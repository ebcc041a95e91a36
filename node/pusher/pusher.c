/* epoxy-pusher: bundles the measurement data of a node and uploads it to
 * the archive behind epoxyd (docs/man/epoxy-pusher.8, issue 15 point 2).
 *
 * Guarantees:
 *  - a file is taken only when it is complete: closed after writing
 *    (IN_CLOSE_WRITE) or moved in (IN_MOVED_TO), with no write since, and
 *    unchanged for --quiet seconds; so is a file found in a directory
 *    made after the watches (its close-write came before the watch) once
 *    no process holds it open for writing (a read lease, F_SETLEASE);
 *    a file found only by a periodic scan must be unchanged for
 *    --scan-age seconds (node/pusher/pusher_files.h);
 *  - a file is deleted from the data directory only after the archive
 *    acknowledged the bundle that holds it (200 after its fsync), and a
 *    bundle is named by its SHA-256, so sending it again after a crash
 *    stores nothing twice: kill -9 at any moment loses no finished file
 *    and puts none in the archive twice (node/pusher/pusher_bundle.h);
 *  - a bundle the archive refuses as changed (its hash) is checked here:
 *    a damaged bundle is dropped and its files bundled again, an intact
 *    one is sent again;
 *  - uploads retry forever with jittered exponential backoff capped at
 *    --backoff-max; meanwhile bundling goes on (the backlog is reported);
 *  - on SIGTERM every complete file is bundled and uploads go on for at
 *    most --grace seconds; what is left stays safe on disk;
 *  - the node's certificate and key are read again before a new
 *    connection whenever either file changed (renewed by the node
 *    manager); the key is wiped after use and no secret is logged.  Every age is measured on one wall clock, which a
 *    test moves with EPOXY_PUSHER_TEST_CLOCK (a file holding an offset in
 *    seconds, read only when that variable is set). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "lib/bundlename.h"
#include "lib/cli.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/label.h"
#include "lib/logline.h"
#include "lib/num.h"
#include "lib/rand.h"
#include "net/https.h"
#include "node/pusher/pusher_bundle.h"
#include "node/pusher/pusher_conf.h"
#include "node/pusher/pusher_files.h"
#include "node/pusher/pusher_s3.h"

#define PUSHER_GROUPS_MAX 256
#define PUSHER_PENDING_MAX 4096
#define PUSHER_URL_MAX 255
#define PUSHER_ANSWER_MAX 512
#define PUSHER_PATH_MAX 4096

struct pusher_group {
	char exp[PUSHER_TAG_MAX + 1], dt[PUSHER_TAG_MAX + 1];
	struct pusher_limits lim;       /* the experiment's (--config) or the options' */
	uint64_t age_s;                 /* this round's age threshold */
};

struct pusher {
	const char *data, *spool, *metrics, *ca, *cert, *key, *clock_file, *config, *archive_ca;
	struct pusher_conf *conf;       /* --config: only its experiments are taken */
	char name[PUSHER_URL_MAX + 1];
	char addr[INET_ADDRSTRLEN];
	uint16_t port;
	uint64_t size, age_min, age_max, quiet, scan_age, scan_every, max_files, max_bytes;
	uint64_t backoff_max_ms, grace, max_tracked;
	int once;                       /* --once: exit when nothing is left */
	struct https hs;
	int hs_live;
	int64_t crt_stamp[4], key_stamp[4];     /* --cert and --key as read */
	char node[LABEL_HOST_MAX + 1];          /* the certificate's host, "" unread */
	/* the object store of epoxyd's S3 backend (--archive): its authority
	 * as upload URLs must spell it, its name and port; its own client,
	 * which never presents the node certificate */
	char archive[PUSHER_S3_AUTH_MAX + 1];
	char archive_name[PUSHER_URL_MAX + 1];
	char archive_addr[INET_ADDRSTRLEN];
	uint16_t archive_port;
	struct https as;
	int as_live;
	struct pusher_files files;
	struct pusher_group groups[PUSHER_GROUPS_MAX];
	size_t ngroups;
	struct pusher_bundle *pending[PUSHER_PENDING_MAX];
	size_t npending;
	/* metrics */
	uint64_t uploaded, uploaded_bytes, retries, refused, rebuilt, changed;
	uint64_t urls, urls_expired, reloads;
	int64_t last_success;
};

static volatile sig_atomic_t pusher_stop;

static int pusher_node(struct pusher *p);

static void pusher_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pusher_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logline_vwrite(2, "epoxy-pusher: ", fmt, ap);  /* whole: one write(2) */
	va_end(ap);
}

static int pusher_fail(int rc, const char *what)
{
	char code[16];

	pusher_log("%s %s: %s", epx_code(rc, code, sizeof(code)), what, epx_strerror(rc));
	return rc;
}

static void pusher_usage(FILE *f)
{
	fputs("usage: epoxy-pusher --data DIR --spool DIR --server https://NAME[:PORT]\n"
	      "                    --ca FILE --cert FILE --key FILE [--addr IPV4]\n"
	      "                    [--config FILE]\n"
	      "                    [--size BYTES] [--age-min S] [--age-max S] [--quiet S]\n"
	      "                    [--scan-age S] [--scan-every S] [--max-files N]\n"
	      "                    [--max-bytes BYTES] [--backoff-max S] [--grace S]\n"
	      "                    [--max-tracked N] [--metrics FILE] [--once]\n"
	      "                    [--archive https://NAME[:PORT] [--archive-ca FILE]\n"
	      "                    [--archive-addr IPV4]]\n"
	      "  Watches DIR/<experiment>/<datatype>/... (inotify and periodic scans),\n"
	      "  bundles complete files per experiment and datatype into tar.gz archives\n"
	      "  in the spool when they reach --size bytes (default 20000000) or their\n"
	      "  oldest file a random age between --age-min and --age-max seconds (default\n"
	      "  1800 and 7200), asks epoxyd where to upload each (POST\n"
	      "  /v1/archive/<experiment>/<sha256>/url, node certificate) and follows the\n"
	      "  answer: a PUT to epoxyd, or (S3 backend) a PUT to the presigned URL then\n"
	      "  POST .../done; it deletes the files once the archive acknowledged.\n"
	      "  --archive https://NAME[:PORT]: the only host an upload URL may name,\n"
	      "  spelled as epoxyd's s3_node_endpoint; --archive-ca FILE: its CA (default\n"
	      "  --ca); --archive-addr IPV4: its address (default: NAME resolved).\n"
	      "  --quiet S: a closed file is taken after S seconds unchanged (default 10);\n"
	      "  --scan-age S: a file seen only by a periodic scan, after S seconds\n"
	      "  (default 3600; a file in a directory made after the watches is taken as\n"
	      "  closed, after --quiet, once no process holds it open for writing);\n"
	      "  --scan-every S: full scan period (default 300); --max-files and\n"
	      "  --max-bytes cap one bundle (10000 files, 100000000 bytes); --backoff-max S\n"
	      "  caps the retry backoff (default 300); --grace S bounds the uploads after\n"
	      "  SIGTERM (default 20); --metrics FILE: Prometheus text, replaced whole;\n"
	      "  --once: exit 0 when nothing is left to bundle or upload (tests, scripts).\n"
	      "  --config FILE: the experiments taken (DATA/<experiment>/<datatype>, the\n"
	      "  listed datatypes only), each one's limits, and the server when --server\n"
	      "  is not given (epoxy-pusher(8), CONFIGURATION); anything else is left.\n"
	      "exit: 0 stopped, 1 failure (code printed), 2 usage\n", f);
}

static int64_t pusher_now(const struct pusher *p)
{
	int64_t off = 0;

	if (p->clock_file) {
		char buf[32];
		long n = file_read(p->clock_file, buf, sizeof(buf) - 1);

		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			n--;
		if (n > 0 && num_parse_i64(buf, (size_t)n, 0, INT32_MAX, &off) < 0)
			off = 0;
	}
	return (int64_t)time(NULL) + off;
}

static uint64_t pusher_rand(uint64_t n)
{
	uint64_t r = 0;

	if (n == 0)
		return 0;
	if (rand_bytes(&r, sizeof(r)) < 0)
		r = (uint64_t)tls_now_ms();
	return r % n;
}

/* With --config, whether exp/dt is one the configuration takes, and its
 * limits; without, every group is taken with the options' limits. */
static int pusher_takes(const struct pusher *p, const char *exp, const char *dt,
			struct pusher_limits *lim)
{
	const struct pusher_conf_exp *e = p->conf ? pusher_conf_find(p->conf, exp) : NULL;

	if (p->conf && (!e || !pusher_conf_takes(e, dt)))
		return 0;
	if (lim && e)
		*lim = e->lim;
	else if (lim)
		*lim = (struct pusher_limits){ p->size, p->age_min, p->age_max, p->max_files,
					       p->max_bytes };
	return 1;
}

static struct pusher_group *pusher_group(struct pusher *p, const char *exp, const char *dt)
{
	struct pusher_limits lim;
	struct pusher_group *g;
	size_t i;

	for (i = 0; i < p->ngroups; i++)
		if (!strcmp(p->groups[i].exp, exp) && !strcmp(p->groups[i].dt, dt))
			return &p->groups[i];
	if (p->ngroups == PUSHER_GROUPS_MAX || !pusher_takes(p, exp, dt, &lim))
		return NULL;
	g = &p->groups[p->ngroups++];
	snprintf(g->exp, sizeof(g->exp), "%s", exp);
	snprintf(g->dt, sizeof(g->dt), "%s", dt);
	g->lim = lim;
	g->age_s = lim.age_min + pusher_rand(lim.age_max - lim.age_min + 1);
	return g;
}

/* Ready to be bundled now? */
static int pusher_ready(const struct pusher *p, const struct pusher_file *f, int64_t now)
{
	if (f->claimed || f->dirty)
		return 0;
	if (f->closed)
		return pusher_stop || now - f->mtime >= (int64_t)p->quiet;
	/* in a directory made after the watches: its close-write was missed;
	 * taken as closed once no one holds it open for writing */
	if (f->missed && now - f->mtime >= (int64_t)p->quiet &&
	    pusher_files_writer(&p->files, f->rel) == 0)
		return 1;
	return now - f->mtime >= (int64_t)p->scan_age;
}

static int pusher_pend(struct pusher *p, struct pusher_bundle *b)
{
	size_t i;

	if (p->npending == PUSHER_PENDING_MAX)
		return -EPX_E_PU_SPOOL;
	p->pending[p->npending++] = b;
	for (i = 0; i < b->nfiles; i++) {
		struct pusher_file *f = pusher_files_add(&p->files, b->files[i]);

		if (f)
			f->claimed = 1;
	}
	return 0;
}

/* Bundles the ready files of group g (exp/dt), at most one bundle. */
static int pusher_bundle_group(struct pusher *p, struct pusher_group *g, int64_t now)
{
	char **names = NULL;
	size_t n = 0, i, changed = 0, gone = 0;
	uint64_t bytes = 0;
	int64_t oldest = INT64_MAX;
	struct pusher_bundle *b = NULL;
	char exp[PUSHER_TAG_MAX + 1], dt[PUSHER_TAG_MAX + 1], bname[PUSHER_NAME_MAX + 1];
	struct timespec ts;
	int rc = 0;

	names = calloc(g->lim.max_files, sizeof(*names));
	if (!names)
		return -ENOMEM;
	for (i = 0; i < p->files.n && n < g->lim.max_files; i++) {
		struct pusher_file *f = &p->files.v[i];

		if (pusher_files_group(f->rel, exp, dt) < 0 || strcmp(exp, g->exp) ||
		    strcmp(dt, g->dt) || !pusher_ready(p, f, now))
			continue;
		if (n && bytes + f->size > g->lim.max_bytes)
			continue;
		names[n++] = f->rel;
		bytes += f->size;
		if (f->mtime < oldest)
			oldest = f->mtime;
	}
	if (n == 0 || (!pusher_stop && bytes < g->lim.size && now - oldest < (int64_t)g->age_s &&
		       n < g->lim.max_files))
		goto cleanup;
	b = calloc(1, sizeof(*b));
	if (!b) {
		rc = -ENOMEM;
		goto cleanup;
	}
	/* its archive name: this node's, the time it is built (kept in the
	 * journal, so that every retry sends the same) */
	if (!p->node[0] && pusher_node(p) < 0) {
		pusher_log("%s: no host name in the certificate yet; bundling waits", p->cert);
		goto cleanup;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	rc = bundlename_make(bname, sizeof(bname), g->exp, g->dt, p->node, (int64_t)ts.tv_sec,
			     (uint32_t)(ts.tv_nsec / 1000));
	if (rc == 0)
		rc = pusher_bundle_build(b, p->data, p->spool, bname, names, n, &changed, &gone);
	if (rc == -EPX_E_PU_CHANGED) {
		struct pusher_file *f = pusher_files_get(&p->files, names[changed]);

		pusher_log("%s: %s changed while it was bundled; it waits (EPOXY-E%04d)",
			   g->exp, names[changed], EPX_E_PU_CHANGED);
		if (f) {
			f->closed = 0;
			f->dirty = 0;
			f->mtime = now;
		}
		p->changed++;
		rc = 0;
		goto cleanup;
	}
	if (rc == -ENOENT) {
		rc = 0;
		goto cleanup;
	}
	if (rc < 0)
		goto cleanup;
	pusher_log("bundle %s (%s): %zu files, %llu bytes of data, %llu bundled", b->sha,
		   b->name, b->nfiles, (unsigned long long)b->data_bytes,
		   (unsigned long long)b->bytes);
	rc = pusher_pend(p, b);
	if (rc == 0)
		b = NULL;
	g->age_s = g->lim.age_min + pusher_rand(g->lim.age_max - g->lim.age_min + 1);
cleanup:
	if (b) {
		pusher_bundle_free(b);
		free(b);
	}
	free(names);
	return rc;
}

static int pusher_bundle_all(struct pusher *p, int64_t now)
{
	char exp[PUSHER_TAG_MAX + 1], dt[PUSHER_TAG_MAX + 1];
	size_t i;
	int rc;

	for (i = 0; i < p->files.n; i++)
		if (!p->files.v[i].claimed && pusher_files_group(p->files.v[i].rel, exp, dt) == 0)
			pusher_group(p, exp, dt);
	for (i = 0; i < p->ngroups; i++) {
		size_t before;

		do {
			before = p->npending;
			rc = pusher_bundle_group(p, &p->groups[i], now);
			if (rc < 0)
				return rc;
		} while (p->npending > before);
	}
	return 0;
}

/* The node's host name: the CN of its certificate (--cert), the name
 * epoxyd knows it by and checks every bundle name against. */
static int pusher_node(struct pusher *p)
{
	mbedtls_x509_crt crt;
	const mbedtls_x509_name *n;
	uint8_t *pem = malloc(TLS_OWN_MAX + 1);
	long len;
	int rc = -EPX_E_TLS_OWNCERT;

	if (!pem)
		return -ENOMEM;
	mbedtls_x509_crt_init(&crt);
	len = file_read(p->cert, pem, TLS_OWN_MAX);
	if (len <= 0 || len >= TLS_OWN_MAX)
		goto cleanup;
	pem[len] = '\0';
	if (mbedtls_x509_crt_parse(&crt, pem, (size_t)len + 1) != 0)
		goto cleanup;
	for (n = &crt.subject; n; n = n->next)
		if (n->oid.p && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0 &&
		    n->val.len > 0 && n->val.len <= LABEL_HOST_MAX &&
		    label_check(LABEL_HOST, (const char *)n->val.p, n->val.len) == 0) {
			memcpy(p->node, n->val.p, n->val.len);
			p->node[n->val.len] = '\0';
			rc = 0;
			break;
		}
cleanup:
	mbedtls_x509_crt_free(&crt);
	free(pem);
	return rc;
}

/* What says a file was replaced or rewritten: its inode, size, mtime
 * and ctime (a rename over it, as the node manager renews, or a write). */
static void pusher_stamp(const char *path, int64_t st4[4])
{
	struct stat st;

	memset(st4, 0, 4 * sizeof(*st4));
	if (stat(path, &st) < 0)
		return;
	st4[0] = (int64_t)st.st_ino;
	st4[1] = (int64_t)st.st_size;
	st4[2] = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	st4[3] = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
}

/* The client of epoxyd with the node certificate.  Before each new
 * connection the certificate and key files are looked at again: when
 * either changed (epoxy-nm --service-cert renewed them), both are read
 * again, so uploads go on past the old certificate's end. */
static int pusher_client(struct pusher *p)
{
	uint8_t *crt = NULL, *key = NULL;
	int64_t now_crt[4], now_key[4];
	long clen, klen;
	int rc;

	pusher_stamp(p->cert, now_crt);
	pusher_stamp(p->key, now_key);
	if (p->hs_live && !memcmp(now_crt, p->crt_stamp, sizeof(now_crt)) &&
	    !memcmp(now_key, p->key_stamp, sizeof(now_key)))
		return 0;
	if (p->hs_live) {
		pusher_log("%s or %s changed: reading the node certificate again", p->cert, p->key);
		tls_ctx_free(&p->hs.tls);
		p->hs_live = 0;
		p->reloads++;
		p->node[0] = '\0';
	}
	crt = malloc(TLS_OWN_MAX);
	key = malloc(TLS_OWN_MAX);
	if (!crt || !key) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rc = tls_ctx_init(&p->hs.tls, p->ca);
	if (rc < 0)
		goto cleanup;
	clen = file_read(p->cert, crt, TLS_OWN_MAX);
	klen = file_read(p->key, key, TLS_OWN_MAX);
	rc = clen <= 0 || klen <= 0 || clen >= TLS_OWN_MAX || klen >= TLS_OWN_MAX ?
		-EPX_E_TLS_OWNCERT :
		tls_ctx_own_cert(&p->hs.tls, crt, (size_t)clen, key, (size_t)klen);
	if (klen > 0)
		explicit_bzero(key, (size_t)klen);
	if (rc < 0) {
		tls_ctx_free(&p->hs.tls);
		goto cleanup;
	}
	p->hs.addr = p->addr;
	p->hs.port = p->port;
	p->hs.name = p->name;
	p->hs.user_agent = "epoxy-pusher";
	p->hs_live = 1;
	memcpy(p->crt_stamp, now_crt, sizeof(now_crt));
	memcpy(p->key_stamp, now_key, sizeof(now_key));
cleanup:
	free(crt);
	free(key);
	return rc;
}

/* The archive's own client: its CA, no client certificate (the node's
 * certificate is for epoxyd only), the Host header upload URLs are
 * signed with. */
static int pusher_archive_client(struct pusher *p)
{
	int rc;

	if (p->as_live)
		return 0;
	rc = tls_ctx_init(&p->as.tls, p->archive_ca ? p->archive_ca : p->ca);
	if (rc < 0)
		return rc;
	p->as.addr = p->archive_addr;
	p->as.port = p->archive_port;
	p->as.name = p->archive_name;
	p->as.host_header = p->archive;
	p->as.user_agent = "epoxy-pusher";
	p->as_live = 1;
	return 0;
}

/* One request of the upload; ans (cap bytes) holds a 2xx answer. */
static int pusher_request(struct https *h, const char *method, const char *target,
			  const void *body, uint64_t len, char *ans, size_t cap, char *reason,
			  size_t rcap)
{
	struct https_buf out = { ans, cap - 1, 0 };
	struct https_resp resp;
	struct https_req r;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(&resp, 0, sizeof(resp));
	r.method = method;
	r.path = target;
	r.ctype = "application/gzip";
	r.body = body;
	r.body_len = len;
	r.body_max = cap - 1;
	/* a minute, plus a second per 100 kB (a slow uplink) */
	r.deadline = tls_now_ms() + 60000 + (int64_t)(len / 100);
	r.on_data = https_buf_data;
	r.ctx = &out;
	rc = https_do(h, &r, &resp);
	ans[out.len] = '\0';
	snprintf(reason, rcap, "%s", resp.reason);
	return rc;
}

static void pusher_url_drop(struct pusher_bundle *b)
{
	if (b->url)
		explicit_bzero(b->url, sizeof(*b->url));
	free(b->url);
	b->url = NULL;
}

/* Asks epoxyd where to upload b (POST .../url); b->url is its checked
 * answer (pusher_s3.h), used until url_until_ms: a fifth of its life
 * (at most 30 s) before it ends by the node's own clock. */
static int pusher_ask(struct pusher *p, struct pusher_bundle *b, char *reason, size_t rcap)
{
	char path[PUSHER_PATH_MAX], *ans = malloc(PUSHER_S3_ANSWER_MAX + 2);
	struct pusher_s3_url *u = calloc(1, sizeof(*u));
	int64_t asked = tls_now_ms(), margin;
	int rc = -ENOMEM;

	if (!ans || !u)
		goto cleanup;
	snprintf(path, sizeof(path), "/v1/archive/%s/%s/url?name=%s", b->exp, b->sha, b->name);
	rc = pusher_request(&p->hs, "POST", path, NULL, 0, ans, PUSHER_S3_ANSWER_MAX + 2, reason,
			    rcap);
	if (rc == -EPX_E_HTTP_BODYBIG || rc == -EPX_E_HTTP_LENGTH)
		rc = -EPX_E_PU_ANSWER;
	if (rc == 0)
		rc = pusher_s3_answer(ans, strlen(ans), p->archive[0] ? p->archive : NULL, b->exp,
				      b->sha, u);
	if (rc < 0)
		goto cleanup;
	pusher_url_drop(b);
	margin = (int64_t)u->ttl * 200 > 30000 ? 30000 : (int64_t)u->ttl * 200;
	b->url_until_ms = asked + (int64_t)u->ttl * 1000 - margin;
	b->url = u;
	u = NULL;
	p->urls++;
cleanup:
	if (ans)
		explicit_bzero(ans, PUSHER_S3_ANSWER_MAX + 2);
	free(ans);
	free(u);
	return rc;
}

/* PUT to the presigned URL, then "done" to epoxyd: 0 only when epoxyd
 * answered that it holds the bundle, read back and checked ("stored" or
 * "exists").  The URL is used once: whatever happens next asks again. */
static int pusher_upload_s3(struct pusher *p, struct pusher_bundle *b, const void *map,
			    char *reason, size_t rcap)
{
	char ans[PUSHER_ANSWER_MAX], path[PUSHER_PATH_MAX];
	int rc = pusher_archive_client(p);

	if (rc < 0)
		return rc;
	rc = pusher_request(&p->as, "PUT", b->url->target, map, b->bytes, ans, sizeof(ans),
			    reason, rcap);
	reason[0] = '\0';       /* the object store's words are not logged */
	if (rc == -EPX_E_HTTP_AUTH) {
		pusher_log("EPOXY-E%04d the object store refused the upload URL of %s "
			   "(https://%s%.*s): asking epoxyd for a new one", EPX_E_PU_URLEXPIRED,
			   b->sha, p->archive, (int)b->url->path_len, b->url->target);
		p->urls_expired++;
		pusher_url_drop(b);
		return -EPX_E_PU_URLEXPIRED;
	}
	if (rc < 0) {
		char code[16];

		/* host and path only: the query is the capability */
		pusher_log("%s PUT of %s to https://%s%.*s: %s", epx_code(rc, code, sizeof(code)),
			   b->sha, p->archive, (int)b->url->path_len, b->url->target,
			   epx_strerror(rc));
		return rc;      /* the store is away: the URL is kept while it lives */
	}
	pusher_url_drop(b);
	snprintf(path, sizeof(path), "/v1/archive/%s/%s/done?name=%s", b->exp, b->sha, b->name);
	rc = pusher_request(&p->hs, "POST", path, NULL, 0, ans, sizeof(ans), reason, rcap);
	if (rc == 0 && strncmp(ans, "stored ", 7) && strncmp(ans, "exists ", 7))
		rc = -EPX_E_PU_DONE;
	return rc;
}

static int pusher_upload(struct pusher *p, struct pusher_bundle *b, char *reason, size_t rcap)
{
	char path[PUSHER_PATH_MAX], ans[PUSHER_ANSWER_MAX];
	void *map;
	int fd, rc, tries;

	reason[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s.tgz", p->spool, b->sha);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EPX_E_PU_SPOOL;
	map = b->bytes ? mmap(NULL, b->bytes, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (map == MAP_FAILED)
		return -EPX_E_PU_SPOOL;
	rc = pusher_client(p);
	/* an expired URL, by the node's clock or the store's (403), is asked
	 * for again at once, never sent again */
	for (tries = 0; rc == 0 && tries < 2; tries++) {
		if (b->url && tls_now_ms() >= b->url_until_ms) {
			pusher_log("EPOXY-E%04d the upload URL of %s expired while it waited: "
				   "asking epoxyd for a new one", EPX_E_PU_URLEXPIRED, b->sha);
			p->urls_expired++;
			pusher_url_drop(b);
		}
		if (!b->url)
			rc = pusher_ask(p, b, reason, rcap);
		if (rc < 0)
			break;
		if (b->url->local) {
			/* the local backend: the PUT's 200 is the acknowledgment */
			snprintf(path, sizeof(path), "%s?name=%s", b->url->target, b->name);
			rc = pusher_request(&p->hs, "PUT", path, map, b->bytes, ans, sizeof(ans),
					    reason, rcap);
			pusher_url_drop(b);
			break;
		}
		rc = pusher_upload_s3(p, b, map, reason, rcap);
		if (rc != -EPX_E_PU_URLEXPIRED)
			break;
		rc = 0;
	}
	if (rc == 0 && tries == 2)
		rc = -EPX_E_PU_URLEXPIRED;
	munmap(map, b->bytes);
	return rc;
}

static void pusher_pending_drop(struct pusher *p, size_t i)
{
	pusher_url_drop(p->pending[i]);
	pusher_bundle_free(p->pending[i]);
	free(p->pending[i]);
	memmove(&p->pending[i], &p->pending[i + 1],
		(p->npending - i - 1) * sizeof(p->pending[0]));
	p->npending--;
}

/* The bundle is durable in the archive: delete its files, then it. */
static int pusher_acked(struct pusher *p, size_t i)
{
	struct pusher_bundle *b = p->pending[i];
	char path[PATH_MAX];
	size_t k;
	int rc;

	for (k = 0; k < b->nfiles; k++) {
		if (snprintf(path, sizeof(path), "%s/%s", p->data, b->files[k]) < (int)sizeof(path) &&
		    unlink(path) < 0 && errno != ENOENT)
			pusher_log("cannot delete %s after its upload: %s", b->files[k], strerror(errno));
		pusher_files_forget(&p->files, b->files[k]);
	}
	rc = pusher_bundle_remove(p->spool, b->sha);
	p->uploaded++;
	p->uploaded_bytes += b->bytes;
	p->last_success = pusher_now(p);
	pusher_pending_drop(p, i);
	return rc;
}

/* The files of a damaged bundle go back to the table for another one. */
static void pusher_rebuild(struct pusher *p, size_t i)
{
	struct pusher_bundle *b = p->pending[i];
	size_t k;

	pusher_log("bundle %s is damaged in the spool: dropped, its %zu files bundled again",
		   b->sha, b->nfiles);
	for (k = 0; k < b->nfiles; k++) {
		struct pusher_file *f = pusher_files_get(&p->files, b->files[k]);

		if (f)
			f->claimed = 0;
	}
	pusher_bundle_remove(p->spool, b->sha);
	p->rebuilt++;
	pusher_pending_drop(p, i);
}

static void pusher_uploads(struct pusher *p)
{
	char reason[HTTPS_ERRBODY_MAX], code[16];
	int64_t now = tls_now_ms();
	size_t i = 0;
	int rc;

	while (i < p->npending) {
		struct pusher_bundle *b = p->pending[i];
		uint64_t d;

		if (b->next_try_ms > now || (pusher_stop && pusher_stop > 1)) {
			i++;
			continue;
		}
		rc = pusher_upload(p, b, reason, sizeof(reason));
		now = tls_now_ms();
		if (rc == 0) {
			pusher_log("uploaded %s as %s (%zu files)", b->sha, b->name, b->nfiles);
			pusher_acked(p, i);
			continue;
		}
		if (rc == -EPX_E_HTTP_CODE) {
			/* refused: damaged here, or on the way */
			p->refused++;
			pusher_log("%s the archive refused %s: %s", epx_code(rc, code, sizeof(code)),
				   b->sha, reason);
			/* damaged, or its name taken by another bundle (a clock
			 * stepped back): built again, under a new name */
			if (pusher_bundle_verify(p->spool, b->sha) < 0 ||
			    strstr(reason, epx_code(-EPX_E_ARC_NAMETAKEN, code, sizeof(code)))) {
				pusher_rebuild(p, i);
				continue;
			}
		}
		p->retries++;
		b->attempts++;
		d = 100ull << (b->attempts < 22 ? b->attempts : 22);
		if (d > p->backoff_max_ms)
			d = p->backoff_max_ms;
		d = d / 2 + pusher_rand(d / 2 + 1);
		b->next_try_ms = now + (int64_t)d;
		pusher_log("%s upload of %s: %s%s%s; again in %llu ms", epx_code(rc, code, sizeof(code)),
			   b->sha, epx_strerror(rc), reason[0] ? "; archive: " : "", reason,
			   (unsigned long long)d);
		/* the archive is away: the others wait for the same backoff */
		for (size_t k = i + 1; k < p->npending; k++)
			if (p->pending[k]->next_try_ms < b->next_try_ms)
				p->pending[k]->next_try_ms = b->next_try_ms;
		break;
	}
}

static int pusher_metrics(const struct pusher *p)
{
	char tmp[PATH_MAX];
	uint64_t files = 0, bytes = 0;
	size_t i;
	FILE *f;

	if (!p->metrics)
		return 0;
	for (i = 0; i < p->files.n; i++) {
		files++;
		bytes += p->files.v[i].size;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", p->metrics) >= (int)sizeof(tmp))
		return -EPX_E_PU_USAGE;
	f = fopen(tmp, "we");
	if (!f)
		return -EPX_E_PU_SPOOL;
	fprintf(f, "# HELP epoxy_pusher_backlog_files Files in the data directories not yet acknowledged by the archive.\n"
		"# TYPE epoxy_pusher_backlog_files gauge\nepoxy_pusher_backlog_files %llu\n"
		"# HELP epoxy_pusher_backlog_bytes Bytes of those files.\n"
		"# TYPE epoxy_pusher_backlog_bytes gauge\nepoxy_pusher_backlog_bytes %llu\n"
		"# HELP epoxy_pusher_pending_bundles Bundles in the spool waiting for the archive.\n"
		"# TYPE epoxy_pusher_pending_bundles gauge\nepoxy_pusher_pending_bundles %zu\n"
		"# HELP epoxy_pusher_bundles_uploaded_total Bundles the archive acknowledged.\n"
		"# TYPE epoxy_pusher_bundles_uploaded_total counter\nepoxy_pusher_bundles_uploaded_total %llu\n"
		"# HELP epoxy_pusher_uploaded_bytes_total Bundle bytes the archive acknowledged.\n"
		"# TYPE epoxy_pusher_uploaded_bytes_total counter\nepoxy_pusher_uploaded_bytes_total %llu\n"
		"# HELP epoxy_pusher_upload_retries_total Failed uploads, each retried.\n"
		"# TYPE epoxy_pusher_upload_retries_total counter\nepoxy_pusher_upload_retries_total %llu\n"
		"# HELP epoxy_pusher_bundles_refused_total Uploads the archive refused.\n"
		"# TYPE epoxy_pusher_bundles_refused_total counter\nepoxy_pusher_bundles_refused_total %llu\n"
		"# HELP epoxy_pusher_bundles_rebuilt_total Damaged bundles dropped and built again.\n"
		"# TYPE epoxy_pusher_bundles_rebuilt_total counter\nepoxy_pusher_bundles_rebuilt_total %llu\n"
		"# HELP epoxy_pusher_inotify_overflows_total Event queue overflows (a full scan followed).\n"
		"# TYPE epoxy_pusher_inotify_overflows_total counter\nepoxy_pusher_inotify_overflows_total %llu\n"
		"# HELP epoxy_pusher_last_success_timestamp_seconds Time of the last acknowledged upload.\n"
		"# TYPE epoxy_pusher_last_success_timestamp_seconds gauge\nepoxy_pusher_last_success_timestamp_seconds %lld\n"
		"# HELP epoxy_pusher_upload_urls_total Upload URLs epoxyd gave (S3 backend).\n"
		"# TYPE epoxy_pusher_upload_urls_total counter\nepoxy_pusher_upload_urls_total %llu\n"
		"# HELP epoxy_pusher_upload_urls_expired_total Upload URLs that expired or were refused, each asked for again.\n"
		"# TYPE epoxy_pusher_upload_urls_expired_total counter\nepoxy_pusher_upload_urls_expired_total %llu\n"
		"# HELP epoxy_pusher_cert_reloads_total Times the node certificate and key were read again after they changed.\n"
		"# TYPE epoxy_pusher_cert_reloads_total counter\nepoxy_pusher_cert_reloads_total %llu\n",
		(unsigned long long)files, (unsigned long long)bytes, p->npending,
		(unsigned long long)p->uploaded, (unsigned long long)p->uploaded_bytes,
		(unsigned long long)p->retries, (unsigned long long)p->refused,
		(unsigned long long)p->rebuilt, (unsigned long long)p->files.overflows,
		(long long)p->last_success, (unsigned long long)p->urls,
		(unsigned long long)p->urls_expired, (unsigned long long)p->reloads);
	if (fclose(f) != 0 || rename(tmp, p->metrics) < 0)
		return -EPX_E_PU_SPOOL;
	return 0;
}

static void pusher_found(void *ctx, const char *sha)
{
	struct pusher *p = ctx;
	struct pusher_bundle *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return;
	rc = pusher_bundle_load(b, p->spool, sha);
	if (rc == 0 && pusher_pend(p, b) == 0) {
		pusher_log("bundle %s from the spool: %zu files, sent again", sha, b->nfiles);
		return;
	}
	if (rc == -EPX_E_PU_JOURNAL) {
		pusher_fail(rc, sha);
		pusher_bundle_remove(p->spool, sha);
	}
	pusher_bundle_free(b);
	free(b);
}

static void pusher_signal(int sig)
{
	(void)sig;
	pusher_stop = 1;
}

static int pusher_url(struct pusher *p, const char *url)
{
	const char *s = url, *colon;
	uint64_t port = 443;
	size_t n;

	if (strncmp(s, "https://", 8))
		return -EPX_E_PU_USAGE;
	s += 8;
	colon = strchr(s, ':');
	n = colon ? (size_t)(colon - s) : strcspn(s, "/");
	if (n == 0 || n > PUSHER_URL_MAX)
		return -EPX_E_PU_USAGE;
	memcpy(p->name, s, n);
	p->name[n] = '\0';
	if (colon && num_str_u64(colon + 1, 65535, &port) < 0)
		return -EPX_E_PU_USAGE;
	p->port = (uint16_t)port;
	return port ? 0 : -EPX_E_PU_USAGE;
}

/* --archive https://NAME[:PORT]: no path, no user, NAME 1..255 bytes */
static int pusher_archive_opt(struct pusher *p, const char *url)
{
	const char *s = url + 8, *colon;
	uint64_t port = 443;
	size_t n;

	if (strncmp(url, "https://", 8) || strlen(s) > PUSHER_S3_AUTH_MAX || strpbrk(s, "/@?#"))
		return -EPX_E_PU_USAGE;
	colon = strchr(s, ':');
	n = colon ? (size_t)(colon - s) : strlen(s);
	if (n == 0 || n > PUSHER_URL_MAX || (colon && num_str_u64(colon + 1, 65535, &port) < 0) ||
	    port == 0)
		return -EPX_E_PU_USAGE;
	memcpy(p->archive_name, s, n);
	p->archive_name[n] = '\0';
	p->archive_port = (uint16_t)port;
	snprintf(p->archive, sizeof(p->archive), "%s", s);
	return 0;
}

static int pusher_resolve_one(const char *name, char addr[INET_ADDRSTRLEN])
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
	int rc = -EPX_E_NET_CONNECT;

	if (addr[0])
		return 0;
	if (getaddrinfo(name, NULL, &hints, &ai) != 0)
		return rc;
	if (inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr,
		      INET_ADDRSTRLEN))
		rc = 0;
	freeaddrinfo(ai);
	return rc;
}

static int pusher_resolve(struct pusher *p)
{
	int rc = pusher_resolve_one(p->name, p->addr);

	if (rc == 0 && p->archive[0])
		rc = pusher_resolve_one(p->archive_name, p->archive_addr);
	return rc;
}

static int pusher_opts(struct pusher *p, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", 1, 0, 'd' }, { "spool", 1, 0, 's' }, { "server", 1, 0, 'S' },
		{ "ca", 1, 0, 'C' }, { "cert", 1, 0, 'c' }, { "key", 1, 0, 'k' },
		{ "addr", 1, 0, 'a' }, { "size", 1, 0, 'z' }, { "age-min", 1, 0, 'm' },
		{ "age-max", 1, 0, 'M' }, { "quiet", 1, 0, 'q' }, { "scan-age", 1, 0, 'A' },
		{ "scan-every", 1, 0, 'E' }, { "max-files", 1, 0, 'f' }, { "max-bytes", 1, 0, 'b' },
		{ "backoff-max", 1, 0, 'B' }, { "grace", 1, 0, 'g' }, { "max-tracked", 1, 0, 't' },
		{ "metrics", 1, 0, 'P' }, { "once", 0, 0, 'o' }, { "help", 0, 0, 'h' },
		{ "config", 1, 0, 'F' }, { "archive", 1, 0, 'R' }, { "archive-ca", 1, 0, 'X' },
		{ "archive-addr", 1, 0, 'Y' },
		{ 0, 0, 0, 0 }
	};
	int c, rc = 0;
	uint64_t v;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		uint64_t *num = c == 'z' ? &p->size : c == 'm' ? &p->age_min : c == 'M' ? &p->age_max :
			c == 'q' ? &p->quiet : c == 'A' ? &p->scan_age : c == 'E' ? &p->scan_every :
			c == 'f' ? &p->max_files : c == 'b' ? &p->max_bytes : c == 'g' ? &p->grace :
			c == 't' ? &p->max_tracked : NULL;

		if (num) {
			if (num_str_u64(optarg, c == 'f' ? PUSHER_BUNDLE_FILES_MAX :
					c == 't' ? 10000000 : c == 'z' || c == 'b' ? 1ull << 40 :
					30 * 86400, &v) < 0)
				return -EPX_E_PU_USAGE;
			*num = v;
			continue;
		}
		switch (c) {
		case 'd': p->data = optarg; break;
		case 's': p->spool = optarg; break;
		case 'S': rc = pusher_url(p, optarg); break;
		case 'C': p->ca = optarg; break;
		case 'c': p->cert = optarg; break;
		case 'k': p->key = optarg; break;
		case 'P': p->metrics = optarg; break;
		case 'F': p->config = optarg; break;
		case 'R': rc = pusher_archive_opt(p, optarg); break;
		case 'X': p->archive_ca = optarg; break;
		case 'Y':
			if (strlen(optarg) >= sizeof(p->archive_addr) ||
			    inet_pton(AF_INET, optarg, &(struct in_addr){ 0 }) != 1)
				return -EPX_E_PU_USAGE;
			snprintf(p->archive_addr, sizeof(p->archive_addr), "%s", optarg);
			break;
		case 'o': p->once = 1; break;
		case 'a':
			if (strlen(optarg) >= sizeof(p->addr) ||
			    inet_pton(AF_INET, optarg, &(struct in_addr){ 0 }) != 1)
				return -EPX_E_PU_USAGE;
			snprintf(p->addr, sizeof(p->addr), "%s", optarg);
			break;
		case 'B':
			if (num_str_u64(optarg, 86400, &v) < 0 || v == 0)
				return -EPX_E_PU_USAGE;
			p->backoff_max_ms = v * 1000;
			break;
		case 'h': pusher_usage(stdout); exit(0);
		default: return -EPX_E_PU_USAGE;
		}
		if (rc < 0)
			return rc;
	}
	if ((p->archive_ca || p->archive_addr[0]) && !p->archive[0])
		return -EPX_E_PU_USAGE;
	if (optind != argc || !p->data || !p->spool || (!p->name[0] && !p->config) || !p->ca ||
	    !p->cert ||
	    !p->key || p->age_min > p->age_max || p->max_files == 0 || p->scan_every == 0 ||
	    p->max_bytes == 0)
		return -EPX_E_PU_USAGE;
	return 0;
}

/* --config FILE over the options' limits; its server unless --server. */
static int pusher_config(struct pusher *p)
{
	struct pusher_limits def = { p->size, p->age_min, p->age_max, p->max_files,
				     p->max_bytes };
	char what[PUSHER_PATH_MAX + 32];
	unsigned line = 0;
	int rc;

	p->conf = calloc(1, sizeof(*p->conf));
	if (!p->conf)
		return pusher_fail(-ENOMEM, p->config);
	rc = pusher_conf_load(p->conf, p->config, &def, &line);
	if (rc < 0) {
		snprintf(what, sizeof(what), "%.*s, line %u", PUSHER_PATH_MAX, p->config, line);
		return pusher_fail(rc, what);
	}
	if (!p->name[0]) {
		snprintf(p->name, sizeof(p->name), "%s", p->conf->server);
		p->port = p->conf->port;
	}
	pusher_log("%s: %zu experiments", p->config, p->conf->nexp);
	return 0;
}

/* A file the pusher will ever take (--once waits only for those). */
static int pusher_taken(const struct pusher *p, const char *rel)
{
	char exp[PUSHER_TAG_MAX + 1], dt[PUSHER_TAG_MAX + 1];

	return pusher_files_group(rel, exp, dt) == 0 && pusher_takes(p, exp, dt, NULL);
}

int main(int argc, char **argv)
{
	static struct pusher P;
	struct pusher *p = &P;
	struct sigaction sa;
	int64_t next_scan = 0, stop_at = 0, next_metrics = 0;
	int rc;

	p->size = 20000000;
	p->age_min = 1800;
	p->age_max = 7200;
	p->quiet = 10;
	p->scan_age = 3600;
	p->scan_every = 300;
	p->max_files = 10000;
	p->max_bytes = 100000000;
	p->backoff_max_ms = 300000;
	p->grace = 20;
	p->max_tracked = 1000000;
	p->clock_file = getenv("EPOXY_PUSHER_TEST_CLOCK");
	rc = pusher_opts(p, argc, argv);
	if (rc < 0) {
		pusher_fail(rc, "usage");
		pusher_usage(stderr);
		return CLI_USAGE;
	}
	if (p->config && pusher_config(p) < 0)
		return CLI_USAGE;
	rc = pusher_resolve(p);
	if (rc < 0)
		return pusher_fail(rc, p->name), CLI_FAIL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pusher_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (mkdir(p->spool, 0700) < 0 && errno != EEXIST)
		return pusher_fail(-EPX_E_PU_SPOOL, p->spool), CLI_FAIL;
	rc = pusher_files_init(&p->files, p->data, p->max_tracked);
	if (rc < 0)
		return pusher_fail(rc, p->data), CLI_FAIL;
	/* what a run before this one left: pending bundles own their files */
	rc = pusher_bundle_recover(p->spool, pusher_found, p);
	if (rc < 0)
		return pusher_fail(rc, p->spool), CLI_FAIL;
	for (;;) {
		struct pollfd pfd = { .fd = p->files.ifd, .events = POLLIN };
		int64_t mono = tls_now_ms(), now;

		if (pusher_stop == 1) {
			pusher_stop = 2;
			stop_at = mono + (int64_t)p->grace * 1000;
			pusher_log("SIGTERM: bundling what is complete, uploading for %llu s",
				   (unsigned long long)p->grace);
			next_scan = 0;
		}
		if (mono >= next_scan || p->files.rescan) {
			rc = pusher_files_scan(&p->files);
			if (rc < 0)
				pusher_fail(rc, p->data);
			next_scan = mono + (int64_t)p->scan_every * 1000;
		}
		pusher_files_events(&p->files);
		now = pusher_now(p);
		rc = pusher_bundle_all(p, now);
		if (rc < 0)
			pusher_fail(rc, "bundle");
		if (pusher_stop == 2) {
			pusher_stop = 3;
			pusher_uploads(p);
			pusher_stop = 2;
		} else {
			pusher_uploads(p);
		}
		if (mono >= next_metrics) {
			pusher_metrics(p);
			next_metrics = mono + 1000;
		}
		if (pusher_stop && (p->npending == 0 || tls_now_ms() >= stop_at))
			break;
		if (p->once && p->npending == 0) {
			size_t i, left = 0;

			for (i = 0; i < p->files.n; i++)
				left += !p->files.v[i].claimed && pusher_taken(p, p->files.v[i].rel);
			if (left == 0)
				break;
		}
		poll(&pfd, 1, 200);
	}
	pusher_metrics(p);
	pusher_log("stopped: %llu bundles uploaded, %zu waiting in the spool",
		   (unsigned long long)p->uploaded, p->npending);
	pusher_files_free(&p->files);
	if (p->hs_live)
		tls_ctx_free(&p->hs.tls);
	if (p->as_live)
		tls_ctx_free(&p->as.tls);
	while (p->npending)
		pusher_pending_drop(p, 0);
	free(p->conf);
	return 0;
}
