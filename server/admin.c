/* admin: the authenticated admin API under /admin/v1/ (epoxyctl's server
 * side; the format is in docs/guide/40-epoxyctl.md).
 *
 * Guarantees:
 *  - every request is authenticated first, by an admin credential
 *    ("Authorization: Epoxy-Admin <64 hex>") checked against the hashes in
 *    the store's admin table; node tokens and boot credentials live in other
 *    tables and are never accepted here; an unauthenticated request learns
 *    nothing about routes;
 *  - every input is capped and validated before the store is touched
 *    (path segments, names, form fields, numbers, manifest, artifacts); a
 *    refused request answers 4xx "EPOXY-Exxxx reason" and changes nothing;
 *  - a release is recorded only after its manifest verifies against the
 *    server's keyset and every artifact's length and SHA-256 match; objects
 *    are written content-addressed (tmp, fsync, rename);
 *  - a peer address whose credentials were refused ADMIN_FAIL_MAX times
 *    within ADMIN_FAIL_WINDOW seconds gets 429 without a store lookup, for
 *    up to two windows; the counts live in a count-min sketch keyed with a
 *    secret drawn at start, which never under-counts an address whatever
 *    other addresses send (no eviction; an IPv6 peer counts by its /64);
 *    a refusal is audited once per address and window, and once more when
 *    the address is locked out, so a stranger's cost to the audit log is
 *    bounded;
 *  - epoxyd authenticates an admin request from its headers, before any
 *    body byte is read (admin_preauth); an upload is spooled only for an
 *    authenticated admin;
 *  - every change appends an audit entry naming the admin; no secret is
 *    logged or audited; answers that carry a credential or token are marked
 *    secret so the server wipes them after sending. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dbx.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/keyset.h"
#include "lib/label.h"
#include "lib/manifest.h"
#include "lib/num.h"
#include "lib/rand.h"
#include "lib/record.h"
#include "lib/sign.h"
#include "lib/ticket.h"
#include "server/admin.h"
#include "server/admin_archive.h"
#include "server/admin_int.h"
#include "server/admin_sliver.h"
#include "server/config.h"
#include "server/fleet.h"
#include "server/fleetsd.h"
#include "server/log.h"
#include "server/sliverapi.h"
#include "store/store.h"

#define ADMIN_PREFIX "/admin/v1/"
#define ADMIN_REPLY_MAX (8u << 20)
#define ADMIN_LIST_DEFAULT 100
#define ADMIN_LIST_MAX 10000
#define ADMIN_REPORTS_WHY 16
#define ADMIN_TTL_DEFAULT 3600
#define ADMIN_IO_CHUNK 65536
#define ADMIN_CM_ROWS 4          /* count-min sketch of refused credentials */
#define ADMIN_CM_COLS 4096
#define ADMIN_FAIL_MAX 10        /* refused credentials per address ... */
#define ADMIN_FAIL_WINDOW 60     /* ... per this many seconds */


/* ------------------------------------------------------------ helpers */

int admin_fail(struct admin_ctx *c, int rc, const char *reason)
{
	return http_resp_fail(c->resp, rc, reason);
}

/* reason = what + " '" + arg + "'", arg shown as printable ASCII, capped. */
int admin_failf(struct admin_ctx *c, int rc, const char *what, const char *arg)
{
	char reason[200];
	size_t o, i;

	o = (size_t)snprintf(reason, sizeof(reason), "%s '", what);
	for (i = 0; arg[i] && i < 64 && o < sizeof(reason) - 3; i++) {
		unsigned char ch = (unsigned char)arg[i];

		reason[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	reason[o++] = '\'';
	reason[o] = '\0';
	return admin_fail(c, rc, reason);
}

/* Sends the records collected in c->out with status. */
int admin_reply(struct admin_ctx *c, int status, int secret)
{
	int rc;

	if (c->out.err)
		return admin_fail(c, c->out.err, "answer larger than its cap");
	if (!c->out.buf)
		record_buf_add(&c->out, "", 0);
	if (c->out.err)
		return admin_fail(c, c->out.err, NULL);
	rc = http_resp_take(c->resp, status, "text/plain", c->out.buf,
			    c->out.len);
	if (rc)
		return rc;
	c->out.buf = NULL;
	c->out.len = c->out.cap = 0;
	c->resp->secret = secret;
	return 0;
}

void admin_audit(struct admin_ctx *c, const char *action, const char *subject,
		 const char *detail)
{
	int rc = store_audit_append(c->srv->store, c->actor, action, subject,
				    detail ? detail : "");

	sliverapi_kick();       /* a held sliver-set poll checks at once */
	if (rc)
		http_log(c->req, "admin: audit append for %s failed: %s",
			 action, epx_strerror(rc));
}

int admin_name_ok(const char *s)
{
	return s && store_valid_hostname(s);
}

static int admin_label_ok(const char *s)
{
	return s && store_valid_label(s);
}

/* Decimal u64 in [lo, hi]; no sign, no leading zeros, no spaces. */
int admin_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v;

	if (num_str_u64(s, hi, &v) < 0 || v < lo)
		return -EPX_E_ADM_FIELD;
	*out = v;
	return 0;
}

const char *admin_query(const struct admin_ctx *c, const char *key)
{
	const struct http_arg *a = http_arg_get(c->req->args, c->req->nargs, key);

	if (!a || a->val_len != strlen(a->val))
		return NULL;
	return a->val;
}

/* Only the query keys in allowed (NULL-terminated) may appear. */
int admin_query_only(struct admin_ctx *c, const char *const *allowed)
{
	size_t i, j;

	for (i = 0; i < c->req->nargs; i++) {
		for (j = 0; allowed[j]; j++)
			if (!strcmp(c->req->args[i].key, allowed[j]))
				break;
		if (!allowed[j])
			return admin_failf(c, -EPX_E_ADM_UNKNOWN,
					   "unknown query parameter",
					   c->req->args[i].key);
	}
	return 0;
}

int admin_list_limit(struct admin_ctx *c, size_t *limit)
{
	const char *s = admin_query(c, "limit");
	uint64_t v = ADMIN_LIST_DEFAULT;

	if (s && admin_num(s, 1, ADMIN_LIST_MAX, &v))
		return -EPX_E_ADM_FIELD;
	*limit = (size_t)v;
	return 0;
}

/* Parses the form body into c->form; only keys in allowed may appear. */
int admin_form(struct admin_ctx *c, const char *const *allowed)
{
	const struct http_req *r = c->req;
	size_t i, j, len = r->body_len;
	int rc;

	if (r->body_fd >= 0 || (!r->body && len))
		return admin_fail(c, -EPX_E_ADM_TOOBIG, "form body larger than its cap");
	if (strncmp(r->content_type, "application/x-www-form-urlencoded", 33) ||
	    (r->content_type[33] && r->content_type[33] != ';'))
		return admin_fail(c, -EPX_E_ADM_CTYPE,
				  "want Content-Type application/x-www-form-urlencoded");
	if (len > RECORD_MAX_LINE)
		return admin_fail(c, -EPX_E_ADM_TOOBIG, NULL);
	c->formbuf = malloc(len + 1);
	if (!c->formbuf)
		return -ENOMEM;
	if (len)
		memcpy(c->formbuf, r->body, len);
	c->formbuf[len] = '\0';
	if (len && c->formbuf[len - 1] == '\n')
		len--;
	rc = record_parse(&c->form, c->formbuf, len);
	if (rc)
		return admin_fail(c, rc, NULL);
	for (i = 0; i < c->form.n; i++) {
		for (j = 0; allowed[j]; j++)
			if (!strcmp(c->form.key[i], allowed[j]))
				break;
		if (!allowed[j])
			return admin_failf(c, -EPX_E_ADM_UNKNOWN, "unknown field",
					   c->form.key[i]);
	}
	return 0;
}

const char *admin_field(const struct admin_ctx *c, const char *key)
{
	return form_get(&c->form, key);
}

/* ------------------------------------------------------------- hosts */

static void admin_join(struct record_buf *b, const char *key, size_t n,
		       const char *items, size_t stride)
{
	char list[STORE_MACS_MAX * (STORE_ADDR_MAX + 2) + 1];
	size_t i, o = 0;

	list[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *it = items + i * stride;
		size_t l = strlen(it);

		if (l + 2 > sizeof(list) - o)
			break;
		if (i)
			list[o++] = ',';
		memcpy(list + o, it, l + 1);
		o += l;
	}
	record_buf_field(b, key, list);
}

/* An optional number: "" when absent. */
static void admin_opt_u(struct record_buf *b, const char *key, unsigned has,
			unsigned long long v)
{
	if (has)
		record_buf_fieldu(b, key, v);
	else
		record_buf_field(b, key, "");
}

/* The host's record fields; the caller ends the record (admin_host_rec,
 * or admin_host_show after the node certificate's). */
static void admin_host_recfields(struct record_buf *b, const struct store_host *h)
{
	record_buf_field(b, "name", h->name);
	record_buf_field(b, "hwclass", h->hwclass);
	record_buf_field(b, "site", h->site);
	record_buf_field(b, "channel", h->channel);
	record_buf_fieldu(b, "pin", h->pinned_version);
	record_buf_fieldu(b, "reinstall", (unsigned)h->reinstall);
	record_buf_field(b, "boot_path", store_boot_path(h->boot_direct));
	admin_join(b, "macs", h->n_macs, &h->macs[0][0], sizeof(h->macs[0]));
	admin_join(b, "addrs", h->n_addrs, &h->addrs[0][0], sizeof(h->addrs[0]));
	admin_join(b, "groups", h->n_groups, &h->groups[0][0], sizeof(h->groups[0]));
	record_buf_field(b, "credential", !h->has_credential ? "none" :
		      h->credential_revoked ? "revoked" : "active");
	record_buf_field(b, "state", h->state);
	record_buf_field(b, "last_stage", h->last_stage);
	record_buf_field(b, "last_status", h->last_status);
	record_buf_field(b, "last_code", h->last_code);
	record_buf_fieldu(b, "last_seen", (unsigned long long)h->last_seen);
	record_buf_fieldu(b, "created", (unsigned long long)h->created);
	record_buf_fieldu(b, "updated", (unsigned long long)h->updated);
}

static void admin_host_rec(struct record_buf *b, const struct store_host *h)
{
	admin_host_recfields(b, h);
	record_buf_endrec(b);
}

/* The node certificate of host (issue 14): the newest issued since the
 * host was added, whether it is good now (the check every node request
 * gets: "good", else "expired" or "revoked", which covers a revoked boot
 * credential too), its validity and the host's last heartbeat with any;
 * empty values when it has none (or the store cannot say). */
static void admin_host_nodecert(struct admin_ctx *c, const char *host)
{
	struct store_nodecert nc;
	int have = store_nodecert_latest(c->srv->store, host, &nc) == 0;
	int good = have && store_nodecert_check(c->srv->store, nc.serial, host) == 0;

	record_buf_field(&c->out, "node_cert", have ? nc.serial : "");
	record_buf_field(&c->out, "cert_status", !have ? "" : good ? "good" :
			 nc.not_after < http_now(c->srv) ? "expired" : "revoked");
	if (have) {
		record_buf_fieldu(&c->out, "cert_from", (unsigned long long)nc.not_before);
		record_buf_fieldu(&c->out, "cert_until", (unsigned long long)nc.not_after);
		record_buf_fieldu(&c->out, "heartbeat", (unsigned long long)nc.last_heartbeat);
	} else {
		record_buf_field(&c->out, "cert_from", "");
		record_buf_field(&c->out, "cert_until", "");
		record_buf_field(&c->out, "heartbeat", "");
	}
}

/* The host's inventory (issue 16 point 3; server/fleet.c's one query):
 * after the host record, which says inventory=none|reported|changed, one
 * record kind=inventory (when, which session, what changed, the node's
 * facts; an absent fact is empty), then one per disk and one per NIC. */
static void admin_host_inv_node(struct record_buf *b, const struct fleet_inventory *fi)
{
	const struct inventory *v = &fi->cur;

	record_buf_field(b, "kind", "inventory");
	record_buf_fieldu(b, "reported", (unsigned long long)fi->reported);
	record_buf_field(b, "session", fi->session);
	if (fi->changed)
		record_buf_fieldu(b, "changed", (unsigned long long)fi->changed);
	else
		record_buf_field(b, "changed", "");
	record_buf_field(b, "changes", fi->changes);
	record_buf_field(b, "cpu_model", v->cpu_model);
	admin_opt_u(b, "cpus", v->has & INVENTORY_HAS_CPUS, v->cpus);
	admin_opt_u(b, "mem", v->has & INVENTORY_HAS_MEM, v->mem);
	record_buf_field(b, "fw_vendor", v->fw_vendor);
	record_buf_field(b, "fw_version", v->fw_version);
	record_buf_field(b, "secureboot", !(v->has & INVENTORY_HAS_SB) ? "" :
			 v->secureboot ? "on" : "off");
	record_buf_endrec(b);
}

static void admin_host_inv_parts(struct record_buf *b, const struct inventory *v)
{
	size_t i;

	for (i = 0; i < v->ndisks; i++) {
		record_buf_field(b, "kind", "disk");
		record_buf_field(b, "name", v->disk[i].name);
		admin_opt_u(b, "size", v->disk[i].has & INVENTORY_HAS_SIZE, v->disk[i].size);
		record_buf_field(b, "serial", v->disk[i].serial);
		record_buf_endrec(b);
	}
	for (i = 0; i < v->nnics; i++) {
		record_buf_field(b, "kind", "nic");
		record_buf_field(b, "name", v->nic[i].name);
		record_buf_field(b, "mac", v->nic[i].mac);
		admin_opt_u(b, "speed", v->nic[i].has & INVENTORY_HAS_SPEED, v->nic[i].speed);
		record_buf_endrec(b);
	}
}

static int admin_host_inventory(struct admin_ctx *c, const char *host)
{
	struct fleet_inventory *fi = malloc(sizeof(*fi));
	int rc = -ENOMEM;

	if (!fi)
		return rc;
	rc = fleet_host_inventory(c->srv->store, host, fi);
	record_buf_field(&c->out, "inventory", rc < 0 ? "unreadable" : !fi->have ? "none" :
			 fi->changed ? "changed" : "reported");
	record_buf_endrec(&c->out);
	if (rc == 0 && fi->have) {
		admin_host_inv_node(&c->out, fi);
		admin_host_inv_parts(&c->out, &fi->cur);
	}
	free(fi);
	return 0;
}

static int admin_host_list_cb(const struct store_host *h, void *arg)
{
	struct record_buf *b = arg;

	admin_host_rec(b, h);
	return b->err;
}

/* Splits a comma list into dst (count *n, cap max, each < width bytes). */
static int admin_split(const char *s, char *dst, size_t width, size_t max,
		       size_t *n)
{
	size_t cnt = 0;

	*n = 0;
	if (!*s)
		return 0;
	for (;;) {
		size_t l = strcspn(s, ",");

		if (cnt >= max || l == 0 || l >= width)
			return -EPX_E_ADM_FIELD;
		memcpy(dst + cnt * width, s, l);
		dst[cnt * width + l] = '\0';
		cnt++;
		if (!s[l])
			break;
		s += l + 1;
	}
	*n = cnt;
	return 0;
}

static const char *const admin_host_fields[] = {
	"name", "hwclass", "site", "channel", "pin", "reinstall", "macs",
	"addrs", "groups", "boot_path", NULL,
};

/* Answers 400 EPOXY-E2508 with reason; returns 1 ("answered"). */
static int admin_bad(struct admin_ctx *c, const char *reason)
{
	int rc = admin_fail(c, -EPX_E_ADM_FIELD, reason);

	return rc ? rc : 1;
}

/* Applies the editable form fields to h; validates each.  On failure the
 * answer is already in c->resp and non-zero is returned (1, or a negative
 * code if even the answer failed). */
static int admin_host_apply(struct admin_ctx *c, struct store_host *h)
{
	const char *v;
	uint64_t n;
	size_t i;

	if ((v = admin_field(c, "hwclass"))) {
		if (!admin_label_ok(v) || strlen(v) > STORE_LABEL_MAX)
			goto bad_hwclass;
		snprintf(h->hwclass, sizeof(h->hwclass), "%s", v);
	}
	if ((v = admin_field(c, "site"))) {
		struct store_site site;

		if (*v && (!admin_label_ok(v) || strlen(v) > STORE_LABEL_MAX))
			return admin_bad(c, "site: want [a-z0-9._-]{1,64}");
		if (*v && store_site_get(c->srv->store, v, &site))
			return admin_failf(c, -EPX_E_ADM_FIELD, "site: no such site (epoxyctl site add)", v) ?: 1;
		snprintf(h->site, sizeof(h->site), "%s", v);
	}
	if ((v = admin_field(c, "channel"))) {
		if (!admin_label_ok(v) || strlen(v) > STORE_LABEL_MAX)
			return admin_bad(c, "channel: want [a-z0-9._-]{1,64}");
		snprintf(h->channel, sizeof(h->channel), "%s", v);
	}
	if ((v = admin_field(c, "pin"))) {
		if (admin_num(v, 0, UINT32_MAX, &n))
			return admin_bad(c, "pin: want a release version (0: none)");
		h->pinned_version = (uint32_t)n;
	}
	if ((v = admin_field(c, "reinstall"))) {
		if (admin_num(v, 0, 1, &n))
			return admin_bad(c, "reinstall: want 0 or 1");
		h->reinstall = (int)n;
	}
	if ((v = admin_field(c, "boot_path"))) {
		if (strcmp(v, "direct") && strcmp(v, "ipxe"))
			return admin_bad(c, "boot_path: want direct or ipxe");
		h->boot_direct = !strcmp(v, "direct");
	}
	if ((v = admin_field(c, "macs"))) {
		if (admin_split(v, &h->macs[0][0], sizeof(h->macs[0]), STORE_MACS_MAX, &h->n_macs))
			goto bad_mac;
		for (i = 0; i < h->n_macs; i++)
			if (store_mac_canon(h->macs[i], h->macs[i]))
				goto bad_mac;
	}
	if ((v = admin_field(c, "addrs"))) {
		if (admin_split(v, &h->addrs[0][0], sizeof(h->addrs[0]), STORE_ADDRS_MAX, &h->n_addrs))
			return admin_bad(c, "addrs: want up to 4 comma-separated addresses");
		for (i = 0; i < h->n_addrs; i++)
			if (label_check_str(LABEL_ADDR, h->addrs[i]) < 0)
				return admin_bad(c, "addrs: not an address");
	}
	if ((v = admin_field(c, "groups"))) {
		if (admin_split(v, &h->groups[0][0], sizeof(h->groups[0]), STORE_GROUPS_MAX, &h->n_groups))
			return admin_bad(c, "groups: want up to 8 comma-separated labels");
		for (i = 0; i < h->n_groups; i++)
			if (!admin_label_ok(h->groups[i]))
				return admin_bad(c, "groups: want [a-z0-9._-]{1,64} each");
	}
	return 0;
bad_hwclass:
	return admin_bad(c, "hwclass: want [a-z0-9._-]{1,64}");
bad_mac:
	return admin_bad(c, "macs: want up to 8 comma-separated MACs like 52-54-00-12-34-56");
}

static void admin_host_detail(char *d, size_t cap, const struct store_host *h)
{
	snprintf(d, cap, "hwclass=%s site=%s channel=%s pin=%" PRIu32 " reinstall=%d macs=%zu addrs=%zu groups=%zu boot_path=%s",
		 h->hwclass, h->site[0] ? h->site : "-", h->channel,
		 h->pinned_version, h->reinstall, h->n_macs, h->n_addrs, h->n_groups,
		 store_boot_path(h->boot_direct));
}

static int admin_host_add(struct admin_ctx *c)
{
	char detail[ADMIN_DETAIL_MAX];
	struct store_host *h = NULL;
	const char *name;
	int rc;

	rc = admin_form(c, admin_host_fields);
	if (rc || c->resp->status)
		return rc;
	name = admin_field(c, "name");
	if (!name)
		return admin_fail(c, -EPX_E_ADM_MISSING, "field 'name' missing");
	if (!admin_name_ok(name))
		return admin_fail(c, -EPX_E_ADM_NAME, NULL);
	if (!admin_field(c, "hwclass"))
		return admin_fail(c, -EPX_E_ADM_MISSING, "field 'hwclass' missing");
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->channel, sizeof(h->channel), "stable");
	/* boot_path_default (Kconfig BOOT_PATH_DIRECT), unless the form names one */
	h->boot_direct = !strcmp(c->srv->cfg->boot_path_default, "direct");
	if (admin_host_apply(c, h))
		goto out;
	rc = store_host_add(c->srv->store, h);
	if (rc == -EPX_E_DB_EXISTS) {
		admin_fail(c, rc, "host name or one of its MACs already enrolled");
		rc = 0;
		goto out;
	}
	if (rc) {
		admin_fail(c, rc, NULL);
		rc = 0;
		goto out;
	}
	admin_host_detail(detail, sizeof(detail), h);
	admin_audit(c, "host.add", h->name, detail);
	rc = store_host_get(c->srv->store, name, h);
	if (rc) {
		admin_fail(c, rc, NULL);
		rc = 0;
		goto out;
	}
	admin_host_rec(&c->out, h);
	rc = admin_reply(c, 201, 0);
out:
	free(h);
	return rc;
}

