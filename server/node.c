/* node: the firmware-leg and agent endpoints (see node.h).
 *
 * Order inside every agent handler: validate all input (caps, syntax) ->
 * take a boot-storm slot if the endpoint needs one (503 never spends a
 * token) -> redeem the token (the first store write) -> read what the
 * session names -> answer.  Tokens are copied out of the request only into
 * stack buffers that are wiped before return; answers that carry a token
 * are marked secret so http_resp_free() wipes them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/inventory.h"
#include "lib/label.h"
#include "lib/nodeproto.h"
#include "lib/num.h"
#include "lib/sign.h"
#include "lib/statement.h"
#include "server/config.h"
#include "server/ipxe.h"
#include "server/joincred.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/node.h"
#include "server/storm.h"
#include "store/store.h"

#define NODE_SESSION_BODY_MAX NODEPROTO_SESSION_BODY_MAX
#define NODE_REPORT_BODY_MAX NODEPROTO_REPORT_BODY_MAX
#define NODE_JOINCRED_BODY_MAX NODEPROTO_JOINCRED_BODY_MAX
#define NODE_BOOTFILE_MAX ((uint64_t)1 << 30)
#define NODE_SESSION_RESP_MAX 4096
#define NODE_FORM "application/x-www-form-urlencoded"

static const char *const node_session_purposes[] = {
	"manifest", "kernel", "initramfs", "cmdline", "join", "joincred", "report",
};
#define NODE_NPURPOSES (sizeof(node_session_purposes) / sizeof(node_session_purposes[0]))

/* ------------------------------------------------------------ helpers */

/* Logs and answers rc with status (http_resp_error's rule: only where a
 * code means another status than the registry's). */
static int node_refuse_as(const struct http_req *req, struct http_resp *resp,
			  int status, int rc, const char *what)
{
	char code[16];

	http_log(req, "refused %s: %s %s", what, epx_code(rc, code, sizeof(code)),
		 epx_strerror(rc));
	return http_resp_error(resp, status, rc, NULL);
}

/* Logs and answers rc with its status from lib/errors.def. */
static int node_refuse(const struct http_req *req, struct http_resp *resp,
		       int rc, const char *what)
{
	return node_refuse_as(req, resp, epx_http_status(rc), rc, what);
}

static int node_busy(struct srv *srv, const struct http_req *req,
		     struct http_resp *resp, const char *key, int rc)
{
	char ra[16];

	metrics_add(srv->metrics, M_BUSY, 1);
	http_resp_fail(resp, rc, NULL);    /* a busy code: 503 */
	snprintf(ra, sizeof(ra), "%u", storm_retry_after(srv->storm, key, http_now(srv)));
	http_resp_header(resp, "Retry-After", ra);
	return 0;
}

/* Answers a store refusal with its registry status; counts refused
 * tokens and credentials (403) and the store's own failures (5xx). */
static int node_store_err(struct srv *srv, const struct http_req *req,
			  struct http_resp *resp, int rc, const char *what)
{
	int status = epx_http_status(rc);

	if (status == 503)
		return node_busy(srv, req, resp, req->peer_str, rc);
	if (status == 403)
		metrics_add(srv->metrics, M_TOKENS_REFUSED, 1);
	else if (status >= 500)
		metrics_add(srv->metrics, M_STORE_ERRORS, 1);
	return node_refuse(req, resp, rc, what);
}

static int node_form_ctype(const char *ct)
{
	size_t n = strlen(NODE_FORM);

	return !strncasecmp(ct, NODE_FORM, n) && (ct[n] == '\0' || ct[n] == ';');
}

/* Parses a form body into a heap array (caller frees and wipes). */
static int node_form(const struct http_req *req, size_t cap,
		     struct http_arg **args, int *n)
{
	*args = NULL;
	if (!node_form_ctype(req->content_type))
		return -EPX_E_SRV_CTYPE;
	if (req->body_fd >= 0 || req->body_len > cap)
		return -EPX_E_SRV_TOOBIG;
	*args = calloc(HTTP_ARGS_MAX, sizeof(**args));
	if (!*args)
		return -ENOMEM;
	*n = http_form_parse((const char *)req->body, req->body_len, *args,
			     HTTP_ARGS_MAX);
	return *n < 0 ? -EPX_E_SRV_FIELD : 0;
}

static void node_form_free(struct http_arg *args)
{
	if (args) {
		explicit_bzero(args, HTTP_ARGS_MAX * sizeof(*args));
		free(args);
	}
}

/* Only the listed keys may appear. */
static int node_form_known(const struct http_arg *args, int n,
			   const char *const *keys, size_t nkeys)
{
	int i;
	size_t k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < nkeys; k++)
			if (!strcmp(args[i].key, keys[k]))
				break;
		if (k == nkeys)
			return 0;
	}
	return 1;
}

static const char *node_val(const struct http_arg *args, int n, const char *key)
{
	const struct http_arg *a = http_arg_get(args, (size_t)n, key);

	if (!a || a->val_len != strlen(a->val))
		return NULL;
	return a->val;
}

static int node_decimal(const char *s, unsigned long max, unsigned long *out)
{
	uint64_t v;
	int rc = num_str_u64(s, max, &v);

	if (rc == 0)
		*out = (unsigned long)v;
	return rc;
}

/* Opens a regular file under the data or boot directory (through the
 * descriptor epoxyd opened before its privilege drop; no symlink at the
 * last component).  Returns the fd, -errno from the open, or -EINVAL (not
 * a regular file, or over NODE_BOOTFILE_MAX). */
