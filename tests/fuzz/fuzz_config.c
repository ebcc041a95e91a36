/* fuzz_config: epoxyd's config parser and checker (server/config.c) on
 * arbitrary files; the first line is also tried as a -o override.  Memory
 * safety under ASan/UBSan, and a parsed config must print back into a file
 * that parses to the same values (round trip). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct config c, c2;
	char line[CONFIG_LINE_MAX + 1], *buf = NULL;
	const char *what;
	unsigned ln;
	size_t i, len = 0;
	FILE *f;

	config_defaults(&c);
	if (config_parse(&c, (const char *)d, n, &ln) == 0) {
		config_check(&c, &what);
		f = open_memstream(&buf, &len);
		if (!f)
			abort();
		config_print(&c, f);
		fclose(f);
		config_defaults(&c2);
		if (config_parse(&c2, buf, len, &ln) != 0 || memcmp(&c, &c2, sizeof(c)) != 0)
			abort();
		free(buf);
	}
	for (i = 0; i < n && i < CONFIG_LINE_MAX && d[i] != '\n' && d[i]; i++)
		line[i] = (char)d[i];
	line[i] = '\0';
	config_defaults(&c);
	config_set(&c, line);
	return 0;
}