static int admin_host_get(struct admin_ctx *c, const char *name,
			  struct store_host *h)
{
	int rc;

	if (!admin_name_ok(name)) {
		admin_fail(c, -EPX_E_ADM_NAME, NULL);
		return 1;
	}
	rc = store_host_get(c->srv->store, name, h);
	if (rc == -EPX_E_DB_NOTFOUND) {
		admin_failf(c, -EPX_E_ADM_NOHOST, "unknown host", name);
		return 1;
	}
	if (rc) {
		admin_fail(c, rc, NULL);
		return 1;
	}
	return 0;
}

static int admin_host_update(struct admin_ctx *c, const char *name)
{
	static const char *const fields[] = {
		"hwclass", "site", "channel", "pin", "reinstall", "macs",
		"addrs", "groups", "boot_path", NULL,
	};
	char detail[ADMIN_DETAIL_MAX];
	struct store_host *h = calloc(1, sizeof(*h));
	int rc = -ENOMEM;

	if (!h)
		return rc;
	rc = admin_form(c, fields);
	if (rc || c->resp->status)
		goto out;
	if (c->form.n == 0) {
		rc = admin_fail(c, -EPX_E_ADM_MISSING, "nothing to update");
		goto out;
	}
	if (admin_host_get(c, name, h) || admin_host_apply(c, h))
		goto out;
	rc = store_host_update(c->srv->store, h);
	if (rc) {
		rc = admin_fail(c, rc, rc == -EPX_E_DB_EXISTS ?
				"one of the MACs belongs to another host" : NULL);
		goto out;
	}
	admin_host_detail(detail, sizeof(detail), h);
	admin_audit(c, "host.update", h->name, detail);
	rc = store_host_get(c->srv->store, name, h);
	if (rc) {
		rc = admin_fail(c, rc, NULL);
		goto out;
	}
	admin_host_rec(&c->out, h);
	rc = admin_reply(c, 200, 0);
out:
	free(h);
	return rc;
}

static int admin_host_show(struct admin_ctx *c, const char *name)
{
	struct store_host *h = calloc(1, sizeof(*h));
	int rc = -ENOMEM;

	if (!h)
		return rc;
	rc = 0;
	if (admin_host_get(c, name, h))
		goto out;
	admin_host_recfields(&c->out, h);
	admin_host_nodecert(c, name);
	admin_host_inventory(c, name);
	rc = admin_reply(c, 200, 0);
out:
	free(h);
	return rc;
}

static int admin_host_delete(struct admin_ctx *c, const char *name)
{
	struct store_host *h = calloc(1, sizeof(*h));
	int rc = -ENOMEM;

	if (!h)
		return rc;
	rc = 0;
	if (admin_host_get(c, name, h))
		goto out;
	rc = store_host_delete(c->srv->store, name);
	if (rc) {
		rc = admin_fail(c, rc, NULL);
		goto out;
	}
	admin_audit(c, "host.delete", name, "");
	record_buf_field(&c->out, "name", name);
	record_buf_field(&c->out, "deleted", "1");
	record_buf_endrec(&c->out);
	rc = admin_reply(c, 200, 0);
out:
	free(h);
	return rc;
}

static int admin_host_list(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = store_host_list(c->srv->store, admin_host_list_cb, &c->out);
	if (rc)
		return admin_fail(c, rc, NULL);
	return admin_reply(c, 200, 0);
}

/* -------------------------------------------------- credentials, tokens */

static int admin_credential(struct admin_ctx *c, const char *name)
{
	static const char *const fields[] = { "action", "credential", NULL };
	char cred[STORE_TOKEN_HEX + 1] = "";
	struct store_host *h = calloc(1, sizeof(*h));
	const char *act;
	int rc = -ENOMEM;

	if (!h)
		return rc;
	rc = admin_form(c, fields);
	if (rc || c->resp->status || admin_host_get(c, name, h))
		goto out;
	act = admin_field(c, "action");
	if (!act)
		act = "issue";
	if (!strcmp(act, "revoke")) {
		rc = store_cred_revoke(c->srv->store, name);
		if (rc) {
			rc = admin_fail(c, rc, NULL);
			goto out;
		}
		admin_audit(c, "host.credential.revoke", name, "");
		record_buf_field(&c->out, "host", name);
		record_buf_field(&c->out, "credential", "revoked");
		record_buf_endrec(&c->out);
		rc = admin_reply(c, 200, 0);
		goto out;
	}
	if (!strcmp(act, "confirm")) {
		/* the second phase: epoxyctl stored the new credential */
		const char *v = admin_field(c, "credential");

		rc = v ? store_cred_confirm(c->srv->store, name, v) : -EPX_E_ADM_MISSING;
		if (rc) {
			rc = admin_fail(c, rc, rc == -EPX_E_ADM_MISSING ? "credential" : NULL);
			goto out;
		}
		admin_audit(c, "host.credential.confirm", name, "");
		record_buf_field(&c->out, "host", name);
		record_buf_field(&c->out, "credential", "active");
		record_buf_endrec(&c->out);
		rc = admin_reply(c, 200, 0);
		goto out;
	}
	if (strcmp(act, "issue") && strcmp(act, "rotate")) {
		rc = admin_fail(c, -EPX_E_ADM_FIELD, "action: want issue, rotate, confirm or revoke");
		goto out;
	}
	if (!strcmp(act, "issue") && h->has_credential && !h->credential_revoked) {
		rc = admin_fail(c, -EPX_E_ADM_EXISTS,
				"host already has a credential; use --rotate to replace it");
		goto out;
	}
	rc = store_cred_pend(c->srv->store, name, cred);
	if (rc) {
		rc = admin_fail(c, rc, NULL);
		goto out;
	}
	/* pending until confirmed (or first used by the node): the host's
	 * current credential keeps working until then */
	admin_audit(c, !strcmp(act, "issue") ? "host.credential.issue" :
		    "host.credential.rotate", name, "pending");
	record_buf_field(&c->out, "host", name);
	record_buf_field(&c->out, "credential", cred);
	if (h->n_macs) /* for the node's boot option (epoxyctl --vars) */
		record_buf_field(&c->out, "mac", h->macs[0]);
	record_buf_field(&c->out, "boot_path", store_boot_path(h->boot_direct));
	record_buf_endrec(&c->out);
	rc = admin_reply(c, 200, 1);
out:
	explicit_bzero(cred, sizeof(cred));
	free(h);
	return rc;
}