static int node_open(const struct srv *srv, enum http_dir which, const char *name,
		     uint64_t *size)
{
	struct stat st;
	int dfd, own, fd;

	dfd = http_dir(srv, which, &own);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		fd = -errno;
	if (own)
		close(dfd);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > NODE_BOOTFILE_MAX) {
		close(fd);
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* ------------------------------------------------------------ parsing */

int node_range(const char *hdr, uint64_t size, uint64_t *off, uint64_t *len)
{
	uint64_t a = 0, b = 0;
	const char *p, *dash;
	int have_b;

	if (!hdr || !*hdr) {
		*off = 0;
		*len = size;
		return 1;
	}
	if (strncmp(hdr, "bytes=", 6))
		return -EPX_E_SRV_RANGE;
	p = hdr + 6;
	dash = strchr(p, '-');
	have_b = dash && dash[1] != '\0';
	if (!dash || num_parse_u64(p, (size_t)(dash - p), UINT64_MAX, &a) < 0 ||
	    (have_b && num_str_u64(dash + 1, UINT64_MAX, &b) < 0))
		return -EPX_E_SRV_RANGE;
	if (a >= size || (have_b && b < a))
		return -EPX_E_SRV_RANGE;
	if (!have_b || b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return 0;
}

static int node_parse_addr(const char *s, size_t n, uint8_t out[16], int *v6)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, out) == 1) {
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out) == 1) {
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (!memcmp(out, mapped, 12)) {
			memmove(out, out + 12, 4);
			*v6 = 0;
		} else {
			*v6 = 1;
		}
		return 0;
	}
	return -EINVAL;
}

int node_addr_match(const char *peer, const char *reg)
{
	uint8_t a[16], b[16];
	const char *slash = strchr(reg, '/');
	size_t rlen = slash ? (size_t)(slash - reg) : strlen(reg);
	unsigned long bits;
	int av6, bv6, i;

	if (node_parse_addr(peer, strlen(peer), a, &av6) < 0 ||
	    node_parse_addr(reg, rlen, b, &bv6) < 0 || av6 != bv6)
		return 0;
	bits = av6 ? 128 : 32;
	if (slash && node_decimal(slash + 1, bits, &bits) < 0)
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != b[i])
			return 0;
	if (bits && ((a[i] ^ b[i]) & (0xff00 >> bits) & 0xff))
		return 0;
	return 1;
}

/* ------------------------------------------------------ firmware leg */

static int node_send_file(struct srv *srv, const struct http_req *req,
			  struct http_resp *resp, const char *name, const char *ctype)
{
	uint64_t size = 0;
	int fd = node_open(srv, HTTP_DIR_BOOT, name, &size);

	if (fd < 0) {
		http_log(req, "boot file %s in boot_dir %s: %s", name, srv->cfg->boot_dir,
			 fd == -EINVAL ? "not a regular file or over its cap" : strerror(-fd));
		/* absent is the operator's 404; unreadable is the server's fault */
		if (fd != -ENOENT && fd != -EINVAL)
			return http_resp_fail(resp, fd, NULL);
		return http_resp_fail(resp, -EPX_E_SRV_BOOTFILE, NULL);
	}
	metrics_add(srv->metrics, M_BOOTFILE_BYTES, size);
	return http_resp_fd(resp, 200, ctype, fd, 0, size);
}

static const char *node_boot_url(const struct srv *srv, char *buf, size_t cap)
{
	if (srv->cfg->boot_url[0])
		return srv->cfg->boot_url;
	snprintf(buf, cap, "http://%s:%u", srv->cfg->listen_addr[0] ?
		 srv->cfg->listen_addr : "127.0.0.1", srv->cfg->http_port);
	return buf;
}

int node_stage0(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char url[CONFIG_STR_MAX + 32], *buf;
	int n;

	/* The firmware gets stage0 only over HTTPS with its pinned CA: when
	 * that fails (wrong CA), OVMF falls back to plain HTTP with the DHCP
	 * boot file meant for iPXE, and answering it would skip the pinned-CA
	 * link of the chain. */
	if (!strncmp(req->user_agent, "UefiHttpBoot", 12))
		return req->tls ? node_send_file(srv, req, resp, "stage0.efi", "application/efi") :
			node_refuse(req, resp, -EPX_E_SRV_PLAIN,
				    "stage0 for the firmware only over HTTPS (pinned CA)");
	if (strncmp(req->user_agent, "iPXE", 4))
		return node_refuse(req, resp, -EPX_E_SRV_BADREQ,
				   "stage0 for a client that is neither UefiHttpBoot nor iPXE");
	buf = malloc(IPXE_SCRIPT_MAX);
	if (!buf)
		return -ENOMEM;
	n = ipxe_render_stage0(node_boot_url(srv, url, sizeof(url)), buf, IPXE_SCRIPT_MAX);
	if (n < 0) {
		free(buf);
		return n;
	}
	return http_resp_take(resp, 200, "text/plain", buf, (size_t)n);
}

/* Reads boot_dir/stage1/cmdline for the BIOS path (trailing newline cut). */
static int node_cmdline(const struct srv *srv, char *out, size_t cap)
{
	uint64_t size = 0;
	ssize_t n;
	int fd = node_open(srv, HTTP_DIR_BOOT, "stage1/cmdline", &size);

	if (fd < 0)
		return fd;
	if (size >= cap) {
		close(fd);
		return -EPX_E_IPXE_FIELD;   /* longer than a kernel command line */
	}
	n = read(fd, out, cap - 1);
	if (n < 0)
		n = -errno;   /* a read error is the server's, not a bad value */
	close(fd);
	if (n < 0)
		return (int)n;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		n--;
	out[n] = '\0';
	return ipxe_cmdline_ok(out, (size_t)n) ? 0 : -EPX_E_IPXE_FIELD;
}

static const char *node_qarg(const struct http_req *req, const char *key)
{
	const struct http_arg *a = http_arg_get(req->args, req->nargs, key);

	return a ? a->val : NULL;
}

