/* fuzz_pusher_s3: arbitrary bytes as epoxyd's answer to epoxy-pusher's
 * "where do I upload" (pusher_s3_answer).  The first byte picks the
 * configured archive (archive.test:8443, s3.example.net, or none); the rest
 * is the answer.  Beyond memory safety it checks the parser's promises on
 * every accepted answer: a local answer is exactly the bundle's own path;
 * an S3 answer's URL was on the configured host (the answer holds
 * "url https://<archive>/" + its target), its target is NUL-terminated
 * within PUSHER_S3_TARGET_MAX, starts with '/', its loggable path ends
 * before the '?' and holds no '?' or '%', ttl 1..PUSHER_S3_TTL_MAX; and on
 * a refusal, a zeroed result.  A violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/pusher/pusher_s3.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void fuzz_pusher_s3_check(const char *ans, size_t n, const char *arc,
				 const struct pusher_s3_url *u)
{
	char head[PUSHER_S3_AUTH_MAX + 32];
	size_t tl = strnlen(u->target, sizeof(u->target));

	if (tl == sizeof(u->target) || tl == 0 || u->target[0] != '/')
		abort();
	if (u->local) {
		if (strcmp(u->target, "/v1/archive/ndt/" SHA) || u->path_len != tl)
			abort();
		return;
	}
	if (!arc || u->ttl == 0 || u->ttl > PUSHER_S3_TTL_MAX || u->path_len >= tl ||
	    u->target[u->path_len] != '?' || memchr(u->target, '?', u->path_len) ||
	    memchr(u->target, '%', u->path_len))
		abort();
	snprintf(head, sizeof(head), "url https://%s", arc);
	if (n < strlen(head) + tl || memcmp(ans, head, strlen(head)) ||
	    memcmp(ans + strlen(head), u->target, tl))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const char *const arcs[] = { "archive.test:8443", "s3.example.net", NULL };
	static struct pusher_s3_url u, zero;
	const char *arc;
	int rc;

	if (n == 0)
		return 0;
	arc = arcs[d[0] % 3];
	rc = pusher_s3_answer((const char *)d + 1, n - 1, arc, "ndt", SHA, &u);
	if (rc < 0) {
		if (memcmp(&u, &zero, sizeof(u)))
			abort();
		return 0;
	}
	fuzz_pusher_s3_check((const char *)d + 1, n - 1, arc, &u);
	return 0;
}
