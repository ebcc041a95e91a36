/* log: epoxyd's log lines on stderr, in the form journald keeps.
 *
 * Guarantees: one event is one line (control bytes and newlines in the
 * message become '?'), written with a single write(2) so lines of
 * concurrent threads never interleave; when stderr is the journal
 * (systemd sets JOURNAL_STREAM) or EPOXYD_LOG_PRIORITY=1, each line starts
 * with its syslog priority as "<N>" (sd-daemon(3)), which journald turns
 * into the entry's priority; otherwise lines are plain, as before.
 * Callers never pass a token, credential or key. */
#ifndef EPOXY_LOG_H
#define EPOXY_LOG_H

#include <syslog.h>   /* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO */

#define LOG_LINE_MAX 1024

/* Decides once whether lines carry priority prefixes (see above). */
void log_init(void);
/* One line "epoxyd: <message>" at priority prio. */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
