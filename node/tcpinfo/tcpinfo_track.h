/* tcpinfo_track: the connections of the node, tracked by socket cookie.
 *
 * Guarantees:
 *  - a connection first seen writes an "open" snapshot and an open event;
 *    after that a snapshot is written only when something changed: the
 *    state, a tcp_info field other than the four last_* timers, idiag's
 *    fields other than its timer countdown, or any other attribute (bytes
 *    compared through a 64-bit hash, so a change of any byte counts);
 *  - a connection missing from a complete poll is closed: a close line and
 *    a close event, its stream flushed; an incomplete poll closes nothing;
 *  - the Counters of a snapshot are 64 bits and never decrease: 32-bit
 *    kernel counters are extended across wraps, a value that went
 *    backwards keeps the last one and is counted (backwards);
 *  - memory is bounded: at most max_conns connections (more are counted in
 *    toomany, not tracked), each with a fixed-size entry and its pending
 *    lines (bounded by the output's flush size plus one record).
 * Not thread-safe. */
#ifndef EPOXY_TCPINFO_TRACK_H
#define EPOXY_TCPINFO_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "node/tcpinfo/tcpinfo_out.h"

#define TCPINFO_PORTS_MAX 64
#define TCPINFO_CONNS_MAX (1u << 22)

struct tcpinfo_conn;

/* receives each event line (open and close), NUL-terminated */
typedef void (*tcpinfo_event_fn)(void *arg, const char *line, size_t len);

struct tcpinfo_filter {
	int exclude_local;              /* drop loopback and same-address peers */
	uint16_t ports[TCPINFO_PORTS_MAX];   /* keep only these (local or remote) */
	unsigned nports;
	uint16_t xports[TCPINFO_PORTS_MAX];  /* drop these local ports */
	unsigned nxports;
};

struct tcpinfo_track_stats {
	uint64_t opens, closes, snapshots, filtered, toomany, backwards, errors;
};

struct tcpinfo_track {
	struct tcpinfo_conn *tab;
	size_t cap, n, max_conns;
	uint32_t gen;
	struct tcpinfo_filter filter;
	struct tcpinfo_out *out;
	const char *host;
	uint64_t boot;
	tcpinfo_event_fn event;
	void *event_arg;
	uint64_t now;                   /* ns since the epoch of this poll */
	char time[TCPINFO_TIME_LEN];
	struct tcpinfo_buf evbuf;
	int last_err;
	struct tcpinfo_track_stats st;
};

int tcpinfo_track_init(struct tcpinfo_track *t, size_t max_conns, struct tcpinfo_out *out,
		       const char *host, uint64_t boot);
/* Flushes nothing: call tcpinfo_track_flush_all() first. */
void tcpinfo_track_free(struct tcpinfo_track *t);
/* Starts a poll at now (ns since the epoch). */
void tcpinfo_track_begin(struct tcpinfo_track *t, uint64_t now);
/* The tcpinfo_nl callback (ctx is the track); returns 0. */
int tcpinfo_track_msg(void *ctx, const struct tcpinfo_msg *m);
/* Ends a poll: closes what the poll did not see when complete, flushes
 * buffers that are due.  Returns 0 or the last write error. */
int tcpinfo_track_end(struct tcpinfo_track *t, int complete);
/* Flushes every pending buffer (at exit); connections stay open. */
int tcpinfo_track_flush_all(struct tcpinfo_track *t);
/* 1 when m passes the filter. */
int tcpinfo_filter_pass(const struct tcpinfo_filter *f, const struct tcpinfo_msg *m);

#endif