int node_stage1_ipxe(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	char url[CONFIG_STR_MAX + 32], mac[STORE_MAC_LEN + 1];
	char cmdline[IPXE_CMDLINE_MAX + 2] = "";
	struct ipxe_stage1 p = { 0 };
	struct store_host *h = NULL;
	const char *m = node_qarg(req, "mac");
	char *buf = NULL;
	int rc, n;

	if (!m || store_mac_canon(m, mac) < 0)
		return node_refuse(req, resp, -EPX_E_SRV_FIELD, "stage1.ipxe without a valid mac");
	h = malloc(sizeof(*h));
	buf = malloc(IPXE_SCRIPT_MAX);
	rc = -ENOMEM;
	if (!h || !buf)
		goto out;
	rc = store_host_by_mac(srv->store, mac, h);
	if (rc == -EPX_E_DB_NOTFOUND) {
		/* an unknown MAC is "no script here" (404), not a refused
		 * credential (the registry's 403 for E2220) */
		rc = node_refuse_as(req, resp, 404, -EPX_E_SRV_HOST,
				    "stage1.ipxe for an unregistered mac");
		goto out;
	} else if (rc < 0) {
		rc = node_store_err(srv, req, resp, rc, "stage1.ipxe host lookup");
		goto out;
	}
	p.boot_url = node_boot_url(srv, url, sizeof(url));
	p.host = h->name;
	p.mac = mac;
	p.uuid = node_qarg(req, "uuid");
	p.serial = node_qarg(req, "serial");
	p.platform = node_qarg(req, "platform");
	p.buildarch = node_qarg(req, "buildarch");
	p.retry_s = srv->storm ? storm_retry_after(srv->storm, h->name, http_now(srv)) : 10;
	p.tries = 3;
	if (p.platform && !strcmp(p.platform, "pcbios")) {
		rc = node_cmdline(srv, cmdline, sizeof(cmdline));
		if (rc < 0) {
			http_log(req, "boot_dir/stage1/cmdline for iPXE: %s", epx_strerror(rc));
			rc = rc == -ENOENT || rc == -EINVAL || rc == -EPX_E_IPXE_FIELD ?
				http_resp_fail(resp, -EPX_E_SRV_BOOTFILE, NULL) :
				http_resp_fail(resp, rc, NULL);
			goto out;
		}
		/* the host's name (not a secret) lets the agent check that a
		 * token medium is for this host; ipxe_render_stage1 checks the
		 * whole line again */
		n = strlen(cmdline);
		snprintf(cmdline + n, sizeof(cmdline) - (size_t)n, " epoxy.host=%s", h->name);
		p.cmdline = cmdline;
	}
	n = ipxe_render_stage1(&p, buf, IPXE_SCRIPT_MAX);
	if (n < 0) {
		rc = n;
		goto out;
	}
	rc = http_resp_take(resp, 200, "text/plain", buf, (size_t)n);
	buf = NULL;
out:
	free(buf);
	free(h);
	return rc;
}

int node_bootfile(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	static const struct { const char *path, *file, *ctype; } files[] = {
		{ "/boot/stage1.efi", "stage1.efi", "application/efi" },
		{ "/boot/stage1/vmlinuz", "stage1/vmlinuz", "application/octet-stream" },
		{ "/boot/stage1/initramfs", "stage1/initramfs", "application/octet-stream" },
		{ "/boot/stage1/cmdline", "stage1/cmdline", "text/plain" },
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strcmp(req->path, files[i].path))
			return node_send_file(srv, req, resp, files[i].file, files[i].ctype);
	return http_resp_fail(resp, -EPX_E_SRV_NOTFOUND, NULL);
}

/* ------------------------------------------------------------ session */

struct node_sess_in {
	const char *host, *mac, *nonce, *cred, *token;
	unsigned long agent, stage;
	struct inventory *inv;          /* the report's, parsed; NULL none */
};

/* The optional inventory field, parsed into inv (caller's heap), which
 * in->inv then names: a bad report refuses the whole session with its
 * code (lib/inventory.h), before any store access. */
static int node_inventory_input(const struct http_arg *a, int n, struct node_sess_in *in,
				struct inventory *inv)
{
	const struct http_arg *f = http_arg_get(a, (size_t)n, NODEPROTO_F_INVENTORY);
	int rc;

	if (!f)
		return 0;
	rc = inventory_parse(f->val, f->val_len, inv);
	if (rc == 0)
		in->inv = inv;
	return rc;
}

/* Stores the session's inventory (canonical text); a change since the
 * host's previous report is audited by the store once and logged here
 * once.  Never fatal: the boot goes on. */
static void node_inventory_store(struct srv *srv, const struct http_req *req,
				 const char *host, const char *sid, const struct inventory *inv)
{
	struct store_inventory *old = malloc(sizeof(*old));
	struct inventory *prev = malloc(sizeof(*prev));
	char text[NODEPROTO_INV_MAX + 1], diff[STORE_INV_DETAIL_MAX + 1] = "";
	size_t len;
	int rc = -ENOMEM, changed = 0;

	if (!old || !prev)
		goto out;
	rc = inventory_format(inv, text, sizeof(text), &len);
	if (rc == 0 && store_inventory_get(srv->store, host, old) == 0 &&
	    inventory_parse(old->body, strlen(old->body), prev) == 0)
		inventory_diff(prev, inv, diff, sizeof(diff));
	if (rc == 0)
		rc = store_inventory_put(srv->store, host, sid, text, diff, &changed);
	if (rc == 0 && changed)
		http_log(req, "host %s inventory changed since its previous boot: %s (%s)",
			 host, diff[0] ? diff : "order or format", epx_code_str(EPX_E_INV_CHANGED));
out:
	if (rc < 0)
		http_log(req, "host %s inventory not stored: %s", host, epx_strerror(rc));
	free(old);
	free(prev);
}

