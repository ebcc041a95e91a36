/* rand: random bytes from the kernel's getrandom(2).
 *
 * Guarantees: rand_bytes either fills all n bytes from the kernel's CSPRNG
 * (blocking until the pool is initialised, retrying on EINTR and short
 * reads) or returns -EPX_E_RNG; it never falls back to a weaker source. */
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

#include "lib/err.h"
#include "lib/rand.h"

int rand_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t done = 0;
	ssize_t got;

	while (done < n) {
		got = getrandom(p + done, n - done, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -EPX_E_RNG;
		}
		if (got == 0)
			return -EPX_E_RNG;
		done += (size_t)got;
	}
	return 0;
}
