/* nodeapi: node identity endpoints (see nodeapi.h).
 *
 * Order in every handler: identity configured -> body caps and fields ->
 * who is asking (bearer credential, or client certificate + store) ->
 * act -> answer.  The CSR is hex in a form field because form values may
 * not hold the newlines of PEM (lib/form.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/nodeproto.h"
#include "lib/num.h"
#include "lib/sha256.h"
#include "lib/usage.h"
#include "server/config.h"
#include "server/metrics.h"
#include "server/nodeapi.h"
#include "server/nodeid.h"
#include "store/store.h"

#define NODEAPI_FORM "application/x-www-form-urlencoded"
#define NODEAPI_PEM "application/x-pem-file"

struct nodeapi_in {
	struct http_arg args[NODEPROTO_FIELDS_MAX];
	int n;
	uint8_t csr[NODEPROTO_CSR_MAX];
	size_t csr_len;
};

static int nodeapi_refuse(const struct http_req *req, struct http_resp *resp,
			  int rc, const char *what)
{
	char code[16];

	http_log(req, "refused %s: %s %s", what, epx_code(rc, code, sizeof(code)),
		 epx_strerror(rc));
	return http_resp_fail(resp, rc, NULL);
}

/* The form of req: only the listed keys; values as the caps say. */
static int nodeapi_form(const struct http_req *req, struct nodeapi_in *in,
			const char *const *keys, size_t nkeys)
{
	size_t n = strlen(NODEAPI_FORM), k;
	const char *ct = req->content_type;
	int i;

	if (strncasecmp(ct, NODEAPI_FORM, n) || (ct[n] != '\0' && ct[n] != ';'))
		return -EPX_E_SRV_CTYPE;
	if (req->body_fd >= 0 || req->body_len > NODEPROTO_NODE_BODY_MAX)
		return -EPX_E_SRV_TOOBIG;
	in->n = http_form_parse((const char *)req->body, req->body_len, in->args,
				NODEPROTO_FIELDS_MAX);
	if (in->n < 0)
		return -EPX_E_SRV_FIELD;
	for (i = 0; i < in->n; i++) {
		for (k = 0; k < nkeys && strcmp(in->args[i].key, keys[k]); k++)
			;
		if (k == nkeys)
			return -EPX_E_SRV_FIELD;
	}
	return 0;
}

static const char *nodeapi_val(const struct nodeapi_in *in, const char *key)
{
	const struct http_arg *a = http_arg_get(in->args, (size_t)in->n, key);

	return a ? a->val : NULL;
}

/* The csr field, hex-decoded into in->csr. */
static int nodeapi_csr_field(struct nodeapi_in *in)
{
	const char *hex = nodeapi_val(in, NODEPROTO_F_CSR);
	size_t len = hex ? strlen(hex) : 0;

	if (len == 0 || len % 2 || len / 2 > sizeof(in->csr) ||
	    hex_decode(hex, len, in->csr, len / 2) < 0)
		return -EPX_E_NID_CSR;
	in->csr_len = len / 2;
	return 0;
}

/* Issues for host from in->csr; *pem is malloc'd. */
static int nodeapi_issue(struct srv *srv, const struct nodeapi_in *in, const char *host,
			 enum nodeid_kind kind, char serial[NODEID_SERIAL_HEX + 1], int64_t *not_after,
			 char **pem, size_t *pem_len)
{
	int rc;

	*pem = malloc(NODEPROTO_CERT_MAX);
	if (!*pem)
		return -ENOMEM;
	rc = nodeid_issue(srv->nodeid, in->csr, in->csr_len, host, kind, http_now(srv),
			  srv->cfg->node_cert_ttl, serial, not_after, *pem,
			  NODEPROTO_CERT_MAX, pem_len);
	if (rc < 0) {
		free(*pem);
		*pem = NULL;
	}
	return rc;
}

/* Records the certificate and answers it.  Its not-before follows from
 * nodeid_issue()'s contract: now - NODEID_SKEW, where not_after is now +
 * node_cert_ttl. */
