/* handover: format, parse and archive the stage-1 -> stage-2 handover.
 *
 * The tokens travel inside the kexec'd initramfs (memory only), never on
 * the production command line, so they never show in /proc/cmdline. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "lib/label.h"
#include "lib/line.h"
#include "lib/num.h"
#include "stage2/handover.h"
#include "stage2/newc.h"

int handover_format(const struct handover *h, char *out, size_t cap)
{
	char jc[65], rp[65];
	int n;

	hex_encode(h->joincred, 32, jc);
	hex_encode(h->report, 32, rp);
	n = snprintf(out, cap,
		     "epoxy-handover 1\nhost %s\nsession %s\nserver %s\n"
		     "addr %s\nport %u\ntoken joincred %s\ntoken report %s\nend\n",
		     h->host, h->session, h->server, h->addr, (unsigned)h->port,
		     jc, rp);
	explicit_bzero(jc, sizeof(jc));
	explicit_bzero(rp, sizeof(rp));
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

static int handover_copy(char *dst, size_t cap, const char *v, long n)
{
	long i;

	if (n <= 0 || (size_t)n >= cap)
		return -EPX_E_HO_SYNTAX;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 127)
			return -EPX_E_HO_SYNTAX;
	memcpy(dst, v, (size_t)n);
	dst[n] = '\0';
	return 0;
}

static int handover_fields(struct handover *h, const char *t, size_t len)
{
	struct cmdline c;
	char line[CMDLINE_NAME_MAX + 64];
	const char *v, *bad;
	size_t pos = 0;
	uint8_t sid[8];
	uint32_t port;
	long n;

	if (line_take(t, len, &pos, "epoxy-handover 1", &v) != 0)
		return -EPX_E_HO_SYNTAX;
	n = line_take(t, len, &pos, "host ", &v);
	if (handover_copy(h->host, sizeof(h->host), v, n) < 0 ||
	    label_check(LABEL_HOST, v, (size_t)n) < 0)
		return -EPX_E_HO_SYNTAX;
	n = line_take(t, len, &pos, "session ", &v);
	if (n < 0 || hex_check(v, (size_t)n, 16) < 0 || hex_decode(v, 16, sid, 8) < 0 ||
	    handover_copy(h->session, sizeof(h->session), v, n) < 0)
		return -EPX_E_HO_SYNTAX;
	n = line_take(t, len, &pos, "server ", &v);
	if (handover_copy(h->server, sizeof(h->server), v, n) < 0)
		return -EPX_E_HO_SYNTAX;
	n = line_take(t, len, &pos, "addr ", &v);
	if (handover_copy(h->addr, sizeof(h->addr), v, n) < 0)
		return -EPX_E_HO_SYNTAX;
	n = line_take(t, len, &pos, "port ", &v);
	if (n < 0 || num_parse_u32(v, (size_t)n, 65535, &port) < 0)
		return -EPX_E_HO_SYNTAX;
	/* reuse the command-line validators for name, address and port */
	snprintf(line, sizeof(line), "epoxy.server=%s epoxy.addr=%s epoxy.port=%.*s",
		 h->server, h->addr, (int)n, v);
	if (cmdline_parse(&c, line, strlen(line), &bad) < 0)
		return -EPX_E_HO_SYNTAX;
	h->port = c.port;
	n = line_take(t, len, &pos, "token joincred ", &v);
	if (n < 0 || hex_check(v, (size_t)n, 64) < 0 || hex_decode(v, 64, h->joincred, 32) < 0)
		return -EPX_E_HO_SYNTAX;
	n = line_take(t, len, &pos, "token report ", &v);
	if (n < 0 || hex_check(v, (size_t)n, 64) < 0 || hex_decode(v, 64, h->report, 32) < 0)
		return -EPX_E_HO_SYNTAX;
	if (line_take(t, len, &pos, "end", &v) != 0 || pos != len)
		return -EPX_E_HO_SYNTAX;
	return 0;
}

int handover_parse(struct handover *h, const char *buf, size_t len)
{
	memset(h, 0, sizeof(*h));
	if (len > HANDOVER_MAX || handover_fields(h, buf, len) < 0) {
		handover_wipe(h);
		return -EPX_E_HO_SYNTAX;
	}
	return 0;
}

int handover_append(int fd, uint64_t *off, const struct handover *h,
		    const void *manifest, size_t manifest_len,
		    const void *join, size_t join_len)
{
	struct newc_out w = { .fd = fd, .off = *off, .ino = 0x45500000u };
	char text[HANDOVER_MAX];
	int rc, n;

	n = handover_format(h, text, sizeof(text));
	if (n < 0)
		return n;
	rc = newc_add(&w, "run", S_IFDIR | 0755, NULL, 0);
	if (rc == 0)
		rc = newc_add(&w, "run/epoxy", S_IFDIR | 0700, NULL, 0);
	if (rc == 0)
		rc = newc_add(&w, HANDOVER_PATH, S_IFREG | 0600, text, (size_t)n);
	if (rc == 0)
		rc = newc_add(&w, HANDOVER_MANIFEST_PATH, S_IFREG | 0644,
			      manifest, manifest_len);
	if (rc == 0)
		rc = newc_add(&w, "epoxy", S_IFDIR | 0755, NULL, 0);
	if (rc == 0)
		rc = newc_add(&w, HANDOVER_JOIN_PATH, S_IFREG | 0700, join,
			      join_len);
	if (rc == 0)
		rc = newc_trailer(&w);
	explicit_bzero(text, sizeof(text));
	if (rc == 0)
		*off = w.off;
	return rc;
}

void handover_wipe(struct handover *h)
{
	explicit_bzero(h, sizeof(*h));
}
