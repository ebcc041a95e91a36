/* metrics: fixed counters rendered as Prometheus text (see metrics.h).
 * Every series name and help text is a compile-time constant. */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "server/metrics.h"
#include "server/storm.h"

struct metrics {
	_Atomic uint64_t c[M_NCTRS];
	int64_t started;
};

static const struct {
	const char *name;
	const char *label;       /* "" or a fixed label set */
	const char *help;
} metrics_desc[M_NCTRS] = {
	[M_REQ_2XX] = { "epoxyd_http_responses_total", "{class=\"2xx\"}", "HTTP answers by status class" },
	[M_REQ_3XX] = { "epoxyd_http_responses_total", "{class=\"3xx\"}", NULL },
	[M_REQ_4XX] = { "epoxyd_http_responses_total", "{class=\"4xx\"}", NULL },
	[M_REQ_5XX] = { "epoxyd_http_responses_total", "{class=\"5xx\"}", NULL },
	[M_REQ_PLAIN] = { "epoxyd_http_requests_total", "{listener=\"http\"}", "HTTP requests by listener" },
	[M_REQ_TLS] = { "epoxyd_http_requests_total", "{listener=\"https\"}", NULL },
	[M_SESSIONS_OPENED] = { "epoxyd_sessions_opened_total", "", "boot sessions opened" },
	[M_SESSIONS_REFUSED] = { "epoxyd_sessions_refused_total", "", "session requests refused" },
	[M_TOKENS_REDEEMED] = { "epoxyd_tokens_redeemed_total", "", "tokens redeemed" },
	[M_TOKENS_REFUSED] = { "epoxyd_tokens_refused_total", "", "token redemptions refused" },
	[M_TOKENS_ISSUED] = { "epoxyd_tokens_issued_total", "", "tokens issued" },
	[M_ARTIFACT_BYTES] = { "epoxyd_artifact_bytes_total", "", "artifact bytes queued for sending" },
	[M_BOOTFILE_BYTES] = { "epoxyd_bootfile_bytes_total", "", "firmware-leg bytes queued for sending" },
	[M_BUSY] = { "epoxyd_busy_total", "", "requests shed with 503 by the concurrency limits" },
	[M_RATE_LIMITED] = { "epoxyd_rate_limited_total", "", "requests shed by the per-address rate limit" },
	[M_REPORTS_OK] = { "epoxyd_reports_total", "{status=\"ok\"}", "node reports by status" },
	[M_REPORTS_FAIL] = { "epoxyd_reports_total", "{status=\"fail\"}", NULL },
	[M_JOINCREDS] = { "epoxyd_joincreds_total", "", "join credentials handed out" },
	[M_STORE_ERRORS] = { "epoxyd_store_errors_total", "", "store failures" },
	[M_SHED_HEADER] = { "epoxyd_conns_shed_total", "{reason=\"header_deadline\"}",
			    "slow connections shed, by reason (issue 13)" },
	[M_SHED_BODY] = { "epoxyd_conns_shed_total", "{reason=\"body_deadline\"}", NULL },
	[M_SHED_ADDR] = { "epoxyd_conns_shed_total", "{reason=\"per_address\"}", NULL },
	[M_SHED_RESERVE] = { "epoxyd_conns_shed_total", "{reason=\"reserve\"}", NULL },
};

int metrics_new(struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof(*m));

	*out = m;
	if (!m)
		return -ENOMEM;
	m->started = (int64_t)time(NULL);
	return 0;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

void metrics_add(struct metrics *m, enum metrics_ctr c, uint64_t n)
{
	if (m && (unsigned)c < M_NCTRS)
		atomic_fetch_add_explicit(&m->c[c], n, memory_order_relaxed);
}

uint64_t metrics_get(const struct metrics *m, enum metrics_ctr c)
{
	if (!m || (unsigned)c >= M_NCTRS)
		return 0;
	return atomic_load_explicit(&((struct metrics *)m)->c[c], memory_order_relaxed);
}

struct mbuf {
	char *p;
	size_t cap, len;
	int err;
};

__attribute__((format(printf, 2, 3)))
static void metrics_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->err = 1;
	else
		b->len += (size_t)n;
}

long metrics_render(const struct metrics *m, const struct storm *st,
		    char *out, size_t cap)
{
	struct mbuf b = { out, cap, 0, cap == 0 };
	size_t i;

	for (i = 0; i < M_NCTRS; i++) {
		if (metrics_desc[i].help) {
			metrics_printf(&b, "# HELP %s %s\n", metrics_desc[i].name, metrics_desc[i].help);
			metrics_printf(&b, "# TYPE %s counter\n", metrics_desc[i].name);
		}
		metrics_printf(&b, "%s%s %llu\n", metrics_desc[i].name, metrics_desc[i].label,
			  (unsigned long long)metrics_get(m, (enum metrics_ctr)i));
	}
	if (st) {
		metrics_printf(&b, "# HELP epoxyd_active Requests holding a boot-storm slot\n");
		metrics_printf(&b, "# TYPE epoxyd_active gauge\n");
		metrics_printf(&b, "epoxyd_active{kind=\"session\"} %u\n", storm_active(st, STORM_SESSION));
		metrics_printf(&b, "epoxyd_active{kind=\"download\"} %u\n", storm_active(st, STORM_DOWNLOAD));
	}
	metrics_printf(&b, "# HELP epoxyd_start_time_seconds Start time of the process\n");
	metrics_printf(&b, "# TYPE epoxyd_start_time_seconds gauge\n");
	metrics_printf(&b, "epoxyd_start_time_seconds %lld\n", (long long)(m ? m->started : 0));
	if (b.err)
		return -ENOSPC;
	return (long)b.len;
}