static int node_session_input(const struct http_arg *a, int n, struct node_sess_in *in)
{
	static const char *const keys[] = { NODEPROTO_F_HOST, NODEPROTO_F_MAC,
					    NODEPROTO_F_NONCE, NODEPROTO_F_AGENT,
					    NODEPROTO_F_STAGE, NODEPROTO_F_CREDENTIAL,
					    NODEPROTO_F_TOKEN, NODEPROTO_F_INVENTORY };
	struct inventory *inv = in->inv;

	memset(in, 0, sizeof(*in));
	if (!node_form_known(a, n, keys, sizeof(keys) / sizeof(keys[0])))
		return -EPX_E_SRV_FIELD;
	in->host = node_val(a, n, NODEPROTO_F_HOST);
	in->mac = node_val(a, n, NODEPROTO_F_MAC);
	in->nonce = node_val(a, n, NODEPROTO_F_NONCE);
	in->cred = node_val(a, n, NODEPROTO_F_CREDENTIAL);
	in->token = node_val(a, n, NODEPROTO_F_TOKEN);
	if (!in->host || !store_valid_hostname(in->host) || !in->mac ||
	    hex_check_str(in->nonce, NODEPROTO_NONCE_HEX) < 0)
		return -EPX_E_SRV_FIELD;
	if (node_decimal(node_val(a, n, NODEPROTO_F_AGENT), NODEPROTO_AGENT_MAX, &in->agent) < 0 ||
	    node_decimal(node_val(a, n, NODEPROTO_F_STAGE), 9, &in->stage) < 0 || in->stage != 1)
		return -EPX_E_SRV_FIELD;
	if (!!in->cred == !!in->token)
		return -EPX_E_SRV_FIELD;
	if (in->cred && hex_check_str(in->cred, NODEPROTO_TOKEN_HEX) < 0)
		return -EPX_E_CRED_FORMAT;
	if (in->token && hex_check_str(in->token, NODEPROTO_TOKEN_HEX) < 0)
		return -EPX_E_TOK_FORMAT;
	return node_inventory_input(a, n, in, inv);
}

/* The host must be registered with this MAC and, if it has addresses,
 * connect from one of them. */
static int node_session_host(struct srv *srv, const struct http_req *req,
			     const struct node_sess_in *in, struct store_host *h)
{
	char mac[STORE_MAC_LEN + 1];
	size_t i;
	int rc;

	if (store_mac_canon(in->mac, mac) < 0)
		return -EPX_E_SRV_FIELD;
	rc = store_host_get(srv->store, in->host, h);
	if (rc == -EPX_E_DB_NOTFOUND)
		return -EPX_E_SRV_HOST;
	if (rc < 0)
		return rc;
	for (i = 0; i < h->n_macs; i++)
		if (!strcmp(h->macs[i], mac))
			break;
	if (i == h->n_macs)
		return -EPX_E_SRV_MAC;
	if (h->n_addrs == 0)
		return 0;
	for (i = 0; i < h->n_addrs; i++)
		if (node_addr_match(req->peer_str, h->addrs[i]))
			return 0;
	return -EPX_E_SRV_ADDR;
}

/* Everything of the session's statement but its session id, checked
 * before a token is spent: a statement that cannot be made is refused
 * while the boot token is still unspent. */
static int node_statement_prep(struct srv *srv, const struct node_sess_in *in,
			       const struct store_release *r, const char *dbx,
			       struct statement *st)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->host, sizeof(st->host), "%s", in->host);
	if (hex_decode(in->nonce, 64, st->nonce, sizeof(st->nonce)) < 0 ||
	    hex_decode(r->manifest_sha256, 64, st->manifest, sizeof(st->manifest)) < 0 ||
	    (dbx && hex_decode(dbx, 64, st->dbx, sizeof(st->dbx)) < 0) || !srv->online)
		return -EPX_E_SRV_SIGN;
	st->version = r->version;
	st->has_dbx = dbx != NULL;
	st->time = http_now(srv);
	st->expires = st->time + srv->cfg->statement_ttl;
	return 0;
}

/* Appends the signed statement for the session to out. */
static int node_statement(struct srv *srv, struct statement *st, const char *sid,
			  char *out, size_t cap, size_t *len)
{
	size_t body = 0;
	int rc;

	if (hex_decode(sid, 16, st->session, sizeof(st->session)) < 0)
		return -EPX_E_SRV_SIGN;
	rc = statement_format(st, out + *len, cap - *len, &body);
	if (rc < 0)
		return -EPX_E_SRV_SIGN;
	rc = sign_doc_append(srv->online, out + *len, body, out + *len, cap - *len, &body);
	if (rc < 0)
		return -EPX_E_SRV_SIGN;
	*len += body;
	return 0;
}

/* Issues the session's tokens into the answer body. */
static int node_session_tokens(struct srv *srv, const char *host, const char *sid,
			       char *out, size_t cap, size_t *len)
{
	char tok[STORE_TOKEN_HEX + 1];
	size_t i;
	int rc = 0, n;

	for (i = 0; i < NODE_NPURPOSES; i++) {
		const char *p = node_session_purposes[i];
		int64_t ttl = (!strcmp(p, "joincred") || !strcmp(p, "report")) ?
			srv->cfg->long_token_ttl : srv->cfg->token_ttl;

		rc = store_token_issue(srv->store, host, sid, p, ttl, tok);
		if (rc < 0)
			break;
		n = snprintf(out + *len, cap - *len, "token %s %s\n", p, tok);
		explicit_bzero(tok, sizeof(tok));
		if (n < 0 || (size_t)n >= cap - *len) {
			rc = -ENOSPC;
			break;
		}
		*len += (size_t)n;
		metrics_add(srv->metrics, M_TOKENS_ISSUED, 1);
	}
	explicit_bzero(tok, sizeof(tok));
	return rc;
}

