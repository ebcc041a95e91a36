/* epoxyd: the token server (docs/man/epoxyd.8, docs/guide/30-server.md).
 *
 * The parent part (main) reads the config, loads the TLS certificate and
 * the online key, opens one store connection per worker thread and binds
 * both listeners; then, when started as root, it drops to an unprivileged
 * user before the first request is parsed.  The workers (libmicrohttpd's
 * thread pools) only copy capped request fields into a struct http_req and
 * call http_dispatch(); they never open keys or the store.
 *
 * Hard caps on the wire: MHD's per-connection memory (headers and URL must
 * fit in it: 431/414 otherwise), bodies (HTTP_BODY_MAX in memory; admin
 * uploads spooled to an unlinked file up to admin_upload_max), connection
 * count, per-address connections, idle timeout.  Logs go to stderr and
 * never carry a token, credential or key. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/num.h"
#include "lib/pct.h"
#include "lib/keyset.h"
#include "lib/sign.h"
#include "server/admin.h"
#include "server/archive.h"
#include "server/archive_s3.h"
#include "server/config.h"
#include "server/hold.h"
#include "server/http.h"
#include "server/joincred.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/nodeid.h"
#include "server/paths.h"
#include "server/slow.h"
#include "server/storm.h"
#include "store/store.h"

#define EPOXYD_TLS_FILE_MAX 65536
#define EPOXYD_CONN_MEM 32768       /* MHD per-connection buffer: headers+URL */
#define EPOXYD_PER_IP_CONNS 64
#define EPOXYD_POOL_MAX 256
#define EPOXYD_TLS_BLOCK (256 * 1024) /* per streaming TLS download */

struct epoxyd {
	struct config cfg;
	struct srv base;            /* shared parts; each thread copies it */
	struct srv *pool;           /* one per worker thread, own store */
	size_t npool;
	struct srv hk;              /* housekeeping: main thread, own store */
	atomic_int *slot_used;      /* per pool entry: a live thread holds it */
	pthread_key_t slot_key;     /* frees the thread's entry when it exits */
	char *cert_pem, *key_pem;
	char *dh_pem;               /* RFC 7919 ffdhe2048 (PKCS#3 PEM): DHE */
	char *nodeca_pem;           /* node CA: trust of client certificates */
	struct keyset ks;
	struct paths paths;         /* data_dir, boot_dir: opened before the drop */
	int lfd_https, lfd_http;    /* listening sockets, bound before the drop */
	atomic_ullong reqno;
	struct slow *slow;          /* deadlines and caps of slow connections */
	/* SIGHUP: the per-request keys of the configuration in force (the
	 * workers' srv->cfg; start-only keys stay those of cfg), the HTTPS
	 * daemons still finishing connections of a previous certificate */
	int argc;
	char **argv;
	struct config *live;
	struct reload_old *old;
};

struct reload_old {
	struct reload_old *next;
	struct MHD_Daemon *mhd;     /* NULL: only a config kept for its readers */
	int lfd;                    /* returned by MHD_quiesce_daemon */
	time_t since;
	char *cert_pem, *key_pem;
	struct config *cfg;
	struct nodeid *nodeid;      /* a node CA a reload replaced (kept with cfg) */
	char *nodeca_pem;
};

struct conn {
	struct http_req req;
	uint8_t *body;
	size_t body_cap;
	int refuse;                 /* epoxy code to answer with, 0 none */
	int refuse_status;
	struct http_resp resp;
	int queued;
	int upload;                 /* holds one of its admin's upload slots */
	int answered;               /* resp holds a refusal from the headers */
	size_t body_max;            /* in-memory body cap: the endpoint's own */
	uint64_t body_len;          /* Content-Length, 0 when absent */
	int has_body, chunked;
	void *slow;                 /* the connection's entry in g.slow */
};

/* Uploads in progress per admin (admin_uploads at most each). */
#define EPOXYD_UPLOADERS 64
static struct {
	char actor[HTTP_ACTOR_MAX + 1];
	unsigned n;
} upload_slots[EPOXYD_UPLOADERS];
static pthread_mutex_t upload_lock = PTHREAD_MUTEX_INITIALIZER;

static struct epoxyd g;
static __thread struct srv *t_srv;

/* The configuration requests read: the start-up one until a reload. */
static const struct config *epoxyd_live(void)
{
	const struct config *c = __atomic_load_n(&g.live, __ATOMIC_ACQUIRE);

	return c ? c : &g.cfg;
}

/* ------------------------------------------------------------ set-up */

static int64_t epoxyd_clock(void *arg)
{
	return http_now(arg);
}

