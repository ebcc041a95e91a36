/* slow: deadlines and caps for slow connections (slow.c says what it
 * guarantees).  epoxyd wires it into libmicrohttpd: slow_accept from the
 * accept policy, slow_open/slow_close from the connection notifications,
 * slow_request/slow_body/slow_answered from the request handler, slow_idle
 * when a request completes.  A NULL struct slow turns every call into a
 * no-op. */
#ifndef EPOXY_SERVER_SLOW_H
#define EPOXY_SERVER_SLOW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct metrics;

struct slow_cfg {
	unsigned header_timeout;   /* s: accept (or last answer) to full headers */
	unsigned body_timeout;     /* s: headers to full body */
	unsigned body_min_rate;    /* bytes/s averaged, after a grace period */
	unsigned per_addr;         /* pending connections per address */
	unsigned max_pending;      /* pending connections in total */
};

struct slow;

enum slow_req { SLOW_REQ_NONE, SLOW_REQ_BODY, SLOW_REQ_UPLOAD };

int slow_new(struct slow **out, const struct slow_cfg *cfg, size_t max_conns,
	     struct metrics *m);
void slow_free(struct slow *s);
/* 0: accept; -EAGAIN: this address holds its share of pending ones. */
int slow_accept(struct slow *s, const struct sockaddr *sa);
void *slow_open(struct slow *s, int fd, const struct sockaddr *sa);
void slow_close(struct slow *s, void *h);
/* The request's headers are in; kind says what body follows: none, a
 * small one (body_timeout and body_min_rate), an admin upload (only
 * body_min_rate: its length is bounded by admin_upload_max). */
void slow_request(struct slow *s, void *h, enum slow_req kind);
void slow_body(struct slow *s, void *h, size_t n);
void slow_answered(struct slow *s, void *h);
void slow_idle(struct slow *s, void *h);
void slow_tick(struct slow *s);

#endif
