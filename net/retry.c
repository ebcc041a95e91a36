/* retry: backoff and outage clock of the client's retry loops.
 *
 * Time comes from tls_now_ms() (monotonic); randomness for the jitter from
 * lib/rand (getrandom), falling back to no jitter if that fails. */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "lib/err.h"
#include "lib/rand.h"
#include "net/retry.h"
#include "net/tls.h"

uint64_t retry_delay_ms(unsigned base_ms, unsigned attempt, uint64_t cap_ms)
{
	uint64_t d = base_ms, j = 0;

	while (attempt-- > 0 && d < cap_ms && d <= UINT64_MAX / 2)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	/* equal jitter: half fixed, half random, so a site that lost power
	 * does not come back in lockstep */
	if (rand_bytes(&j, sizeof(j)) < 0)
		j = 0;
	return d / 2 + (d / 2 ? j % (d / 2 + 1) : 0);
}

void retry_backoff(unsigned base_ms, unsigned attempt, int retry_after_s)
{
	uint64_t d = retry_delay_ms(base_ms, attempt, RETRY_BACKOFF_CAP_MS), j = 0;
	struct timespec ts;

	if (retry_after_s > 0 && d < (uint64_t)retry_after_s * 1000) {
		if (rand_bytes(&j, sizeof(j)) < 0)
			j = 0;
		d = (uint64_t)retry_after_s * 1000 + j % 1000;
	}
	ts.tv_sec = (time_t)(d / 1000);
	ts.tv_nsec = (long)(d % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int retry_outage(const struct retry_opts *o, int64_t *since, int rc,
		 unsigned attempt, int retry_after_s)
{
	int64_t now = tls_now_ms();

	switch (-rc) {
	case EPX_E_NET_CONNECT:
	case EPX_E_TLS_HANDSHAKE:
	case EPX_E_TLS_IO:
	case EPX_E_HTTP_TRUNC:
	case EPX_E_HTTP_DEADLINE:
	case EPX_E_HTTP_BUSY:
		break;
	default:        /* a refusal or a failed check: never waited for */
		*since = -1;
		return 0;
	}
	if (*since < 0)
		*since = now;
	if (now - *since >= (int64_t)o->server_wait_s * 1000)
		return 0;
	if (o->on_wait)
		o->on_wait((now - *since) / 1000, o->server_wait_s);
	retry_backoff(o->backoff_ms, attempt, retry_after_s);
	return 1;
}