static int epoxyd_slurp(const char *path, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -ENOMEM;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(EPOXYD_TLS_FILE_MAX + 1);
	if (!buf)
		goto out;
	while ((n = read(fd, buf + len, EPOXYD_TLS_FILE_MAX - len)) > 0)
		len += (size_t)n;
	if (n < 0 || len == 0 || len >= EPOXYD_TLS_FILE_MAX) {
		rc = n < 0 ? -errno : len == 0 ? -ENODATA : -EFBIG;
		explicit_bzero(buf, EPOXYD_TLS_FILE_MAX + 1);
		free(buf);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	rc = 0;
out:
	close(fd);
	return rc;
}

static int epoxyd_store_uri(const char *store, char *uri, size_t cap)
{
	int n;

	if (!strncmp(store, "sqlite:", 7) || !strncmp(store, "postgres:", 9))
		n = snprintf(uri, cap, "%s", store);
	else
		n = snprintf(uri, cap, "sqlite:%s", store);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* One store connection per worker thread, opened while we may still have
 * the rights to open the store. */
static int epoxyd_pool(struct epoxyd *d, size_t n)
{
	char uri[STORE_URI_MAX + 1];
	size_t i;
	int rc;

	rc = epoxyd_store_uri(d->cfg.store, uri, sizeof(uri));
	if (rc < 0)
		return rc;
	d->pool = calloc(n, sizeof(*d->pool));
	if (!d->pool)
		return -ENOMEM;
	if (d->cfg.housekeeping_interval) {
		d->hk = d->base;
		rc = store_open(&d->hk.store, uri);
		if (rc < 0)
			return rc;
		store_set_clock(d->hk.store, epoxyd_clock, &d->hk);
	}
	for (i = 0; i < n; i++) {
		d->pool[i] = d->base;
		rc = store_open(&d->pool[i].store, uri);
		if (rc < 0)
			return rc;
		store_set_clock(d->pool[i].store, epoxyd_clock, &d->pool[i]);
		d->npool++;
	}
	return 0;
}

/* Reads one key or certificate file; names the file and the reason. */
static int epoxyd_read_key(const char *key, const char *path, int code, char **out)
{
	int rc = epoxyd_slurp(path, out);

	if (rc < 0)
		log_msg(LOG_ERR, "EPOXY-E%04d %s %s: cannot read it: %s", code, key,
			path, rc == -ENODATA ? "empty" : rc == -EFBIG ? "larger than 64 KiB" :
			strerror(-rc));
	return rc < 0 ? -code : 0;
}

/* The previous node CAs of cfg (node_ca_previous) trusted by n, and
 * appended to *trust. */
static int epoxyd_nodeca_prev(const struct config *cfg, struct nodeid *n, char **trust)
{
	char *prev = NULL, *both;
	int rc;

	if (!cfg->node_ca_previous[0])
		return 0;
	rc = epoxyd_read_key("node_ca_previous", cfg->node_ca_previous, EPX_E_NID_CAFILE, &prev);
	if (rc == 0)
		rc = nodeid_trust_previous(n, prev, strlen(prev) + 1);
	if (rc == 0 && asprintf(&both, "%s%s", *trust, prev) < 0)
		rc = -ENOMEM;
	if (rc == 0) {
		free(*trust);
		*trust = both;
	}
	free(prev);
	return rc;
}

/* The node CA of cfg (node_ca_cert, node_ca_key, node_ca_previous) into
 * *out, and the HTTPS listener's trust for client certificates (its
 * certificate and the previous ones) into *trust: client certificates
 * are asked for and never required (boot clients have none); nodeapi
 * checks them.  Logs what failed. */
static int epoxyd_nodeca(const struct config *cfg, struct nodeid **out, char **trust)
{
	char *key = NULL, *pem = NULL;
	struct nodeid *n = NULL;
	int rc;

	rc = epoxyd_read_key("node_ca_cert", cfg->node_ca_cert, EPX_E_NID_CAFILE, &pem);
	if (rc == 0)
		rc = epoxyd_read_key("node_ca_key", cfg->node_ca_key, EPX_E_NID_CAFILE, &key);
	if (rc == 0)
		rc = nodeid_new(&n, pem, strlen(pem) + 1, key, strlen(key) + 1);
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	if (rc == 0)
		rc = epoxyd_nodeca_prev(cfg, n, &pem);
	if (rc < 0) {
		log_msg(LOG_ERR, "EPOXY-E%04d node_ca_cert %s, node_ca_key %s%s%s: %s",
			EPX_E_NID_CAFILE, cfg->node_ca_cert, cfg->node_ca_key,
			cfg->node_ca_previous[0] ? ", node_ca_previous " : "",
			cfg->node_ca_previous, epx_strerror(rc));
		nodeid_free(n);
		free(pem);
		return rc;
	}
	*out = n;
	*trust = pem;
	return 0;
}

/* The node CA never issues for the names of the HTTPS listener's
 * certificate (nodeid_server_names); logs a failure. */
static int epoxyd_nodeca_names(struct nodeid *n, const char *cert_pem)
{
	int rc;

	if (!n || !cert_pem)
		return 0;
	rc = nodeid_server_names(n, cert_pem, strlen(cert_pem) + 1);
	if (rc < 0)
		log_msg(LOG_ERR, "EPOXY-E%04d tls_cert: cannot read its names (at most %d) for the "
			"node CA to refuse: %s", -rc, NODEID_NAMES_MAX, epx_strerror(rc));
	return rc;
}

static int epoxyd_load_nodeca(struct epoxyd *d)
{
	int rc;

	if (!d->cfg.node_ca_cert[0])
		return 0;
	rc = epoxyd_nodeca(&d->cfg, &d->base.nodeid, &d->nodeca_pem);
	return rc < 0 ? rc : epoxyd_nodeca_names(d->base.nodeid, d->cert_pem);
}

/* The Diffie-Hellman group of DHE-RSA key exchange: RFC 7919's ffdhe2048,
 * taken from GnuTLS's own copy and handed to libmicrohttpd as PKCS#3 PEM.
 * OVMF's HTTPS boot (Debian 12's edk2) offers only DHE-RSA and static-RSA
 * suites and no supported_groups extension, so without these parameters
 * the one suite with forward secrecy it offers is unusable.  2048 bits:
 * the RSA-2048 certificate bounds the session's strength anyway, and a
 * larger group costs the firmware more without adding to it. */
static int epoxyd_dh_params(struct epoxyd *d)
{
	gnutls_dh_params_t dh = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	int rc = -ENOMEM;

	if (gnutls_dh_params_init(&dh) < 0)
		return -ENOMEM;
	if (gnutls_dh_params_import_raw3(dh, &gnutls_ffdhe_2048_group_prime,
					 &gnutls_ffdhe_2048_group_q,
					 &gnutls_ffdhe_2048_group_generator) < 0 ||
	    gnutls_dh_params_export2_pkcs3(dh, GNUTLS_X509_FMT_PEM, &pem) < 0)
		goto cleanup;
	d->dh_pem = strndup((const char *)pem.data, pem.size);
	if (d->dh_pem)
		rc = 0;
cleanup:
	gnutls_free(pem.data);
	gnutls_dh_params_deinit(dh);
	if (rc < 0)
		log_msg(LOG_ERR, "cannot build the RFC 7919 ffdhe2048 parameters: %s",
			strerror(-rc));
	return rc;
}

/* TLS certificate and key, online key, key set: read here, before the
 * privilege drop, so they may stay readable by root only. */
/* archive_backend s3: the object store's key files, read before the
 * privilege drop (archive_s3_load checks their mode) */
static int epoxyd_load_s3(struct epoxyd *d)
{
	int rc;

	if (strcmp(d->cfg.archive_backend, "s3"))
		return 0;
	rc = archive_s3_load(&d->base.s3, &d->cfg);
	if (rc < 0)
		log_msg(LOG_ERR, "EPOXY-E%04d archive_backend s3 (%s, %s): %s", -rc,
			d->cfg.s3_access_key_file, d->cfg.s3_secret_key_file, epx_strerror(rc));
	else
		log_msg(LOG_INFO, "archive: S3 backend %s, bucket %s, upload URLs live %u s",
			d->cfg.s3_endpoint, d->cfg.s3_bucket, d->cfg.s3_url_ttl);
	return rc;
}

static int epoxyd_load_keys(struct epoxyd *d)
{
	char *ksbuf = NULL;
	int rc;

	if (d->cfg.https_port) {
		rc = epoxyd_read_key("tls_cert", d->cfg.tls_cert, EPX_E_SRV_TLSFILE, &d->cert_pem);
		if (rc == 0)
			rc = epoxyd_read_key("tls_key", d->cfg.tls_key, EPX_E_SRV_TLSFILE,
					     &d->key_pem);
		if (rc == 0)
			rc = epoxyd_dh_params(d);
		if (rc < 0)
			return rc;
	}
	if (d->cfg.online_key[0]) {
		rc = sign_load(&d->base.online, d->cfg.online_key);
		if (rc < 0) {
			log_msg(LOG_ERR, "EPOXY-E%04d online_key %s: cannot load it: %s",
				EPX_E_SRV_KEYFILE, d->cfg.online_key, epx_strerror(rc));
			return rc;
		}
	}
	if (d->cfg.keyset[0]) {
		rc = epoxyd_read_key("keyset", d->cfg.keyset, EPX_E_SRV_KEYFILE, &ksbuf);
		if (rc < 0)
			return rc;
		rc = keyset_load_root(&d->ks, ksbuf, strlen(ksbuf));
		free(ksbuf);
		if (rc < 0) {
			log_msg(LOG_ERR, "EPOXY-E%04d keyset %s: %s", -rc, d->cfg.keyset,
				epx_strerror(rc));
			return rc;
		}
		d->base.keyset = &d->ks;
	}
	rc = epoxyd_load_s3(d);
	return rc < 0 ? rc : epoxyd_load_nodeca(d);
}

/* Drops root: config user, else "epoxy" if it exists, else nobody.
 * "root" keeps root (documented as unsafe; for tests in containers). */
static int epoxyd_drop(const struct config *cfg)
{
	const char *name = cfg->user[0] ? cfg->user : NULL;
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (name && !strcmp(name, "root")) {
		log_msg(LOG_WARNING, "warning: user root: not dropping privileges");
		return 0;
	}
	pw = getpwnam(name ? name : "epoxy");
	if (!pw && !name)
		pw = getpwnam("nobody");
	if (!pw || pw->pw_uid == 0)
		return -EPX_E_SRV_PRIV;
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return -EPX_E_SRV_PRIV;
	if (setuid(0) == 0)
		return -EPX_E_SRV_PRIV;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	log_msg(LOG_INFO, "running as user %s (uid %u)", pw->pw_name,
		(unsigned)pw->pw_uid);
	return 0;
}

/* ---------------------------------------------------- request intake */

/* A worker thread's pool entry (its own store connection), taken at its
 * first request and given back when the thread exits: the threads of an
 * HTTPS daemon a reload stopped free theirs for the next one's. */
static struct srv *epoxyd_thread_srv(void)
{
	size_t i;

	if (t_srv)
		return t_srv;
	for (i = 0; i < g.npool; i++)
		if (!atomic_exchange(&g.slot_used[i], 1)) {
			t_srv = &g.pool[i];
			pthread_setspecific(g.slot_key, (void *)(uintptr_t)(i + 1));
			return t_srv;
		}
	return NULL;
}

static void epoxyd_slot_free(void *v)
{
	atomic_store(&g.slot_used[(uintptr_t)v - 1], 0);
}

static enum http_method epoxyd_method(const char *m)
{
	static const struct { const char *s; enum http_method m; } t[] = {
		{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
		{ "PUT", HTTP_PUT }, { "DELETE", HTTP_DELETE }, { "PATCH", HTTP_PATCH },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(m, t[i].s))
			return t[i].m;
	return HTTP_OTHER;
}

/* Refuses the request with code (positive) and status: only where a code
 * means another status than the registry's (a URL over its cap is 414,
 * other over-cap header data 431, both E2205). */
static void epoxyd_refuse_as(struct conn *c, int status, int code)
{
	if (!c->refuse) {
		c->refuse = code;
		c->refuse_status = status;
	}
}

/* Refuses the request with code and its status from lib/errors.def. */
static void epoxyd_refuse(struct conn *c, int code)
{
	epoxyd_refuse_as(c, epx_http_status(code), code);
}

static enum MHD_Result epoxyd_arg(void *cls, enum MHD_ValueKind kind,
				  const char *key, size_t klen, const char *val,
				  size_t vlen)
{
	struct conn *c = cls;
	int rc;

	if (!key || memchr(key, '\0', klen)) {
		epoxyd_refuse(c, EPX_E_SRV_BADREQ);
		return MHD_NO;
	}
	rc = http_req_arg_add(&c->req, key, val, vlen);
	if (rc == -EPX_E_SRV_HDRTOOBIG)
		epoxyd_refuse_as(c, 414, EPX_E_SRV_HDRTOOBIG);
	else if (rc < 0)
		epoxyd_refuse(c, -rc);   /* a key twice (400), or ENOMEM (500) */
	return rc < 0 ? MHD_NO : MHD_YES;
}

static void epoxyd_hdr(struct conn *c, struct MHD_Connection *con,
		       const char *name, char *dst)
{
	const char *v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, name);
	size_t n = v ? strlen(v) : 0;

	if (n > HTTP_HDR_MAX) {
		epoxyd_refuse(c, EPX_E_SRV_HDRTOOBIG);
		return;
	}
	if (v)
		memcpy(dst, v, n + 1);
}

/* X-Epoxy-Ticket: MHD's value and length, not a copy (the header lives in
 * the connection's pool until the request completes, longer than any use
 * of c->req); its cap is the image handler's (sliverapi_ticket_check) */
static void epoxyd_ticket(struct conn *c, struct MHD_Connection *con)
{
	const char *v = NULL;
	size_t n = 0;

	if (MHD_lookup_connection_value_n(con, MHD_HEADER_KIND, NODEPROTO_TICKET_HEADER,
					  strlen(NODEPROTO_TICKET_HEADER), &v, &n) != MHD_YES)
		return;
	c->req.ticket = v;
	c->req.ticket_len = v ? n : 0;
}

static void epoxyd_peer(struct conn *c, struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);

	c->req.conn_fd = fd ? fd->connect_fd : -1;
	snprintf(c->req.peer_str, sizeof(c->req.peer_str), "unknown");
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		memcpy(&c->req.peer, sa, sizeof(struct sockaddr_in));
		c->req.peer_len = sizeof(struct sockaddr_in);
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  c->req.peer_str, sizeof(c->req.peer_str));
	} else if (sa->sa_family == AF_INET6) {
		memcpy(&c->req.peer, sa, sizeof(struct sockaddr_in6));
		c->req.peer_len = sizeof(struct sockaddr_in6);
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  c->req.peer_str, sizeof(c->req.peer_str));
	}
}

