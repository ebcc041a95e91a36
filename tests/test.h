/* test: the table-test harness.
 *
 * ok(cond, fmt, ...) prints "ok N - name" or "not ok N - name" (TAP) and
 * counts; test_done() prints the plan and returns the exit status.  Every
 * unit test is a table of cases run through ok(); tests/run.sh sums the
 * lines of every test into the final "N passed, N failed". */
#ifndef EPOXY_TEST_H
#define EPOXY_TEST_H

#include <stdio.h>

extern int test_n, test_failed;

#define ok(cond, ...) test_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
void test_ok(int pass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int test_done(void);
/* Reads a whole file into a NUL-terminated malloc'd buffer; aborts on error. */
char *test_slurp(const char *path, size_t *len);

#endif
