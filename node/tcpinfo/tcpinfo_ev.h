/* tcpinfo_ev: the open/close event stream on a Unix socket.
 *
 * Guarantees:
 *  - a listening SOCK_STREAM socket at a path (a stale socket file there is
 *    replaced, anything else refused); at most TCPINFO_EV_CLIENTS readers,
 *    further ones are accepted and closed at once;
 *  - each event is one JSON line (tcpinfo_rec_event) sent whole or not at
 *    all: a reader that cannot take a line without blocking is
 *    disconnected and counted (dropped), so a slow reader never stalls the
 *    poll loop and never receives half a line. */
#ifndef EPOXY_TCPINFO_EV_H
#define EPOXY_TCPINFO_EV_H

#include <stddef.h>
#include <stdint.h>

#define TCPINFO_EV_CLIENTS 16

struct tcpinfo_ev {
	int lfd;
	int cl[TCPINFO_EV_CLIENTS];
	unsigned n;
	uint64_t sent, dropped;
	char path[108];
};

int tcpinfo_ev_open(struct tcpinfo_ev *ev, const char *path);
void tcpinfo_ev_close(struct tcpinfo_ev *ev);
/* Accepts the readers waiting on the listening socket. */
void tcpinfo_ev_accept(struct tcpinfo_ev *ev);
/* A tcpinfo_event_fn: sends line[0..len) and a newline to every reader. */
void tcpinfo_ev_send(void *arg, const char *line, size_t len);

#endif