/* The TLS client's certificate (first of its chain), if it sent one: a
 * pointer into GnuTLS's session, which outlives the request. */
static void epoxyd_peer_cert(struct conn *c, struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const gnutls_datum_t *list;
	unsigned n = 0;

	if (!ci || !ci->tls_session)
		return;
	list = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
	if (list && n > 0 && list[0].data && list[0].size > 0) {
		c->req.peer_cert = list[0].data;
		c->req.peer_cert_len = list[0].size;
	}
}

/* First call for a request: copy what handlers may see, check caps. */
static struct conn *epoxyd_conn_new(struct MHD_Connection *con, const char *url,
				    const char *method, int tls)
{
	struct conn *c = calloc(1, sizeof(*c));
	const char *cl, *te;
	uint64_t clen = 0;

	if (!c)
		return NULL;
	http_req_init(&c->req);
	http_resp_init(&c->resp);
	c->req.id = atomic_fetch_add(&g.reqno, 1) + 1;
	c->req.tls = tls;
	c->req.method = epoxyd_method(method);
	epoxyd_peer(c, con);
	if (tls)
		epoxyd_peer_cert(c, con);
	if (strlen(url) > HTTP_PATH_MAX || memchr(url, '\0', strlen(url)) != NULL)
		epoxyd_refuse_as(c, 414, EPX_E_SRV_HDRTOOBIG);
	else
		memcpy(c->req.path, url, strlen(url) + 1);
	MHD_get_connection_values_n(con, MHD_GET_ARGUMENT_KIND, epoxyd_arg, c);
	epoxyd_hdr(c, con, MHD_HTTP_HEADER_USER_AGENT, c->req.user_agent);
	epoxyd_hdr(c, con, MHD_HTTP_HEADER_AUTHORIZATION, c->req.authorization);
	epoxyd_hdr(c, con, MHD_HTTP_HEADER_COOKIE, c->req.cookie);
	epoxyd_hdr(c, con, MHD_HTTP_HEADER_CONTENT_TYPE, c->req.content_type);
	epoxyd_hdr(c, con, MHD_HTTP_HEADER_RANGE, c->req.range);
	epoxyd_hdr(c, con, "X-Forwarded-For", c->req.x_forwarded_for);
	epoxyd_hdr(c, con, MHD_HTTP_HEADER_IF_NONE_MATCH, c->req.if_none_match);
	epoxyd_ticket(c, con);
	cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	c->chunked = te && *te;
	c->body_max = http_body_max(c->req.path);
	/* MHD has parsed it already; over the cap (or not num's spelling) */
	if (cl && num_str_u64(cl, tls && !strncmp(c->req.path, "/admin/", 7) ?
			      epoxyd_live()->admin_upload_max : c->body_max, &clen) < 0)
		epoxyd_refuse(c, EPX_E_SRV_TOOBIG);
	c->body_len = clen;
	c->has_body = c->body_len > 0 || c->chunked;
	/* the plain-HTTP listener serves the firmware leg: nothing there takes
	 * a body, so none is ever read; refused from the headers with the
	 * code the router would give (HTTPS only, wrong method, too big) */
	if (!tls && c->has_body)
		epoxyd_refuse(c, !strncmp(c->req.path, "/v1/", 4) ||
			      !strncmp(c->req.path, "/admin/", 7) ||
			      !strncmp(c->req.path, "/ui/", 4) ? EPX_E_SRV_PLAIN :
			      c->req.method != HTTP_GET && c->req.method != HTTP_HEAD ?
			      EPX_E_SRV_METHOD : EPX_E_SRV_TOOBIG);
	return c;
}

