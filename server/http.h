/* http: epoxyd's request/response abstraction and router.
 *
 * libmicrohttpd parses the wire; epoxyd.c copies what a handler may look at
 * into a struct http_req (every field capped, see HTTP_*_MAX) and hands it to
 * http_dispatch(), which routes it and fills a struct http_resp.  Handlers
 * never see a socket, so the unit tests and the fuzz_request target drive the
 * very same router in-process.
 *
 * Guarantees to handlers:
 *  - every string field is NUL-terminated and within its cap; a request with
 *    a field over its cap never reaches a handler (431/414/413 instead);
 *  - req->tls says which listener the request came in on; the router refuses
 *    every token, secret and admin endpoint when it is 0;
 *  - X-Forwarded-For is copied for logging only: it is never an address;
 *  - the Authorization header (tokens, admin credentials) is never logged by
 *    http.c; handlers must not log it either.
 * Guarantees to the caller: every path through http_dispatch() leaves resp
 * with a status; error answers are text/plain "EPOXY-Exxxx reason\n". */
#ifndef EPOXY_HTTP_H
#define EPOXY_HTTP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/nodeproto.h"

#define HTTP_PATH_MAX 255        /* decoded path, without the query */
#define HTTP_HDR_MAX 511         /* each selected header value */
#define HTTP_ARGS_MAX 16         /* query or form fields per request */
#define HTTP_ARG_KEY_MAX 31
#define HTTP_ARG_VAL_MAX 4607    /* a report's tail is <= 4 KiB, escaped */
#define HTTP_BODY_MAX 65536      /* in-memory body of any request */
#define HTTP_RESP_HDRS_MAX 8
#define HTTP_RESP_HDR_NAME_MAX 31
#define HTTP_RESP_HDR_VAL_MAX 255   /* a Set-Cookie with its attributes */
#define HTTP_CTYPE_MAX 63
#define HTTP_ADDR_MAX 63         /* textual peer address */

struct srv;      /* below */
struct store;    /* store/store.h */
struct config;   /* server/config.h */
struct storm;    /* server/storm.h */
struct metrics;  /* server/metrics.h */
struct sign_key; /* lib/sign.h */
struct keyset;   /* lib/keyset.h */
struct joincred; /* server/joincred.h */
struct nodeid;   /* server/nodeid.h */

enum http_method {
	HTTP_OTHER = 0,
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_PATCH,
};

struct http_arg {
	char key[HTTP_ARG_KEY_MAX + 1];
	char val[HTTP_ARG_VAL_MAX + 1];
	size_t val_len;          /* strlen(val): a form value never holds a NUL */
};

#define HTTP_ACTOR_MAX 64

struct http_req {
	enum http_method method;
	char path[HTTP_PATH_MAX + 1];           /* percent-decoded by MHD */
	/* query arguments, decoded: nargs of them on the heap, exactly as
	 * many as the query has (http_req_arg_add, http_req_query; freed by
	 * http_req_free), NULL when none.  A held long poll keeps its
	 * request: a fixed array of HTTP_ARGS_MAX was 74 KiB of it */
	struct http_arg *args;
	size_t nargs;
	/* selected request headers, "" when absent */
	char user_agent[HTTP_HDR_MAX + 1];
	char authorization[HTTP_HDR_MAX + 1];   /* secret: never log */
	char cookie[HTTP_HDR_MAX + 1];          /* secret (the page's session): never log */
	char content_type[HTTP_HDR_MAX + 1];
	char range[HTTP_HDR_MAX + 1];
	char x_forwarded_for[HTTP_HDR_MAX + 1]; /* untrusted, logging only */
	char if_none_match[HTTP_HDR_MAX + 1];   /* /v1/node/slivers */
	/* X-Epoxy-Ticket (GET /v1/image/HEX, server/sliverapi.h): not a
	 * copy but libmicrohttpd's own value, valid while the request lives
	 * (its connection's pool; NULL/0 when absent), so a held long poll
	 * carries no ticket buffer.  Not NUL-terminated for the handler: read
	 * ticket_len bytes; the handler checks the length against
	 * NODEPROTO_TICKET_HEX_MAX (a longer one is any image refused) */
	const char *ticket;
	size_t ticket_len;
	/* body: in memory up to HTTP_BODY_MAX; admin uploads larger than that
	 * are spooled by epoxyd.c to an unlinked file in data_dir (body_fd >= 0,
	 * body == NULL, body_len its size); the handler does not close it. */
	const uint8_t *body;
	size_t body_len;
	int body_fd;
	/* the peer as accepted by the listener (never from a header) */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	char peer_str[HTTP_ADDR_MAX + 1];
	int tls;                 /* 1: HTTPS listener, 0: plain HTTP */
	/* the connection's socket, only to see that the client hung up (a
	 * held long poll: server/sliverapi.c); -1 when unknown.  Never read
	 * or written: libmicrohttpd owns it */
	int conn_fd;
	/* a held request dispatched again (server/hold.h): the deadline the
	 * handler asked for the first time (resp->hold_until); 0 before */
	int64_t held_until;
	/* the client certificate of the TLS session (DER, first of the
	 * chain; NULL/0 when none): asked for, never required, by the
	 * listener; only server/nodeapi.c looks at it (nodeid_peer) */
	const uint8_t *peer_cert;
	size_t peer_cert_len;
	/* admin requests: authenticated by epoxyd from the headers, before the
	 * body (admin_preauth); admin_actor is "admin:<name>" */
	int admin_authed;
	char admin_actor[HTTP_ACTOR_MAX + 1];
	/* 1: http_preauth() ran (and counted) the rate limit already */
	int rated;
	uint64_t id;             /* request number, for log lines */
};