static int admin_token(struct admin_ctx *c, const char *name)
{
	static const char *const fields[] = { "ttl", NULL };
	char tok[STORE_TOKEN_HEX + 1] = "", detail[64];
	struct store_host *h = calloc(1, sizeof(*h));
	uint64_t ttl = ADMIN_TTL_DEFAULT;
	const char *v;
	int rc = -ENOMEM;

	if (!h)
		return rc;
	rc = admin_form(c, fields);
	if (rc || c->resp->status || admin_host_get(c, name, h))
		goto out;
	v = admin_field(c, "ttl");
	if (v && admin_num(v, 1, STORE_TTL_MAX, &ttl)) {
		rc = admin_fail(c, -EPX_E_ADM_FIELD, "ttl: want seconds, 1 to 604800");
		goto out;
	}
	rc = store_boot_token_issue(c->srv->store, name, (int64_t)ttl, tok);
	if (rc) {
		rc = admin_fail(c, rc, NULL);
		goto out;
	}
	snprintf(detail, sizeof(detail), "ttl=%" PRIu64, ttl);
	admin_audit(c, "token.issue", name, detail);
	record_buf_field(&c->out, "host", name);
	record_buf_field(&c->out, "token", tok);
	record_buf_fieldu(&c->out, "ttl", ttl);
	record_buf_fieldu(&c->out, "expires",
		       (unsigned long long)(store_now(c->srv->store) + (int64_t)ttl));
	record_buf_endrec(&c->out);
	rc = admin_reply(c, 200, 1);
out:
	explicit_bzero(tok, sizeof(tok));
	free(h);
	return rc;
}

/* --------------------------------------------------------- why, sessions */

static int admin_report_cb(const struct store_report *r, void *arg)
{
	struct record_buf *b = arg;
	char tail[STORE_TAIL_MAX + 1];
	size_t i;

	/* NUL cannot travel in a record field; the store forbids it anyway */
	for (i = 0; i < r->tail_len && i < STORE_TAIL_MAX; i++)
		tail[i] = r->tail[i] ? r->tail[i] : '?';
	tail[i] = '\0';
	record_buf_field(b, "type", "report");
	record_buf_fieldu(b, "time", (unsigned long long)r->time);
	record_buf_field(b, "session", r->session);
	record_buf_field(b, "stage", r->stage);
	record_buf_field(b, "status", r->status);
	record_buf_field(b, "code", r->code);
	record_buf_field(b, "tail", tail);
	record_buf_endrec(b);
	return b->err;
}

static void admin_session_rec(struct record_buf *b, const struct store_session *s)
{
	record_buf_field(b, "id", s->id);
	record_buf_field(b, "host", s->host);
	record_buf_fieldu(b, "version", s->version);
	record_buf_field(b, "hwclass", s->hwclass);
	record_buf_field(b, "state", s->state);
	record_buf_fieldu(b, "opened", (unsigned long long)s->opened);
	record_buf_fieldu(b, "closed", (unsigned long long)s->closed);
}

static int admin_session_cb(const struct store_session *s, void *arg)
{
	struct record_buf *b = arg;

	admin_session_rec(b, s);
	record_buf_endrec(b);
	return b->err;
}

static int admin_why_session_cb(const struct store_session *s, void *arg)
{
	struct record_buf *b = arg;

	record_buf_field(b, "type", "session");
	admin_session_rec(b, s);
	record_buf_endrec(b);
	return b->err;
}

static int admin_last_report_cb(const struct store_report *r, void *arg)
{
	struct store_report *last = arg;

	memcpy(last->session, r->session, sizeof(last->session));
	return 1;
}

static int admin_why(struct admin_ctx *c, const char *name)
{
	struct store_report *last = malloc(sizeof(*last)); /* 4 KiB: heap */
	struct store_session sess;
	struct store_host *h = calloc(1, sizeof(*h));
	int rc = -ENOMEM;

	if (!h || !last)
		goto out;
	rc = 0;
	if (admin_host_get(c, name, h))
		goto out;
	record_buf_field(&c->out, "type", "host");
	admin_host_rec(&c->out, h);
	/* the session the last report came from, else the newest one */
	last->session[0] = '\0';
	rc = store_report_list(c->srv->store, name, 1, admin_last_report_cb, last);
	if (!rc && last->session[0] &&
	    store_session_get(c->srv->store, last->session, &sess) == 0)
		rc = admin_why_session_cb(&sess, &c->out);
	else if (!rc)
		rc = store_session_list(c->srv->store, name, 1, admin_why_session_cb, &c->out);
	if (!rc)
		rc = store_report_list(c->srv->store, name, ADMIN_REPORTS_WHY,
				       admin_report_cb, &c->out);
	rc = rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
out:
	free(last);
	free(h);
	return rc;
}

static int admin_sessions(struct admin_ctx *c)
{
	static const char *const q[] = { "host", "limit", NULL };
	const char *host;
	size_t limit;
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	host = admin_query(c, "host");
	if (admin_list_limit(c, &limit))
		return admin_fail(c, -EPX_E_ADM_FIELD, "limit: want 1 to 10000");
	if (host && !admin_name_ok(host))
		return admin_fail(c, -EPX_E_ADM_NAME, NULL);
	rc = store_session_list(c->srv->store, host, limit, admin_session_cb, &c->out);
	if (rc)
		return admin_fail(c, rc, NULL);
	return admin_reply(c, 200, 0);
}

/* ---------------------------------------------------------------- sites */

static int admin_site_cb(const struct store_site *st, void *arg)
{
	struct record_buf *b = arg;

	record_buf_field(b, "name", st->name);
	record_buf_field(b, "description", st->description);
	record_buf_fieldu(b, "created", (unsigned long long)st->created);
	record_buf_endrec(b);
	return b->err;
}