/* Free bytes of data_dir for an unprivileged writer. */
static uint64_t epoxyd_data_free(void)
{
	struct statvfs v;

	if (fstatvfs(g.paths.data_fd, &v) < 0)
		return 0;
	return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Takes one of actor's upload slots: 0, or -EPX_E_SRV_UPLOADS. */
static int epoxyd_upload_take(const char *actor)
{
	size_t i, fr = EPOXYD_UPLOADERS;
	int rc = -EPX_E_SRV_UPLOADS;

	pthread_mutex_lock(&upload_lock);
	for (i = 0; i < EPOXYD_UPLOADERS; i++) {
		if (upload_slots[i].n && !strcmp(upload_slots[i].actor, actor))
			break;
		if (!upload_slots[i].n && fr == EPOXYD_UPLOADERS)
			fr = i;
	}
	if (i == EPOXYD_UPLOADERS && fr < EPOXYD_UPLOADERS) {
		i = fr;
		snprintf(upload_slots[i].actor, sizeof(upload_slots[i].actor), "%s", actor);
	}
	if (i < EPOXYD_UPLOADERS && upload_slots[i].n < epoxyd_live()->admin_uploads) {
		upload_slots[i].n++;
		rc = 0;
	}
	pthread_mutex_unlock(&upload_lock);
	return rc;
}

static void epoxyd_upload_give(const char *actor)
{
	size_t i;

	pthread_mutex_lock(&upload_lock);
	for (i = 0; i < EPOXYD_UPLOADERS; i++)
		if (upload_slots[i].n && !strcmp(upload_slots[i].actor, actor)) {
			upload_slots[i].n--;
			break;
		}
	pthread_mutex_unlock(&upload_lock);
}

/* An admin request is authenticated from its headers, before any body
 * byte is read: a stranger's request costs only its headers.  An
 * authenticated upload (a body that may be spooled) takes one of its
 * admin's upload slots and needs upload_min_free bytes free in data_dir
 * beyond its announced length. */
static void epoxyd_admin_gate(struct conn *c, struct srv *srv)
{
	int rc;

	if (!c->req.tls || strncmp(c->req.path, "/admin/", 7) || c->refuse)
		return;
	rc = admin_preauth(srv, &c->req);
	if (rc == -EAGAIN) {
		epoxyd_refuse_as(c, 429, EPX_E_ADM_AUTH);
		return;
	}
	if (rc == -EPX_E_ADM_AUTH) {
		epoxyd_refuse(c, EPX_E_ADM_AUTH);
		return;
	}
	if (rc < 0)
		return;   /* store trouble: admin_handle answers it */
	if (!c->chunked && c->body_len <= HTTP_BODY_MAX)
		return;
	if (epoxyd_data_free() < epoxyd_live()->upload_min_free + c->body_len) {
		http_log(&c->req, "%s: data_dir %s has less than upload_min_free (%llu bytes) free "
			 "beyond the upload (EPOXY-E%04d)", c->req.path, g.cfg.data_dir,
			 (unsigned long long)epoxyd_live()->upload_min_free, EPX_E_SRV_DISKFULL);
		epoxyd_refuse(c, EPX_E_SRV_DISKFULL);
		return;
	}
	if (epoxyd_upload_take(c->req.admin_actor) < 0) {
		epoxyd_refuse(c, EPX_E_SRV_UPLOADS);
		return;
	}
	c->upload = 1;
}

/* A node request with a body is checked from its headers first (its
 * bearer token or client certificate, http_preauth): a stranger's body is
 * never read.  The refusal is answered in c->resp, as the handler would. */
static void epoxyd_node_gate(struct conn *c, struct srv *srv)
{
	if (!c->req.tls || !c->has_body || c->refuse || !strncmp(c->req.path, "/admin/", 7))
		return;
	if (!srv) {
		epoxyd_refuse(c, EPX_E_SRV_BUSY);
		return;
	}
	if (http_preauth(srv, &c->req, &c->resp) < 0) {
		c->answered = 1;
		epoxyd_refuse_as(c, c->resp.status, c->resp.code ? c->resp.code : EPX_E_SRV_BADREQ);
	}
}

/* A failure of ours while taking a body in: logged as what it is, and
 * answered 500 EPOXY-E2244 once the (capped) body has been read. */
static int epoxyd_spool_fail(struct conn *c, int err)
{
	http_log(&c->req, "%s: cannot spool the upload into data_dir %s: %s (EPOXY-E%04d)",
		 c->req.path, g.cfg.data_dir, strerror(err), EPX_E_SRV_SPOOL);
	epoxyd_refuse(c, EPX_E_SRV_SPOOL);
	return -EPX_E_SRV_SPOOL;
}

/* Moves the in-memory body to an unlinked file in data_dir (admin
 * uploads), through the descriptor opened before the privilege drop. */
static int epoxyd_spool(struct conn *c)
{
	int fd = openat(g.paths.data_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		return epoxyd_spool_fail(c, errno);
	if (c->req.body_len && write(fd, c->body, c->req.body_len) != (ssize_t)c->req.body_len) {
		int err = errno ? errno : ENOSPC;

		close(fd);
		return epoxyd_spool_fail(c, err);
	}
	c->req.body_fd = fd;
	return 0;
}

/* Bodies spooled past HTTP_BODY_MAX: admin uploads (up to
 * admin_upload_max) and archive bundles (their route's cap). */
static int epoxyd_spools(const struct conn *c)
{
	return c->req.tls && (!strncmp(c->req.path, "/admin/", 7) ||
			      !strncmp(c->req.path, ARCHIVE_PATH, strlen(ARCHIVE_PATH)));
}

static uint64_t epoxyd_spool_max(const struct conn *c)
{
	return strncmp(c->req.path, "/admin/", 7) ? c->body_max :
		epoxyd_live()->admin_upload_max;
}

static void epoxyd_body(struct conn *c, const char *data, size_t n)
{
	int admin = epoxyd_spools(c);
	size_t want;

	if (c->refuse) {
		/* refused mid-body: count what is discarded (the caller closes
		 * over the cap, or answers at the end after a failure of ours) */
		c->req.body_len += n;
		return;
	}
	if (c->req.body_fd >= 0) {
		if (c->req.body_len + n > epoxyd_spool_max(c)) {
			epoxyd_refuse(c, EPX_E_SRV_TOOBIG);
		} else if (epoxyd_data_free() < epoxyd_live()->upload_min_free + n) {
			http_log(&c->req, "%s: data_dir %s fell below upload_min_free during the upload "
				 "(EPOXY-E%04d)", c->req.path, g.cfg.data_dir, EPX_E_SRV_DISKFULL);
			epoxyd_refuse(c, EPX_E_SRV_DISKFULL);
		} else {
			errno = 0;
			if (write(c->req.body_fd, data, n) != (ssize_t)n)
				epoxyd_spool_fail(c, errno ? errno : ENOSPC);
		}
		c->req.body_len += n;
		return;
	}
	if (n > (admin ? HTTP_BODY_MAX : c->body_max) - c->req.body_len) {
		if (!admin) {
			epoxyd_refuse(c, EPX_E_SRV_TOOBIG);
			return;
		}
		if (epoxyd_spool(c) == 0)
			epoxyd_body(c, data, n);
		else
			c->req.body_len += n;
		return;
	}
	want = c->req.body_len + n;
	if (want > c->body_cap) {
		size_t cap = c->body_cap ? c->body_cap : 4096;
		uint8_t *p;

		while (cap < want)
			cap *= 2;
		if (cap > HTTP_BODY_MAX)
			cap = HTTP_BODY_MAX;
		p = realloc(c->body, cap);
		if (!p) {
			epoxyd_refuse(c, EPX_E_SRV_BUSY);
			return;
		}
		c->body = p;
		c->body_cap = cap;
	}
	memcpy(c->body + c->req.body_len, data, n);
	c->req.body_len += n;
}

/* TLS cannot use sendfile: read the file in large blocks so GnuTLS sends
 * full records (MHD's fd responses read 4 KiB at a time). */
static ssize_t epoxyd_fd_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_resp *r = cls;
	ssize_t n;

	if (pos >= r->fd_len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max > r->fd_len - pos)
		max = (size_t)(r->fd_len - pos);
	n = pread(r->fd, buf, max, (off_t)(r->off + pos));
	return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static struct MHD_Response *epoxyd_mhd_resp(struct http_resp *r, int tls)
{
	struct MHD_Response *m = NULL;
	size_t i;

	if (r->kind == HTTP_BODY_FD && tls) {
		/* r (and its fd) lives in the connection context until
		 * epoxyd_completed(), after MHD is done with the response */
		m = MHD_create_response_from_callback(r->fd_len, EPOXYD_TLS_BLOCK,
						      epoxyd_fd_read, r, NULL);
	} else if (r->kind == HTTP_BODY_FD) {
		m = MHD_create_response_from_fd_at_offset64(r->fd_len, r->fd, r->off);
		if (m)
			r->fd = -1;   /* MHD closes it */
	} else {
		m = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_PERSISTENT);
	}
	if (!m)
		return NULL;
	if (r->content_type[0])
		MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	for (i = 0; i < r->nhdrs; i++)
		MHD_add_response_header(m, r->hdrs[i].name, r->hdrs[i].val);
	if (r->secret)
		MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return m;
}

static void epoxyd_access_log(const struct conn *c)
{
	char code[16] = "-";

	if (c->resp.code)
		epx_code(-c->resp.code, code, sizeof(code));
	http_log(&c->req, "%s %s -> %d %s %s", c->req.method == HTTP_GET ? "GET" :
		 c->req.method == HTTP_HEAD ? "HEAD" : c->req.method == HTTP_POST ? "POST" :
		 "other", c->req.path, c->resp.status, code, c->req.tls ? "https" : "http");
}

/* A handler asked to hold its request (a long poll): park the connection
 * (server/hold.h) until then; 0.  When it cannot be parked (full, or
 * stopping), dispatch it again to be answered now; -ENOSPC. */
static int epoxyd_hold(struct conn *c, struct MHD_Connection *con, struct srv *srv)
{
	int64_t left_s = c->resp.hold_until - http_now(srv);

	c->req.held_until = c->resp.hold_until;
	http_resp_free(&c->resp);
	http_resp_init(&c->resp);
	if (hold_park(con, hold_now_ms() + 1000 * (left_s > 0 ? left_s : 0)) == 0)
		return 0;
	srv->hold_ok = 0;
	http_dispatch(srv, &c->req, &c->resp);
	return -ENOSPC;
}

static enum MHD_Result epoxyd_handle(void *cls, struct MHD_Connection *con,
				     const char *url, const char *method,
				     const char *version, const char *upload_data,
				     size_t *upload_data_size, void **con_cls)
{
	struct conn *c = *con_cls;
	struct MHD_Response *m;
	struct srv *srv;
	enum MHD_Result ret;

	if (!c) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

		c = epoxyd_conn_new(con, url, method, cls != NULL);
		if (!c)
			return MHD_NO;
		*con_cls = c;
		c->slow = ci ? ci->socket_context : NULL;
		slow_request(g.slow, c->slow, !c->has_body ? SLOW_REQ_NONE :
			     epoxyd_spools(c) ? SLOW_REQ_UPLOAD : SLOW_REQ_BODY);
		epoxyd_admin_gate(c, epoxyd_thread_srv());
		epoxyd_node_gate(c, epoxyd_thread_srv());
		/* refused from its headers alone (cap exceeded, no admin
		 * credential): answer now, so the body is never read (MHD then
		 * closes the connection) */
		if (!c->refuse)
			return MHD_YES;
	}
	if (*upload_data_size) {
		slow_body(g.slow, c->slow, *upload_data_size);
		epoxyd_body(c, upload_data, *upload_data_size);
		*upload_data_size = 0;
		/* a failure of ours (spool, memory): read the rest of the
		 * body, as long as it stays under the upload cap, and answer
		 * with the real status at its end */
		if (c->refuse && !c->queued && c->refuse_status >= 500 &&
		    c->refuse != EPX_E_SRV_DISKFULL &&
		    c->req.body_len <= epoxyd_spool_max(c))
			return MHD_YES;
		/* over its cap mid-upload (chunked, no Content-Length): MHD
		 * 0.9.75 cannot answer before the upload ends, so close rather
		 * than read an endless body */
		if (c->refuse && !c->queued) {
			char code[16];

			http_log(&c->req, "%s: %s after %llu bytes, closing the connection (%s)",
				 c->req.path, c->refuse == EPX_E_SRV_TOOBIG ?
				 "body over its cap" : epx_strerror(-c->refuse),
				 (unsigned long long)c->req.body_len,
				 epx_code(-c->refuse, code, sizeof(code)));
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (c->queued)
		return MHD_YES;
	c->req.body = c->req.body_fd >= 0 ? NULL : c->body;
	srv = epoxyd_thread_srv();
	if (!srv)
		epoxyd_refuse(c, EPX_E_SRV_BUSY);
	if (c->answered) {
		/* answered from its headers by http_preauth */
	} else if (c->refuse) {
		http_resp_error(&c->resp, c->refuse_status, -c->refuse, NULL);
		if (c->refuse == EPX_E_SRV_BUSY)
			http_resp_header(&c->resp, "Retry-After", "10");
		if (c->refuse_status == 429)
			http_resp_header(&c->resp, "Retry-After", "60");
	} else {
		srv->hold_ok = hold_open();
		http_dispatch(srv, &c->req, &c->resp);
		if (c->resp.hold_until && epoxyd_hold(c, con, srv) == 0)
			return MHD_YES;         /* parked: dispatched again later */
	}
	epoxyd_access_log(c);
	m = epoxyd_mhd_resp(&c->resp, c->req.tls);
	if (!m)
		return MHD_NO;
	ret = MHD_queue_response(con, (unsigned)c->resp.status, m);
	MHD_destroy_response(m);
	c->queued = 1;
	slow_answered(g.slow, c->slow);
	return ret;
}

static void epoxyd_completed(void *cls, struct MHD_Connection *con, void **con_cls,
			     enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	if (!c)
		return;
	if (c->upload)
		epoxyd_upload_give(c->req.admin_actor);
	slow_idle(g.slow, c->slow);
	http_resp_free(&c->resp);
	if (c->req.body_fd >= 0)
		close(c->req.body_fd);
	if (c->body) {
		explicit_bzero(c->body, c->body_cap);
		free(c->body);
	}
	explicit_bzero(&c->req.authorization, sizeof(c->req.authorization));
	explicit_bzero(&c->req.cookie, sizeof(c->req.cookie));
	http_req_free(&c->req);
	free(c);
	*con_cls = NULL;
}

static void epoxyd_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_msg(LOG_ERR, "libmicrohttpd: %s", msg);
}

/* ---------------------------------------------------------- listeners */

/* Binds one listening socket (before the privilege drop: ports below
 * 1024 need root or CAP_NET_BIND_SERVICE).  Returns the fd or
 * -EPX_E_SRV_LISTEN, after naming the address and the reason. */
static int epoxyd_bind(const struct config *cfg, unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, one = 1;

	if (cfg->listen_addr[0] && inet_pton(AF_INET, cfg->listen_addr, &sin.sin_addr) != 1) {
		log_msg(LOG_ERR, "EPOXY-E%04d listen_addr %s: not an IPv4 address",
			EPX_E_SRV_LISTEN, cfg->listen_addr);
		return -EPX_E_SRV_LISTEN;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, SOMAXCONN) < 0) {
		log_msg(LOG_ERR, "EPOXY-E%04d cannot listen on %s:%u: %s",
			EPX_E_SRV_LISTEN, cfg->listen_addr[0] ? cfg->listen_addr : "*", port,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EPX_E_SRV_LISTEN;
	}
	return fd;
}

/* ------------------------------------------------------ slow clients */

static enum MHD_Result epoxyd_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	return slow_accept(g.slow, sa) == 0 ? MHD_YES : MHD_NO;
}

