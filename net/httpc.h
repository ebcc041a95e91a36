/* httpc: parser of an HTTP/1.1 response head (status line and headers).
 *
 * Guarantees: the head is at most HTTPC_HEAD_MAX bytes with at most
 * HTTPC_HEADERS_MAX header lines; lines end in CRLF; obsolete line folding,
 * control bytes, a Transfer-Encoding other than "chunked", both
 * Transfer-Encoding and Content-Length, and disagreeing duplicate
 * Content-Length headers are refused.  Only the headers the client uses are
 * kept; the rest are syntax-checked and dropped. */
#ifndef EPOXY_NET_HTTPC_H
#define EPOXY_NET_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/nodeproto.h"

#define HTTPC_HEAD_MAX 8192
#define HTTPC_HEADERS_MAX 64
#define HTTPC_RETRY_AFTER_MAX 3600
#define HTTPC_TOKEN_HEX NODEPROTO_TOKEN_HEX     /* Epoxy-Next-Token */

struct httpc_head {
	int status;                     /* 100..599 */
	int64_t content_length;         /* -1 when absent */
	int chunked;
	int close;                      /* Connection: close or HTTP/1.0 */
	int retry_after;                /* seconds, -1 when absent */
	int64_t range_first;            /* Content-Range first byte, -1 */
	int64_t range_total;            /* Content-Range complete length, -1 */
	char next_token[HTTPC_TOKEN_HEX + 1];    /* Epoxy-Next-Token or "" */
	char node_cred[HTTPC_TOKEN_HEX + 1];     /* Epoxy-Node-Credential or "" */
};

/* Returns the length of the head including the blank line, 0 if buf does
 * not yet hold a complete head (and len <= HTTPC_HEAD_MAX), or
 * -EPX_E_HTTP_HDRBIG. */
long httpc_head_end(const uint8_t *buf, size_t len);
/* Parses buf[0..len), a complete head as measured by httpc_head_end().
 * Returns 0, -EPX_E_HTTP_STATUS, -EPX_E_HTTP_HEADER or -EPX_E_HTTP_HDRBIG. */
int httpc_parse_head(struct httpc_head *h, const uint8_t *buf, size_t len);
/* Wipes the token held in h. */
void httpc_head_wipe(struct httpc_head *h);

#endif
