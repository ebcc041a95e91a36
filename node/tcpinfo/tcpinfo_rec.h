/* tcpinfo_rec: epoxy-tcpinfo's records as JSON lines in M-Lab's
 * ArchivalRecord shape, and the lines of its event stream.
 *
 * Guarantees:
 *  - a snapshot line is {"Timestamp", "Seq", ["Event"], "RawIDM",
 *    "Attributes", "Counters", ["Metadata"]}: RawIDM is the base64 of the
 *    raw inet_diag_msg, Attributes[type] the base64 of the raw attribute or
 *    null (every type below TCPINFO_NL_SLOTS, known or not), so M-Lab's
 *    parsers read it; types above go to "Extra" as [type, base64] pairs;
 *    Metadata {UUID, Sequence, StartTime} is written on a file's first line
 *    only; Seq numbers a connection's records across its files;
 *  - everything written is ASCII from fixed vocabularies, digits and base64:
 *    no byte of a netlink message reaches a line unencoded;
 *  - a line is at most TCPINFO_REC_MAX bytes; a longer one is refused
 *    (-EPX_E_TI_TOOBIG) and the buffer is left as it was. */
#ifndef EPOXY_TCPINFO_REC_H
#define EPOXY_TCPINFO_REC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "node/tcpinfo/tcpinfo_nl.h"

#define TCPINFO_REC_MAX (16 * 1024)
#define TCPINFO_UUID_MAX 128
#define TCPINFO_TIME_LEN 32

/* the 64-bit counters of a snapshot, extended across 32-bit wraps and
 * never decreasing (tcpinfo_track.c) */
enum tcpinfo_ctr_id {
	TI_BYTES_ACKED, TI_BYTES_RECEIVED, TI_BYTES_SENT, TI_BYTES_RETRANS,
	TI_SEGS_OUT, TI_SEGS_IN, TI_DATA_SEGS_OUT, TI_DATA_SEGS_IN,
	TI_TOTAL_RETRANS, TI_DELIVERED, TI_NCTR
};

/* a growable byte buffer; p is malloc'd, the owner frees it */
struct tcpinfo_buf {
	char *p;
	size_t len, cap;
};

struct tcpinfo_rec_meta {
	const char *uuid;
	uint64_t file_seq;
	const char *start;      /* RFC 3339 time of the connection's open */
};

/* RFC 3339 UTC time with nanoseconds into out[TCPINFO_TIME_LEN]. */
void tcpinfo_rec_time(const struct timespec *ts, char *out);
/* "<host>_<boot seconds>_<cookie as 16 upper-case hex digits>" */
void tcpinfo_rec_uuid(char *out, size_t cap, const char *host, uint64_t boot,
		      uint64_t cookie);
/* Appends base64 (standard alphabet, padded) of in[0..n) to b. */
int tcpinfo_rec_b64(struct tcpinfo_buf *b, const uint8_t *in, size_t n);
int tcpinfo_buf_put(struct tcpinfo_buf *b, const void *p, size_t n);
void tcpinfo_buf_free(struct tcpinfo_buf *b);

/* Appends one snapshot line; event is NULL or "open"; meta NULL but on a
 * file's first line.  Returns 0, -ENOMEM or -EPX_E_TI_TOOBIG. */
int tcpinfo_rec_snapshot(struct tcpinfo_buf *b, const char *time, uint64_t seq,
			 const char *event, const struct tcpinfo_msg *m,
			 const uint64_t ctr[TI_NCTR], const struct tcpinfo_rec_meta *meta);
/* Appends a close line carrying the last RawIDM (idm, TCPINFO_NL_IDM_LEN). */
int tcpinfo_rec_close(struct tcpinfo_buf *b, const char *time, uint64_t seq,
		      const uint8_t *idm, const struct tcpinfo_rec_meta *meta);
/* Appends an event-stream line {"Event","Timestamp","UUID","Src","Dst"}. */
int tcpinfo_rec_event(struct tcpinfo_buf *b, const char *event, const char *time,
		      const char *uuid, const uint8_t *idm);

#endif