static void epoxyd_notify(void *cls, struct MHD_Connection *con, void **ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *fd, *ad;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		slow_close(g.slow, *ctx);
		*ctx = NULL;
		return;
	}
	fd = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	ad = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	*ctx = fd ? slow_open(g.slow, fd->connect_fd, ad ? ad->client_addr : NULL) : NULL;
}

/* Percent-decoding of the path and query for libmicrohttpd: lib/pct.h's
 * one decoder, so a string holding an escaped NUL, a malformed escape or a
 * control byte is left undecoded: "/boot/stage1.efi%00.txt" stays itself
 * (and is refused) instead of being cut short at the NUL. */
static size_t epoxyd_unescape(void *cls, struct MHD_Connection *con, char *s)
{
	size_t n = strlen(s), len = n;
	char *tmp = malloc(n + 1);

	if (tmp && pct_decode(s, n, tmp, n + 1, &len, 0) == 0)
		memcpy(s, tmp, len + 1);
	else
		len = n;
	free(tmp);
	return len;
}

static int epoxyd_slow_start(struct epoxyd *d)
{
	struct slow_cfg sc = {
		.header_timeout = d->cfg.header_timeout,
		.body_timeout = d->cfg.body_timeout,
		.body_min_rate = d->cfg.body_min_rate,
		.per_addr = d->cfg.slow_per_addr,
		.max_pending = d->cfg.slow_max,
	};
	/* both listeners, and the HTTPS daemons of reloads still draining */
	int rc = slow_new(&d->slow, &sc, (size_t)d->cfg.max_connections * 4, d->base.metrics);

	if (rc < 0)
		log_msg(LOG_ERR, "cannot start the slow-client guard: %s", strerror(-rc));
	return rc;
}

/* Starts libmicrohttpd's thread pool on a socket bound by epoxyd_bind().
 * MHD_USE_ITC lets a reload quiesce it (keep serving its connections,
 * hand the socket back) while a new one takes the socket over. */