struct http_resp_hdr {
	char name[HTTP_RESP_HDR_NAME_MAX + 1];
	char val[HTTP_RESP_HDR_VAL_MAX + 1];
};

enum http_body_kind {
	HTTP_BODY_NONE = 0,
	HTTP_BODY_MEM,           /* body/len; freed by http_resp_free if owned */
	HTTP_BODY_FD,            /* fd/off/len; closed by http_resp_free */
};

struct http_resp {
	int status;
	char content_type[HTTP_CTYPE_MAX + 1];
	struct http_resp_hdr hdrs[HTTP_RESP_HDRS_MAX];
	size_t nhdrs;
	enum http_body_kind kind;
	uint8_t *body;
	size_t len;
	int owned;               /* body is malloc'd and ours to free */
	int secret;              /* body holds a token/credential: wipe on free */
	int fd;
	uint64_t off;
	uint64_t fd_len;
	int code;                /* epoxy code of an error answer, for metrics */
	/* a boot-storm slot (storm_enter) held until the answer is sent:
	 * http_resp_free() gives it back, so a streamed download keeps its
	 * slot until MHD reports the stream complete */
	struct storm *slot_storm;
	int slot_kind;
	/* > 0: no answer yet; hold the request until this time (http_now
	 * scale) at the latest and dispatch it again (server/hold.h) */
	int64_t hold_until;
};

/* The server: what every handler may use.  Owned by epoxyd.c (or by a
 * test/fuzz harness); handlers never free any of it. */
struct srv {
	const struct config *cfg;
	int hold_ok;                    /* a handler may ask to hold (resp->hold_until) */
	struct store *store;
	struct sign_key *online;        /* signs session statements */
	const struct keyset *keyset;    /* may be NULL */
	struct storm *storm;
	struct metrics *metrics;
	struct joincred *joincred;
	struct nodeid *nodeid;          /* the node CA; NULL: node identity off */
	struct archive_s3 *s3;          /* archive_backend s3; NULL: local */
	int64_t clock_offset;           /* config clock_offset (testing) */
	/* data_dir and boot_dir as descriptors epoxyd opened before the
	 * privilege drop (dirs = 1); harnesses that leave dirs 0 get the
	 * configured paths opened per call */
	int dirs;
	int data_fd, boot_fd;
};

enum http_dir { HTTP_DIR_DATA, HTTP_DIR_BOOT };

/* The data or boot directory as a descriptor: epoxyd's own (*own = 0) or,
 * without one, the configured path opened now (*own = 1: the caller
 * closes it).  Returns the descriptor or -errno. */
int http_dir(const struct srv *srv, enum http_dir which, int *own);

/* The server's clock: time(NULL) + clock_offset.  Every expiry is computed
 * and checked against this, so a test can move the clock. */
int64_t http_now(const struct srv *srv);

