/* pollers: N simulated nodes long-polling epoxyd's sliver sets at once
 * (issue 14's bench; bench/slivers/run.sh drives it).
 *
 *   epoxyd-pollers FLEETFILE CERTDIR KEY PORT CAFILE WAIT ROUNDS EPOXYD_PID CHANGE
 *
 * Each node (the first word of each FLEETFILE line, CERTDIR/NAME.crt with
 * the fleet's shared KEY, as epoxyd-storm's join mode made them) holds one
 * keep-alive mutual-TLS connection from its own loopback address
 * (127.2.x.y: epoxyd's per-address limits see a fleet, not one client),
 * all of them in one thread on one epoll loop: OpenSSL with one context
 * (the CA and the fleet key loaded once, each node's certificate parsed
 * once at start; no session resumption: each node is another machine),
 * non-blocking, at most POLLERS_HANDSHAKES connections in their handshake
 * at a time (more at once would outlast epoxyd's header_timeout).
 * First every node fetches its set (GET /v1/node/slivers) and keeps its
 * serial; then, as epoxy-nm does, it long-polls (If-None-Match "SERIAL",
 * ?wait=WAIT) at once and again after every answer.  For each of ROUNDS
 * rounds: the held polls settle, epoxyd's RSS is read
 * (/proc/EPOXYD_PID/status), the shell command CHANGE runs with the round
 * number as $1 (an admin change that reaches every node), and each node's
 * first 200 with a higher serial is timed from the moment CHANGE exited
 * (its commit: the change is in the store when epoxyctl returns) and from
 * when it started.  epoxyd's RSS is sampled every 100 ms during the round.
 *
 * Parsing is the project's: the response head by net/httpc (capped at
 * HTTPC_HEAD_MAX, chunked refused), a body of at most
 * SLIVERSET_MAX_BYTES of which only the first POLLERS_PEEK bytes are
 * kept, the serial read by lib/line.h and lib/num.h (the set's signature
 * is not checked: epoxy-nm's cost, not epoxyd's).
 * Prints one line per round and a summary; a figure, never an assertion.
 * Exit: 0 when every node got every round's new set. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/line.h"
#include "lib/num.h"
#include "lib/sliverset.h"
#include "net/httpc.h"

#define POLLERS_MAX 20000
#define POLLERS_HANDSHAKES 64
#define POLLERS_PEEK 256
#define POLLERS_RETRY_S 1.0
#define POLLERS_PIDFD UINT32_MAX

enum pollers_state { P_IDLE, P_CONNECT, P_HANDSHAKE, P_SEND, P_RECV };

struct pollers_node {
	char name[64];
	X509 *cert;
	SSL *ssl;
	int fd;
	enum pollers_state st;
	uint32_t events;                 /* what epoll waits for now */
	char out[512];
	size_t olen, osent;
	uint8_t head[HTTPC_HEAD_MAX];
	size_t hlen;                     /* bytes in head (the head, maybe body after it) */
	long head_end;                   /* 0 until the head is whole */
	struct httpc_head h;
	char peek[POLLERS_PEEK];
	size_t plen;
	int64_t body_left;
	uint64_t serial;                 /* of the last set received */
	int close_after;
	double retry_at;                 /* P_IDLE: when to connect again */
	double t_round;                  /* its first new set of the round (0: none) */
	int fails;
};

static struct pollers_node *pollers_nodes;
static int pollers_n, pollers_port, pollers_wait, pollers_ep;
static SSL_CTX *pollers_ctx;
static const char *pollers_certdir;
static int pollers_handshaking;      /* connections in P_CONNECT/P_HANDSHAKE */
static int pollers_polling;          /* answered nodes poll again at once */
static int pollers_round_on;
static uint64_t pollers_round_floor; /* a set above this serial is the round's */
static int pollers_a200, pollers_a304, pollers_aother, pollers_errors;

static double pollers_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long pollers_rss(pid_t pid, const char *key)
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

