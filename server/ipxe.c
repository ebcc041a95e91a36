/* ipxe: stage0/stage1 iPXE script rendering (see ipxe.h for the
 * injection-proof guarantee).
 *
 * Every data value lands inside a token that starts with fixed text
 * ("host=", "?mac=" ...), so even an escaped value that starts with '-'
 * is never an option of an iPXE command.  iPXE expands ${...} before it
 * splits a line into words; escaped values contain neither '$' nor space. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/pct.h"
#include "server/ipxe.h"

#define IPXE_ESC_MAX (3 * IPXE_VALUE_MAX + 1)
#define IPXE_TRIES_MAX 8
#define IPXE_SLEEP_MAX 600

/* The operator's URL and command line: checked, never escaped. */
static int ipxe_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int ipxe_escape(const char *in, size_t len, char *out, size_t cap)
{
	size_t n;
	int rc;

	if (len > IPXE_VALUE_MAX)
		return -EPX_E_IPXE_FIELD;
	rc = pct_encode(in, len, out, cap, &n);
	return rc < 0 ? rc : (int)n;
}

int ipxe_url_ok(const char *s)
{
	size_t i, n;

	if (!s || strncmp(s, "http://", 7))
		return 0;
	n = strlen(s);
	if (n == 7 || n > 200)
		return 0;
	for (i = 7; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(ipxe_safe(c) && c != '_') && c != ':' && c != '[' && c != ']')
			return 0;
	}
	return 1;
}

int ipxe_cmdline_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > IPXE_CMDLINE_MAX)
		return 0;
	if (s[0] == ' ' || s[len - 1] == ' ')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' && i + 1 < len && s[i + 1] == ' ')
			return 0;
		if (!ipxe_safe(c) && c != ' ' && c != '=' && c != ',' &&
		    c != ':' && c != '/' && c != '+')
			return 0;
		/* a word starting with '-' would be an option of "kernel" */
		if (c == '-' && (i == 0 || s[i - 1] == ' '))
			return 0;
	}
	return 1;
}

struct ibuf {
	char *p;
	size_t cap, len;
	int err;
};

__attribute__((format(printf, 2, 3)))
static void ipxe_printf(struct ibuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->err = -ENOSPC;
	else
		b->len += (size_t)n;
}

int ipxe_render_stage0(const char *boot_url, char *out, size_t cap)
{
	struct ibuf b = { out, cap, 0, 0 };

	if (!ipxe_url_ok(boot_url))
		return -EPX_E_IPXE_FIELD;
	if (cap == 0)
		return -ENOSPC;
	ipxe_printf(&b, "#!ipxe\n");
	ipxe_printf(&b, "# epoxy stage0: fetch this host's stage1 script (holds no secret)\n");
	ipxe_printf(&b, ":retry\n");
	ipxe_printf(&b, "chain --autofree %s/boot/stage1.ipxe?mac=${net0/mac:hexhyp}"
		  "&uuid=${uuid}&serial=${serial:uristring}&platform=${platform}"
		  "&buildarch=${buildarch} || goto failed\n", boot_url);
	ipxe_printf(&b, ":failed\n");
	ipxe_printf(&b, "echo %s stage1 script could not be fetched from epoxyd; retrying\n",
		  epx_code_str(EPX_E_BOOT_SCRIPT));
	ipxe_printf(&b, "sleep 15\n");
	ipxe_printf(&b, "goto retry\n");
	return b.err ? b.err : (int)b.len;
}

/* Escapes v (NULL = "") into out; on a too-long value renders "-" plus a
 * marker so the script still boots (the server logs the refusal). */
static int ipxe_val(const char *v, char out[IPXE_ESC_MAX])
{
	int rc;

	if (!v)
		v = "";
	rc = ipxe_escape(v, strlen(v), out, IPXE_ESC_MAX);
	if (rc < 0)
		snprintf(out, IPXE_ESC_MAX, "%%2Dtoo-long");
	return rc < 0 ? rc : 0;
}

