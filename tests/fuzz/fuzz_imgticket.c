/* fuzz_imgticket: epoxyd's ticket check of GET /v1/image (the
 * X-Epoxy-Ticket header, server/sliverapi.h) on any bytes never crashes
 * and returns 0 or one of its codes; 0 only for a header of lowercase hex
 * of even length within the cap.  Seeds: the hex of fuzz_ticket's
 * tickets (tests/fuzz/corpus/fuzz_imgticket/). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/keyset.h"
#include "lib/nodeproto.h"
#include "server/sliverapi.h"
#include "tests/keys/fuzz_keyset.h"

#define FUZZ_IMG "4f0c00000000000000000000000000000000000000000000000000000000e1e1"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keyset ks;
	static char hdr[NODEPROTO_TICKET_HEX_MAX + 2];
	static int init;
	size_t n = size < sizeof(hdr) - 1 ? size : sizeof(hdr) - 1, i;
	int rc;

	if (!init) {
		if (keyset_parse(&ks, fuzz_root_keyset, strlen(fuzz_root_keyset)) != 0)
			abort();
		init = 1;
	}
	memcpy(hdr, data, n);
	hdr[n] = '\0';
	rc = sliverapi_ticket_check(&ks.online, hdr, n, "node1", FUZZ_IMG, 1796399000);
	if (rc != 0 && rc != -EPX_E_SRV_TK_FORM && rc != -EPX_E_SRV_TK_SIG &&
	    rc != -EPX_E_SRV_TK_NODE && rc != -EPX_E_SRV_TK_EXPIRED &&
	    rc != -EPX_E_SRV_TK_IMAGE && rc != -ENOMEM)
		abort();
	if (rc == 0) {
		if (n == 0 || n % 2 || n > NODEPROTO_TICKET_HEX_MAX)
			abort();
		for (i = 0; i < n; i++)
			if (!strchr("0123456789abcdef", hdr[i]) || !hdr[i])
				abort();
	}
	return 0;
}