static int nodeapi_answer(struct srv *srv, const struct http_req *req, struct http_resp *resp,
			  const char *host, const char *serial, int64_t not_after,
			  char *pem, size_t pem_len, const char *what)
{
	int64_t not_before = not_after - (int64_t)srv->cfg->node_cert_ttl - NODEID_SKEW;
	int rc = store_nodecert_add(srv->store, serial, host, not_before, not_after);

	if (rc < 0) {
		free(pem);
		return nodeapi_refuse(req, resp, rc, what);
	}
	http_log(req, "%s: certificate serial %s for host %s until %lld", what, serial, host,
		 (long long)not_after);
	return http_resp_take(resp, 200, NODEAPI_PEM, pem, pem_len);
}

int nodeapi_csr(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	static const char *const keys[] = { NODEPROTO_F_HOST, NODEPROTO_F_CSR };
	char tok[STORE_TOKEN_HEX + 1], serial[NODEID_SERIAL_HEX + 1];
	struct store_token_info info;
	struct nodeapi_in *in;
	const char *host;
	char *pem = NULL;
	size_t pem_len = 0;
	int64_t not_after = 0;
	int rc;

	if (!srv->nodeid)
		return nodeapi_refuse(req, resp, -EPX_E_NID_OFF, "node csr");
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	rc = nodeapi_form(req, in, keys, 2);
	host = rc == 0 ? nodeapi_val(in, NODEPROTO_F_HOST) : NULL;
	if (rc == 0 && label_check_str(LABEL_HOST, host) < 0)
		rc = -EPX_E_SRV_FIELD;
	if (rc == 0)
		rc = nodeapi_csr_field(in);
	if (rc == 0)
		rc = http_bearer(req, tok);
	/* every check of the request before the credential is spent */
	if (rc == 0)
		rc = nodeapi_issue(srv, in, host, NODEID_NODE, serial, &not_after, &pem, &pem_len);
	if (rc == 0) {
		rc = store_joincred_redeem(srv->store, tok, host, &info);
		if (rc < 0)
			metrics_add(srv->metrics, M_TOKENS_REFUSED, 1);
	}
	explicit_bzero(tok, sizeof(tok));
	if (rc < 0) {
		free(pem);
		rc = nodeapi_refuse(req, resp, rc, "node csr");
	} else {
		rc = nodeapi_answer(srv, req, resp, host, serial, not_after, pem, pem_len,
				    "node joined by credential");
	}
	free(in);
	return rc;
}

/* NODEAPI_SEEN certificates nodeid_peer() accepted (nodeapi.h) */
struct nodeapi_seen {
	uint8_t h[SHA256_LEN];          /* SHA-256 of its DER */
	uint64_t gen;                   /* nodeid_gen() of the CA; 0: empty slot */
	int64_t window[2];
	char host[LABEL_HOST_MAX + 1];
	char serial[NODEID_SERIAL_HEX + 1];
	enum nodeid_kind kind;
};
static struct nodeapi_seen nodeapi_seen[NODEAPI_SEEN];
static unsigned nodeapi_seen_next;      /* the way a new entry takes */
static pthread_mutex_t nodeapi_seen_lock = PTHREAD_MUTEX_INITIALIZER;

/* The entry of h in its set of NODEAPI_SEEN_WAYS, or (add) the way it
 * goes to: its own, an empty one, or each way in turn.  Lock held. */
static struct nodeapi_seen *nodeapi_slot(const uint8_t h[SHA256_LEN], int add)
{
	size_t set = ((size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16) %
		(NODEAPI_SEEN / NODEAPI_SEEN_WAYS);
	struct nodeapi_seen *w = &nodeapi_seen[set * NODEAPI_SEEN_WAYS];
	size_t i;

	for (i = 0; i < NODEAPI_SEEN_WAYS; i++)
		if (w[i].gen && !memcmp(w[i].h, h, SHA256_LEN))
			return &w[i];
	if (!add)
		return NULL;
	for (i = 0; i < NODEAPI_SEEN_WAYS; i++)
		if (!w[i].gen)
			return &w[i];
	return &w[nodeapi_seen_next++ % NODEAPI_SEEN_WAYS];
}

/* Who the client is, whatever its certificate's kind (*kind). */
static int nodeapi_who(struct srv *srv, const struct http_req *req,
		       char host[LABEL_HOST_MAX + 1], char serial[NODEID_SERIAL_HEX + 1],
		       enum nodeid_kind *kind)
{
	struct nodeapi_seen *e;
	uint8_t h[SHA256_LEN];
	int64_t now = http_now(srv), win[2];
	uint64_t gen;
	int rc = -1;

