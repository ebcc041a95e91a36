/* pollers: N simulated nodes long-polling epoxyd's sliver sets at once
 * (issue 14's bench; bench/slivers/run.sh drives it).
 *
 *   epoxyd-pollers FLEETFILE CERTDIR KEY PORT CAFILE WAIT ROUNDS EPOXYD_PID CHANGE
 *
 * Each node (the first word of each FLEETFILE line, CERTDIR/NAME.crt with
 * the fleet's shared KEY, as epoxyd-storm's join mode made them) holds one
 * keep-alive mutual-TLS connection from its own loopback address
 * (127.2.x.y: epoxyd's per-address limits see a fleet, not one client),
 * all of them in one thread on epoll through libcurl's multi-socket API.
 * First every node fetches its set (GET /v1/node/slivers) and keeps its
 * ETag; then, for each of ROUNDS rounds: every node asks again with
 * If-None-Match and ?wait=WAIT, the held polls settle, epoxyd's RSS is
 * read (/proc/EPOXYD_PID/status), the shell command CHANGE runs with the
 * round number as $1 (an admin change that reaches every node), and each
 * poll's answer is timed from the moment CHANGE exited (its commit: the
 * change is in the store when epoxyctl returns) and from when it started.
 * epoxyd's RSS is sampled every 100 ms during the round.
 * Prints one line per round and a summary; a figure, never an assertion.
 * Exit: 0 when every poll of every round answered 200 with a new ETag. */
#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLLERS_MAX 20000
#define POLLERS_BATCH 100

struct node {
	char name[64];
	char etag[32];
	CURL *h;
	struct curl_slist *hdrs;
	int busy;                /* a request in flight */
	double t_done;           /* when its last answer came */
	double t_round;          /* its first 200 of the round (0: none yet) */
	long status;
	int fail;
	int errors;              /* requests that got no HTTP answer */
};

static struct node *nodes;
static int nnodes, port, waitsec, ep;
static long timeout_ms = -1;
static const char *certdir, *keyfile, *cafile;
static struct curl_slist *resolve;
static CURLM *multi;
static int inflight;
static int polling;              /* answered nodes poll again at once */
static int round_on;             /* a round's change is under way */
static int answers_200, answers_304, answers_other, answers_none;

static void node_start(int i, int poll);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static size_t on_hdr(char *p, size_t sz, size_t n, void *arg)
{
	struct node *nd = arg;
	size_t len = sz * n, k;

	if (len > 6 && !strncasecmp(p, "ETag:", 5)) {
		p += 5;
		len -= 5;
		while (len && *p == ' ') {
			p++;
			len--;
		}
		for (k = 0; k < len && k < sizeof(nd->etag) - 1 && p[k] != '\r' && p[k] != '\n'; k++)
			nd->etag[k] = p[k];
		nd->etag[k] = '\0';
	}
	return sz * n;
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *u, void *sp)
{
	struct epoll_event ev;

	(void)e;
	(void)u;
	(void)sp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = s;
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT)
		epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	return 0;
}

static int timer_cb(CURLM *m, long ms, void *u)
{
	(void)m;
	(void)u;
	timeout_ms = ms;
	return 0;
}

