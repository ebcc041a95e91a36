/* test_pusher_s3: epoxyd's answer to epoxy-pusher's "where do I upload"
 * (node/pusher/pusher_s3.h) as tables: good "put" and "url" answers and
 * what they yield (target, loggable path length, expiry, ttl), then many
 * malformed or hostile answers, each refused with its own code and a
 * zeroed result: another scheme, host, port or object; a path that climbs
 * or holds a byte outside RFC 3986's unreserved set; a query with a bad
 * escape; numbers out of range or misspelled; lines missing, reordered,
 * repeated or trailing; the caps on the answer and the target. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "node/pusher/pusher_s3.h"
#include "tests/test.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ARC "archive.test:8443"
#define Q "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=epoxy%3Aarchive%2F20261204%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261204T000000Z&X-Amz-Expires=10&X-Amz-SignedHeaders=host&X-Amz-Signature=" SHA
#define OBJ "/epoxy-archive/incoming/ndt/node1/" SHA ".tgz"
#define URL "url https://" ARC OBJ "?" Q "\n"
#define TAIL "expires 1796000000\nttl 10\n"

static const char *code(int rc)
{
	static char b[4][16];
	static int i;

	i = (i + 1) % 4;
	return rc == 0 ? "0" : epx_code(rc, b[i], sizeof(b[i]));
}

static void t_good(void)
{
	static struct pusher_s3_url u;
	const char *a = URL TAIL;
	const char *put = "put /v1/archive/ndt/" SHA "\n";
	int rc;

	rc = pusher_s3_answer(a, strlen(a), ARC, "ndt", SHA, &u);
	ok(rc == 0 && !u.local, "an S3 answer parses (%s)", code(rc));
	ok(!strcmp(u.target, OBJ "?" Q), "...its target is path and query");
	ok(u.path_len == strlen(OBJ), "...only the path is loggable (%zu)", u.path_len);
	ok(u.expires == 1796000000 && u.ttl == 10, "...expires and ttl");
	rc = pusher_s3_answer(put, strlen(put), NULL, "ndt", SHA, &u);
	ok(rc == 0 && u.local && !strcmp(u.target, "/v1/archive/ndt/" SHA),
	   "a local answer: PUT to epoxyd, no --archive needed (%s)", code(rc));
	a = "url https://s3.example.net/b/ndt/n/" SHA ".tgz?a=b%2f\nexpires 1\nttl 3600\n";
	rc = pusher_s3_answer(a, strlen(a), "s3.example.net", "ndt", SHA, &u);
	ok(rc == 0 && u.ttl == 3600, "no port, virtual path, lower-case escape, ttl 3600 (%s)",
	   code(rc));
	a = "url https://" ARC "/ndt/node1/" SHA ".tgz?x\n" TAIL;
	rc = pusher_s3_answer(a, strlen(a), ARC, "ndt", SHA, &u);
	ok(rc == 0, "no bucket segment: accepted (%s)", code(rc));
}

static const struct {
	const char *name, *ans, *archive, *want;
} bad[] = {
	{ "empty", "", ARC, "EPOXY-E3320" },
	{ "no newline", "put /v1/archive/ndt/" SHA, ARC, "EPOXY-E3320" },
	{ "put of another hash", "put /v1/archive/ndt/1" SHA "\n", ARC, "EPOXY-E3320" },
	{ "put of another experiment", "put /v1/archive/wehe/" SHA "\n", ARC, "EPOXY-E3320" },
	{ "put of another path", "put /v1/archive/ndt/" SHA "/x\n", ARC, "EPOXY-E3320" },
	{ "put then more", "put /v1/archive/ndt/" SHA "\nttl 10\n", ARC, "EPOXY-E3320" },
	{ "put upper case", "PUT /v1/archive/ndt/" SHA "\n", ARC, "EPOXY-E3320" },
	{ "unknown first line", "go https://" ARC OBJ "?" Q "\n" TAIL, ARC, "EPOXY-E3320" },
	{ "http", "url http://" ARC OBJ "?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "no --archive", URL TAIL, NULL, "EPOXY-E3322" },
	{ "another host", "url https://evil.test:8443" OBJ "?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "another port", "url https://archive.test:8444" OBJ "?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "no port", "url https://archive.test" OBJ "?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "host as prefix", "url https://" ARC ".evil.test" OBJ "?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "user info", "url https://x@" ARC OBJ "?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "upper-case host", "url https://ARCHIVE.test:8443" OBJ "?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "no path", "url https://" ARC "?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "no query", "url https://" ARC OBJ "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "empty query", "url https://" ARC OBJ "?\n" TAIL, ARC, "EPOXY-E3321" },
	{ "another object", "url https://" ARC "/b/incoming/ndt/node1/1" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "another experiment", "url https://" ARC "/b/incoming/wehe/node1/" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "experiment as suffix", "url https://" ARC "/b/incoming/xndt/node1/" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "no node segment", "url https://" ARC "/b/incoming/ndt/" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "two node segments", "url https://" ARC "/b/ndt/a/b/" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "other suffix", "url https://" ARC "/b/ndt/n/" SHA ".tar.zst?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "dot-dot", "url https://" ARC "/b/../ndt/n/" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "dot", "url https://" ARC "/b/./ndt/n/" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "empty segment", "url https://" ARC "/b//ndt/n/" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "escape in path", "url https://" ARC "/b%2f/ndt/n/" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "space in path", "url https://" ARC "/b c/ndt/n/" SHA ".tgz?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
	{ "fragment", "url https://" ARC OBJ "?" Q "#x\n" TAIL, ARC, "EPOXY-E3321" },
	{ "bad escape", "url https://" ARC OBJ "?a=%zz\n" TAIL, ARC, "EPOXY-E3321" },
	{ "short escape", "url https://" ARC OBJ "?a=%4\n" TAIL, ARC, "EPOXY-E3321" },
	{ "second '?'", "url https://" ARC OBJ "?a=b?c\n" TAIL, ARC, "EPOXY-E3321" },
	{ "CR in query", "url https://" ARC OBJ "?a=b\r\n" TAIL, ARC, "EPOXY-E3321" },
	{ "no expires", URL "ttl 10\n", ARC, "EPOXY-E3320" },
	{ "no ttl", URL "expires 1796000000\n", ARC, "EPOXY-E3320" },
	{ "reordered", URL "ttl 10\nexpires 1796000000\n", ARC, "EPOXY-E3320" },
	{ "ttl 0", URL "expires 1796000000\nttl 0\n", ARC, "EPOXY-E3320" },
	{ "ttl over an hour", URL "expires 1796000000\nttl 3601\n", ARC, "EPOXY-E3320" },
	{ "ttl leading zero", URL "expires 1796000000\nttl 010\n", ARC, "EPOXY-E3320" },
	{ "ttl signed", URL "expires 1796000000\nttl +10\n", ARC, "EPOXY-E3320" },
	{ "ttl empty", URL "expires 1796000000\nttl \n", ARC, "EPOXY-E3320" },
	{ "expires 0", URL "expires 0\nttl 10\n", ARC, "EPOXY-E3320" },
	{ "expires negative", URL "expires -5\nttl 10\n", ARC, "EPOXY-E3320" },
	{ "expires huge", URL "expires 99999999999999999999\nttl 10\n", ARC, "EPOXY-E3320" },
	{ "trailing line", URL TAIL "x\n", ARC, "EPOXY-E3320" },
	{ "trailing byte", URL TAIL "x", ARC, "EPOXY-E3320" },
	{ "url twice", URL URL TAIL, ARC, "EPOXY-E3320" },
	{ "blank line first", "\n" URL TAIL, ARC, "EPOXY-E3320" },
	{ "two spaces", "url  https://" ARC OBJ "?" Q "\n" TAIL, ARC, "EPOXY-E3321" },
};

static void t_bad(void)
{
	static struct pusher_s3_url u, zero;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		memset(&u, 0xa5, sizeof(u));
		rc = pusher_s3_answer(bad[i].ans, strlen(bad[i].ans), bad[i].archive, "ndt", SHA, &u);
		ok(!strcmp(code(rc), bad[i].want) && !memcmp(&u, &zero, sizeof(u)),
		   "refused: %s (%s, want %s)", bad[i].name, code(rc), bad[i].want);
	}
}

static void t_caps(void)
{
	static struct pusher_s3_url u;
	char *a = malloc(PUSHER_S3_ANSWER_MAX + 64), *q;
	size_t n, pre;
	int rc;

	/* a query that makes the target exactly the cap, then one byte over */
	pre = strlen("url https://" ARC OBJ "?");
	n = PUSHER_S3_TARGET_MAX - strlen(OBJ "?");
	q = a + pre;
	memcpy(a, "url https://" ARC OBJ "?", pre);
	memset(q, 'a', n);
	strcpy(q + n, "\n" TAIL);
	rc = pusher_s3_answer(a, strlen(a), ARC, "ndt", SHA, &u);
	ok(rc == 0 && strlen(u.target) == PUSHER_S3_TARGET_MAX, "a target of exactly %d bytes (%s)",
	   PUSHER_S3_TARGET_MAX, code(rc));
	memset(q, 'a', n + 1);
	strcpy(q + n + 1, "\n" TAIL);
	rc = pusher_s3_answer(a, strlen(a), ARC, "ndt", SHA, &u);
	ok(!strcmp(code(rc), "EPOXY-E3320"), "...one byte more: refused (%s)", code(rc));
	memset(a, 'x', PUSHER_S3_ANSWER_MAX + 1);
	rc = pusher_s3_answer(a, PUSHER_S3_ANSWER_MAX + 1, ARC, "ndt", SHA, &u);
	ok(!strcmp(code(rc), "EPOXY-E3320"), "an answer over %d bytes: refused", PUSHER_S3_ANSWER_MAX);
	rc = pusher_s3_answer(URL TAIL, strlen(URL TAIL), ARC, "ndt", "0123", &u);
	ok(rc < 0, "a caller's malformed hash: refused");
	free(a);
}

int main(void)
{
	t_good();
	t_bad();
	t_caps();
	return test_done();
}
