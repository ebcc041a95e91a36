/* fleet: the fleet query shared by the page and the admin API (fleet.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/label.h"
#include "lib/num.h"
#include "server/fleet.h"

struct fleet_set {
	struct fleet_row *rows;
	size_t n;
	int more;
	const struct fleet_filter *f;
};

/* Copies v into dst (cap bytes) when it passes cls; else refuses. */
static int fleet_arg_label(const char *v, enum label_class cls, char *dst, size_t cap)
{
	if (dst[0] || label_check_str(cls, v) < 0 || strlen(v) >= cap)
		return -EPX_E_PAGE_FILTER;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int fleet_arg(const struct http_arg *a, int allow_limit, struct fleet_filter *f,
		     int *seen_rel, int *seen_lim)
{
	uint64_t v;

	if (a->val_len != strlen(a->val))
		return -EPX_E_PAGE_FILTER;
	if (!strcmp(a->key, "site"))
		return fleet_arg_label(a->val, LABEL_TAG, f->site, sizeof(f->site));
	if (!strcmp(a->key, "group"))
		return fleet_arg_label(a->val, LABEL_TAG, f->group, sizeof(f->group));
	if (!strcmp(a->key, "state"))
		return fleet_arg_label(a->val, LABEL_WORD, f->state, sizeof(f->state));
	if (!strcmp(a->key, "release") && !(*seen_rel)++) {
		if (num_str_u64(a->val, UINT32_MAX, &v) < 0 || v == 0)
			return -EPX_E_PAGE_FILTER;
		f->release = (uint32_t)v;
		return 0;
	}
	if (allow_limit && !strcmp(a->key, "limit") && !(*seen_lim)++) {
		if (num_str_u64(a->val, FLEET_HOSTS_MAX, &v) < 0 || v == 0)
			return -EPX_E_PAGE_FILTER;
		f->limit = (size_t)v;
		return 0;
	}
	return -EPX_E_PAGE_FILTER;
}

int fleet_filter_parse(const struct http_arg *args, size_t n, int allow_limit,
		       struct fleet_filter *f)
{
	int seen_rel = 0, seen_lim = 0, rc;
	size_t i;

	memset(f, 0, sizeof(*f));
	f->limit = FLEET_HOSTS_MAX;
	for (i = 0; i < n; i++) {
		/* an empty value is "any", as a form with an empty field sends */
		if (!args[i].val[0] && args[i].val_len == 0 && strcmp(args[i].key, "limit"))
			continue;
		rc = fleet_arg(&args[i], allow_limit, f, &seen_rel, &seen_lim);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int fleet_in_groups(const struct store_host *h, const char *g)
{
	size_t i;

	for (i = 0; i < h->n_groups; i++)
		if (!strcmp(h->groups[i], g))
			return 1;
	return 0;
}

static void fleet_row_set(struct fleet_row *r, const struct store_host *h)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->name, h->name, sizeof(r->name));
	memcpy(r->site, h->site, sizeof(r->site));
	memcpy(r->channel, h->channel, sizeof(r->channel));
	memcpy(r->state, h->state, sizeof(r->state));
	memcpy(r->last_stage, h->last_stage, sizeof(r->last_stage));
	memcpy(r->last_status, h->last_status, sizeof(r->last_status));
	memcpy(r->last_code, h->last_code, sizeof(r->last_code));
	r->last_seen = h->last_seen;
	r->n_groups = h->n_groups;
	memcpy(r->groups, h->groups, sizeof(r->groups));
}

static int fleet_host_cb(const struct store_host *h, void *arg)
{
	struct fleet_set *set = arg;
	const struct fleet_filter *f = set->f;

	if ((f->site[0] && strcmp(h->site, f->site)) ||
	    (f->state[0] && strcmp(h->state, f->state)) ||
	    (f->group[0] && !fleet_in_groups(h, f->group)))
		return 0;
	if (set->n >= FLEET_HOSTS_MAX) {
		set->more = 1;
		return 0;
	}
	fleet_row_set(&set->rows[set->n++], h);
	return 0;
}

static int fleet_newest_cb(const struct store_session *s, void *arg)
{
	*(uint32_t *)arg = s->version;
	return 1;
}

static int fleet_cmp(const void *a, const void *b)
{
	const struct fleet_row *x = a, *y = b;
	int c = strcmp(x->site, y->site);

	return c ? c : strcmp(x->name, y->name);
}

static int fleet_emit(struct store *s, struct fleet_set *set, const struct fleet_filter *f,
		      int (*cb)(const struct fleet_row *, void *), void *arg)
{
	size_t i, out = 0;
	int rc;

	for (i = 0; i < set->n; i++) {
		struct fleet_row *r = &set->rows[i];

		rc = store_session_list(s, r->name, 1, fleet_newest_cb, &r->release);
		if (rc == 0)
			rc = store_inventory_changed(s, r->name, &r->inv_changed);
		if (rc < 0)
			return rc;
		if (f->release && r->release != f->release)
			continue;
		if (out >= f->limit) {
			set->more = 1;
			break;
		}
		out++;
		rc = cb(r, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int fleet_list(struct store *s, const struct fleet_filter *f,
	       int (*cb)(const struct fleet_row *, void *), void *arg, int *more)
{
	struct fleet_set set = { .f = f };
	int rc = -ENOMEM;

	set.rows = calloc(FLEET_HOSTS_MAX, sizeof(*set.rows));
	if (!set.rows)
		goto out;
	rc = store_host_list(s, fleet_host_cb, &set);
	if (rc < 0)
		goto out;
	qsort(set.rows, set.n, sizeof(*set.rows), fleet_cmp);
	rc = fleet_emit(s, &set, f, cb, arg);
out:
	if (more)
		*more = set.more;
	free(set.rows);
	return rc;
}

struct fleet_chans {
	char name[FLEET_CHANNELS_MAX][STORE_LABEL_MAX + 1];
	size_t n;
};

static void fleet_chan_add(struct fleet_chans *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->name[i], name))
			return;
	if (c->n < FLEET_CHANNELS_MAX && name[0])
		memcpy(c->name[c->n++], name, strlen(name) + 1);
}

static int fleet_chan_cb(const struct store_host *h, void *arg)
{
	fleet_chan_add(arg, h->channel);
	return 0;
}

static int fleet_chan_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int fleet_channels(struct store *s,
		   int (*cb)(const char *channel, uint32_t version, void *), void *arg)
{
	struct fleet_chans *c = calloc(1, sizeof(*c));
	uint32_t v;
	size_t i;
	int rc = -ENOMEM;

	if (!c)
		return rc;
	fleet_chan_add(c, "stable");
	rc = store_host_list(s, fleet_chan_cb, c);
	qsort(c->name, c->n, sizeof(c->name[0]), fleet_chan_cmp);
	for (i = 0; rc == 0 && i < c->n; i++) {
		v = 0;
		rc = store_channel_get(s, c->name[i], &v);
		if (rc == -EPX_E_DB_NOTFOUND) {
			v = 0;
			rc = 0;
		}
		if (rc == 0)
			rc = cb(c->name[i], v, arg);
	}
	free(c);
	return rc;
}

struct fleet_ring {
	const char *host;
	struct store_audit e[FLEET_AUDIT_MAX];
	size_t n;                        /* entries seen; the ring keeps the last */
};

static int fleet_ring_cb(const struct store_audit *e, void *arg)
{
	struct fleet_ring *r = arg;

	if (strcmp(e->subject, r->host))
		return 0;
	r->e[r->n++ % FLEET_AUDIT_MAX] = *e;
	return 0;
}

int fleet_host_audit(struct store *s, const char *host,
		     int (*cb)(const struct store_audit *, void *), void *arg)
{
	struct fleet_ring *r = calloc(1, sizeof(*r));
	size_t i, k;
	int rc = -ENOMEM;

	if (!r)
		return rc;
	r->host = host;
	rc = store_audit_list(s, 0, FLEET_AUDIT_SCAN, fleet_ring_cb, r);
	k = r->n < FLEET_AUDIT_MAX ? r->n : FLEET_AUDIT_MAX;
	for (i = 0; rc == 0 && i < k; i++)
		rc = cb(&r->e[(r->n - 1 - i) % FLEET_AUDIT_MAX], arg);
	free(r);
	return rc;
}

int fleet_host_inventory(struct store *s, const char *host, struct fleet_inventory *fi)
{
	struct store_inventory *si = malloc(sizeof(*si));
	struct inventory *prev = malloc(sizeof(*prev));
	int rc = -ENOMEM;

	memset(fi, 0, sizeof(*fi));
	if (!si || !prev)
		goto out;
	rc = store_inventory_get(s, host, si);
	if (rc == -EPX_E_DB_NOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc == 0)
		rc = inventory_parse(si->body, strlen(si->body), &fi->cur);
	if (rc < 0)
		goto out;
	fi->have = 1;
	memcpy(fi->session, si->session, sizeof(fi->session));
	fi->reported = si->reported;
	fi->changed = si->changed;
	if (si->changed && inventory_parse(si->prev, strlen(si->prev), prev) == 0)
		inventory_diff(prev, &fi->cur, fi->changes, sizeof(fi->changes));
out:
	free(si);
	free(prev);
	return rc;
}
