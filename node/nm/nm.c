/* epoxy-nm: the node manager (docs/man/epoxy-nm.8).  For now: the join
 * (issue 14 point 1) and then, for as long as it runs, heartbeats over
 * mutual TLS and renewal of the node certificate at 2/3 of its life; with
 * --slivers DIR, between heartbeats, the node's sliver set by long poll
 * (node/nm/nmsync.h: verified, cached in DIR, planned) and, with --rootfs,
 * the slivers run by crun (node/nm/nmrun.h); `apply` reconciles the
 * cached set once without a server.
 *
 * Guarantees: the node's private key is made in memory (node/nm/nmid.h)
 * and exists nowhere else: no file, no log line, no argument, no
 * environment; a renewal makes a new key.  The join credential is read
 * from its file, sent once as a bearer token and wiped.  Exit status
 * (lib/cli.h): 1 when the server refuses the node (the server's code and
 * E3103 printed), 2 on a usage error, 3 when the server stays out of
 * reach; a running node manager retries transient failures with jitter. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/nodeproto.h"
#include "lib/num.h"
#include "lib/rand.h"
#include "lib/sha256.h"
#include "net/https.h"
#include "net/retry.h"
#include "node/nm/nmapi.h"
#include "node/nm/nmdisk.h"
#include "node/nm/nmid.h"
#include "node/nm/nmimage.h"
#include "node/nm/nmnet.h"
#include "node/nm/nmpriv.h"
#include "node/nm/nmrun.h"
#include "node/nm/nmsense.h"
#include "node/nm/nmsvc.h"
#include "node/nm/nmsync.h"
#include "node/nm/nmticket.h"

#define NM_URL_MAX 255
#define NM_CRED_FILE_MAX 256
#define NM_JOIN_TRIES 8
#define NM_REQ_MS 30000
#define NM_BODY_MAX (NODEPROTO_NODE_BODY_MAX + 128)
#define NM_FETCH_FAIL_MAX SLIVERSET_MAX_SLIVERS
/* a failed transfer's wait before it is tried again: retry_delay_ms of
 * 2 x NM_FETCH_RETRY_MS doubled per failure, at most NM_FETCH_RETRY_CAP_MS,
 * equal jitter: 10-20 s after the first, 20-40 s after the second, ...,
 * 160-320 s from the fifth on (a fleet whose image is missing does not
 * ask epoxyd for it every beat, nor in lockstep) */
#define NM_FETCH_RETRY_MS 10000
#define NM_FETCH_RETRY_CAP_MS 320000

struct nm {
	/* two clients: the one in use (cur) and the one a new certificate is
	 * set up in; mbedTLS's config points into its own struct, so a
	 * client is built in place, never copied */
	struct https hs[2];
	int live[2];
	int cur;
	uint16_t port;
	struct nmid *id;
	char host[LABEL_HOST_MAX + 1];
	char name[NM_URL_MAX + 1];
	char addr[INET_ADDRSTRLEN];
	const char *ca;
	unsigned heartbeat_s;
	int heartbeat_set;              /* --heartbeat given: the server's is ignored */
	unsigned renew_s;               /* 0: at 2/3 of the certificate's life */
	int64_t renew_at_ms;
	unsigned beats;                 /* --beats N: stop after N (tests); 0 never */
	unsigned beaten;                /* heartbeats the server accepted */
	int detach;                     /* --detach: background after the join */
	const char *svc_dir;            /* --service-cert DIR, or NULL */
	int svc_due;                    /* a new service certificate is wanted */
	/* the sliver set (--slivers DIR): sync.dir[0] when on */
	struct nmsync sync;
	const char *keyset;             /* --keyset FILE */
	unsigned poll_s;                /* --poll: longest wait of one request */
	char *setbuf;                   /* SLIVERSET_MAX_BYTES */
	struct sliverset *have;         /* the set last planned against */
	int sync_err;                   /* the last fetch's error, logged once */
	/* running the slivers (--rootfs DIR): run.rootfs[0] when on */
	struct nmrun run;
	const char *data, *runroot, *crun, *cgroup, *rootfs;
	int no_pivot;
	int run_rc;                     /* the last reconciliation's */
	/* the slivers' uids and epoxy-priv (nmpriv.h): --uid-base N,
	 * --priv-grants FILE, --priv-dir DIR */
	uint64_t uid_base;
	const char *priv_grants, *priv_dir;
	/* slice images as the slivers' roots (--images; nmimage.h), fetched
	 * by the image fetcher (nm_fetcher) of a joined node: its own thread
	 * and clients, outside lock, so that a slow image holds up neither
	 * the heartbeats nor the API.  img_lock guards img (the fetcher's
	 * downloads and unpacking, its remembered refusals, nmimage_sync);
	 * a thread holding lock only ever tries it.  fetch_cond (with lock)
	 * wakes the fetcher: fetch_kick set (an image the plan needs is
	 * missing) */
	int images;
	uint64_t image_entries, image_bytes;
	struct nmimage img;
	int joined;
	pthread_mutex_t img_lock;
	pthread_cond_t fetch_cond;
	int fetcher, fetch_kick;
	/* the fetcher's last failed transfers (not remembered by nmimage:
	 * the server may mend them), under lock: reported as the sliver's
	 * code, tried again wait_ms after the last failure (tries in a row:
	 * the back-off above).  proof: the SHA-256 of the ticket the request
	 * carried (zeros: none), so that a ticket redeemed after a failure
	 * without it is tried at once */
	struct nm_fetch_fail {
		uint8_t image[32], proof[32];
		int rc;
		unsigned tries;
		int64_t at_ms, wait_ms;
	} fail[NM_FETCH_FAIL_MAX];
	/* the slivers' network (--uplink IFACE): off when NULL */
	const char *uplink, *node_rate, *net_range, *nft;
	struct nmnet net;
	/* the local API (node/nm/nmapi.h) and tickets (nmticket.h), with
	 * --slivers: the API thread and the main loop share the set, the
	 * plan and the runner under lock */
	const char *api_path;           /* --api-socket */
	int api_set;                    /* given: a socket it cannot make is fatal */
	struct nmapi api;
	/* the same API over HTTPS (--api-listen ADDR:PORT): its server
	 * identity is the node's current certificate (generation id_gen,
	 * bumped by each join or renewal, under lock) and key (nm->id) */
	const char *api_listen;
	struct nmapi_tls apitls;
	char id_cert[NODEPROTO_CERT_MAX];
	size_t id_cert_len;
	unsigned id_gen;
	struct nmticket *tk;            /* NULL: no API */
	struct sliverset *want;         /* the set plus the ticket slivers */
	/* the sensors (node/nm/nmsense.h), with --rootfs: the last snapshot,
	 * taken at each heartbeat or API request (under lock) */
	struct nmsense sense;
	struct usage *snap;             /* NULL: no sensors */
	struct nmsense_errs snap_errs;
	int64_t snap_ms;
	int sense_err;                  /* the last snapshot's, logged once */
	int usage_failed;               /* a heartbeat went without usage (logged) */
	pthread_mutex_t lock;
};


static int nm_fail(int rc, const char *what, const char *reason)
{
	char code[16];

	nmrun_log("%s %s: %s%s%s", epx_code(rc, code, sizeof(code)), what, epx_strerror(rc),
	       reason && reason[0] ? "; server: " : "", reason ? reason : "");
	return rc;
}

