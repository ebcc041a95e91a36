/* tcpinfo_rec: ArchivalRecord JSON lines and event lines (see tcpinfo_rec.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/err.h"
#include "node/tcpinfo/tcpinfo_rec.h"

static const char rec_b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char *const rec_ctr_names[TI_NCTR] = {
	"BytesAcked", "BytesReceived", "BytesSent", "BytesRetrans",
	"SegsOut", "SegsIn", "DataSegsOut", "DataSegsIn",
	"TotalRetrans", "Delivered",
};

void tcpinfo_buf_free(struct tcpinfo_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static int tcpinfo_rec_buf_reserve(struct tcpinfo_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *p;

	if (n <= b->cap - b->len)
		return 0;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int tcpinfo_buf_put(struct tcpinfo_buf *b, const void *p, size_t n)
{
	int rc = tcpinfo_rec_buf_reserve(b, n);

	if (rc < 0)
		return rc;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static int tcpinfo_rec_buf_str(struct tcpinfo_buf *b, const char *s)
{
	return tcpinfo_buf_put(b, s, strlen(s));
}

static int tcpinfo_rec_buf_fmt(struct tcpinfo_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int tcpinfo_rec_buf_fmt(struct tcpinfo_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -EPX_E_TI_TOOBIG;
	return tcpinfo_buf_put(b, tmp, (size_t)n);
}

int tcpinfo_rec_b64(struct tcpinfo_buf *b, const uint8_t *in, size_t n)
{
	size_t i, o = 0;
	uint32_t v;
	char *out;
	int rc;

	if (n == 0)     /* nothing to add (b->p may still be NULL) */
		return 0;
	rc = tcpinfo_rec_buf_reserve(b, (n + 2) / 3 * 4);
	if (rc < 0)
		return rc;
	out = b->p + b->len;
	for (i = 0; n - i >= 3; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = rec_b64[v >> 18];
		out[o++] = rec_b64[(v >> 12) & 63];
		out[o++] = rec_b64[(v >> 6) & 63];
		out[o++] = rec_b64[v & 63];
	}
	if (n - i) {
		v = (uint32_t)in[i] << 16 | (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = rec_b64[v >> 18];
		out[o++] = rec_b64[(v >> 12) & 63];
		out[o++] = n - i == 2 ? rec_b64[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	b->len += o;
	return 0;
}

void tcpinfo_rec_time(const struct timespec *ts, char *out)
{
	char tmp[96];
	struct tm tm;
	time_t t = ts->tv_sec;

	gmtime_r(&t, &tm);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
		 (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, ts->tv_nsec % 1000000000L);
	memcpy(out, tmp, TCPINFO_TIME_LEN - 1);         /* 30 bytes for years 0-9999 */
	out[TCPINFO_TIME_LEN - 1] = '\0';
}

void tcpinfo_rec_uuid(char *out, size_t cap, const char *host, uint64_t boot,
		      uint64_t cookie)
{
	snprintf(out, cap, "%s_%" PRIu64 "_%016" PRIX64, host, boot, cookie);
}

static int tcpinfo_rec_attrs(struct tcpinfo_buf *b, const struct tcpinfo_msg *m)
{
	unsigned i, last = 0;
	int rc = 0;

	for (i = 0; i < TCPINFO_NL_SLOTS; i++)
		if (m->attr[i].p)
			last = i + 1;
	rc = tcpinfo_rec_buf_str(b, ",\"Attributes\":[");
	for (i = 0; i < last && rc == 0; i++) {
		if (i)
			rc = tcpinfo_rec_buf_str(b, ",");
		if (rc == 0 && !m->attr[i].p)
			rc = tcpinfo_rec_buf_str(b, "null");
		else if (rc == 0) {
			rc = tcpinfo_rec_buf_str(b, "\"");
			rc = rc ? rc : tcpinfo_rec_b64(b, m->attr[i].p, m->attr[i].len);
			rc = rc ? rc : tcpinfo_rec_buf_str(b, "\"");
		}
	}
	rc = rc ? rc : tcpinfo_rec_buf_str(b, "]");
	if (rc || !m->nextra)
		return rc;
	rc = tcpinfo_rec_buf_str(b, ",\"Extra\":[");
	for (i = 0; i < m->nextra && rc == 0; i++) {
		rc = tcpinfo_rec_buf_fmt(b, "%s[%u,\"", i ? "," : "", m->extra[i].type);
		rc = rc ? rc : tcpinfo_rec_b64(b, m->extra[i].p, m->extra[i].len);
		rc = rc ? rc : tcpinfo_rec_buf_str(b, "\"]");
	}
	return rc ? rc : tcpinfo_rec_buf_str(b, "]");
}

static int tcpinfo_rec_ctrs(struct tcpinfo_buf *b, const uint64_t ctr[TI_NCTR])
{
	int rc = tcpinfo_rec_buf_str(b, ",\"Counters\":{");
	unsigned i;

	for (i = 0; i < TI_NCTR && rc == 0; i++)
		rc = tcpinfo_rec_buf_fmt(b, "%s\"%s\":%" PRIu64, i ? "," : "", rec_ctr_names[i], ctr[i]);
	return rc ? rc : tcpinfo_rec_buf_str(b, "}");
}

static int tcpinfo_rec_metadata(struct tcpinfo_buf *b, const struct tcpinfo_rec_meta *meta)
{
	if (!meta)
		return 0;
	return tcpinfo_rec_buf_fmt(b, ",\"Metadata\":{\"UUID\":\"%s\",\"Sequence\":%" PRIu64
		       ",\"StartTime\":\"%s\"}", meta->uuid, meta->file_seq, meta->start);
}

static int tcpinfo_rec_head(struct tcpinfo_buf *b, const char *time, uint64_t seq,
		    const char *event, const uint8_t *idm)
{
	int rc = tcpinfo_rec_buf_fmt(b, "{\"Timestamp\":\"%s\",\"Seq\":%" PRIu64, time, seq);

	if (rc == 0 && event)
		rc = tcpinfo_rec_buf_fmt(b, ",\"Event\":\"%s\"", event);
	rc = rc ? rc : tcpinfo_rec_buf_str(b, ",\"RawIDM\":\"");
	rc = rc ? rc : tcpinfo_rec_b64(b, idm, TCPINFO_NL_IDM_LEN);
	return rc ? rc : tcpinfo_rec_buf_str(b, "\"");
}

/* keeps b as it was when the line failed or grew beyond its cap */
static int tcpinfo_rec_end(struct tcpinfo_buf *b, size_t start, int rc)
{
	if (rc == 0)
		rc = tcpinfo_rec_buf_str(b, "}\n");
	if (rc == 0 && b->len - start > TCPINFO_REC_MAX)
		rc = -EPX_E_TI_TOOBIG;
	if (rc < 0)
		b->len = start;
	return rc;
}

int tcpinfo_rec_snapshot(struct tcpinfo_buf *b, const char *time, uint64_t seq,
			 const char *event, const struct tcpinfo_msg *m,
			 const uint64_t ctr[TI_NCTR], const struct tcpinfo_rec_meta *meta)
{
	size_t start = b->len;
	int rc;

	rc = tcpinfo_rec_head(b, time, seq, event, m->idm);
	rc = rc ? rc : tcpinfo_rec_attrs(b, m);
	rc = rc ? rc : tcpinfo_rec_ctrs(b, ctr);
	rc = rc ? rc : tcpinfo_rec_metadata(b, meta);
	return tcpinfo_rec_end(b, start, rc);
}

int tcpinfo_rec_close(struct tcpinfo_buf *b, const char *time, uint64_t seq,
		      const uint8_t *idm, const struct tcpinfo_rec_meta *meta)
{
	size_t start = b->len;
	int rc;

	rc = tcpinfo_rec_head(b, time, seq, "close", idm);
	rc = rc ? rc : tcpinfo_rec_metadata(b, meta);
	return tcpinfo_rec_end(b, start, rc);
}

static void tcpinfo_rec_addr(char *out, size_t cap, uint8_t family, const uint8_t *a, const uint8_t *port)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, ip, sizeof(ip));
	snprintf(out, cap, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 (unsigned)(port[0] << 8 | port[1]));
}

int tcpinfo_rec_event(struct tcpinfo_buf *b, const char *event, const char *time,
		      const char *uuid, const uint8_t *idm)
{
	char src[64], dst[64];
	size_t start = b->len;
	int rc;

	tcpinfo_rec_addr(src, sizeof(src), idm[0], idm + 8, idm + 4);
	tcpinfo_rec_addr(dst, sizeof(dst), idm[0], idm + 24, idm + 6);
	rc = tcpinfo_rec_buf_fmt(b, "{\"Event\":\"%s\",\"Timestamp\":\"%s\",\"UUID\":\"%s\","
		     "\"Src\":\"%s\",\"Dst\":\"%s\"", event, time, uuid, src, dst);
	return tcpinfo_rec_end(b, start, rc);
}
