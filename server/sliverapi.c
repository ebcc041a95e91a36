/* sliverapi: the node's signed sliver set (see sliverapi.h).
 *
 * Order: who is asking (client certificate + store) -> query caps -> the
 * set and its serial -> 304 or wait -> sign -> answer. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/num.h"
#include "lib/sha256.h"
#include "lib/sign.h"
#include "lib/sliverset.h"
#include "lib/ticket.h"
#include "server/config.h"
#include "server/log.h"
#include "server/nodeapi.h"
#include "server/nodeid.h"
#include "server/sliverapi.h"
#include "store/store.h"

/* admin changes of this process wake the thread that resumes held polls
 * (server/hold.c) at once */
static pthread_mutex_t sliverapi_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sliverapi_cond = PTHREAD_COND_INITIALIZER;
static uint64_t sliverapi_gen;

void sliverapi_kick(void)
{
	pthread_mutex_lock(&sliverapi_lock);
	sliverapi_gen++;
	pthread_cond_broadcast(&sliverapi_cond);
	pthread_mutex_unlock(&sliverapi_lock);
}

int sliverapi_kicked(uint64_t *gen, int ms)
{
	struct timespec until;
	int kicked;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&sliverapi_lock);
	while (sliverapi_gen == *gen &&
	       pthread_cond_timedwait(&sliverapi_cond, &sliverapi_lock, &until) == 0)
		;
	kicked = sliverapi_gen != *gen;
	*gen = sliverapi_gen;
	pthread_mutex_unlock(&sliverapi_lock);
	return kicked;
}

static int sliverapi_refuse(const struct http_req *req, struct http_resp *resp, int rc)
{
	char code[16];

	http_log(req, "refused node slivers: %s %s", epx_code(rc, code, sizeof(code)),
		 epx_strerror(rc));
	return http_resp_fail(resp, rc, NULL);
}

int sliverapi_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1];
	int rc = nodeapi_identify(srv, req, host, serial);

	return rc < 0 ? sliverapi_refuse(req, resp, rc) : 0;
}

static int sliverapi_add(const struct store_sliver *v, void *arg)
{
	struct sliverset *ss = arg;
	struct sliver *o;
	size_t a;

	if (ss->n >= SLIVERSET_MAX_SLIVERS)
		return -EPX_E_SLICE_TOOMANY;
	o = &ss->sl[ss->n++];
	snprintf(o->name, sizeof(o->name), "%s", v->slice);
	snprintf(o->entry, sizeof(o->entry), "%s", v->entry);
	if (hex_decode(v->vref + 7, STORE_HASH_HEX, o->image, sizeof(o->image)) < 0)
		return -EPX_E_SLICE_IMAGE;
	o->expires = v->expires;
	for (a = 0; a < SLIVERSET_NATTR && a < STORE_ATTR_N; a++)
		o->attr[a] = v->attr[a];
	snprintf(o->grants, sizeof(o->grants), "%s", v->grants);
	return 0;
}

static int sliverapi_image_len(const struct store_image *im, void *arg)
{
	struct sliverset *ss = arg;
	uint8_t h[32];
	size_t i;

	if (hex_decode(im->sha256, STORE_HASH_HEX, h, sizeof(h)) < 0)
		return 0;
	for (i = 0; i < ss->n; i++)
		if (!memcmp(ss->sl[i].image, h, 32))
			ss->sl[i].image_bytes = im->length;
	return 0;
}

/* host's set, resolved now, and its serial; body formatted into buf. */
static int sliverapi_build(struct srv *srv, const char *host, struct sliverset *ss,
			   char *buf, size_t cap, size_t *len)
{
	char digest[STORE_HASH_HEX + 1];
	uint8_t h[32];
	int rc;

	memset(ss, 0, sizeof(*ss));
	snprintf(ss->node, sizeof(ss->node), "%s", host);
	rc = store_sliver_list(srv->store, host, sliverapi_add, ss);
	if (rc == 0 && ss->n)
		rc = store_image_list(srv->store, sliverapi_image_len, ss);
	/* the digest is of the content alone: serial 0, issued 0 */
	if (rc == 0)
		rc = sliverset_format(ss, buf, cap, len) ? -EPX_E_SRV_SIGN : 0;
	if (rc == 0) {
		sha256_buf(buf, *len, h);
		hex_encode(h, sizeof(h), digest);
		rc = store_sliver_serial(srv->store, host, digest, &ss->serial);
	}
	return rc;
}