static void nm_usage(FILE *f)
{
	fputs("usage: epoxy-nm join --server https://NAME[:PORT] --ca FILE --host NAME\n"
	      "                     --credential-file FILE [--addr IPV4] [--heartbeat SECONDS]\n"
	      "                     [--renew SECONDS] [--beats N] [--detach]\n"
	      "                     [--service-cert DIR]\n"
	      "                     [--slivers DIR [--keyset FILE] [--poll SECONDS]]\n"
	      "                     [--rootfs DIR [--data DIR] [--runtime-root DIR] [--crun PATH]\n"
	      "                      [--cgroup-manager cgroupfs|disabled] [--no-pivot]\n"
	      "                      [--images [--image-entries N] [--image-bytes BYTES]]\n"
	      "                      [--uplink IFACE [--node-rate BITS] [--net-range A.B.C.D/N]\n"
	      "                       [--nft PATH]]\n"
	      "                      [--uid-base N] [--priv-grants FILE [--priv-dir DIR]]]\n"
	      "                     [--api-socket PATH] [--api-listen ADDR:PORT]\n"
	      "       epoxy-nm apply --host NAME --slivers DIR [--keyset FILE] --rootfs DIR [...]\n"
	      "       epoxy-nm slivers [--api-socket PATH]\n"
	      "       epoxy-nm redeem [--api-socket PATH] TICKET-FILE|-\n"
	      "       epoxy-nm disk --device DEV --mount DIR [--mke2fs PATH]\n"
	      "       epoxy-nm usage [--api-socket PATH] [--prometheus]\n"
	      "  join: make a P-256 key in memory, trade the one-time node credential and a\n"
	      "  certificate request for a client certificate, then heartbeat over mutual\n"
	      "  TLS every --heartbeat seconds (default: the server's node_heartbeat, 30\n"
	      "  until it says) and renew the certificate at 2/3 of its life (or every\n"
	      "  --renew seconds).  --beats N stops after N heartbeats.\n"
	      "  --detach: once the first heartbeat is accepted, go on in the background and\n"
	      "  exit 0 (join scripts).\n"
	      "  --service-cert DIR: after each certificate of its own, ask for an\n"
	      "  archive-only one (accepted by epoxyd's archive alone) on a fresh key and\n"
	      "  write it to DIR/archive.key and DIR/archive.crt (root:199999 0640; DIR\n"
	      "  root's, writable by nobody else); a sliver whose slice holds the grant\n"
	      "  archive sees DIR read-only at /run/epoxy-archive, with group 199999.\n"
	      "  --slivers DIR: between heartbeats, long-poll the node's sliver set (each\n"
	      "  request held up to --poll seconds, default 25, at most 55), verify it with\n"
	      "  the online key of --keyset (default /etc/epoxy/keyset), keep the last\n"
	      "  verified set in DIR/slivers and log the plan from the previous set to it.\n"
	      "  --rootfs DIR: also run the slivers, as crun containers on the root file\n"
	      "  system DIR (read-only, until slice images are unpacked): bundles in --data\n"
	      "  (default " NMRUN_DATA_DEFAULT "), crun's state in --runtime-root (default\n"
	      "  " NMRUN_ROOT_DEFAULT "), --crun (default " NMRUN_CRUN_DEFAULT "), cgroup v2 limits\n"
	      "  through --cgroup-manager cgroupfs (default) or none with disabled;\n"
	      "  --no-pivot when the node's root is the initramfs (crun create --no-pivot).\n"
	      "  --images: a sliver's root is its slice's image instead: fetched from the\n"
	      "  server by its SHA-256, checked against the signed set, unpacked (a plain tar;\n"
	      "  no device, setuid, escaping link; at most --image-entries entries, default\n"
	      "  200000, and --image-bytes bytes, default 8 GiB) into --data/.images/<sha256>,\n"
	      "  one read-only copy per image; an image no sliver uses is removed.\n"
	      "  --uplink IFACE: give each sliver a network (off without it: a sliver's\n"
	      "  namespace has no interface): a veth pair with a /30 of --net-range (default\n"
	      "  " NMNET_RANGE_DEFAULT "), NAT out of IFACE by nftables (--nft, default\n"
	      "  " NMNET_NFT_DEFAULT "), its traffic out of IFACE shaped by HTB: a root class at\n"
	      "  --node-rate bit/s (default 1000000000), one class per sliver (net_min_rate,\n"
	      "  net_max_rate, net_max_bytes_per_day).  IFACE's root qdisc becomes epoxy-nm's.\n"
	      "  Each sliver runs as its own uid (from --uid-base, default 200000, 1024 uids;\n"
	      "  kept as the owner of its out/), never root.  --priv-grants FILE: write the\n"
	      "  grants file of epoxy-priv(8) there (each sliver's uid and its slice's\n"
	      "  grants), atomically, before any sliver starts; --priv-dir DIR: the directory\n"
	      "  of epoxy-priv's socket (priv.sock), bind-mounted read-only at " NMPRIV_MOUNT "\n"
	      "  into each sliver whose slice holds grants (EPOXY_PRIV names the socket).\n"
	      "  With --slivers, a local API on --api-socket PATH (default\n"
	      "  " NMAPI_SOCKET_DEFAULT ", mode 0600, root only): list the slivers,\n"
	      "  redeem a ticket (single use; a ticket sliver the next sliver set does not\n"
	      "  confirm is destroyed).  --api-listen ADDR:PORT (off by default): the same API\n"
	      "  over HTTPS (GET /list, /usage, /metrics; POST /redeem), the node's own\n"
	      "  certificate as the server's, for clients with a certificate issued by --ca\n"
	      "  itself (an operator's or epoxyd's; not a node's, not expired).\n"
	      "  apply: verify the cached set of --slivers, make the running slivers match\n"
	      "  it, and exit (0: every sliver as wanted, 1 otherwise): no server needed.\n"
	      "  slivers: print the plan (the set's and the tickets' slivers) as JSON.\n"
	      "  redeem: hand a ticket (epoxyctl slice ticket) to the running node manager.\n"
	      "  disk: format a blank DEV as the node's data disk (ext4, quota and project;\n"
	      "  refuses any other), mount it on DIR with prjquota; --data DIR/slivers then\n"
	      "  enforces each sliver's disk_max as a project quota (see epoxy-nm disk --help).\n"
	      "  usage: the sensors' snapshot of the running slivers (CPU, memory, tasks,\n"
	      "  disk, bytes sent and received; null where not measured) as JSON, or with\n"
	      "  --prometheus as Prometheus text; each heartbeat carries the same to epoxyd.\n"
	      "exit: 0 stopped, 1 refused by the server (redeem: by the node manager),\n"
	      "2 usage, 3 server (slivers, redeem, usage: the API socket) unreachable\n", f);
}

/* "https://NAME[:PORT]" -> name, port */
static int nm_url(struct nm *nm, const char *url)
{
	const char *p = url, *colon;
	uint64_t port = 443;
	size_t n;

	if (strncmp(p, "https://", 8))
		return -EPX_E_NM_USAGE;
	p += 8;
	colon = strchr(p, ':');
	n = colon ? (size_t)(colon - p) : strcspn(p, "/");
	if (n == 0 || n > NM_URL_MAX)
		return -EPX_E_NM_USAGE;
	memcpy(nm->name, p, n);
	nm->name[n] = '\0';
	if (colon && num_str_u64(colon + 1, 65535, &port) < 0)
		return -EPX_E_NM_USAGE;
	nm->port = (uint16_t)port;
	return port ? 0 : -EPX_E_NM_USAGE;
}

static int nm_resolve(struct nm *nm)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
	int rc = -EPX_E_NM_CONNECT;

	if (nm->addr[0])
		return 0;
	if (getaddrinfo(nm->name, NULL, &hints, &ai) != 0)
		return rc;
	if (inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, nm->addr,
		      sizeof(nm->addr)))
		rc = 0;
	freeaddrinfo(ai);
	return rc;
}

/* The credential file: 64 hex digits and an optional newline. */
static int nm_cred(const char *path, uint8_t tok[32])
{
	char buf[NM_CRED_FILE_MAX];
	FILE *f = fopen(path, "re");
	size_t n;
	int rc = -EPX_E_NM_CRED;

	if (!f)
		return rc;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == NODEPROTO_TOKEN_HEX && hex_decode(buf, n, tok, 32) == 0)
		rc = 0;
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* h: the pinned CA and, with cert, id's key; its TLS context is live
 * (to be freed) once 1 is returned in *live. */
static int nm_client_init(struct nm *nm, struct https *h, int *live, struct nmid *id,
			  const char *cert, size_t len)
{
	char key[NMID_KEY_PEM_MAX];
	size_t klen = 0;
	int rc;

	*live = 0;
	rc = tls_ctx_init(&h->tls, nm->ca);
	if (rc < 0)
		return rc;
	h->addr = nm->addr;
	h->port = nm->port;
	h->name = nm->name;
	h->user_agent = "epoxy-nm";
	*live = 1;
	if (!cert)
		return 0;
	rc = nmid_key_pem(id, key, sizeof(key), &klen);
	if (rc == 0)
		rc = tls_ctx_own_cert(&h->tls, (const uint8_t *)cert, len,
				      (const uint8_t *)key, klen);
	explicit_bzero(key, sizeof(key));
	return rc;
}

/* Sets up client slot i: the pinned CA and, with cert, id's key. */
static int nm_client(struct nm *nm, int i, struct nmid *id, const char *cert, size_t len)
{
	if (nm->live[i])
		tls_ctx_free(&nm->hs[i].tls);
	return nm_client_init(nm, &nm->hs[i], &nm->live[i], id, cert, len);
}

struct nm_ans {
	char buf[NODEPROTO_CERT_MAX];
	int status;
	char reason[HTTPS_ERRBODY_MAX];
};

/* POST body to path with client slot i; a 2xx answer's body in a. */
static int nm_post(struct nm *nm, int i, const char *path, const char *body, size_t len,
		   const uint8_t *bearer, struct nm_ans *a)
{
	struct https_buf out = { a->buf, sizeof(a->buf) - 1, 0 };
	struct https_resp resp;
	struct https_req r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = path;
	r.ctype = "application/x-www-form-urlencoded";
	r.body = body;
	r.body_len = len;
	r.bearer = bearer;
	r.body_max = sizeof(a->buf) - 1;
	r.deadline = tls_now_ms() + NM_REQ_MS;
	r.on_data = https_buf_data;
	r.ctx = &out;
	rc = https_do(&nm->hs[i], &r, &resp);
	a->status = resp.head.status;
	snprintf(a->reason, sizeof(a->reason), "%s", resp.reason);
	httpc_head_wipe(&resp.head);
	a->buf[rc == 0 ? out.len : 0] = '\0';
	return rc;
}

