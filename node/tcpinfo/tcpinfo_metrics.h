/* tcpinfo_metrics: epoxy-tcpinfo's Prometheus metrics, as a text file.
 *
 * Guarantees:
 *  - a fixed set of series (no label comes from a socket), written in the
 *    Prometheus text format to a file that node_exporter's textfile
 *    collector (or any scraper of a file) reads;
 *  - the file is replaced whole (written to "<path>.tmp", then renamed), so
 *    a reader never sees half an exposition;
 *  - the poll-duration histogram has fixed buckets from 100 us to 1 s. */
#ifndef EPOXY_TCPINFO_METRICS_H
#define EPOXY_TCPINFO_METRICS_H

#include <stdint.h>

#include "node/tcpinfo/tcpinfo_ev.h"
#include "node/tcpinfo/tcpinfo_nl.h"
#include "node/tcpinfo/tcpinfo_track.h"

#define TCPINFO_HIST_N 12

struct tcpinfo_metrics {
	uint64_t bucket[TCPINFO_HIST_N];        /* cumulative at render */
	uint64_t count;
	double sum;                             /* seconds */
	uint64_t polls_incomplete, poll_errors;
};

/* Counts one poll of the given duration. */
void tcpinfo_metrics_poll(struct tcpinfo_metrics *m, double seconds);
/* Writes the exposition to path.  Returns 0 or -EPX_E_TI_METRICS. */
int tcpinfo_metrics_write(const char *path, const struct tcpinfo_metrics *m,
			  const struct tcpinfo_track *t, const struct tcpinfo_nl *nl,
			  const struct tcpinfo_ev *ev);

#endif
