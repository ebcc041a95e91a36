/* storm: bounded concurrency, per-address token buckets and jittered
 * Retry-After (see storm.h for the guarantees).
 *
 * The address table is open addressing over rate_table entries with a probe
 * window of STORM_PROBE: lookups and inserts touch at most STORM_PROBE
 * entries, and a full window recycles its least recently seen entry (a
 * recycled address starts with a full bucket, which only ever errs towards
 * serving).  One mutex guards the table; the critical section is a few
 * dozen instructions. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/rand.h"
#include "server/storm.h"

#define STORM_PROBE 8
#define STORM_KEY_MAX 16            /* an IPv6 address */
#define STORM_MILLI 1000ULL         /* bucket arithmetic in milli-tokens */

struct storm_ent {
	uint8_t key[STORM_KEY_MAX];
	uint8_t keylen;             /* 0: empty */
	uint64_t milli;             /* tokens * 1000 */
	uint64_t last_ms;
};

struct storm {
	struct storm_limits lim;
	atomic_uint sessions;
	atomic_uint downloads;
	uint64_t seed;
	pthread_mutex_t lock;
	struct storm_ent *tab;
};

static uint64_t storm_hash(uint64_t seed, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	/* final avalanche so nearby addresses spread over the table */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

int storm_new(struct storm **out, const struct storm_limits *lim)
{
	struct storm *st;
	int rc = -ENOMEM;

	*out = NULL;
	if (!lim->rate_table || !lim->rate_burst || lim->retry_min > lim->retry_max)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return rc;
	st->lim = *lim;
	st->tab = calloc(lim->rate_table, sizeof(*st->tab));
	if (!st->tab)
		goto err_free;
	rc = rand_bytes(&st->seed, sizeof(st->seed));
	if (rc < 0)
		goto err_tab;
	pthread_mutex_init(&st->lock, NULL);
	atomic_init(&st->sessions, 0);
	atomic_init(&st->downloads, 0);
	*out = st;
	return 0;
err_tab:
	free(st->tab);
err_free:
	free(st);
	return rc;
}

void storm_free(struct storm *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st->tab);
	free(st);
}

static atomic_uint *storm_counter(struct storm *st, enum storm_kind kind,
				  unsigned *max)
{
	if (kind == STORM_SESSION) {
		*max = st->lim.max_sessions;
		return &st->sessions;
	}
	*max = st->lim.max_downloads;
	return &st->downloads;
}

int storm_enter(struct storm *st, enum storm_kind kind)
{
	unsigned max, cur;
	atomic_uint *c = storm_counter(st, kind, &max);

	cur = atomic_load(c);
	do {
		if (cur >= max)
			return -EPX_E_SRV_BUSY;
	} while (!atomic_compare_exchange_weak(c, &cur, cur + 1));
	return 0;
}

void storm_leave(struct storm *st, enum storm_kind kind)
{
	unsigned max;
	atomic_uint *c = storm_counter(st, kind, &max);

	atomic_fetch_sub(c, 1);
}

unsigned storm_active(const struct storm *st, enum storm_kind kind)
{
	return kind == STORM_SESSION ? atomic_load(&((struct storm *)st)->sessions) :
		atomic_load(&((struct storm *)st)->downloads);
}

/* Finds addr's entry or the slot to recycle for it. */
static struct storm_ent *storm_slot(struct storm *st, const uint8_t *k,
				    size_t len, int *fresh)
{
	size_t n = st->lim.rate_table, i, idx;
	struct storm_ent *victim;

	idx = (size_t)(storm_hash(st->seed, k, len) % n);
	victim = &st->tab[idx];
	for (i = 0; i < STORM_PROBE && i < n; i++) {
		struct storm_ent *e = &st->tab[(idx + i) % n];

		if (e->keylen == len && !memcmp(e->key, k, len)) {
			*fresh = 0;
			return e;
		}
		if (victim->keylen != 0 &&
		    (e->keylen == 0 || e->last_ms < victim->last_ms))
			victim = e;
	}
	*fresh = 1;
	return victim;
}

int storm_rate(struct storm *st, const void *addr, size_t len, uint64_t now_ms)
{
	const uint64_t cap = (uint64_t)st->lim.rate_burst * STORM_MILLI;
	struct storm_ent *e;
	int fresh = 0, rc = -EPX_E_SRV_RATE;

	if (len > STORM_KEY_MAX)
		len = STORM_KEY_MAX;
	pthread_mutex_lock(&st->lock);
	e = storm_slot(st, addr, len, &fresh);
	if (fresh) {
		memcpy(e->key, addr, len);
		e->keylen = (uint8_t)len;
		e->milli = cap;
		e->last_ms = now_ms;
	} else if (now_ms > e->last_ms) {
		uint64_t add = (now_ms - e->last_ms) * st->lim.rate_per_sec;

		e->milli = add >= cap || cap - add < e->milli ? cap : e->milli + add;
		e->last_ms = now_ms;
	}
	if (e->milli >= STORM_MILLI) {
		e->milli -= STORM_MILLI;
		rc = 0;
	}
	pthread_mutex_unlock(&st->lock);
	return rc;
}

unsigned storm_retry_after(const struct storm *st, const char *key, int64_t now)
{
	unsigned span = st->lim.retry_max - st->lim.retry_min + 1;
	uint64_t h = storm_hash(st->seed ^ (uint64_t)(now / 60), key, strlen(key));

	return st->lim.retry_min + (unsigned)(h % span);
}