static struct MHD_Daemon *epoxyd_listen(struct epoxyd *d, int lfd, int tls)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
		MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;

	char prio[CONFIG_STR_MAX + 16];

	/* no static-RSA key exchange, whatever the configuration says: every
	 * TLS 1.2 session has forward secrecy, ECDHE or (OVMF's HTTPS boot,
	 * which offers no ECDHE) DHE-RSA over dh_pem's ffdhe2048 */
	snprintf(prio, sizeof(prio), "%s:-RSA", d->cfg.tls_priorities);
	if (tls)
		flags |= MHD_USE_TLS;
	return MHD_start_daemon(flags, 0, epoxyd_accept, NULL,
		epoxyd_handle, tls ? (void *)d : NULL,
		MHD_OPTION_EXTERNAL_LOGGER, epoxyd_mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, lfd,
		MHD_OPTION_THREAD_POOL_SIZE, d->cfg.threads,
		MHD_OPTION_CONNECTION_LIMIT, d->cfg.max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, EPOXYD_PER_IP_CONNS,
		MHD_OPTION_CONNECTION_TIMEOUT, d->cfg.conn_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)EPOXYD_CONN_MEM,
		MHD_OPTION_NOTIFY_COMPLETED, epoxyd_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, epoxyd_notify, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, epoxyd_unescape, NULL,
		tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, d->cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, d->key_pem,
		MHD_OPTION_HTTPS_PRIORITIES, prio,
		MHD_OPTION_HTTPS_MEM_DHPARAMS, d->dh_pem,
		d->nodeca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, d->nodeca_pem,
		MHD_OPTION_END);
}

/* ------------------------------------------------------------- main */

static void epoxyd_usage(FILE *f)
{
	fprintf(f,
		"usage: epoxyd [-c FILE] [-o KEY=VALUE]... [-n] [-p]\n"
		"  -c FILE         config file (default /etc/epoxy/epoxyd.conf)\n"
		"  -o KEY=VALUE    override one config key (repeatable)\n"
		"  -n              check the configuration and exit (0 ok, 1 bad)\n"
		"  -p              print the effective configuration and exit\n"
		"  -h, --help      this text;  --version  print the version\n"
		"epoxyd runs in the foreground and logs to stderr; see epoxyd(8).\n"
		"exit status: 0 clean stop or good -n; 1 bad config or cannot start; 2 usage\n");
}

/* Reads the configuration (file, then -o overrides, then the cross-field
 * rules) into cfg; at start-up also the flags (check/print; a reload
 * passes the same argv again). */
static int epoxyd_config(struct config *cfg, int argc, char **argv, int *check, int *print)
{
	const char *file = "/etc/epoxy/epoxyd.conf", *what = NULL;
	unsigned line = 0;
	int i, rc, explicit_file = 0;

	config_defaults(cfg);
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			file = argv[++i];
			explicit_file = 1;
		}
	rc = config_load(cfg, file, &line);
	if (rc == -EPX_E_CFG_FILE && !explicit_file && access(file, F_OK) != 0)
		rc = 0;   /* no default file: defaults plus -o */
	if (rc < 0) {
		log_msg(LOG_ERR, "%s:%u: EPOXY-E%04d %s", file, line, -rc, epx_strerror(rc));
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c")) {
			i++;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			rc = config_set(cfg, argv[++i]);
			if (rc < 0) {
				log_msg(LOG_ERR, "-o %s: EPOXY-E%04d %s", argv[i], -rc,
					epx_strerror(rc));
				return 1;
			}
		} else if (!strcmp(argv[i], "-n") && check) {
			*check = 1;
		} else if (!strcmp(argv[i], "-p") && print) {
			*print = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			epoxyd_usage(stdout);
			exit(0);
		} else if (!strcmp(argv[i], "--version")) {
			printf("epoxyd %s\n", EPOXY_VERSION);
			exit(0);
		} else {
			epoxyd_usage(stderr);
			return 2;
		}
	}
	rc = config_check(cfg, &what);
	if (rc < 0) {
		log_msg(LOG_ERR, "config: EPOXY-E%04d %s: %s", -rc, epx_strerror(rc), what);
		return 1;
	}
	return 0;
}

/* Everything that needs root (or the files' owner), before the drop:
 * keys, the store (one connection per worker thread; one for -n) and the
 * state directories as descriptors. */
static int epoxyd_setup(struct epoxyd *d, int check)
{
	struct storm_limits lim = {
		d->cfg.max_sessions, d->cfg.max_downloads, d->cfg.rate_per_sec,
		d->cfg.rate_burst, d->cfg.rate_table, d->cfg.retry_min, d->cfg.retry_max,
	};
	size_t nthreads;
	int rc;

	d->base.cfg = &d->cfg;
	d->base.clock_offset = d->cfg.clock_offset;
	rc = storm_new(&d->base.storm, &lim);
	if (rc == 0)
		rc = metrics_new(&d->base.metrics);
	if (rc == 0)
		rc = joincred_new(&d->base.joincred, &d->cfg);
	if (rc == 0)
		rc = epoxyd_load_keys(d);
	if (rc == 0)
		rc = paths_open(&d->paths, &d->cfg);
	if (rc < 0)
		return rc;
	d->base.dirs = 1;
	d->base.data_fd = d->paths.data_fd;
	d->base.boot_fd = d->paths.boot_fd;
	/* HTTPS twice: a reload's new daemon runs beside the old one while
	 * that one finishes its connections */
	nthreads = (d->cfg.https_port ? 2 * d->cfg.threads : 0) +
		(d->cfg.http_port ? d->cfg.threads : 0);
	if (nthreads > EPOXYD_POOL_MAX)
		nthreads = EPOXYD_POOL_MAX;
	if (check) {
		nthreads = 1;
		d->cfg.housekeeping_interval = 0;
	}
	d->slot_used = calloc(nthreads, sizeof(*d->slot_used));
	if (!d->slot_used || pthread_key_create(&d->slot_key, epoxyd_slot_free))
		return -ENOMEM;
	rc = epoxyd_pool(d, nthreads);
	if (rc < 0)
		log_msg(LOG_ERR, "EPOXY-E%04d store %s: cannot open it: %s", -rc,
			d->cfg.store, epx_strerror(rc));
	return rc;
}

/* Rollouts (store_rollout_tick): every epoxyd sharing the store advances
 * them at each housekeeping round; the store makes that idempotent. */
static void epoxyd_rollouts(struct epoxyd *d)
{
	uint64_t n = 0;
	int rc = store_rollout_tick(d->hk.store, &n);

	if (rc < 0)
		log_msg(LOG_ERR, "rollouts: EPOXY-E%04d %s", -rc, epx_strerror(rc));
	else if (n)
		log_msg(LOG_INFO, "rollouts: %llu waves moved, halted or done",
			(unsigned long long)n);
}

/* The S3 backend: bundles whose embargo ended move from private/ to
 * public/ (archive_s3_housekeeping); errors are logged and retried. */
static void epoxyd_embargo(struct epoxyd *d)
{
	uint64_t n = 0;
	int rc;

	if (!d->hk.s3)
		return;
	rc = archive_s3_housekeeping(d->hk.s3, d->hk.store, store_now(d->hk.store), &n);
	if (rc < 0)
		log_msg(LOG_ERR, "archive: embargo moves: EPOXY-E%04d %s", -rc, epx_strerror(rc));
	if (n)
		log_msg(LOG_INFO, "archive: %llu bundles left their embargo (S3 public/)",
			(unsigned long long)n);
}

/* Housekeeping, between signals: sessions a node left open (it died
 * mid-boot) are closed as "expired" once no token of theirs can be live, so
 * none of their tokens is usable again; tokens spent or expired longer than
 * token_retention ago are deleted (until then a replay is answered "already
 * used", E2003, rather than "unknown"); the counts of refusals past their
 * burst go into the audit log as summaries; rollouts advance.  Store errors are logged and
 * retried at the next round. */
static void epoxyd_housekeeping(struct epoxyd *d)
{
	uint64_t nsess = 0, ntok = 0;
	int64_t now;
	int rc;

	if (!d->hk.store)
		return;
	now = store_now(d->hk.store);
	rc = store_session_expire(d->hk.store, now - (int64_t)epoxyd_live()->session_max_age,
				  &nsess);
	if (rc == 0)
		rc = store_token_purge(d->hk.store, now - (int64_t)epoxyd_live()->token_retention,
				       &ntok);
	store_refusals_flush(d->hk.store, 0);
	epoxyd_rollouts(d);
	epoxyd_embargo(d);
	if (rc < 0)
		log_msg(LOG_ERR, "housekeeping: EPOXY-E%04d %s", -rc, epx_strerror(rc));
	else if (nsess || ntok)
		log_msg(LOG_INFO, "housekeeping: %llu sessions expired, %llu tokens purged",
			(unsigned long long)nsess, (unsigned long long)ntok);
}

/* ------------------------------------------------------------ reload */

/* Keys a running epoxyd applies on SIGHUP: read per request, or the TLS
 * listener's (which a reload replaces).  Every other key was used at
 * start-up (sockets, paths, store, user, threads, limits, keys) and
 * needs a restart. */