/* Authenticates (credential or boot token), opens the session, writes the
 * whole answer into out. */
/* The host's state as operators see it (epoxyctl host show): "enrolled"
 * at host add, "booting" from session open, "booted" when the production
 * stage reports success (the boot is over, the session closed), "failed"
 * after a failure report (a retry makes it "booting" again), and
 * "joined" only at the first heartbeat over mutual TLS with its node
 * certificate (store_nodecert_heartbeat, server/nodeapi.c): a report,
 * which only a boot token vouches for, never makes a host a member.  A
 * store error here is logged, never fatal: the boot itself is recorded by
 * the session and the report. */
/* 1 if host is joined already: its node manager, started by the join
 * script, heartbeats before the agent reports (session open made it
 * "booting", so "joined" is this boot's) and the report must not undo
 * that. */
static int node_joined(struct srv *srv, const char *host)
{
	struct store_host *h = malloc(sizeof(*h));
	int joined = h && store_host_get(srv->store, host, h) == 0 && !strcmp(h->state, "joined");

	free(h);
	return joined;
}

static void node_host_state(struct srv *srv, const struct http_req *req,
			    const char *host, const char *state)
{
	int rc = store_host_set_state(srv->store, host, state);

	if (rc < 0)
		http_log(req, "host %s state %s: %s", host, state, epx_strerror(rc));
}

static int node_session_open(struct srv *srv, const struct http_req *req,
			     const struct node_sess_in *in, const struct store_release *r,
			     char *out, size_t cap, size_t *len)
{
	char sid[STORE_SESSION_HEX + 1];
	struct store_dbx dbx;
	struct statement st;
	int rc, n;

	/* the fleet's current dbx update, named in the signed statement; looked
	 * up first, so that a failure leaves no session behind */
	rc = store_dbx_get(srv->store, NULL, &dbx, NULL, NULL);
	if (rc < 0 && rc != -EPX_E_DB_NOTFOUND)
		return rc;
	dbx.sha256[rc < 0 ? 0 : STORE_HASH_HEX] = '\0';
	/* everything the answer needs is checked before a token is spent (a
	 * refusal never spends the boot token) */
	rc = node_statement_prep(srv, in, r, dbx.sha256[0] ? dbx.sha256 : NULL, &st);
	if (rc < 0)
		return rc;
	/* the credential check and the session are one transaction on the
	 * host's locked row: a revoke either sees this session or is seen */
	if (in->cred) {
		rc = store_session_open_cred(srv->store, in->host, in->cred, in->nonce,
					     r->version, r->hwclass, sid);
	} else {
		rc = store_boot_token_redeem(srv->store, in->token, in->host, NULL);
		if (rc == 0)
			rc = store_session_open(srv->store, in->host, in->nonce, r->version,
						r->hwclass, sid);
	}
	if (rc < 0)
		return rc;
	n = snprintf(out, cap, "epoxy-session 1\nsession %s\nrelease %u\n", sid, r->version);
	rc = n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
	*len = rc == 0 ? (size_t)n : 0;
	if (rc == 0)
		rc = node_session_tokens(srv, in->host, sid, out, cap, len);
	if (rc == 0 && cap - *len < 5)
		rc = -ENOSPC;
	if (rc == 0) {
		memcpy(out + *len, "end\n", 4);
		*len += 4;
		rc = node_statement(srv, &st, sid, out, cap, len);
	}
	if (rc < 0) {
		/* opened but never answered: its tokens die with it */
		if (store_session_close(srv->store, sid, "failed") < 0)
			http_log(req, "session %s of host %s: cannot close it after %s",
				 sid, in->host, epx_strerror(rc));
		return rc;
	}
	store_host_touch(srv->store, in->host);
	if (in->inv)
		node_inventory_store(srv, req, in->host, sid, in->inv);
	node_host_state(srv, req, in->host, "booting");
	http_log(req, "session %s opened for host %s, release %u (%s)", sid, in->host,
		 r->version, in->cred ? "credential" : "boot token");
	return 0;
}

static int node_session_refused(struct srv *srv, const struct http_req *req,
				struct http_resp *resp, int rc)
{
	int e = -rc;

	metrics_add(srv->metrics, M_SESSIONS_REFUSED, 1);
	if (e == EPX_E_DB_NORELEASE)    /* the node's word for it */
		rc = -EPX_E_SRV_NORELEASE, e = EPX_E_SRV_NORELEASE;
	/* epoxyd's own refusals (2200-2499) are not the store's */
	if (e >= EPX_E_SRV_BADREQ && e < EPX_E_ADM_AUTH)
		return node_refuse(req, resp, rc, "session");
	return node_store_err(srv, req, resp, rc, "session");
}

int node_session(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	struct http_arg *args = NULL;
	struct store_host *h = NULL;
	struct store_release r;
	struct node_sess_in in;
	struct inventory *inv;
	size_t len = 0;
	char *out = NULL;
	int rc, n = 0, slot = 0;

	in.inv = inv = malloc(sizeof(*inv));
	rc = inv ? node_form(req, NODE_SESSION_BODY_MAX, &args, &n) : -ENOMEM;
	if (rc == 0)
		rc = node_session_input(args, n, &in);
	if (rc < 0)
		goto refused;
	if (srv->storm) {
		rc = storm_enter(srv->storm, STORM_SESSION);
		if (rc < 0) {
			node_busy(srv, req, resp, in.host, rc);
			rc = 0;
			goto out;
		}
		slot = 1;
	}
	h = malloc(sizeof(*h));
	out = malloc(NODE_SESSION_RESP_MAX);
	rc = -ENOMEM;
	if (!h || !out)
		goto out;
	rc = node_session_host(srv, req, &in, h);
	if (rc == 0)
		rc = store_host_release(srv->store, in.host, &r);
	if (rc == 0)
		rc = node_session_open(srv, req, &in, &r, out, NODE_SESSION_RESP_MAX, &len);
	if (rc < 0)
		goto refused;
	metrics_add(srv->metrics, M_SESSIONS_OPENED, 1);
	rc = http_resp_take(resp, 200, "text/plain", out, len);
	resp->secret = 1;
	out = NULL;
	goto out;
refused:
	rc = node_session_refused(srv, req, resp, rc);
out:
	if (out) {
		explicit_bzero(out, NODE_SESSION_RESP_MAX);
		free(out);
	}
	free(h);
	free(inv);
	node_form_free(args);
	if (slot)
		storm_leave(srv->storm, STORM_SESSION);
	return rc;
}