/* 1 when the server answered a refusal (4xx): retrying cannot help */
static int nm_refused(const struct nm_ans *a)
{
	return a->status >= 400 && a->status < 500;
}

/* The request body: "host=H&csr=HEX" for a join, "csr=HEX" for a renewal. */
static int nm_body(struct nm *nm, struct nmid *id, int join, char *body, size_t *len)
{
	uint8_t der[NMID_CSR_MAX];
	size_t dlen = 0;
	int n, rc = nmid_csr(id, der, sizeof(der), &dlen);

	if (rc < 0)
		return rc;
	n = join ? snprintf(body, NM_BODY_MAX, "host=%s&csr=", nm->host) :
		snprintf(body, NM_BODY_MAX, "csr=");
	if (n < 0 || (size_t)n + 2 * dlen >= NM_BODY_MAX)
		return -EPX_E_NM_KEY;
	hex_encode(der, dlen, body + n);
	*len = (size_t)n + 2 * dlen;
	return 0;
}

/* A new key and its request to path: with bearer (a join) from client
 * slot 0 without a certificate, else (a renewal) from the current slot
 * with the current certificate.  The new certificate goes into the other
 * slot, which then becomes the current one. */
static int nm_enroll(struct nm *nm, const char *path, const uint8_t *bearer,
		     struct nm_ans *a)
{
	int from = bearer ? 0 : nm->cur, to = 1 - from, rc;
	char *body = malloc(NM_BODY_MAX);
	struct nmid *id = NULL;
	int64_t life = 0;
	size_t len = 0;

	if (!body)
		return -ENOMEM;
	rc = nmid_new(&id, nm->host);
	if (rc == 0)
		rc = nm_body(nm, id, bearer != NULL, body, &len);
	if (rc == 0 && bearer)
		rc = nm_client(nm, from, NULL, NULL, 0);
	if (rc == 0)
		rc = nm_post(nm, from, path, body, len, bearer, a);
	if (rc == 0)
		rc = nmid_cert_check(id, a->buf, strlen(a->buf), &life);
	if (rc == 0)
		rc = nm_client(nm, to, id, a->buf, strlen(a->buf));
	if (rc == 0) {
		pthread_mutex_lock(&nm->lock);
		nmid_free(nm->id);
		nm->id = id;
		id = NULL;
		nm->id_cert_len = strlen(a->buf);
		memcpy(nm->id_cert, a->buf, nm->id_cert_len);
		nm->id_gen++;
		pthread_mutex_unlock(&nm->lock);
		nm->cur = to;
		nm->svc_due = nm->svc_dir != NULL;
		nm->renew_at_ms = tls_now_ms() +
			1000 * (nm->renew_s ? (int64_t)nm->renew_s : 2 * life / 3);
		nmrun_log("%s: certificate for %s, %lld s of life, renewal in %lld s",
		       path, nm->host, (long long)life,
		       (long long)((nm->renew_at_ms - tls_now_ms()) / 1000));
	}
	nmid_free(id);
	free(body);
	return rc;
}

/* With --service-cert: an archive-only certificate of this host on a
 * fresh key, asked with the current certificate from epoxyd's
 * archive-cert endpoint, written for the measurement sliver (nmsvc.h).
 * A failure is logged and tried again at the next heartbeat; the node
 * manager's own certificate and key are untouched either way. */
static void nm_svc(struct nm *nm, struct nm_ans *a)
{
	char *body = malloc(NM_BODY_MAX);
	struct nmid *id = NULL;
	int64_t life = 0;
	size_t len = 0;
	int rc = body ? nmid_new(&id, nm->host) : -ENOMEM;

	if (rc == 0)
		rc = nm_body(nm, id, 0, body, &len);
	if (rc == 0)
		rc = nm_post(nm, nm->cur, NODEPROTO_NODE_ARCHIVE_CERT_PATH, body, len, NULL, a);
	if (rc == 0)
		rc = nmid_archive_check(id, a->buf, strlen(a->buf), &life);
	if (rc == 0)
		rc = nmsvc_write(nm->svc_dir, id, a->buf, strlen(a->buf));
	if (rc == 0) {
		nm->svc_due = 0;
		nmrun_log("archive certificate for %s in %s, %lld s of life", nm->host,
			  nm->svc_dir, (long long)life);
	} else {
		nm_fail(-EPX_E_NM_SVCCERT, "archive certificate (retrying at the next beat)",
			a->reason);
	}
	nmid_free(id);
	free(body);
}

/* The join: retried with jittered backoff while the server is away;
 * a refusal ends it. */
static int nm_join(struct nm *nm, const uint8_t tok[32])
{
	struct nm_ans *a = calloc(1, sizeof(*a));
	unsigned attempt;
	int rc = -ENOMEM;

	if (!a)
		return rc;
	for (attempt = 1; attempt <= NM_JOIN_TRIES; attempt++) {
		rc = nm_enroll(nm, NODEPROTO_NODE_CSR_PATH, tok, a);
		if (rc == 0 || nm_refused(a) || rc == -EPX_E_NM_CERT)
			break;
		nm_fail(rc, "join (retrying)", a->reason);
		retry_backoff(1000, attempt, -1);
	}
	if (rc < 0 && nm_refused(a))
		rc = nm_fail(-EPX_E_NM_REFUSED, "join", a->reason);
	else if (rc < 0)
		nm_fail(rc == -EPX_E_NM_CERT ? rc : -EPX_E_NM_CONNECT, "join", a->reason);
	free(a);
	return rc;
}

static uint64_t nm_uptime(void)
{
	FILE *f = fopen("/proc/uptime", "re");
	double up = 0;

	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	return (uint64_t)up;
}

/* The server's "heartbeat=N" line of a heartbeat answer, when there is
 * one in range and no --heartbeat was given. */
static void nm_interval(struct nm *nm, const char *ans)
{
	const char *p = strstr(ans, NODEPROTO_HEARTBEAT_KEY);
	char val[16];
	uint64_t v;
	size_t n;

	if (nm->heartbeat_set || !p)
		return;
	p += strlen(NODEPROTO_HEARTBEAT_KEY);
	n = strcspn(p, "\n");
	if (n == 0 || n >= sizeof(val))
		return;
	memcpy(val, p, n);
	val[n] = '\0';
	if (num_str_u64(val, NODEPROTO_HEARTBEAT_MAX, &v) == 0 && v >= NODEPROTO_HEARTBEAT_MIN &&
	    v != nm->heartbeat_s) {
		nm->heartbeat_s = (unsigned)v;
		nmrun_log("heartbeat every %u s (the server's node_heartbeat)", nm->heartbeat_s);
	}
}

/* The plan: the current set, plus the ticket slivers when there are. */
static const struct sliverset *nm_want(struct nm *nm)
{
	if (!nm->tk || !nm->tk->n || !nm->want)
		return nm->sync.cur;
	nmticket_want(nm->tk, nm->sync.cur, nm->host, nm->want);
	return nm->want;
}

/* The plan's slivers, sensed (nmsense_snapshot keeps those that run)
 * unless the last snapshot is younger than max_ms.  Under nm->lock. */
static const struct usage *nm_sense(struct nm *nm, int64_t max_ms)
{
	static char names[USAGE_SLIVERS_MAX][SLIVERSET_NAME_MAX + 1];
	const struct sliverset *want;
	size_t n = 0, i;
	int rc;

	if (!nm->snap || (nm->snap_ms && tls_now_ms() - nm->snap_ms < max_ms))
		return nm->snap;
	want = nm_want(nm);
	for (i = 0; want && i < want->n && n < USAGE_SLIVERS_MAX; i++)
		memcpy(names[n++], want->sl[i].name, sizeof(names[0]));
	rc = nmsense_snapshot(&nm->sense, names, n, time(NULL), nm->snap, &nm->snap_errs);
	if (rc < 0 && rc != nm->sense_err)
		nm_fail(rc, "sensors (that value reported absent)", NULL);
	nm->sense_err = rc;
	nm->snap_ms = tls_now_ms();
	return nm->snap;
}

/* "&usage=..." after body[0..*n): a fresh snapshot; left out when it
 * does not fit (never happens within the caps: logged). */
static void nm_beat_usage(struct nm *nm, char *body, size_t *n)
{
	char *line = malloc(USAGE_BYTES_MAX + 1);
	size_t len = 0, keep = *n;
	const struct usage *u;
	int rc = -ENOMEM;

	if (!nm->snap) {                /* no sensors (no --rootfs): no field */
		rc = 0;
		goto out;
	}
	if (!line)
		goto out;
	pthread_mutex_lock(&nm->lock);
	u = nm_sense(nm, 0);
	rc = usage_format(u, line, USAGE_BYTES_MAX + 1, &len);
	pthread_mutex_unlock(&nm->lock);
	if (rc == 0)
		rc = form_put(body, NODEPROTO_HEARTBEAT_BODY_MAX, n, NODEPROTO_F_USAGE, line, len);
out:
	if (rc < 0 && line && !nm->usage_failed)
		nm_fail(-EPX_E_NM_SENSE_TOOBIG, "heartbeat usage (logged once)", NULL);
	nm->usage_failed |= rc < 0 && line;
	if (rc < 0)
		*n = keep;
	free(line);
}