	if (!srv->nodeid)
		return -EPX_E_NID_OFF;
	gen = nodeid_gen(srv->nodeid);
	if (req->peer_cert && req->peer_cert_len && req->peer_cert_len <= NODEID_CERT_DER_MAX) {
		sha256_buf(req->peer_cert, req->peer_cert_len, h);
		pthread_mutex_lock(&nodeapi_seen_lock);
		e = nodeapi_slot(h, 0);
		if (e && e->gen == gen && now >= e->window[0] && now <= e->window[1]) {
			memcpy(host, e->host, sizeof(e->host));
			memcpy(serial, e->serial, sizeof(e->serial));
			*kind = e->kind;
			rc = 0;
		}
		pthread_mutex_unlock(&nodeapi_seen_lock);
	}
	if (rc < 0) {
		rc = nodeid_peer(srv->nodeid, req->peer_cert, req->peer_cert_len, now, host, serial,
				 win, kind);
		if (rc == 0 && req->peer_cert_len <= NODEID_CERT_DER_MAX) {
			pthread_mutex_lock(&nodeapi_seen_lock);
			e = nodeapi_slot(h, 1);
			memcpy(e->h, h, sizeof(h));
			e->gen = gen;
			memcpy(e->window, win, sizeof(win));
			memcpy(e->host, host, sizeof(e->host));
			memcpy(e->serial, serial, sizeof(e->serial));
			e->kind = *kind;
			pthread_mutex_unlock(&nodeapi_seen_lock);
		}
	}
	if (rc == 0)
		rc = store_nodecert_check(srv->store, serial, host);
	return rc;
}

int nodeapi_identify(struct srv *srv, const struct http_req *req,
		     char host[LABEL_HOST_MAX + 1], char serial[NODEID_SERIAL_HEX + 1])
{
	enum nodeid_kind kind = NODEID_NODE;
	int rc = nodeapi_who(srv, req, host, serial, &kind);

	return rc == 0 && kind != NODEID_NODE ? -EPX_E_NID_ARCHONLY : rc;
}

int nodeapi_identify_archive(struct srv *srv, const struct http_req *req,
			     char host[LABEL_HOST_MAX + 1], char serial[NODEID_SERIAL_HEX + 1])
{
	enum nodeid_kind kind = NODEID_NODE;

	return nodeapi_who(srv, req, host, serial, &kind);
}

int nodeapi_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1];
	char tok[STORE_TOKEN_HEX + 1];
	/* the handler's own name in the log line */
	const char *what = !strcmp(req->path, NODEPROTO_NODE_CSR_PATH) ? "node csr" :
		!strcmp(req->path, NODEPROTO_NODE_RENEW_PATH) ? "node renew" :
		!strcmp(req->path, NODEPROTO_NODE_ARCHIVE_CERT_PATH) ? "node archive-cert" :
		"node heartbeat";
	int rc;

	if (!srv->nodeid)
		return nodeapi_refuse(req, resp, -EPX_E_NID_OFF, what);
	if (!strcmp(req->path, NODEPROTO_NODE_CSR_PATH)) {
		/* the credential is spent only with the CSR: its form here */
		rc = http_bearer(req, tok);
		explicit_bzero(tok, sizeof(tok));
	} else {
		rc = nodeapi_identify(srv, req, host, serial);
	}
	return rc < 0 ? nodeapi_refuse(req, resp, rc, what) : 0;
}

/* The heartbeat's own form (its usage field is larger than an http_arg):
 * uptime and usage, both optional; the usage line parsed into u and kept
 * canonical in line ("" when absent or refused: *urc says why, and the
 * heartbeat itself still counts, so that a node whose sensors send a bad
 * line stays a member). */
