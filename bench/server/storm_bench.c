/* storm: a boot storm against epoxyd.  Every simulated node (a line of the
 * fleet file: name mac credential) does what the agent does over HTTPS: open
 * a session, fetch the manifest, then the four artifacts, each with its
 * token; a 503 is retried after its Retry-After (times the scale factor, so
 * a bench run does not take minutes of real sleeping), any other failure
 * counts against the node.  All THREADS workers wait at a barrier and then
 * start at once; each node binds its own loopback source address
 * (127.1.x.y), so epoxyd's per-address limits see a fleet, not one client.
 *   storm FLEETFILE PORT CAFILE THREADS NODES SCALE [join KEY NEW FAIL]
 * Prints per-request and per-boot latency percentiles, 503 counts and how
 * many boots completed.
 * With "join" (the rollout tests, tests/server/t_rollout.sh) a node boots
 * as far as the release it is served decides: served NEW, it fetches its
 * join credential, trades a CSR of KEY (a P-256 key shared by the
 * simulated fleet, CN = its name) for a node certificate, heartbeats with
 * it over mutual TLS (the host is then "joined") and reports success;
 * served FAIL, it reports stage 2 failed (EPOXY-E1322, the join script failed); served anything
 * else, it stops after the session.  One line per node:
 * "boot NAME RELEASE joined|failed|session|error".
 * STORM_CERT_DIR=DIR (join mode) keeps each joined node's certificate as
 * DIR/NAME.crt (bench/slivers: the fleet that long-polls afterwards). */
#include <curl/curl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_csr.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STORM_NODES_MAX 100000
#define STORM_BODY_MAX (4 << 20)

struct node { char name[64], mac[32], cred[80]; char *csr; };
struct hdrs { long ra; char nodecred[80]; };
struct buf { char *p; size_t len; };

static struct node *nodes;
static int nnodes, port;
static const char *cafile;
static double scale;
static atomic_int next_node, done_ok, done_fail, n503, nreq;
static double *req_lat, *boot_lat;
static atomic_int nreq_lat;
static pthread_barrier_t start;
static int join_mode;
static unsigned long new_version, fail_version;
static char *key_pem;
static size_t key_len;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = sz * n;

	if (b->len + len < STORM_BODY_MAX / 64) {   /* keep text answers only */
		memcpy(b->p + b->len, p, len);
		b->len += len;
		b->p[b->len] = '\0';
	}
	return len;
}

static size_t on_hdr(char *p, size_t sz, size_t n, void *arg)
{
	struct hdrs *h = arg;
	size_t len = sz * n;

	if (len > 12 && !strncasecmp(p, "Retry-After:", 12))
		h->ra = strtol(p + 12, NULL, 10);
	if (len > 22 + 64 && !strncasecmp(p, "Epoxy-Node-Credential:", 22)) {
		memcpy(h->nodecred, p + 23, 64);
		h->nodecred[64] = '\0';
	}
	return len;
}

static __thread char last_nodecred[80];

/* One request, retried on 503; returns the final status. */
static long req(CURL *c, const char *path, const char *auth, const char *post,
		struct buf *b)
{
	char url[256], hdr[128];
	struct curl_slist *h = NULL;
	long status = 0;
	struct hdrs hd;
	int dead = 0;

	snprintf(url, sizeof(url), "https://epoxy.test:%d%s", port, path);
	for (;;) {
		double t0 = now_s();
		int i;

		b->len = 0;
		b->p[0] = '\0';
		memset(&hd, 0, sizeof(hd));
		curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &hd);
		h = NULL;
		if (auth) {
			snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", auth);
			h = curl_slist_append(h, hdr);
		}
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		if (post)
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		else
			curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		if (curl_easy_perform(c) != CURLE_OK)
			status = 0;
		else
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(h);
		atomic_fetch_add(&nreq, 1);
		i = atomic_fetch_add(&nreq_lat, 1);
		if (i < STORM_NODES_MAX * 8)
			req_lat[i] = now_s() - t0;
		if (hd.nodecred[0])
			memcpy(last_nodecred, hd.nodecred, sizeof(last_nodecred));
		if (status != 503 && status != 0)
			return status;
		if (status == 0 && ++dead > 5)   /* no answer at all: give up */
			return 0;
		atomic_fetch_add(&n503, 1);
		usleep((useconds_t)((hd.ra > 0 ? hd.ra : 1) * scale * 1e6));
	}
}

static const char *tok(const char *sess, const char *purpose, char *out)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "\ntoken %s ", purpose);
	p = strstr(sess, pat);
	if (!p)
		return NULL;
	memcpy(out, p + strlen(pat), 64);
	out[64] = '\0';
	return out;
}

static void said(const struct node *n, unsigned long v, const char *what)
{
	pthread_mutex_lock(&out_lock);
	printf("boot %s %lu %s\n", n->name, v, what);
	pthread_mutex_unlock(&out_lock);
}