/* One heartbeat, and the renewal when it is due.  A refusal ends the
 * node manager (the node must join again); other failures are retried
 * at the next beat. */
static int nm_beat(struct nm *nm)
{
	struct nm_ans *a = calloc(1, sizeof(*a));
	char *body = malloc(NODEPROTO_HEARTBEAT_BODY_MAX);
	size_t n = 0;
	int rc = -ENOMEM;

	if (!a || !body)
		goto out;
	n = (size_t)snprintf(body, NODEPROTO_HEARTBEAT_BODY_MAX, "%s=%llu", NODEPROTO_F_UPTIME,
			     (unsigned long long)nm_uptime());
	nm_beat_usage(nm, body, &n);
	rc = nm_post(nm, nm->cur, NODEPROTO_NODE_HEARTBEAT_PATH, body, n, NULL, a);
	if (rc == 0) {
		if (nm->beaten++ == 0)
			nmrun_log("first heartbeat accepted: %s is joined", nm->host);
		nm_interval(nm, a->buf);
		if (strstr(a->buf, NODEPROTO_USAGE_REFUSED_KEY))
			nmrun_log("heartbeat accepted, its usage refused: %s",
				  strstr(a->buf, NODEPROTO_USAGE_REFUSED_KEY));
	}
	if (rc == 0 && tls_now_ms() >= nm->renew_at_ms)
		rc = nm_enroll(nm, NODEPROTO_NODE_RENEW_PATH, NULL, a);
	if (rc == 0 && nm->svc_due)
		nm_svc(nm, a);
	if (rc < 0 && nm_refused(a))
		rc = nm_fail(-EPX_E_NM_REFUSED, "heartbeat", a->reason);
	else if (rc < 0) {
		nm_fail(rc, "heartbeat (retrying at the next beat)", a->reason);
		rc = 0;
	}
out:
	free(body);
	free(a);
	return rc;
}

/* Sleeps about s seconds: +-10 % jitter, so a fleet spreads out. */
static void nm_sleep(unsigned s)
{
	uint32_t r = 0;
	int64_t ms = 1000 * (int64_t)s;
	struct timespec ts;

	rand_bytes(&r, sizeof(r));
	ms += (int64_t)(r % (uint32_t)(ms / 5 + 1)) - ms / 10;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

/* With --rootfs: makes the running slivers match the current set (none
 * when there is no verified set), and logs what it did; quiet (the
 * check after each heartbeat) logs only a change or a failure. */
static int nm_run(struct nm *nm, int quiet)
{
	struct nmrun_stats st;
	char code[16], waiting[48];
	int rc;

	if (!nm->run.rootfs[0])
		return 0;
	rc = nmrun_reconcile(&nm->run, nm_want(nm), time(NULL), &st);
	/* (while the fetcher unpacks, the next run removes what is unused) */
	if (nm->images && pthread_mutex_trylock(&nm->img_lock) == 0) {
		nmimage_sync(&nm->img, nm_want(nm), time(NULL));       /* logs each */
		pthread_mutex_unlock(&nm->img_lock);
	}
	nm->run_rc = rc;
	nm->snap_ms = 0;        /* the slivers may have changed: sense again */
	if (rc == -EPX_E_NM_IMG_PENDING)
		rc = 0;         /* not an error: the fetcher runs again when it is in */
	if (quiet && rc == 0 && !st.created && !st.updated && !st.destroyed && !st.failed)
		return 0;
	/* "N waiting" before "failed": a line that says "kept, 0 failed" has
	 * every live sliver running */
	if (st.waiting)
		snprintf(waiting, sizeof(waiting), " %u waiting for %s image,", st.waiting,
			 st.waiting == 1 ? "its" : "their");
	nmrun_log("slivers of set %llu: %u created, %u updated, %u destroyed, %u kept,%s %u failed%s%s",
	       (unsigned long long)nm->sync.serial, st.created, st.updated, st.destroyed, st.kept,
	       st.waiting ? waiting : "", st.failed,
	       rc < 0 ? "; first error " : "", rc < 0 ? epx_code(rc, code, sizeof(code)) : "");
	return rc;
}

/* Logs the plan from the set planned last to the current one, which
 * becomes the set planned last. */
static int nm_plan(struct nm *nm)
{
	struct nmsync_act acts[2 * SLIVERSET_MAX_SLIVERS];
	char line[512];
	size_t n = 0, i, len;
	int rc;

	rc = nmsync_plan(nm->sync.cur, nm->have, time(NULL), acts, 2 * SLIVERSET_MAX_SLIVERS, &n);
	if (rc < 0)
		return rc;
	len = (size_t)snprintf(line, sizeof(line), "sliver set %llu of %s verified: %zu slivers",
			       (unsigned long long)nm->sync.serial, nm->host,
			       nm->sync.cur ? nm->sync.cur->n : 0);
	for (i = 0; i < n && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s %s",
					i ? ", " : "; plan: ", nmsync_op_name(acts[i].op),
					acts[i].name);
	nmrun_log("%s%s", line, n ? "" : "; plan: nothing to change");
	if (!nm->have)
		nm->have = malloc(sizeof(*nm->have));
	if (!nm->have)
		return -ENOMEM;
	*nm->have = *nm->sync.cur;
	if (nm->tk && nm->tk->n)
		nmrun_log("set %llu: %zu ticket slivers end (those it lists go on as its own)",
			  (unsigned long long)nm->sync.serial, nmticket_confirm(nm->tk));
	nm_run(nm, 0);
	return 0;
}

/* One GET of the sliver set, held up to wait seconds while it is the one
 * we have.  0 a new set was accepted, 1 unchanged (304), or an error. */
static int nm_fetch(struct nm *nm, unsigned wait)
{
	struct https_buf out = { nm->setbuf, SLIVERSET_MAX_BYTES, 0 };
	char path[64], inm[32], code[16];
	struct https_resp resp;
	struct https_req r;
	int rc;

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), wait ? "%s?wait=%u" : "%s", NODEPROTO_NODE_SLIVERS_PATH, wait);
	snprintf(inm, sizeof(inm), "\"%llu\"", (unsigned long long)nm->sync.serial);
	r.method = "GET";
	r.path = path;
	r.if_none_match = nm->sync.serial ? inm : NULL;
	r.body_max = SLIVERSET_MAX_BYTES;
	r.deadline = tls_now_ms() + 1000 * (int64_t)wait + NM_REQ_MS;
	r.on_data = https_buf_data;
	r.ctx = &out;
	rc = https_do(&nm->hs[nm->cur], &r, &resp);
	httpc_head_wipe(&resp.head);
	if (rc == -EPX_E_HTTP_CODE && resp.head.status == 304) {
		rc = 1;
		/* the set is the same, but a sliver failed (an image the start
		 * could not fetch before the join, a server that was away):
		 * try again once per poll */
		pthread_mutex_lock(&nm->lock);
		if (nm->images && nm->run_rc < 0)
			nm_run(nm, 1);
		pthread_mutex_unlock(&nm->lock);
	} else if (rc == 0) {
		pthread_mutex_lock(&nm->lock);
		rc = nmsync_accept(&nm->sync, nm->setbuf, out.len);
		if (rc == 0)
			rc = nm_plan(nm);
		pthread_mutex_unlock(&nm->lock);
	}
	if (rc < 0 && rc != nm->sync_err)
		nmrun_log("%s sliver set: %s%s%s; the last verified set (%llu) stays",
		       epx_code(-EPX_E_NM_SYNC, code, sizeof(code)), epx_strerror(rc),
		       resp.reason[0] ? "; server: " : "", resp.reason,
		       (unsigned long long)nm->sync.serial);
	nm->sync_err = rc < 0 ? rc : 0;
	return rc;
}

static void nm_pause_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	if (ms > 0)
		nanosleep(&ts, NULL);
}

/* Until the next heartbeat (about s seconds, jittered like nm_sleep):
 * long polls of the sliver set.  A poll answered at once (the server's
 * cap of held polls, or an error) is followed by a jittered pause, so a
 * node never spins; a refused one (401/403) ends the wait, so that the
 * heartbeat comes at once and ends the node manager if the host is gone. */