/* ------------------------------------------------------ token endpoints */

/* 1 if peer is one of the space-separated addresses (or there are none). */
static int node_bound_ok(const char *peer, const char *addrs)
{
	char one[STORE_ADDR_MAX + 1];
	size_t n;

	if (!addrs[0])
		return 1;
	while (*addrs) {
		n = strcspn(addrs, " ");
		if (n <= STORE_ADDR_MAX) {
			memcpy(one, addrs, n);
			one[n] = '\0';
			if (node_addr_match(peer, one))
				return 1;
		}
		addrs += n;
		addrs += *addrs == ' ';
	}
	return 0;
}

/* Looks the request's bearer token up for purpose without spending it,
 * and checks that a host bound to addresses asks from one of them; on
 * refusal answers (the token stays as it was). */
static int node_token_peek(struct srv *srv, const struct http_req *req,
			   struct http_resp *resp, const char *purpose,
			   char tok[STORE_TOKEN_HEX + 1], struct store_token_info *info)
{
	char addrs[STORE_ADDRS_TEXT + 1], detail[HTTP_ADDR_MAX + 64];
	int rc = http_bearer(req, tok);

	if (rc == -EPX_E_SRV_NOTOKEN) {
		node_refuse(req, resp, rc, purpose);
		return rc;
	}
	if (rc < 0) {
		node_refuse(req, resp, rc, purpose);
		return rc;
	}
	rc = store_token_peek(srv->store, tok, purpose, info, addrs);
	if (rc < 0) {
		node_store_err(srv, req, resp, rc, purpose);
		return rc;
	}
	if (!node_bound_ok(req->peer_str, addrs)) {
		snprintf(detail, sizeof(detail), "EPOXY-E%04d purpose=%s peer=%s",
			 EPX_E_SRV_BOUND, purpose, req->peer_str);
		store_audit_refusal(srv->store, "epoxyd", "node.refused", info->host, detail);
		http_log(req, "host %s session %s: %s from %s, not one of its addresses (EPOXY-E%04d)",
			 info->host, info->session, purpose, req->peer_str, EPX_E_SRV_BOUND);
		metrics_add(srv->metrics, M_TOKENS_REFUSED, 1);
		node_refuse(req, resp, -EPX_E_SRV_BOUND, purpose);
		return -EPX_E_SRV_BOUND;
	}
	return 0;
}

/* Spends the token peeked before (bound to its host and session). */
static int node_token_spend(struct srv *srv, const struct http_req *req,
			    struct http_resp *resp, const char *purpose,
			    const char tok[STORE_TOKEN_HEX + 1], struct store_token_info *info)
{
	int rc = store_token_redeem(srv->store, tok, purpose, info->host, info->session, info);

	if (rc < 0) {
		node_store_err(srv, req, resp, rc, purpose);
		return rc;
	}
	metrics_add(srv->metrics, M_TOKENS_REDEEMED, 1);
	return 0;
}

/* Redeems the request's bearer token for purpose; on refusal answers. */
static int node_redeem(struct srv *srv, const struct http_req *req,
		       struct http_resp *resp, const char *purpose,
		       struct store_token_info *info)
{
	char tok[STORE_TOKEN_HEX + 1];
	int rc = node_token_peek(srv, req, resp, purpose, tok, info);

	if (rc == 0)
		rc = node_token_spend(srv, req, resp, purpose, tok, info);
	explicit_bzero(tok, sizeof(tok));
	return rc;
}

int node_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	struct store_token_info info;
	char tok[STORE_TOKEN_HEX + 1];
	int rc = node_token_peek(srv, req, resp,
				 !strcmp(req->path, "/v1/joincred") ? "joincred" : "report",
				 tok, &info);

	explicit_bzero(tok, sizeof(tok));
	return rc;
}

static int node_release_of(struct srv *srv, const struct store_token_info *info,
			   struct store_session *s, struct store_release *r)
{
	int rc = store_session_get(srv->store, info->session, s);

	if (rc == 0)
		rc = store_release_get(srv->store, s->hwclass, s->version, r);
	return rc;
}

int node_manifest(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	struct store_token_info info;
	struct store_session s;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (node_redeem(srv, req, resp, "manifest", &info) < 0)
		return 0;
	rc = store_session_get(srv->store, info.session, &s);
	if (rc == 0)
		rc = store_release_manifest(srv->store, s.hwclass, s.version, &buf, &len);
	if (rc < 0)
		return node_store_err(srv, req, resp, rc, "manifest of the session");
	return http_resp_take(resp, 200, "text/plain", buf, len);
}

/* GET /v1/dbx/<sha256>: a published dbx update, by the SHA-256 that the
 * session statement names.  No token: the update is public (the KEK's
 * signature is what the firmware trusts, the statement's hash is what the
 * agent trusts), and asking for it changes nothing. */
