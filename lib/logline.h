/* logline: one log line of a program that shares its console or log file
 * with other threads and processes (the node's serial console carries the
 * agent, epoxy-nm, epoxy-priv and epoxy-pusher at once).
 *
 * Guarantees:
 *  - a line is PREFIX, the formatted text and one '\n', formatted whole in
 *    a buffer and handed to the kernel with one write(2): it never comes
 *    out in pieces that another writer's bytes can split (stdio's
 *    unbuffered stderr writes a prefix, the text and the newline in
 *    separate calls, and a test matching a console line then misses it);
 *  - a line longer than LOGLINE_MAX - 1 bytes is cut to that, still ending
 *    in '\n'; a format error leaves the prefix alone;
 *  - no allocation, no lock: safe from any thread. */
#ifndef EPOXY_LOGLINE_H
#define EPOXY_LOGLINE_H

#include <stdarg.h>
#include <stddef.h>

#define LOGLINE_MAX 2048

/* The line into line[0..cap) (cap at least 2); its length, '\n' included. */
size_t logline_format(char *line, size_t cap, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
/* The line (at most LOGLINE_MAX bytes) written to fd with one write(2),
 * retried only on EINTR. */
void logline_vwrite(int fd, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
