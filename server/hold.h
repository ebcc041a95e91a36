/* hold: long polls parked outside epoxyd's worker threads, with
 * libmicrohttpd's suspend/resume (server/sliverapi.c's held sliver-set
 * polls; docs/slivers.md).
 *
 * Guarantees:
 *  - a parked connection keeps no worker thread: only a table entry
 *    (HOLD_MAX at most; past that, or once hold_stop() began, hold_park
 *    refuses and the request is answered at once);
 *  - every parked connection is resumed, by one thread: at once after a
 *    sliverapi_kick() (an admin change of this epoxyd), at its due time,
 *    and every HOLD_CHECK_MS otherwise, so that its handler looks again
 *    (an expiry, a change made by another epoxyd on the same store, a
 *    revoked node, a client that hung up);
 *  - a connection is suspended and recorded under one lock, and resumed
 *    and forgotten under the same lock: never resumed twice, never
 *    resumed before it was suspended;
 *  - hold_stop() resumes every parked connection before it returns, so
 *    that MHD_stop_daemon never meets a suspended one. */
#ifndef EPOXY_HOLD_H
#define EPOXY_HOLD_H

#include <stddef.h>
#include <stdint.h>

#define HOLD_MAX 8192
#define HOLD_CHECK_MS 5000

struct MHD_Connection;

/* Starts the resuming thread.  0 or -errno. */
int hold_start(void);
/* Refuses new holds, resumes every parked connection, ends the thread. */
void hold_stop(void);
/* 1 while new holds are taken (started, not stopping, room left). */
int hold_open(void);
/* Suspends con until due_ms (hold_now_ms() scale) at the latest.
 * 0, or -ENOSPC (full or stopping: con was not suspended). */
int hold_park(struct MHD_Connection *con, int64_t due_ms);
/* Connections parked now. */
size_t hold_count(void);
/* The monotonic clock of due times, in ms. */
int64_t hold_now_ms(void);

#endif
