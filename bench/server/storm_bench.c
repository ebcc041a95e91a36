/* storm: a boot storm against epoxyd.  Every simulated node (a line of the
 * fleet file: name mac credential) does what the agent does over HTTPS: open
 * a session, fetch the manifest, then the four artifacts, each with its
 * token; a 503 is retried after its Retry-After (times the scale factor, so
 * a bench run does not take minutes of real sleeping), any other failure
 * counts against the node.  All THREADS workers wait at a barrier and then
 * start at once; each node binds its own loopback source address
 * (127.1.x.y), so epoxyd's per-address limits see a fleet, not one client.
 *   storm FLEETFILE PORT CAFILE THREADS NODES SCALE
 * Prints per-request and per-boot latency percentiles, 503 counts and how
 * many boots completed. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STORM_NODES_MAX 100000
#define STORM_BODY_MAX (4 << 20)

struct node { char name[64], mac[32], cred[80]; };
struct buf { char *p; size_t len; };

static struct node *nodes;
static int nnodes, port;
static const char *cafile;
static double scale;
static atomic_int next_node, done_ok, done_fail, n503, nreq;
static double *req_lat, *boot_lat;
static atomic_int nreq_lat;
static pthread_barrier_t start;

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
	long *ra = arg;

	if (!strncasecmp(p, "Retry-After:", 12))
		*ra = strtol(p + 12, NULL, 10);
	return sz * n;
}

/* One request, retried on 503; returns the final status. */
static long req(CURL *c, const char *path, const char *auth, const char *post,
		struct buf *b)
{
	char url[256], hdr[128];
	struct curl_slist *h = NULL;
	long status = 0, ra;

	snprintf(url, sizeof(url), "https://epoxy.test:%d%s", port, path);
	for (;;) {
		double t0 = now_s();
		int i;

		b->len = 0;
		b->p[0] = '\0';
		ra = 0;
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &ra);
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
		if (status != 503 && status != 0)
			return status;
		atomic_fetch_add(&n503, 1);
		usleep((useconds_t)((ra > 0 ? ra : 1) * scale * 1e6));
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
	pthread_barrier_wait(&start);
	while ((i = atomic_fetch_add(&next_node, 1)) < nnodes) {
		double t0 = now_s();

		/* a fresh connection from this node's own address */
		snprintf(iface, sizeof(iface), "127.1.%d.%d", i / 250, i % 250 + 1);
		curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
		if (boot(c, &nodes[i], &b, &s) == 0) {
			boot_lat[i] = now_s() - t0;
			atomic_fetch_add(&done_ok, 1);
		} else {
			boot_lat[i] = -1;
			atomic_fetch_add(&done_fail, 1);
		}
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 0L);
	}
	curl_slist_free_all(rl);
	curl_easy_cleanup(c);
	free(b.p);
	free(s.p);
	return NULL;
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

	if (argc != 7) {
		fprintf(stderr, "usage: storm FLEETFILE PORT CAFILE THREADS NODES SCALE\n");
		return 2;
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
