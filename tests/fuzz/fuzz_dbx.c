/* libFuzzer target: the dbx update parser and the dbx lookup (lib/dbx.c).
 * Properties: dbx_parse returns 0 or -EPX_E_DBX_SYNTAX; an accepted update
 * has 1..DBX_HASHES_MAX hashes, each inside the input; the same input read
 * as a dbx variable never breaks dbx_holds (ASan), and an accepted update's
 * own lists hold all of its hashes. */
#include <stddef.h>
#include <stdint.h>

#include "lib/dbx.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbx_update u;
	size_t i;
	int rc = dbx_parse(&u, data, size);

	if (rc != 0 && rc != -EPX_E_DBX_SYNTAX)
		__builtin_trap();
	if (rc < 0)
		return 0;
	if (u.nhash == 0 || u.nhash > DBX_HASHES_MAX || u.data_off >= size)
		__builtin_trap();
	for (i = 0; i < u.nhash; i++)
		if (u.hash[i] < data + u.data_off || u.hash[i] + 32 > data + size)
			__builtin_trap();
	if (dbx_holds(&u, data + u.data_off, size - u.data_off) != 1)
		__builtin_trap();
	(void)dbx_holds(&u, data, size);
	return 0;
}
