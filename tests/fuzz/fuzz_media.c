/* libFuzzer target: the token medium parser (stage2/media.c).  Each input
 * is parsed as given (any length) and as sector 0 of a disk (zero padded
 * or cut to MEDIA_SECTOR bytes), with and without a wanted host. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/err.h"
#include "stage2/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_media_check(const unsigned char *sec, size_t len, const char *want)
{
	static const struct bootcred zero;
	struct bootcred bc;
	int rc = media_parse(&bc, sec, len, want);

	if (rc == 0 && (strlen(bc.host) == 0 || len != MEDIA_SECTOR))
		__builtin_trap();
	if (rc == 0 && want && want[0] && strcmp(bc.host, want) != 0)
		__builtin_trap();
	if (rc < 0 && memcmp(&bc, &zero, sizeof(bc)) != 0)
		__builtin_trap();       /* a refusal keeps nothing */
	if (rc != 0 && rc != -EPX_E_MEDIA_MAGIC && rc != -EPX_E_MEDIA_VERSION &&
	    rc != -EPX_E_MEDIA_SYNTAX && rc != -EPX_E_MEDIA_TOKEN &&
	    rc != -EPX_E_MEDIA_HOST)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char sec[MEDIA_SECTOR];

	fuzz_media_check(data, size, NULL);
	memset(sec, 0, sizeof(sec));
	memcpy(sec, data, size < sizeof(sec) ? size : sizeof(sec));
	fuzz_media_check(sec, sizeof(sec), NULL);
	fuzz_media_check(sec, sizeof(sec), "node1");
	return 0;
}
