/* test_store_usage: each host's last sensor snapshot in the store (issue
 * 14 point 7): put and get, replacement, the store's own checks (a line
 * that does not parse, is not canonical, or whose at differs; a bad host
 * name), and deletion with the host.  Runs on SQLite and, under
 * tests/store/t_store_pg.sh, on PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "store/store.h"
#include "tests/test.h"

void test_store_usage(struct store *s, int64_t *now);

static void us_host(struct store *s, const char *name)
{
	struct store_host h;

	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "%s", name);
	snprintf(h.hwclass, sizeof(h.hwclass), "ushw");
	snprintf(h.channel, sizeof(h.channel), "stable");
	if (store_host_add(s, &h))
		ok(0, "usage: host %s set up", name);
}

static const struct {
	const char *name, *host, *body;
	int64_t at;
} us_bad[] = {
	{ "not a snapshot", "us1", "hello", 5 },
	{ "empty", "us1", "", 5 },
	{ "another at than its line's", "us1", "usage 1 at=6 net=off", 5 },
	{ "unordered slivers", "us1", "usage 1 at=5 net=off b=0,0,0,0,0,0 a=0,0,0,0,0,0", 5 },
	{ "a second spelling", "us1", "usage 1 at=5 net=off a=00,0,0,0,0,0", 5 },
	{ "a trailing space", "us1", "usage 1 at=5 net=off ", 5 },
	{ "an SQL quote", "us1", "usage 1 at=5 net=off a'=0,0,0,0,0,0", 5 },
	{ "a bad host name", "US_1", "usage 1 at=5 net=off", 5 },
	{ "an empty host name", "", "usage 1 at=5 net=off", 5 },
};

void test_store_usage(struct store *s, int64_t *now)
{
	static const char *const b1 = "usage 1 at=1763784000 net=off web=-,-,-,4096,0,0";
	static const char *const b2 = "usage 1 at=1763784030 net=on db=1,2,3,4,5,6 web=7,8,9,10,11,12";
	struct store_usage *u = malloc(sizeof(*u));
	size_t i;

	us_host(s, "us1");
	us_host(s, "us2");
	ok(store_usage_get(s, "us1", u) == -EPX_E_DB_NOTFOUND, "usage: none before a heartbeat");
	ok(store_usage_put(s, "us1", 1763784000, b1) == 0, "usage: put");
	ok(store_usage_get(s, "us1", u) == 0 && !strcmp(u->body, b1) && u->at == 1763784000 &&
	   u->received == *now, "usage: get it back, at and received");
	*now += 30;
	ok(store_usage_put(s, "us1", 1763784030, b2) == 0, "usage: a second snapshot");
	ok(store_usage_get(s, "us1", u) == 0 && !strcmp(u->body, b2) && u->at == 1763784030 &&
	   u->received == *now, "usage: it replaced the first");
	ok(store_usage_get(s, "us2", u) == -EPX_E_DB_NOTFOUND, "usage: us2 has none");
	for (i = 0; i < sizeof(us_bad) / sizeof(us_bad[0]); i++) {
		ok(store_usage_put(s, us_bad[i].host, us_bad[i].at, us_bad[i].body) ==
		   -EPX_E_DB_INVALID, "usage: refused: %s", us_bad[i].name);
		ok(store_usage_get(s, "us1", u) == 0 && !strcmp(u->body, b2),
		   "usage: %s: the stored one unchanged", us_bad[i].name);
	}
	ok(store_usage_put(s, "us1", 5, NULL) == -EPX_E_DB_INVALID, "usage: a NULL body refused");
	ok(store_host_delete(s, "us1") == 0, "usage: delete the host");
	ok(store_usage_get(s, "us1", u) == -EPX_E_DB_NOTFOUND, "usage: gone with its host");
	us_host(s, "us1");
	ok(store_usage_get(s, "us1", u) == -EPX_E_DB_NOTFOUND,
	   "usage: a new host of that name starts without one");
	free(u);
}
