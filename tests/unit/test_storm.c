/* test_storm: concurrency slots, per-address token buckets with a fixed
 * table, and the Retry-After window (server/storm.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "server/storm.h"
#include "tests/test.h"

static void test_slots(void)
{
	struct storm_limits l = { 2, 3, 10, 5, 64, 5, 60 };
	struct storm *st;
	int i, got = 0;

	ok(storm_new(&st, &l) == 0, "storm_new");
	for (i = 0; i < 5; i++)
		got += storm_enter(st, STORM_SESSION) == 0;
	ok(got == 2 && storm_active(st, STORM_SESSION) == 2, "two session slots, no more");
	ok(storm_enter(st, STORM_SESSION) == -EPX_E_SRV_BUSY, "third session: busy");
	storm_leave(st, STORM_SESSION);
	ok(storm_enter(st, STORM_SESSION) == 0, "a freed slot is reusable");
	for (got = 0, i = 0; i < 5; i++)
		got += storm_enter(st, STORM_DOWNLOAD) == 0;
	ok(got == 3, "download slots counted apart from sessions");
	storm_free(st);
}

static void test_rate(void)
{
	struct storm_limits l = { 1, 1, 10, 5, 16, 5, 60 };
	unsigned char a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 2 };
	struct storm *st;
	uint64_t t = 1000000;
	int i, got = 0;

	ok(storm_new(&st, &l) == 0, "storm_new");
	for (i = 0; i < 8; i++)
		got += storm_rate(st, a, 4, t) == 0;
	ok(got == 5, "burst of 5 then refused (%d)", got);
	ok(storm_rate(st, b, 4, t) == 0, "another address has its own bucket");
	ok(storm_rate(st, a, 4, t + 50) == -EPX_E_SRV_RATE, "50 ms refill half a token: still refused");
	ok(storm_rate(st, a, 4, t + 100) == 0, "100 ms at 10/s refills one token");
	ok(storm_rate(st, a, 4, t + 100) == -EPX_E_SRV_RATE, "...and only one");
	for (got = 0, i = 0; i < 10; i++)
		got += storm_rate(st, a, 4, t + 100000) == 0;
	ok(got == 5, "long idle refills to the burst, not beyond (%d)", got);
	ok(storm_rate(st, a, 4, t) == -EPX_E_SRV_RATE, "clock going backwards adds nothing");
	/* many more addresses than the table: bounded, still answers */
	for (got = 0, i = 0; i < 10000; i++) {
		unsigned char x[4] = { 10, (unsigned char)(i >> 16), (unsigned char)(i >> 8), (unsigned char)i };

		got += storm_rate(st, x, 4, t + 200000) == 0;
	}
	ok(got == 10000, "10000 new addresses through a 16-entry table all served");
	{
		unsigned char longkey[20] = { 1 };

		ok(storm_rate(st, longkey, sizeof(longkey), t) == 0, "over-long key clamped, no overflow");
	}
	storm_free(st);
}

static void test_retry(void)
{
	struct storm_limits l = { 1, 1, 1, 1, 16, 5, 60 };
	struct storm *st;
	unsigned lo = 1000, hi = 0, v, distinct = 0, seen[61] = { 0 };
	char key[32];
	int i;

	ok(storm_new(&st, &l) == 0, "storm_new");
	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "node%d", i);
		v = storm_retry_after(st, key, 1763784000);
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		if (v <= 60 && !seen[v]++)
			distinct++;
	}
	ok(lo >= 5 && hi <= 60, "Retry-After within [5, 60] (%u..%u)", lo, hi);
	ok(distinct > 40, "jittered per host (%u distinct values)", distinct);
	ok(storm_retry_after(st, "node1", 1763784000) == storm_retry_after(st, "node1", 1763784010),
	   "stable for one host within a minute");
	storm_free(st);
	l.retry_min = 61;
	ok(storm_new(&st, &l) == -EINVAL, "retry_min > retry_max refused");
	l.retry_min = 5;
	l.rate_table = 0;
	ok(storm_new(&st, &l) == -EINVAL, "empty table refused");
}

int main(void)
{
	test_slots();
	test_rate();
	test_retry();
	return test_done();
}