static int nodeapi_beat_form(const struct http_req *req, uint64_t *uptime, struct usage *u,
			     char *line, size_t cap, int *urc)
{
	static const char *const keys[] = { NODEPROTO_F_UPTIME, NODEPROTO_F_USAGE };
	const char *ct = req->content_type, *v;
	size_t n = strlen(NODEAPI_FORM), len = 0;
	struct form f;
	char *buf;
	int rc;

	line[0] = '\0';
	if (strncasecmp(ct, NODEAPI_FORM, n) || (ct[n] != '\0' && ct[n] != ';'))
		return -EPX_E_SRV_CTYPE;
	if (req->body_fd >= 0 || req->body_len > NODEPROTO_HEARTBEAT_BODY_MAX)
		return -EPX_E_SRV_TOOBIG;
	buf = malloc(req->body_len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, req->body, req->body_len);
	/* any value the body holds parses: usage_parse says why it is too long */
	rc = form_parse(&f, buf, req->body_len, 2, NODEPROTO_HEARTBEAT_BODY_MAX);
	if (rc == 0)
		rc = form_known(&f, keys, 2);
	if (rc < 0)
		rc = -EPX_E_SRV_FIELD;
	v = rc == 0 ? form_get(&f, NODEPROTO_F_UPTIME) : NULL;
	if (v && num_str_u64(v, NODEPROTO_UPTIME_MAX, uptime) < 0)
		rc = -EPX_E_SRV_FIELD;
	v = rc == 0 ? form_get(&f, NODEPROTO_F_USAGE) : NULL;
	if (v)
		*urc = usage_parse(u, v, strlen(v));
	if (v && *urc == 0)
		*urc = usage_format(u, line, cap, &len);
	if (*urc < 0)
		line[0] = '\0';
	free(buf);
	return rc;
}

int nodeapi_heartbeat(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1];
	struct usage *u = calloc(1, sizeof(*u));
	char *line = malloc(USAGE_BYTES_MAX + 1);
	char ans[128], code[16];
	uint64_t uptime = 0;
	int rc = -ENOMEM, first = 0, n, urc = 0;

	if (!u || !line)
		goto out;
	rc = nodeapi_identify(srv, req, host, serial);
	if (rc == 0)
		rc = nodeapi_beat_form(req, &uptime, u, line, USAGE_BYTES_MAX + 1, &urc);
	if (rc == 0)
		rc = store_nodecert_heartbeat(srv->store, serial, host, &first);
	if (rc == 0 && line[0])
		rc = store_usage_put(srv->store, host, u->at, line);
out:
	free(u);
	free(line);
	if (rc < 0)
		return nodeapi_refuse(req, resp, rc, "node heartbeat");
	if (first)
		http_log(req, "host %s joined (first heartbeat, certificate %s)", host, serial);
	if (urc < 0)
		http_log(req, "host %s: heartbeat usage refused (not recorded): %s %s", host,
			 epx_code(urc, code, sizeof(code)), epx_strerror(urc));
	n = snprintf(ans, sizeof(ans), "joined\n%s%u\n", NODEPROTO_HEARTBEAT_KEY,
		     srv->cfg->node_heartbeat);
	if (urc < 0)
		n += snprintf(ans + n, sizeof(ans) - (size_t)n, "%s%s\n", NODEPROTO_USAGE_REFUSED_KEY,
			      epx_code(urc, code, sizeof(code)));
	return http_resp_copy(resp, 200, "text/plain", ans, (size_t)n);
}

/* renew (NODEID_NODE) and archive-cert (NODEID_ARCHIVE): a node's
 * certificate asks, the kind is the endpoint's */
static int nodeapi_reissue(struct srv *srv, const struct http_req *req, struct http_resp *resp,
			   enum nodeid_kind kind, const char *what)
{
	static const char *const keys[] = { NODEPROTO_F_CSR };
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1];
	struct nodeapi_in *in = calloc(1, sizeof(*in));
	char *pem = NULL;
	size_t pem_len = 0;
	int64_t not_after = 0;
	int rc;

	if (!in)
		return -ENOMEM;
	rc = nodeapi_identify(srv, req, host, serial);
	if (rc == 0)
		rc = nodeapi_form(req, in, keys, 1);
	if (rc == 0)
		rc = nodeapi_csr_field(in);
	if (rc == 0)
		rc = nodeapi_issue(srv, in, host, kind, serial, &not_after, &pem, &pem_len);
	free(in);
	if (rc < 0)
		return nodeapi_refuse(req, resp, rc, what);
	return nodeapi_answer(srv, req, resp, host, serial, not_after, pem, pem_len,
			      kind == NODEID_ARCHIVE ? "archive certificate" : "node renewed");
}

int nodeapi_renew(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	return nodeapi_reissue(srv, req, resp, NODEID_NODE, "node renew");
}

int nodeapi_archive_cert(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	return nodeapi_reissue(srv, req, resp, NODEID_ARCHIVE, "node archive-cert");
}
