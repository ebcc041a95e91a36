/* chunked: incremental decoder of HTTP/1.1 chunked transfer coding.
 *
 * Guarantees: decodes in place (output never longer than input), never
 * reads outside [buf, buf+len), refuses chunk-size lines longer than
 * CHUNKED_LINE_MAX, sizes that overflow 60 bits, bare LF where CRLF is due,
 * and trailers longer than CHUNKED_TRAILER_MAX in total.  It does not cap
 * the decoded total: the caller does, against its own limit. */
#ifndef EPOXY_NET_CHUNKED_H
#define EPOXY_NET_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#define CHUNKED_LINE_MAX 64
#define CHUNKED_TRAILER_MAX 4096

struct chunked {
	int state;
	uint64_t left;          /* data bytes left in the current chunk */
	size_t line;            /* bytes of the current size/trailer line */
	size_t trailer;         /* bytes of trailers so far */
	int digits;
};

void chunked_init(struct chunked *c);
/* Consumes buf[0..len): *used bytes consumed, decoded data compacted into
 * buf[0..*out).  Returns 1 when the last chunk and trailers are complete
 * (bytes after *used belong to the next message), 0 when more input is
 * needed, or -EPX_E_HTTP_CHUNK. */
int chunked_feed(struct chunked *c, uint8_t *buf, size_t len, size_t *used,
		 size_t *out);

#endif
