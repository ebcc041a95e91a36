/* gcmbench: AES-GCM decryption throughput of the agent's own build
 * (net/aesgcm.c as it joins the agent's mbedTLS), over 16 KiB TLS records
 * decrypted in place as mbedTLS's record layer does.  Prints MiB/s of each
 * path this CPU has, for AES-128 and AES-256: the automatic choice (what
 * the agent uses), the 128-bit AES-NI path, the portable path.  Benchmark
 * only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/aesgcm.h"

#define GCMBENCH_REC 16384

static double gcmbench_run(int force, unsigned bits, size_t mb)
{
	static unsigned char rec[GCMBENCH_REC];
	unsigned char key[32], iv[12], add[13], tag[16];
	struct aesgcm g;
	struct timespec a, b;
	size_t i, n = mb * (1048576 / GCMBENCH_REC);

	memset(key, 0x11, sizeof(key));
	memset(iv, 0x22, sizeof(iv));
	memset(add, 0x33, sizeof(add));
	memset(rec, 0x5a, sizeof(rec));
	aesgcm_init(&g);
	if (aesgcm_setkey(&g, key, bits, force) != 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		/* decrypt as TLS does, in place; the tag check fails on these
		 * bytes, after all the work: the refusal path costs the same */
		iv[11] = (unsigned char)i;
		aesgcm_crypt_and_tag(&g, AESGCM_DECRYPT, GCMBENCH_REC, iv, 12, add, 13,
				     rec, rec, 16, tag);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	aesgcm_free(&g);
	return (double)mb / ((double)(b.tv_sec - a.tv_sec) +
			     (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

int main(int argc, char **argv)
{
	static const int paths[] = { -1, 1, 0 };
	static const char *const names[] = { "auto", "aes-ni-128", "portable" };
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	unsigned bits;
	int p;

	for (bits = 128; bits <= 256; bits += 128)
		for (p = 0; p < 3; p++)
			printf("aes-%u-gcm %s %.1f\n", bits, names[p],
			       gcmbench_run(paths[p], bits, p == 2 ? mb / 8 : mb));
	return 0;
}