static int node_setup(int i)
{
	struct node *nd = &nodes[i];
	char cert[512], iface[32];

	nd->h = curl_easy_init();
	if (!nd->h)
		return -1;
	snprintf(cert, sizeof(cert), "%s/%s.crt", certdir, nd->name);
	snprintf(iface, sizeof(iface), "127.2.%d.%d", i / 250, i % 250 + 1);
	curl_easy_setopt(nd->h, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(nd->h, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(nd->h, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(nd->h, CURLOPT_SSLKEY, keyfile);
	curl_easy_setopt(nd->h, CURLOPT_INTERFACE, iface);
	curl_easy_setopt(nd->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(nd->h, CURLOPT_HEADERFUNCTION, on_hdr);
	curl_easy_setopt(nd->h, CURLOPT_HEADERDATA, nd);
	curl_easy_setopt(nd->h, CURLOPT_PRIVATE, nd);
	curl_easy_setopt(nd->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(nd->h, CURLOPT_CONNECTTIMEOUT, 120L);
	curl_easy_setopt(nd->h, CURLOPT_TIMEOUT, (long)waitsec + 60);
	return 0;
}

/* (Re)starts node i's request: a poll with its ETag when it has one. */
static void node_start(int i, int poll)
{
	struct node *nd = &nodes[i];
	char url[256], inm[64];

	if (poll)
		snprintf(url, sizeof(url), "https://epoxy.test:%d/v1/node/slivers?wait=%d", port,
			 waitsec);
	else
		snprintf(url, sizeof(url), "https://epoxy.test:%d/v1/node/slivers", port);
	curl_slist_free_all(nd->hdrs);
	nd->hdrs = NULL;
	if (poll && nd->etag[0]) {
		snprintf(inm, sizeof(inm), "If-None-Match: %s", nd->etag);
		nd->hdrs = curl_slist_append(NULL, inm);
	}
	curl_easy_setopt(nd->h, CURLOPT_URL, url);
	curl_easy_setopt(nd->h, CURLOPT_HTTPHEADER, nd->hdrs);
	nd->busy = 1;
	nd->status = 0;
	nd->t_done = 0;
	inflight++;
	curl_multi_add_handle(multi, nd->h);
}

static void reap(void)
{
	struct CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(multi, &left))) {
		struct node *nd;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&nd);
		nd->status = 0;
		if (m->data.result == CURLE_OK)
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &nd->status);
		else if (nd->fail++ < 3)
			fprintf(stderr, "pollers: %s: %s\n", nd->name, curl_easy_strerror(m->data.result));
		nd->t_done = now_s();
		nd->busy = 0;
		inflight--;
		curl_multi_remove_handle(multi, m->easy_handle);
		if (nd->status == 200) {
			answers_200++;
			if (round_on && nd->t_round == 0)
				nd->t_round = nd->t_done;
		} else if (nd->status == 304) {
			answers_304++;
		} else if (nd->status) {
			answers_other++;
		} else {
			nd->errors++;
			answers_none++;
		}
		/* as epoxy-nm does: the next long poll at once, with the ETag
		 * just received (after an error, its own backoff: 1 s here) */
		if (polling && nd->status)
			node_start((int)(nd - nodes), 1);
	}
}

/* One pass of the event loop, at most max_ms; returns 1 when pidfd fired. */
static int step(int max_ms, int pidfd)
{
	struct epoll_event evs[512];
	int n, i, running, fired = 0;
	long t = timeout_ms < 0 || timeout_ms > max_ms ? max_ms : timeout_ms;

	n = epoll_wait(ep, evs, 512, (int)t);
	if (n <= 0) {
		curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	} else {
		for (i = 0; i < n; i++) {
			int f = 0;

			if (pidfd >= 0 && evs[i].data.fd == pidfd) {
				fired = 1;
				continue;
			}
			if (evs[i].events & EPOLLIN)
				f |= CURL_CSELECT_IN;
			if (evs[i].events & EPOLLOUT)
				f |= CURL_CSELECT_OUT;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				f |= CURL_CSELECT_ERR;
			curl_multi_socket_action(multi, evs[i].data.fd, f, &running);
		}
		if (timeout_ms == 0)
			curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	reap();
	return fired;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
	int i = (int)(p / 100.0 * (n - 1) + 0.5);

	return n ? v[i] : -1;
}

static int load(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (nnodes < POLLERS_MAX && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s", nodes[nnodes].name) == 1)
			nnodes++;
	fclose(f);
	return 0;
}

/* Runs CHANGE with the round as $1 while the loop keeps answering;
 * t0: when it started, t1: when it exited.  Returns its exit status. */
static int change(const char *cmd, int round, double *t0, double *t1)
{
	char r[16];
	struct epoll_event ev;
	int pidfd, st = -1;
	pid_t pid;

	snprintf(r, sizeof(r), "%d", round);
	*t0 = now_s();
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, "change", r, (char *)NULL);
		_exit(127);
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = pidfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev);
	while (!step(50, pidfd))
		;
	*t1 = now_s();
	epoll_ctl(ep, EPOLL_CTL_DEL, pidfd, NULL);
	close(pidfd);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* polling mode: a node with no request in flight (its last one got no
 * HTTP answer) polls again; called about once a second */
static void sweep(void)
{
	int i;

	for (i = 0; i < nnodes; i++)
		if (!nodes[i].busy)
			node_start(i, 1);
}

/* Runs the loop for up to secs, sweeping every second. */
static void run_for(double secs)
{
	double end = now_s() + secs, next = now_s() + 1;

	while (now_s() < end) {
		step(100, -1);
		if (now_s() >= next) {
			sweep();
			next = now_s() + 1;
		}
	}
}

static int round_run(int r, const char *cmd, pid_t srv, double *lat, int *nlat)
{
	double t0, t1, tend, next_sample, next_sweep, *l = malloc(sizeof(double) * (size_t)nnodes);
	long held_rss, peak = 0, v;
	int i, n = 0, rc, missing = 0, a200 = answers_200, a304 = answers_304;
	int aoth = answers_other, held;

	/* every node's poll held: settle 3 s after the last answer */
	run_for(3);
	held = inflight;
	held_rss = rss_kb(srv, "VmRSS:");
	for (i = 0; i < nnodes; i++)
		nodes[i].t_round = 0;
	round_on = 1;
	rc = change(cmd, r, &t0, &t1);
	next_sample = next_sweep = now_s();
	tend = t1 + waitsec + 10;
	for (;;) {
		for (missing = 0, i = 0; i < nnodes; i++)
			missing += nodes[i].t_round == 0;
		if (!missing || now_s() >= tend)
			break;
		step(20, -1);
		if (now_s() >= next_sample) {
			v = rss_kb(srv, "VmRSS:");
			if (v > peak)
				peak = v;
			next_sample = now_s() + 0.1;
		}
		if (now_s() >= next_sweep) {
			sweep();
			next_sweep = now_s() + 1;
		}
	}
	round_on = 0;
	for (i = 0; i < nnodes; i++)
		if (nodes[i].t_round > 0) {
			l[n++] = nodes[i].t_round - t1;
			lat[(*nlat)++] = nodes[i].t_round - t1;
		}
	qsort(l, (size_t)n, sizeof(*l), cmp);
	printf("round %d: %d of %d polls held, epoxyd RSS %ld kB held, %ld kB peak during the answers;"
	       " change took %.3f s (exit %d); %d nodes got the new set, %d did not within %d s"
	       " (answers 200: %d, 304: %d, other: %d); propagation from commit: p50 %.3f s,"
	       " p90 %.3f s, p99 %.3f s, max %.3f s (first %.3f s; from the change's start:"
	       " p50 %.3f s, p99 %.3f s)\n",
	       r, held, nnodes, held_rss, peak, t1 - t0, rc, n, missing, waitsec + 10,
	       answers_200 - a200, answers_304 - a304, answers_other - aoth, pct(l, n, 50),
	       pct(l, n, 90), pct(l, n, 99), n ? l[n - 1] : -1, n ? l[0] : -1,
	       pct(l, n, 50) + (t1 - t0), pct(l, n, 99) + (t1 - t0));
	fflush(stdout);
	free(l);
	return !missing && rc == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	char res[64];
	double t0, *lat;
	int i, rounds, nlat = 0, bad = 0, got = 0, pass;
	pid_t srv;
	long idle_rss;

	if (argc != 10) {
		fprintf(stderr, "usage: epoxyd-pollers FLEETFILE CERTDIR KEY PORT CAFILE WAIT ROUNDS"
			" EPOXYD_PID CHANGE\n");
		return 2;
	}
	nodes = calloc(POLLERS_MAX, sizeof(*nodes));
	if (!nodes || load(argv[1]) < 0 || nnodes == 0) {
		fprintf(stderr, "pollers: cannot read %s\n", argv[1]);
		return 1;
	}
	certdir = argv[2];
	keyfile = argv[3];
	port = atoi(argv[4]);
	cafile = argv[5];
	waitsec = atoi(argv[6]);
	rounds = atoi(argv[7]);
	srv = (pid_t)atoi(argv[8]);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(res, sizeof(res), "epoxy.test:%d:127.0.0.1", port);
	resolve = curl_slist_append(NULL, res);
	ep = epoll_create1(EPOLL_CLOEXEC);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)nnodes + 16);
	lat = malloc(sizeof(double) * (size_t)nnodes * (size_t)(rounds > 0 ? rounds : 1));
	idle_rss = rss_kb(srv, "VmRSS:");
	/* every node fetches its set (its connection, TLS and ETag), then
	 * long-polls at once and again after every answer, as epoxy-nm does.
	 * Nodes start POLLERS_BATCH at a time (all handshakes at once would
	 * outlast epoxyd's header_timeout: it sheds them as slow clients). */
	t0 = now_s();
	for (i = 0; i < nnodes; i++)
		if (node_setup(i) < 0)
			return 1;
	polling = 1;
	for (i = 0; i < nnodes; i++) {
		node_start(i, 0);
		if ((i + 1) % POLLERS_BATCH == 0) {
			while (answers_200 + answers_other + answers_none < i + 1 && now_s() < t0 + 900)
				step(100, -1);
		}
	}
	run_for(2);
	for (got = 0, i = 0; i < nnodes; i++)
		got += nodes[i].etag[0] != 0;
	pass = POLLERS_BATCH;
	printf("%d nodes connected (mutual TLS, one address each, %d at a time), fetched"
	       " their set and hold a poll, in %.1f s: %d with an ETag, %d requests in flight;"
	       " epoxyd RSS %ld kB idle before, %ld kB after\n", nnodes, pass, now_s() - t0,
	       got, inflight, idle_rss, rss_kb(srv, "VmRSS:"));
	fflush(stdout);
	for (i = 1; i <= rounds; i++)
		bad |= round_run(i, argv[9], srv, lat, &nlat);
	qsort(lat, (size_t)nlat, sizeof(*lat), cmp);
	printf("all rounds: %d answers; propagation from commit p50 %.3f s, p99 %.3f s, max %.3f s;"
	       " epoxyd peak RSS (VmHWM) %ld kB\n",
	       nlat, pct(lat, nlat, 50), pct(lat, nlat, 99), nlat ? lat[nlat - 1] : -1,
	       rss_kb(srv, "VmHWM:"));
	for (i = 0; i < nnodes; i++) {
		curl_easy_cleanup(nodes[i].h);
		curl_slist_free_all(nodes[i].hdrs);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(resolve);
	curl_global_cleanup();
	free(lat);
	free(nodes);
	return bad ? 1 : 0;
}
