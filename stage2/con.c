/* con: console lines of the agent and the tail kept for reports.
 *
 * Every line goes to stderr (the serial console under /init) in one write,
 * so lines of concurrent writers never interleave mid-line.  The tail is a
 * ring of the last CON_TAIL_MAX bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/logline.h"
#include "stage2/con.h"

static char con_ring[CON_TAIL_MAX];
static size_t con_ring_pos, con_ring_len;
static int con_is_quiet;

void con_quiet(int quiet)
{
	con_is_quiet = quiet;
}

static void con_keep(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		con_ring[con_ring_pos] = s[i];
		con_ring_pos = (con_ring_pos + 1) % CON_TAIL_MAX;
		if (con_ring_len < CON_TAIL_MAX)
			con_ring_len++;
	}
}

static void con_emit(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void con_emit(const char *prefix, const char *fmt, va_list ap)
{
	char line[CON_LINE_MAX];
	size_t n = logline_format(line, sizeof(line), prefix, fmt, ap);

	con_keep(line, n);
	if (!con_is_quiet && write(2, line, n) < 0)
		return;
}

void con_stage(const char *stage, const char *fmt, ...)
{
	char prefix[64];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "epoxy: stage %s ", stage);
	va_start(ap, fmt);
	con_emit(prefix, fmt, ap);
	va_end(ap);
}

void con_connect(unsigned requests, unsigned handshakes, const char *suite)
{
	con_stage("connect", "%u requests over %u TLS handshakes (%s)", requests, handshakes,
		  suite ? suite : "none");
}

void con_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_emit("epoxy: ", fmt, ap);
	va_end(ap);
}

int con_fail(int rc, const char *fmt, ...)
{
	char prefix[CON_LINE_MAX / 2], code[16];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s %s: ", epx_code(rc, code, sizeof(code)),
		 epx_strerror(rc));
	va_start(ap, fmt);
	con_emit(prefix, fmt, ap);
	va_end(ap);
	return rc;
}

void con_progress(const char *what, uint64_t done, uint64_t total,
		  uint64_t rate)
{
	unsigned pct = total ? (unsigned)(done * 100 / total) : 0;

	con_info("download %s %llu/%llu bytes %u%% %llu KiB/s", what,
		 (unsigned long long)done, (unsigned long long)total, pct,
		 (unsigned long long)(rate / 1024));
}

void con_outage(int64_t away_s, unsigned wait_s)
{
	con_stage("retry", "server unreachable for %lld s (waiting up to %u s)",
		  (long long)away_s, wait_s);
}

size_t con_tail(char *out, size_t cap)
{
	size_t start = (con_ring_pos + CON_TAIL_MAX - con_ring_len) % CON_TAIL_MAX;
	size_t n = con_ring_len < cap ? con_ring_len : cap;
	size_t skip = con_ring_len - n, i;

	for (i = 0; i < n; i++)
		out[i] = con_ring[(start + skip + i) % CON_TAIL_MAX];
	return n;
}