/* The mutual-TLS heartbeat with the certificate in b. */
static long heartbeat(CURL *c, struct buf *b)
{
	struct curl_blob cert = { b->p, b->len, CURL_BLOB_COPY };
	struct curl_blob key = { key_pem, key_len, CURL_BLOB_COPY };
	long st;

	curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
	curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
	curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	/* a new connection and no resumed TLS session: the certificate goes
	 * in a full handshake (epoxyd refuses one resumed from a session
	 * that had none) */
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	st = req(c, "/v1/node/heartbeat", NULL, "uptime=5", b);
	curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, NULL);
	curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, NULL);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 1L);
	return st;
}

/* STORM_CERT_DIR: the node certificate in b as DIR/NAME.crt */
static int keep_cert(const struct node *n, const struct buf *b)
{
	const char *dir = getenv("STORM_CERT_DIR");
	char path[512];
	FILE *f;
	int rc;

	if (!dir)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.crt", dir, n->name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	rc = fwrite(b->p, 1, b->len, f) == b->len ? 0 : -1;
	if (fclose(f))
		rc = -1;
	return rc;
}

/* After the session in s: join on the new release, fail on the bad one. */
static int join(CURL *c, const struct node *n, struct buf *b, struct buf *s)
{
	char form[4096], t[65], jc[65], nc[80];
	const char *rel = strstr(s->p, "\nrelease ");
	unsigned long v = rel ? strtoul(rel + 9, NULL, 10) : 0;

	if (!tok(s->p, "report", t) || !tok(s->p, "joincred", jc))
		return -1;
	if (v && v == fail_version) {
		if (req(c, "/v1/report", t, "stage=2&status=fail&code=EPOXY-E1322", b) != 204)
			return -1;
		said(n, v, "failed");
		return 0;
	}
	if (!v || v != new_version) {
		said(n, v, "session");
		return 0;
	}
	last_nodecred[0] = '\0';
	if (req(c, "/v1/joincred", jc, "", b) != 200 || strlen(last_nodecred) != 64)
		return -1;
	memcpy(nc, last_nodecred, sizeof(nc));
	snprintf(form, sizeof(form), "host=%s&csr=%s", n->name, n->csr);
	if (req(c, "/v1/node/csr", nc, form, b) != 200 || keep_cert(n, b) < 0 ||
	    heartbeat(c, b) != 200)
		return -1;
	if (req(c, "/v1/report", t, "stage=2&status=ok", b) != 204)
		return -1;
	said(n, v, "joined");
	return 0;
}

static int boot(CURL *c, const struct node *n, struct buf *b, struct buf *s)
{
	static const char *const arts[] = { "kernel", "initramfs", "cmdline", "join" };
	char form[512], t[65], path[64];
	unsigned char nonce[32];
	int i;

	for (i = 0; i < 32; i++)
		nonce[i] = (unsigned char)rand();
	snprintf(form, sizeof(form), "host=%s&mac=%s&nonce=", n->name, n->mac);
	for (i = 0; i < 32; i++)
		sprintf(form + strlen(form), "%02x", nonce[i]);
	snprintf(form + strlen(form), sizeof(form) - strlen(form), "&agent=1&stage=1&credential=%s",
		 n->cred);
	if (req(c, "/v1/session", NULL, form, s) != 200)
		return -1;
	if (join_mode)
		return join(c, n, b, s);
	if (!tok(s->p, "manifest", t) || req(c, "/v1/manifest", t, NULL, b) != 200)
		return -1;
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/v1/artifact/%s", arts[i]);
		if (!tok(s->p, arts[i], t) || req(c, path, t, NULL, b) != 200)
			return -1;
	}
	return 0;
}

static void *worker(void *arg)
{
	struct buf b = { malloc(STORM_BODY_MAX), 0 }, s = { malloc(STORM_BODY_MAX), 0 };
	char resolve[64], iface[32];
	struct curl_slist *rl;
	CURL *c = curl_easy_init();
	int i;

	(void)arg;
	snprintf(resolve, sizeof(resolve), "epoxy.test:%d:127.0.0.1", port);
	rl = curl_slist_append(NULL, resolve);
	curl_easy_setopt(c, CURLOPT_RESOLVE, rl);
	curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_hdr);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_VERBOSE, getenv("STORM_VERBOSE") ? 1L : 0L);
	pthread_barrier_wait(&start);
	while ((i = atomic_fetch_add(&next_node, 1)) < nnodes) {
		double t0 = now_s();

		/* a fresh connection from this node's own address */
		snprintf(iface, sizeof(iface), "127.1.%d.%d", i / 250, i % 250 + 1);
		curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		if (boot(c, &nodes[i], &b, &s) == 0) {
			boot_lat[i] = now_s() - t0;
			atomic_fetch_add(&done_ok, 1);
		} else {
			boot_lat[i] = -1;
			atomic_fetch_add(&done_fail, 1);
			if (join_mode)
				said(&nodes[i], 0, "error");
		}
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 0L);
	}
	curl_slist_free_all(rl);
	curl_easy_cleanup(c);
	free(b.p);
	free(s.p);
	return NULL;
}