static void pollers_want(struct pollers_node *nd, uint32_t ev)
{
	struct epoll_event e;

	if (nd->events == ev)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.u32 = (uint32_t)(nd - pollers_nodes);
	epoll_ctl(pollers_ep, nd->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, nd->fd, &e);
	nd->events = ev;
}

static void pollers_close(struct pollers_node *nd)
{
	if (nd->st == P_CONNECT || nd->st == P_HANDSHAKE)
		pollers_handshaking--;
	if (nd->ssl)
		SSL_free(nd->ssl);
	nd->ssl = NULL;
	if (nd->fd >= 0)
		close(nd->fd);            /* leaves the epoll set */
	nd->fd = -1;
	nd->events = 0;
	nd->st = P_IDLE;
}

/* A connection that failed: closed, connected again in POLLERS_RETRY_S. */
static void pollers_fail(struct pollers_node *nd, const char *what)
{
	if (nd->fails++ < 3)
		fprintf(stderr, "pollers: %s: %s\n", nd->name, what);
	pollers_errors++;
	pollers_close(nd);
	nd->retry_at = pollers_now() + POLLERS_RETRY_S;
}

static void pollers_connect(struct pollers_node *nd)
{
	int i = (int)(nd - pollers_nodes);
	struct sockaddr_in me, srv;

	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_addr.s_addr = htonl(0x7f020000u | (uint32_t)(i / 250) << 8 | (uint32_t)(i % 250 + 1));
	srv = me;
	srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.sin_port = htons((uint16_t)pollers_port);
	nd->retry_at = 0;
	nd->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (nd->fd < 0 || bind(nd->fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    (connect(nd->fd, (struct sockaddr *)&srv, sizeof(srv)) < 0 && errno != EINPROGRESS)) {
		pollers_fail(nd, strerror(errno));
		return;
	}
	nd->st = P_CONNECT;
	pollers_handshaking++;
	pollers_want(nd, EPOLLOUT);
}

/* The next request on the connection: the first fetch, or a long poll. */
static void pollers_request(struct pollers_node *nd)
{
	char inm[48] = "";

	if (nd->serial)
		snprintf(inm, sizeof(inm), "If-None-Match: \"%llu\"\r\n",
			 (unsigned long long)nd->serial);
	nd->olen = (size_t)snprintf(nd->out, sizeof(nd->out),
				    nd->serial ? "GET %s?wait=%d HTTP/1.1\r\nHost: epoxy.test:%d\r\n%s\r\n" :
				    "GET %s HTTP/1.1\r\nHost: epoxy.test:%d\r\n\r\n",
				    NODEPROTO_NODE_SLIVERS_PATH, nd->serial ? pollers_wait : pollers_port,
				    pollers_port, inm);
	nd->osent = 0;
	nd->hlen = 0;
	nd->head_end = 0;
	nd->plen = 0;
	nd->st = P_SEND;
}

/* A whole answer: counted, timed, and the next poll. */
static void pollers_answer(struct pollers_node *nd)
{
	const char *v;
	size_t pos = 0;
	long n;
	uint64_t serial = 0;

	if (nd->h.status == 200) {
		pollers_a200++;
		if (line_take(nd->peek, nd->plen, &pos, "epoxy-slivers 1", &v) == 0 &&
		    line_take(nd->peek, nd->plen, &pos, "node ", &v) >= 0 &&
		    (n = line_take(nd->peek, nd->plen, &pos, "serial ", &v)) > 0 &&
		    num_parse_u64(v, (size_t)n, SLIVERSET_VALUE_MAX, &serial) == 0 && serial) {
			if (pollers_round_on && !nd->t_round && serial > pollers_round_floor)
				nd->t_round = pollers_now();
			nd->serial = serial;
		} else {
			pollers_aother++;
			pollers_fail(nd, "a 200 without a set's serial");
			return;
		}
	} else if (nd->h.status == 304) {
		pollers_a304++;
	} else {
		pollers_aother++;
		if (nd->fails++ < 3)
			fprintf(stderr, "pollers: %s: answer %d\n", nd->name, nd->h.status);
	}
	if (nd->close_after || nd->h.status >= 400) {
		pollers_close(nd);
		nd->retry_at = pollers_now() + (nd->h.status >= 400 ? POLLERS_RETRY_S : 0.001);
		return;
	}
	if (pollers_polling || !nd->serial) {
		pollers_request(nd);
		pollers_want(nd, EPOLLOUT);
	} else {
		nd->st = P_IDLE;          /* connected, quiet (not polling yet) */
		pollers_want(nd, EPOLLIN);
	}
}

/* Body bytes p[0..n): the first POLLERS_PEEK kept. */
static void pollers_body(struct pollers_node *nd, const uint8_t *p, size_t n)
{
	size_t k = n < sizeof(nd->peek) - nd->plen ? n : sizeof(nd->peek) - nd->plen;

	memcpy(nd->peek + nd->plen, p, k);
	nd->plen += k;
	nd->body_left -= (int64_t)n;
}

/* Reads what TLS holds; 1 when the answer is whole, 0 for more, -1 failed. */
static int pollers_read(struct pollers_node *nd)
{
	uint8_t buf[16384];
	int r;

	for (;;) {
		if (!nd->head_end)
			r = SSL_read(nd->ssl, nd->head + nd->hlen, (int)(sizeof(nd->head) - nd->hlen));
		else
			r = SSL_read(nd->ssl, buf, nd->body_left < (int64_t)sizeof(buf) ?
				     (int)nd->body_left : (int)sizeof(buf));
		if (r <= 0) {
			int e = SSL_get_error(nd->ssl, r);

			if (e == SSL_ERROR_WANT_READ)
				return 0;
			pollers_fail(nd, e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ?
				     "connection closed" : "TLS read");
			return -1;
		}
		if (nd->head_end) {
			pollers_body(nd, buf, (size_t)r);
		} else {
			nd->hlen += (size_t)r;
			nd->head_end = httpc_head_end(nd->head, nd->hlen);
			if (nd->head_end < 0 ||
			    (nd->head_end > 0 &&
			     httpc_parse_head(&nd->h, nd->head, (size_t)nd->head_end) < 0)) {
				pollers_fail(nd, "malformed answer head");
				return -1;
			}
			if (!nd->head_end)
				continue;
			if (nd->h.status != 304 && nd->h.content_length < 0)
				nd->h.chunked = 1;      /* no length: refused below */
			if (nd->h.chunked ||
			    nd->h.content_length > SLIVERSET_MAX_BYTES ||
			    (int64_t)(nd->hlen - (size_t)nd->head_end) >
			    (nd->h.status == 304 ? 0 : nd->h.content_length)) {
				pollers_fail(nd, "answer without a length in bounds");
				return -1;
			}
			nd->close_after = nd->h.close;
			nd->body_left = nd->h.status == 304 ? 0 : nd->h.content_length;
			pollers_body(nd, nd->head + nd->head_end, nd->hlen - (size_t)nd->head_end);
		}
		if (nd->body_left == 0)
			return 1;
	}
}

static void pollers_event(struct pollers_node *nd, uint32_t ev)
{
	int r, e, err = 0;
	socklen_t l = sizeof(err);

	switch (nd->st) {
	case P_IDLE:                      /* a quiet connection: closed by epoxyd */
		pollers_fail(nd, "idle connection closed");
		return;
	case P_CONNECT:
		if (getsockopt(nd->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 || err) {
			pollers_fail(nd, err ? strerror(err) : "connect");
			return;
		}
		nd->ssl = SSL_new(pollers_ctx);
		if (!nd->ssl || SSL_use_certificate(nd->ssl, nd->cert) != 1 ||
		    SSL_set_fd(nd->ssl, nd->fd) != 1 ||
		    SSL_set_tlsext_host_name(nd->ssl, "epoxy.test") != 1 ||
		    SSL_set1_host(nd->ssl, "epoxy.test") != 1) {
			pollers_fail(nd, "TLS set-up");
			return;
		}
		SSL_set_connect_state(nd->ssl);
		nd->st = P_HANDSHAKE;
		/* fall through */
	case P_HANDSHAKE:
		r = SSL_do_handshake(nd->ssl);
		if (r != 1) {
			e = SSL_get_error(nd->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				pollers_want(nd, EPOLLIN);
			else if (e == SSL_ERROR_WANT_WRITE)
				pollers_want(nd, EPOLLOUT);
			else
				pollers_fail(nd, ERR_reason_error_string(ERR_peek_last_error()) ?
					     ERR_reason_error_string(ERR_get_error()) : "handshake");
			return;
		}
		pollers_handshaking--;
		pollers_request(nd);
		/* fall through */
	case P_SEND:
		while (nd->osent < nd->olen) {
			r = SSL_write(nd->ssl, nd->out + nd->osent, (int)(nd->olen - nd->osent));
			if (r <= 0) {
				e = SSL_get_error(nd->ssl, r);
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					pollers_want(nd, e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT);
					return;
				}
				pollers_fail(nd, "TLS write");
				return;
			}
			nd->osent += (size_t)r;
		}
		nd->st = P_RECV;
		pollers_want(nd, EPOLLIN);
		return;
	case P_RECV:
		(void)ev;
		if (pollers_read(nd) == 1)
			pollers_answer(nd);
		return;
	}
}

/* Connects idle nodes whose time came, POLLERS_HANDSHAKES at a time. */
static void pollers_start_due(void)
{
	static double last;
	double now = pollers_now();
	int i;

	if (now - last < 0.01 || pollers_handshaking >= POLLERS_HANDSHAKES)
		return;
	last = now;
	for (i = 0; i < pollers_n && pollers_handshaking < POLLERS_HANDSHAKES; i++) {
		struct pollers_node *nd = &pollers_nodes[i];

		if (nd->st == P_IDLE && nd->fd < 0 && nd->retry_at > 0 && nd->retry_at <= now)
			pollers_connect(nd);
	}
}

/* One pass of the loop, at most max_ms; 1 when pidfd fired. */
static int pollers_step(int max_ms, int pidfd)
{
	struct epoll_event evs[512];
	int n, i, fired = 0;

	n = epoll_wait(pollers_ep, evs, 512, max_ms);
	for (i = 0; i < n; i++) {
		if (evs[i].data.u32 == POLLERS_PIDFD) {
			fired = pidfd >= 0;
			continue;
		}
		pollers_event(&pollers_nodes[evs[i].data.u32], evs[i].events);
	}
	pollers_start_due();
	return fired;
}

static void pollers_run_for(double secs)
{
	double end = pollers_now() + secs;

	while (pollers_now() < end)
		pollers_step(50, -1);
}

static int pollers_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pollers_pct(const double *v, int n, double p)
{
	return n ? v[(int)(p / 100.0 * (n - 1) + 0.5)] : -1;
}

static int pollers_held(void)
{
	int i, k = 0;

	for (i = 0; i < pollers_n; i++)
		k += pollers_nodes[i].st == P_RECV;
	return k;
}

/* Runs CHANGE with the round as $1 while the loop keeps answering;
 * t0: when it started, t1: when it exited.  Returns its exit status. */
static int pollers_change(const char *cmd, int round, double *t0, double *t1)
{
	char r[16];
	struct epoll_event ev;
	int pidfd, st = -1;
	pid_t pid;

	snprintf(r, sizeof(r), "%d", round);
	*t0 = pollers_now();
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, "change", r, (char *)NULL);
		_exit(127);
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = POLLERS_PIDFD;
	if (pidfd >= 0 && epoll_ctl(pollers_ep, EPOLL_CTL_ADD, pidfd, &ev) == 0) {
		while (!pollers_step(20, pidfd))
			;
		epoll_ctl(pollers_ep, EPOLL_CTL_DEL, pidfd, NULL);
	}
	*t1 = pollers_now();
	if (pidfd >= 0)
		close(pidfd);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int pollers_round(int r, const char *cmd, pid_t srv, double *lat, int *nlat)
{
	double t0, t1, tend, next, *l = malloc(sizeof(double) * (size_t)pollers_n);
	long held_rss, peak = 0, v;
	int i, n = 0, rc, missing = 0, held, a200 = pollers_a200, a304 = pollers_a304;
	int aoth = pollers_aother, errs = pollers_errors;
	uint64_t floor = 0;

	if (!l)
		return -1;
	pollers_run_for(3);
	held = pollers_held();
	held_rss = pollers_rss(srv, "VmRSS:");
	for (i = 0; i < pollers_n; i++) {
		pollers_nodes[i].t_round = 0;
		if (pollers_nodes[i].serial > floor)
			floor = pollers_nodes[i].serial;
	}
	pollers_round_floor = floor;
	pollers_round_on = 1;
	rc = pollers_change(cmd, r, &t0, &t1);
	next = pollers_now();
	tend = t1 + pollers_wait + 10;
	for (;;) {
		for (missing = 0, i = 0; i < pollers_n; i++)
			missing += pollers_nodes[i].t_round == 0;
		if (!missing || pollers_now() >= tend)
			break;
		pollers_step(20, -1);
		if (pollers_now() >= next) {
			v = pollers_rss(srv, "VmRSS:");
			peak = v > peak ? v : peak;
			next = pollers_now() + 0.1;
		}
	}
	pollers_round_on = 0;
	for (i = 0; i < pollers_n; i++)
		if (pollers_nodes[i].t_round > 0) {
			l[n++] = pollers_nodes[i].t_round - t1;
			lat[(*nlat)++] = pollers_nodes[i].t_round - t1;
		}
	qsort(l, (size_t)n, sizeof(*l), pollers_cmp);
	printf("round %d: %d of %d polls held, epoxyd RSS %ld kB held, %ld kB peak during the"
	       " answers; change took %.3f s (exit %d); %d nodes got the new set, %d did not"
	       " within %d s (answers 200: %d, 304: %d, other: %d; failed connections: %d);"
	       " propagation from commit: p50 %.3f s, p90 %.3f s, p99 %.3f s, max %.3f s"
	       " (first %.3f s; from the change's start: p50 %.3f s, p99 %.3f s)\n",
	       r, held, pollers_n, held_rss, peak, t1 - t0, rc, n, missing, pollers_wait + 10,
	       pollers_a200 - a200, pollers_a304 - a304, pollers_aother - aoth,
	       pollers_errors - errs, pollers_pct(l, n, 50), pollers_pct(l, n, 90),
	       pollers_pct(l, n, 99), n ? l[n - 1] : -1, n ? l[0] : -1,
	       pollers_pct(l, n, 50) + (t1 - t0), pollers_pct(l, n, 99) + (t1 - t0));
	fflush(stdout);
	free(l);
	return !missing && rc == 0 ? 0 : -1;
}

static int pollers_load(const char *path)
{
	char line[512], cert[600];
	FILE *f = fopen(path, "r"), *c;

	if (!f)
		return -1;
	while (pollers_n < POLLERS_MAX && fgets(line, sizeof(line), f)) {
		struct pollers_node *nd = &pollers_nodes[pollers_n];

		if (sscanf(line, "%63s", nd->name) != 1)
			continue;
		snprintf(cert, sizeof(cert), "%s/%s.crt", pollers_certdir, nd->name);
		c = fopen(cert, "r");
		nd->cert = c ? PEM_read_X509(c, NULL, NULL, NULL) : NULL;
		if (c)
			fclose(c);
		if (!nd->cert) {
			fprintf(stderr, "pollers: %s: no certificate\n", cert);
			fclose(f);
			return -1;
		}
		nd->fd = -1;
		pollers_n++;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	double t0, *lat;
	int i, rounds, nlat = 0, bad = 0, got;
	pid_t srv;
	long idle_rss;
	uint32_t u;

	if (argc != 10) {
		fprintf(stderr, "usage: epoxyd-pollers FLEETFILE CERTDIR KEY PORT CAFILE WAIT ROUNDS"
			" EPOXYD_PID CHANGE\n");
		return 2;
	}
	pollers_certdir = argv[2];
	if (num_str_u32(argv[4], 65535, &u) < 0)
		return 2;
	pollers_port = (int)u;
	if (num_str_u32(argv[6], 55, &u) < 0 || u == 0)
		return 2;
	pollers_wait = (int)u;
	if (num_str_u32(argv[7], 100, &u) < 0)
		return 2;
	rounds = (int)u;
	if (num_str_u32(argv[8], 4194304, &u) < 0)
		return 2;
	srv = (pid_t)u;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	pollers_ctx = SSL_CTX_new(TLS_client_method());
	if (!pollers_ctx || SSL_CTX_load_verify_locations(pollers_ctx, argv[5], NULL) != 1 ||
	    SSL_CTX_use_PrivateKey_file(pollers_ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "pollers: TLS context (CA %s, key %s)\n", argv[5], argv[3]);
		return 1;
	}
	SSL_CTX_set_verify(pollers_ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(pollers_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_mode(pollers_ctx, SSL_MODE_RELEASE_BUFFERS);
	pollers_nodes = calloc(POLLERS_MAX, sizeof(*pollers_nodes));
	if (!pollers_nodes || pollers_load(argv[1]) < 0 || pollers_n == 0) {
		fprintf(stderr, "pollers: cannot read the fleet %s\n", argv[1]);
		return 1;
	}
	if ((rlim_t)pollers_n + 64 > rl.rlim_max) {
		fprintf(stderr, "pollers: %d nodes, %llu open files at most\n", pollers_n,
			(unsigned long long)rl.rlim_max);
		return 1;
	}
	pollers_ep = epoll_create1(EPOLL_CLOEXEC);
	lat = malloc(sizeof(double) * (size_t)pollers_n * (size_t)(rounds > 0 ? rounds : 1));
	if (pollers_ep < 0 || !lat)
		return 1;
	idle_rss = pollers_rss(srv, "VmRSS:");
	/* every node connects (POLLERS_HANDSHAKES at a time), fetches its
	 * set, then long-polls at once and again after every answer */
	t0 = pollers_now();
	pollers_polling = 1;
	for (i = 0; i < pollers_n; i++)
		pollers_nodes[i].retry_at = t0;
	for (got = 0; got < pollers_n && pollers_now() < t0 + 900;) {
		pollers_step(100, -1);
		for (got = 0, i = 0; i < pollers_n; i++)
			got += pollers_nodes[i].serial != 0;
	}
	pollers_run_for(2);
	printf("%d nodes connected (mutual TLS, one address each, at most %d handshakes at a"
	       " time), fetched their set and hold a poll, in %.1f s: %d with a set, %d polls"
	       " held, %d failed connections; epoxyd RSS %ld kB idle before, %ld kB after\n",
	       pollers_n, POLLERS_HANDSHAKES, pollers_now() - t0, got, pollers_held(),
	       pollers_errors, idle_rss, pollers_rss(srv, "VmRSS:"));
	fflush(stdout);
	for (i = 1; i <= rounds; i++)
		bad |= pollers_round(i, argv[9], srv, lat, &nlat);
	qsort(lat, (size_t)nlat, sizeof(*lat), pollers_cmp);
	printf("all rounds: %d answers; propagation from commit p50 %.3f s, p99 %.3f s, max %.3f s;"
	       " epoxyd peak RSS (VmHWM) %ld kB; failed connections in all: %d\n",
	       nlat, pollers_pct(lat, nlat, 50), pollers_pct(lat, nlat, 99),
	       nlat ? lat[nlat - 1] : -1, pollers_rss(srv, "VmHWM:"), pollers_errors);
	for (i = 0; i < pollers_n; i++) {
		pollers_close(&pollers_nodes[i]);
		X509_free(pollers_nodes[i].cert);
	}
	SSL_CTX_free(pollers_ctx);
	free(lat);
	free(pollers_nodes);
	return bad ? 1 : 0;
}
