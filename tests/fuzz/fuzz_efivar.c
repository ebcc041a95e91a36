/* libFuzzer target: the boot-credential variable parser (stage2/efivar.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stage2/efivar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bootcred bc;

	if (efivar_parse(&bc, data, size) == 0 && strlen(bc.host) == 0)
		__builtin_trap();
	return 0;
}
