/* sha256bench: SHA-256 throughput of the agent's own build (musl + the
 * trimmed mbedTLS), over the same chunk size the agent hashes while
 * streaming (one TLS read, up to 16 KiB).  Prints MB/s.  Benchmark only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/sha256.h>

int main(int argc, char **argv)
{
	static unsigned char buf[16384];
	mbedtls_sha256_context c;
	unsigned char out[32];
	struct timespec a, b;
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 256, i;
	double s;

	memset(buf, 0x5a, sizeof(buf));
	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts_ret(&c, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < mb * 64; i++)
		mbedtls_sha256_update_ret(&c, buf, sizeof(buf));
	mbedtls_sha256_finish_ret(&c, out);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%.1f\n", (double)mb / s);
	return out[0] == 0x42 && out[1] == 0x42;
}