static void nm_sync_until_beat(struct nm *nm, unsigned s)
{
	uint32_t r = 0;
	int64_t ms = 1000 * (int64_t)s, end, left, t0;
	unsigned wait;
	int rc;

	rand_bytes(&r, sizeof(r));
	ms += (int64_t)(r % (uint32_t)(ms / 5 + 1)) - ms / 10;
	end = tls_now_ms() + ms;
	while ((left = end - tls_now_ms()) > 0) {
		if (left < 2000) {
			nm_pause_ms(left);
			break;
		}
		wait = (unsigned)(left / 1000) - 1;
		if (wait > nm->poll_s)
			wait = nm->poll_s;
		t0 = tls_now_ms();
		rc = nm_fetch(nm, wait);
		if (rc == -EPX_E_HTTP_AUTH)
			break;          /* refused: the heartbeat now says why, and ends */
		if (rc != 0 && tls_now_ms() - t0 < 500 * (int64_t)wait) {
			rand_bytes(&r, sizeof(r));
			left = end - tls_now_ms();
			nm_pause_ms(left < 2000 + (int64_t)(r % 3000) ? left :
				    2000 + (int64_t)(r % 3000));
		}
	}
}

/* --detach, after the first heartbeat: the parent returns 1 (and exits),
 * the child 0 and goes on in its own session with stdin and stdout on
 * /dev/null (a join script's caller waits for the end of its output);
 * stderr stays the log, so the script sends it to a file or the console. */
static int nm_detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid > 0 ? 1 : 0;         /* fork failed: go on in the foreground */
	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		close(fd);
	}
	return 0;
}

/* The image fetcher: a thread of its own (a stack of NM_FETCH_STACK:
 * the TLS handshake and the unpacking child forked from it, libarchive,
 * get the room they have on the main thread, not musl's 128 KiB default).
 * Each round, woken by fetch_kick, copies under lock the live slivers of
 * the plan whose image is not unpacked, with a ticket sliver's ticket
 * (epoxyd serves its image on that proof alone), then fetches them
 * outside lock with img_lock held, each over a TLS client of its own on
 * the node's certificate of that moment (a TLS client is never shared
 * between threads).  A round that tried anything reconciles again: what
 * came in starts, what did not is reported with its code.  A failed
 * transfer is tried again at the first kick (the run after a heartbeat
 * or a sliver-set poll) once its back-off has passed (NM_FETCH_RETRY_MS
 * above: 10-20 s, doubling per failure up to 160-320 s), or at once with
 * a new ticket: a failing server costs a try per back-off, not a loop. */
#define NM_FETCH_STACK (1024 * 1024)

struct nm_fetch_item {
	struct sliver sl;
	char *doc;                      /* a ticket sliver's ticket, or NULL */
	size_t dlen;
	uint8_t proof[32];              /* nm_proof's */
	int rc;
};

/* Under lock: sl's ticket (a ticket sliver's, else NULL) and its proof,
 * the SHA-256 of the ticket (zeros without one). */
static const char *nm_proof(struct nm *nm, const struct sliver *sl, size_t *dlen,
			    uint8_t proof[32])
{
	const char *doc = nmticket_doc(nm->tk, nm->sync.cur, sl->name, dlen);

	memset(proof, 0, 32);
	if (doc)
		sha256_buf(doc, *dlen, proof);
	return doc;
}

/* Under lock: the fetcher's last failure of image with proof, or NULL. */
static struct nm_fetch_fail *nm_fetch_failed(struct nm *nm, const uint8_t image[32],
					     const uint8_t proof[32])
{
	size_t i;

	for (i = 0; i < NM_FETCH_FAIL_MAX; i++)
		if (nm->fail[i].rc < 0 && !memcmp(nm->fail[i].image, image, 32) &&
		    !memcmp(nm->fail[i].proof, proof, 32))
			return &nm->fail[i];
	return NULL;
}

/* Under lock: a transfer's outcome remembered (a success forgets it; a
 * new failure takes a free slot or the oldest; a failure again of the
 * same request doubles its wait). */
static void nm_fetch_note(struct nm *nm, const uint8_t image[32], const uint8_t proof[32],
			  int rc)
{
	struct nm_fetch_fail *f = nm_fetch_failed(nm, image, proof);
	size_t i;

	if (!f && rc < 0) {
		f = &nm->fail[0];
		for (i = 0; i < NM_FETCH_FAIL_MAX && f->rc < 0; i++)
			if (nm->fail[i].rc == 0 || nm->fail[i].at_ms < f->at_ms)
				f = &nm->fail[i];
		f->tries = 0;
	}
	if (!f)
		return;
	memcpy(f->image, image, 32);
	memcpy(f->proof, proof, 32);
	f->rc = rc < 0 ? rc : 0;
	f->tries = rc < 0 ? f->tries + 1 : 0;
	f->at_ms = tls_now_ms();
	f->wait_ms = rc < 0 ? (int64_t)retry_delay_ms(2 * NM_FETCH_RETRY_MS, f->tries - 1,
						       NM_FETCH_RETRY_CAP_MS) : 0;
	if (rc < 0)
		nmrun_log("image %02x%02x%02x%02x: transfer failed %u time%s in a row, "
			  "tried again in %lld s or on a new ticket", image[0], image[1],
			  image[2], image[3], f->tries, f->tries == 1 ? "" : "s",
			  (long long)((f->wait_ms + 999) / 1000));
}

/* Under lock: 1 when f's back-off has not passed yet. */
static int nm_fetch_waiting(const struct nm_fetch_fail *f)
{
	return f && tls_now_ms() - f->at_ms < f->wait_ms;
}

/* Under lock: 0 when sl's image is unpacked; the code of its remembered
 * refusal (nmimage) or of the fetcher's last failed transfer; else
 * -EPX_E_NM_IMG_PENDING.  kick: wake the fetcher for it, unless the
 * back-off of its last failure has not passed (the fetcher's own run
 * after that failure must not start it again at once). */
static int nm_image_state(struct nm *nm, const struct sliver *sl, int kick)
{
	const struct nm_fetch_fail *f;
	uint8_t proof[32];
	size_t dlen = 0;
	int rc = 0;

	if (nmimage_have(&nm->img, sl))
		return 0;
	if (pthread_mutex_trylock(&nm->img_lock) == 0) {
		rc = nmimage_refused(&nm->img, sl);
		pthread_mutex_unlock(&nm->img_lock);
	}
	if (rc < 0)
		return rc;
	nm_proof(nm, sl, &dlen, proof);
	f = nm_fetch_failed(nm, sl->image, proof);
	if (kick && !nm_fetch_waiting(f)) {
		nm->fetch_kick = 1;
		pthread_cond_broadcast(&nm->fetch_cond);
	}
	return f ? f->rc : -EPX_E_NM_IMG_PENDING;
}

/* Under lock, in the fetcher (the one writer of nm->img's refusals):
 * the items of this round into it[]; their count.  Not an image that
 * is unpacked, refused for good or in the back-off of a failure. */
static size_t nm_fetch_list(struct nm *nm, struct nm_fetch_item *it)
{
	const struct sliverset *want = nm_want(nm);
	const struct nm_fetch_fail *f;
	const char *doc;
	time_t now = time(NULL);
	size_t n = 0, i, dlen = 0;

	for (i = 0; want && i < want->n && n < SLIVERSET_MAX_SLIVERS; i++) {
		if (want->sl[i].expires <= now || nmimage_have(&nm->img, &want->sl[i]) ||
		    nmimage_refused(&nm->img, &want->sl[i]) < 0)
			continue;
		/* (the ticket's hash only for an image still to fetch) */
		doc = nm_proof(nm, &want->sl[i], &dlen, it[n].proof);
		f = nm_fetch_failed(nm, want->sl[i].image, it[n].proof);
		if (nm_fetch_waiting(f))
			continue;
		it[n].doc = doc ? malloc(dlen) : NULL;
		if (doc && !it[n].doc)
			continue;       /* out of memory: the next round */
		if (doc)
			memcpy(it[n].doc, doc, dlen);
		it[n].dlen = doc ? dlen : 0;
		it[n].sl = want->sl[i];
		n++;
	}
	return n;
}

/* One image, img_lock held, lock not. */
static int nm_fetch_one(struct nm *nm, const struct nm_fetch_item *it)
{
	struct https *h = calloc(1, sizeof(*h));
	int live = 0, rc = h ? 0 : -ENOMEM;

	pthread_mutex_lock(&nm->lock);  /* the identity a renewal replaces */
	if (rc == 0 && (!nm->id || !nm->id_gen))
		rc = -EPX_E_NM_IMG_FETCH;
	if (rc == 0)
		rc = nm_client_init(nm, h, &live, nm->id, nm->id_cert, nm->id_cert_len);
	pthread_mutex_unlock(&nm->lock);
	if (rc == 0)
		rc = nmimage_get_ticket(&nm->img, h, &it->sl, it->doc, it->dlen);
	if (live) {
		https_close(h);
		tls_ctx_free(&h->tls);
	}
	free(h);
	return rc;
}

