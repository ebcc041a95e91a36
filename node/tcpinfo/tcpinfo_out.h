/* tcpinfo_out: one zstd stream per connection, written in process.
 *
 * Guarantees:
 *  - a connection's lines wait in its own memory buffer and are compressed
 *    by the one shared ZSTD_CCtx into one zstd frame per flush, appended to
 *    <dir>/YYYY/MM/DD/<uuid>.<%05d>.jsonl.zst (date and number of the
 *    file's start); concatenated frames are one valid zstd stream
 *    (`zstd -dc` reads it whole), so no process and no open file is kept
 *    per connection: a file is open only while a frame is appended;
 *  - a buffer is flushed when it holds flush_bytes, when it is older than
 *    flush_ns, when the buffers of all connections together hold more than
 *    TCPINFO_OUT_PENDING_MAX (the one that just grew), when its file rotates (every rotate_ns after the file's
 *    start), when the connection closes and at exit;
 *  - the file number of a connection only grows, one by one: a rotation
 *    never skips or reuses a number;
 *  - a failed write loses that buffer only (counted), never the stream's
 *    framing: the next flush appends a whole frame. */
#ifndef EPOXY_TCPINFO_OUT_H
#define EPOXY_TCPINFO_OUT_H

#include <stdint.h>

#include "node/tcpinfo/tcpinfo_rec.h"

#define TCPINFO_PATH_MAX 512
/* lines waiting in memory, all connections together */
#define TCPINFO_OUT_PENDING_MAX (256u << 20)

struct tcpinfo_out_conn {
	struct tcpinfo_buf pend;
	uint64_t file_seq;      /* number of the current file */
	uint64_t file_start;    /* ns of the current file's start; 0: none yet */
	uint64_t pend_since;    /* ns of the oldest line in pend */
	size_t counted;         /* bytes of pend counted in the output's pending */
};

struct tcpinfo_out {
	const char *dir;
	void *cctx;             /* ZSTD_CCtx */
	uint8_t *zbuf;
	size_t zcap;
	uint64_t rotate_ns, flush_ns;
	size_t flush_bytes;
	size_t pending;         /* bytes waiting in all connections' buffers */
	char madedir[TCPINFO_PATH_MAX];
	uint64_t bytes, frames, files, errors;
};

int tcpinfo_out_init(struct tcpinfo_out *o, const char *dir, int level,
		     uint64_t rotate_ns, uint64_t flush_ns, size_t flush_bytes);
void tcpinfo_out_free(struct tcpinfo_out *o);
/* Before a line is added at time now (ns since the epoch): rotates the
 * file when due.  Returns 1 when the line starts a file (it must carry
 * Metadata and *file_seq is its number), 0 otherwise, or a negative code
 * (the old file's flush failed; the rotation happened anyway). */
int tcpinfo_out_begin(struct tcpinfo_out *o, struct tcpinfo_out_conn *c,
		      const char *uuid, uint64_t now);
/* After a line was added: flushes when the buffer is full or old. */
int tcpinfo_out_after(struct tcpinfo_out *o, struct tcpinfo_out_conn *c,
		      const char *uuid, uint64_t now);
/* Compresses and appends the buffer, then frees it. */
int tcpinfo_out_flush(struct tcpinfo_out *o, struct tcpinfo_out_conn *c, const char *uuid);
/* The path of file number seq of uuid started at start (ns). */
int tcpinfo_out_path(const struct tcpinfo_out *o, char *out, size_t cap, const char *uuid,
		     uint64_t seq, uint64_t start);

#endif