static void ipxe_try(struct ibuf *b, const struct ipxe_stage1 *p, int efi,
		     unsigned t, const char *cmdline)
{
	unsigned delay = p->retry_s * (t + 1);

	if (delay > IPXE_SLEEP_MAX)
		delay = IPXE_SLEEP_MAX;
	ipxe_printf(b, ":try%u\n", t);
	ipxe_printf(b, "echo epoxy stage1 try=%u\n", t + 1);
	if (efi) {
		/* fetch and exec apart, so the console tells a refusal by the
		 * firmware's Secure Boot (E1401) from a failed download (E1402) */
		ipxe_printf(b, "imgfree\n");
		ipxe_printf(b, "imgfetch --name stage1 %s/boot/stage1.efi || goto fail%u\n",
			  p->boot_url, t);
		ipxe_printf(b, "imgexec --autofree stage1 || goto refused%u\n", t);
		ipxe_printf(b, ":refused%u\n", t);
		ipxe_printf(b, "echo %s firmware refused the stage1 image (Secure Boot signature); retry in %us\n",
			  epx_code_str(EPX_E_BOOT_REFUSED), delay);
		ipxe_printf(b, "goto wait%u\n", t);
	} else {
		ipxe_printf(b, "kernel %s/boot/stage1/vmlinuz %s || goto fail%u\n",
			  p->boot_url, cmdline, t);
		ipxe_printf(b, "initrd %s/boot/stage1/initramfs || goto fail%u\n",
			  p->boot_url, t);
		ipxe_printf(b, "boot || goto fail%u\n", t);
	}
	ipxe_printf(b, ":fail%u\n", t);
	ipxe_printf(b, "echo %s stage1 image not fetched%s; retry in %us\n",
		  epx_code_str(EPX_E_BOOT_FETCH), efi ? "" : " or not booted", delay);
	ipxe_printf(b, ":wait%u\n", t);
	ipxe_printf(b, "sleep %u\n", delay);
}

int ipxe_render_stage1(const struct ipxe_stage1 *p, char *out, size_t cap)
{
	char host[IPXE_ESC_MAX], mac[IPXE_ESC_MAX], uuid[IPXE_ESC_MAX];
	char serial[IPXE_ESC_MAX], plat[IPXE_ESC_MAX], arch[IPXE_ESC_MAX];
	struct ibuf b = { out, cap, 0, 0 };
	unsigned t, tries;
	int efi;

	if (!ipxe_url_ok(p->boot_url))
		return -EPX_E_IPXE_FIELD;
	if (cap == 0)
		return -ENOSPC;
	efi = !(p->platform && !strcmp(p->platform, "pcbios"));
	if (!efi && (!p->cmdline || !ipxe_cmdline_ok(p->cmdline, strlen(p->cmdline))))
		return -EPX_E_IPXE_FIELD;
	ipxe_val(p->host, host);
	ipxe_val(p->mac, mac);
	ipxe_val(p->uuid, uuid);
	ipxe_val(p->serial, serial);
	ipxe_val(p->platform, plat);
	ipxe_val(p->buildarch, arch);
	tries = p->tries ? p->tries : 3;
	if (tries > IPXE_TRIES_MAX)
		tries = IPXE_TRIES_MAX;

	ipxe_printf(&b, "#!ipxe\n");
	ipxe_printf(&b, "# epoxy stage1 (holds no secret; every value below is escaped)\n");
	ipxe_printf(&b, "echo epoxy stage1 host=%s mac=%s uuid=%s serial=%s platform=%s arch=%s\n",
		  host, mac, uuid, serial, plat, arch);
	for (t = 0; t < tries; t++)
		ipxe_try(&b, p, efi, t, p->cmdline);
	ipxe_printf(&b, ":giveup\n");
	ipxe_printf(&b, "echo %s stage1 gave up after %u tries; rebooting\n",
		  epx_code_str(EPX_E_BOOT_GIVEUP), tries);
	ipxe_printf(&b, "reboot || exit 1\n");
	return b.err ? b.err : (int)b.len;
}