static void *nm_fetcher(void *arg)
{
	struct nm *nm = arg;
	struct nm_fetch_item *it = calloc(SLIVERSET_MAX_SLIVERS, sizeof(*it));
	size_t n, i;

	pthread_mutex_lock(&nm->lock);
	for (;;) {
		while (!nm->fetch_kick)
			pthread_cond_wait(&nm->fetch_cond, &nm->lock);
		nm->fetch_kick = 0;
		n = it ? nm_fetch_list(nm, it) : 0;
		pthread_mutex_unlock(&nm->lock);
		pthread_mutex_lock(&nm->img_lock);
		for (i = 0; i < n; i++) {
			it[i].rc = nm_fetch_one(nm, &it[i]);
			if (it[i].doc)          /* a ticket: not left in freed memory */
				explicit_bzero(it[i].doc, it[i].dlen);
			free(it[i].doc);
			it[i].doc = NULL;
		}
		pthread_mutex_unlock(&nm->img_lock);
		pthread_mutex_lock(&nm->lock);
		for (i = 0; i < n; i++)
			nm_fetch_note(nm, it[i].sl.image, it[i].proof, it[i].rc);
		if (n)
			nm_run(nm, 0);  /* starts what came in, reports what did not */
	}
	return NULL;
}

/* After the join (and --detach: threads do not cross fork), with
 * --images; the first round fetches what the plan already needs. */
static int nm_fetcher_start(struct nm *nm)
{
	pthread_attr_t attr;
	pthread_t th;
	int rc = -ENOMEM;

	if (pthread_attr_init(&attr) != 0)
		return rc;
	if (pthread_attr_setstacksize(&attr, NM_FETCH_STACK) == 0 &&
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
	    pthread_create(&th, &attr, nm_fetcher, nm) == 0)
		rc = 0;
	pthread_attr_destroy(&attr);
	if (rc == 0) {
		pthread_mutex_lock(&nm->lock);
		nm->fetcher = 1;
		nm->fetch_kick = 1;
		pthread_cond_broadcast(&nm->fetch_cond);
		pthread_mutex_unlock(&nm->lock);
	}
	return rc;
}

/* nmrun's image hook, lock held (or no other thread yet): 0 when the
 * image is unpacked, the code of its remembered refusal, else a kick for
 * the fetcher and -EPX_E_NM_IMG_PENDING.  Before the fetcher runs (not
 * joined yet, epoxy-nm apply) there is no server: -EPX_E_NM_IMG_FETCH. */
static int nm_image(void *ctx, const struct sliver *sl)
{
	struct nm *nm = ctx;

	if (!nm->fetcher)
		return nmimage_get(&nm->img, NULL, sl);
	return nm_image_state(nm, sl, 1);
}

/* --slivers: the keyset's online key, the buffer, and the cached set
 * (verified again; planned against nothing, as after a reboot). */
static int nm_sync_start(struct nm *nm)
{
	char dir[NMSYNC_DIR_MAX + 1];
	int rc;

	snprintf(dir, sizeof(dir), "%s", nm->sync.dir);
	rc = nmsync_init(&nm->sync, dir, nm->host, nm->keyset);
	if (rc < 0)
		return nm_fail(rc, nm->keyset, NULL);
	if (nm->rootfs) {
		if (!strcmp(nm->data, dir))
			return nm_fail(-EPX_E_NM_USAGE, "--data is the --slivers directory", NULL);
		rc = nmrun_init(&nm->run, nm->data, nm->runroot, nm->rootfs, nm->crun, nm->cgroup,
				nm->no_pivot);
		if (rc < 0)
			return nm_fail(rc, nm->rootfs, NULL);
		nm->run.net = nm->uplink ? &nm->net : NULL;
		if (nm->uid_base)
			nm->run.uid_base = (uint32_t)nm->uid_base;
		if (nm->priv_grants)
			snprintf(nm->run.priv_grants, sizeof(nm->run.priv_grants), "%s",
				 nm->priv_grants);
		if (nm->priv_dir)
			snprintf(nm->run.priv_dir, sizeof(nm->run.priv_dir), "%s", nm->priv_dir);
		if (nm->svc_dir)
			snprintf(nm->run.archive_dir, sizeof(nm->run.archive_dir), "%s",
				 nm->svc_dir);
		snprintf(nm->run.host, sizeof(nm->run.host), "%s", nm->host);
		if (nm->images) {
			rc = nmimage_init(&nm->img, nm->data, nm->image_entries, nm->image_bytes);
			if (rc < 0)
				return nm_fail(rc, nm->data, "slice images");
			snprintf(nm->run.images, sizeof(nm->run.images), "%s", nm->img.dir);
			nm->run.image = nm_image;
			nm->run.image_ctx = nm;
		}
		rc = nmsense_init(&nm->sense, strcmp(nm->cgroup, "cgroupfs") ? NULL :
				  NMSENSE_CGROOT_DEFAULT, nm->data,
				  nm->uplink ? NMSENSE_NETROOT_DEFAULT : NULL);
		nm->snap = rc == 0 ? calloc(1, sizeof(*nm->snap)) : NULL;
		if (!nm->snap)
			return nm_fail(rc < 0 ? rc : -ENOMEM, "sensors", NULL);
	}
	nm->setbuf = malloc(SLIVERSET_MAX_BYTES);
	if (!nm->setbuf)
		return nm_fail(-ENOMEM, "sliver set buffer", NULL);
	rc = nmsync_load(&nm->sync);
	if (rc < 0)
		nm_fail(rc, "cached sliver set (ignored)", NULL);
	else if (rc == 0)
		nmrun_log("cached sliver set %llu verified", (unsigned long long)nm->sync.serial);
	if (rc == 0)
		return nm_plan(nm);
	nm_run(nm, 0);  /* no verified set: nothing may run */
	return 0;
}

/* apply: the cached set, verified, made to run; no server. */
static int nm_apply(struct nm *nm)
{
	int rc = nm_sync_start(nm);

	if (rc == 0)
		rc = nm->sync.cur ? nm->run_rc : -EPX_E_NM_CACHE;
	nmsync_free(&nm->sync);
	free(nm->setbuf);
	free(nm->have);
	return rc < 0 ? CLI_FAIL : CLI_OK;
}

/* --priv-grants and --priv-dir: absolute and short enough; the directory
 * (mounted into slivers) never /run/epoxy or beneath it, while the grants
 * file belongs there (root's, no sliver's) */
static int nm_priv_path(const char *p, int mounted)
{
	size_t n = strlen(p);

	if (p[0] != '/' || n < 2 || n > NMRUN_PATH_MAX || strstr(p, "/../") ||
	    (mounted && !strncmp(p, "/run/epoxy", 10) && (p[10] == '\0' || p[10] == '/')))
		return -EPX_E_NM_PRIVDIR;
	return 0;
}

