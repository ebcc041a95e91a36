/* tcpinfo_out: per-connection zstd streams, flushes and rotation (see
 * tcpinfo_out.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "lib/err.h"
#include "node/tcpinfo/tcpinfo_out.h"

#define NS 1000000000ull

int tcpinfo_out_init(struct tcpinfo_out *o, const char *dir, int level,
		     uint64_t rotate_ns, uint64_t flush_ns, size_t flush_bytes)
{
	int rc = -ENOMEM;

	memset(o, 0, sizeof(*o));
	o->dir = dir;
	o->rotate_ns = rotate_ns;
	o->flush_ns = flush_ns;
	o->flush_bytes = flush_bytes;
	o->cctx = ZSTD_createCCtx();
	if (!o->cctx)
		goto fail;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(o->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(o->cctx, ZSTD_c_checksumFlag, 1))) {
		rc = -EPX_E_TI_ZSTD;
		goto fail;
	}
	return 0;
fail:
	ZSTD_freeCCtx(o->cctx);
	o->cctx = NULL;
	return rc;
}

void tcpinfo_out_free(struct tcpinfo_out *o)
{
	ZSTD_freeCCtx(o->cctx);
	o->cctx = NULL;
	free(o->zbuf);
	o->zbuf = NULL;
}

static int tcpinfo_out_date(uint64_t start, char *out, size_t cap)
{
	time_t t = (time_t)(start / NS);
	struct tm tm;

	gmtime_r(&t, &tm);
	return snprintf(out, cap, "%04d/%02d/%02d", (tm.tm_year + 1900) % 10000,
			tm.tm_mon + 1, tm.tm_mday);
}

int tcpinfo_out_path(const struct tcpinfo_out *o, char *out, size_t cap, const char *uuid,
		     uint64_t seq, uint64_t start)
{
	char date[48];
	int n;

	tcpinfo_out_date(start, date, sizeof(date));
	n = snprintf(out, cap, "%s/%s/%s.%05" PRIu64 ".jsonl.zst", o->dir, date, uuid, seq);
	return n < 0 || (size_t)n >= cap ? -EPX_E_TI_TOOBIG : 0;
}

/* mkdir -p of dir/YYYY/MM/DD, remembered so a day's directory is made once */
static int tcpinfo_out_mkdirs(struct tcpinfo_out *o, const char *path)
{
	char d[TCPINFO_PATH_MAX];
	size_t i, len = strrchr(path, '/') ? (size_t)(strrchr(path, '/') - path) : 0;

	if (len == 0 || len >= sizeof(d))
		return -EPX_E_TI_FILE;
	memcpy(d, path, len);
	d[len] = '\0';
	if (!strcmp(d, o->madedir))
		return 0;
	for (i = strlen(o->dir) + 1; i <= len; i++) {
		if (d[i] != '/' && d[i] != '\0')
			continue;
		d[i] = '\0';
		if (mkdir(d, 0755) < 0 && errno != EEXIST)
			return -EPX_E_TI_FILE;
		d[i] = i == len ? '\0' : '/';
	}
	snprintf(o->madedir, sizeof(o->madedir), "%s", d);
	return 0;
}

static int tcpinfo_out_append(struct tcpinfo_out *o, const char *path, const uint8_t *p, size_t n)
{
	int fd, rc = -EPX_E_TI_FILE;
	ssize_t w;

	if (tcpinfo_out_mkdirs(o, path) < 0)
		return -EPX_E_TI_FILE;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -EPX_E_TI_FILE;
	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		p += w;
		n -= (size_t)w;
	}
	rc = 0;
out:
	if (close(fd) < 0 && rc == 0)
		rc = -EPX_E_TI_FILE;
	return rc;
}

static int tcpinfo_out_compress(struct tcpinfo_out *o, const struct tcpinfo_buf *b, size_t *zlen)
{
	size_t need = ZSTD_compressBound(b->len), r;
	uint8_t *z;

	if (need > o->zcap) {
		z = realloc(o->zbuf, need);
		if (!z)
			return -ENOMEM;
		o->zbuf = z;
		o->zcap = need;
	}
	r = ZSTD_compress2(o->cctx, o->zbuf, o->zcap, b->p, b->len);
	if (ZSTD_isError(r))
		return -EPX_E_TI_ZSTD;
	*zlen = r;
	return 0;
}

int tcpinfo_out_flush(struct tcpinfo_out *o, struct tcpinfo_out_conn *c, const char *uuid)
{
	char path[TCPINFO_PATH_MAX];
	size_t zlen = 0;
	int rc = 0;

	if (c->pend.len == 0)
		goto out;
	rc = tcpinfo_out_path(o, path, sizeof(path), uuid, c->file_seq, c->file_start);
	rc = rc ? rc : tcpinfo_out_compress(o, &c->pend, &zlen);
	rc = rc ? rc : tcpinfo_out_append(o, path, o->zbuf, zlen);
	if (rc == 0) {
		o->bytes += zlen;
		o->frames++;
	} else {
		o->errors++;
	}
out:
	o->pending -= c->counted;
	c->counted = 0;
	tcpinfo_buf_free(&c->pend);
	c->pend_since = 0;
	return rc;
}

int tcpinfo_out_begin(struct tcpinfo_out *o, struct tcpinfo_out_conn *c,
		      const char *uuid, uint64_t now)
{
	int rc = 0;

	if (c->file_start && now - c->file_start < o->rotate_ns)
		return 0;
	if (c->file_start) {
		rc = tcpinfo_out_flush(o, c, uuid);
		c->file_seq++;
	}
	c->file_start = now;
	o->files++;
	return rc < 0 ? rc : 1;
}

int tcpinfo_out_after(struct tcpinfo_out *o, struct tcpinfo_out_conn *c,
		      const char *uuid, uint64_t now)
{
	if (!c->pend_since)
		c->pend_since = now;
	o->pending += c->pend.len - c->counted;
	c->counted = c->pend.len;
	if (c->pend.len >= o->flush_bytes || now - c->pend_since >= o->flush_ns ||
	    o->pending > TCPINFO_OUT_PENDING_MAX)
		return tcpinfo_out_flush(o, c, uuid);
	return 0;
}