static void epoxyd_live_keys(struct config *dst, const struct config *src)
{
	memcpy(dst->tls_cert, src->tls_cert, sizeof(dst->tls_cert));
	memcpy(dst->tls_key, src->tls_key, sizeof(dst->tls_key));
	memcpy(dst->tls_priorities, src->tls_priorities, sizeof(dst->tls_priorities));
	memcpy(dst->server_name, src->server_name, sizeof(dst->server_name));
	memcpy(dst->boot_url, src->boot_url, sizeof(dst->boot_url));
	dst->token_ttl = src->token_ttl;
	dst->long_token_ttl = src->long_token_ttl;
	dst->statement_ttl = src->statement_ttl;
	dst->resume_tokens = src->resume_tokens;
	dst->session_max_age = src->session_max_age;
	dst->token_retention = src->token_retention;
	dst->admin_upload_max = src->admin_upload_max;
	dst->admin_uploads = src->admin_uploads;
	dst->upload_min_free = src->upload_min_free;
	dst->node_heartbeat = src->node_heartbeat;
	memcpy(dst->node_ca_cert, src->node_ca_cert, sizeof(dst->node_ca_cert));
	memcpy(dst->node_ca_key, src->node_ca_key, sizeof(dst->node_ca_key));
	memcpy(dst->node_ca_previous, src->node_ca_previous, sizeof(dst->node_ca_previous));
}

