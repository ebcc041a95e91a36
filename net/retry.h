/* retry: the client's retry policy: jittered exponential backoff and the
 * outage clock that lets a caller wait out a server that is away.
 *
 * Guarantees: a backoff never sleeps more than RETRY_BACKOFF_CAP_MS (or the
 * server's Retry-After, capped by net/httpc.h, when that is longer) and is
 * jittered so a site that lost power does not come back in lockstep; only
 * transport failures and 503 count as an outage, never a refusal or a
 * failed check.  Nothing is printed here: a caller that wants a line per
 * wait sets on_wait. */
#ifndef EPOXY_NET_RETRY_H
#define EPOXY_NET_RETRY_H

#include <stdint.h>

#define RETRY_BACKOFF_CAP_MS 30000u

struct retry_opts {
	unsigned retries;               /* attempts per request */
	unsigned backoff_ms;            /* base of the jittered backoff */
	uint64_t min_rate;              /* bytes/s of a body, 0: no check */
	int64_t phase_ms;               /* deadline per attempt */
	unsigned server_wait_s;         /* outage: uncounted retries */
	/* told before each outage wait: seconds away so far, of wait_s */
	void (*on_wait)(int64_t away_s, unsigned wait_s);
};

/* A jittered exponential delay for attempt (0-based), in ms: d = base_ms
 * doubled per attempt, at most cap_ms, then "equal jitter": d/2 fixed and
 * up to d/2 random, so the result is in [d/2, d] (d/2 when getrandom fails). */
uint64_t retry_delay_ms(unsigned base_ms, unsigned attempt, uint64_t cap_ms);
/* Sleeps retry_delay_ms(base_ms, attempt, RETRY_BACKOFF_CAP_MS), or at
 * least retry_after_s when that is > 0. */
void retry_backoff(unsigned base_ms, unsigned attempt, int retry_after_s);
/* The retry loops' outage clock.  rc is a failed request's code; when it
 * says the server is unreachable, cut off or overloaded (E1100, E1101,
 * E1105, E1116, E1118, E1120) and that has lasted less than
 * o->server_wait_s (since *since, -1 before the first such failure), calls
 * o->on_wait, backs off and returns 1: the caller retries without
 * counting.  Otherwise returns 0 (any other code resets *since). */
int retry_outage(const struct retry_opts *o, int64_t *since, int rc,
		 unsigned attempt, int retry_after_s);

#endif
