/* fuzz_tcpinfo: arbitrary netlink batches through epoxy-tcpinfo's parser
 * (tcpinfo_nl_parse, then tcpinfo_nl_parse_one on the same bytes) and every
 * message it accepts through the record writer.  Beyond memory safety it
 * checks the writer's promise: a line is printable ASCII ending in one
 * newline, whatever bytes the attributes held.  A violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/tcpinfo/tcpinfo_nl.h"
#include "node/tcpinfo/tcpinfo_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static int fz_line(void *ctx, const struct tcpinfo_msg *m)
{
	static const uint64_t ctr[TI_NCTR] = { 0 };
	struct tcpinfo_rec_meta meta = { "h_1_0000000000000001", 3, "2026-01-01T00:00:00.000000000Z" };
	struct tcpinfo_buf *b = ctx;
	size_t i;

	b->len = 0;
	if (tcpinfo_rec_snapshot(b, "2026-01-01T00:00:00.000000000Z", 1, "open", m, ctr, &meta) < 0)
		return 0;
	if (b->len < 2 || b->p[b->len - 1] != '\n')
		abort();
	for (i = 0; i + 1 < b->len; i++)
		if (b->p[i] < 0x20 || b->p[i] > 0x7e)
			abort();
	b->len = 0;
	if (tcpinfo_rec_event(b, "close", "t", "u", m->idm) == 0 && b->p[b->len - 1] != '\n')
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct tcpinfo_buf b;
	struct tcpinfo_nl_stats st = { 0 };
	struct tcpinfo_msg m;
	uint8_t *copy;
	uint32_t seq = 77;
	int inc = 0;

	if (n > TCPINFO_NL_RCVBUF)
		return 0;
	/* an exact-size copy, so ASan sees any read past the batch */
	copy = malloc(n ? n : 1);
	if (!copy)
		return 0;
	memcpy(copy, d, n);
	if (n >= 12)
		memcpy(&seq, copy + 8, 4);      /* the first message's sequence */
	(void)tcpinfo_nl_parse(copy, n, seq, fz_line, &b, &st, &inc);
	if (tcpinfo_nl_parse_one(copy, n, &m) == 0)
		fz_line(&b, &m);
	free(copy);
	return 0;
}