/* The first key (in -p order) whose value differs, or NULL. */
static const char *epoxyd_changed_key(const struct config *a, const struct config *b,
				      char *key, size_t cap)
{
	char *pa = NULL, *pb = NULL, *la, *lb, *sa = NULL, *sb = NULL;
	size_t na = 0, nb = 0;
	FILE *fa = open_memstream(&pa, &na), *fb = open_memstream(&pb, &nb);
	const char *found = NULL;

	if (fa && fb) {
		config_print(a, fa);
		config_print(b, fb);
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	for (la = pa ? strtok_r(pa, "\n", &sa) : NULL, lb = pb ? strtok_r(pb, "\n", &sb) : NULL;
	     la && lb; la = strtok_r(NULL, "\n", &sa), lb = strtok_r(NULL, "\n", &sb))
		if (strcmp(la, lb)) {
			snprintf(key, cap, "%.*s", (int)strcspn(la, " "), la);
			found = key;
			break;
		}
	free(pa);
	free(pb);
	return found ? found : "?";
}

static void epoxyd_old_push(struct epoxyd *d, struct reload_old *o)
{
	o->since = time(NULL);
	o->next = d->old;
	d->old = o;
}

/* Stops the old HTTPS daemons whose last connection ended (or that have
 * had 600 s to finish); returns how many are still finishing. */
static size_t epoxyd_old_reap(struct epoxyd *d, int all)
{
	struct reload_old **pp = &d->old, *o;
	size_t left = 0;

	while ((o = *pp)) {
		const union MHD_DaemonInfo *di = o->mhd ?
			MHD_get_daemon_info(o->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS) : NULL;

		if (o->mhd && (all || !di || di->num_connections == 0 ||
			       time(NULL) - o->since > 600)) {
			MHD_stop_daemon(o->mhd);
			o->mhd = NULL;
			if (o->lfd >= 0)
				close(o->lfd);
			if (o->key_pem) {
				explicit_bzero(o->key_pem, strlen(o->key_pem));
				free(o->key_pem);
			}
			free(o->cert_pem);
			o->cert_pem = o->key_pem = NULL;
		}
		if (!o->mhd && (all || (!o->cfg && !o->nodeid))) {
			*pp = o->next;
			free(o->cfg);
			nodeid_free(o->nodeid);
			free(o->nodeca_pem);
			free(o);
			continue;
		}
		left += o->mhd != NULL;
		pp = &o->next;
	}
	return left;
}

/* A new HTTPS daemon with the new certificate on the same socket; the
 * old one stops accepting and finishes its connections (reaped later). */
static int epoxyd_reload_tls(struct epoxyd *d, struct MHD_Daemon **https,
			     const struct config *nc)
{
	struct reload_old *o = calloc(1, sizeof(*o));
	char *cert = NULL, *key = NULL, *oc = d->cert_pem, *ok = d->key_pem;
	struct MHD_Daemon *m = NULL;
	int fd = -1, rc = -ENOMEM;

	if (!o)
		return rc;
	rc = epoxyd_read_key("tls_cert", nc->tls_cert, EPX_E_SRV_TLSFILE, &cert);
	if (rc == 0)
		rc = epoxyd_read_key("tls_key", nc->tls_key, EPX_E_SRV_TLSFILE, &key);
	if (rc == 0 && (fd = fcntl(d->lfd_https, F_DUPFD_CLOEXEC, 0)) < 0)
		rc = -errno;
	if (rc == 0) {
		d->cert_pem = cert;
		d->key_pem = key;
		memcpy(d->cfg.tls_priorities, nc->tls_priorities, sizeof(d->cfg.tls_priorities));
		m = epoxyd_listen(d, fd, 1);
		if (!m) {
			rc = -EPX_E_SRV_LISTEN;
			d->cert_pem = oc;
			d->key_pem = ok;
			close(fd);
		}
	}
	if (rc < 0) {
		if (key)
			explicit_bzero(key, strlen(key));
		free(key);
		free(cert);
		free(o);
		return rc;
	}
	o->mhd = *https;
	o->lfd = MHD_quiesce_daemon(*https);
	o->cert_pem = oc;
	o->key_pem = ok;
	epoxyd_old_push(d, o);
	*https = m;
	return 0;
}

/* The reload's node CA: read anew from nc (a rotation changes the files
 * or the names), put in place for the next HTTPS listener's trust; the
 * previous one goes into keep (its readers may still hold it). */
static int epoxyd_reload_nodeca(struct epoxyd *d, const struct config *nc,
				struct reload_old *keep, struct nodeid **next)
{
	char *trust = NULL;
	int rc;

	*next = NULL;
	if (!d->base.nodeid != !nc->node_ca_cert[0]) {
		log_msg(LOG_ERR, "EPOXY-E%04d reload: node identity turned %s; it takes a restart",
			EPX_E_SRV_RELOAD, d->base.nodeid ? "off" : "on");
		return -EPX_E_SRV_RELOAD;
	}
	if (!d->base.nodeid)
		return 0;
	rc = epoxyd_nodeca(nc, next, &trust);
	if (rc < 0)
		return rc;
	keep->nodeid = d->base.nodeid;
	keep->nodeca_pem = d->nodeca_pem;
	d->nodeca_pem = trust;
	return 0;
}

/* Undoes epoxyd_reload_nodeca (a later step of the reload failed). */
static void epoxyd_reload_nodeca_undo(struct epoxyd *d, struct reload_old *keep,
				      struct nodeid *next)
{
	if (!next)
		return;
	nodeid_free(next);
	free(d->nodeca_pem);
	d->nodeca_pem = keep->nodeca_pem;
	keep->nodeca_pem = NULL;
	keep->nodeid = NULL;
}

/* SIGHUP: re-reads the configuration the way the start did.  A change of
 * a start-only key refuses the whole reload (E2315, naming the key); else
 * the node CA is read again, the TLS listener is replaced and the
 * per-request keys take effect, and no connection is dropped.  On any
 * failure the running state stays. */
static void epoxyd_reload(struct epoxyd *d, struct MHD_Daemon **https)
{
	struct config *nc = calloc(1, sizeof(*nc)), *cmp = NULL;
	struct reload_old *keep = NULL;
	struct nodeid *nid = NULL;
	char key[64];
	size_t i;
	int rc = -ENOMEM;

	if (!nc || !(cmp = malloc(sizeof(*cmp))) || !(keep = calloc(1, sizeof(*keep))))
		goto fail;
	rc = epoxyd_config(nc, d->argc, d->argv, NULL, NULL) ? -EPX_E_SRV_RELOAD : 0;
	if (rc < 0)
		goto fail;
	*cmp = *nc;
	epoxyd_live_keys(cmp, &d->cfg);
	if (memcmp(cmp, &d->cfg, sizeof(*cmp))) {
		log_msg(LOG_ERR, "EPOXY-E%04d reload: %s changed; it takes a restart",
			EPX_E_SRV_RELOAD, epoxyd_changed_key(cmp, &d->cfg, key, sizeof(key)));
		rc = -EPX_E_SRV_RELOAD;
		goto fail;
	}
	if (*https && epoxyd_old_reap(d, 0)) {
		log_msg(LOG_ERR, "EPOXY-E%04d reload: the previous certificate's connections are "
			"still finishing; reload again once they are done", EPX_E_SRV_RELOAD);
		rc = -EPX_E_SRV_RELOAD;
		goto fail;
	}
	rc = epoxyd_reload_nodeca(d, nc, keep, &nid);
	if (rc < 0)
		goto fail;
	if (*https && (rc = epoxyd_reload_tls(d, https, nc)) < 0) {
		epoxyd_reload_nodeca_undo(d, keep, nid);
		goto fail;
	}
	/* the listener's names as they are now, before the node CA is in
	 * use (a failure is logged and keeps the last names) */
	(void)epoxyd_nodeca_names(nid ? nid : d->base.nodeid, d->cert_pem);
	if (nid) {
		d->base.nodeid = nid;
		for (i = 0; i < d->npool; i++)
			__atomic_store_n(&d->pool[i].nodeid, nid, __ATOMIC_RELEASE);
	}
	for (i = 0; i < d->npool; i++)
		__atomic_store_n(&d->pool[i].cfg, nc, __ATOMIC_RELEASE);
	/* readers may still hold the previous one: kept until exit */
	keep->cfg = d->live;
	keep->lfd = -1;
	epoxyd_old_push(d, keep);
	__atomic_store_n(&d->live, nc, __ATOMIC_RELEASE);
	log_msg(LOG_INFO, "reloaded the configuration%s%s (token_ttl %u, boot_url %s)",
		*https ? " and the TLS certificate" : "", nid ? " and the node CA" : "",
		nc->token_ttl, nc->boot_url);
	free(cmp);
	return;
fail:
	log_msg(LOG_ERR, "EPOXY-E%04d reload refused; the running configuration stays",
		EPX_E_SRV_RELOAD);
	free(keep);
	free(cmp);
	free(nc);
}

/* Waits for SIGINT/SIGTERM, running housekeeping every interval and a
 * reload at each SIGHUP; while old HTTPS daemons finish their
 * connections, it looks at them every second. */
static int epoxyd_wait(struct epoxyd *d, const sigset_t *set, struct MHD_Daemon **https)
{
	time_t next = 0;
	size_t finishing;
	int sig;

	for (;;) {
		struct timespec ts = { 1, 0 };
		time_t now = time(NULL);

		if (d->cfg.housekeeping_interval && now >= next) {
			epoxyd_housekeeping(d);
			next = now + (time_t)d->cfg.housekeeping_interval;
		}
		finishing = epoxyd_old_reap(d, 0);
		if (!finishing && d->cfg.housekeeping_interval)
			ts.tv_sec = next - now > 0 ? next - now : 1;
		if (!finishing && !d->cfg.housekeeping_interval)
			sig = sigwaitinfo(set, NULL);
		else
			sig = sigtimedwait(set, NULL, &ts);
		if (sig == SIGHUP)
			epoxyd_reload(d, https);
		else if (sig > 0)
			return sig;
	}
}

static const char *epoxyd_user_name(char *buf, size_t cap)
{
	struct passwd *pw = getpwuid(geteuid());

	snprintf(buf, cap, "%s", pw ? pw->pw_name : "?");
	return buf;
}

/* Drops root and proves, as the service user, every use of a path the
 * configuration names (paths_check) before anything is served. */
static int epoxyd_drop_check(struct epoxyd *d)
{
	if (epoxyd_drop(&d->cfg) < 0) {
		char code[16];

		log_msg(LOG_ERR, "%s cannot drop privileges to user '%s'",
			epx_code(-EPX_E_SRV_PRIV, code, sizeof(code)),
			d->cfg.user[0] ? d->cfg.user : "epoxy/nobody");
		return -EPX_E_SRV_PRIV;
	}
	return paths_check(&d->paths, &d->cfg, d->npool ? d->pool[0].store : NULL);
}

static void epoxyd_free(struct epoxyd *d)
{
	size_t i;

	for (i = 0; i < d->npool; i++)
		store_close(d->pool[i].store);
	if (d->hk.store)
		store_close(d->hk.store);
	free(d->pool);
	free(d->slot_used);
	if (d->key_pem) {
		explicit_bzero(d->key_pem, strlen(d->key_pem));
		free(d->key_pem);
	}
	free(d->cert_pem);
	free(d->dh_pem);
	free(d->nodeca_pem);
	nodeid_free(d->base.nodeid);
	archive_s3_free(d->base.s3);
	paths_close(&d->paths);
	free(d->live);
	sign_free(d->base.online);
	joincred_free(d->base.joincred);
	slow_free(d->slow);
	metrics_free(d->base.metrics);
	storm_free(d->base.storm);
}

/* -n: everything the start does but listening, then the checks as the
 * service user; the same messages as a real start. */
static int epoxyd_check_only(struct epoxyd *d)
{
	char user[64];
	int rc = epoxyd_setup(d, 1);

	if (rc == 0)
		rc = epoxyd_drop_check(d);
	if (rc == 0)
		log_msg(LOG_INFO, "configuration ok (paths checked as user %s)",
			epoxyd_user_name(user, sizeof(user)));
	epoxyd_free(d);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *https = NULL, *http = NULL;
	int check = 0, print = 0, rc, sig = 0;
	sigset_t set;

	g.paths.data_fd = g.paths.boot_fd = g.lfd_https = g.lfd_http = -1;
	g.argc = argc;
	g.argv = argv;
	rc = epoxyd_config(&g.cfg, argc, argv, &check, &print);
	if (rc)
		return rc;
	if (print) {
		config_print(&g.cfg, stdout);
		return 0;
	}
	if (check)
		return epoxyd_check_only(&g);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = 1;
	if (epoxyd_setup(&g, 0) < 0)
		goto out;
	if ((g.cfg.https_port && (g.lfd_https = epoxyd_bind(&g.cfg, g.cfg.https_port)) < 0) ||
	    (g.cfg.http_port && (g.lfd_http = epoxyd_bind(&g.cfg, g.cfg.http_port)) < 0))
		goto out;
	if (epoxyd_drop_check(&g) < 0)
		goto out;
	if (epoxyd_slow_start(&g) < 0)
		goto out;
	if (hold_start() < 0) {
		log_msg(LOG_ERR, "cannot start the thread of held long polls");
		goto out;
	}
	/* a started daemon owns its socket (MHD_stop_daemon closes it);
	 * epoxyd keeps the HTTPS one for the daemons of later reloads */
	if (g.cfg.https_port) {
		int fd = fcntl(g.lfd_https, F_DUPFD_CLOEXEC, 0);

		https = fd < 0 ? NULL : epoxyd_listen(&g, fd, 1);
		if (fd >= 0 && !https)
			close(fd);
	}
	if (g.cfg.http_port && (http = epoxyd_listen(&g, g.lfd_http, 0)))
		g.lfd_http = -1;
	if ((g.cfg.https_port && !https) || (g.cfg.http_port && !http)) {
		log_msg(LOG_ERR, "%s cannot start a listener on %s ports %u/%u "
			"(see libmicrohttpd's message above: TLS certificate or key?)",
			epx_code_str(EPX_E_SRV_LISTEN), g.cfg.listen_addr[0] ? g.cfg.listen_addr : "*", g.cfg.https_port,
			g.cfg.http_port);
		goto out;
	}
	log_msg(LOG_INFO, "version %s, listening https %u http %u, store %s", EPOXY_VERSION,
		g.cfg.https_port, g.cfg.http_port, store_backend(g.pool[0].store));
	sig = epoxyd_wait(&g, &set, &https);
	log_msg(LOG_INFO, "signal %d, stopping", sig);
	rc = 0;
out:
	/* no daemon may stop with a suspended connection (held polls) */
	hold_stop();
	epoxyd_old_reap(&g, 1);
	if (https)
		MHD_stop_daemon(https);
	if (http)
		MHD_stop_daemon(http);
	if (g.lfd_https >= 0)
		close(g.lfd_https);
	if (g.lfd_http >= 0)
		close(g.lfd_http);
	/* the refusals counted in the last window: into the audit log */
	if (g.hk.store)
		store_refusals_flush(g.hk.store, 1);
	epoxyd_free(&g);
	return rc;
}