static int admin_sites(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = store_site_list(c->srv->store, admin_site_cb, &c->out);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

static int admin_site_add(struct admin_ctx *c)
{
	static const char *const fields[] = { "name", "description", NULL };
	const char *name, *desc;
	struct store_site st;
	size_t i;
	int rc = admin_form(c, fields);

	if (rc || c->resp->status)
		return rc;
	name = admin_field(c, "name");
	desc = admin_field(c, "description");
	if (!name)
		return admin_fail(c, -EPX_E_ADM_MISSING, "field 'name' missing");
	if (!admin_label_ok(name))
		return admin_fail(c, -EPX_E_ADM_NAME, "site: want [a-z0-9._-]{1,64}");
	if (!desc)
		desc = "";
	for (i = 0; desc[i]; i++)
		if ((unsigned char)desc[i] < 0x20 || (unsigned char)desc[i] > 0x7e)
			return admin_fail(c, -EPX_E_ADM_FIELD, "description: printable ASCII only");
	if (i > STORE_TEXT_MAX)
		return admin_fail(c, -EPX_E_ADM_TOOBIG, "description: at most 1024 bytes");
	rc = store_site_add(c->srv->store, name, desc);
	if (rc)
		return admin_fail(c, rc, rc == -EPX_E_DB_EXISTS ? "site already exists" : NULL);
	admin_audit(c, "site.add", name, "");
	rc = store_site_get(c->srv->store, name, &st);
	if (rc)
		return admin_fail(c, rc, NULL);
	admin_site_cb(&st, &c->out);
	return admin_reply(c, 201, 0);
}

static int admin_site_delete(struct admin_ctx *c, const char *name)
{
	int rc;

	if (!admin_label_ok(name))
		return admin_fail(c, -EPX_E_ADM_NAME, "site: want [a-z0-9._-]{1,64}");
	rc = store_site_delete(c->srv->store, name);
	if (rc == -EPX_E_DB_NOTFOUND)
		return admin_failf(c, -EPX_E_ADM_NOTFOUND, "unknown site", name);
	if (rc)
		return admin_fail(c, rc, rc == -EPX_E_DB_INUSE ?
				  "hosts still belong to this site" : NULL);
	admin_audit(c, "site.delete", name, "");
	record_buf_field(&c->out, "name", name);
	record_buf_field(&c->out, "deleted", "1");
	record_buf_endrec(&c->out);
	return admin_reply(c, 200, 0);
}

/* ------------------------------------------------------------- releases */

static int admin_release_cb(const struct store_release *r, void *arg)
{
	struct record_buf *b = arg;
	int i;

	record_buf_fieldu(b, "version", r->version);
	record_buf_field(b, "hwclass", r->hwclass);
	record_buf_fieldu(b, "expires", (unsigned long long)r->expires);
	record_buf_fieldu(b, "published", (unsigned long long)r->published);
	record_buf_field(b, "manifest", r->manifest_sha256);
	for (i = 0; i < STORE_ROLES; i++) {
		char key[32];

		snprintf(key, sizeof(key), "%s_len", store_role_name((enum store_role)i));
		record_buf_fieldu(b, key, r->art[i].length);
		snprintf(key, sizeof(key), "%s_sha256", store_role_name((enum store_role)i));
		record_buf_field(b, key, r->art[i].sha256);
	}
	record_buf_endrec(b);
	return b->err;
}

static int admin_releases(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = store_release_list(c->srv->store, admin_release_cb, &c->out);
	if (rc)
		return admin_fail(c, rc, NULL);
	return admin_reply(c, 200, 0);
}

/* The request body, in memory or spooled to a file. */
static int admin_body_read(const struct http_req *r, uint64_t off, void *buf,
			   size_t n)
{
	ssize_t got;

	if (off > r->body_len || n > r->body_len - off)
		return -EPX_E_ART_LENGTH;
	if (r->body_fd < 0) {
		memcpy(buf, r->body + off, n);
		return 0;
	}
	while (n) {
		got = pread(r->body_fd, buf, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -EIO;
		buf = (uint8_t *)buf + got;
		off += (uint64_t)got;
		n -= (size_t)got;
	}
	return 0;
}

/* Hashes body[off, off+len); copies it to fd when fd >= 0. */
static int admin_body_hash(const struct http_req *r, uint64_t off, uint64_t len,
			   int fd, uint8_t sum[32])
{
	mbedtls_sha256_context ctx;
	uint8_t *buf = malloc(ADMIN_IO_CHUNK);
	int rc = -ENOMEM;

	if (!buf)
		return rc;
	mbedtls_sha256_init(&ctx);
	mbedtls_sha256_starts_ret(&ctx, 0);
	while (len) {
		size_t n = len < ADMIN_IO_CHUNK ? (size_t)len : ADMIN_IO_CHUNK;

		rc = admin_body_read(r, off, buf, n);
		if (rc)
			goto out;
		mbedtls_sha256_update_ret(&ctx, buf, n);
		if (fd >= 0 && write(fd, buf, n) != (ssize_t)n) {
			rc = -EIO;
			goto out;
		}
		off += n;
		len -= n;
	}
	mbedtls_sha256_finish_ret(&ctx, sum);
	rc = 0;
out:
	mbedtls_sha256_free(&ctx);
	free(buf);
	return rc;
}

/* Writes body[off, off+len) to objects/<hex> (tmp, fsync, rename) and
 * checks on the way that its SHA-256 is still want.  Everything goes
 * through data_dir's descriptor (opened before the privilege drop), so no
 * directory above data_dir needs to be searchable by the service user.
 * A failure of the file system is logged with its errno and returned as
 * -EPX_E_OBJ_IO (a 500), never as a fault of the request. */
static int admin_object_write(struct admin_ctx *c, uint64_t off, uint64_t len,
			      const uint8_t want[32], const char *hex)
{
	static atomic_uint seq;
	char tmp[64];
	uint8_t sum[32];
	int fd = -1, odir = -1, ddir, own = 0, err = 0, rc = -EPX_E_OBJ_IO;

	snprintf(tmp, sizeof(tmp), ".tmp-%ld-%u", (long)getpid(), atomic_fetch_add(&seq, 1));
	ddir = http_dir(c->srv, HTTP_DIR_DATA, &own);
	if (ddir < 0) {
		err = -ddir;
		goto out;
	}
	if (mkdirat(ddir, "objects", 0755) && errno != EEXIST)
		err = errno;
	if (!err && (odir = openat(ddir, "objects", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				   O_CLOEXEC)) < 0)
		err = errno;
	if (!err && (fd = openat(odir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				 O_CLOEXEC, 0600)) < 0)
		err = errno;
	if (err)
		goto out;
	rc = admin_body_hash(c->req, off, len, fd, sum);
	if (!rc && memcmp(sum, want, 32))
		rc = -EPX_E_ART_HASH;
	if (!rc && (fchmod(fd, 0644) || fsync(fd) || renameat(odir, tmp, odir, hex) ||
		    fsync(odir))) {
		err = errno;
		rc = -EPX_E_OBJ_IO;
	}
	if (rc)
		unlinkat(odir, tmp, 0);
out:
	if (err)
		log_msg(LOG_ERR, "data_dir %s/objects/%s: %s", c->srv->cfg->data_dir,
			hex, strerror(err));
	if (fd >= 0)
		close(fd);
	if (odir >= 0)
		close(odir);
	if (own)
		close(ddir);
	return rc;
}

static int admin_publish_check(struct admin_ctx *c, const struct manifest *m,
			       uint64_t mlen)
{
	uint64_t off = mlen, total = mlen;
	uint8_t sum[32];
	int i, rc;

	for (i = 0; i < MANIFEST_NROLES; i++) {
		if (m->art[i].length > UINT64_MAX - total)
			return -EPX_E_ART_LENGTH;
		total += m->art[i].length;
	}
	if (total != c->req->body_len)
		return -EPX_E_ART_LENGTH;
	for (i = 0; i < MANIFEST_NROLES; i++) {
		rc = admin_body_hash(c->req, off, m->art[i].length, -1, sum);
		if (rc)
			return rc;
		if (memcmp(sum, m->art[i].sha256, 32))
			return -EPX_E_ART_HASH;
		off += m->art[i].length;
	}
	return 0;
}

static int admin_publish_store(struct admin_ctx *c, const struct manifest *m,
			       const uint8_t *mbuf, uint64_t mlen)
{
	struct store_release r;
	uint64_t off = mlen;
	char detail[ADMIN_DETAIL_MAX], subject[STORE_SUBJECT_MAX + 1];
	int i, rc;

	memset(&r, 0, sizeof(r));
	r.version = m->version;
	snprintf(r.hwclass, sizeof(r.hwclass), "%s", m->hwclass);
	r.expires = m->expires;
	for (i = 0; i < MANIFEST_NROLES; i++) {
		enum store_role sr;

		if (store_role_parse(manifest_role_name((enum manifest_role)i), &sr))
			return -EPX_E_ART_ROLE;
		r.art[sr].length = m->art[i].length;
		hex_encode(m->art[i].sha256, 32, r.art[sr].sha256);
		rc = admin_object_write(c, off, m->art[i].length, m->art[i].sha256,
					r.art[sr].sha256);
		if (rc)
			return rc;
		off += m->art[i].length;
	}
	rc = store_release_publish(c->srv->store, &r, mbuf, (size_t)mlen);
	if (rc)
		return rc;
	snprintf(subject, sizeof(subject), "%s/%" PRIu32, r.hwclass, r.version);
	snprintf(detail, sizeof(detail), "expires=%" PRId64 " kernel=%.16s initramfs=%.16s cmdline=%.16s join=%.16s",
		 r.expires, r.art[STORE_ROLE_KERNEL].sha256,
		 r.art[STORE_ROLE_INITRAMFS].sha256, r.art[STORE_ROLE_CMDLINE].sha256,
		 r.art[STORE_ROLE_JOIN].sha256);
	admin_audit(c, "release.publish", subject, detail);
	return store_release_get(c->srv->store, r.hwclass, r.version, &r) ?:
	       admin_release_cb(&r, &c->out);
}

static int admin_publish(struct admin_ctx *c)
{
	static const char *const q[] = { "manifest", NULL };
	struct store_release old;
	struct manifest m;
	uint8_t *mbuf = NULL;
	uint64_t mlen;
	const char *v;
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	if (strncmp(c->req->content_type, "application/octet-stream", 24))
		return admin_fail(c, -EPX_E_ADM_CTYPE, "want Content-Type application/octet-stream");
	v = admin_query(c, "manifest");
	if (!v || admin_num(v, 1, STORE_MANIFEST_MAX, &mlen) || mlen > c->req->body_len)
		return admin_fail(c, -EPX_E_ADM_FIELD,
				  "query 'manifest' must give the manifest's length (1-16384, within the body)");
	if (!c->srv->keyset)
		return admin_fail(c, -EPX_E_ADM_KEYSET, NULL);
	mbuf = malloc((size_t)mlen);
	if (!mbuf)
		return -ENOMEM;
	rc = admin_body_read(c->req, 0, mbuf, (size_t)mlen);
	if (!rc)
		rc = manifest_verify(&m, (const char *)mbuf, (size_t)mlen, c->srv->keyset);
	if (rc) {
		rc = admin_fail(c, rc, NULL);
		goto out;
	}
	if (m.expires <= store_now(c->srv->store)) {
		rc = admin_fail(c, -EPX_E_MF_EXPIRED, NULL);
		goto out;
	}
	if (!store_release_get(c->srv->store, m.hwclass, m.version, &old)) {
		rc = admin_fail(c, -EPX_E_ADM_EXISTS, "this version is already published for this hardware class");
		goto out;
	}
	rc = admin_publish_check(c, &m, mlen);
	if (!rc)
		rc = admin_publish_store(c, &m, mbuf, mlen);
	rc = rc ? admin_fail(c, rc, NULL) : admin_reply(c, 201, 0);
out:
	free(mbuf);
	return rc;
}

/* ---------------------------------------------------------------- dbx */

static int admin_dbx_cb(const struct store_dbx *d, struct record_buf *b)
{
	record_buf_field(b, "sha256", d->sha256);
	record_buf_fieldu(b, "hashes", d->hashes);
	record_buf_fieldu(b, "length", d->length);
	record_buf_fieldu(b, "published", (unsigned long long)d->published);
	record_buf_field(b, "actor", d->actor);
	record_buf_endrec(b);
	return b->err;
}

/* GET /admin/v1/dbx: the current dbx update (no record when none). */
static int admin_dbx_show(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	struct store_dbx d;
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = store_dbx_get(c->srv->store, NULL, &d, NULL, NULL);
	if (rc == 0)
		rc = admin_dbx_cb(&d, &c->out);
	if (rc && rc != -EPX_E_DB_NOTFOUND)
		return admin_fail(c, rc, NULL);
	return admin_reply(c, 200, 0);
}

/* POST /admin/v1/dbx, body: the update epoxy-pki dbx-append wrote.  Its
 * shape is checked here (the firmware checks its signature): a wrong file
 * is refused by name instead of failing every node's boot. */
static int admin_dbx_publish(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	char sha[STORE_HASH_HEX + 1], detail[ADMIN_DETAIL_MAX];
	struct dbx_update u;
	struct store_dbx d;
	uint8_t *buf = NULL;
	size_t len = c->req->body_len;
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	if (strncmp(c->req->content_type, "application/octet-stream", 24))
		return admin_fail(c, -EPX_E_ADM_CTYPE, "want Content-Type application/octet-stream");
	if (len > DBX_UPDATE_MAX)
		return admin_fail(c, -EPX_E_ADM_TOOBIG, "a dbx update is at most 32768 bytes");
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	rc = admin_body_read(c->req, 0, buf, len);
	if (!rc)
		rc = dbx_parse(&u, buf, len);
	if (!rc)
		rc = store_dbx_publish(c->srv->store, buf, len, (uint32_t)u.nhash,
				       c->actor, sha);
	if (!rc) {
		snprintf(detail, sizeof(detail), "hashes=%zu length=%zu", u.nhash, len);
		admin_audit(c, "image.retire", sha, detail);
		rc = store_dbx_get(c->srv->store, sha, &d, NULL, NULL);
	}
	if (!rc)
		rc = admin_dbx_cb(&d, &c->out);
	rc = rc ? admin_fail(c, rc, NULL) : admin_reply(c, 201, 0);
	free(buf);
	return rc;
}

struct admin_find {
	uint32_t version;
	int found;
};

static int admin_find_cb(const struct store_release *r, void *arg)
{
	struct admin_find *f = arg;

	if (r->version == f->version) {
		f->found = 1;
		return 1;
	}
	return 0;
}

/* 0 if a release of version exists (any hwclass); else the answer is set. */
static int admin_need_release(struct admin_ctx *c, uint32_t version)
{
	struct admin_find f = { version, 0 };
	int rc = store_release_list(c->srv->store, admin_find_cb, &f);

	if (rc) {
		admin_fail(c, rc, NULL);
		return 1;
	}
	if (!f.found) {
		admin_fail(c, -EPX_E_ADM_NORELEASE, "no published release has this version");
		return 1;
	}
	return 0;
}

static int admin_promote(struct admin_ctx *c, const char *channel)
{
	static const char *const fields[] = { "version", NULL };
	char detail[64];
	uint64_t v;
	int rc = admin_form(c, fields);

	if (rc || c->resp->status)
		return rc;
	if (!admin_label_ok(channel))
		return admin_fail(c, -EPX_E_ADM_NAME, "channel: want [a-z0-9._-]{1,64}");
	if (!admin_field(c, "version") || admin_num(admin_field(c, "version"), 1, UINT32_MAX, &v))
		return admin_fail(c, -EPX_E_ADM_FIELD, "version: want a release version");
	if (admin_need_release(c, (uint32_t)v))
		return 0;
	rc = store_channel_set(c->srv->store, channel, (uint32_t)v);
	if (rc)
		return admin_fail(c, rc, NULL);
	snprintf(detail, sizeof(detail), "version=%" PRIu64, v);
	admin_audit(c, "release.promote", channel, detail);
	record_buf_field(&c->out, "channel", channel);
	record_buf_fieldu(&c->out, "version", v);
	record_buf_endrec(&c->out);
	return admin_reply(c, 200, 0);
}

static int admin_pin_host(struct admin_ctx *c, const char *name, uint32_t v)
{
	struct store_host *h = calloc(1, sizeof(*h));
	char detail[64];
	int rc = -ENOMEM;

	if (!h)
		return rc;
	rc = 0;
	if (admin_host_get(c, name, h))
		goto out;
	h->pinned_version = v;
	rc = store_host_update(c->srv->store, h);
	if (rc) {
		rc = admin_fail(c, rc, NULL);
		goto out;
	}
	snprintf(detail, sizeof(detail), "version=%" PRIu32, v);
	admin_audit(c, "release.pin.host", name, detail);
	record_buf_field(&c->out, "host", name);
	record_buf_fieldu(&c->out, "version", v);
	record_buf_endrec(&c->out);
	rc = admin_reply(c, 200, 0);
out:
	free(h);
	return rc;
}

static int admin_pin(struct admin_ctx *c)
{
	static const char *const fields[] = { "host", "group", "channel", "version", NULL };
	const char *host, *group, *channel;
	char detail[128];
	uint64_t v;
	int rc = admin_form(c, fields);

	if (rc || c->resp->status)
		return rc;
	host = admin_field(c, "host");
	group = admin_field(c, "group");
	channel = admin_field(c, "channel");
	if (!!host == !!group)
		return admin_fail(c, -EPX_E_ADM_MISSING, "give exactly one of 'host' or 'group'");
	if (!admin_field(c, "version") || admin_num(admin_field(c, "version"), 0, UINT32_MAX, &v))
		return admin_fail(c, -EPX_E_ADM_FIELD, "version: want a release version (0: remove the pin)");
	if (v && admin_need_release(c, (uint32_t)v))
		return 0;
	if (host) {
		if (channel)
			return admin_fail(c, -EPX_E_ADM_UNKNOWN, "'channel' applies to group pins only");
		return admin_pin_host(c, host, (uint32_t)v);
	}
	if (!channel)
		channel = "stable";
	if (!admin_label_ok(group) || !admin_label_ok(channel))
		return admin_fail(c, -EPX_E_ADM_NAME, "group and channel: want [a-z0-9._-]{1,64}");
	rc = store_group_pin(c->srv->store, group, channel, (uint32_t)v);
	if (rc)
		return admin_fail(c, rc, NULL);
	snprintf(detail, sizeof(detail), "channel=%s version=%" PRIu64, channel, v);
	admin_audit(c, "release.pin.group", group, detail);
	record_buf_field(&c->out, "group", group);
	record_buf_field(&c->out, "channel", channel);
	record_buf_fieldu(&c->out, "version", v);
	record_buf_endrec(&c->out);
	return admin_reply(c, 200, 0);
}

/* ------------------------------------------------------------ rollouts */


/* One rollout as a record: the same fields for start, status and list. */
static int admin_rollout_cb(const struct store_rollout *ro, void *arg)
{
	struct record_buf *b = arg;
	char canary[16];

	snprintf(canary, sizeof(canary), "%" PRIu32 "%s",
		 ro->spec.canary ? ro->spec.canary : ro->spec.canary_pct,
		 ro->spec.canary ? "" : "%");
	record_buf_field(b, "channel", ro->channel);
	record_buf_fieldu(b, "id", (unsigned long long)ro->id);
	record_buf_fieldu(b, "version", ro->version);
	record_buf_fieldu(b, "from", ro->from_version);
	record_buf_field(b, "state", ro->state);
	record_buf_fieldu(b, "wave", (unsigned long long)ro->wave);
	record_buf_fieldu(b, "waves", (unsigned long long)ro->waves);
	record_buf_fieldu(b, "hosts", ro->hosts);
	record_buf_fieldu(b, "waiting", ro->waiting);
	record_buf_fieldu(b, "moved", ro->moved);
	record_buf_fieldu(b, "joined", ro->joined);
	record_buf_fieldu(b, "failed", ro->failed);
	record_buf_fieldu(b, "gone", ro->gone);
	record_buf_fieldu(b, "wave_hosts", ro->wave_hosts);
	record_buf_fieldu(b, "wave_left", ro->wave_left);
	record_buf_field(b, "canary", canary);
	record_buf_fieldu(b, "step_pct", ro->spec.step_pct);
	record_buf_fieldu(b, "max_failures", ro->spec.max_failures);
	record_buf_fieldu(b, "wait", (unsigned long long)ro->spec.wait);
	record_buf_field(b, "actor", ro->actor);
	record_buf_fieldu(b, "created", (unsigned long long)ro->created);
	record_buf_fieldu(b, "updated", (unsigned long long)ro->updated);
	record_buf_endrec(b);
	return b->err;
}

/* POST /admin/v1/rollouts/<channel>: version, canary, step, max_failures,
 * wait (store_rollout_spec_parse's spellings).  The store audits. */
static int admin_rollout_start(struct admin_ctx *c, const char *channel)
{
	static const char *const fields[] = { "version", "canary", "step", "max_failures",
		"wait", NULL };
	struct store_rollout_spec sp;
	struct store_rollout ro;
	uint64_t v;
	int rc = admin_form(c, fields);

	if (rc || c->resp->status)
		return rc;
	if (!admin_label_ok(channel))
		return admin_fail(c, -EPX_E_ADM_NAME, "channel: want [a-z0-9._-]{1,64}");
	if (!admin_field(c, "version") || admin_num(admin_field(c, "version"), 1, UINT32_MAX, &v))
		return admin_fail(c, -EPX_E_ADM_FIELD, "version: want a release version");
	rc = store_rollout_spec_parse(admin_field(c, "canary"), admin_field(c, "step"),
				      admin_field(c, "max_failures"), admin_field(c, "wait"), &sp);
	if (rc)
		return admin_fail(c, rc, NULL);
	if (admin_need_release(c, (uint32_t)v))
		return 0;
	rc = store_rollout_start(c->srv->store, c->actor, channel, (uint32_t)v, &sp, &ro);
	if (rc)
		return admin_fail(c, rc, NULL);
	return admin_rollout_cb(&ro, &c->out) ?: admin_reply(c, 201, 0);
}

/* GET /admin/v1/rollouts/<channel>[?hosts=1]: the rollout, then with
 * hosts=1 one record per host (host, site, wave, state, moved_at, done_at,
 * code: a failed host's error code).  The status page's rollout view
 * (server/page_html.c) reads the same two store queries. */
static int admin_rollout_host_cb(const struct store_rollout_host *h, void *arg)
{
	struct record_buf *b = arg;

	record_buf_field(b, "host", h->host);
	record_buf_field(b, "site", h->site);
	record_buf_fieldu(b, "wave", (unsigned long long)h->wave);
	record_buf_field(b, "state", h->state);
	record_buf_fieldu(b, "moved_at", (unsigned long long)h->moved_at);
	record_buf_fieldu(b, "done_at", (unsigned long long)h->done_at);
	record_buf_field(b, "code", h->code);
	record_buf_endrec(b);
	return b->err;
}

static int admin_rollout_show(struct admin_ctx *c, const char *channel)
{
	static const char *const q[] = { "hosts", NULL };
	const char *hosts = admin_query(c, "hosts");
	struct store_rollout ro;
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	if (hosts && strcmp(hosts, "1"))
		return admin_fail(c, -EPX_E_ADM_FIELD, "hosts: want 1");
	if (!admin_label_ok(channel))
		return admin_fail(c, -EPX_E_ADM_NAME, "channel: want [a-z0-9._-]{1,64}");
	rc = store_rollout_get(c->srv->store, channel, &ro);
	if (rc == 0)
		rc = admin_rollout_cb(&ro, &c->out);
	if (rc == 0 && hosts)
		rc = store_rollout_hosts(c->srv->store, ro.id, admin_rollout_host_cb, &c->out);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

static int admin_rollouts(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = store_rollout_list(c->srv->store, admin_rollout_cb, &c->out);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

/* POST /admin/v1/rollouts/<channel>/<pause|resume|abort> (empty form). */
static int admin_rollout_verb(struct admin_ctx *c, const char *channel, const char *verb)
{
	static const char *const fields[] = { NULL };
	struct store_rollout ro;
	int rc;

	if (strcmp(verb, "pause") && strcmp(verb, "resume") && strcmp(verb, "abort"))
		return admin_fail(c, -EPX_E_ADM_NOTFOUND, "want pause, resume or abort");
	rc = admin_form(c, fields);
	if (rc || c->resp->status)
		return rc;
	if (!admin_label_ok(channel))
		return admin_fail(c, -EPX_E_ADM_NAME, "channel: want [a-z0-9._-]{1,64}");
	rc = store_rollout_set(c->srv->store, c->actor, channel, verb, &ro);
	if (rc)
		return admin_fail(c, rc, NULL);
	return admin_rollout_cb(&ro, &c->out) ?: admin_reply(c, 200, 0);
}

static int admin_route_rollouts(struct admin_ctx *c)
{
	if (c->nseg == 1)
		return admin_method(c, HTTP_GET) ? admin_rollouts(c) : 0;
	if (c->nseg == 2 && c->req->method == HTTP_GET)
		return admin_rollout_show(c, c->seg[1]);
	if (c->nseg == 2)
		return admin_method(c, HTTP_POST) ? admin_rollout_start(c, c->seg[1]) : 0;
	if (c->nseg == 3)
		return admin_method(c, HTTP_POST) ? admin_rollout_verb(c, c->seg[1], c->seg[2]) : 0;
	return admin_fail(c, -EPX_E_ADM_NOTFOUND, NULL);
}

/* ---------------------------------------------------- fleet, channels */

/* The status page's fleet view as records (server/fleet.c: the same query
 * and the same filter parser as the page). */
static int admin_fleet_cb(const struct fleet_row *r, void *arg)
{
	struct record_buf *b = arg;
	int num = 0;

	record_buf_field(b, "name", r->name);
	record_buf_field(b, "site", r->site);
	record_buf_field(b, "channel", r->channel);
	record_buf_field(b, "state", r->state);
	record_buf_fieldu(b, "release", r->release);
	record_buf_field(b, "last_stage", r->last_stage);
	record_buf_field(b, "last_status", r->last_status);
	record_buf_field(b, "last_code", r->last_code);
	record_buf_field(b, "meaning", r->last_code[0] &&
			 epx_code_parse(r->last_code, &num) == 0 ? epx_strerror(-num) : "");
	record_buf_fieldu(b, "last_seen", (unsigned long long)r->last_seen);
	record_buf_fieldu(b, "inventory_changed", (unsigned long long)r->inv_changed);
	record_buf_endrec(b);
	return b->err;
}

static int admin_fleet(struct admin_ctx *c)
{
	struct fleet_filter f;
	int more = 0, rc;

	rc = fleet_filter_parse(c->req->args, c->req->nargs, 1, &f);
	if (rc)
		return admin_fail(c, -EPX_E_ADM_FIELD,
				  "filter: site, state, release, group, limit only, each valid");
	rc = fleet_list(c->srv->store, &f, admin_fleet_cb, &c->out, &more);
	if (rc)
		return admin_fail(c, rc, NULL);
	return admin_reply(c, 200, 0);
}

/* Prometheus's file_sd document of the joined nodes (server/fleetsd.h):
 * JSON, not records, because Prometheus reads it as it is. */
static int admin_fleet_sd(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	char *doc = NULL;
	size_t len = 0;
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = fleetsd_render(c->srv->store, c->srv->cfg->sd_metrics_port, &doc, &len);
	if (rc)
		return admin_fail(c, rc, NULL);
	rc = http_resp_take(c->resp, 200, "application/json", doc, len);
	if (rc)
		free(doc);
	return rc;
}

static int admin_channel_cb(const char *name, uint32_t version, void *arg)
{
	struct record_buf *b = arg;

	record_buf_field(b, "channel", name);
	record_buf_fieldu(b, "version", version);
	record_buf_endrec(b);
	return b->err;
}

static int admin_channels(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = fleet_channels(c->srv->store, admin_channel_cb, &c->out);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

/* ---------------------------------------------------------------- audit */

static int admin_audit_cb(const struct store_audit *e, void *arg)
{
	struct record_buf *b = arg;

	record_buf_fieldu(b, "seq", (unsigned long long)e->seq);
	record_buf_fieldu(b, "time", (unsigned long long)e->time);
	record_buf_field(b, "actor", e->actor);
	record_buf_field(b, "action", e->action);
	record_buf_field(b, "subject", e->subject);
	record_buf_field(b, "detail", e->detail);
	record_buf_field(b, "prev", e->prev);
	record_buf_field(b, "hash", e->hash);
	record_buf_endrec(b);
	return b->err;
}

static int admin_audit_list(struct admin_ctx *c)
{
	static const char *const q[] = { "after", "limit", NULL };
	const char *after_s;
	uint64_t after = 0;
	size_t limit;
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	after_s = admin_query(c, "after");
	if (after_s && admin_num(after_s, 0, INT64_MAX, &after))
		return admin_fail(c, -EPX_E_ADM_FIELD, "after: want a sequence number");
	if (admin_list_limit(c, &limit))
		return admin_fail(c, -EPX_E_ADM_FIELD, "limit: want 1 to 10000");
	rc = store_audit_list(c->srv->store, (int64_t)after, limit, admin_audit_cb, &c->out);
	if (rc)
		return admin_fail(c, rc, NULL);
	return admin_reply(c, 200, 0);
}

/* The newest audit entries about one host: the host page's query. */
static int admin_host_audit(struct admin_ctx *c, const char *name)
{
	static const char *const q[] = { NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	if (!admin_name_ok(name))
		return admin_fail(c, -EPX_E_ADM_NAME, NULL);
	rc = fleet_host_audit(c->srv->store, name, admin_audit_cb, &c->out);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

static int admin_audit_verify(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	char reason[128];
	int64_t bad = 0;
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = store_audit_verify(c->srv->store, &bad);
	if (rc == -EPX_E_AUDIT_BROKEN) {
		snprintf(reason, sizeof(reason),
			 "audit chain broken at entry %" PRId64, bad);
		return admin_fail(c, rc, reason);
	}
	if (rc)
		return admin_fail(c, rc, NULL);
	record_buf_field(&c->out, "status", "ok");
	record_buf_endrec(&c->out);
	return admin_reply(c, 200, 0);
}

/* ------------------------------------------------------ slices (issue 14) */

#define ADMIN_SLICE_NODES 256    /* hosts + groups in one add/remove call */

/* Answers a store refusal of a slice change by its own code. */
static int admin_slice_fail(struct admin_ctx *c, int rc, const char *name)
{
	if (rc == -EPX_E_SLICE_NOTFOUND)
		return admin_failf(c, rc, "unknown slice", name);
	if (rc == -EPX_E_DB_EXISTS)
		return admin_failf(c, rc, "slice already exists", name);
	return admin_fail(c, rc, NULL);
}

static void admin_slice_attrs_rec(struct record_buf *b, const uint64_t attr[STORE_ATTR_N])
{
	size_t a;

	for (a = 0; a < STORE_ATTR_N; a++)
		record_buf_fieldu(b, store_attrs[a].name, (unsigned long long)attr[a]);
}

static int admin_slice_cb(const struct store_slice *sl, void *arg)
{
	struct admin_ctx *c = arg;
	struct record_buf *b = &c->out;

	record_buf_field(b, "name", sl->name);
	record_buf_field(b, "site", sl->site);
	record_buf_fieldu(b, "expires", (unsigned long long)sl->expires);
	record_buf_field(b, "state", sl->expires > http_now(c->srv) ? "live" : "expired");
	record_buf_field(b, "image", sl->vref);
	record_buf_field(b, "entry", sl->entry);
	record_buf_fieldu(b, "hosts", sl->n_hosts);
	record_buf_fieldu(b, "groups", sl->n_groups);
	record_buf_fieldu(b, "overrides", sl->n_overrides);
	admin_slice_attrs_rec(b, sl->attr);
	record_buf_field(b, "grants", sl->grants);
	record_buf_fieldu(b, "created", (unsigned long long)sl->created);
	record_buf_fieldu(b, "updated", (unsigned long long)sl->updated);
	record_buf_endrec(b);
	return b->err;
}

static int admin_slices(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = store_slice_list(c->srv->store, admin_slice_cb, c);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

/* One record per node and per group or host value, after the slice's. */
static int admin_slice_row_cb(const struct store_slice_row *r, void *arg)
{
	struct record_buf *b = arg;
	const char *scope = r->scope == STORE_SCOPE_HOST ? "host" : "group";

	if (r->value == UINT64_MAX) {   /* a node row (see admin_slice_show) */
		record_buf_field(b, "node", r->target);
		record_buf_field(b, "kind", scope);
	} else {
		record_buf_field(b, "value", store_attrs[r->attr].name);
		record_buf_field(b, "scope", scope);
		record_buf_field(b, "target", r->target);
		record_buf_fieldu(b, "set", (unsigned long long)r->value);
	}
	record_buf_endrec(b);
	return b->err;
}

static int admin_slice_node_cb(const struct store_slice_row *r, void *arg)
{
	struct store_slice_row n = *r;

	n.value = UINT64_MAX;
	return admin_slice_row_cb(&n, arg);
}

static int admin_sliver_rec(struct admin_ctx *c, const struct store_sliver *v,
			    const char *host)
{
	record_buf_field(&c->out, "slice", v->slice);
	record_buf_field(&c->out, "node", host);
	record_buf_field(&c->out, "site", v->site);
	record_buf_fieldu(&c->out, "expires", (unsigned long long)v->expires);
	record_buf_field(&c->out, "image", v->vref);
	record_buf_field(&c->out, "entry", v->entry);
	admin_slice_attrs_rec(&c->out, v->attr);
	record_buf_field(&c->out, "grants", v->grants);
	record_buf_endrec(&c->out);
	return c->out.err;
}

/* GET /admin/v1/slices/NAME: the slice, its nodes and its group and host
 * values; ?node=HOST: the slice's sliver on HOST, resolved. */
static int admin_slice_show(struct admin_ctx *c, const char *name)
{
	static const char *const q[] = { "node", NULL };
	const char *node = admin_query(c, "node");
	struct store_slice *sl = NULL;
	struct store_sliver *v = NULL;
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	if (node && !admin_name_ok(node))
		return admin_fail(c, -EPX_E_ADM_NAME, "node: want a host name");
	rc = -ENOMEM;
	sl = malloc(sizeof(*sl));
	v = malloc(sizeof(*v));
	if (!sl || !v)
		goto out;
	if (node) {
		rc = store_sliver_get(c->srv->store, name, node, v);
		if (rc == 0)
			rc = admin_sliver_rec(c, v, node);
	} else {
		rc = store_slice_get(c->srv->store, name, sl);
		if (rc == 0)
			rc = admin_slice_cb(sl, c);
		if (rc == 0)
			rc = store_slice_rows(c->srv->store, name, 0, admin_slice_node_cb, &c->out);
		if (rc == 0)
			rc = store_slice_rows(c->srv->store, name, 1, admin_slice_row_cb, &c->out);
	}
	if (rc == -EPX_E_SLICE_NOTFOUND && node)
		rc = admin_failf(c, rc, "no live sliver of this slice on", node);
	else
		rc = rc ? admin_slice_fail(c, rc, name) : admin_reply(c, 200, 0);
out:
	free(sl);
	free(v);
	return rc;
}

/* ttl field: seconds from now, STORE_SLICE_LIFE_MIN..MAX; *exp gets the
 * expiry.  1 when answered (refused). */
static int admin_slice_ttl(struct admin_ctx *c, int64_t *exp)
{
	const char *v = admin_field(c, "ttl");
	uint64_t t;

	if (!v) {
		admin_fail(c, -EPX_E_ADM_MISSING, "field 'ttl' missing (seconds)");
		return 1;
	}
	if (num_str_u64(v, STORE_SLICE_LIFE_MAX, &t) < 0 || t < STORE_SLICE_LIFE_MIN) {
		admin_fail(c, -EPX_E_SLICE_EXPIRY, "ttl: want 60..4838400 seconds (56 days)");
		return 1;
	}
	*exp = http_now(c->srv) + (int64_t)t;
	return 0;
}

/* The attribute fields of the form as changes ("" unsets).  1 answered. */
static int admin_slice_changes(struct admin_ctx *c, struct store_attr_change *ch,
			       size_t *n)
{
	char reason[160];
	const char *v;
	size_t a;

	*n = 0;
	for (a = 0; a < STORE_ATTR_N; a++) {
		const struct store_attr_def *d = &store_attrs[a];

		if (!(v = admin_field(c, d->name)))
			continue;
		ch[*n].attr = (enum store_attr)a;
		ch[*n].unset = !*v;
		ch[*n].value = 0;
		if (*v && (num_str_u64(v, d->max, &ch[*n].value) < 0 || ch[*n].value < d->min)) {
			snprintf(reason, sizeof(reason), "%s: want %llu..%llu (%s)", d->name,
				 (unsigned long long)d->min, (unsigned long long)d->max, d->unit);
			admin_fail(c, -EPX_E_SLICE_RANGE, reason);
			return 1;
		}
		(*n)++;
	}
	return 0;
}

static void admin_slice_detail(char *d, size_t cap, const struct store_attr_change *ch,
			       size_t n)
{
	size_t i, o = 0;

	d[0] = '\0';
	for (i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(d + o, cap - o, "%s%s=%s%llu", i ? " " : "",
				      store_attrs[ch[i].attr].name, ch[i].unset ? "unset" : "",
				      ch[i].unset ? 0ULL : (unsigned long long)ch[i].value);
}

static const char *const admin_slice_create_fields[] = {
	"name", "site", "image", "entry", "ttl", "cpu_share", "cpu_pct", "mem_max",
	"tasks_max", "disk_max", "net_min_rate", "net_max_rate", "net_max_bytes_per_day",
	NULL,
};

static int admin_slice_create(struct admin_ctx *c)
{
	struct store_attr_change ch[STORE_ATTR_N];
	char detail[ADMIN_DETAIL_MAX], ad[300];
	struct store_slice *sl;
	const char *f[4] = { "name", "site", "image", "entry" };
	size_t i, n;
	int rc = admin_form(c, admin_slice_create_fields);

	if (rc || c->resp->status)
		return rc;
	for (i = 0; i < 4; i++)
		if (!admin_field(c, f[i]))
			return admin_failf(c, -EPX_E_ADM_MISSING, "field missing", f[i]);
	if (!store_valid_slice(admin_field(c, "name")))
		return admin_fail(c, -EPX_E_SLICE_NAME, NULL);
	if (strlen(admin_field(c, "site")) > STORE_LABEL_MAX)
		return admin_fail(c, -EPX_E_SLICE_SITE, NULL);
	if (strlen(admin_field(c, "image")) > STORE_VREF_LEN)
		return admin_fail(c, -EPX_E_SLICE_IMAGE, NULL);
	if (strlen(admin_field(c, "entry")) > STORE_ENTRY_MAX)
		return admin_fail(c, -EPX_E_SLICE_ENTRY, NULL);
	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	rc = 0;
	if (admin_slice_ttl(c, &sl->expires) || admin_slice_changes(c, ch, &n))
		goto out;
	snprintf(sl->name, sizeof(sl->name), "%s", admin_field(c, "name"));
	snprintf(sl->site, sizeof(sl->site), "%s", admin_field(c, "site"));
	snprintf(sl->vref, sizeof(sl->vref), "%s", admin_field(c, "image"));
	snprintf(sl->entry, sizeof(sl->entry), "%s", admin_field(c, "entry"));
	for (i = 0; i < n; i++)
		if (ch[i].unset) {
			rc = admin_fail(c, -EPX_E_SLICE_RANGE, "an attribute at create needs a value");
			goto out;
		}
	rc = store_slice_add(c->srv->store, sl);
	if (rc == 0 && n)
		rc = store_slice_attrs(c->srv->store, sl->name, STORE_SCOPE_SLICE, "", ch, n);
	if (rc) {
		if (n)  /* the slice without its defaults is not what was asked */
			store_slice_delete(c->srv->store, sl->name);
		rc = admin_slice_fail(c, rc, sl->name);
		goto out;
	}
	admin_slice_detail(ad, sizeof(ad), ch, n);
	snprintf(detail, sizeof(detail), "site=%s expires=%lld image=%.23s %s", sl->site,
		 (long long)sl->expires, sl->vref, ad);
	admin_audit(c, "slice.create", sl->name, detail);
	rc = store_slice_get(c->srv->store, sl->name, sl);
	rc = rc ? admin_fail(c, rc, NULL) : admin_slice_cb(sl, c);
	if (rc == 0)
		rc = admin_reply(c, 201, 0);
out:
	free(sl);
	return rc;
}

/* One audit entry "slice.grant" naming what was asked and the list the
 * slice now holds (paths are node paths, never secrets: grant_denied). */
static void admin_slice_grant_audit(struct admin_ctx *c, const char *name, const char *grant,
				    const char *revoke, const char *now)
{
	char detail[ADMIN_DETAIL_MAX];

	snprintf(detail, sizeof(detail), "grant=%.120s revoke=%.120s now=%.200s%s",
		 grant ? grant : "-", revoke ? revoke : "-", *now ? now : "-",
		 strlen(now) > 200 ? "..." : "");
	admin_audit(c, "slice.grant", name, detail);
}

/* PATCH /admin/v1/slices/NAME: attribute values at the slice (default),
 * group=G or host=H scope; image and entry at the slice scope. */
static int admin_slice_set(struct admin_ctx *c, const char *name)
{
	static const char *const fields[] = {
		"host", "group", "image", "entry", "cpu_share", "cpu_pct", "mem_max",
		"tasks_max", "disk_max", "net_min_rate", "net_max_rate",
		"net_max_bytes_per_day", "grant", "revoke", NULL,
	};
	struct store_attr_change ch[STORE_ATTR_N];
	char detail[ADMIN_DETAIL_MAX], ad[300];
	const char *host, *group, *image, *entry, *grant, *revoke, *target = "";
	char gr[GRANT_LIST_MAX + 1];
	enum store_scope scope = STORE_SCOPE_SLICE;
	size_t n;
	int rc = admin_form(c, fields);

	if (rc || c->resp->status)
		return rc;
	host = admin_field(c, "host");
	group = admin_field(c, "group");
	image = admin_field(c, "image");
	entry = admin_field(c, "entry");
	if (host && group)
		return admin_fail(c, -EPX_E_ADM_FIELD, "give host or group, not both");
	if ((host || group) && (image || entry))
		return admin_fail(c, -EPX_E_ADM_FIELD, "image and entry belong to the whole slice");
	grant = admin_field(c, "grant");
	revoke = admin_field(c, "revoke");
	if ((host || group) && (grant || revoke))
		return admin_fail(c, -EPX_E_ADM_GRANTSCOPE, NULL);
	if ((grant && strlen(grant) > GRANT_EDIT_MAX) || (revoke && strlen(revoke) > GRANT_EDIT_MAX))
		return admin_fail(c, -EPX_E_SLICE_GRANTS, NULL);
	if (host && !admin_name_ok(host))
		return admin_fail(c, -EPX_E_SLICE_NODE, "host: want a host name");
	if (group && !admin_label_ok(group))
		return admin_fail(c, -EPX_E_SLICE_NODE, "group: want [a-z0-9._-]{1,64}");
	if (host || group) {
		scope = host ? STORE_SCOPE_HOST : STORE_SCOPE_GROUP;
		target = host ? host : group;
	}
	if (admin_slice_changes(c, ch, &n))
		return 0;
	if (!n && !image && !entry && !grant && !revoke)
		return admin_fail(c, -EPX_E_ADM_MISSING, "nothing to set");
	if (image && strlen(image) > STORE_VREF_LEN)
		return admin_fail(c, -EPX_E_SLICE_IMAGE, NULL);
	/* grants first: a refused grant changes nothing else */
	rc = grant || revoke ? store_slice_grant(c->srv->store, name, grant, revoke, gr) : 0;
	if (rc == 0 && (image || entry))
		rc = store_slice_update(c->srv->store, name, image, entry);
	if (rc == 0 && n)
		rc = store_slice_attrs(c->srv->store, name, scope, target, ch, n);
	if (rc)
		return admin_slice_fail(c, rc, name);
	if (grant || revoke)
		admin_slice_grant_audit(c, name, grant, revoke, gr);
	admin_slice_detail(ad, sizeof(ad), ch, n);
	snprintf(detail, sizeof(detail), "%s%s%s%s%s%s", host ? "host=" : group ? "group=" : "",
		 target, *target ? " " : "", image ? "image changed " : "",
		 entry ? "entry changed " : "", ad);
	if (n || image || entry)
		admin_audit(c, "slice.set", name, detail);
	return admin_slice_show(c, name);
}

/* POST /admin/v1/slices/NAME/add-nodes|remove-nodes: hosts=a,b groups=g */
static int admin_slice_nodes(struct admin_ctx *c, const char *name, int add)
{
	static const char *const fields[] = { "hosts", "groups", NULL };
	char (*hbuf)[STORE_NAME_MAX + 1] = NULL, (*gbuf)[STORE_LABEL_MAX + 1] = NULL;
	const char *hp[ADMIN_SLICE_NODES], *gp[ADMIN_SLICE_NODES], *v;
	char detail[ADMIN_DETAIL_MAX];
	size_t nh = 0, ng = 0, i;
	int rc = admin_form(c, fields);

	if (rc || c->resp->status)
		return rc;
	if (!admin_field(c, "hosts") && !admin_field(c, "groups"))
		return admin_fail(c, -EPX_E_ADM_MISSING, "give hosts=... and/or groups=...");
	hbuf = calloc(ADMIN_SLICE_NODES, sizeof(*hbuf));
	gbuf = calloc(ADMIN_SLICE_NODES, sizeof(*gbuf));
	rc = -ENOMEM;
	if (!hbuf || !gbuf)
		goto out;
	rc = 0;
	if ((v = admin_field(c, "hosts")) &&
	    admin_split(v, &hbuf[0][0], sizeof(hbuf[0]), ADMIN_SLICE_NODES, &nh)) {
		rc = admin_fail(c, -EPX_E_SLICE_NODE, "hosts: want up to 256 comma-separated host names");
		goto out;
	}
	if ((v = admin_field(c, "groups")) &&
	    admin_split(v, &gbuf[0][0], sizeof(gbuf[0]), ADMIN_SLICE_NODES, &ng)) {
		rc = admin_fail(c, -EPX_E_SLICE_NODE, "groups: want up to 256 comma-separated labels");
		goto out;
	}
	if (nh + ng > ADMIN_SLICE_NODES) {
		rc = admin_fail(c, -EPX_E_SLICE_TOOMANY, "at most 256 nodes in one call");
		goto out;
	}
	for (i = 0; i < nh; i++)
		hp[i] = hbuf[i];
	for (i = 0; i < ng; i++)
		gp[i] = gbuf[i];
	rc = store_slice_nodes(c->srv->store, name, add, hp, nh, gp, ng);
	if (rc == -EPX_E_SLICE_NODE) {
		rc = admin_fail(c, rc, add ? "a host is unknown, or a node is already in the slice" :
				"a node is not in the slice");
		goto out;
	}
	if (rc) {
		rc = admin_slice_fail(c, rc, name);
		goto out;
	}
	snprintf(detail, sizeof(detail), "hosts=%zu groups=%zu first=%s", nh, ng,
		 nh ? hp[0] : ng ? gp[0] : "-");
	admin_audit(c, add ? "slice.add-nodes" : "slice.remove-nodes", name, detail);
	rc = admin_slice_show(c, name);
out:
	free(hbuf);
	free(gbuf);
	return rc;
}

static int admin_slice_renew(struct admin_ctx *c, const char *name)
{
	static const char *const fields[] = { "ttl", NULL };
	char detail[64];
	int64_t exp;
	int rc = admin_form(c, fields);

	if (rc || c->resp->status || admin_slice_ttl(c, &exp))
		return rc;
	rc = store_slice_renew(c->srv->store, name, exp);
	if (rc)
		return admin_slice_fail(c, rc, name);
	snprintf(detail, sizeof(detail), "expires=%lld", (long long)exp);
	admin_audit(c, "slice.renew", name, detail);
	return admin_slice_show(c, name);
}

static int admin_slice_delete(struct admin_ctx *c, const char *name)
{
	int rc = store_slice_delete(c->srv->store, name);

	if (rc)
		return admin_slice_fail(c, rc, name);
	admin_audit(c, "slice.delete", name, "");
	record_buf_field(&c->out, "name", name);
	record_buf_field(&c->out, "deleted", "1");
	record_buf_endrec(&c->out);
	return admin_reply(c, 200, 0);
}

/* ------------------------------------------------- images (issue 14) */

static int admin_image_cb(const struct store_image *im, void *arg)
{
	struct record_buf *b = arg;

	record_buf_printf(b, "vref=sha256%%3A%s", im->sha256);
	record_buf_field(b, "name", im->name);
	record_buf_fieldu(b, "length", (unsigned long long)im->length);
	record_buf_fieldu(b, "published", (unsigned long long)im->published);
	record_buf_field(b, "actor", im->actor);
	record_buf_endrec(b);
	return b->err;
}

static int admin_images(struct admin_ctx *c)
{
	static const char *const q[] = { NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	rc = store_image_list(c->srv->store, admin_image_cb, &c->out);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

/* POST /admin/v1/images?name=N&sha256=H, body: the root filesystem
 * tarball.  Written content-addressed only when its SHA-256 is H (the
 * publisher's own hash: a changed byte on the way is refused). */
static int admin_image_publish(struct admin_ctx *c)
{
	static const char *const q[] = { "name", "sha256", NULL };
	const char *name = admin_query(c, "name"), *sha = admin_query(c, "sha256");
	char detail[ADMIN_DETAIL_MAX];
	struct store_image im;
	uint8_t want[32];
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return rc;
	if (strncmp(c->req->content_type, "application/octet-stream", 24))
		return admin_fail(c, -EPX_E_ADM_CTYPE, "want Content-Type application/octet-stream");
	if (!name || !admin_label_ok(name))
		return admin_fail(c, -EPX_E_ADM_NAME, "name: want [a-z0-9._-]{1,64}");
	if (!sha || hex_check_str(sha, STORE_HASH_HEX) < 0 ||
	    hex_decode(sha, STORE_HASH_HEX, want, sizeof(want)) < 0)
		return admin_fail(c, -EPX_E_ADM_FIELD, "sha256: want 64 lowercase hex digits");
	if (c->req->body_len == 0 || c->req->body_len > STORE_IMAGE_MAX)
		return admin_fail(c, -EPX_E_ADM_IMAGE, "an image is 1 byte to 16 GiB");
	if (store_image_get(c->srv->store, sha, &im) == 0)
		return admin_fail(c, -EPX_E_ADM_EXISTS, "this image is already published");
	rc = admin_object_write(c, 0, c->req->body_len, want, sha);
	if (rc == -EPX_E_ART_HASH)
		return admin_fail(c, -EPX_E_ADM_IMAGE, NULL);
	if (rc)
		return admin_fail(c, rc, NULL);
	memset(&im, 0, sizeof(im));
	snprintf(im.sha256, sizeof(im.sha256), "%s", sha);
	snprintf(im.name, sizeof(im.name), "%s", name);
	snprintf(im.actor, sizeof(im.actor), "%s", c->actor);
	im.length = c->req->body_len;
	rc = store_image_add(c->srv->store, &im);
	if (rc)
		return admin_fail(c, rc, NULL);
	snprintf(detail, sizeof(detail), "name=%s length=%llu", name,
		 (unsigned long long)im.length);
	admin_audit(c, "image.publish", sha, detail);
	rc = store_image_get(c->srv->store, sha, &im);
	rc = rc ? rc : admin_image_cb(&im, &c->out);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 201, 0);
}

/* --------------------------------------------------------------- router */

/* Splits the path after ADMIN_PREFIX into segments; refuses empty, "." and
 * ".." segments and over-long ones. */
static int admin_split_path(struct admin_ctx *c)
{
	const char *p = c->req->path;
	size_t n;

	if (strncmp(p, ADMIN_PREFIX, strlen(ADMIN_PREFIX)))
		return -EPX_E_ADM_NOTFOUND;
	p += strlen(ADMIN_PREFIX);
	c->nseg = 0;
	while (*p) {
		n = strcspn(p, "/");
		if (n == 0 || n > ADMIN_SEG_MAX || c->nseg >= ADMIN_SEGS_MAX)
			return -EPX_E_ADM_NOTFOUND;
		memcpy(c->seg[c->nseg], p, n);
		c->seg[c->nseg][n] = '\0';
		if (!strcmp(c->seg[c->nseg], ".") || !strcmp(c->seg[c->nseg], ".."))
			return -EPX_E_ADM_NOTFOUND;
		c->nseg++;
		p += n;
		if (*p == '/')
			p++;
	}
	return c->nseg ? 0 : -EPX_E_ADM_NOTFOUND;
}

/* ------------------------------------------------ refused-credential throttle */

/* Two windows of ADMIN_FAIL_WINDOW seconds (the current and the one
 * before), each a count-min sketch: an address adds one to one cell per
 * row, its count is the smallest of its cells.  Collisions only ever add,
 * so no address can lower another's count. */
static struct {
	int init;
	uint8_t key[32];
	int64_t window[2];
	uint16_t cnt[2][ADMIN_CM_ROWS][ADMIN_CM_COLS];
} admin_cm;
static pthread_mutex_t admin_fail_lock = PTHREAD_MUTEX_INITIALIZER;

/* The sketch's cells of the peer (its address; an IPv6 one by its /64,
 * since one host holds a whole /64). Lock held. */
static int admin_cm_cells(const struct http_req *req, size_t cell[ADMIN_CM_ROWS])
{
	uint8_t in[32 + 1 + HTTP_ADDR_MAX], h[32], a6[16];
	size_t n = 33, len = strnlen(req->peer_str, HTTP_ADDR_MAX), r;

	if (!admin_cm.init) {
		if (rand_bytes(admin_cm.key, sizeof(admin_cm.key)) < 0)
			return -EIO;
		admin_cm.init = 1;
	}
	memcpy(in, admin_cm.key, 32);
	if (strchr(req->peer_str, ':') && inet_pton(AF_INET6, req->peer_str, a6) == 1) {
		in[32] = 6;
		memcpy(in + n, a6, 8);
		n += 8;
	} else {
		in[32] = 4;
		memcpy(in + n, req->peer_str, len);
		n += len;
	}
	mbedtls_sha256_ret(in, n, h, 0);
	for (r = 0; r < ADMIN_CM_ROWS; r++)
		cell[r] = ((size_t)h[2 * r] << 8 | h[2 * r + 1]) % ADMIN_CM_COLS;
	return 0;
}

/* The peer's refusals in this window and the one before. Lock held. */
static unsigned admin_cm_count(const size_t cell[ADMIN_CM_ROWS], int64_t now)
{
	int64_t w = now / ADMIN_FAIL_WINDOW;
	unsigned best = UINT_MAX, v;
	size_t r, k;

	for (r = 0; r < ADMIN_CM_ROWS; r++) {
		v = 0;
		for (k = 0; k < 2; k++)
			if (admin_cm.window[k] == w || admin_cm.window[k] == w - 1)
				v += admin_cm.cnt[k][r][cell[r]];
		if (v < best)
			best = v;
	}
	return best;
}

/* Adds one refusal; returns the peer's count before it. Lock held. */
static unsigned admin_cm_add(const size_t cell[ADMIN_CM_ROWS], int64_t now)
{
	int64_t w = now / ADMIN_FAIL_WINDOW;
	size_t k = (size_t)(w & 1), r;
	unsigned before = admin_cm_count(cell, now);

	if (admin_cm.window[k] != w) {
		memset(admin_cm.cnt[k], 0, sizeof(admin_cm.cnt[k]));
		admin_cm.window[k] = w;
	}
	for (r = 0; r < ADMIN_CM_ROWS; r++)
		if (admin_cm.cnt[k][r][cell[r]] < UINT16_MAX)
			admin_cm.cnt[k][r][cell[r]]++;
	return before;
}

/* 1 if the peer is over its budget of refused credentials right now. */
static int admin_fail_throttled(const struct http_req *req, int64_t now)
{
	size_t cell[ADMIN_CM_ROWS];
	int hit = 0;

	pthread_mutex_lock(&admin_fail_lock);
	if (admin_cm_cells(req, cell) == 0)
		hit = admin_cm_count(cell, now) >= ADMIN_FAIL_MAX;
	pthread_mutex_unlock(&admin_fail_lock);
	return hit;
}

/* Counts a refusal; audits the first of the peer's window and the one that
 * locks it out, nothing else (a stranger's cost to the audit log is two
 * entries a minute per address). */
static void admin_fail_note(struct srv *srv, const struct http_req *req, int64_t now)
{
	size_t cell[ADMIN_CM_ROWS];
	unsigned before = ADMIN_FAIL_MAX + 1;
	char detail[HTTP_ADDR_MAX + 128];

	pthread_mutex_lock(&admin_fail_lock);
	if (admin_cm_cells(req, cell) == 0)
		before = admin_cm_add(cell, now);
	pthread_mutex_unlock(&admin_fail_lock);
	if (before != 0 && before + 1 != ADMIN_FAIL_MAX)
		return;
	snprintf(detail, sizeof(detail), "EPOXY-E%04d peer=%s%s", EPX_E_ADM_AUTH, req->peer_str,
		 before ? " locked out: 429 for this address until its refusals age out" : "");
	if (store_audit_append(srv->store, "epoxyd", "admin.refused", "hash:none", detail) < 0)
		http_log(req, "admin: audit of a refused credential failed");
}

/* Authorization: Epoxy-Admin <64 lower-case hex>.  Only the admin table is
 * asked.  On success the admin's name goes to actor. */
static int admin_auth_req(struct srv *srv, const struct http_req *req,
			  char actor[STORE_ACTOR_MAX + 1])
{
	static const char scheme[] = "Epoxy-Admin ";
	const char *a = req->authorization;

	if (strncmp(a, scheme, sizeof(scheme) - 1))
		return -EPX_E_ADM_AUTH;
	return admin_check_cred(srv, req, a + sizeof(scheme) - 1, actor);
}

int admin_check_cred(struct srv *srv, const struct http_req *req,
		     const char *cred, char actor[STORE_ACTOR_MAX + 1])
{
	char name[STORE_ACTOR_MAX + 1];
	int64_t now = http_now(srv);
	int rc = -EPX_E_ADM_AUTH;

	/* one spelling, as for node credentials: lowercase only (lib/hex.h);
	 * a malformed one costs no store lookup, so it is not counted */
	if (hex_check_str(cred, STORE_TOKEN_HEX) < 0)
		return rc;
	if (admin_fail_throttled(req, now))
		return -EAGAIN;
	if (store_admin_check_quiet(srv->store, cred, name) == 0) {
		snprintf(actor, STORE_ACTOR_MAX + 1, "admin:%.57s", name);
		rc = 0;
	} else {
		admin_fail_note(srv, req, now);
	}
	explicit_bzero(name, sizeof(name));
	return rc;
}

static int admin_auth(struct admin_ctx *c)
{
	if (c->req->admin_authed) {
		snprintf(c->actor, sizeof(c->actor), "%s", c->req->admin_actor);
		return 0;
	}
	return admin_auth_req(c->srv, c->req, c->actor);
}

int admin_preauth(struct srv *srv, struct http_req *req)
{
	int rc;

	if (!srv || !srv->store)
		return -EPX_E_ADM_STORE;
	rc = admin_auth_req(srv, req, req->admin_actor);
	req->admin_authed = rc == 0;
	return rc;
}

static int admin_is(const struct admin_ctx *c, size_t n, const char *s0,
		    const char *s2)
{
	return c->nseg == n && !strcmp(c->seg[0], s0) &&
	       (!s2 || (n > 2 && !strcmp(c->seg[2], s2)));
}

int admin_method(struct admin_ctx *c, enum http_method want)
{
	if (c->req->method == want)
		return 1;
	admin_fail(c, -EPX_E_ADM_METHOD, NULL);
	return 0;
}

static int admin_route_hosts(struct admin_ctx *c)
{
	enum http_method m = c->req->method;
	const char *name = c->nseg > 1 ? c->seg[1] : NULL;

	if (admin_is(c, 1, "hosts", NULL)) {
		if (m == HTTP_GET)
			return admin_host_list(c);
		if (m == HTTP_POST)
			return admin_host_add(c);
		return admin_fail(c, -EPX_E_ADM_METHOD, "want GET or POST");
	}
	if (admin_is(c, 2, "hosts", NULL)) {
		if (m == HTTP_GET)
			return admin_host_show(c, name);
		if (m == HTTP_PATCH)
			return admin_host_update(c, name);
		if (m == HTTP_DELETE)
			return admin_host_delete(c, name);
		return admin_fail(c, -EPX_E_ADM_METHOD, "want GET, PATCH or DELETE");
	}
	if (admin_is(c, 3, "hosts", "credential"))
		return admin_method(c, HTTP_POST) ? admin_credential(c, name) : 0;
	if (admin_is(c, 3, "hosts", "token"))
		return admin_method(c, HTTP_POST) ? admin_token(c, name) : 0;
	if (admin_is(c, 3, "hosts", "why"))
		return admin_method(c, HTTP_GET) ? admin_why(c, name) : 0;
	if (admin_is(c, 3, "hosts", "audit"))
		return admin_method(c, HTTP_GET) ? admin_host_audit(c, name) : 0;
	return admin_fail(c, -EPX_E_ADM_NOTFOUND, NULL);
}

/* POST /admin/v1/slices/NAME/ticket, node=HOST [ttl=SECONDS]: a ticket
 * (lib/ticket.h) for the slice's sliver on HOST, resolved now, with a
 * fresh random nonce, living ttl seconds (default 3600, at most
 * TICKET_TTL_MAX, never past the slice's expiry), signed by the online
 * key.  The answer is the ticket itself (text/plain), not a record. */
static int admin_slice_ticket(struct admin_ctx *c, const char *name)
{
	static const char *const fields[] = { "node", "ttl", NULL };
	char detail[ADMIN_DETAIL_MAX], nhex[65];
	const char *node, *v;
	struct store_sliver *sv = NULL;
	struct sliverset *t = NULL;
	struct store_image im;
	uint64_t ttl = 3600;
	char *buf = NULL;
	size_t len = 0;
	int rc = admin_form(c, fields);

	if (rc || c->resp->status)
		return rc;
	node = admin_field(c, "node");
	if (!node || !admin_name_ok(node))
		return admin_fail(c, -EPX_E_ADM_NAME, "node: want a host name");
	if ((v = admin_field(c, "ttl")) && admin_num(v, 60, TICKET_TTL_MAX, &ttl))
		return admin_fail(c, -EPX_E_ADM_FIELD, "ttl: want 60..604800 seconds");
	if (!c->srv->online)
		return admin_fail(c, -EPX_E_SRV_SIGN, NULL);
	rc = -ENOMEM;
	sv = malloc(sizeof(*sv));
	t = calloc(1, sizeof(*t));
	buf = malloc(SLIVERSET_MAX_BYTES);
	if (!sv || !t || !buf)
		goto out;
	rc = store_sliver_get(c->srv->store, name, node, sv);
	if (rc == 0)
		rc = store_image_get(c->srv->store, sv->vref + 7, &im);
	if (rc) {
		rc = rc == -EPX_E_SLICE_NOTFOUND ?
			admin_failf(c, rc, "no live sliver of this slice on", node) :
			admin_slice_fail(c, rc, name);
		goto out;
	}
	t->ticket = 1;
	t->n = 1;
	snprintf(t->node, sizeof(t->node), "%s", node);
	t->expires = http_now(c->srv) + (int64_t)ttl;
	if (t->expires > sv->expires)
		t->expires = sv->expires;
	snprintf(t->sl[0].name, sizeof(t->sl[0].name), "%s", sv->slice);
	snprintf(t->sl[0].entry, sizeof(t->sl[0].entry), "%s", sv->entry);
	t->sl[0].expires = sv->expires;
	t->sl[0].image_bytes = im.length;
	memcpy(t->sl[0].attr, sv->attr, sizeof(t->sl[0].attr));
	snprintf(t->sl[0].grants, sizeof(t->sl[0].grants), "%s", sv->grants);
	rc = hex_decode(sv->vref + 7, STORE_HASH_HEX, t->sl[0].image, 32) < 0 ||
		rand_bytes(t->nonce, sizeof(t->nonce)) < 0 ||
		sliverset_format(t, buf, SLIVERSET_MAX_BYTES, &len) ||
		sign_doc_append(c->srv->online, buf, len, buf, SLIVERSET_MAX_BYTES, &len) ?
		-EPX_E_SRV_SIGN : 0;
	if (rc) {
		rc = admin_fail(c, rc, NULL);
		goto out;
	}
	hex_encode(t->nonce, 4, nhex);
	snprintf(detail, sizeof(detail), "node=%s expires=%lld nonce=%s...", node,
		 (long long)t->expires, nhex);
	admin_audit(c, "slice.ticket", name, detail);
	rc = http_resp_copy(c->resp, 200, "text/plain", buf, len);
out:
	free(sv);
	free(t);
	free(buf);
	return rc;
}

static int admin_route_slices(struct admin_ctx *c)
{
	enum http_method m = c->req->method;
	const char *name = c->nseg > 1 ? c->seg[1] : NULL;

	if (admin_is(c, 1, "slices", NULL)) {
		if (m == HTTP_GET)
			return admin_slices(c);
		if (m == HTTP_POST)
			return admin_slice_create(c);
		return admin_fail(c, -EPX_E_ADM_METHOD, "want GET or POST");
	}
	if (name && !store_valid_slice(name))
		return admin_fail(c, -EPX_E_SLICE_NAME, NULL);
	if (admin_is(c, 2, "slices", NULL)) {
		if (m == HTTP_GET)
			return admin_slice_show(c, name);
		if (m == HTTP_PATCH)
			return admin_slice_set(c, name);
		if (m == HTTP_DELETE)
			return admin_slice_delete(c, name);
		return admin_fail(c, -EPX_E_ADM_METHOD, "want GET, PATCH or DELETE");
	}
	if (admin_is(c, 3, "slices", "add-nodes"))
		return admin_method(c, HTTP_POST) ? admin_slice_nodes(c, name, 1) : 0;
	if (admin_is(c, 3, "slices", "remove-nodes"))
		return admin_method(c, HTTP_POST) ? admin_slice_nodes(c, name, 0) : 0;
	if (admin_is(c, 3, "slices", "renew"))
		return admin_method(c, HTTP_POST) ? admin_slice_renew(c, name) : 0;
	if (admin_is(c, 3, "slices", "ticket"))
		return admin_method(c, HTTP_POST) ? admin_slice_ticket(c, name) : 0;
	return admin_fail(c, -EPX_E_ADM_NOTFOUND, NULL);
}

static int admin_route(struct admin_ctx *c)
{
	enum http_method m = c->req->method;

	if (!strcmp(c->seg[0], "hosts"))
		return admin_route_hosts(c);
	if (!strcmp(c->seg[0], "slices"))
		return admin_route_slices(c);
	if (!strcmp(c->seg[0], "experiments") || !strcmp(c->seg[0], "data"))
		return admin_archive_route(c);
	if (!strcmp(c->seg[0], "rollouts"))
		return admin_route_rollouts(c);
	if (!strcmp(c->seg[0], "slivers"))
		return admin_sliver_route(c);
	if (admin_is(c, 1, "images", NULL)) {
		if (m == HTTP_GET)
			return admin_images(c);
		if (m == HTTP_POST)
			return admin_image_publish(c);
		return admin_fail(c, -EPX_E_ADM_METHOD, "want GET or POST");
	}
	if (admin_is(c, 1, "sites", NULL)) {
		if (m == HTTP_GET)
			return admin_sites(c);
		if (m == HTTP_POST)
			return admin_site_add(c);
		return admin_fail(c, -EPX_E_ADM_METHOD, "want GET or POST");
	}
	if (admin_is(c, 2, "sites", NULL))
		return admin_method(c, HTTP_DELETE) ? admin_site_delete(c, c->seg[1]) : 0;
	if (admin_is(c, 1, "sessions", NULL))
		return admin_method(c, HTTP_GET) ? admin_sessions(c) : 0;
	if (admin_is(c, 1, "releases", NULL)) {
		if (m == HTTP_GET)
			return admin_releases(c);
		if (m == HTTP_POST)
			return admin_publish(c);
		return admin_fail(c, -EPX_E_ADM_METHOD, "want GET or POST");
	}
	if (admin_is(c, 1, "fleet", NULL))
		return admin_method(c, HTTP_GET) ? admin_fleet(c) : 0;
	if (c->nseg == 2 && !strcmp(c->seg[0], "fleet") && !strcmp(c->seg[1], "sd"))
		return admin_method(c, HTTP_GET) ? admin_fleet_sd(c) : 0;
	if (admin_is(c, 1, "channels", NULL))
		return admin_method(c, HTTP_GET) ? admin_channels(c) : 0;
	if (admin_is(c, 2, "channels", NULL))
		return admin_method(c, HTTP_POST) ? admin_promote(c, c->seg[1]) : 0;
	if (admin_is(c, 1, "pins", NULL))
		return admin_method(c, HTTP_POST) ? admin_pin(c) : 0;
	if (admin_is(c, 1, "dbx", NULL)) {
		if (m == HTTP_GET)
			return admin_dbx_show(c);
		if (m == HTTP_POST)
			return admin_dbx_publish(c);
		return admin_fail(c, -EPX_E_ADM_METHOD, "want GET or POST");
	}
	if (admin_is(c, 1, "audit", NULL))
		return admin_method(c, HTTP_GET) ? admin_audit_list(c) : 0;
	if (c->nseg == 2 && !strcmp(c->seg[0], "audit") && !strcmp(c->seg[1], "verify"))
		return admin_method(c, HTTP_GET) ? admin_audit_verify(c) : 0;
	return admin_fail(c, -EPX_E_ADM_NOTFOUND, NULL);
}

/* One log line per request; the path is untrusted: printable ASCII only. */
static void admin_log(const struct admin_ctx *c)
{
	static const char *const names[] = {
		[HTTP_OTHER] = "other", [HTTP_GET] = "GET", [HTTP_HEAD] = "HEAD",
		[HTTP_POST] = "POST", [HTTP_PUT] = "PUT", [HTTP_DELETE] = "DELETE",
		[HTTP_PATCH] = "PATCH",
	};
	char path[80];
	size_t i;

	for (i = 0; i < sizeof(path) - 1 && c->req->path[i]; i++) {
		unsigned char ch = (unsigned char)c->req->path[i];

		path[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	path[i] = '\0';
	http_log(c->req, "admin: %s %s by %s -> %d",
		 (unsigned)c->req->method <= HTTP_PATCH ? names[c->req->method] : "other",
		 path, c->actor, c->resp->status);
}

int admin_handle(struct srv *srv, const struct http_req *req,
		 struct http_resp *resp)
{
	struct admin_ctx *c = calloc(1, sizeof(*c));
	int rc = -ENOMEM;

	if (!c)
		return rc;
	c->srv = srv;
	c->req = req;
	c->resp = resp;
	record_buf_init(&c->out, ADMIN_REPLY_MAX);
	if (!req->tls) {
		rc = admin_fail(c, -EPX_E_ADM_AUTH, "the admin API is served over HTTPS only");
		goto out;
	}
	if (!srv->store) {
		rc = admin_fail(c, -EPX_E_ADM_STORE, NULL);
		goto out;
	}
	rc = admin_auth(c);
	if (rc == -EAGAIN) {
		char ra[16];

		http_log(req, "admin: refused: too many refused credentials from this address");
		/* the credential's code, but 429: the address is locked out */
		rc = http_resp_error(resp, 429, -EPX_E_ADM_AUTH,
				     "too many refused admin credentials from this address; retry later");
		snprintf(ra, sizeof(ra), "%d", ADMIN_FAIL_WINDOW);
		if (!rc)
			rc = http_resp_header(resp, "Retry-After", ra);
		goto out;
	}
	if (rc) {
		http_log(req, "admin: refused: no valid admin credential");
		rc = admin_fail(c, -EPX_E_ADM_AUTH, NULL);
		goto out;
	}
	if (admin_split_path(c)) {
		rc = admin_fail(c, -EPX_E_ADM_NOTFOUND, NULL);
		goto out;
	}
	rc = admin_route(c);
	admin_log(c);
out:
	record_buf_wipe(&c->out);
	if (c->formbuf) {
		explicit_bzero(c->formbuf, req->body_len);
		free(c->formbuf);
	}
	free(c);
	return rc;
}
