/* con: the agent's console.
 *
 * Guarantees: one line per stage ("epoxy: stage <name> ..."), every failure
 * on its own line starting with its stable code ("EPOXY-E1234 <text>"), and
 * a bounded tail (CON_TAIL_MAX bytes) of everything printed, for reports.
 * Nothing here ever receives a token or credential: callers pass IDs and
 * lengths only. */
#ifndef EPOXY_STAGE2_CON_H
#define EPOXY_STAGE2_CON_H

#include <stddef.h>
#include <stdint.h>

#include "lib/nodeproto.h"

/* the tail a report carries: the cap epoxyd's /v1/report accepts */
#define CON_TAIL_MAX NODEPROTO_TAIL_MAX
#define CON_LINE_MAX 512

void con_stage(const char *stage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void con_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "EPOXY-Exxxx <registry text>: <detail>"; returns rc unchanged. */
int con_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Download progress: bytes done of total, rate in bytes/s. */
void con_progress(const char *what, uint64_t done, uint64_t total,
		  uint64_t rate);
/* The line that ends a stage's HTTPS client: "stage connect N requests over
 * M TLS handshakes (SUITE)", suite being the last handshake's (net/https's
 * suite) or "none" when NULL. */
void con_connect(unsigned requests, unsigned handshakes, const char *suite);
/* The retry line while the server is away (net/retry's on_wait). */
void con_outage(int64_t away_s, unsigned wait_s);
/* Copies the tail (oldest first) into out; returns its length. */
size_t con_tail(char *out, size_t cap);
/* Silences the console (fuzzing, unit tests of noisy paths). */
void con_quiet(int quiet);

#endif
