/* libFuzzer target: the kernel command-line parser (stage2/cmdline.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/label.h"
#include "stage2/cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cmdline c;
	const char *bad;

	if (cmdline_parse(&c, (const char *)data, size, &bad) == 0) {
		if (c.server[0] && label_check_str(LABEL_DNS, c.server) < 0)
			__builtin_trap();
		if (c.host[0] && label_check_str(LABEL_HOST, c.host) < 0)
			__builtin_trap();
		if (c.session[0] && hex_check_str(c.session, 16) < 0)
			__builtin_trap();
		if (c.stage < 0 || c.stage > 2 || strlen(c.session) % 16)
			__builtin_trap();
	}
	return 0;
}