/* "N" or "\"N\"" (weak W/ too) from If-None-Match; 0 when absent/other. */
static uint64_t sliverapi_inm(const struct http_req *req)
{
	const char *v = req->if_none_match;
	size_t n = strlen(v);
	uint64_t x;

	if (n >= 2 && !strncmp(v, "W/", 2)) {
		v += 2;
		n -= 2;
	}
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	return num_parse_u64(v, n, SLIVERSET_VALUE_MAX, &x) < 0 ? 0 : x;
}

static int sliverapi_not_modified(struct http_resp *resp, uint64_t serial)
{
	char etag[32];
	int rc;

	snprintf(etag, sizeof(etag), "\"%" PRIu64 "\"", serial);
	rc = http_resp_copy(resp, 304, "text/plain", "", 0);
	return rc ? rc : http_resp_header(resp, "ETag", etag);
}

static int sliverapi_send(struct srv *srv, struct http_resp *resp, struct sliverset *ss,
			  char *buf, size_t cap)
{
	char etag[32];
	size_t len = 0;
	int rc;

	ss->issued = http_now(srv);
	if (!srv->online)
		return -EPX_E_SRV_SIGN;
	if (sliverset_format(ss, buf, cap, &len) ||
	    sign_doc_append(srv->online, buf, len, buf, cap, &len))
		return -EPX_E_SRV_SIGN;
	snprintf(etag, sizeof(etag), "\"%" PRIu64 "\"", ss->serial);
	rc = http_resp_copy(resp, 200, "text/plain", buf, len);
	if (rc == 0)
		rc = http_resp_header(resp, "ETag", etag);
	if (rc == 0)
		rc = http_resp_header(resp, "Cache-Control", "no-store");
	return rc;
}

/* 1 when the client of fd hung up (a node manager killed or restarted
 * while its poll was held): it is answered now rather than held again. */
static int sliverapi_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

int sliverapi_get(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	static const size_t cap = SLIVERSET_MAX_BYTES;
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1];
	const struct http_arg *w = http_arg_get(req->args, req->nargs, "wait");
	struct sliverset *ss = NULL;
	uint64_t wait = 0, known;
	char *buf = NULL;
	size_t len = 0;
	int rc = nodeapi_identify(srv, req, host, serial);

	if (rc == 0 && (req->nargs > 1 || (req->nargs == 1 && !w) ||
			(w && num_str_u64(w->val, SLIVERAPI_WAIT_MAX, &wait) < 0)))
		rc = -EPX_E_SRV_FIELD;
	if (rc < 0)
		return sliverapi_refuse(req, resp, rc);
	ss = malloc(sizeof(*ss));
	buf = malloc(cap);
	rc = -ENOMEM;
	if (!ss || !buf)
		goto out;
	rc = sliverapi_build(srv, host, ss, buf, cap, &len);
	known = sliverapi_inm(req);
	if (rc == 0 && known && known == ss->serial && wait && srv->hold_ok &&
	    !sliverapi_gone(req->conn_fd)) {
		int64_t until = req->held_until ? req->held_until : http_now(srv) + (int64_t)wait;

		if (http_now(srv) < until) {
			resp->hold_until = until;       /* epoxyd parks it (hold.h) */
			goto out;
		}
	}
	if (rc == 0)
		rc = known && known == ss->serial ? sliverapi_not_modified(resp, known) :
			sliverapi_send(srv, resp, ss, buf, cap);
	if (rc < 0)
		rc = sliverapi_refuse(req, resp, rc);
out:
	free(ss);
	free(buf);
	return rc;
}

/* ------------------------------------------------------ GET /v1/image/HEX */

struct sliverapi_hit {
	const char *hex;
	int found;
};

static int sliverapi_has(const struct store_sliver *v, void *arg)
{
	struct sliverapi_hit *h = arg;

	if (!strncmp(v->vref, "sha256:", 7) && !strcmp(v->vref + 7, h->hex))
		h->found = 1;
	return 0;
}

/* objects/HEX under data_dir, a regular file of exactly len bytes */
static int sliverapi_object(struct srv *srv, const char *hex, uint64_t len)
{
	char name[8 + STORE_HASH_HEX + 1];
	struct stat st;
	int dfd, own, fd;

	snprintf(name, sizeof(name), "objects/%s", hex);
	dfd = http_dir(srv, HTTP_DIR_DATA, &own);
	if (dfd < 0)
		return -EPX_E_SRV_OBJECT;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (own)
		close(dfd);
	if (fd < 0)
		return -EPX_E_SRV_OBJECT;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != len) {
		close(fd);
		return -EPX_E_SRV_OBJECT;
	}
	return fd;
}

