/* storm: boot-storm protection for epoxyd.
 *
 * Guarantees, whatever the load:
 *  - at most max_sessions session opens and max_downloads artifact streams
 *    run at once (storm_enter/storm_leave, lock-free counters);
 *  - each peer address has a token bucket (rate_per_sec, rate_burst) in a
 *    fixed-size table allocated once at storm_new(): memory never grows with
 *    the number of clients; when the table is full the least recently seen
 *    entry of the probed window is recycled;
 *  - a refused client gets a Retry-After in [retry_min, retry_max] that
 *    depends on its key (host name or address), a per-process random seed
 *    and the current minute, so a site's nodes do not retry in lockstep.
 * Thread-safe. */
#ifndef EPOXY_STORM_H
#define EPOXY_STORM_H

#include <stddef.h>
#include <stdint.h>

struct storm;

enum storm_kind { STORM_SESSION = 1, STORM_DOWNLOAD = 2 };

struct storm_limits {
	unsigned max_sessions;
	unsigned max_downloads;
	unsigned rate_per_sec;
	unsigned rate_burst;
	unsigned rate_table;        /* entries in the address table */
	unsigned retry_min;
	unsigned retry_max;
};

int storm_new(struct storm **out, const struct storm_limits *lim);
void storm_free(struct storm *st);

/* Takes a slot of kind.  Returns 0 or -EPX_E_SRV_BUSY. */
int storm_enter(struct storm *st, enum storm_kind kind);
void storm_leave(struct storm *st, enum storm_kind kind);
/* Slots in use. */
unsigned storm_active(const struct storm *st, enum storm_kind kind);

/* One request from addr (any bytes, e.g. the sockaddr's address part) at
 * time now_ms.  Returns 0 or -EPX_E_SRV_RATE. */
int storm_rate(struct storm *st, const void *addr, size_t len, uint64_t now_ms);

/* Retry-After seconds for key (host name or address text). */
unsigned storm_retry_after(const struct storm *st, const char *key,
			   int64_t now);

#endif