int node_dbx(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	const char *hex = req->path + strlen(NODEPROTO_DBX_PATH);
	struct store_dbx d;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (hex_check_str(hex, 64) < 0)
		return node_refuse(req, resp, -EPX_E_SRV_NOTFOUND, "dbx update name");
	rc = store_dbx_get(srv->store, hex, &d, &buf, &len);
	if (rc < 0)
		return node_store_err(srv, req, resp, rc, "dbx update");
	return http_resp_take(resp, 200, "application/octet-stream", buf, len);
}

static int node_next_token(struct srv *srv, const struct store_token_info *info,
			   const char *purpose, int64_t ttl, struct http_resp *resp)
{
	char tok[STORE_TOKEN_HEX + 1];
	int rc = store_token_reissue(srv->store, info->host, info->session, purpose,
				     ttl, tok);

	if (rc == 0) {
		resp->secret = 1;
		rc = http_resp_header(resp, "Epoxy-Next-Token", tok);
		metrics_add(srv->metrics, M_TOKENS_ISSUED, 1);
	}
	explicit_bzero(tok, sizeof(tok));
	return rc;
}

/* Opens the artifact object and checks it has the manifest's length. */
static int node_object(struct srv *srv, const struct store_release *r,
		       enum store_role role, uint64_t *size)
{
	char name[8 + STORE_HASH_HEX + 1];
	int fd;

	if (hex_check_str(r->art[role].sha256, 64) < 0)
		return -EPX_E_SRV_OBJECT;
	snprintf(name, sizeof(name), "objects/%s", r->art[role].sha256);
	fd = node_open(srv, HTTP_DIR_DATA, name, size);
	if (fd < 0) {
		/* the status stays E2241's; the log says why */
		log_msg(LOG_ERR, "data_dir %s/%s: %s", srv->cfg->data_dir, name,
			fd == -EINVAL ? "not a regular file or over its cap" : strerror(-fd));
		return -EPX_E_SRV_OBJECT;
	}
	if (*size != r->art[role].length) {
		close(fd);
		return -EPX_E_SRV_OBJECT;
	}
	return fd;
}

int node_artifact(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	const char *name = req->path + strlen("/v1/artifact/");
	struct store_token_info info;
	struct store_session s;
	struct store_release r;
	enum store_role role;
	uint64_t size = 0, off = 0, len = 0, dummy;
	char cr[96], tok[STORE_TOKEN_HEX + 1] = "";
	int rc, fd, ranged;

	if (store_role_parse(name, &role) < 0)
		return node_refuse(req, resp, -EPX_E_SRV_NOTFOUND, "artifact role");
	if (req->range[0] && node_range(req->range, UINT64_MAX, &dummy, &dummy) < 0)
		return node_refuse(req, resp, -EPX_E_SRV_RANGE, "artifact range");
	if (srv->storm) {
		rc = storm_enter(srv->storm, STORM_DOWNLOAD);
		if (rc < 0)
			return node_busy(srv, req, resp, req->peer_str, rc);
		resp->slot_storm = srv->storm;
		resp->slot_kind = STORM_DOWNLOAD;
	}
	/* everything is validated before the token is spent: a refused
	 * request (a Range past the end, a missing object) leaves it usable */
	rc = node_token_peek(srv, req, resp, name, tok, &info);
	if (rc < 0)
		goto out;
	rc = node_release_of(srv, &info, &s, &r);
	if (rc < 0) {
		rc = node_store_err(srv, req, resp, rc, "artifact's release");
		goto out;
	}
	fd = node_object(srv, &r, role, &size);
	if (fd < 0) {
		http_log(req, "object %s of release %u missing or wrong size", name, r.version);
		rc = http_resp_fail(resp, fd, NULL);
		goto out;
	}
	ranged = node_range(req->range, size, &off, &len);
	if (ranged < 0) {
		close(fd);
		rc = node_refuse(req, resp, ranged, "artifact range");
		goto out;
	}
	rc = node_token_spend(srv, req, resp, name, tok, &info);
	explicit_bzero(tok, sizeof(tok));
	if (rc < 0) {
		close(fd);
		return 0;
	}
	/* info.reissue is the number of the resume token just spent (0 for
	 * the session's own): resume_tokens caps them below the store's cap */
	rc = info.reissue < srv->cfg->resume_tokens ?
		node_next_token(srv, &info, name, srv->cfg->token_ttl, resp) : -EPX_E_TOK_REISSUE;
	if (rc < 0 && rc != -EPX_E_TOK_REISSUE)
		http_log(req, "no resume token for %s: %s", name, epx_strerror(rc));
	if (!ranged) {
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)off,
			 (unsigned long long)(off + len - 1), (unsigned long long)size);
		http_resp_header(resp, "Content-Range", cr);
	}
	metrics_add(srv->metrics, M_ARTIFACT_BYTES, len);
	return http_resp_fd(resp, ranged ? 200 : 206, "application/octet-stream", fd, off, len);
out:
	explicit_bzero(tok, sizeof(tok));
	return rc < 0 ? 0 : rc;
}

/* With node identity on, the node's one-time credential for
 * /v1/node/csr rides along as a header (lib/nodeproto.h); a failure to
 * make one is logged and leaves the join credential's answer alone. */
static void node_nodecred(struct srv *srv, const struct http_req *req,
			  const struct store_token_info *info, struct http_resp *resp)
{
	char cred[STORE_TOKEN_HEX + 1];
	int rc;

	if (!srv->nodeid)
		return;
	rc = store_joincred_issue(srv->store, info->host, info->session,
				  srv->cfg->long_token_ttl, cred);
	if (rc == 0)
		rc = http_resp_header(resp, NODEPROTO_NODE_CRED_HDR, cred);
	explicit_bzero(cred, sizeof(cred));
	if (rc < 0)
		http_log(req, "no node credential for host %s: %s", info->host, epx_strerror(rc));
}