int sliverapi_ticket_check(const struct sig_pub *online, const char *hdr, size_t len,
			   const char *host, const char *hex, int64_t now)
{
	struct sliverset *tk = NULL;
	uint8_t want[32], *doc = NULL;
	int rc = -EPX_E_SRV_TK_FORM;

	if (len == 0 || len > NODEPROTO_TICKET_HEX_MAX || len % 2 ||
	    hex_decode(hex, STORE_HASH_HEX, want, sizeof(want)) < 0)
		goto out;
	rc = -ENOMEM;
	doc = malloc(len / 2);
	tk = malloc(sizeof(*tk));
	if (!doc || !tk)
		goto out;
	rc = -EPX_E_SRV_TK_FORM;
	if (hex_decode(hdr, len, doc, len / 2) < 0)
		goto out;
	/* signature first, then the node, then the expiry (lib/ticket.h) */
	rc = ticket_verify(tk, (const char *)doc, len / 2, online, host, now);
	if (rc == -EPX_E_SLV_NODE)
		rc = -EPX_E_SRV_TK_NODE;
	else if (rc == -EPX_E_SLV_EXPIRED)
		rc = -EPX_E_SRV_TK_EXPIRED;
	else if (rc < 0)
		rc = -EPX_E_SRV_TK_SIG;
	else if (memcmp(tk->sl[0].image, want, sizeof(want)))
		rc = -EPX_E_SRV_TK_IMAGE;
out:
	free(doc);
	free(tk);
	return rc;
}

/* The node's proof for an image its set does not name: its ticket.  0,
 * or the ticket's code logged and -EPX_E_SRV_NOTFOUND (the same 404). */
static int sliverapi_ticket(struct srv *srv, const struct http_req *req, const char *host,
			    const char *hex)
{
	struct sig_pub pub;
	char code[16];
	int rc;

	if (!req->ticket || !req->ticket_len)
		return -EPX_E_SRV_NOTFOUND;
	if (!srv->online || sign_pub(srv->online, &pub) < 0)
		return -EPX_E_SRV_NOTFOUND;
	rc = sliverapi_ticket_check(&pub, req->ticket, req->ticket_len, host, hex,
				    http_now(srv));
	if (rc < 0) {
		http_log(req, "image %.12s for %s: ticket refused: %s %s", hex, host,
			 epx_code(rc, code, sizeof(code)), epx_strerror(rc));
		return rc == -ENOMEM ? rc : -EPX_E_SRV_NOTFOUND;
	}
	return 0;
}

int sliverapi_image(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	const char *hex = req->path + strlen(NODEPROTO_IMAGE_PATH);
	char host[LABEL_HOST_MAX + 1], serial[NODEID_SERIAL_HEX + 1];
	struct sliverapi_hit hit = { hex, 0 };
	struct store_image im;
	int rc = nodeapi_identify(srv, req, host, serial), fd, on_ticket = 0;

	if (rc == 0 && (req->nargs || hex_check_str(hex, STORE_HASH_HEX) < 0))
		rc = -EPX_E_SRV_NOTFOUND;
	if (rc == 0)
		rc = store_sliver_list(srv->store, host, sliverapi_has, &hit);
	/* only an image a live sliver of this node's set names, or the one
	 * of the ticket the node sends */
	if (rc == 0 && !hit.found) {
		rc = sliverapi_ticket(srv, req, host, hex);
		on_ticket = rc == 0;
	}
	if (rc == 0 && store_image_get(srv->store, hex, &im) < 0)
		rc = -EPX_E_SRV_NOTFOUND;
	if (rc == 0 && im.length > NODEPROTO_IMAGE_MAX)
		rc = -EPX_E_SRV_TOOBIG;
	if (rc < 0)
		return sliverapi_refuse(req, resp, rc);
	fd = sliverapi_object(srv, hex, im.length);
	if (fd < 0) {
		log_msg(LOG_ERR, "data_dir %s/objects/%s: missing or not of its %llu bytes",
			srv->cfg->data_dir, hex, (unsigned long long)im.length);
		return sliverapi_refuse(req, resp, fd);
	}
	if (on_ticket)
		http_log(req, "image %.12s served to %s on its ticket", hex, host);
	return http_resp_fd(resp, 200, "application/octet-stream", fd, 0, im.length);
}
