/* fuzz_nmdisk: the data disk's classifier (nmdisk_classify,
 * node/nm/nmdisk.h) on any head and tail never reads past them and
 * returns one of the three kinds; blank only when every byte is zero. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/nm/nmdisk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size ? data[0] * size / 256 : 0, i;
	uint8_t *head = malloc(cut ? cut : 1), *tail = malloc(size - cut ? size - cut : 1);
	enum nmdisk_kind k;
	int zero = 1;

	if (!head || !tail)
		abort();
	memcpy(head, data, cut);
	memcpy(tail, data + cut, size - cut);
	k = nmdisk_classify(head, cut, tail, size - cut);
	for (i = 0; i < size; i++)
		zero &= data[i] == 0;
	if (k != NMDISK_BLANK && k != NMDISK_OURS && k != NMDISK_FOREIGN)
		abort();
	if ((k == NMDISK_BLANK) != (zero && size <= NMDISK_PROBE_BYTES))
		abort();
	free(head);
	free(tail);
	return 0;
}
