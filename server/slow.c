/* slow: epoxyd's guard against slow clients (issue 13 point 7).
 *
 * Guarantees, to epoxyd and through it to every healthy client:
 *  - a connection that has not finished its request headers (for HTTPS:
 *    the TLS handshake and the headers) within header_timeout seconds of
 *    its accept, or of the end of its previous request, is shut down; a
 *    trickled byte never resets this deadline (libmicrohttpd's own timeout
 *    is an idle timeout, which it does);
 *  - a request body must arrive within body_timeout seconds (an admin
 *    upload: no total deadline, its size is capped) and, after SLOW_GRACE
 *    seconds, at body_min_rate bytes per second on average;
 *  - one address holds at most per_addr connections that have not finished
 *    their headers or body ("pending"); more are refused at accept;
 *  - all addresses together hold at most max_pending pending connections;
 *    a new connection beyond that sheds the oldest pending one, so a new
 *    client always finds room (the reserve);
 *  - every connection shed is counted by reason in /metrics.
 * The table holds one entry per open connection (fixed size, found by the
 * connection's socket context); a shut-down socket is closed by
 * libmicrohttpd, which removes the entry first (slow_close) under the same
 * lock, so shutdown() never reaches a reused descriptor. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/slow.h"

#define SLOW_GRACE 5   /* seconds before the minimum body rate applies */

enum slow_phase { SLOW_FREE, SLOW_HEADER, SLOW_BODY, SLOW_UPLOAD, SLOW_BUSY };

struct slow_ent {
	enum slow_phase phase;
	int fd;
	int shed;
	uint8_t addr[16];
	time_t since;
	uint64_t body;
};

struct slow {
	struct slow_cfg cfg;
	struct metrics *metrics;
	pthread_mutex_t lock;
	struct slow_ent *ents;
	size_t nents;
	pthread_t thread;
	int running;
};

