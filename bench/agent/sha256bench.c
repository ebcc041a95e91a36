/* sha256bench: SHA-256 throughput of the agent's own build (musl, the
 * agent's stage2/hash.c: SHA-NI when the CPU has it, else the trimmed
 * mbedTLS), over the 64 KiB pieces the agent's hasher reads.  Prints MB/s
 * of the path the agent uses, then of mbedTLS alone.  Benchmark only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stage2/hash.h"

static double run(int force, size_t mb)
{
	static unsigned char buf[65536];
	struct hash c;
	unsigned char out[32];
	struct timespec a, b;
	size_t i;

	memset(buf, 0x5a, sizeof(buf));
	hash_init(&c, force);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < mb * 16; i++)
		hash_update(&c, buf, sizeof(buf));
	hash_finish(&c, out);
	clock_gettime(CLOCK_MONOTONIC, &b);
	hash_free(&c);
	return (double)mb / ((double)(b.tv_sec - a.tv_sec) +
			     (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;

	printf("%.1f %.1f\n", run(-1, mb), run(0, mb));
	return 0;
}
