/* fuzz_s3: the S3 backend's parsers on arbitrary bytes: the node request
 * names (archive_s3_name, "/v1/archive/<exp>/<sha>/url|done") from the
 * first line, and the object key s3sign_presign takes from the rest.
 * Memory safety under ASan/UBSan, and: a name accepted yields a valid
 * experiment and 64 lowercase hex digits; a key signed comes back as its
 * own path (unreserved bytes only) followed by the query and a 64-digit
 * signature; a key refused leaves an empty string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "server/archive_s3.h"
#include "server/s3sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static void fuzz_s3_name(const char *p)
{
	char exp[65], sha[65];
	enum archive_s3_op op = 0;

	if (archive_s3_name(p, exp, sha, &op) != 0)
		return;
	if (hex_check_str(sha, 64) < 0 || !exp[0] || exp[0] == '.' ||
	    (op != ARCHIVE_S3_URL && op != ARCHIVE_S3_DONE))
		abort();
}

static void fuzz_s3_key(const char *key)
{
	static char out[S3SIGN_URL_MAX];
	const struct s3sign s = { "epoxy:archive", "secret", "us-east-1", "127.0.0.1:8080" };
	const char *sig;
	size_t kl = strlen(key);

	if (s3sign_presign(&s, "PUT", "bkt", key, 1796415300, 300, out, sizeof(out)) != 0) {
		if (out[0])
			abort();
		return;
	}
	if (s3sign_key_check(key) != 0 || strncmp(out, "/bkt/", 5) || strncmp(out + 5, key, kl) ||
	    out[5 + kl] != '?')
		abort();
	sig = strstr(out, "&X-Amz-Signature=");
	if (!sig || hex_check_str(sig + 17, 64) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	char *buf = malloc(n + 1), *nl;

	if (!buf)
		return 0;
	memcpy(buf, d, n);
	buf[n] = '\0';
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	fuzz_s3_name(buf);
	if (nl)
		fuzz_s3_key(nl + 1);
	free(buf);
	return 0;
}