static time_t slow_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* IPv4 as v4-mapped IPv6, so one compare fits both. */
static void slow_addr(const struct sockaddr *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa && sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

static int slow_pending(const struct slow_ent *e)
{
	return (e->phase == SLOW_HEADER || e->phase == SLOW_BODY ||
		e->phase == SLOW_UPLOAD) && !e->shed;
}

/* Shuts e's socket down (libmicrohttpd then closes it). Lock held. */
static void slow_shed(struct slow *s, struct slow_ent *e, enum metrics_ctr why)
{
	if (e->shed)
		return;
	e->shed = 1;
	shutdown(e->fd, SHUT_RDWR);
	metrics_add(s->metrics, why, 1);
	log_msg(LOG_INFO, "shed a %s connection (EPOXY-E%04d)",
		why == M_SHED_HEADER ? "slow (header deadline)" :
		why == M_SHED_BODY ? "slow (body deadline or rate)" :
		"pending (room for a new client)", EPX_E_SRV_SLOW);
}

int slow_accept(struct slow *s, const struct sockaddr *sa)
{
	struct slow_ent *oldest = NULL;
	uint8_t a[16];
	size_t i, mine = 0, all = 0;
	int rc = 0;

	if (!s)
		return 0;
	slow_addr(sa, a);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nents; i++) {
		struct slow_ent *e = &s->ents[i];

		if (!slow_pending(e))
			continue;
		all++;
		if (!memcmp(e->addr, a, 16))
			mine++;
		if (!oldest || e->since < oldest->since)
			oldest = e;
	}
	if (mine >= s->cfg.per_addr) {
		metrics_add(s->metrics, M_SHED_ADDR, 1);
		log_msg(LOG_INFO, "refused a connection: its address holds %zu unfinished "
			"requests (EPOXY-E%04d)", mine, EPX_E_SRV_SLOW);
		rc = -EAGAIN;
	} else if (all >= s->cfg.max_pending && oldest) {
		slow_shed(s, oldest, M_SHED_RESERVE);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void *slow_open(struct slow *s, int fd, const struct sockaddr *sa)
{
	struct slow_ent *e = NULL;
	size_t i;

	if (!s)
		return NULL;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nents; i++)
		if (s->ents[i].phase == SLOW_FREE) {
			e = &s->ents[i];
			memset(e, 0, sizeof(*e));
			e->phase = SLOW_HEADER;
			e->fd = fd;
			e->since = slow_now();
			slow_addr(sa, e->addr);
			break;
		}
	pthread_mutex_unlock(&s->lock);
	return e;
}

static void slow_set(struct slow *s, void *h, enum slow_phase p)
{
	struct slow_ent *e = h;

	if (!s || !e)
		return;
	pthread_mutex_lock(&s->lock);
	if (e->phase != SLOW_FREE) {
		e->phase = p;
		e->since = slow_now();
		e->body = 0;
	}
	pthread_mutex_unlock(&s->lock);
}

void slow_request(struct slow *s, void *h, enum slow_req kind)
{
	slow_set(s, h, kind == SLOW_REQ_BODY ? SLOW_BODY :
		 kind == SLOW_REQ_UPLOAD ? SLOW_UPLOAD : SLOW_BUSY);
}

void slow_answered(struct slow *s, void *h)
{
	slow_set(s, h, SLOW_BUSY);
}

void slow_idle(struct slow *s, void *h)
{
	slow_set(s, h, SLOW_HEADER);
}

void slow_body(struct slow *s, void *h, size_t n)
{
	struct slow_ent *e = h;

	if (!s || !e)
		return;
	pthread_mutex_lock(&s->lock);
	e->body += n;
	pthread_mutex_unlock(&s->lock);
}

void slow_close(struct slow *s, void *h)
{
	struct slow_ent *e = h;

	if (!s || !e)
		return;
	pthread_mutex_lock(&s->lock);
	e->phase = SLOW_FREE;
	e->fd = -1;
	pthread_mutex_unlock(&s->lock);
}

/* One pass over the table: shed every connection past its deadline. */
void slow_tick(struct slow *s)
{
	time_t now = slow_now();
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nents; i++) {
		struct slow_ent *e = &s->ents[i];
		time_t age = now - e->since;

		if (!slow_pending(e))
			continue;
		if (e->phase == SLOW_HEADER && age >= (time_t)s->cfg.header_timeout)
			slow_shed(s, e, M_SHED_HEADER);
		else if (e->phase == SLOW_BODY && age >= (time_t)s->cfg.body_timeout)
			slow_shed(s, e, M_SHED_BODY);
		else if (e->phase != SLOW_HEADER && age > SLOW_GRACE &&
			 e->body < (uint64_t)age * s->cfg.body_min_rate)
			slow_shed(s, e, M_SHED_BODY);
	}
	pthread_mutex_unlock(&s->lock);
}

static void *slow_thread(void *arg)
{
	struct slow *s = arg;

	while (__atomic_load_n(&s->running, __ATOMIC_ACQUIRE)) {
		usleep(250000);
		slow_tick(s);
	}
	return NULL;
}

int slow_new(struct slow **out, const struct slow_cfg *cfg, size_t max_conns,
	     struct metrics *m)
{
	struct slow *s = calloc(1, sizeof(*s));
	int rc = -ENOMEM;

	*out = NULL;
	if (!s)
		return rc;
	s->cfg = *cfg;
	s->metrics = m;
	s->nents = max_conns;
	s->ents = calloc(max_conns, sizeof(*s->ents));
	if (!s->ents)
		goto fail_ents;
	pthread_mutex_init(&s->lock, NULL);
	s->running = 1;
	rc = -pthread_create(&s->thread, NULL, slow_thread, s);
	if (rc)
		goto fail_thread;
	*out = s;
	return 0;
fail_thread:
	pthread_mutex_destroy(&s->lock);
	free(s->ents);
fail_ents:
	free(s);
	return rc;
}

void slow_free(struct slow *s)
{
	if (!s)
		return;
	__atomic_store_n(&s->running, 0, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	free(s->ents);
	free(s);
}
