/* metrics: epoxyd's counters and gauges in the Prometheus text format.
 *
 * Fixed set of series (no labels built from request data, so a client can
 * never grow the exposition or inject text into it); lock-free atomic
 * counters; metrics_render() writes the whole exposition into a caller
 * buffer and fails cleanly (-ENOSPC) rather than truncating. */
#ifndef EPOXY_METRICS_H
#define EPOXY_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct storm;

enum metrics_ctr {
	M_REQ_2XX, M_REQ_3XX, M_REQ_4XX, M_REQ_5XX, /* answers by class */
	M_REQ_PLAIN, M_REQ_TLS,                     /* requests by listener */
	M_SESSIONS_OPENED,
	M_SESSIONS_REFUSED,
	M_TOKENS_REDEEMED,
	M_TOKENS_REFUSED,
	M_TOKENS_ISSUED,
	M_ARTIFACT_BYTES,
	M_BOOTFILE_BYTES,
	M_BUSY,                                     /* 503 for limits */
	M_RATE_LIMITED,
	M_REPORTS_OK,
	M_REPORTS_FAIL,
	M_JOINCREDS,
	M_STORE_ERRORS,
	M_SHED_HEADER,                              /* slow connections shed */
	M_SHED_BODY,
	M_SHED_ADDR,
	M_SHED_RESERVE,
	M_NCTRS
};

struct metrics;

int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);
void metrics_add(struct metrics *m, enum metrics_ctr c, uint64_t n);
uint64_t metrics_get(const struct metrics *m, enum metrics_ctr c);
/* Writes the exposition (counters plus the gauges of st, which may be
 * NULL) to out.  Returns the length or -ENOSPC. */
long metrics_render(const struct metrics *m, const struct storm *st,
		    char *out, size_t cap);

#endif
