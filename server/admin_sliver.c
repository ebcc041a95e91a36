/* admin_sliver: GET /admin/v1/slivers (see admin_sliver.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/record.h"
#include "lib/usage.h"
#include "server/admin_int.h"
#include "server/admin_sliver.h"
#include "store/store.h"

struct admin_sliver_hosts {
	char (*name)[STORE_NAME_MAX + 1];
	size_t n, cap;
};

/* one host's state while its records are written */
struct admin_sliver_one {
	struct admin_ctx *c;
	const char *host, *slice;
	struct store_usage *st;
	struct usage *u;                /* u->n = 0 without a snapshot */
	int have;                       /* the host sent a snapshot */
	size_t next;                    /* u->sl[next]: the first not yet written */
	size_t count;                   /* records so far, every host */
};

static int admin_sliver_host_cb(const struct store_host *h, void *arg)
{
	struct admin_sliver_hosts *hs = arg;
	void *p;

	if (hs->n == hs->cap) {
		hs->cap = hs->cap ? 2 * hs->cap : 256;
		p = realloc(hs->name, hs->cap * sizeof(*hs->name));
		if (!p)
			return -ENOMEM;
		hs->name = p;
	}
	memcpy(hs->name[hs->n++], h->name, sizeof(*hs->name));
	return 0;
}

static void admin_sliver_num(struct record_buf *b, const char *key, const struct usage_sliver *v,
			     enum usage_value i)
{
	if (v && (v->have & (1u << i)))
		record_buf_fieldu(b, key, (unsigned long long)v->v[i]);
	else
		record_buf_field(b, key, "");
}

static int admin_sliver_row(struct admin_sliver_one *o, const char *name, const char *state,
			    const struct usage_sliver *v)
{
	struct record_buf *b = &o->c->out;
	char cpu[32] = "";
	size_t i;

	if (++o->count > ADMIN_SLIVER_MAX)
		return -EPX_E_USG_TOOMANY;
	record_buf_field(b, "node", o->host);
	record_buf_field(b, "sliver", name);
	record_buf_field(b, "state", state);
	for (i = 0; i < USAGE_N; i++)
		admin_sliver_num(b, usage_names[i], v, (enum usage_value)i);
	if (v && (v->have & (1u << USAGE_CPU_US)))
		snprintf(cpu, sizeof(cpu), "%" PRIu64 ".%06" PRIu64, v->v[USAGE_CPU_US] / 1000000,
			 v->v[USAGE_CPU_US] % 1000000);
	record_buf_field(b, "cpu_s", cpu);
	record_buf_field(b, "net", !o->have ? "" : o->u->net ? "on" : "off");
	if (o->have) {
		record_buf_fieldu(b, "at", (unsigned long long)o->st->at);
		record_buf_fieldu(b, "received", (unsigned long long)o->st->received);
		record_buf_fieldu(b, "age", (unsigned long long)(http_now(o->c->srv) >
			o->st->received ? http_now(o->c->srv) - o->st->received : 0));
	} else {
		record_buf_field(b, "at", "");
		record_buf_field(b, "received", "");
		record_buf_field(b, "age", "");
	}
	record_buf_endrec(b);
	return b->err;
}

/* The snapshot's slivers named before name (all: name NULL), unassigned. */
static int admin_sliver_extra(struct admin_sliver_one *o, const char *name)
{
	int rc = 0;

	for (; rc == 0 && o->next < o->u->n &&
	       (!name || strcmp(o->u->sl[o->next].name, name) < 0); o->next++)
		if (!o->slice || !strcmp(o->slice, o->u->sl[o->next].name))
			rc = admin_sliver_row(o, o->u->sl[o->next].name, "unassigned",
					      &o->u->sl[o->next]);
	return rc;
}

/* One given sliver (store_sliver_list's order: by name). */
static int admin_sliver_given(const struct store_sliver *v, void *arg)
{
	struct admin_sliver_one *o = arg;
	const struct usage_sliver *u;
	int rc = admin_sliver_extra(o, v->slice);

	if (rc < 0 || (o->slice && strcmp(o->slice, v->slice)))
		return rc;
	u = o->next < o->u->n && !strcmp(o->u->sl[o->next].name, v->slice) ?
		&o->u->sl[o->next++] : NULL;
	return admin_sliver_row(o, v->slice, u ? "running" : o->have ? "unreported" :
				"no-snapshot", u);
}

static int admin_sliver_host(struct admin_sliver_one *o, const char *host)
{
	int rc;

	o->host = host;
	o->next = 0;
	memset(o->u, 0, sizeof(*o->u));
	rc = store_usage_get(o->c->srv->store, host, o->st);
	o->have = rc == 0;
	if (rc == 0)
		rc = usage_parse(o->u, o->st->body, strlen(o->st->body));
	else if (rc == -EPX_E_DB_NOTFOUND)
		rc = 0;
	if (rc == 0)
		rc = store_sliver_list(o->c->srv->store, host, admin_sliver_given, o);
	if (rc == -EPX_E_SLICE_NOTFOUND)       /* the host went away meanwhile */
		rc = 0;
	if (rc == 0)
		rc = admin_sliver_extra(o, NULL);
	return rc;
}

/* The filters: one at most, each a valid name; *node, *slice or NULL. */
static int admin_sliver_filters(struct admin_ctx *c, const char **node, const char **slice)
{
	static const char *const q[] = { "node", "slice", NULL };
	int rc = admin_query_only(c, q);

	if (rc || c->resp->status)
		return 1;
	*node = admin_query(c, "node");
	*slice = admin_query(c, "slice");
	if ((*node && *slice) || (*node && !admin_name_ok(*node)) ||
	    (*slice && !store_valid_slice(*slice))) {
		admin_fail(c, -EPX_E_USG_FILTER, NULL);
		return 1;
	}
	return 0;
}

static int admin_sliver_list(struct admin_ctx *c)
{
	struct admin_sliver_hosts hs = { NULL, 0, 0 };
	struct admin_sliver_one o;
	struct store_host *h = NULL;
	const char *node = NULL;
	size_t i;
	int rc = -ENOMEM;

	memset(&o, 0, sizeof(o));
	if (admin_sliver_filters(c, &node, &o.slice))
		return 0;
	o.c = c;
	o.st = malloc(sizeof(*o.st));
	o.u = malloc(sizeof(*o.u));
	h = malloc(sizeof(*h));
	if (!o.st || !o.u || !h)
		goto out;
	rc = node ? store_host_get(c->srv->store, node, h) :
		store_host_list(c->srv->store, admin_sliver_host_cb, &hs);
	if (rc == 0 && node)
		rc = admin_sliver_host_cb(h, &hs);
	for (i = 0; rc == 0 && i < hs.n; i++)
		rc = admin_sliver_host(&o, hs.name[i]);
out:
	free(o.st);
	free(o.u);
	free(h);
	free(hs.name);
	if (rc == -EPX_E_DB_NOTFOUND && node)
		return admin_failf(c, -EPX_E_ADM_NOHOST, "unknown host", node);
	return rc ? admin_fail(c, rc, NULL) : admin_reply(c, 200, 0);
}

int admin_sliver_route(struct admin_ctx *c)
{
	if (c->nseg != 1)
		return admin_fail(c, -EPX_E_ADM_NOTFOUND, NULL);
	return admin_method(c, HTTP_GET) ? admin_sliver_list(c) : 0;
}
