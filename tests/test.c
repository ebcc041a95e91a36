/* test: TAP output and counters for the unit tables. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/test.h"

int test_n, test_failed;

void test_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	test_n++;
	if (!pass)
		test_failed++;
	printf("%s %d - ", pass ? "ok" : "not ok", test_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!pass)
		printf(" (%s:%d)", file, line);
	putchar('\n');
	fflush(stdout);
}

int test_done(void)
{
	printf("1..%d\n", test_n);
	return test_failed ? 1 : 0;
}

char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f) {
		perror(path);
		abort();
	}
	do {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}
