/* chunked: a byte-at-a-time state machine over the chunked coding of
 * RFC 9112 section 7.1, strict where the RFC allows leniency (bare LF,
 * whitespace in sizes), because the peer is a server we control and any
 * deviation is either a bug or an attack. */
#include <string.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "net/chunked.h"

enum {
	CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF,
	CH_TRAILER, CH_TRAILER_LF, CH_END_LF, CH_DONE
};

void chunked_init(struct chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CH_SIZE;
}

/* One byte of a chunk-size line.  Returns 0 or -EPX_E_HTTP_CHUNK. */
static int chunked_size_byte(struct chunked *c, uint8_t ch)
{
	int h;

	if (++c->line > CHUNKED_LINE_MAX)
		return -EPX_E_HTTP_CHUNK;
	if (ch == '\r') {
		if (c->digits == 0)
			return -EPX_E_HTTP_CHUNK;
		c->state = CH_SIZE_LF;
		return 0;
	}
	if (c->state == CH_EXT)
		return (ch == '\n' || ch == 0) ? -EPX_E_HTTP_CHUNK : 0;
	if (ch == ';' && c->digits > 0) {
		c->state = CH_EXT;
		return 0;
	}
	h = hex_nibble_ci((char)ch);     /* HTTP allows either case */
	if (h < 0 || c->digits >= 15)
		return -EPX_E_HTTP_CHUNK;
	c->left = c->left << 4 | (uint64_t)h;
	c->digits++;
	return 0;
}

/* One byte of the trailer section (after the last chunk). */
static int chunked_trailer_byte(struct chunked *c, uint8_t ch)
{
	if (++c->trailer > CHUNKED_TRAILER_MAX)
		return -EPX_E_HTTP_CHUNK;
	if (c->state == CH_TRAILER_LF || c->state == CH_END_LF) {
		if (ch != '\n')
			return -EPX_E_HTTP_CHUNK;
		if (c->state == CH_END_LF) {
			c->state = CH_DONE;
			return 0;
		}
		c->state = CH_TRAILER;
		c->line = 0;
		return 0;
	}
	if (ch == '\r') {
		c->state = c->line == 0 ? CH_END_LF : CH_TRAILER_LF;
		return 0;
	}
	if (ch == '\n' || ch == 0)
		return -EPX_E_HTTP_CHUNK;
	c->line++;
	return 0;
}

int chunked_feed(struct chunked *c, uint8_t *buf, size_t len, size_t *used,
		 size_t *out)
{
	size_t i = 0, o = 0;
	int rc = 0;

	while (i < len && c->state != CH_DONE) {
		uint8_t ch = buf[i];

		switch (c->state) {
		case CH_SIZE:
		case CH_EXT:
			rc = chunked_size_byte(c, ch);
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				return -EPX_E_HTTP_CHUNK;
			i++;
			c->line = 0;
			c->digits = 0;
			c->state = c->left ? CH_DATA : CH_TRAILER;
			break;
		case CH_DATA: {
			size_t n = len - i;

			if (n > c->left)
				n = (size_t)c->left;
			memmove(buf + o, buf + i, n);
			o += n;
			i += n;
			c->left -= n;
			if (c->left == 0)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (ch != '\r')
				return -EPX_E_HTTP_CHUNK;
			i++;
			c->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				return -EPX_E_HTTP_CHUNK;
			i++;
			c->state = CH_SIZE;
			break;
		default:
			rc = chunked_trailer_byte(c, ch);
			i++;
			break;
		}
		if (rc < 0)
			return rc;
	}
	*used = i;
	*out = o;
	return c->state == CH_DONE;
}
