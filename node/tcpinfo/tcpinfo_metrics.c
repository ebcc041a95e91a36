/* tcpinfo_metrics: the text-file exposition (see tcpinfo_metrics.h). */
#include <inttypes.h>
#include <stdio.h>

#include "lib/err.h"
#include "node/tcpinfo/tcpinfo_metrics.h"

static const double metrics_le[TCPINFO_HIST_N] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
};

void tcpinfo_metrics_poll(struct tcpinfo_metrics *m, double seconds)
{
	unsigned i;

	for (i = 0; i < TCPINFO_HIST_N; i++)
		if (seconds <= metrics_le[i]) {
			m->bucket[i]++;
			break;
		}
	m->count++;
	m->sum += seconds;
}

static void tcpinfo_metrics_hist(FILE *f, const struct tcpinfo_metrics *m)
{
	uint64_t cum = 0;
	unsigned i;

	fprintf(f, "# HELP tcpinfo_poll_duration_seconds time of one poll (dump, parse, write)\n"
		"# TYPE tcpinfo_poll_duration_seconds histogram\n");
	for (i = 0; i < TCPINFO_HIST_N; i++) {
		cum += m->bucket[i];
		fprintf(f, "tcpinfo_poll_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
			metrics_le[i], cum);
	}
	fprintf(f, "tcpinfo_poll_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
		"tcpinfo_poll_duration_seconds_sum %.6f\n"
		"tcpinfo_poll_duration_seconds_count %" PRIu64 "\n", m->count, m->sum, m->count);
}

static void tcpinfo_metrics_one(FILE *f, const char *name, const char *type, const char *help,
			uint64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n", name, help, name, type, name, v);
}

static void tcpinfo_metrics_errors(FILE *f, const struct tcpinfo_metrics *m,
			   const struct tcpinfo_track *t, const struct tcpinfo_nl *nl,
			   const struct tcpinfo_ev *ev)
{
	fprintf(f, "# HELP tcpinfo_errors_total failures by kind\n"
		"# TYPE tcpinfo_errors_total counter\n"
		"tcpinfo_errors_total{kind=\"poll\"} %" PRIu64 "\n"
		"tcpinfo_errors_total{kind=\"incomplete_poll\"} %" PRIu64 "\n"
		"tcpinfo_errors_total{kind=\"bad_message\"} %" PRIu64 "\n"
		"tcpinfo_errors_total{kind=\"interrupted_dump\"} %" PRIu64 "\n"
		"tcpinfo_errors_total{kind=\"write\"} %" PRIu64 "\n"
		"tcpinfo_errors_total{kind=\"record\"} %" PRIu64 "\n"
		"tcpinfo_errors_total{kind=\"table_full\"} %" PRIu64 "\n"
		"tcpinfo_errors_total{kind=\"counter_backwards\"} %" PRIu64 "\n"
		"tcpinfo_errors_total{kind=\"event_reader_dropped\"} %" PRIu64 "\n",
		m->poll_errors, m->polls_incomplete, nl->st.bad, nl->st.intr, t->out->errors,
		t->st.errors, t->st.toomany, t->st.backwards, ev ? ev->dropped : 0);
}

int tcpinfo_metrics_write(const char *path, const struct tcpinfo_metrics *m,
			  const struct tcpinfo_track *t, const struct tcpinfo_nl *nl,
			  const struct tcpinfo_ev *ev)
{
	char tmp[4096];
	FILE *f;
	int rc = -EPX_E_TI_METRICS;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return rc;
	f = fopen(tmp, "we");
	if (!f)
		return rc;
	tcpinfo_metrics_hist(f, m);
	tcpinfo_metrics_one(f, "tcpinfo_connections", "gauge", "connections tracked now", t->n);
	tcpinfo_metrics_one(f, "tcpinfo_opens_total", "counter", "connections opened", t->st.opens);
	tcpinfo_metrics_one(f, "tcpinfo_closes_total", "counter", "connections closed", t->st.closes);
	tcpinfo_metrics_one(f, "tcpinfo_snapshots_total", "counter", "records written (open, change, close)",
		    t->st.snapshots);
	tcpinfo_metrics_one(f, "tcpinfo_bytes_written_total", "counter", "compressed bytes written",
		    t->out->bytes);
	tcpinfo_metrics_one(f, "tcpinfo_files_total", "counter", "data files started", t->out->files);
	tcpinfo_metrics_one(f, "tcpinfo_filtered_total", "counter", "sockets skipped by the filters",
		    t->st.filtered);
	tcpinfo_metrics_one(f, "tcpinfo_netlink_messages_total", "counter", "inet_diag messages parsed",
		    nl->st.msgs);
	tcpinfo_metrics_one(f, "tcpinfo_unknown_attributes_total", "counter",
		    "attributes of a type this build does not know, kept raw", nl->st.unknown);
	tcpinfo_metrics_one(f, "tcpinfo_large_batches_total", "counter",
		    "netlink receive batches that nearly filled the buffer", nl->st.large);
	tcpinfo_metrics_one(f, "tcpinfo_events_total", "counter", "event lines sent to readers",
		    ev ? ev->sent : 0);
	tcpinfo_metrics_errors(f, m, t, nl, ev);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return rc;
	return 0;
}