/* The body cap of path's endpoint: its own (a node endpoint's protocol
 * cap), else HTTP_BODY_MAX.  epoxyd refuses a longer body from its
 * Content-Length, or stops reading a chunked one at the cap. */
size_t http_body_max(const char *path);
/* Before any body byte is read: the rate limit and what the endpoint can
 * check from the headers alone (a node endpoint's bearer token or client
 * certificate, looked up without being spent).  Returns 0 (sets
 * req->rated when it counted the rate); else resp holds the refusal. */
int http_preauth(struct srv *srv, struct http_req *req, struct http_resp *resp);

/* Routes req and fills resp (which must be http_resp_init'ed).  Returns 0;
 * every refusal is an answer in resp, not an error. */
int http_dispatch(struct srv *srv, const struct http_req *req,
		  struct http_resp *resp);

void http_req_init(struct http_req *req);
/* Appends the argument key=val[0..vlen) to req->args (val NULL: "").
 * Returns 0; -EPX_E_SRV_HDRTOOBIG (HTTP_ARGS_MAX already, an empty key or
 * one over HTTP_ARG_KEY_MAX, a value over HTTP_ARG_VAL_MAX);
 * -EPX_E_SRV_BADREQ (a key twice); -ENOMEM.  req is unchanged on error. */
int http_req_arg_add(struct http_req *req, const char *key, const char *val, size_t vlen);
/* Parses a query string (len bytes, not NUL-terminated, without the '?')
 * with http_form_parse into req->args, which must have none yet.  Returns
 * the number of arguments or http_form_parse's error (-ENOMEM too). */
int http_req_query(struct http_req *req, const char *q, size_t len);
/* Frees req->args (nargs 0 after). */
void http_req_free(struct http_req *req);
void http_resp_init(struct http_resp *resp);
/* Frees/closes the body (wiping it if resp->secret), resets resp. */
void http_resp_free(struct http_resp *resp);

/* Error answer: text/plain "EPOXY-E<code> <reason>\n" where code is
 * epx_code(rc) and reason defaults to epx_strerror(rc) when NULL, with the
 * code's status from lib/errors.def (epx_http_status(): an errno is 500).
 * Handlers use this one: none keeps its own code-to-status map. */
int http_resp_fail(struct http_resp *resp, int rc, const char *reason);
/* The same with another status than the registry's, for the few answers
 * where one code means two things on the wire (each caller says why). */
int http_resp_error(struct http_resp *resp, int status, int rc,
		    const char *reason);
/* Copies len bytes as the body. */
int http_resp_copy(struct http_resp *resp, int status, const char *ctype,
		   const void *buf, size_t len);
/* Takes ownership of the malloc'd buf. */
int http_resp_take(struct http_resp *resp, int status, const char *ctype,
		   void *buf, size_t len);
/* Serves len bytes of fd from off; takes ownership of fd. */
int http_resp_fd(struct http_resp *resp, int status, const char *ctype,
		 int fd, uint64_t off, uint64_t len);
/* Adds a response header (name and value validated: no CR/LF/NUL).
 * Returns 0, -ENOSPC or -EINVAL. */
int http_resp_header(struct http_resp *resp, const char *name,
		     const char *val);

/* Looks up a query argument (or, for form bodies, a parsed field). */
const struct http_arg *http_arg_get(const struct http_arg *args, size_t n,
				    const char *key);
/* Parses an application/x-www-form-urlencoded string (len bytes, not
 * NUL-terminated) into args with form_parse (lib/form.h: literal LABEL_KEY
 * keys, no duplicate, values without NUL or control bytes, at most max
 * fields and HTTP_ARG_VAL_MAX bytes a value).  Returns the number of
 * fields, -EPX_E_FORM, -EPX_E_FORM_TOOBIG or -ENOMEM. */
int http_form_parse(const char *s, size_t len, struct http_arg *args,
		    size_t max);
/* The bearer token of req as 64 lowercase hex digits (+ NUL) in tok.
 * Returns 0, -EPX_E_SRV_NOTOKEN (no "Bearer ") or -EPX_E_TOK_FORMAT.
 * The caller explicit_bzero()s tok after use. */
int http_bearer(const struct http_req *req, char tok[65]);

/* Log line on stderr prefixed with the request id and peer.  Callers must
 * never pass a token, credential or key. */
void http_log(const struct http_req *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
