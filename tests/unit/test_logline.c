/* test_logline: log lines formatted whole and written with one write(2)
 * (lib/logline.h), as tables: prefix and text, an empty text, a line cut
 * at each small capacity (still one '\n' at its end, never past cap), a
 * prefix longer than the capacity, and the line through a pipe arriving
 * in one read (one write), exactly its bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/logline.h"
#include "tests/test.h"

static size_t fmt(char *line, size_t cap, const char *prefix, const char *f, ...)
	__attribute__((format(printf, 4, 5)));
static size_t fmt(char *line, size_t cap, const char *prefix, const char *f, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = logline_format(line, cap, prefix, f, ap);
	va_end(ap);
	return n;
}

static void vw(int fd, const char *prefix, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void vw(int fd, const char *prefix, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	logline_vwrite(fd, prefix, f, ap);
	va_end(ap);
}

static const struct {
	size_t cap;
	const char *prefix, *text, *want;
} cases[] = {
	{ 64, "epoxy-nm: ", "joined as node1", "epoxy-nm: joined as node1\n" },
	{ 64, "epoxy-nm: ", "", "epoxy-nm: \n" },
	{ 64, "", "bare", "bare\n" },
	{ 12, "ab: ", "0123456789", "ab: 012345\n" },  /* cut: 11 bytes and '\n' */
	{ 2, "ab: ", "x", "\n" },                    /* at most cap - 1 bytes */
	{ 3, "ab: ", "x", "a\n" },
	{ 6, "ab: ", "x", "ab: \n" },
	{ 7, "ab: ", "x", "ab: x\n" },               /* exactly fits */
	{ 7, "ab: ", "xy", "ab: x\n" },              /* one over */
	{ 5, "a-very-long-prefix: ", "text", "a-v\n" },
};

static void t_table(void)
{
	char line[128];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(line, '#', sizeof(line));
		n = fmt(line, cases[i].cap, cases[i].prefix, "%s", cases[i].text);
		ok(n == strlen(cases[i].want) && n < cases[i].cap &&
		   !memcmp(line, cases[i].want, n) && line[cases[i].cap] == '#',
		   "case %zu: cap %zu '%s' + '%s': %zu bytes '%.*s'", i, cases[i].cap,
		   cases[i].prefix, cases[i].text, n, (int)(n ? n - 1 : 0), line);
	}
	n = fmt(line, sizeof(line), "p: ", "%d-%s-%c", 42, "x", 'z');
	ok(n == 10 && !memcmp(line, "p: 42-x-z\n", 10), "a format with arguments");
}

#define ONE "epoxy-nm: first heartbeat accepted: node1 is joined\n"

static void t_write(void)
{
	char big[LOGLINE_MAX * 2], got[LOGLINE_MAX * 2];
	int p[2];
	ssize_t r;

	if (pipe(p) != 0) {
		ok(0, "pipe");
		return;
	}
	vw(p[1], "epoxy-nm: ", "first heartbeat accepted: %s is joined", "node1");
	r = read(p[0], got, sizeof(got));
	ok(r == (ssize_t)strlen(ONE) && !memcmp(got, ONE, strlen(ONE)),
	   "one line, one read of exactly its bytes (%zd)", r);
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vw(p[1], "epoxy-nm: ", "%s", big);
	r = read(p[0], got, sizeof(got));
	ok(r == LOGLINE_MAX - 1 && got[r - 1] == '\n' && got[r - 2] == 'y',
	   "a line past LOGLINE_MAX: cut to %d bytes, '\\n' last (%zd)", LOGLINE_MAX - 1, r);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	t_table();
	t_write();
	return test_done();
}
