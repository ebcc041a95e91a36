/* log: one line per event on stderr, with journald priority prefixes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/log.h"

static int log_prefix = -1;   /* -1: not decided yet */

void log_init(void)
{
	const char *p = getenv("EPOXYD_LOG_PRIORITY");

	log_prefix = getenv("JOURNAL_STREAM") != NULL || (p && !strcmp(p, "1"));
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[LOG_LINE_MAX + 16];
	size_t o = 0, i;
	va_list ap;
	int n;

	if (log_prefix < 0)
		log_init();
	if (log_prefix)
		o = (size_t)snprintf(line, sizeof(line), "<%d>", prio & 7);
	o += (size_t)snprintf(line + o, sizeof(line) - o, "epoxyd: ");
	va_start(ap, fmt);
	n = vsnprintf(line + o, LOG_LINE_MAX - o, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o = o + (size_t)n < LOG_LINE_MAX - 1 ? o + (size_t)n : LOG_LINE_MAX - 1;
	/* one line of printable ASCII: no control byte (C0, DEL, and the C1
	 * range an 8-bit terminal obeys) from a client reaches a terminal */
	for (i = 0; i < o; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f)
			line[i] = '?';
	line[o++] = '\n';
	if (write(STDERR_FILENO, line, o) < 0)
		return;   /* nowhere left to say it */
}
