/* logline: log lines written whole (lib/logline.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/logline.h"

size_t logline_format(char *line, size_t cap, const char *prefix, const char *fmt, va_list ap)
{
	size_t n = strnlen(prefix, cap - 2);
	int r;

	memcpy(line, prefix, n);
	r = vsnprintf(line + n, cap - 1 - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < cap - 1 - n ? (size_t)r : cap - 2 - n;
	line[n++] = '\n';
	return n;
}

void logline_vwrite(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char line[LOGLINE_MAX];
	size_t n = logline_format(line, sizeof(line), prefix, fmt, ap);

	while (write(fd, line, n) < 0 && errno == EINTR)
		;
}