int node_joincred(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	struct store_token_info info;
	struct store_session s;
	char detail[64], tok[STORE_TOKEN_HEX + 1] = "";
	char *out = NULL;
	int n;

	if (req->body_fd >= 0 || req->body_len > NODE_JOINCRED_BODY_MAX)
		return node_refuse(req, resp, -EPX_E_SRV_TOOBIG, "joincred");
	/* the plug-in runs before the token is spent: when it fails the node
	 * may ask again with the same token (a credential minted for a
	 * request whose token then turns out spent is wiped, never sent) */
	if (node_token_peek(srv, req, resp, "joincred", tok, &info) < 0)
		goto out;
	if (store_session_get(srv->store, info.session, &s) < 0)
		snprintf(s.hwclass, sizeof(s.hwclass), "unknown");
	out = malloc(JOINCRED_MAX + 2);
	if (!out) {
		explicit_bzero(tok, sizeof(tok));
		return -ENOMEM;
	}
	n = srv->joincred ? joincred_get(srv->joincred, info.host, info.session, s.hwclass,
					 out, JOINCRED_MAX + 1) :
		joincred_builtin(out, JOINCRED_MAX + 1);
	if (n < 0) {
		http_log(req, "join credential plug-in failed for host %s", info.host);
		http_resp_fail(resp, -EPX_E_SRV_JOINCRED, NULL);
		goto out;
	}
	if (node_token_spend(srv, req, resp, "joincred", tok, &info) < 0)
		goto out;
	explicit_bzero(tok, sizeof(tok));
	node_nodecred(srv, req, &info, resp);
	snprintf(detail, sizeof(detail), "session=%s", info.session);
	store_audit_append(srv->store, "epoxyd", "joincred.issued", info.host, detail);
	metrics_add(srv->metrics, M_JOINCREDS, 1);
	http_log(req, "join credential handed to host %s (session %s)", info.host, info.session);
	http_resp_take(resp, 200, "text/plain", out, (size_t)n);
	resp->secret = 1;
	return 0;
out:
	explicit_bzero(tok, sizeof(tok));
	if (out) {
		explicit_bzero(out, JOINCRED_MAX + 2);
		free(out);
	}
	return 0;
}

/* ------------------------------------------------------------- report */

static int node_report_input(const struct http_arg *a, int n, struct store_report *rep)
{
	static const char *const keys[] = { NODEPROTO_F_STAGE, NODEPROTO_F_STATUS,
					    NODEPROTO_F_CODE, NODEPROTO_F_TAIL };
	const char *stage = node_val(a, n, NODEPROTO_F_STAGE);
	const char *status = node_val(a, n, NODEPROTO_F_STATUS);
	const char *code = node_val(a, n, NODEPROTO_F_CODE);
	const struct http_arg *tail = http_arg_get(a, (size_t)n, NODEPROTO_F_TAIL);

	if (!node_form_known(a, n, keys, sizeof(keys) / sizeof(keys[0])))
		return -EPX_E_SRV_FIELD;
	if (label_check_str(LABEL_WORD, stage) < 0 || !status ||
	    (strcmp(status, "ok") && strcmp(status, "fail")))
		return -EPX_E_SRV_FIELD;
	if (code && !store_valid_code(code))
		return -EPX_E_SRV_FIELD;
	if (tail && tail->val_len > NODEPROTO_TAIL_MAX)
		return -EPX_E_SRV_FIELD;
	memset(rep, 0, sizeof(*rep));
	snprintf(rep->stage, sizeof(rep->stage), "%s", stage);
	snprintf(rep->status, sizeof(rep->status), "%s", status);
	snprintf(rep->code, sizeof(rep->code), "%s", code ? code : "");
	if (tail) {
		memcpy(rep->tail, tail->val, tail->val_len);
		rep->tail_len = tail->val_len;
	}
	return 0;
}

int node_report(struct srv *srv, const struct http_req *req, struct http_resp *resp)
{
	struct store_token_info info;
	struct store_report *rep = NULL;
	struct http_arg *args = NULL;
	int rc, n = 0, ok, closes;

	rep = malloc(sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	rc = node_form(req, NODE_REPORT_BODY_MAX, &args, &n);
	if (rc == 0)
		rc = node_report_input(args, n, rep);
	if (rc < 0) {
		rc = node_refuse(req, resp, rc, "report");
		goto out;
	}
	rc = 0;
	if (node_redeem(srv, req, resp, "report", &info) < 0)
		goto out;
	snprintf(rep->host, sizeof(rep->host), "%s", info.host);
	snprintf(rep->session, sizeof(rep->session), "%s", info.session);
	rc = store_report_add(srv->store, rep);
	if (rc < 0) {
		rc = node_store_err(srv, req, resp, rc, "report");
		goto out;
	}
	ok = !strcmp(rep->status, "ok");
	/* the production stage's success ends the boot: the session closes and
	 * every token it still has dies with it */
	closes = ok && !strcmp(rep->stage, "2");
	metrics_add(srv->metrics, ok ? M_REPORTS_OK : M_REPORTS_FAIL, 1);
	http_log(req, "report host %s session %s stage %s %s %s", info.host, info.session,
		 rep->stage, rep->status, rep->code);
	rc = http_resp_copy(resp, 204, "text/plain", "", 0);
	if (!closes || !node_joined(srv, info.host))
		node_host_state(srv, req, info.host, closes ? "booted" : ok ? "booting" : "failed");
	if (closes) {
		int crc = store_session_close(srv->store, info.session, "ok");

		if (crc < 0)
			http_log(req, "closing session %s: %s", info.session, epx_strerror(crc));
	} else if (!ok) {
		node_next_token(srv, &info, "report", srv->cfg->long_token_ttl, resp);
	}
out:
	node_form_free(args);
	free(rep);
	return rc;
}