static int nm_opts(struct nm *nm, int argc, char **argv, const char **cred, int apply)
{
	static const struct option lo[] = {
		{ "server", 1, 0, 's' }, { "ca", 1, 0, 'c' }, { "host", 1, 0, 'H' },
		{ "credential-file", 1, 0, 'f' }, { "addr", 1, 0, 'a' },
		{ "heartbeat", 1, 0, 'b' }, { "renew", 1, 0, 'r' }, { "beats", 1, 0, 'n' },
		{ "detach", 0, 0, 'd' }, { "slivers", 1, 0, 'S' }, { "keyset", 1, 0, 'k' },
		{ "poll", 1, 0, 'p' }, { "help", 0, 0, 'h' }, { "rootfs", 1, 0, 'R' },
		{ "data", 1, 0, 'D' }, { "runtime-root", 1, 0, 'T' }, { "crun", 1, 0, 'C' },
		{ "cgroup-manager", 1, 0, 'G' }, { "no-pivot", 0, 0, 'P' }, { "uplink", 1, 0, 'U' },
		{ "node-rate", 1, 0, 'N' }, { "net-range", 1, 0, 'A' }, { "nft", 1, 0, 'F' },
		{ "api-socket", 1, 0, 'Q' }, { "images", 0, 0, 'I' }, { "image-entries", 1, 0, 'E' },
		{ "image-bytes", 1, 0, 'B' }, { "api-listen", 1, 0, 'L' }, { "service-cert", 1, 0, 'V' },
		{ "uid-base", 1, 0, 'u' }, { "priv-grants", 1, 0, 'g' }, { "priv-dir", 1, 0, 'y' },
		{ 0, 0, 0, 0 } };
	uint64_t v;
	int o, rc = 0;

	while (rc == 0 && (o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == 's')
			rc = nm_url(nm, optarg);
		else if (o == 'c')
			nm->ca = optarg;
		else if (o == 'H')
			rc = label_check_str(LABEL_HOST, optarg) < 0 ? -EPX_E_NM_USAGE :
				(snprintf(nm->host, sizeof(nm->host), "%s", optarg), 0);
		else if (o == 'f')
			*cred = optarg;
		else if (o == 'a')
			rc = strlen(optarg) < sizeof(nm->addr) ?
				(snprintf(nm->addr, sizeof(nm->addr), "%s", optarg), 0) : -EPX_E_NM_USAGE;
		else if (o == 'b' || o == 'r' || o == 'n') {
			rc = num_str_u64(optarg, 86400, &v) < 0 || (o == 'b' && !v) ?
				-EPX_E_NM_USAGE : 0;
			nm->heartbeat_set |= o == 'b';
			*(o == 'b' ? &nm->heartbeat_s : o == 'r' ? &nm->renew_s : &nm->beats) =
				(unsigned)v;
		} else if (o == 'd')
			nm->detach = 1;
		else if (o == 'S')
			rc = optarg[0] && strlen(optarg) <= NMSYNC_DIR_MAX ?
				(snprintf(nm->sync.dir, sizeof(nm->sync.dir), "%s", optarg), 0) :
				-EPX_E_NM_USAGE;
		else if (o == 'k')
			nm->keyset = optarg;
		else if (o == 'p')
			rc = num_str_u64(optarg, NODEPROTO_SLIVERS_WAIT_MAX, &v) < 0 || !v ?
				-EPX_E_NM_USAGE : (nm->poll_s = (unsigned)v, 0);
		else if (o == 'h')
			return 1;
		else if (o == 'G' && strcmp(optarg, "cgroupfs") && strcmp(optarg, "disabled"))
			rc = -EPX_E_NM_USAGE;
		else if (o == 'R' || o == 'D' || o == 'T' || o == 'C' || o == 'G')
			*(o == 'R' ? &nm->rootfs : o == 'D' ? &nm->data : o == 'T' ? &nm->runroot :
			  o == 'C' ? &nm->crun : &nm->cgroup) = optarg;
		else if (o == 'P')
			nm->no_pivot = 1;
		else if (o == 'I')
			nm->images = 1;
		else if (o == 'E' || o == 'B')
			rc = num_str_u64(optarg, o == 'E' ? NMIMAGE_ENTRIES_MAX : NMIMAGE_BYTES_MAX,
					 o == 'E' ? &nm->image_entries : &nm->image_bytes) < 0 ||
				(o == 'E' ? !nm->image_entries : !nm->image_bytes) ?
				-EPX_E_NM_USAGE : 0;
		else if (o == 'U' || o == 'N' || o == 'A' || o == 'F')
			*(o == 'U' ? &nm->uplink : o == 'N' ? &nm->node_rate :
			  o == 'A' ? &nm->net_range : &nm->nft) = optarg;
		else if (o == 'V')
			rc = nmsvc_dir_check(optarg) < 0 ? -EPX_E_NM_SVCCERT : (nm->svc_dir = optarg, 0);
		else if (o == 'Q')
			rc = optarg[0] == '/' && strlen(optarg) <= NMAPI_PATH_MAX ?
				(nm->api_path = optarg, nm->api_set = 1, 0) : -EPX_E_NM_USAGE;
		else if (o == 'L')
			nm->api_listen = optarg;
		else if (o == 'u')
			rc = num_str_u64(optarg, NMPRIV_UID_BASE_MAX, &nm->uid_base) < 0 ||
				nm->uid_base < 1000 ? -EPX_E_NM_USAGE : 0;
		else if (o == 'g' || o == 'y')
			rc = nm_priv_path(optarg, o == 'y') < 0 ? -EPX_E_NM_PRIVDIR :
				(*(o == 'g' ? &nm->priv_grants : &nm->priv_dir) = optarg, 0);
		else
			rc = -EPX_E_NM_USAGE;
	}
	/* the HTTPS API serves the local API: it needs the set (--slivers) */
	if (rc == 0 && nm->api_listen && (apply || !nm->sync.dir[0]))
		rc = -EPX_E_NM_USAGE;
	if (rc == 0 && apply && (!nm->host[0] || !nm->sync.dir[0] || !nm->rootfs || optind != argc))
		rc = -EPX_E_NM_USAGE;
	else if (rc == 0 && !apply &&
		 (!nm->name[0] || !nm->ca || !nm->host[0] || !*cred || optind != argc))
		rc = -EPX_E_NM_USAGE;
	if (rc == 0 && nm->rootfs && !nm->sync.dir[0])
		rc = -EPX_E_NM_USAGE;
	if (rc == 0 && (nm->images || nm->image_entries || nm->image_bytes) &&
	    (!nm->images || !nm->rootfs))
		rc = -EPX_E_NM_USAGE;
	if (rc == 0 && (nm->uplink || nm->node_rate || nm->net_range || nm->nft) &&
	    (!nm->uplink || !nm->rootfs))
		rc = -EPX_E_NM_USAGE;
	if (rc == 0 && (nm->uid_base || nm->priv_grants || nm->priv_dir) && !nm->rootfs)
		rc = -EPX_E_NM_USAGE;
	if (rc == 0 && nm->priv_dir && !nm->priv_grants)
		rc = -EPX_E_NM_PRIVDIR;
	if (rc == 0 && nm->uplink)
		rc = nmnet_init(&nm->net, nm->uplink, nm->node_rate ? nm->node_rate : "1000000000",
				nm->net_range ? nm->net_range : NMNET_RANGE_DEFAULT,
				nm->nft ? nm->nft : NMNET_NFT_DEFAULT);
	return rc;
}

/* Under lock: 1 when the live sliver name of the plan waits for its
 * image (the fetcher has it to do). */
static int nm_waits(struct nm *nm, const char *name)
{
	const struct sliverset *want = nm_want(nm);
	size_t i;

	for (i = 0; nm->fetcher && want && i < want->n; i++)
		if (!strcmp(want->sl[i].name, name))
			return nm_image_state(nm, &want->sl[i], 0) == -EPX_E_NM_IMG_PENDING;
	return 0;
}

/* The local API's handler (node/nm/nmapi.h), in the API thread. */
static int nm_api_fn(void *ctx, const struct nmapi_req *r, FILE *f)
{
	char name[SLIVERSET_NAME_MAX + 1], code[16];
	struct nm *nm = ctx;
	int rc = 0;

	pthread_mutex_lock(&nm->lock);
	if (r->op == NMAPI_LIST)
		nmticket_json(nm->tk, nm->sync.cur, nm->host, f);
	else if ((r->op == NMAPI_USAGE || r->op == NMAPI_METRICS) && !nm->snap)
		rc = -EPX_E_NM_SENSE_OFF;
	else if (r->op == NMAPI_USAGE)
		nmsense_json(nm_sense(nm, NMSENSE_MAX_AGE_MS), &nm->snap_errs,
			     nm->sense.cgroot[0] != '\0', f);
	else if (r->op == NMAPI_METRICS)
		nmsense_prom(nm_sense(nm, NMSENSE_MAX_AGE_MS), f);
	else
		rc = nmticket_redeem(nm->tk, &nm->sync, r->body, r->body_len, time(NULL), name);
	if (r->op == NMAPI_REDEEM && rc < 0)
		nm_fail(rc, "ticket refused", NULL);
	if (r->op == NMAPI_REDEEM && rc == 0) {
		nmrun_log("ticket redeemed: sliver %s joins the plan", name);
		nm_run(nm, 0);
		/* its image fetched in the background: the answer does not wait */
		fprintf(f, "{\"redeemed\": \"%s\", \"run\": \"%s\"}\n", name,
			nm_waits(nm, name) ? "fetching" :
			nm->run_rc < 0 ? epx_code(nm->run_rc, code, sizeof(code)) : "ok");
	}
	pthread_mutex_unlock(&nm->lock);
	return rc;
}

/* --slivers: the ticket journal and the API's socket (its thread starts
 * after --detach: threads do not cross fork). */
static int nm_api_listen(struct nm *nm)
{
	int rc;

	nm->tk = malloc(sizeof(*nm->tk));
	nm->want = malloc(sizeof(*nm->want));
	if (!nm->tk || !nm->want)
		return nm_fail(-ENOMEM, "tickets", NULL);
	rc = nmticket_init(nm->tk, nm->sync.dir, time(NULL));
	if (rc < 0)
		nm_fail(rc, "ticket journal (no ticket is redeemed)", NULL);
	rc = nmapi_listen(&nm->api, nm->api_path);
	if (rc < 0 && !nm->api_set) {
		/* the default's parent /run/epoxy is the node's (the handover):
		 * elsewhere (a test host) the node manager runs without an API */
		nmrun_log("%s %s: %s; the local API is off (--api-socket names another path)",
			  epx_code_str(rc), nm->api_path, epx_strerror(rc));
		free(nm->tk);
		nm->tk = NULL;
		return 0;
	}
	if (rc < 0)
		return nm_fail(rc, nm->api_path, NULL);
	nmrun_log("local API on %s", nm->api_path);
	if (!nm->api_listen)
		return 0;
	rc = nmapi_tls_listen(&nm->apitls, nm->api_listen, nm->ca);
	if (rc < 0)
		return nm_fail(rc == -EPX_E_NM_USAGE ? -EPX_E_NM_API_LISTEN : rc, nm->api_listen, NULL);
	nmrun_log("local API over HTTPS on %s (client certificates of %s)", nm->api_listen, nm->ca);
	return 0;
}

/* The HTTPS API's server identity: the node's certificate and key when
 * they changed since generation *gen (nmapi.h's nmapi_ident_fn). */
