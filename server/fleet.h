/* fleet: the one query behind the status page's fleet view and the admin
 * API's GET /admin/v1/fleet (one source of truth: both call fleet_list()
 * with the same filter, parsed by the same fleet_filter_parse()).
 *
 * Guarantees:
 *  - a filter is only site, state, release and group (and, for the admin
 *    API, limit), each checked with lib/'s codecs (label, num) within its
 *    cap; an unknown key, a duplicate or a bad value is -EPX_E_PAGE_FILTER
 *    and the store is not asked;
 *  - fleet_list() reads the hosts once (at most FLEET_HOSTS_MAX rows kept,
 *    *more set when there were others), then, for the rows that pass the
 *    filter, the newest boot session of each (its release); the callback
 *    runs after the store's list call returned, so it may query the store;
 *  - rows come sorted by site, then name. */
#ifndef EPOXY_FLEET_H
#define EPOXY_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/inventory.h"
#include "server/http.h"
#include "store/store.h"

#define FLEET_HOSTS_MAX 4096

struct fleet_filter {
	char site[STORE_LABEL_MAX + 1];   /* "" any */
	char state[STORE_STATE_MAX + 1];  /* "" any */
	char group[STORE_LABEL_MAX + 1];  /* "" any */
	uint32_t release;                 /* 0 any */
	size_t limit;                     /* rows at most (FLEET_HOSTS_MAX default) */
};

struct fleet_row {
	char name[STORE_NAME_MAX + 1];
	char site[STORE_LABEL_MAX + 1];
	char channel[STORE_LABEL_MAX + 1];
	char state[STORE_STATE_MAX + 1];
	char last_stage[STORE_STAGE_MAX + 1];
	char last_status[8];
	char last_code[STORE_CODE_MAX + 1];
	int64_t last_seen;
	uint32_t release;                 /* newest session's version, 0 none */
	size_t n_groups;
	char groups[STORE_GROUPS_MAX][STORE_LABEL_MAX + 1];
	int64_t inv_changed;              /* inventory changed at (0: never) */
};

/* Parses the query arguments into f.  allow_limit: 1 lets "limit" in
 * (1..FLEET_HOSTS_MAX).  Returns 0 or -EPX_E_PAGE_FILTER. */
int fleet_filter_parse(const struct http_arg *args, size_t n, int allow_limit,
		       struct fleet_filter *f);

/* Calls cb for each host passing f (at most f->limit); a non-zero return of
 * cb stops and is returned.  *more: 1 when hosts were left out by a cap. */
int fleet_list(struct store *s, const struct fleet_filter *f,
	       int (*cb)(const struct fleet_row *, void *), void *arg, int *more);

/* The channels hosts follow, plus "stable", each with its version (0: not
 * set), sorted by name.  At most FLEET_CHANNELS_MAX. */
#define FLEET_CHANNELS_MAX 64
int fleet_channels(struct store *s,
		   int (*cb)(const char *channel, uint32_t version, void *), void *arg);

/* The newest FLEET_AUDIT_MAX audit entries whose subject is host, newest
 * first (reads at most FLEET_AUDIT_SCAN entries of the log): the host
 * page's and GET /admin/v1/hosts/NAME/audit's one query. */
#define FLEET_AUDIT_MAX 20
#define FLEET_AUDIT_SCAN 100000
int fleet_host_audit(struct store *s, const char *host,
		     int (*cb)(const struct store_audit *, void *), void *arg);

/* The host's inventory as its node last reported it (issue 16 point 3):
 * the page's host view and GET /admin/v1/hosts/NAME's one query.  have 0:
 * never reported.  changed: when a report last differed from the one
 * before (0: never), changes: what differed then (inventory_diff). */
struct fleet_inventory {
	int have;
	struct inventory cur;
	char session[STORE_SESSION_HEX + 1];
	int64_t reported, changed;
	char changes[STORE_INV_DETAIL_MAX + 1];
};
int fleet_host_inventory(struct store *s, const char *host, struct fleet_inventory *fi);

#endif
