/* Table test of stage2/hash: SHA-NI and mbedTLS paths give mbedTLS's
 * digest for the FIPS 180-4 examples, for every length 0..300, and for
 * large inputs fed in uneven pieces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "stage2/hash.h"
#include "tests/test.h"

static void digest(int force, const uint8_t *p, size_t n, size_t step, uint8_t out[32])
{
	struct hash x;
	size_t off = 0;

	hash_init(&x, force);
	while (off < n) {
		size_t k = n - off < step ? n - off : step;

		hash_update(&x, p + off, k);
		off += k;
	}
	hash_finish(&x, out);
	hash_free(&x);
}

int main(void)
{
	static const struct {
		const char *in, *hex;
	} fips[] = {
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	static const size_t steps[] = { 1, 3, 63, 64, 65, 1000, 16384, 1 << 20 };
	uint8_t *buf, want[32], got[32];
	char hex[65];
	size_t i, j, n, s;
	int f, has = hash_cpu_has_ni();

	printf("# SHA-NI on this CPU: %s\n", has ? "yes" : "no (both paths use mbedTLS)");
	for (i = 0; i < sizeof(fips) / sizeof(fips[0]); i++)
		for (f = 0; f <= 1; f++) {
			digest(f, (const uint8_t *)fips[i].in, strlen(fips[i].in), 7, got);
			for (j = 0; j < 32; j++)
				sprintf(hex + 2 * j, "%02x", got[j]);
			ok(strcmp(hex, fips[i].hex) == 0, "FIPS example %zu, path %d", i, f);
		}
	buf = malloc(3 << 20);
	for (i = 0; i < (3u << 20); i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	for (n = 0; n <= 300; n++) {
		mbedtls_sha256_ret(buf, n, want, 0);
		digest(1, buf, n, 17, got);
		ok(memcmp(want, got, 32) == 0, "length %zu in 17-byte pieces", n);
	}
	for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		n = (3u << 20) - s * 7;
		mbedtls_sha256_ret(buf, n, want, 0);
		digest(1, buf, n, steps[s], got);
		ok(memcmp(want, got, 32) == 0, "%zu bytes in %zu-byte pieces", n, steps[s]);
		buf[n / 2] ^= 1;
		digest(1, buf, n, steps[s], got);
		ok(memcmp(want, got, 32) != 0, "one flipped bit changes the digest (%zu)", steps[s]);
		buf[n / 2] ^= 1;
	}
	free(buf);
	return test_done();
}