static int nm_api_ident(void *ctx, unsigned *gen, char *cert, size_t ccap, size_t *clen,
			char *key, size_t kcap, size_t *klen)
{
	struct nm *nm = ctx;
	int rc = 0;

	pthread_mutex_lock(&nm->lock);
	if (!nm->id || !nm->id_gen)
		rc = -EPX_E_NM_API_LISTEN;
	else if (*gen != nm->id_gen && nm->id_cert_len > ccap)
		rc = -EPX_E_TLS_OWNCERT;
	else if (*gen != nm->id_gen)
		rc = nmid_key_pem(nm->id, key, kcap, klen);
	if (rc == 0 && *gen != nm->id_gen) {
		memcpy(cert, nm->id_cert, nm->id_cert_len);
		*clen = nm->id_cert_len;
		*gen = nm->id_gen;
		rc = 1;
	}
	pthread_mutex_unlock(&nm->lock);
	return rc;
}

/* A connection the HTTPS API refused: its code and peer on the log. */
static void nm_api_refused(void *ctx, int rc, const char *peer)
{
	char what[64];

	(void)ctx;
	snprintf(what, sizeof(what), "HTTPS API client %s refused", peer);
	nm_fail(rc, what, NULL);
}

/* slivers | redeem FILE: the client of the local API. */
static int nm_ask(int argc, char **argv)
{
	static const struct option lo[] = { { "api-socket", 1, 0, 'A' }, { "help", 0, 0, 'h' },
					    { "prometheus", 0, 0, 'P' }, { 0, 0, 0, 0 } };
	const char *path = NMAPI_SOCKET_DEFAULT, *verb = argv[0], *op = "list\n";
	int redeem = !strcmp(verb, "redeem"), o, n, code = 0, rc;
	char *req, *body = NULL, c[16];
	size_t len = 0;
	ssize_t got;
	FILE *f;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == 'h')
			return nm_usage(stdout), CLI_OK;
		if (o == 'P' && !strcmp(verb, "usage")) {
			op = "metrics\n";
			continue;
		}
		if (o != 'A' || optarg[0] != '/' || strlen(optarg) > NMAPI_PATH_MAX)
			return nm_fail(-EPX_E_NM_USAGE, verb, NULL), CLI_USAGE;
		path = optarg;
	}
	if (optind != argc - redeem)
		return nm_fail(-EPX_E_NM_USAGE, verb, NULL), nm_usage(stderr), CLI_USAGE;
	req = malloc(NMAPI_REQ_MAX + 1);
	if (!req)
		return CLI_FAIL;
	if (!strcmp(verb, "usage") && op[0] == 'l')
		op = "usage\n";
	n = snprintf(req, NMAPI_REQ_MAX, "%s\n%s", NMAPI_MAGIC, redeem ? "" : op);
	if (redeem) {
		f = strcmp(argv[optind], "-") ? fopen(argv[optind], "re") : stdin;
		got = f ? (ssize_t)fread(req + 64, 1, NMTICKET_BYTES_MAX + 1, f) : -1;
		if (f && f != stdin)
			fclose(f);
		if (got <= 0 || got > NMTICKET_BYTES_MAX) {
			free(req);
			nmrun_log("%s %s: unreadable, empty or over 4 KiB", epx_code_str(-EPX_E_SLV_TOOBIG),
				  argv[optind]);
			return CLI_FAIL;
		}
		n += snprintf(req + n, 64 - (size_t)n, "redeem %zd\n", got);
		memmove(req + n, req + 64, (size_t)got);
		n += (int)got;
	}
	len = (size_t)n;
	rc = nmapi_call(path, req, len, &body, &code);
	free(req);
	if (rc == 0)
		fputs(body, stdout);
	else if (rc == -EPX_E_NM_API_REFUSED) {
		body[strcspn(body, "\n")] = '\0';
		nmrun_log("%s %s: %s", epx_code(rc, c, sizeof(c)), verb, body);
	} else
		nm_fail(rc, path, NULL);
	free(body);
	return rc == 0 ? CLI_OK : rc == -EPX_E_NM_API_REFUSED ? CLI_FAIL :
		rc == -EPX_E_NM_API_CONNECT ? CLI_UNREACHABLE : CLI_FAIL;
}

int main(int argc, char **argv)
{
	static struct nm nm;
	const char *cred = NULL;
	uint8_t tok[32];
	unsigned n = 0;
	int rc, apply;

	nm.heartbeat_s = 30;
	nm.api_path = NMAPI_SOCKET_DEFAULT;
	pthread_mutex_init(&nm.lock, NULL);
	pthread_mutex_init(&nm.img_lock, NULL);
	pthread_cond_init(&nm.fetch_cond, NULL);
	nm.poll_s = 25;
	nm.keyset = "/etc/epoxy/keyset";
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		nm_usage(stdout);
		return CLI_OK;
	}
	nm.data = NMRUN_DATA_DEFAULT;
	nm.runroot = NMRUN_ROOT_DEFAULT;
	nm.crun = NMRUN_CRUN_DEFAULT;
	nm.cgroup = "cgroupfs";
	if (argc < 2 || (strcmp(argv[1], "join") && strcmp(argv[1], "apply") &&
			 strcmp(argv[1], "slivers") && strcmp(argv[1], "redeem") &&
			 strcmp(argv[1], "disk") && strcmp(argv[1], "usage"))) {
		nm_usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "slivers") || !strcmp(argv[1], "redeem") || !strcmp(argv[1], "usage"))
		return nm_ask(argc - 1, argv + 1);
	if (!strcmp(argv[1], "disk"))
		return nmdisk_cli(argc - 1, argv + 1);
	apply = !strcmp(argv[1], "apply");
	rc = nm_opts(&nm, argc - 1, argv + 1, &cred, apply);
	if (rc == 1) {
		nm_usage(stdout);
		return CLI_OK;
	}
	if (rc < 0) {
		nm_fail(rc, "arguments", NULL);
		nm_usage(stderr);
		return CLI_USAGE;
	}
	if (apply)
		return nm_apply(&nm);
	rc = nm_cred(cred, tok);
	if (rc < 0)
		return nm_fail(rc, cred, NULL), CLI_FAIL;
	/* the archive certificate's directory: its owner, mode and an older
	 * release's node pair once, not at each certificate (nmsvc.h) */
	rc = nm.svc_dir ? nmsvc_prepare(nm.svc_dir) : 0;
	if (rc < 0)
		return explicit_bzero(tok, sizeof(tok)), nm_fail(rc, nm.svc_dir, NULL), CLI_FAIL;
	if (nm.sync.dir[0]) {
		rc = nm_sync_start(&nm);
		if (rc == 0)
			rc = nm_api_listen(&nm);
		if (rc < 0)
			return explicit_bzero(tok, sizeof(tok)), CLI_FAIL;
	}
	rc = nm_resolve(&nm);
	if (rc < 0)
		return nm_fail(rc, nm.name, NULL), CLI_UNREACHABLE;
	rc = nm_join(&nm, tok);
	explicit_bzero(tok, sizeof(tok));
	if (rc < 0)
		return rc == -EPX_E_NM_REFUSED ? CLI_FAIL : CLI_UNREACHABLE;
	nm.joined = 1;
	nmrun_log("joined as %s; heartbeat every %u s", nm.host, nm.heartbeat_s);
	/* the first heartbeat before --detach returns: a join script that
	 * succeeds leaves a host the server counts as joined (unless that
	 * beat failed for a transient reason: the next one retries) */
	rc = nm_beat(&nm);
	if (rc == 0 && nm.detach && nm_detach() != 0)
		return CLI_OK;          /* the parent: the join is done */
	/* the fetcher first: a ticket redeemed at once finds it running */
	if (rc == 0 && nm.images && nm_fetcher_start(&nm) < 0)
		nm_fail(-ENOMEM, "image fetcher (no image is fetched)", NULL);
	if (rc == 0 && nm.tk && nmapi_start(&nm.api, nm_api_fn, &nm) < 0)
		nm_fail(-EPX_E_NM_API_SOCKET, nm.api_path, NULL);
	if (rc == 0 && nm.tk && nm.api_listen &&
	    nmapi_tls_start(&nm.apitls, nm_api_fn, nm_api_ident, nm_api_refused, &nm) < 0)
		nm_fail(-EPX_E_NM_API_LISTEN, nm.api_listen, NULL);
	if (rc == 0 && nm.sync.dir[0])
		nm_fetch(&nm, 0);       /* the set at once, not after a beat */
	while (rc == 0 && (!nm.beats || ++n < nm.beats)) {
		if (nm.sync.dir[0])
			nm_sync_until_beat(&nm, nm.heartbeat_s);
		else
			nm_sleep(nm.heartbeat_s);
		rc = nm_beat(&nm);
		if (rc == 0) {
			pthread_mutex_lock(&nm.lock);
			nm_run(&nm, 1); /* expiries, and slivers that died */
			pthread_mutex_unlock(&nm.lock);
		}
	}
	nmid_free(nm.id);
	nmsync_free(&nm.sync);
	free(nm.setbuf);
	free(nm.have);
	return rc < 0 ? CLI_FAIL : CLI_OK;
}