/* Every node's CSR (hex of DER) for the one key in keyfile, made before
 * the storm starts: the workers share no random generator. */
static int csrs(const char *keyfile)
{
	static unsigned char der[1024];
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509write_csr w;
	mbedtls_pk_context pk;
	char subj[96];
	FILE *f = fopen(keyfile, "r");
	int i, len, k, rc = -1;

	key_pem = calloc(1, 4096);
	if (!f || !key_pem)
		return -1;
	key_len = fread(key_pem, 1, 4095, f);
	fclose(f);
	mbedtls_pk_init(&pk);
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0) ||
	    mbedtls_pk_parse_key(&pk, (unsigned char *)key_pem, key_len + 1, NULL, 0))
		goto out;
	for (i = 0; i < nnodes; i++) {
		mbedtls_x509write_csr_init(&w);
		mbedtls_x509write_csr_set_md_alg(&w, MBEDTLS_MD_SHA256);
		mbedtls_x509write_csr_set_key(&w, &pk);
		snprintf(subj, sizeof(subj), "CN=%s", nodes[i].name);
		len = mbedtls_x509write_csr_set_subject_name(&w, subj) ? -1 :
		      mbedtls_x509write_csr_der(&w, der, sizeof(der), mbedtls_ctr_drbg_random, &drbg);
		mbedtls_x509write_csr_free(&w);
		nodes[i].csr = len > 0 ? malloc((size_t)len * 2 + 1) : NULL;
		if (!nodes[i].csr)
			goto out;
		for (k = 0; k < len; k++)
			sprintf(nodes[i].csr + 2 * k, "%02x", der[sizeof(der) - (size_t)len + (size_t)k]);
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "storm: cannot make the nodes' CSRs from %s\n", keyfile);
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	return rc;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
	return n ? v[(int)(p * (n - 1))] : 0;
}

int main(int argc, char **argv)
{
	pthread_t th[1024];
	int threads, i, nb = 0;
	double t0, wall;
	FILE *f;

	if (argc != 7 && !(argc == 11 && !strcmp(argv[7], "join"))) {
		fprintf(stderr, "usage: storm FLEETFILE PORT CAFILE THREADS NODES SCALE [join KEY NEW FAIL]\n");
		return 2;
	}
	if (argc == 11) {
		join_mode = 1;
		new_version = strtoul(argv[9], NULL, 10);
		fail_version = strtoul(argv[10], NULL, 10);
	}
	port = atoi(argv[2]);
	cafile = argv[3];
	threads = atoi(argv[4]);
	nnodes = atoi(argv[5]);
	scale = atof(argv[6]);
	if (threads < 1 || threads > 1024 || nnodes < 1 || nnodes > STORM_NODES_MAX)
		return 2;
	nodes = calloc((size_t)nnodes, sizeof(*nodes));
	req_lat = calloc(STORM_NODES_MAX * 8, sizeof(double));
	boot_lat = calloc((size_t)nnodes, sizeof(double));
	f = fopen(argv[1], "r");
	for (i = 0; f && i < nnodes; i++)
		if (fscanf(f, "%63s %31s %79s", nodes[i].name, nodes[i].mac, nodes[i].cred) != 3)
			break;
	if (!f || i < nnodes) {
		fprintf(stderr, "storm: fleet file has fewer than %d nodes\n", nnodes);
		return 1;
	}
	fclose(f);
	if (join_mode && csrs(argv[8]))
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	t0 = now_s();
	pthread_barrier_wait(&start);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	wall = now_s() - t0;
	for (i = 0; i < nnodes; i++)
		if (boot_lat[i] >= 0)
			boot_lat[nb++] = boot_lat[i];
	qsort(boot_lat, (size_t)nb, sizeof(double), cmp);
	i = atomic_load(&nreq_lat);
	if (i > STORM_NODES_MAX * 8)
		i = STORM_NODES_MAX * 8;
	qsort(req_lat, (size_t)i, sizeof(double), cmp);
	printf("storm: %d nodes, %d threads, %.1f s wall\n", nnodes, threads, wall);
	printf("storm: boots completed %d, failed %d\n", atomic_load(&done_ok), atomic_load(&done_fail));
	printf("storm: requests %d, answered 503 %d\n", atomic_load(&nreq), atomic_load(&n503));
	printf("storm: request latency p50 %.1f ms p99 %.1f ms\n", pct(req_lat, i, 0.5) * 1e3,
	       pct(req_lat, i, 0.99) * 1e3);
	printf("storm: boot latency p50 %.2f s p99 %.2f s (Retry-After scaled by %.2f)\n",
	       pct(boot_lat, nb, 0.5), pct(boot_lat, nb, 0.99), scale);
	return atomic_load(&done_ok) == nnodes ? 0 : 1;
}
